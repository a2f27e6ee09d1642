"""The reminder scheduler inside `coibot serve`: APScheduler 3 with jobs in memory.

A daily run at `reminders.send_time` in `reminders.timezone`, a run at start-up (catch-up after
downtime), an hourly retry (a leader that died mid-run is replaced within the hour), and a
frequent needs-review poll. Each transaction of a run first takes (or renews) the database lease
"scheduler", so several serve processes on one database take turns; the work itself is
idempotent (reminder_sent and outbox keys), so even two leaders could not double-send.
Jobs are never pickled into the database: the schedule is rebuilt from the configuration on start.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from coibot.clock import Clock, run_date, system_clock
from coibot.config import Settings
from coibot.db import session_scope
from coibot.lifecycle import DayReport, last_run, record_run, run_lifecycle, try_lease
from coibot.models import utcnow
from coibot.reminders import due_on, enqueue_due
from coibot.review import notify_needs_review

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
DEFAULT_LEASE = timedelta(minutes=10)
CHUNK = 200  # messages enqueued per transaction


def default_holder() -> str:
    """host:pid:random, unique per process so a restarted process is a new holder."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class ReminderScheduler:
    """Decides what time has made due and enqueues it; sending is the outbox sender's job."""

    def __init__(self, engine: Engine, settings: Settings, *, clock: Clock = system_clock,
                 holder: str | None = None, lease: timedelta = DEFAULT_LEASE,
                 retry_every: timedelta = timedelta(hours=1),
                 review_every: timedelta = timedelta(seconds=60)) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.holder = holder or default_holder()
        self.lease = lease
        self.retry_every = retry_every
        self.review_every = review_every
        self._scheduler: BackgroundScheduler | None = None

    # -- the work (callable directly: tests drive it with a manual clock)

    def run_once(self) -> DayReport | None:
        """One run for the day whose send time last passed; None when another process leads."""
        now = self.clock()
        cfg = self.settings.reminders
        as_of = run_date(now, cfg.send_time, cfg.timezone)
        try:
            return self._run(as_of, now)
        except OperationalError as exc:
            # SQLite answers "database is locked" when the leader's run outlasts the busy timeout.
            log.warning("scheduler run for %s not done (database busy: %s); the next run catches up",
                        as_of, str(exc.orig).splitlines()[0] if exc.orig else exc)
            return None

    def _run(self, as_of: date, now: datetime) -> DayReport | None:
        """coibot.lifecycle.run_day in several short transactions, each under the lease.

        Deciding is one transaction; the messages are then enqueued CHUNK at a time, so a large
        day never holds SQLite's write lock for long (intake keeps answering). The run is recorded
        last: if the process dies half-way, the next run decides again and enqueues the rest
        (what was enqueued is recorded and not sent twice).
        """
        started = utcnow()
        with session_scope(self.engine) as session:
            if not try_lease(session, LEASE_NAME, self.holder, now, self.lease):
                log.info("scheduler run for %s skipped: another process holds the lease", as_of)
                return None
            since = last_run(session, as_of)
            lifecycle = run_lifecycle(session, self.settings, as_of, since=since)
            due = due_on(session, self.settings.reminders, as_of, since)
        sent = []
        for i in range(0, len(due), CHUNK):
            with session_scope(self.engine) as session:
                if not try_lease(session, LEASE_NAME, self.holder, self.clock(), self.lease):
                    log.warning("scheduler lost the lease during the run for %s; another process "
                                "finishes it", as_of)
                    return None
                sent += enqueue_due(session, self.settings, due[i:i + CHUNK], as_of, now)
        with session_scope(self.engine) as session:
            if not try_lease(session, LEASE_NAME, self.holder, self.clock(), self.lease):
                return None
            reviewed = notify_needs_review(session, self.settings)
            record_run(session, as_of, started)
        log.info("run for %s: %d expired, %d re-checked, %d due, %d enqueued, %d needs-review posted",
                 as_of.isoformat(), len(lifecycle.expired), len(lifecycle.rechecked), len(due), len(sent),
                 len(reviewed))
        return DayReport(as_of, lifecycle, due, sent, reviewed)

    def review_once(self) -> list[int]:
        """Post new needs-review certificates to staff (leader only)."""
        now = self.clock()
        try:
            with session_scope(self.engine) as session:
                if not try_lease(session, LEASE_NAME, self.holder, now, self.lease):
                    return []
                return notify_needs_review(session, self.settings)
        except OperationalError as exc:
            log.warning("needs-review poll not done (database busy: %s)", exc.orig or exc)
            return []

    # -- APScheduler

    def start(self) -> None:
        """Start the background jobs; the start-up run is the first one."""
        if self._scheduler is not None:
            return
        cfg = self.settings.reminders
        zone = ZoneInfo(cfg.timezone)
        sched = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(1)},  # one run at a time in this process
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
            timezone=zone,
        )
        sched.add_job(self._job, daily_trigger(self.settings), id="daily", name="reminders: daily run")
        retry = IntervalTrigger(seconds=int(self.retry_every.total_seconds()), timezone=zone)
        sched.add_job(self._job, retry, id="retry", name="reminders: hourly catch-up")
        poll = IntervalTrigger(seconds=int(self.review_every.total_seconds()), timezone=zone)
        sched.add_job(self._review_job, poll, id="needs_review", name="needs-review poll")
        # The start-up catch-up: runs as soon as the scheduler starts.
        sched.add_job(self._job, id="startup", name="reminders: start-up catch-up")
        sched.start()
        self._scheduler = sched
        log.info("scheduler started (holder %s): daily at %s %s", self.holder, cfg.send_time, cfg.timezone)

    def shutdown(self, wait: bool = True) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=wait)
            self._scheduler = None
            log.info("scheduler stopped (holder %s)", self.holder)

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    def _job(self) -> None:
        try:
            self.run_once()
        except Exception:
            log.exception("scheduler run failed; the next run catches up")

    def _review_job(self) -> None:
        try:
            self.review_once()
        except Exception:
            log.exception("needs-review poll failed")


def daily_trigger(settings: Settings) -> CronTrigger:
    """The daily trigger at send_time, wall-clock in the configured zone (DST-aware)."""
    cfg = settings.reminders
    return CronTrigger(hour=cfg.send_time.hour, minute=cfg.send_time.minute, second=cfg.send_time.second,
                       timezone=ZoneInfo(cfg.timezone))


def start_scheduler(engine: Engine, settings: Settings, clock: Clock = system_clock) -> ReminderScheduler:
    """What `coibot serve` calls: build, start and return the scheduler (call .shutdown() on exit)."""
    scheduler = ReminderScheduler(engine, settings, clock=clock)
    scheduler.start()
    return scheduler

"""The scheduler with a manual clock on SQLite and PostgreSQL: lease, restarts, two processes, DST."""

from __future__ import annotations

import threading
import time as wall
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from coibot import models as m
from coibot.clock import ManualClock, run_date, send_instant
from coibot.config import Settings
from coibot.db import make_engine
from handlers.scheduler import ReminderScheduler, daily_trigger
from tests.support.lifecycle_world import EXP, OnFile, approved_on_file, outbox_keys

# world and on_file are the fixtures of tests/support/lifecycle_fixtures.py; world is synced from
# the cfg below.
CHICAGO = "America/Chicago"


@pytest.fixture
def cfg(cfg: Settings) -> Settings:
    """The shared settings, sent at 09:00 Chicago time (the DST tests need a zone with DST)."""
    cfg.reminders.timezone = CHICAGO
    cfg.reminders.send_time = time(9, 0)
    return cfg


def at(day: date, hh: int, mm: int = 0) -> datetime:
    """A wall-clock time in Chicago as an aware UTC instant."""
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=ZoneInfo(CHICAGO)).astimezone(UTC)


def _sent_keys(report: object) -> list[str]:
    return [d.key for d in getattr(report, "sent", [])]


def test_one_leader_at_a_time_and_takeover_when_the_lease_expires(world: Engine, cfg: Settings) -> None:
    clock = ManualClock(at(EXP, 10))
    a = ReminderScheduler(world, cfg, clock=clock, holder="a", lease=timedelta(minutes=10))
    b = ReminderScheduler(world, cfg, clock=clock, holder="b", lease=timedelta(minutes=10))
    assert a.run_once() is not None
    assert b.run_once() is None
    assert a.run_once() is not None  # the holder renews
    clock.advance(timedelta(minutes=11))
    assert b.run_once() is not None
    assert a.run_once() is None
    with Session(world) as s:
        lease = s.get(m.Lease, "scheduler")
        assert lease is not None and lease.holder == "b"


def test_a_restart_across_a_due_time_still_sends_it_and_never_early(
    world: Engine, cfg: Settings, on_file: OnFile
) -> None:
    gl = on_file.gl
    due_day = EXP - timedelta(days=60)
    key = f"reminder:{gl}:acme:before_60"
    clock = ManualClock(at(due_day - timedelta(days=1), 10))
    first = ReminderScheduler(world, cfg, clock=clock, holder="first", lease=timedelta(minutes=5))
    assert key not in _sent_keys(first.run_once())
    clock.set(at(due_day, 8, 59))  # start-up before the send time: nothing early
    assert key not in _sent_keys(first.run_once())
    # The process is down at 09:00 and comes back two days later, a new holder.
    clock.set(at(due_day + timedelta(days=2), 7, 0))
    second = ReminderScheduler(world, cfg, clock=clock, holder="second", lease=timedelta(minutes=5))
    assert key in _sent_keys(second.run_once())
    assert outbox_keys(world, f"email:{key}") == [f"email:{key}"]
    clock.advance(timedelta(hours=3))
    assert key not in _sent_keys(second.run_once())


def test_two_schedulers_over_a_simulated_month_send_each_reminder_once(
    world: Engine, cfg: Settings, db_url: str, on_file: OnFile
) -> None:
    clock = ManualClock(at(EXP - timedelta(days=35), 8))
    ticks = [(d, hh) for d in range(31) for hh in (8, 9, 15)]  # before, at, and after the send time
    barrier = threading.Barrier(2)
    sent: dict[str, list[str]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        engine = make_engine(db_url)
        try:
            sched = ReminderScheduler(engine, cfg, clock=clock, holder=name, lease=timedelta(minutes=30))
            for day, hour in ticks:
                barrier.wait(timeout=60)
                if name == "a":
                    clock.set(at(EXP - timedelta(days=35 - day), hour))
                barrier.wait(timeout=60)
                report = sched.run_once()
                sent[name] += _sent_keys(report)
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    both = sent["a"] + sent["b"]
    assert len(both) == len(set(both)), "a reminder was enqueued by both schedulers"
    reminders = sorted(k.split(":")[-1] for k in both if k.startswith("reminder:"))
    # The first run catches up the 60-day milestone it finds past (the certificate came in late).
    assert reminders == sorted(["before_60", "before_30", "before_14", "before_7"] * 3)
    assert sorted(outbox_keys(world, "email:reminder:")) == sorted(
        f"email:{k}" for k in both if k.startswith("reminder:")
    )


def test_concurrent_runs_without_the_lease_still_enqueue_once(
    world: Engine, cfg: Settings, db_url: str, on_file: OnFile
) -> None:
    """The enqueue is idempotent by construction: two leaders at once cannot double-send."""
    from sqlalchemy.exc import OperationalError

    from coibot.db import session_scope
    from coibot.lifecycle import run_day

    barrier = threading.Barrier(2)
    sent: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        engine = make_engine(db_url)
        try:
            barrier.wait(timeout=60)
            for _attempt in range(20):
                try:
                    with session_scope(engine) as s:
                        report = run_day(s, cfg, EXP - timedelta(days=1))
                    sent.extend(d.key for d in report.sent)
                    return
                except OperationalError:  # SQLite: the loser's snapshot is stale; a retry sees the rows
                    wall.sleep(0.05)
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(sent) == len(set(sent)) and len([k for k in sent if k.startswith("reminder:")]) == 3


@pytest.mark.parametrize(
    ("day", "before", "after"),
    [
        (date(2026, 11, 1), at(date(2026, 11, 1), 8, 59), at(date(2026, 11, 1), 9, 0)),  # 25-hour day
        (date(2027, 3, 14), at(date(2027, 3, 14), 8, 59), at(date(2027, 3, 14), 9, 0)),  # 23-hour day
    ],
)
def test_dst_change_days_send_at_nine_local(
    world: Engine, cfg: Settings, day: date, before: datetime, after: datetime
) -> None:
    assert after == send_instant(day, time(9, 0), CHICAGO)
    assert run_date(before, time(9, 0), CHICAGO) == day - timedelta(days=1)
    assert run_date(after, time(9, 0), CHICAGO) == day
    trigger = daily_trigger(cfg)
    fire = trigger.get_next_fire_time(None, at(day - timedelta(days=1), 10))
    assert fire is not None and fire.astimezone(UTC) == after
    follow = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    next_day = send_instant(day + timedelta(days=1), time(9), CHICAGO)
    assert follow is not None and follow.astimezone(UTC) == next_day
    # A policy whose 7-day milestone falls on the change day is sent at 09:00 local, once.
    key = f"reminder:{approved_on_file(world, day + timedelta(days=7)).gl}:acme:before_7"
    clock = ManualClock(before)
    sched = ReminderScheduler(world, cfg, clock=clock, holder="dst")
    assert key not in _sent_keys(sched.run_once())
    clock.set(after)
    assert key in _sent_keys(sched.run_once())
    clock.advance(timedelta(hours=1))
    assert key not in _sent_keys(sched.run_once())


def test_started_scheduler_runs_the_start_up_catch_up_with_jobs_in_memory(
    world: Engine, cfg: Settings, on_file: OnFile
) -> None:
    key = f"email:reminder:{on_file.gl}:acme:before_14"
    sched = ReminderScheduler(world, cfg, clock=ManualClock(at(EXP - timedelta(days=13), 12)), holder="serve")
    sched.start()
    try:
        assert sched._scheduler is not None
        assert {j.id for j in sched._scheduler.get_jobs()} >= {"daily", "retry", "needs_review"}
        assert all(type(s).__name__ == "MemoryJobStore" for s in sched._scheduler._jobstores.values())
        deadline = wall.monotonic() + 30
        while key not in outbox_keys(world, key) and wall.monotonic() < deadline:
            wall.sleep(0.1)
        assert outbox_keys(world, key) == [key]
    finally:
        sched.shutdown()
    assert not sched.running


def test_a_large_day_is_enqueued_in_short_transactions(
    world: Engine, cfg: Settings, on_file: OnFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handlers.scheduler as scheduler_module
    from coibot.lifecycle import last_run

    monkeypatch.setattr(scheduler_module, "CHUNK", 2)
    sched = ReminderScheduler(world, cfg, clock=ManualClock(at(EXP - timedelta(days=7), 10)), holder="one")
    report = sched.run_once()
    assert report is not None
    milestones = [k.split(":")[-1] for k in _sent_keys(report) if k.startswith("reminder:")]
    assert milestones == ["before_7"] * 3
    assert len(outbox_keys(world, "email:reminder:")) == 3
    with Session(world) as s:
        run = last_run(s, EXP - timedelta(days=7))
        assert run is not None and run.as_of == EXP - timedelta(days=7)

"""Time as a dependency: the scheduler and the lifecycle ask a clock, so tests can travel in time."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Returns the current instant as an aware datetime."""

    def __call__(self) -> datetime: ...


def system_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to; thread-safe so two schedulers can share one."""

    def __init__(self, start: datetime) -> None:
        if start.utcoffset() is None:
            raise ValueError("ManualClock needs an aware datetime (with a time zone)")
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        if when.utcoffset() is None:
            raise ValueError("ManualClock needs an aware datetime (with a time zone)")
        with self._lock:
            self._now = when

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now


def run_date(now: datetime, send_time: time, timezone: str) -> date:
    """The day whose send time has most recently passed at `now`, in `timezone`.

    A run at 07:00 with send_time 09:00 decides for yesterday, so a start-up catch-up never
    sends today's messages before the hour the deployment chose. Wall-clock comparison keeps
    this right on DST change days: 09:00 is 09:00 local whether the day has 23 or 25 hours.
    """
    local = now.astimezone(ZoneInfo(timezone))
    today = local.date()
    return today if local.time().replace(tzinfo=None) >= send_time else today - timedelta(days=1)


def send_instant(day: date, send_time: time, timezone: str) -> datetime:
    """The aware instant of `send_time` on `day` in `timezone`.

    A wall time skipped by a spring-forward gap resolves (PEP 495, fold=0) to the same distance
    past the gap: 02:30 on a day that jumps from 02:00 to 03:00 is 03:30.
    """
    return datetime.combine(day, send_time).replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)

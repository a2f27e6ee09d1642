"""Engine and sessions: SQLite (WAL, busy timeout) by default, PostgreSQL by URL, same code."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlmodel import Session, create_engine

from coibot.errors import DatabaseUnavailableError

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Index probes (reminders, status) touch pages all over a large file: map it, cache more pages.
SQLITE_MMAP_BYTES = 256 * 1024 * 1024
SQLITE_CACHE_KIB = 64 * 1024


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    _enable_wal(cur)
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    # FULL: a commit (e.g. the one before SMTP's 250) survives a power cut, not only a crash.
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def _enable_wal(cur: Any) -> None:
    """WAL lets the poller, the sender and the CLI read while one of them writes.

    Turning a new file to WAL needs an exclusive lock and may answer "locked" at once, without
    waiting, when another process opens the same new file (two `db upgrade` at once); once the
    file is in WAL the pragma takes no lock, so a short retry is enough.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, check: bool = True) -> Engine:
    """Create an engine for `url`; with `check`, connect once and raise a clear error if that fails."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailableError(f"database URL {url!r} is not valid: {exc}") from None
    try:
        if is_sqlite(url):
            engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(parsed, pool_pre_ping=True, connect_args=_pg_connect_args(url))
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseUnavailableError(f"no driver for database URL {safe_url(url)}: {exc}") from None
    if check:
        try:
            with engine.connect():
                pass
        except OperationalError as exc:
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DatabaseUnavailableError(f"cannot open database {safe_url(url)}: {reason}") from None
    return engine


def _pg_connect_args(url: str) -> dict[str, Any]:
    return {"connect_timeout": 10} if url.startswith("postgresql") else {}


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

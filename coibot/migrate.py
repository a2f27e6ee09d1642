"""Schema migrations: apply them (one process at a time) and refuse to run on an outdated schema."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from coibot.errors import SchemaOutdatedError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any fixed number: the PostgreSQL advisory lock that serialises concurrent upgrades.
_PG_LOCK_KEY = 0x0C01B07


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise SchemaOutdatedError("coibot ships no migrations; the installation is broken")
    return head


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def _upgrade_lock(engine: Engine) -> Iterator[None]:
    """Hold a lock so that two `db upgrade` at once run one after the other."""
    if engine.dialect.name == "sqlite":
        db = engine.url.database
        if not db or db == ":memory:":
            yield
            return
        with Path(f"{db}.migrate.lock").open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    else:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                conn.commit()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Apply migrations up to `revision`; returns (before, after)."""
    with _upgrade_lock(engine), engine.begin() as conn:
        before = current_revision(conn)
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        after = current_revision(conn)
    log.info("database schema upgraded from %s to %s", before, after)
    return before, after or ""


def require_current_schema(engine: Engine) -> None:
    """Raise SchemaOutdatedError unless the database is at this version's head revision."""
    with engine.connect() as conn:
        current = current_revision(conn)
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaOutdatedError(
            "the database has no coibot schema yet; run `coibot db upgrade` to create it"
        )
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current not in known:
        raise SchemaOutdatedError(
            f"the database schema ({current}) is newer than this coibot knows; upgrade coibot"
        )
    raise SchemaOutdatedError(
        f"the database schema is at {current}, this coibot needs {head}; run `coibot db upgrade`"
    )

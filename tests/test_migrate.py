"""Migrations on SQLite and PostgreSQL; outdated schemas are refused; concurrent upgrades take turns."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from coibot.db import make_engine
from coibot.errors import DatabaseUnavailableError, SchemaOutdatedError
from coibot.migrate import head_revision, require_current_schema, upgrade

TABLES = {"client", "requirement_set_version", "provider", "provider_client", "contact", "document",
          "certificate", "policy", "submission", "inbound_message", "outbox", "reminder_sent", "waiver",
          "audit_log", "lease", "slack_post", "alembic_version"}


def test_upgrade_creates_every_table(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) >= TABLES
    require_current_schema(engine)


def test_outbox_key_and_reminder_milestone_are_unique(engine: Engine) -> None:
    insp = inspect(engine)
    outbox_unique = [set(u["column_names"]) for u in insp.get_unique_constraints("outbox")]
    outbox_unique += [set(i["column_names"]) for i in insp.get_indexes("outbox") if i["unique"]]
    assert {"idempotency_key"} in outbox_unique
    reminder_unique = [set(u["column_names"]) for u in insp.get_unique_constraints("reminder_sent")]
    assert {"policy_id", "client_id", "milestone"} in reminder_unique


def test_empty_database_is_refused_with_the_fix(db_url: str) -> None:
    eng = make_engine(db_url)
    with pytest.raises(SchemaOutdatedError, match="coibot db upgrade"):
        require_current_schema(eng)
    eng.dispose()


def test_older_schema_is_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000old'"))
    with pytest.raises(SchemaOutdatedError, match="newer than this coibot"):
        require_current_schema(engine)


def test_upgrade_is_idempotent(engine: Engine) -> None:
    before, after = upgrade(engine)
    assert before == after == head_revision()


def test_two_upgrades_at_once(db_url: str) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        eng = make_engine(db_url)
        try:
            upgrade(eng)
        except BaseException as exc:
            errors.append(exc)
        finally:
            eng.dispose()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    eng = make_engine(db_url)
    require_current_schema(eng)
    eng.dispose()


def test_unreachable_postgres_is_a_clear_error() -> None:
    with pytest.raises(DatabaseUnavailableError, match="cannot open database") as info:
        make_engine("postgresql+psycopg://coibot:secret@127.0.0.1:1/nowhere")
    assert "secret" not in str(info.value)


def test_sqlite_in_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnavailableError, match="cannot open database"):
        make_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}")


def test_invalid_url() -> None:
    with pytest.raises(DatabaseUnavailableError, match="not valid"):
        make_engine("not a url")


def test_sqlite_uses_wal(sqlite_url: str) -> None:
    eng = make_engine(sqlite_url)
    with eng.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    eng.dispose()

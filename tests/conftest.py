"""Shared fixtures: paths, a real SQLite database and a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import Engine

from coibot.db import make_engine
from coibot.migrate import upgrade
from tests.support import postgres

# The lifecycle and reminder tests' world (cfg, world, on_file); other modules may define their own.
pytest_plugins = ["tests.support.lifecycle_fixtures"]

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Tesseract is 8x slower on two cores without this; every test process inherits it.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def require_peer(available: bool, what: str) -> None:
    """Skip locally when a real peer is missing, but fail in CI: CI must never skip for that."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available", pytrace=False)
    pytest.skip(f"{what} is not available on this machine")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    require_peer(SHARED.is_dir(), f"the shared folder {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def pg_server() -> Iterator[postgres.PgServer]:
    external = os.environ.get("COIBOT_TEST_PG")  # host:port of a server with trust auth for coibot
    if external:
        host, _, port = external.partition(":")
        yield postgres.PgServer(host, int(port or 5432), "coibot", Path("/nonexistent"))
        return
    bin_dir = postgres.find_pg_bin()
    require_peer(bin_dir is not None, "PostgreSQL (initdb/postgres binaries)")
    assert bin_dir is not None
    server, proc = postgres.start(bin_dir)
    try:
        yield server
    finally:
        postgres.stop(server, proc)


@pytest.fixture
def pg_url(pg_server: postgres.PgServer) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = f"host={pg_server.host} port={pg_server.port} user={pg_server.user} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.url(name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'coibot.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same storage test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'coibot.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database (SQLite and PostgreSQL)."""
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()

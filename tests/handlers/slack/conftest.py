"""Fixtures of the Slack tests: the fake Web API, the credentials, a migrated SQLite database, a site."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from coibot.db import make_engine
from coibot.migrate import upgrade
from tests.support.fake_slack import BOT_TOKEN, FakeSlack
from tests.support.slack_site import APPROVERS, OAKMONT_USER, SECRET, STAFF, STRANGER, Site, make_site


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    for uid, name in [(APPROVERS[0], "Avery Approver"), (APPROVERS[1], "Blake Approver"),
                      (STAFF, "Sam Staff"), (OAKMONT_USER, "Olive Oakmont"), (STRANGER, "Stan Ger")]:
        fake.add_user(uid, name)
    yield fake
    fake.stop()


@pytest.fixture
def slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COIBOT_TEST_SLACK_BOT", BOT_TOKEN)
    monkeypatch.setenv("COIBOT_TEST_SLACK_SECRET", SECRET)
    monkeypatch.delenv("COIBOT_TEST_SLACK_APP", raising=False)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'coibot.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def site(sqlite_engine: Engine, tmp_path: Path, fake_slack: FakeSlack, slack_env: None) -> Site:
    return make_site(sqlite_engine, tmp_path, fake_slack)


@pytest.fixture
def any_site(engine: Engine, tmp_path: Path, fake_slack: FakeSlack, slack_env: None) -> Site:
    """The same site on SQLite and on PostgreSQL (for the idempotency cases)."""
    return make_site(engine, tmp_path, fake_slack)

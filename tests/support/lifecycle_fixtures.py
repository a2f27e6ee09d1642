"""Fixtures of the lifecycle and reminder tests (a pytest plugin named in tests/conftest.py).

`cfg` is the example configuration, `world` a migrated database (SQLite and PostgreSQL) synced
from it, `on_file` an approved certificate whose policies expire on EXP. A module that defines a
fixture of the same name (test_workflow's `world`, say) uses its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from coibot.config import Settings
from tests.support.lifecycle_world import OnFile, approved_on_file, settings, sync


@pytest.fixture
def cfg(tmp_path: Path) -> Settings:
    return settings(tmp_path)


@pytest.fixture
def world(engine: Engine, cfg: Settings) -> Engine:
    sync(engine, cfg)
    return engine


@pytest.fixture
def on_file(world: Engine) -> OnFile:
    return approved_on_file(world)

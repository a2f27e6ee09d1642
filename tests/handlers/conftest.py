"""Fixtures for the email channel: a real Dovecot, a real aiosmtpd relay sink, a running coibot."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from coibot.config import Settings
from coibot.db import make_engine
from coibot.migrate import upgrade
from handlers.serve import Listening, Service
from tests.conftest import require_peer
from tests.support import dovecot as dovecot_support
from tests.support.mailsite import TODAY, site_settings, sync
from tests.support.smtp_sink import Sink, start_sink

IMAP_USER = "certificates"
SECOND_USER = "renewals"  # a second mailbox, for several accounts in one process
IMAP_PASSWORD = "imap-secret"
PASSWORD_ENV = "COIBOT_TEST_IMAP_PASSWORD"


@pytest.fixture
def dovecot() -> Iterator[dovecot_support.Dovecot]:
    require_peer(dovecot_support.find_dovecot() is not None, "Dovecot (dovecot-imapd)")
    server = dovecot_support.start({IMAP_USER: IMAP_PASSWORD, SECOND_USER: IMAP_PASSWORD})
    try:
        yield server
    finally:
        dovecot_support.cleanup(server)


@pytest.fixture
def sink() -> Iterator[Sink]:
    s = start_sink()
    try:
        yield s
    finally:
        s.stop()


def mail_settings(tmp: Path, sink: Sink | None, imap: dovecot_support.Dovecot | None,
                  **extra: Any) -> Settings:
    overrides: dict[str, Any] = {
        "outbound": {
            "staff_emails": ["staff@coibot.example"], "from_address": "coibot@coibot.example",
            **({"relay": {"host": sink.host, "port": sink.port, "security": "none"}} if sink else {}),
        },
        "inbound": {
            "smtp": {"host": "127.0.0.1", "port": 0, "accept_recipients": ["certificates@coibot.example"]},
            "imap": ([{"name": "box", "host": imap.host, "port": imap.port, "security": "none",
                       "username": IMAP_USER, "password_env": PASSWORD_ENV}] if imap else []),
        },
    }
    overrides.update(extra)
    return site_settings(tmp, **overrides)


def migrated(settings: Settings) -> Engine:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sync(engine, settings)
    return engine


@dataclass
class Running:
    service: Service
    info: Listening
    stop: Any

    @property
    def smtp(self) -> tuple[str, int]:
        assert self.info.smtp is not None
        return self.info.smtp


def run_service(settings: Settings, engine: Engine) -> Iterator[Running]:
    """Run a coibot Service in a thread with its own event loop; stop it gracefully afterwards."""
    service = Service(settings, engine, today=lambda: TODAY, with_slack=False, with_scheduler=False)
    ready = threading.Event()
    box: dict[str, Any] = {}

    def target() -> None:
        async def main() -> None:
            stop = asyncio.Event()
            box["loop"], box["stop"] = asyncio.get_running_loop(), stop

            def on_ready(info: Listening) -> None:
                box["info"] = info
                ready.set()

            await service.run(stop, ready=on_ready)

        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced by the fixture
            box["error"] = exc
            ready.set()

    thread = threading.Thread(target=target, name="coibot-service")
    thread.start()
    assert ready.wait(30), "the service did not start"
    if "error" in box:
        raise box["error"]
    try:
        yield Running(service, box["info"], box["stop"])
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(60)
        assert not thread.is_alive(), "the service did not stop"
        if "error" in box:
            raise box["error"]


@pytest.fixture
def imap_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, IMAP_PASSWORD)

"""A real aiosmtpd server that captures what coibot sends (the relay in tests)."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.dovecot import free_port


@dataclass
class Captured:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        return str(body.get_content()) if body is not None else ""


@dataclass
class SinkHandler:
    """Captures every message; `fail_next` answers that many DATA commands with 451 first."""

    messages: list[Captured] = field(default_factory=list)
    fail_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return "451 4.3.0 try again later"
            self.messages.append(Captured(envelope.mail_from, list(envelope.rcpt_tos),
                                          bytes(envelope.original_content)))
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Captured]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            raise AssertionError(f"expected {count} message(s) at the sink, got {len(self.messages)}: "
                                 f"{[m.message['Subject'] for m in self.messages]}")

    def replies_to(self, message_id: str) -> list[Captured]:
        with self.lock:
            return [m for m in self.messages if m.message.get("In-Reply-To", "").strip() == message_id]


@dataclass
class Sink:
    handler: SinkHandler
    controller: Controller
    host: str
    port: int

    def stop(self) -> None:
        self.controller.stop()


def start_sink() -> Sink:
    handler = SinkHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return Sink(handler, controller, "127.0.0.1", port)

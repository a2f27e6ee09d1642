"""The SMTP receiver (aiosmtpd): 250 only after the message is durably stored and committed.

Never an open relay: a recipient must be one of `inbound.smtp.accept_recipients` (plus-addressing
allowed: certificates+acme@…), anything else gets 550. Over the size limit: 552, and aiosmtpd
discards the data as it arrives past the limit, so memory stays bounded. An internal failure
while storing answers 451 so the sender retries; the retry is stored once (Message-ID + content).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.engine import Engine

from coibot.config import Settings
from coibot.intake import receive
from coibot.mail.parse import base_address
from coibot.storage import DocumentStore

log = logging.getLogger(__name__)

SOURCE = "smtp"
MAX_RECIPIENTS = 20
COMMAND_TIMEOUT = 60.0  # seconds a client may stay silent between commands or lines


class ReceiverHandler:
    """aiosmtpd handler hooks; `on_received(inbound_id)` queues the stored message for processing."""

    def __init__(self, engine: Engine, settings: Settings, store: DocumentStore,
                 on_received: Callable[[int], None]) -> None:
        self.engine = engine
        self.store = store
        self.accepted = {a.lower() for a in settings.inbound.smtp.accept_recipients}
        self.on_received = on_received

    def serves(self, address: str) -> bool:
        return base_address(address.strip().strip("<>")) in self.accepted

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if not self.serves(address):
            log.info("smtp: refused recipient %r from %s", address, session.peer)
            return "550 5.1.1 Recipient not served here (this server does not relay)"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content
        if not isinstance(raw, bytes | bytearray):
            return "451 4.3.0 Internal error: no message data"
        try:
            received = await asyncio.to_thread(receive, self.engine, self.store, bytes(raw), SOURCE)
        except Exception:
            log.exception("smtp: could not store a message from %s (mail from %s)", session.peer,
                          envelope.mail_from)
            return "451 4.3.0 Temporary failure storing the message; please try again"
        log.info("smtp: stored inbound=%s from=%s size=%d duplicate=%s", received.inbound_id,
                 envelope.mail_from, len(raw), not received.created)
        self.on_received(received.inbound_id)
        return f"250 2.0.0 OK stored as inbound {received.inbound_id}"


class _Smtp(SMTP):
    # RFC 5321 limits: 1000-octet lines; commands of at most 512 octets (aiosmtpd's default).
    line_length_limit = 1001
    command_size_limit = 512


def smtp_factory(
    handler: ReceiverHandler, settings: Settings, hostname: str | None = None
) -> Callable[[], Any]:
    limit = settings.limits.max_attachment_bytes

    def make() -> SMTP:
        return _Smtp(handler, data_size_limit=limit, enable_SMTPUTF8=True, decode_data=False,
                     hostname=hostname or "coibot", ident="coibot SMTP receiver", timeout=COMMAND_TIMEOUT)

    return make


async def start_receiver(handler: ReceiverHandler, settings: Settings) -> asyncio.Server:
    """Listen on the configured host and port (port 0 picks a free one)."""
    cfg = settings.inbound.smtp
    loop = asyncio.get_running_loop()
    server = await loop.create_server(smtp_factory(handler, settings), host=cfg.host, port=cfg.port)
    return server

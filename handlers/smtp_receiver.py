"""The SMTP receiver (aiosmtpd): 250 only after the message is durably stored and committed.

Never an open relay: a recipient must be one of `inbound.smtp.accept_recipients` (plus-addressing
allowed: certificates+acme@…), anything else gets 550. Over the size limit: 552, and aiosmtpd
discards the data as it arrives past the limit, so memory stays bounded. An internal failure
while storing answers 451 so the sender retries; the retry is stored once (Message-ID + content).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Callable
from typing import Any

from aiosmtpd.smtp import MISSING, SMTP, Envelope, Session
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


SPOOL_IN_MEMORY = 1024 * 1024  # DATA beyond this goes to a temporary file while it arrives


class _Smtp(SMTP):
    """aiosmtpd's server with a DATA phase that spools to a temporary file.

    aiosmtpd keeps DATA in memory up to the size limit before refusing it; here at most 1 MB of a
    message is in memory while it arrives, and a message over the limit is discarded as it
    streams in, so a 60 MB mail costs nothing but the time to read it.
    """

    # RFC 5321 limits: 1000-octet lines; commands of at most 512 octets (aiosmtpd's default).
    line_length_limit = 1001
    command_size_limit = 512

    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        if self.envelope is None or not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        limit = self.data_size_limit
        size = lines = 0
        too_much = too_long = False
        peer = self.session.peer if self.session is not None else None
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            in_fragment = False  # inside an over-long line, whose pieces are dropped
            while self.transport is not None:
                try:
                    line = await self._reader.readuntil(b"\r\n")
                except asyncio.LimitOverrunError as exc:
                    # A line longer than the stream limit: drain it in pieces, remember the error.
                    too_long = True
                    line = await self._reader.read(exc.consumed)
                except asyncio.CancelledError:
                    log.info("smtp: connection lost during DATA from %s", peer)
                    self._writer.close()
                    raise
                if not in_fragment and line == b".\r\n":
                    break
                lines += 1
                if lines % 1024 == 0:
                    self._reset_timeout()  # the idle timeout, not a cap on a slow but steady upload
                size += len(line)
                if limit and size > limit:
                    too_much = True
                complete = line.endswith(b"\r\n")
                if not (too_much or too_long or in_fragment):
                    spool.write(line[1:] if line.startswith(b".") else line)  # RFC 5321 4.5.2
                in_fragment = not complete
            if too_much or too_long:
                log.info("smtp: refused DATA from %s: %s (%d bytes)", peer,
                         "over the size limit" if too_much else "line too long", size)
                self._set_post_data_state()  # type: ignore[no-untyped-call]
                await self.push("552 5.3.4 Message too big for this server" if too_much
                                else "500 5.5.2 Line too long (see RFC 5321 4.5.3.1.6)")
                return
            spool.seek(0)
            content = spool.read()
        self.envelope.content = content
        self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()  # type: ignore[no-untyped-call]
        await self.push("250 OK" if status is MISSING else status)


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

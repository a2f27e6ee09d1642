"""Delivers outbox rows: email through the relay (or as .eml files), Slack through a registered callable.

Each attempt is recorded before it is made (status `sending`, attempts + 1, a lease until
`next_attempt_at`), then the row is marked sent. A crash between sending and marking leaves the row
`sending`; once the lease runs out it is tried again with the same Message-ID, so a receiving
system can recognise the repeat. An .eml file is named after the row, so a repeat overwrites it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import smtplib
import ssl
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from coibot import models as m
from coibot.config import Settings
from coibot.db import session_scope
from coibot.mail.compose import ComposeError, build_email
from coibot.models import OutboxStatus
from coibot.outbox import EMAIL, SLACK
from coibot.storage import DocumentStore, atomic_write

log = logging.getLogger(__name__)

SlackDispatch = Callable[[m.Outbox], None]
LEASE = timedelta(minutes=2)  # how long an attempt may take before it counts as uncertain
BASE_BACKOFF = 2.0
MAX_BACKOFF = 3600.0
SMTP_TIMEOUT = 60.0


class DeliveryError(Exception):
    """A delivery failed in a way worth retrying."""


class PermanentDeliveryError(Exception):
    """A delivery can never succeed (no valid recipient, rejected by the relay with 5xx)."""


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(MAX_BACKOFF, BASE_BACKOFF * (2 ** max(0, attempts - 1))))


class OutboxSender:
    """Sends due outbox rows; `run` loops until stopped, `deliver_due` does one pass."""

    def __init__(self, engine: Engine, settings: Settings, store: DocumentStore,
                 slack: SlackDispatch | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.store = store
        self.slack = slack
        self._wake = asyncio.Event()

    def kick(self) -> None:
        """Something was enqueued: look now instead of at the next tick."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.deliver_due)
            except Exception:
                log.exception("outbox pass failed; retrying")
            self._wake.clear()
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            _done, pending = await asyncio.wait(waiters, timeout=interval,
                                                return_when=asyncio.FIRST_COMPLETED)
            for w in pending:
                w.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def channels(self) -> list[str]:
        # Slack rows stay pending until a Slack deliverer is registered.
        return [EMAIL, SLACK] if self.slack is not None else [EMAIL]

    def deliver_due(self, limit: int = 100) -> int:
        """Deliver what is due now; returns how many rows were sent."""
        now = m.utcnow()
        with Session(self.engine) as session:
            ids = session.exec(
                select(m.Outbox.id).where(
                    col(m.Outbox.channel).in_(self.channels()),
                    or_(col(m.Outbox.status) == OutboxStatus.PENDING,
                        col(m.Outbox.status) == OutboxStatus.SENDING),
                    col(m.Outbox.next_attempt_at) <= now,
                ).order_by(col(m.Outbox.next_attempt_at), col(m.Outbox.id)).limit(limit)
            ).all()
        sent = 0
        for oid in ids:
            if oid is not None and self.deliver_one(oid):
                sent += 1
        return sent

    def _claim(self, oid: int) -> m.Outbox | None:
        """Record the attempt before making it; None when another sender got there first."""
        now = m.utcnow()
        with session_scope(self.engine) as session:
            row = session.get(m.Outbox, oid)
            if row is None or row.status not in (OutboxStatus.PENDING, OutboxStatus.SENDING):
                return None
            if _aware(row.next_attempt_at) > now:
                return None
            uncertain = row.status == OutboxStatus.SENDING
            result = session.exec(update(m.Outbox).where(
                col(m.Outbox.id) == oid, col(m.Outbox.status) == row.status,
                col(m.Outbox.attempts) == row.attempts,
            ).values(status=OutboxStatus.SENDING, attempts=row.attempts + 1, next_attempt_at=now + LEASE))
            if result.rowcount != 1:
                return None
            session.refresh(row)
            if uncertain:
                log.warning("outbox %s (%s): the previous attempt's outcome is unknown; sending again "
                            "with the same Message-ID %s", oid, row.idempotency_key, row.message_id)
            return row

    def deliver_one(self, oid: int) -> bool:
        row = self._claim(oid)
        if row is None:
            return False
        try:
            if row.channel == EMAIL:
                self._send_email(row)
            elif row.channel == SLACK and self.slack is not None:
                self.slack(row)
            else:
                raise PermanentDeliveryError(f"no deliverer for channel {row.channel!r}")
        except PermanentDeliveryError as exc:
            self._finish(row, OutboxStatus.FAILED, str(exc))
            log.error("outbox %s key=%s failed permanently: %s", row.id, row.idempotency_key, exc)
            return False
        except Exception as exc:
            final = row.attempts >= self.settings.outbound.max_attempts
            self._finish(row, OutboxStatus.FAILED if final else OutboxStatus.PENDING,
                         f"{type(exc).__name__}: {exc}")
            log.warning("outbox %s key=%s attempt %d failed%s: %s", row.id, row.idempotency_key, row.attempts,
                        " (giving up)" if final else "", exc)
            return False
        self._finish(row, OutboxStatus.SENT, None)
        log.info("outbox %s delivered key=%s channel=%s message_id=%s attempt=%d", row.id,
                 row.idempotency_key, row.channel, row.message_id, row.attempts)
        return True

    def _finish(self, row: m.Outbox, status: OutboxStatus, error: str | None) -> None:
        values: dict[str, Any] = {"status": status, "last_error": error}
        if status == OutboxStatus.SENT:
            values["sent_at"] = m.utcnow()
        elif status == OutboxStatus.PENDING:
            values["next_attempt_at"] = m.utcnow() + backoff(row.attempts)
        with session_scope(self.engine) as session:
            session.exec(update(m.Outbox).where(
                col(m.Outbox.id) == row.id, col(m.Outbox.status) == OutboxStatus.SENDING,
                col(m.Outbox.attempts) == row.attempts).values(**values))

    # -- email

    def _send_email(self, row: m.Outbox) -> None:
        out = self.settings.outbound
        try:
            msg = build_email(row.payload, out.from_address, out.from_name, self.store.get)
        except (ComposeError, OSError, ValueError) as exc:
            raise PermanentDeliveryError(str(exc)) from exc
        if out.relay is None:
            write_eml(self.settings.outbox_dir, row, msg.as_bytes())
            return
        relay = out.relay
        user = os.environ.get(relay.username_env) if relay.username_env else None
        password = os.environ.get(relay.password_env) if relay.password_env else None
        rcpts = [a for a in (row.payload.get("to") or []) + (row.payload.get("cc") or [])]
        try:
            if relay.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(relay.host, relay.port, timeout=SMTP_TIMEOUT,
                                                      context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(relay.host, relay.port, timeout=SMTP_TIMEOUT)
            with smtp:
                if relay.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if user and password:
                    smtp.login(user, password)
                refused = smtp.send_message(msg, from_addr=out.from_address, to_addrs=rcpts)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentDeliveryError(f"every recipient refused: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentDeliveryError(f"relay refused: {exc.smtp_code} {exc.smtp_error!r}") from exc
            raise DeliveryError(f"relay: {exc.smtp_code} {exc.smtp_error!r}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"relay {relay.host}:{relay.port}: {exc}") from exc
        if refused:
            log.warning("outbox %s: relay refused some recipients: %s", row.id, sorted(refused))


def eml_name(row: m.Outbox) -> str:
    digest = hashlib.sha256(row.idempotency_key.encode()).hexdigest()[:12]
    return f"{row.id or 0:06d}-{digest}.eml"


def write_eml(directory: Path, row: m.Outbox, data: bytes) -> Path:
    """Write atomically under a name fixed by the row: a repeat replaces, never duplicates."""
    return atomic_write(directory / eml_name(row), data)


def _aware(value: Any) -> Any:
    # SQLite returns naive datetimes for timezone-aware columns; they were written in UTC.
    from datetime import UTC, datetime

    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value

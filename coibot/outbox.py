"""The outbox: messages to deliver, written in the transaction of the change that causes them.

A key is enqueued at most once (the insert ignores a duplicate key), so a retried transaction, a
replayed Slack request or two scheduler processes cannot send the same message twice. An email
gets its Message-ID here, so a resend after an uncertain attempt carries the same one.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from coibot.models import Outbox, utcnow

log = logging.getLogger(__name__)

EMAIL = "email"
SLACK = "slack"


def message_id_for(key: str, domain: str = "coibot.local") -> str:
    """A stable Message-ID derived from the idempotency key."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def _insert_ignore(session: Session, values: dict[str, Any]) -> bool:
    """Insert an outbox row unless its key exists; True when this call inserted it."""
    dialect = session.get_bind().dialect.name
    table = Outbox.__table__  # type: ignore[attr-defined]
    dialects: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    if dialect not in dialects:
        raise RuntimeError(f"unsupported database dialect {dialect}")
    stmt = dialects[dialect](table).values(**values)
    stmt = stmt.on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(table.c.id)
    # RETURNING yields a row only when this statement inserted; rowcount is unreliable here.
    return session.exec(stmt).first() is not None


def _values(channel: str, key: str, payload: dict[str, Any], message_id: str | None,
            not_before: datetime | None) -> dict[str, Any]:
    return {"channel": channel, "idempotency_key": key, "payload": payload, "status": "pending",
            "attempts": 0, "next_attempt_at": not_before or utcnow(), "message_id": message_id,
            "created_at": utcnow()}


@dataclass(frozen=True)
class Queued:
    """One message for `enqueue_many`."""

    channel: str
    key: str
    payload: dict[str, Any]
    message_id: str | None = None


def enqueue_many(session: Session, messages: Sequence[Queued]) -> set[str]:
    """Add many messages, in order, in multi-row inserts that skip existing keys; the keys added.

    The same rows and the same once-per-key rule as `enqueue`, without a statement and a read-back
    per message (a reminder run enqueues thousands).
    """
    dialect = session.get_bind().dialect.name
    table = Outbox.__table__  # type: ignore[attr-defined]
    dialects: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    if dialect not in dialects:
        raise RuntimeError(f"unsupported database dialect {dialect}")
    # One statement compiled once and executed for all rows: SQLAlchemy sends them as multi-row
    # inserts ("insertmanyvalues") and gathers RETURNING, which names only the rows inserted.
    stmt = (dialects[dialect](table).on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(table.c.idempotency_key))
    rows = [_values(q.channel, q.key, q.payload, q.message_id, None) for q in messages]
    added = {row[0] for row in session.connection().execute(stmt, rows)} if rows else set()
    for q in messages:
        if q.key in added:
            log.info("outbox enqueued %s %s", q.channel, q.key)
        else:
            log.info("outbox key %s already enqueued; not adding it again", q.key)
    return added


def enqueue(session: Session, channel: str, key: str, payload: dict[str, Any],
            *, message_id: str | None = None, not_before: datetime | None = None) -> Outbox | None:
    """Add a message to the outbox; returns the new row, or None when the key was already there."""
    values = _values(channel, key, payload, message_id, not_before)
    if not _insert_ignore(session, values):
        log.info("outbox key %s already enqueued; not adding it again", key)
        return None
    row = session.exec(select(Outbox).where(Outbox.idempotency_key == key)).one()
    log.info("outbox enqueued %s %s", channel, key)
    return row


def enqueue_email(
    session: Session,
    key: str,
    to: Sequence[str],
    subject: str,
    text: str,
    *,
    cc: Sequence[str] = (),
    html: str | None = None,
    attachments: Sequence[dict[str, str]] = (),
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    reply_to: str | None = None,
) -> Outbox | None:
    """Queue an email. `attachments` are {sha256, filename, content_type} of stored documents."""
    q = email_message(key, to, subject, text, cc=cc, html=html, attachments=attachments,
                      in_reply_to=in_reply_to, references=references, reply_to=reply_to)
    return enqueue(session, EMAIL, key, q.payload, message_id=q.message_id)


def email_message(
    key: str,
    to: Sequence[str],
    subject: str,
    text: str,
    *,
    cc: Sequence[str] = (),
    html: str | None = None,
    attachments: Sequence[dict[str, str]] = (),
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    reply_to: str | None = None,
) -> Queued:
    """The outbox message of an email (see `enqueue_email`), for `enqueue_many`."""
    if not to:
        raise ValueError(f"email {key} has no recipient")
    mid = message_id_for(key)
    payload = {"to": list(to), "cc": [c for c in cc if c not in to], "subject": subject, "text": text,
               "html": html, "attachments": list(attachments), "in_reply_to": in_reply_to,
               "references": list(references), "reply_to": reply_to, "message_id": mid}
    return Queued(EMAIL, key, payload, mid)


def slack_message(key: str, kind: str, data: dict[str, Any]) -> Queued:
    """The outbox message of a Slack action (see `enqueue_slack`), for `enqueue_many`."""
    return Queued(SLACK, key, {"kind": kind, **data})


def enqueue_slack(session: Session, key: str, kind: str, data: dict[str, Any]) -> Outbox | None:
    """Queue a Slack action (`kind` tells the Slack sender what to build from `data`)."""
    return enqueue(session, SLACK, key, {"kind": kind, **data})

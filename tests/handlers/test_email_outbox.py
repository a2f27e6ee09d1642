"""The outbox sender: retries with backoff, never a key twice, the same Message-ID after a crash."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from coibot import models as m
from coibot.db import session_scope
from coibot.outbox import enqueue_email, enqueue_slack
from coibot.storage import DocumentStore
from handlers.outbox_sender import OutboxSender, eml_name
from tests.handlers.conftest import mail_settings, migrated
from tests.support.smtp_sink import Sink


def _enqueue(engine: Engine, key: str = "email:test:1") -> int:
    with session_scope(engine) as s:
        row = enqueue_email(s, key, ["office@blueheron.example"], "Hello", "Body text",
                            cc=["broker@agency.example"], in_reply_to="<orig@x>", references=["<orig@x>"])
        assert row is not None and row.id is not None
        return row.id


def _row(engine: Engine, oid: int) -> m.Outbox:
    with Session(engine) as s:
        row = s.get(m.Outbox, oid)
        assert row is not None
        return row


def _due_now(engine: Engine, oid: int) -> None:
    with session_scope(engine) as s:
        s.exec(update(m.Outbox).where(col(m.Outbox.id) == oid)
               .values(next_attempt_at=m.utcnow() - timedelta(seconds=1)))


def test_relay_failure_is_retried_with_backoff_then_sent_once(tmp_path: Path, sink: Sink) -> None:
    settings = mail_settings(tmp_path, sink, None)
    engine = migrated(settings)
    sender = OutboxSender(engine, settings, DocumentStore(settings.documents_dir))
    oid = _enqueue(engine)
    with session_scope(engine) as s:  # a second enqueue of the key adds nothing
        assert enqueue_email(s, "email:test:1", ["x@y.example"], "again", "again") is None
    with Session(engine) as s:
        assert len(s.exec(select(m.Outbox)).all()) == 1
    sink.handler.fail_next = 2
    assert sender.deliver_due() == 0
    first = _row(engine, oid)
    assert (first.status, first.attempts) == ("pending", 1) and "451" in (first.last_error or "")
    delay = first.next_attempt_at.replace(tzinfo=None) - m.utcnow().replace(tzinfo=None)
    assert timedelta(seconds=1) < delay <= timedelta(seconds=2)
    assert sender.deliver_due() == 0  # not due yet
    _due_now(engine, oid)
    assert sender.deliver_due() == 0
    second = _row(engine, oid)
    delay = second.next_attempt_at.replace(tzinfo=None) - m.utcnow().replace(tzinfo=None)
    assert second.attempts == 2 and timedelta(seconds=3) < delay <= timedelta(seconds=4)
    _due_now(engine, oid)
    assert sender.deliver_due() == 1
    assert sender.deliver_due() == 0
    (got,) = sink.handler.wait_for(1)
    assert sorted(got.rcpt_tos) == ["broker@agency.example", "office@blueheron.example"]
    assert got.message["Message-ID"] == _row(engine, oid).message_id
    assert _row(engine, oid).status == "sent"
    engine.dispose()


def test_uncertain_attempt_is_resent_with_the_same_message_id(tmp_path: Path, sink: Sink) -> None:
    settings = mail_settings(tmp_path, sink, None)
    engine = migrated(settings)
    sender = OutboxSender(engine, settings, DocumentStore(settings.documents_dir))
    oid = _enqueue(engine)
    # A sender recorded its attempt and sent, then died before marking the row sent.
    claimed = sender._claim(oid)
    assert claimed is not None and claimed.status == "sending" and claimed.attempts == 1
    sender._send_email(claimed)
    assert sender.deliver_due() == 0  # within the attempt's lease nobody touches it
    _due_now(engine, oid)
    assert sender.deliver_due() == 1
    first, second = sink.handler.wait_for(2)
    assert first.message["Message-ID"] == second.message["Message-ID"] == claimed.message_id
    assert (_row(engine, oid).status, _row(engine, oid).attempts) == ("sent", 2)
    engine.dispose()


def test_eml_files_without_relay_and_slack_rows_left_pending(tmp_path: Path) -> None:
    settings = mail_settings(tmp_path, None, None)
    engine = migrated(settings)
    sender = OutboxSender(engine, settings, DocumentStore(settings.documents_dir))
    oid = _enqueue(engine)
    with session_scope(engine) as s:
        enqueue_slack(s, "slack:test:1", "approval_request", {"submission_id": 1})
    assert sender.deliver_due() == 1
    row = _row(engine, oid)
    path = settings.outbox_dir / eml_name(row)
    first = path.read_bytes()
    assert b"In-Reply-To: <orig@x>" in first and f"Message-ID: {row.message_id}".encode() in first
    # A resend after an uncertain attempt replaces the file: still one file for the key.
    with session_scope(engine) as s:
        s.exec(update(m.Outbox).where(col(m.Outbox.id) == oid)
               .values(status="sending", next_attempt_at=m.utcnow() - timedelta(seconds=1)))
    assert sender.deliver_due() == 1
    assert [p.name for p in settings.outbox_dir.glob("*.eml")] == [path.name]
    with Session(engine) as s:
        slack = s.exec(select(m.Outbox).where(m.Outbox.channel == "slack")).one()
    assert slack.status == "pending" and slack.attempts == 0
    delivered: list[int] = []
    sender.slack = lambda r: delivered.append(r.id or 0)
    assert sender.deliver_due() == 1 and delivered == [slack.id]
    engine.dispose()

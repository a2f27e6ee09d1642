"""The IMAP poller against a real Dovecot: fetch with PEEK, move after commit, UIDVALIDITY, drops."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from coibot import models as m
from coibot.intake import Processor, default_extractor, receive
from coibot.storage import DocumentStore
from handlers.imap_poller import ImapPoller
from handlers.outbox_sender import OutboxSender
from tests.handlers.conftest import IMAP_USER, SECOND_USER, mail_settings, migrated, run_service
from tests.support.dovecot import Dovecot
from tests.support.mailsite import FILLABLE, SCAN, TEXT_BAD, TEXT_OK, TODAY, certificate_mail
from tests.support.smtp_sink import Sink
from tests.support.tcp_proxy import TcpProxy

P = "Parkside Property Holdings, LLC"
PROCESSED = "coibot/processed"


def wait_until(cond: Callable[[], bool], timeout: float = 40.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def rows(engine: Engine, model: type) -> list:  # type: ignore[type-arg]
    with Session(engine) as s:
        return list(s.exec(select(model)).all())


@pytest.mark.usefixtures("imap_env")
def test_appended_certificates_answered_and_moved_even_when_seen(
    tmp_path: Path, dovecot: Dovecot, sink: Sink
) -> None:
    settings = mail_settings(tmp_path, sink, dovecot)
    second = settings.inbound.imap[0].model_copy(update={"name": "second", "username": SECOND_USER})
    settings.inbound.imap.append(second)
    engine = migrated(settings)
    fillable = certificate_mail("office@quarryhill.example", [FILLABLE], message_id="<i3@x>")
    dovecot.append(SECOND_USER, fillable)
    # Another mail client already read one of them: \Seen must not hide it.
    dovecot.append(IMAP_USER, certificate_mail("office@blueheron.example", [TEXT_OK], message_id="<i1@x>"),
                   flags=(b"\\Seen",))
    for _ in run_service(settings, engine):
        dovecot.append(IMAP_USER, certificate_mail("office@oakmont.example", [TEXT_BAD], message_id="<i2@x>"))
        replies = sink.handler.wait_for(3)
        wait_until(lambda: dovecot.uids(IMAP_USER) == [] == dovecot.uids(SECOND_USER), what="empty INBOXes")
    assert len(dovecot.uids(IMAP_USER, PROCESSED)) == 2 and len(dovecot.uids(SECOND_USER, PROCESSED)) == 1
    by_irt = {r.message["In-Reply-To"]: r for r in replies}
    ok = by_irt["<i1@x>"].text.splitlines()
    assert f"{P}, current requirements: COMPLIANT" in ok
    bad = by_irt["<i2@x>"].text.splitlines()
    assert bad[bad.index(f"{P}, current requirements: DEFICIENT") + 1:][:2] == [
        f'  1. The certificate holder name is "Crescent Logistics Partners"; {P} requires "{P}".',
        f"  2. General liability policy 61CGL649891 is written on a claims-made basis; {P} requires "
        "occurrence.",
    ]
    inbound = rows(engine, m.InboundMessage)
    assert sorted((r.source, r.status) for r in inbound) == [("imap:box", "processed")] * 2 + [
        ("imap:second", "processed")]
    assert all(r.uidvalidity and r.uid for r in inbound)
    engine.dispose()


@pytest.mark.usefixtures("imap_env")
def test_scanned_certificate_reply_lists_every_gap(tmp_path: Path, dovecot: Dovecot, sink: Sink) -> None:
    settings = mail_settings(tmp_path, sink, dovecot)
    engine = migrated(settings)
    dovecot.append(IMAP_USER, certificate_mail("office@granitestate.example", [SCAN], message_id="<scan@x>"))
    for _ in run_service(settings, engine):
        (reply,) = sink.handler.wait_for(1, timeout=90)
    lines = reply.text.splitlines()
    subs = sorted(rows(engine, m.Submission), key=lambda s: s.id)
    assert len(subs) == 2  # current and 2027
    title = next(i for i, ln in enumerate(lines) if ln.startswith("== scan-granite-state.pdf"))
    assert title < lines.index(
        f"{P}, current requirements: {subs[0].check_status.replace('_', ' ').upper()}")
    # Every gap the checker found is itemised, in order, under its set.
    for sub in subs:
        header = next(i for i, ln in enumerate(lines) if ln.startswith(f"{P}, ") and
                      ("current" in ln) == (sub.report["requirement_set"] == "current"))
        items = [ln for ln in lines[header + 1:] if re.match(r"  \d+\. ", ln)][:len(sub.gaps or [])]
        assert items == [f"  {i}. {g['message']}" for i, g in enumerate(sub.gaps or [], start=1)]
    engine.dispose()


@pytest.mark.usefixtures("imap_env")
def test_two_pollers_on_one_mailbox_answer_each_message_once(
    tmp_path: Path, dovecot: Dovecot, sink: Sink
) -> None:
    settings = mail_settings(tmp_path, sink, dovecot)
    engine = migrated(settings)
    store = DocumentStore(settings.documents_dir)
    processor = Processor(engine, settings, store, today=lambda: TODAY)
    for i, cert in enumerate([TEXT_OK, TEXT_BAD, FILLABLE]):
        sender = ["office@blueheron.example", "office@oakmont.example", "office@quarryhill.example"][i]
        dovecot.append(IMAP_USER, certificate_mail(sender, [cert], message_id=f"<two{i}@x>"))
    stop = threading.Event()
    # One waits in IDLE, the other polls as it would on a server without IDLE.
    idle_account = settings.inbound.imap[0]
    polling_account = idle_account.model_copy(update={"idle": False, "poll_interval_seconds": 5})
    pollers = [ImapPoller(acc, engine, store, processor, stop) for acc in (idle_account, polling_account)]
    threads = [threading.Thread(target=p.run) for p in pollers]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: dovecot.uids(IMAP_USER) == [], timeout=60, what="INBOX to be empty")
        renewal = certificate_mail("office@blueheron.example", [TEXT_OK], message_id="<two3@x>",
                                   subject="renewal")
        dovecot.append(IMAP_USER, renewal)
        wait_until(lambda: dovecot.uids(IMAP_USER) == [], timeout=60, what="the fourth message")
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert all(p.connections >= 1 for p in pollers)
    assert len(dovecot.uids(IMAP_USER, PROCESSED)) == 4
    assert len(rows(engine, m.InboundMessage)) == 4
    assert len(rows(engine, m.Submission)) == 8
    sender = OutboxSender(engine, settings, store)
    sender.deliver_due()
    sender.deliver_due()
    replies = sink.handler.wait_for(4)
    time.sleep(0.3)
    assert sorted(r.message["In-Reply-To"] for r in sink.handler.messages) == [
        "<two0@x>", "<two1@x>", "<two2@x>", "<two3@x>"]
    assert len(replies) == 4
    engine.dispose()


@pytest.mark.usefixtures("imap_env")
def test_uidvalidity_change_neither_reprocesses_nor_skips(
    tmp_path: Path, dovecot: Dovecot, sink: Sink
) -> None:
    settings = mail_settings(tmp_path, sink, dovecot)
    engine = migrated(settings)
    store = DocumentStore(settings.documents_dir)
    processor = Processor(engine, settings, store, today=lambda: TODAY)
    dovecot.append(IMAP_USER, certificate_mail("office@blueheron.example", [TEXT_OK], message_id="<old@x>"))
    # A poller committed this message and its reply, then died before moving it.
    old_validity = dovecot.uidvalidity(IMAP_USER)
    with dovecot.client(IMAP_USER) as c:
        c.select_folder("INBOX")
        (uid,) = c.search(["ALL"])
        raw = c.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
    rec = receive(engine, store, raw, "imap:box", uidvalidity=old_validity, uid=uid)
    processor.process(rec.inbound_id)
    dovecot.reset_uidvalidity(IMAP_USER)
    assert dovecot.uidvalidity(IMAP_USER) != old_validity
    dovecot.append(IMAP_USER, certificate_mail("office@oakmont.example", [TEXT_BAD], message_id="<new@x>"))
    for _ in run_service(settings, engine):
        sink.handler.wait_for(2)
        wait_until(lambda: dovecot.uids(IMAP_USER) == [], what="INBOX to be empty")
        time.sleep(1.0)  # anything sent twice would have arrived by now
    assert sorted(r.message["In-Reply-To"] for r in sink.handler.messages) == ["<new@x>", "<old@x>"]
    inbound = rows(engine, m.InboundMessage)
    assert len(inbound) == 2 and {r.status for r in inbound} == {"processed"}
    assert len(rows(engine, m.Submission)) == 4
    engine.dispose()


@pytest.fixture
def proxy(dovecot: Dovecot) -> Iterator[TcpProxy]:
    p = TcpProxy(dovecot.host, dovecot.port)
    try:
        yield p
    finally:
        p.close()


@pytest.mark.usefixtures("imap_env")
def test_dropped_connection_during_idle_reconnects_and_catches_up(
    tmp_path: Path, dovecot: Dovecot, sink: Sink, proxy: TcpProxy
) -> None:
    settings = mail_settings(tmp_path, sink, dovecot)
    settings.inbound.imap[0].port = proxy.port
    engine = migrated(settings)
    for _ in run_service(settings, engine):
        wait_until(lambda: proxy.accepted == 1, what="the poller to connect")
        time.sleep(1.0)  # in IDLE by now
        proxy.drop_all()
        raw = certificate_mail("office@blueheron.example", [TEXT_OK], message_id="<drop@x>")
        dovecot.append(IMAP_USER, raw)
        (reply,) = sink.handler.wait_for(1, timeout=60)
        wait_until(lambda: dovecot.uids(IMAP_USER) == [], what="INBOX to be empty")
    assert proxy.accepted >= 2
    assert reply.message["In-Reply-To"] == "<drop@x>"
    engine.dispose()


class _Broken(Exception):
    pass


@pytest.mark.usefixtures("imap_env")
def test_message_that_keeps_failing_goes_to_the_failed_folder_with_the_reason(
    tmp_path: Path, dovecot: Dovecot, sink: Sink
) -> None:
    settings = mail_settings(tmp_path, sink, dovecot)
    engine = migrated(settings)
    store = DocumentStore(settings.documents_dir)

    def extractor(path: Path, limits: object) -> list[dict[str, object]]:
        raise _Broken("the reader crashed")

    processor = Processor(engine, settings, store, extractor, today=lambda: TODAY)
    dovecot.append(IMAP_USER, certificate_mail("office@blueheron.example", [TEXT_OK], message_id="<f@x>"))
    stop = threading.Event()
    poller = ImapPoller(settings.inbound.imap[0], engine, store, processor, stop)
    poller.retry_seconds = 0.2
    thread = threading.Thread(target=poller.run)
    thread.start()
    try:
        wait_until(lambda: dovecot.uids(IMAP_USER, "coibot/failed") != [], what="the failed folder")
    finally:
        stop.set()
        thread.join(30)
    assert dovecot.uids(IMAP_USER) == []
    (row,) = rows(engine, m.InboundMessage)
    assert (row.status, row.attempts) == ("failed", 3) and "the reader crashed" in (row.error or "")
    # Nothing half-done went to the sender; staff were told.
    assert [o.idempotency_key for o in rows(engine, m.Outbox)] == [f"email:staff_failed:{row.id}"]
    engine.dispose()


@pytest.mark.usefixtures("imap_env")
def test_mail_arriving_while_busy_is_taken_without_waiting_for_the_next_idle_event(
    tmp_path: Path, dovecot: Dovecot, sink: Sink
) -> None:
    settings = mail_settings(tmp_path, sink, dovecot)
    engine = migrated(settings)
    store = DocumentStore(settings.documents_dir)
    real = default_extractor()
    second = certificate_mail("office@oakmont.example", [TEXT_BAD], message_id="<busy2@x>")

    def extractor(path: Path, limits: Any) -> list[dict[str, Any]]:
        if not dovecot.uids(IMAP_USER) or len(dovecot.uids(IMAP_USER)) == 1:
            # The second message lands while the first is being read: its EXISTS reaches the
            # poller during this batch's commands, not during the IDLE that follows.
            dovecot.append(IMAP_USER, second)
        return real(path, limits)

    processor = Processor(engine, settings, store, extractor, today=lambda: TODAY)
    dovecot.append(IMAP_USER, certificate_mail("office@blueheron.example", [TEXT_OK], message_id="<busy1@x>"))
    stop = threading.Event()
    poller = ImapPoller(settings.inbound.imap[0], engine, store, processor, stop)
    thread = threading.Thread(target=poller.run)
    thread.start()
    try:
        wait_until(lambda: len(rows(engine, m.InboundMessage)) == 2 and dovecot.uids(IMAP_USER) == [],
                   timeout=20, what="the second message")
    finally:
        stop.set()
        thread.join(30)
    assert {r.message_id for r in rows(engine, m.InboundMessage)} == {"<busy1@x>", "<busy2@x>"}
    engine.dispose()

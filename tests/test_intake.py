"""Intake: store once, process once, reply once (real SQLite/PostgreSQL, the real reader)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from coibot import models as m
from coibot.db import make_engine
from coibot.intake import Processor, default_extractor, receive
from coibot.migrate import upgrade
from coibot.models import InboundStatus
from coibot.storage import DocumentStore
from tests.support.mailsite import TEXT_BAD, TEXT_OK, TODAY, certificate_mail, site_settings, sync

P = "Parkside Property Holdings, LLC"
DEFICIENT_REPLY = f"""Hello Oakmont Data Cabling Inc.,

Thank you for your certificate of insurance. Here is what we found.

== deficient-oakmont.pdf (insured: Oakmont Data Cabling Inc.) ==

{P}, current requirements: DEFICIENT
  1. The certificate holder name is "Crescent Logistics Partners"; {P} requires "{P}".
  2. General liability policy 61CGL649891 is written on a claims-made basis; {P} requires occurrence.
  Next: kept as a draft; {P} has not seen it yet.

{P}, requirements from January 1, 2027: DEFICIENT
  1. The certificate holder name is "Crescent Logistics Partners"; {P} requires "{P}".
  2. General liability each occurrence is $500,000; {P} requires at least $1,000,000.
     required $1,000,000, your certificate shows $500,000
  3. General liability general aggregate is $1,500,000; {P} requires at least $2,000,000.
     required $2,000,000, your certificate shows $1,500,000
  4. General liability policy 61CGL649891 is written on a claims-made basis; {P} requires occurrence.
  (These requirements apply from 2027-01-01; please make sure your renewal meets them.)

A certificate naming each of these clients as certificate holder is needed:
  - {P}

What you can do:
  - Ask your broker for a corrected certificate and send it to certificates@coibot.example, or
  - reply to this message with the single word SEND to submit this certificate anyway;
    the client will see the gaps listed above.

-- coibot
"""


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Engine]:
    """SQLite only: the cases that do not depend on the database (both run the claim races)."""
    eng = make_engine(f"sqlite:///{tmp_path / 'lite.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def site(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Processor, DocumentStore]:
    engine: Engine = request.getfixturevalue("engine" if "engine" in request.fixturenames else "lite")
    settings = site_settings(tmp_path)
    sync(engine, settings)
    store = DocumentStore(tmp_path / "docs")
    return Processor(engine, settings, store, default_extractor(), today=lambda: TODAY), store


def _outbox(engine: Engine) -> list[m.Outbox]:
    with Session(engine) as s:
        return list(s.exec(select(m.Outbox).where(m.Outbox.channel == "email").order_by(m.Outbox.id)).all())


def test_receive_is_idempotent_by_message_id_and_content(
    engine: Engine, site: tuple[Processor, DocumentStore]
) -> None:
    _, store = site
    raw = certificate_mail("office@blueheron.example", [TEXT_OK], message_id="<a1@x>")
    first = receive(engine, store, raw, "smtp")
    again = receive(engine, store, raw, "smtp")
    assert first.created and not again.created and first.inbound_id == again.inbound_id
    other = receive(engine, store, raw.replace(b"Please find", b"Please see"), "smtp")
    assert other.created and other.inbound_id != first.inbound_id
    with Session(engine) as s:
        row = s.get(m.InboundMessage, first.inbound_id)
        assert row is not None and row.raw_path and Path(row.raw_path).read_bytes() == raw


def test_imap_key_is_uidvalidity_and_uid(lite: Engine, site: tuple[Processor, DocumentStore]) -> None:
    _, store = site
    raw = certificate_mail("office@blueheron.example", [], message_id="<b1@x>")
    a = receive(lite, store, raw, "imap:box", uidvalidity=7, uid=1)
    b = receive(lite, store, raw, "imap:box", uidvalidity=7, uid=1)
    # The same message under a new UIDVALIDITY is recognised by Message-ID + content.
    c = receive(lite, store, raw, "imap:box", uidvalidity=8, uid=1)
    assert a.created and not b.created and not c.created and a.inbound_id == c.inbound_id


def test_compliant_text_certificate_goes_pending_and_reply_itemises(
    lite: Engine, site: tuple[Processor, DocumentStore]
) -> None:
    proc, store = site
    raw = certificate_mail("Office <OFFICE@BlueHeron.example>", [TEXT_OK], message_id="<c1@x>")
    rec = receive(lite, store, raw, "smtp")
    out = proc.process(rec.inbound_id)
    assert out.status == InboundStatus.PROCESSED and out.clients == ["parkside"] and out.replied
    assert proc.process(rec.inbound_id).skipped
    with Session(lite) as s:
        subs = s.exec(select(m.Submission).order_by(m.Submission.id)).all()
    assert [(x.status, x.check_status) for x in subs] == [("pending", "compliant")] * 2
    (reply,) = _outbox(lite)
    p = reply.payload
    assert p["to"] == ["office@blueheron.example"] and p["cc"] == ["fschneider@northgateinsurance.com"]
    assert p["subject"] == "Re: Certificate of insurance" and p["in_reply_to"] == "<c1@x>"
    lines = p["text"].splitlines()
    assert "== compliant-blue-heron.pdf (insured: Blue Heron Electrical Contractors, Inc.) ==" in lines
    i = lines.index("Parkside Property Holdings, LLC, current requirements: COMPLIANT")
    assert lines[i + 1:i + 3] == ["  Your certificate meets every requirement.",
                                  "  Next: sent to Parkside Property Holdings, LLC for approval."]
    assert "Parkside Property Holdings, LLC, requirements from January 1, 2027: COMPLIANT" in lines
    assert "SEND" not in p["text"]


def test_deficient_certificate_is_a_draft_and_reply_explains_send(
    lite: Engine, site: tuple[Processor, DocumentStore]
) -> None:
    proc, store = site
    rec = receive(lite, store, certificate_mail("office@oakmont.example", [TEXT_BAD]), "smtp")
    out = proc.process(rec.inbound_id)
    assert out.clients == ["parkside"]
    with Session(lite) as s:
        subs = s.exec(select(m.Submission)).all()
    assert {x.status for x in subs} == {"draft"}
    text = _outbox(lite)[0].payload["text"]
    assert text.splitlines() == DEFICIENT_REPLY.splitlines()


def test_send_flow_submits_the_current_draft(lite: Engine, site: tuple[Processor, DocumentStore]) -> None:
    proc, store = site
    rec = receive(lite, store, certificate_mail("office@oakmont.example", [TEXT_BAD],
                                                  message_id="<d1@x>"), "smtp")
    proc.process(rec.inbound_id)
    reply = _outbox(lite)[0]
    send = certificate_mail("office@oakmont.example", [], subject="Re: Certificate of insurance",
                            text="SEND\n\n> quoted reply", message_id="<d2@x>")
    threading_headers = f"In-Reply-To: {reply.message_id}\nReferences: <d1@x> {reply.message_id}\n"
    send = send.replace(b"Subject:", threading_headers.encode() + b"Subject:", 1)
    out = proc.process(receive(lite, store, send, "smtp").inbound_id)
    assert out.clients == ["parkside"] and len(out.submissions) == 1
    with Session(lite) as s:
        subs = {x.id: x for x in s.exec(select(m.Submission)).all()}
        approval = s.exec(select(m.Outbox).where(m.Outbox.channel == "slack")).all()
    assert subs[out.submissions[0]].status == "pending"
    assert [a.idempotency_key for a in approval] == [f"slack:approval_request:{out.submissions[0]}"]
    confirm = _outbox(lite)[-1].payload
    assert confirm["in_reply_to"] == "<d2@x>" and "submitted for approval" in confirm["text"]
    # A second SEND finds nothing left to submit.
    again = send.replace(b"<d2@x>", b"<d3@x>")
    assert proc.process(receive(lite, store, again, "smtp").inbound_id).submissions == []


def test_unknown_sender_is_asked_and_staff_told_then_processed_when_known(
    lite: Engine, site: tuple[Processor, DocumentStore], tmp_path: Path
) -> None:
    proc, store = site
    rec = receive(lite, store, certificate_mail("new@stranger.example", [TEXT_OK]), "smtp")
    out = proc.process(rec.inbound_id)
    assert out.status == InboundStatus.AWAITING_SENDER
    keys = [o.idempotency_key for o in _outbox(lite)]
    assert keys == [f"email:unknown_sender:{rec.inbound_id}", f"email:staff_unknown_sender:{rec.inbound_id}"]
    assert "Which company are you writing for" in _outbox(lite)[0].payload["text"]
    # Staff add the address; the stored certificate is then checked.
    raw = proc.settings.model_dump(mode="json")
    raw["providers"][0]["contacts"].append({"email": "new@stranger.example"})
    from tests.support.mailsite import site_settings as again

    settings = again(tmp_path, providers=raw["providers"])
    sync(lite, settings)
    proc.settings = settings
    assert proc.resume_awaiting() == [rec.inbound_id]
    done = proc.process(rec.inbound_id)
    assert done.status == InboundStatus.PROCESSED and done.clients == ["parkside"]
    # Now the provider gets the itemised reply, once.
    replies = [o for o in _outbox(lite) if o.idempotency_key.startswith("email:reply:")]
    assert len(replies) == 1 and "current requirements: COMPLIANT" in replies[0].payload["text"]


def test_no_certificate_gets_a_short_reply(lite: Engine, site: tuple[Processor, DocumentStore]) -> None:
    proc, store = site
    rec = receive(lite, store, certificate_mail("office@blueheron.example", [], subject="hello"), "smtp")
    proc.process(rec.inbound_id)
    (reply,) = _outbox(lite)
    assert "found no certificate of insurance" in reply.payload["text"]


def test_two_workers_process_once(engine: Engine, site: tuple[Processor, DocumentStore]) -> None:
    proc, store = site
    rec = receive(engine, store, certificate_mail("office@blueheron.example", [TEXT_OK]), "smtp")
    results = []
    threads = [threading.Thread(target=lambda: results.append(proc.process(rec.inbound_id)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Session(engine) as s:
        assert len(s.exec(select(m.Submission)).all()) == 2
    assert len(_outbox(engine)) == 1


def test_one_certificate_checked_for_every_client_of_the_provider(
    lite: Engine, tmp_path: Path
) -> None:
    raw = site_settings(tmp_path).model_dump(mode="json", exclude={"source"})
    harbor = dict(raw["clients"][0], id="harbor", name="Harbor View Towers LLC")
    harbor["requirement_sets"] = [dict(rs, certificate_holder={"name": "Harbor View Towers LLC"})
                                  for rs in harbor["requirement_sets"]]
    providers = raw["providers"]
    providers[1]["clients"] = ["parkside", "harbor"]
    settings = site_settings(tmp_path, clients=[*raw["clients"], harbor], providers=providers)
    sync(lite, settings)
    store = DocumentStore(tmp_path / "docs")
    proc = Processor(lite, settings, store, default_extractor(), today=lambda: TODAY)
    rec = receive(lite, store, certificate_mail("office@oakmont.example", [TEXT_BAD]), "smtp")
    out = proc.process(rec.inbound_id)
    assert out.clients == ["harbor", "parkside"]
    with Session(lite) as s:
        assert len(s.exec(select(m.Certificate)).all()) == 1  # read once, its policies reused
        assert len(s.exec(select(m.Submission)).all()) == 4
    lines = _outbox(lite)[0].payload["text"].splitlines()
    assert "Harbor View Towers LLC, current requirements: DEFICIENT" in lines
    assert "Parkside Property Holdings, LLC, current requirements: DEFICIENT" in lines
    i = lines.index("A certificate naming each of these clients as certificate holder is needed:")
    assert lines[i + 1:i + 3] == ["  - Harbor View Towers LLC", "  - Parkside Property Holdings, LLC"]


def test_unreadable_attachment_is_named_in_the_reply(lite: Engine, site: tuple[Processor, DocumentStore],
                                                     tmp_path: Path) -> None:
    proc, store = site
    bogus = tmp_path / "certificate.pdf"
    bogus.write_bytes(b"%PDF-1.4\n this is not really a PDF \n%%EOF\n")
    rec = receive(lite, store, certificate_mail("office@blueheron.example", [bogus]), "smtp")
    out = proc.process(rec.inbound_id)
    assert out.status == InboundStatus.PROCESSED and out.submissions == []
    lines = _outbox(lite)[0].payload["text"].splitlines()
    i = lines.index("== certificate.pdf ==")
    assert lines[i + 1].startswith("We could not read this file: ")


def test_html_reply_escapes_what_came_from_the_certificate() -> None:
    from coibot.render import render

    cert = {"file": "<script>x</script>.pdf", "insured": "A & B", "holder": None, "clients": [],
            "warnings": []}
    context = {"provider_name": "<b>Evil</b>", "certificates": [cert], "unread": [], "holder_needed": [],
               "any_draft": False, "address": "c@x"}
    html = render("email/reply.html.j2", **context)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;Evil" in html
    assert "A &amp; B" in html


def test_a_message_whose_attempts_never_finish_is_set_aside(
    lite: Engine, site: tuple[Processor, DocumentStore]
) -> None:
    proc, store = site
    rec = receive(lite, store, certificate_mail("office@blueheron.example", [TEXT_OK]), "smtp")
    with Session(lite) as s:
        row = s.get(m.InboundMessage, rec.inbound_id)
        assert row is not None
        row.attempts = 3  # three processes died while reading it
        s.add(row)
        s.commit()
    out = proc.process(rec.inbound_id)
    assert out.status == InboundStatus.FAILED
    with Session(lite) as s:
        row = s.get(m.InboundMessage, rec.inbound_id)
        assert row is not None and row.status == "failed" and "gave up after 3 attempts" in (row.error or "")
    assert [o.idempotency_key for o in _outbox(lite)] == [f"email:staff_failed:{rec.inbound_id}"]

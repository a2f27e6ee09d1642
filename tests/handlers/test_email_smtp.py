"""The SMTP receiver end to end: smtplib → aiosmtpd receiver → intake → reply at a real relay sink."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from coibot import models as m
from coibot.intake import reply_message_id
from tests.handlers.conftest import Running, mail_settings, migrated, run_service
from tests.support.mailsite import FILLABLE, TEXT_BAD, TEXT_OK, certificate_mail
from tests.support.smtp_sink import Sink

P = "Parkside Property Holdings, LLC"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest) -> str | None:
    """None for the default SQLite file, else a fresh PostgreSQL database."""
    return None if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))


@pytest.fixture
def running(tmp_path: Path, sink: Sink, request: pytest.FixtureRequest) -> Iterator[Running]:
    url = request.getfixturevalue("any_db") if "any_db" in request.fixturenames else None
    settings = mail_settings(tmp_path, sink, None, **({"storage": {"database_url": url}} if url else {}))
    engine = migrated(settings)
    yield from run_service(settings, engine)
    engine.dispose()


def send(running: Running, raw: bytes, to: str = "certificates@coibot.example",
         sender: str = "office@blueheron.example") -> tuple[int, bytes]:
    host, port = running.smtp
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        smtp.ehlo()
        code, resp = smtp.mail(sender)
        assert code == 250, resp
        code, resp = smtp.rcpt(to)
        if code != 250:
            return code, resp
        return smtp.data(raw)


def inbound_rows(running: Running) -> list[m.InboundMessage]:
    with Session(running.service.engine) as s:
        return list(s.exec(select(m.InboundMessage).order_by(m.InboundMessage.id)).all())


@pytest.mark.usefixtures("any_db")
def test_text_certificate_answered_with_itemised_reply(running: Running, sink: Sink) -> None:
    raw = certificate_mail("Blue Heron <office@blueheron.example>", [TEXT_OK], message_id="<t1@bh.example>",
                           subject="COI for Parkside")
    code, resp = send(running, raw)
    assert code == 250 and b"stored as inbound" in resp, resp
    (reply,) = sink.handler.wait_for(1)
    msg = reply.message
    assert sorted(reply.rcpt_tos) == ["fschneider@northgateinsurance.com", "office@blueheron.example"]
    assert msg["Subject"] == "Re: COI for Parkside" and msg["In-Reply-To"] == "<t1@bh.example>"
    assert msg["References"] == "<t1@bh.example>" and msg["Cc"] == "fschneider@northgateinsurance.com"
    assert msg["Message-ID"] == reply_message_id(inbound_rows(running)[0].id or 0)
    assert reply.text.splitlines() == f"""Hello Blue Heron Electrical Contractors, Inc.,

Thank you for your certificate of insurance. Here is what we found.

== compliant-blue-heron.pdf (insured: Blue Heron Electrical Contractors, Inc.) ==

{P}, current requirements: COMPLIANT
  Your certificate meets every requirement.
  Next: sent to {P} for approval.

{P}, requirements from January 1, 2027: COMPLIANT
  Your certificate meets every requirement.
  (These requirements apply from 2027-01-01; please make sure your renewal meets them.)

-- coibot
""".splitlines()
    html = msg.get_body(preferencelist=("html",))
    assert html is not None and "<strong>" in html.get_content()


def test_fillable_certificate_by_plus_address(running: Running, sink: Sink) -> None:
    raw = certificate_mail("office@quarryhill.example", [FILLABLE], to="certificates+parkside@coibot.example")
    code, _ = send(running, raw, to="Certificates+Parkside@coibot.example",
                   sender="office@quarryhill.example")
    assert code == 250
    (reply,) = sink.handler.wait_for(1)
    lines = reply.text.splitlines()
    assert "== fillable-quarry-hill.pdf (insured: Quarry Hill Roofing LLC) ==" in lines
    i = lines.index(f"{P}, current requirements: COMPLIANT")
    assert lines[i + 1:i + 3] == ["  Your certificate meets every requirement.",
                                  f"  Next: sent to {P} for approval."]
    j = lines.index(f"{P}, requirements from January 1, 2027: DEFICIENT")
    assert lines[j + 1:j + 5] == [
        f"  1. General liability each occurrence is $500,000; {P} requires at least $1,000,000.",
        "     required $1,000,000, your certificate shows $500,000",
        f"  2. General liability general aggregate is $1,000,000; {P} requires at least $2,000,000.",
        "     required $2,000,000, your certificate shows $1,000,000",
    ]


def test_never_an_open_relay(running: Running, sink: Sink) -> None:
    raw = certificate_mail("office@blueheron.example", [TEXT_OK])
    for rcpt in ("victim@elsewhere.example", "certificates@coibot.example.evil", "postmaster@coibot.example"):
        code, _ = send(running, raw, to=rcpt)
        assert code == 550, rcpt
    assert inbound_rows(running) == []


@pytest.mark.usefixtures("any_db")
def test_retry_of_the_same_message_is_stored_once_and_answered_once(running: Running, sink: Sink) -> None:
    raw = certificate_mail("office@oakmont.example", [TEXT_BAD], message_id="<retry@oak.example>")
    assert send(running, raw, sender="office@oakmont.example")[0] == 250
    assert send(running, raw, sender="office@oakmont.example")[0] == 250  # e.g. our 250 was lost
    sink.handler.wait_for(1)
    assert len(inbound_rows(running)) == 1
    with Session(running.service.engine) as s:
        assert len(s.exec(select(m.Outbox).where(m.Outbox.channel == "email")).all()) == 1


def test_internal_failure_answers_451_and_the_retry_is_stored(
    running: Running, sink: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = running.service.store
    real_put = store.put
    calls = {"n": 0}

    def failing_put(data: bytes) -> tuple[str, Path]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError(28, "No space left on device")
        return real_put(data)

    monkeypatch.setattr(store, "put", failing_put)
    raw = certificate_mail("office@blueheron.example", [TEXT_OK], message_id="<disk@bh.example>")
    code, resp = send(running, raw)
    assert code == 451, resp
    assert inbound_rows(running) == []
    assert send(running, raw)[0] == 250
    sink.handler.wait_for(1)
    assert len(inbound_rows(running)) == 1


def test_unknown_sender_is_asked_and_staff_notified(running: Running, sink: Sink) -> None:
    raw = certificate_mail("Someone <someone@unknown.example>", [TEXT_OK], message_id="<u1@unknown.example>")
    assert send(running, raw, sender="someone@unknown.example")[0] == 250
    got = sink.handler.wait_for(2)
    by_rcpt = {tuple(c.rcpt_tos): c for c in got}
    ask = by_rcpt[("someone@unknown.example",)]
    staff = by_rcpt[("staff@coibot.example",)]
    assert ask.message["In-Reply-To"] == "<u1@unknown.example>"
    assert "Which company are you writing for" in ask.text
    assert "From:     someone@unknown.example (Someone)" in staff.text.splitlines()
    assert inbound_rows(running)[0].status == "awaiting_sender"


def test_header_injection_in_subject_and_name_creates_no_header(running: Running, sink: Sink) -> None:
    # An encoded word that decodes to CR LF, and a display name with a CR LF in it.
    raw = (b"From: =?utf-8?q?Eve=0D=0ABcc=3A_victim=40evil=2Eexample?= <office@blueheron.example>\r\n"
           b"To: certificates@coibot.example\r\n"
           b"Subject: =?utf-8?q?hello=0D=0ABcc=3A_victim2=40evil=2Eexample=0D=0A=0D=0Abody?=\r\n"
           b"Message-ID: <inject@bh.example>\r\n"
           b"\r\nno attachment here\r\n")
    assert send(running, raw)[0] == 250
    (reply,) = sink.handler.wait_for(1)
    assert reply.rcpt_tos == ["office@blueheron.example"]
    head = reply.raw.split(b"\r\n\r\n", 1)[0].decode()
    assert "victim" not in head.replace("Subject: Re: hello Bcc: victim2@evil.example body", "")
    assert reply.message["Bcc"] is None
    assert reply.message["Subject"] == "Re: hello Bcc: victim2@evil.example body"
    assert "found no certificate of insurance" in reply.text


def test_malformed_mime_is_kept_and_answered(running: Running, sink: Sink) -> None:
    raw = (b"From: office@blueheron.example\r\nTo: certificates@coibot.example\r\n"
           b"Subject: broken\r\nMessage-ID: <broken@bh.example>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"never-closed\"\r\n\r\n"
           b"--never-closed\r\nContent-Type: application/pdf; name=\"cert.pdf\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n%%%not base64 at all%%%\r\n"
           b"--wrong-boundary--\r\n")
    assert send(running, raw)[0] == 250
    (reply,) = sink.handler.wait_for(1)
    assert reply.message["In-Reply-To"] == "<broken@bh.example>"
    rows = inbound_rows(running)
    assert len(rows) == 1 and rows[0].status == "processed" and rows[0].raw_path
    assert Path(rows[0].raw_path).read_bytes() == raw


def test_send_flow_by_email(running: Running, sink: Sink) -> None:
    raw = certificate_mail("office@oakmont.example", [TEXT_BAD], message_id="<s1@oak.example>")
    assert send(running, raw, sender="office@oakmont.example")[0] == 250
    (first,) = sink.handler.wait_for(1)
    assert "reply to this message with the single word SEND" in first.text
    our_id = first.message["Message-ID"]
    answer = (f"From: office@oakmont.example\r\nTo: certificates@coibot.example\r\n"
              f"Subject: Re: Certificate of insurance\r\nMessage-ID: <s2@oak.example>\r\n"
              f"In-Reply-To: {our_id}\r\nReferences: <s1@oak.example> {our_id}\r\n\r\n"
              f"send\r\n\r\nOn Monday coibot wrote:\r\n> ...\r\n").encode()
    assert send(running, answer, sender="office@oakmont.example")[0] == 250
    confirm = sink.handler.wait_for(2)[1]
    assert confirm.message["In-Reply-To"] == "<s2@oak.example>"
    lines = confirm.text.splitlines()
    assert f"  {P}: it will see 2 gap(s):" in lines
    with Session(running.service.engine) as s:
        subs = s.exec(select(m.Submission).order_by(m.Submission.id)).all()
        slack = s.exec(select(m.Outbox).where(m.Outbox.channel == "slack")).all()
    # The current set's draft is submitted; the 2027 verdict stays advice.
    assert [x.status for x in subs] == ["pending", "draft"]
    assert [r.idempotency_key for r in slack] == [f"slack:approval_request:{subs[0].id}"]
    assert slack[0].status == "pending"  # no Slack configured: left for the Slack sender

"""Message parsing: attachments by type and name, encoded names, forwards, TNEF, hostile input."""

from __future__ import annotations

import base64
import struct
from email.message import EmailMessage
from email.policy import SMTP

from coibot.mail.compose import build_email
from coibot.mail.parse import parse_message, plus_tag, safe_filename, subject_line
from tests.support.mailsite import SCAN, TEXT_OK

PDF = TEXT_OK.read_bytes()


def _mail(**headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = headers.get("From", "Office <Office@BlueHeron.example>")
    msg["To"] = headers.get("To", "certificates+parkside@coibot.example")
    msg["Subject"] = headers.get("Subject", "COI")
    msg["Message-ID"] = headers.get("Message-ID", "<m1@x>")
    msg.set_content("see attached")
    return msg


def test_pdf_by_type_and_octet_stream_by_name_and_by_magic() -> None:
    msg = _mail()
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="a.pdf")
    msg.add_attachment(PDF + b"2", maintype="application", subtype="octet-stream", filename="B.PDF")
    msg.add_attachment(PDF + b"3", maintype="application", subtype="octet-stream", filename="noext")
    msg.add_attachment(b"just text", maintype="application", subtype="octet-stream", filename="notes.bin")
    msg.add_attachment(SCAN.read_bytes(), maintype="image", subtype="png", filename="photo.png")
    got = parse_message(msg.as_bytes(policy=SMTP), "smtp")
    assert [(a.filename, a.content_type) for a in got.attachments] == [
        ("a.pdf", "application/pdf"), ("B.PDF", "application/pdf"), ("noext", "application/pdf"),
        ("photo.png", "application/pdf")]  # the bytes decide: this "png" is a PDF scan
    assert got.sender == "office@blueheron.example" and got.sender_name == "Office"
    assert got.recipients == ["certificates+parkside@coibot.example"]
    assert plus_tag(got.recipients[0]) == "parkside"


def test_rfc2231_and_rfc2047_names_and_no_paths() -> None:
    b64 = base64.encodebytes
    encoded_name = b"=?utf-8?b?" + base64.b64encode("Zürich COI.pdf".encode()) + b"?="
    raw = (b"From: a@b.example\r\nTo: c@d.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=BB\r\n\r\n--BB\r\n"
           b"Content-Type: application/pdf\r\nContent-Disposition: attachment; "
           b"filename*=UTF-8''Certificat%20d%27assurance%20%C3%A9t%C3%A9.pdf\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(PDF) + b"\r\n--BB\r\n"
           b"Content-Type: application/pdf; name=\"" + encoded_name + b"\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(PDF + b"x") + b"\r\n--BB\r\n"
           b"Content-Type: application/pdf\r\n"
           b"Content-Disposition: attachment; filename=\"../../etc/passwd.pdf\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(PDF + b"y") + b"\r\n--BB--\r\n")
    names = [a.filename for a in parse_message(raw, "smtp").attachments]
    assert names == ["Certificat d'assurance été.pdf", "Zürich COI.pdf", "passwd.pdf"]
    assert safe_filename("..\\..\\win\\evil.pdf", "x") == "evil.pdf"
    assert safe_filename("\x00\n.pdf", "fallback.pdf") == "pdf"
    assert safe_filename("", "fallback.pdf") == "fallback.pdf"


def test_inline_pdf_and_nested_forwards() -> None:
    inner = _mail(From="broker@agency.example", Subject="COI", **{"Message-ID": "<in@x>"})
    inner.add_attachment(PDF, maintype="application", subtype="pdf", filename="inner.pdf")
    middle = _mail(Subject="Fwd: COI", **{"Message-ID": "<mid@x>"})
    middle.add_attachment(inner, filename="forwarded.eml")
    outer = _mail(Subject="Fwd: Fwd: COI")
    outer.add_attachment(middle)
    inline = EmailMessage()
    inline.set_content(PDF + b"inline", maintype="application", subtype="pdf", disposition="inline",
                       filename="inline.pdf")
    outer.attach(inline)
    got = parse_message(outer.as_bytes(policy=SMTP), "smtp")
    assert sorted(a.filename for a in got.attachments) == ["inline.pdf", "inner.pdf"]
    assert got.sender == "office@blueheron.example"  # the forwarder, not the original author


def _tnef(filename: bytes, data: bytes) -> bytes:
    def obj(level: int, name: int, kind: int, payload: bytes) -> bytes:
        return (struct.pack("<BHHI", level, name, kind, len(payload)) + payload
                + struct.pack("<H", sum(payload) & 0xFFFF))

    return (struct.pack("<IH", 0x223E9F78, 1)
            + obj(2, 0x9002, 0x0006, b"\x00" * 14)  # attRenddata starts an attachment
            + obj(2, 0x8010, 0x0001, filename + b"\x00")  # attAttachTitle
            + obj(2, 0x800F, 0x0006, data))  # attAttachData


def test_outlook_winmail_dat_is_unpacked() -> None:
    msg = _mail()
    msg.add_attachment(_tnef(b"COI 2026.pdf", PDF), maintype="application", subtype="ms-tnef",
                       filename="winmail.dat")
    got = parse_message(msg.as_bytes(policy=SMTP), "smtp")
    assert [(a.filename, a.content_type, a.data == PDF) for a in got.attachments] == [
        ("COI 2026.pdf", "application/pdf", True)]
    broken = _mail()
    broken.add_attachment(b"not tnef at all", maintype="application", subtype="ms-tnef",
                          filename="winmail.dat")
    bad = parse_message(broken.as_bytes(policy=SMTP), "smtp")
    assert bad.attachments == [] and "BadTNEF" in bad.defects


def test_malformed_mime_never_raises() -> None:
    for raw in (b"", b"\x00\xff" * 100, b"Content-Type: multipart/mixed\r\n\r\n--x\r\n",
                b"From: <<<@@@>>>\r\nTo: ,,,\r\nContent-Type: text/plain; charset=klingon\r\n\r\n\xff\xfe",
                b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!"):
        got = parse_message(raw, "smtp")
        assert got.attachments == [] or all(a.data for a in got.attachments)
        assert got.sender is None or "@" in got.sender


def test_reply_headers_cannot_be_injected() -> None:
    payload = {"to": ["office@blueheron.example\r\nBcc: victim@evil.example"], "cc": ["ok@broker.example"],
               "subject": "Re: hi\r\nBcc: victim@evil.example", "text": "body",
               "in_reply_to": "<a@b>\r\nX-Evil: 1", "references": ["<a@b>", "bad\r\nX-Evil: 2"],
               "message_id": "<k@coibot.local>"}
    msg = build_email(payload, "coibot@coibot.example", "coibot\r\nX-Evil: 3")
    raw = msg.as_bytes(policy=SMTP)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in head and b"X-Evil" not in head.replace(b"X-Evil: 3", b"")
    assert msg["To"] is None or "victim" not in str(msg["To"])
    assert msg["Subject"] == "Re: hi Bcc: victim@evil.example"
    assert msg["In-Reply-To"] is None and msg["References"] == "<a@b>"


def test_subject_line_adds_one_re() -> None:
    got = parse_message(_mail(Subject="RE: Fwd: re: COI 2026").as_bytes(policy=SMTP), "smtp")
    assert subject_line(got) == "Re: COI 2026"

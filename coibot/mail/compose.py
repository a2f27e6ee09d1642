"""Outgoing email built from an outbox payload, with every header value sanitised.

Subjects, names and addresses that came from incoming mail pass through here; a CR or LF in them
must never start a new header, so each value is reduced to one line and addresses are re-parsed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

from coibot.mail.parse import clean_header_text

_ADDR = re.compile(r"[^@\s<>,;\"()\[\]\\]+@[^@\s<>,;\"()\[\]\\]+")


class ComposeError(ValueError):
    """An outbox payload cannot become an email (no usable recipient)."""


def clean_address(value: str) -> str | None:
    """One bare address, or None when the value is not exactly one address."""
    _name, addr = parseaddr(clean_header_text(value))
    addr = addr.strip()
    return addr if _ADDR.fullmatch(addr) else None


def _addresses(values: Sequence[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        a = clean_address(v)
        if a and a.lower() not in (o.lower() for o in out):
            out.append(a)
    return out


def _msgid(value: Any) -> str | None:
    m = re.fullmatch(r"<[^<>\s]{1,250}>", clean_header_text(value))
    return m.group(0) if m else None


def build_email(
    payload: dict[str, Any],
    from_address: str,
    from_name: str,
    load_attachment: Callable[[str], bytes] | None = None,
) -> EmailMessage:
    """The EmailMessage for an outbox email payload (see coibot.outbox.enqueue_email)."""
    to = _addresses(payload.get("to") or [])
    cc = [a for a in _addresses(payload.get("cc") or []) if a.lower() not in {t.lower() for t in to}]
    if not to:
        raise ComposeError("no valid recipient")
    msg = EmailMessage()
    sender = clean_address(from_address) or "coibot@localhost"
    local, _, domain = sender.partition("@")
    msg["From"] = Address(display_name=clean_header_text(from_name, 78), username=local, domain=domain)
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    reply_to = clean_address(payload.get("reply_to") or "")
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = clean_header_text(payload.get("subject") or "", 250)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    mid = _msgid(payload.get("message_id"))
    if mid:
        msg["Message-ID"] = mid
    irt = _msgid(payload.get("in_reply_to"))
    if irt:
        msg["In-Reply-To"] = irt
    refs = [r for r in (_msgid(x) for x in payload.get("references") or []) if r]
    if refs:
        msg["References"] = " ".join(refs[-20:])
    # Replies are automatic: RFC 3834 keeps auto-responders from answering them back.
    msg["Auto-Submitted"] = "auto-replied" if irt else "auto-generated"
    msg.set_content(str(payload.get("text") or ""))
    html = payload.get("html")
    if html:
        msg.add_alternative(str(html), subtype="html")
    for att in payload.get("attachments") or []:
        if load_attachment is None:
            break
        data = load_attachment(str(att["sha256"]))
        ctype = str(att.get("content_type") or "application/octet-stream")
        maintype, _, subtype = ctype.partition("/")
        name = clean_header_text(att.get("filename") or "certificate.pdf", 120).replace("/", "_")
        msg.add_attachment(data, maintype=maintype or "application", subtype=subtype or "octet-stream",
                           filename=name)
    return msg

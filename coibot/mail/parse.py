"""Raw message bytes → `Inbound`: sender, recipients, subject and the certificate attachments.

Attachments are found by content type and by file name, inside forwarded messages and Outlook
TNEF (winmail.dat) containers. File names are decoded (RFC 2047 / RFC 2231) for display only and
reduced to a safe base name: they never become a path.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from typing import Any

from coibot.extract.sniff import sniff_mime

log = logging.getLogger(__name__)

# Forwards nested deeper than this are not unpacked (a hostile mail could nest thousands).
MAX_DEPTH = 8
MAX_PARTS = 500
_PDF_TYPES = {"application/pdf", "application/x-pdf", "application/acrobat", "applications/vnd.pdf"}
_IMAGE_TYPES = {"image/png", "image/jpeg", "image/jpg", "image/pjpeg", "image/tiff", "image/tif"}
_GENERIC_TYPES = {"application/octet-stream", "application/binary", "application/x-download",
                  "application/force-download", "binary/octet-stream", "application/unknown"}
_EXT_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg",
              ".jpeg": "image/jpeg", ".tif": "image/tiff", ".tiff": "image/tiff"}
_TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}


@dataclass(frozen=True)
class Attachment:
    """One candidate certificate file; `filename` is a safe base name, never a path."""

    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Inbound:
    """A received message as the core sees it, whatever the channel."""

    source: str
    message_id: str | None
    sender: str | None
    sender_name: str | None
    recipients: list[str]
    subject: str
    attachments: list[Attachment] = field(default_factory=list)
    text: str = ""
    references: list[str] = field(default_factory=list)
    raw_sha256: str = ""
    defects: list[str] = field(default_factory=list)
    auto_submitted: bool = False

    @property
    def sender_domain(self) -> str | None:
        return self.sender.rpartition("@")[2] if self.sender and "@" in self.sender else None


def safe_filename(name: str | None, fallback: str) -> str:
    """A display-only base name: no directories, no control characters, bounded length."""
    if not name:
        return fallback
    name = unicodedata.normalize("NFC", str(name))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".").strip()
    if not name:
        return fallback
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 110] + dot + ext[:8]) if dot and len(ext) <= 8 else name[:120]
    return name


def clean_header_text(value: Any, limit: int = 998) -> str:
    """Header text as one line: CR, LF and other control characters become spaces."""
    text = str(value or "")
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    return re.sub(r"\s+", " ", text).strip()[:limit]


def _address(value: Any) -> tuple[str | None, str | None]:
    """(lower-cased address, display name) of a From-like header; None when unusable."""
    text = clean_header_text(value)
    name, addr = parseaddr(text)
    addr = addr.strip().lower()
    if not re.fullmatch(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+", addr):
        return None, clean_header_text(name) or None
    return addr, clean_header_text(name) or None


def _addresses(values: list[Any]) -> list[str]:
    out: list[str] = []
    for _name, addr in getaddresses([clean_header_text(v) for v in values]):
        addr = addr.strip().lower()
        if re.fullmatch(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+", addr) and addr not in out:
            out.append(addr)
    return out


def _message_id(value: Any) -> str | None:
    text = clean_header_text(value, 500)
    m = re.search(r"<[^<>\s]+>", text)
    if m:
        return m.group(0)
    return f"<{text}>" if text and " " not in text else None


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding must not lose the rest of the mail
        log.warning("undecodable part %s", part.get_content_type())
        return b""
    return data if isinstance(data, bytes) else b""


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # malformed RFC 2231 parameters
        name = None
    if not name:
        raw = part.get_param("name")
        if isinstance(raw, tuple):
            name = str(raw[2])
        elif raw:
            name = str(raw)
    if name and "=?" in name:
        try:
            from email.header import decode_header, make_header

            name = str(make_header(decode_header(name)))
        except Exception:  # leave an undecodable encoded word as it is
            log.debug("undecodable file name %r", name)
    return name


def _candidate_type(part: Message, filename: str | None) -> str | None:
    """The content type a part would be read as, or None when it is not a certificate candidate."""
    ctype = part.get_content_type().lower()
    ext = ""
    if filename and "." in filename:
        ext = "." + filename.rsplit(".", 1)[-1].lower().strip()
    if ctype in _PDF_TYPES:
        return "application/pdf"
    if ctype in _IMAGE_TYPES:
        return "image/tiff" if "tif" in ctype else ("image/png" if ctype == "image/png" else "image/jpeg")
    if ext in _EXT_TYPES and (ctype in _GENERIC_TYPES or not ctype.startswith("text/")):
        return _EXT_TYPES[ext]
    return None


class _Walker:
    def __init__(self) -> None:
        self.attachments: list[Attachment] = []
        self.text_parts: list[str] = []
        self.parts = 0
        self.defects: list[str] = []

    def add(self, filename: str | None, ctype: str, data: bytes) -> None:
        if not data:
            return
        sniffed = sniff_mime(data)
        if sniffed is None and ctype == "application/pdf":
            # Named .pdf but not a PDF: keep it, the reader will say it cannot read it.
            log.info("attachment %r is labelled PDF but has no PDF header", filename)
        n = len(self.attachments) + 1
        ext = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg",
               "image/tiff": ".tif"}.get(sniffed or ctype, ".bin")
        safe = safe_filename(filename, f"attachment-{n}{ext}")
        if any(a.sha256 == hashlib.sha256(data).hexdigest() for a in self.attachments):
            return
        self.attachments.append(Attachment(safe, sniffed or ctype, data))

    def walk(self, msg: Message, depth: int) -> None:
        for defect in getattr(msg, "defects", []) or []:
            self.defects.append(type(defect).__name__)
        if depth > MAX_DEPTH:
            self.defects.append("NestingTooDeep")
            return
        for part in msg.walk():
            self.parts += 1
            if self.parts > MAX_PARTS:
                self.defects.append("TooManyParts")
                return
            if part is not msg and part.get_content_type() == "message/rfc822":
                for inner in part.get_payload() or []:
                    if isinstance(inner, Message):
                        self.walk(inner, depth + 1)
                continue
            if part.is_multipart():
                continue
            self._leaf(part)

    def _leaf(self, part: Message) -> None:
        ctype = part.get_content_type().lower()
        filename = _filename(part)
        if ctype in _TNEF_TYPES or (filename or "").lower() == "winmail.dat":
            self._tnef(_payload(part))
            return
        kind = _candidate_type(part, filename)
        if kind is not None:
            self.add(filename, kind, _payload(part))
            return
        if ctype in _GENERIC_TYPES:
            data = _payload(part)
            sniffed = sniff_mime(data)
            if sniffed:
                self.add(filename, sniffed, data)
            return
        if ctype == "text/plain" and part.get_content_disposition() != "attachment":
            try:
                content = part.get_content() if isinstance(part, EmailMessage) else _payload(part).decode()
            except Exception:  # an unknown charset: fall back to a lossy decode
                content = _payload(part).decode("utf-8", "replace")
            self.text_parts.append(str(content))

    def _tnef(self, data: bytes) -> None:
        if not data:
            return
        try:
            from tnefparse import TNEF

            tnef = TNEF(data)
        except Exception as exc:  # tnefparse raises assorted errors on bad input
            log.warning("winmail.dat could not be unpacked: %s", exc)
            self.defects.append("BadTNEF")
            return
        for att in getattr(tnef, "attachments", []) or []:
            name = None
            try:
                name = att.long_filename() or att.name
            except Exception:
                name = getattr(att, "name", None)
            if isinstance(name, bytes):
                name = name.decode("latin-1", "replace")
            payload = getattr(att, "data", b"") or b""
            if isinstance(payload, str):
                payload = payload.encode("latin-1", "replace")
            name = str(name).rstrip("\x00") if name else None
            sniffed = sniff_mime(payload)
            ext = "." + name.rsplit(".", 1)[-1].lower() if name and "." in name else ""
            if sniffed or ext in _EXT_TYPES:
                self.add(name, sniffed or _EXT_TYPES[ext], payload)


def parse_message(raw: bytes, source: str) -> Inbound:
    """Parse raw RFC 5322 bytes; never raises for malformed MIME (the defects are listed)."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    walker = _Walker()
    try:
        walker.walk(msg, 0)
    except Exception as exc:  # keep what was found; the reply says what was missing
        log.warning("malformed MIME in message from %s: %s", source, exc)
        walker.defects.append(f"ParseError:{type(exc).__name__}")
    sender, name = _safe_get_address(msg, "From")
    if sender is None:
        sender, name = _safe_get_address(msg, "Sender")
    recipients = _addresses(_safe_all(msg, "To") + _safe_all(msg, "Cc") + _safe_all(msg, "Delivered-To"))
    refs_text = " ".join(clean_header_text(v) for v in _safe_all(msg, "References"))
    references = re.findall(r"<[^<>\s]+>", refs_text)[-20:]
    auto = clean_header_text(_safe_get(msg, "Auto-Submitted")).lower()
    precedence = clean_header_text(_safe_get(msg, "Precedence")).lower()
    return Inbound(
        source=source,
        message_id=_message_id(_safe_get(msg, "Message-ID")),
        sender=sender,
        sender_name=name,
        recipients=recipients,
        subject=clean_header_text(_safe_get(msg, "Subject"), 300),
        attachments=walker.attachments,
        text="\n".join(walker.text_parts)[:20_000],
        references=references,
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        defects=sorted(set(walker.defects)),
        auto_submitted=(auto not in ("", "no")) or precedence in ("bulk", "junk", "list"),
    )


def _safe_get(msg: Message, name: str) -> Any:
    try:
        return msg.get(name)
    except Exception:  # the header registry raises on some malformed headers
        return None


def _safe_all(msg: Message, name: str) -> list[Any]:
    try:
        return list(msg.get_all(name) or [])
    except Exception:
        return []


def _raw_header(msg: Message, name: str) -> str | None:
    """The header as received (encoded words still encoded), for values the registry refuses."""
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _decoded(text: str) -> str:
    from email.header import decode_header, make_header

    try:
        return str(make_header(decode_header(text)))
    except Exception:  # a broken encoded word: keep the text as it came
        return text


def _safe_get_address(msg: Message, name: str) -> tuple[str | None, str | None]:
    value = _safe_get(msg, name)
    if value is None:
        raw = _raw_header(msg, name)
        if raw is None:
            return None, None
        # The registry refuses e.g. a display name that decodes to CR LF; the address itself is
        # still plain ASCII in the raw header, so take it from there and clean the name.
        display, addr = parseaddr(clean_header_text(raw))
        address, _ = _address(addr)
        return address, clean_header_text(_decoded(display), 200) or None
    addresses = getattr(value, "addresses", None)
    if addresses:
        first = addresses[0]
        if isinstance(first, Address) and first.addr_spec and "@" in first.addr_spec:
            spec, _ = _address(first.addr_spec)
            if spec is not None:
                return spec, clean_header_text(first.display_name, 200) or None
    return _address(value)


def subject_line(inbound: Inbound) -> str:
    """The reply subject: `Re: <original>` once, however many Re:/Fwd: it already has."""
    base = re.sub(r"^(\s*(re|aw|sv|fwd?|tr)\s*:\s*)+", "", inbound.subject, flags=re.IGNORECASE).strip()
    return f"Re: {base}" if base else "Re: your certificate of insurance"


def plus_tag(address: str) -> str | None:
    """`certificates+acme@x` → `acme`."""
    local = address.partition("@")[0]
    if "+" not in local:
        return None
    tag = local.split("+", 1)[1].strip().lower()
    return tag or None


def base_address(address: str) -> str:
    """`certificates+acme@x` → `certificates@x` (lower case)."""
    local, _, domain = address.lower().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"

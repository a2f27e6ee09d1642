"""File type by magic bytes, never by name: a `.pdf` that is a zip is not a PDF."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from coibot.errors import ExtractionError
from coibot.limits import Limits

log = logging.getLogger(__name__)

Kind = Literal["pdf", "png", "jpeg", "tiff", "unknown"]

# A PDF header may follow a little junk (some mailers prepend bytes); readers accept it within 1 KiB.
_PDF_WINDOW = 1024


def sniff_bytes(head: bytes) -> Kind:
    """The kind of a file from its first bytes."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"Rar!", b"7z\xbc\xaf")):
        return "unknown"  # an archive, even one holding a PDF near its start
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "tiff"
    if b"%PDF-" in head[:_PDF_WINDOW]:
        return "pdf"
    return "unknown"


MIME_TYPES: dict[Kind, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "tiff": "image/tiff",
}


def sniff_mime(head: bytes) -> str | None:
    """The MIME type of a certificate candidate from its first bytes, or None when it is none."""
    return MIME_TYPES.get(sniff_bytes(head))


def sniff(path: Path) -> Kind:
    """The kind of the file at `path` ("pdf", "png", "jpeg", "tiff" or "unknown")."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_PDF_WINDOW + 8)
    except OSError as exc:
        raise ExtractionError("unreadable_file", f"{path.name}: {exc.strerror or exc}") from exc
    kind = sniff_bytes(head)
    log.debug("sniffed %s as %s", path.name, kind)
    return kind


def precheck_file(path: Path, limits: Limits) -> int:
    """Refuse what need not be parsed at all: missing, non-regular, empty or oversized files.

    Returns the size in bytes.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ExtractionError("unreadable_file", f"{path.name}: {exc.strerror or exc}") from exc
    if not path.is_file():
        raise ExtractionError("unreadable_file", f"{path.name} is not a regular file")
    if size == 0:
        raise ExtractionError("empty_file", f"{path.name} is empty")
    if size > limits.max_attachment_bytes:
        raise ExtractionError(
            "too_large", f"{path.name} is {size:,} bytes, over the limit of {limits.max_attachment_bytes:,}"
        )
    return size

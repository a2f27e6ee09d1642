"""ACORD 25 Certificate of Liability Insurance: fields found by printed labels and ruling lines."""

from __future__ import annotations

from typing import Any

from coibot.extract.words import PageWords


def is_acord25(page: PageWords) -> bool:
    """True when the page carries the ACORD 25 title."""
    text = " ".join(w.text for w in page.words[:400]).upper()
    return "CERTIFICATE OF LIABILITY INSURANCE" in text


def read_acord25(page: PageWords) -> dict[str, Any]:
    """A draft extraction (before assemble.finalize) from one ACORD 25 page."""
    return {"form": "acord25", "policies": [], "warnings": ["reader not complete"]}

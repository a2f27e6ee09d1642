"""ACORD 101 Additional Remarks Schedule: remarks text (and any policies) continuing a certificate."""

from __future__ import annotations

from typing import Any

from coibot.extract.words import PageWords


def is_acord101(page: PageWords) -> bool:
    """True when the page carries the Additional Remarks Schedule title."""
    text = " ".join(w.text for w in page.words[:400]).upper()
    return "ADDITIONAL REMARKS" in text


def read_acord101(page: PageWords) -> dict[str, Any]:
    """The remarks of one schedule page: {"remarks": str | None, "policies": [...]}."""
    return {"remarks": None, "policies": []}


def merge_remarks(draft: dict[str, Any], remarks: dict[str, Any]) -> None:
    """Append a schedule's remarks to the certificate's description and add its policies."""
    text = remarks.get("remarks")
    if text:
        desc = draft.get("description_of_operations")
        draft["description_of_operations"] = f"{desc} {text}" if desc else text
    draft.setdefault("policies", []).extend(remarks.get("policies") or [])

"""Required wording in the description of operations, and endorsements named there."""

from __future__ import annotations

from typing import Any

from coibot.check.context import CheckContext
from coibot.check.report import Gap
from coibot.check.textnorm import contains_wording, fold
from coibot.extract.endorsements import find_endorsements

FIELD = "description_of_operations"
PNC_CODE = "CG 20 01"
PNC_PHRASE = "primary and non-contributory"
_PNC_FOLDED = {
    fold(PNC_CODE),
    fold(PNC_CODE).replace(" ", ""),
    fold(PNC_PHRASE),
    "primary and noncontributory",
    "primary noncontributory",
    "primary non contributory",
}


def description_text(extraction: dict[str, Any]) -> str | None:
    """The description, or None when it could not be read; an empty box is the empty string."""
    value = extraction.get("description_of_operations")
    return value if isinstance(value, str) else None


def description_gaps(ctx: CheckContext) -> list[Gap]:
    """A description_missing_text per required phrase not found (normalised, OCR-tolerant)."""
    phrases = ctx.rs.description_must_include
    if not phrases:
        return []
    text = description_text(ctx.extraction)
    if text is None:
        return [
            Gap(
                "unreadable",
                None,
                FIELD,
                list(phrases),
                None,
                f"The description of operations could not be read; {ctx.client_name} requires it to include: "
                + "; ".join(f'"{p}"' for p in phrases)
                + ".",
            )
        ]
    gaps: list[Gap] = []
    for phrase in phrases:
        if not contains_wording(text, phrase):
            gaps.append(
                Gap(
                    "description_missing_text",
                    None,
                    FIELD,
                    phrase,
                    text,
                    f'The description of operations does not include "{phrase}", which '
                    f"{ctx.client_name} requires.",
                )
            )
    return gaps


def primary_noncontributory_shown(extraction: dict[str, Any]) -> bool | None:
    """True when CG 20 01 or the primary & non-contributory wording appears; None when unknowable."""
    listed = extraction.get("endorsements")
    if isinstance(listed, list) and any(isinstance(e, str) and fold(e) in _PNC_FOLDED for e in listed):
        return True
    text = description_text(extraction)
    if text is None:
        return None
    found = find_endorsements(text)
    if PNC_CODE in found or PNC_PHRASE in found:
        return True
    return contains_wording(text, PNC_PHRASE) or contains_wording(text, "primary and noncontributory")

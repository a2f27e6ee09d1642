"""Endorsement forms and wording named in a certificate's description of operations."""

from __future__ import annotations

import re

# Standard ISO endorsement forms a requirement may name; printed as "CG 20 10", "CG2010",
# "CG-20-10" or followed by an edition ("CG 20 10 04 13").
_CODES = ("CG 20 10", "CG 20 37", "CG 20 01", "CG 20 26", "CG 24 04", "CA 20 48", "WC 00 03 13")

# Phrases with the common spellings agency systems print for each.
_PHRASES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "primary and non-contributory",
        re.compile(r"\bprimary\s*(?:and|&|/|,)?\s*non[\s\-]?contributory\b", re.IGNORECASE),
    ),
    (
        "blanket additional insured",
        re.compile(r"\bblanket\s+additional\s+insureds?\b", re.IGNORECASE),
    ),
    (
        "waiver of subrogation",
        re.compile(r"\bwaivers?\s+of\s+(?:our\s+right\s+of\s+)?subrogation\b", re.IGNORECASE),
    ),
)


def _code_pattern(code: str) -> re.Pattern[str]:
    parts = code.split()
    return re.compile(r"\b" + r"[\s\-]?".join(re.escape(p) for p in parts) + r"(?!\d)", re.IGNORECASE)


_CODE_PATTERNS = tuple((code, _code_pattern(code)) for code in _CODES)


def find_endorsements(text: str | None) -> list[str]:
    """The endorsement codes and phrases found in `text`, in a stable order, each once."""
    if not text:
        return []
    flat = " ".join(text.split())
    found = [code for code, pat in _CODE_PATTERNS if pat.search(flat)]
    found += [name for name, pat in _PHRASES if pat.search(flat)]
    return found

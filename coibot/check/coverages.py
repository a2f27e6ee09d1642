"""Which policies on a certificate may meet a required coverage."""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz

from coibot.check.context import Policy
from coibot.check.textnorm import fold
from coibot.requirements import CoverageRequirement

# An umbrella requirement is met by an excess policy and the reverse (contract rule).
SAME_AS: dict[str, tuple[str, ...]] = {
    "umbrella_liability": ("umbrella_liability", "excess_liability"),
    "excess_liability": ("excess_liability", "umbrella_liability"),
}

# Names of the same line of business as brokers print them; matched as whole words after folding.
_CONCEPTS: dict[str, tuple[str, ...]] = {
    "professional": (
        "professional",
        "errors & omissions",
        "errors and omissions",
        "errors omissions",
        "e&o",
        "e & o",
        "e o",
        "eo",
        "malpractice",
    ),
    "cyber": ("cyber", "network security", "privacy", "data breach", "technology errors"),
    "pollution": ("pollution", "environmental", "cpl"),
    "employment_practices": ("employment practices", "epl", "epli"),
    "directors_officers": ("directors & officers", "directors and officers", "d&o", "d & o", "d o"),
    "crime": ("crime", "fidelity", "employee dishonesty"),
    "inland_marine": ("inland marine", "installation floater", "equipment floater", "contractors equipment"),
    "builders_risk": ("builders risk", "builder s risk", "course of construction"),
    "property": ("property", "commercial property"),
    "liquor": ("liquor", "dram shop"),
    "garage": ("garage", "garagekeepers"),
    "medical": ("medical professional", "medical malpractice"),
}
_FILLER = re.compile(r"\b(?:liability|insurance|coverage|policy|legal|ins)\b")
_CONCEPT_PATTERNS = {
    concept: re.compile(r"(?:^| )(?:" + "|".join(re.escape(a) for a in aliases) + r")(?: |$)")
    for concept, aliases in _CONCEPTS.items()
}
# Token-set similarity (0..100) at which two coverage names with no known concept are the same.
SAME_NAME = 88.0


@lru_cache(maxsize=2048)
def _concepts(name: str) -> frozenset[str]:
    text = fold(name.replace("&", " & ").replace("/", " / "))
    return frozenset(c for c, pat in _CONCEPT_PATTERNS.items() if pat.search(text))


@lru_cache(maxsize=2048)
def _bare(name: str) -> str:
    return " ".join(_FILLER.sub(" ", fold(name)).split())


@lru_cache(maxsize=4096)
def coverage_names_match(required: str, printed: str) -> bool:
    """ "Professional Liability" matches "Professional Liability / E&O" and "Errors & Omissions"."""
    want, got = _concepts(required), _concepts(printed)
    if want and got:
        return bool(want & got)
    a, b = _bare(required), _bare(printed)
    if not a or not b:
        return fold(required) == fold(printed)
    return a == b or fuzz.token_set_ratio(a, b) >= SAME_NAME


def candidates(key: str, req: CoverageRequirement, policies: list[Policy]) -> list[Policy]:
    """The policies that could meet this requirement."""
    kind = req.kind
    if kind == "other":
        name = req.coverage_name or key.replace("_", " ")
        return [
            p
            for p in policies
            if p.coverage == "other" and p.coverage_name and coverage_names_match(name, p.coverage_name)
        ]
    kinds = SAME_AS.get(kind, (kind,))
    return [p for p in policies if p.coverage in kinds]

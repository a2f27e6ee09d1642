"""The named insured must be the provider on file."""

from __future__ import annotations

import re

from coibot.check.context import CheckContext
from coibot.check.report import Gap
from coibot.check.textnorm import norm_name, similarity

# OCR may drop or change a letter in a long name; this similarity (0..100) still names the same party.
SAME_PARTY = 95.0
_LEGAL_SUFFIX = re.compile(r"\s+(?:inc|llc|corp|co|ltd|lp|llp|pllc|pc|plc)$")
_DBA = re.compile(r"\s+(?:dba|d b a|aka|a k a|fka|f k a)\s+")


def _core(name: str) -> str:
    return _LEGAL_SUFFIX.sub("", name)


def same_party(provider: str, insured: str) -> bool:
    """Names match normalised, without a trailing legal form, within OCR noise, or as one of its DBAs."""
    want = norm_name(provider)
    for part in _DBA.split(norm_name(insured)):
        if part == want or _core(part) == _core(want):
            return True
        if similarity(part, want) >= SAME_PARTY:
            return True
    return False


def insured_gaps(ctx: CheckContext) -> list[Gap]:
    """insured_mismatch when a provider on file is given and the certificate names someone else."""
    if not ctx.provider:
        return []
    insured = ctx.extraction.get("insured")
    name = insured.get("name") if isinstance(insured, dict) else None
    if not isinstance(name, str) or not name.strip():
        return [
            Gap(
                "unreadable",
                None,
                "insured.name",
                ctx.provider,
                None,
                f"The named insured could not be read; it should be {ctx.provider}.",
            )
        ]
    if same_party(ctx.provider, name):
        return []
    return [
        Gap(
            "insured_mismatch",
            None,
            "insured.name",
            ctx.provider,
            name,
            f'The named insured is "{name}", not the provider on file "{ctx.provider}".',
        )
    ]

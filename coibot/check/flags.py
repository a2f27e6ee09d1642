"""Basis, additional insured, waiver of subrogation, per statute, primary & non-contributory."""

from __future__ import annotations

from coibot.check.context import CheckContext, Policy
from coibot.check.description import primary_noncontributory_shown
from coibot.check.messages import policy_words
from coibot.check.report import Gap, GapCode
from coibot.requirements import CoverageRequirement

_BASIS_WORDS = {"occurrence": "occurrence", "claims_made": "claims-made"}


def _marked(
    ctx: CheckContext,
    key: str,
    label: str,
    policy: Policy,
    field: str,
    value: bool | None,
    code: GapCode,
    words: str,
) -> list[Gap]:
    who = policy_words(label, policy.number)
    if value is None:
        return [
            Gap(
                "unreadable",
                key,
                field,
                True,
                None,
                f"{who}: whether {words} is marked could not be read; check it by hand.",
            )
        ]
    if value:
        return []
    return [
        Gap(code, key, field, True, False, f"{who} does not show {words}; {ctx.client_name} requires it.")
    ]


def flag_gaps(ctx: CheckContext, key: str, label: str, req: CoverageRequirement, policy: Policy) -> list[Gap]:
    """Gaps for the yes/no requirements of one coverage."""
    gaps: list[Gap] = []
    who = policy_words(label, policy.number)
    if req.basis is not None:
        if policy.basis is None:
            gaps.append(
                Gap(
                    "unreadable",
                    key,
                    "basis",
                    req.basis,
                    None,
                    f"{who}: occurrence or claims-made could not be read; {ctx.client_name} requires "
                    f"{_BASIS_WORDS[req.basis]}.",
                )
            )
        elif policy.basis != req.basis:
            gaps.append(
                Gap(
                    "basis_mismatch",
                    key,
                    "basis",
                    req.basis,
                    policy.basis,
                    f"{who} is written on a {_BASIS_WORDS[policy.basis]} basis; {ctx.client_name} "
                    f"requires {_BASIS_WORDS[req.basis]}.",
                )
            )
    if req.additional_insured:
        gaps += _marked(
            ctx,
            key,
            label,
            policy,
            "additional_insured",
            policy.additional_insured,
            "additional_insured_missing",
            "additional insured (ADDL INSD)",
        )
    if req.waiver_of_subrogation:
        gaps += _marked(
            ctx,
            key,
            label,
            policy,
            "waiver_of_subrogation",
            policy.waiver_of_subrogation,
            "waiver_of_subrogation_missing",
            "a waiver of subrogation (SUBR WVD)",
        )
    if req.statutory:
        gaps += _marked(
            ctx, key, label, policy, "statutory", policy.statutory, "statutory_missing", "PER STATUTE limits"
        )
    if req.primary_noncontributory:
        shown = primary_noncontributory_shown(ctx.extraction)
        if shown is None:
            gaps.append(
                Gap(
                    "unreadable",
                    key,
                    "primary_noncontributory",
                    True,
                    None,
                    f"The description of operations could not be read, so primary & non-contributory "
                    f"wording for {label.lower()} could not be confirmed.",
                )
            )
        elif not shown:
            gaps.append(
                Gap(
                    "primary_noncontributory_missing",
                    key,
                    "primary_noncontributory",
                    True,
                    False,
                    f"{label} is not shown as primary and non-contributory (wording or CG 20 01); "
                    f"{ctx.client_name} requires it.",
                )
            )
    return gaps

"""A client's waivers for a provider: waived gaps leave the report's gaps for its `waived` list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from coibot.check.insured import same_party
from coibot.check.report import Gap
from coibot.config import provider_key_for
from coibot.requirements import ClientRequirements, Waiver

# The configured providers as (key, name) pairs, as `Settings.provider_pairs()` gives them.
ProviderPairs = Sequence[tuple[str, str]]

# Report fields under the name a waiver uses for them.
_ALIASES = {"description_of_operations": "description", "insured.name": "insured"}


def waiver_names(gap: Gap) -> str:
    """The requirement path of a gap as a waiver names it: `general_liability.limits.each_occurrence`."""
    if gap.coverage is None:
        return _ALIASES.get(gap.field or "", gap.field or "")
    if gap.code == "coverage_missing" or not gap.field:
        return gap.coverage
    return f"{gap.coverage}.{gap.field}"


def _covers(waiver: Waiver, path: str, gap: Gap) -> bool:
    want = waiver.requirement
    if path == want or path.startswith(want + "."):
        return True
    # "insurer_rating" waives the rating requirement for every coverage.
    return want == "insurer_rating" and gap.field == "insurer_rating"


def waiver_party(ref: str, providers: ProviderPairs) -> str:
    """The name of the party a waiver's `provider` reference stands for.

    The configuration lets a waiver name its provider by id or by name; the reference is resolved
    with the configuration's own rule so a check and a config sync agree on which provider it is.
    A reference naming no configured provider (a requirements file has none) is taken as a name.
    """
    key = provider_key_for(ref, providers)
    return next((name for k, name in providers if k == key), ref)


def active_waivers(
    client: ClientRequirements, provider: str | None, as_of: date, providers: ProviderPairs = ()
) -> list[Waiver]:
    """Waivers in force on `as_of` (through their `until` day) for this provider (a name).

    `providers` are the configured (key, name) pairs a waiver's reference may name by id.
    """
    if not provider or not client.waivers:
        return []
    return [
        w
        for w in client.waivers
        if w.applies_on(as_of) and same_party(waiver_party(w.provider, providers), provider)
    ]


def split_waived(gaps: list[Gap], waivers: list[Waiver]) -> tuple[list[Gap], list[dict[str, Any]]]:
    """(gaps still open, waived entries: the gap plus waived_by, reason, until)."""
    if not waivers:
        return gaps, []
    open_gaps: list[Gap] = []
    waived: list[dict[str, Any]] = []
    for gap in gaps:
        path = waiver_names(gap)
        waiver = next((w for w in waivers if _covers(w, path, gap)), None)
        if waiver is None:
            open_gaps.append(gap)
            continue
        entry = gap.to_dict()
        entry.update(
            waived_by=waiver.waived_by,
            reason=waiver.reason,
            until=waiver.until.isoformat() if waiver.until else None,
        )
        waived.append(entry)
    return open_gaps, waived

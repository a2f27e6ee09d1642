"""A client's waivers for a provider: waived gaps leave the report's gaps for its `waived` list."""

from __future__ import annotations

from datetime import date
from typing import Any

from coibot.check.insured import same_party
from coibot.check.report import Gap
from coibot.requirements import ClientRequirements, Waiver

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


def active_waivers(client: ClientRequirements, provider: str | None, as_of: date) -> list[Waiver]:
    """Waivers in force on `as_of` (through their `until` day) for this provider."""
    if not provider or not client.waivers:
        return []
    return [w for w in client.waivers if w.applies_on(as_of) and same_party(w.provider, provider)]


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

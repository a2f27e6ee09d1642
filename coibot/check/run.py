"""Check one certificate against one requirement set: the contract's report, pure, no I/O."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from coibot.check.context import MIN_CONFIDENCE, CheckContext, Policy, read_policies
from coibot.check.coverages import candidates
from coibot.check.dates import date_gaps
from coibot.check.description import description_gaps
from coibot.check.flags import flag_gaps
from coibot.check.holder import holder_gaps
from coibot.check.insured import insured_gaps
from coibot.check.limits import Layer, limit_gaps, umbrella_layer
from coibot.check.messages import coverage_words, policy_words
from coibot.check.rating import RatingsTable, no_table_gap, rating_gaps
from coibot.check.report import Gap, build_report
from coibot.check.waivers import ProviderPairs, active_waivers, split_waived
from coibot.errors import ExtractionError
from coibot.requirements import ClientRequirements, CoverageRequirement, RequirementSet

log = logging.getLogger(__name__)


def _policy_gaps(
    ctx: CheckContext,
    key: str,
    label: str,
    req: CoverageRequirement,
    policy: Policy,
    layer: Layer | None,
    ratings: RatingsTable | None,
) -> list[Gap]:
    gaps = date_gaps(ctx, key, label, policy)
    if policy.low_confidence:
        gaps.append(
            Gap(
                "unreadable",
                key,
                "confidence",
                MIN_CONFIDENCE,
                policy.confidence,
                f"{policy_words(label, policy.number)}: the reader is not confident of this policy's values "
                f"({policy.confidence:.0%}); check them by hand.",
            )
        )
    gaps += limit_gaps(ctx, key, label, req, policy, layer)
    gaps += flag_gaps(ctx, key, label, req, policy)
    gaps += rating_gaps(ctx, key, label, policy, ratings)
    return gaps


def _rank(gaps: list[Gap], policy: Policy) -> tuple[int, int, int, int]:
    # Prefer a policy in force, then the one with fewest gaps, then fewest unreadable, then the latest.
    out_of_force = any(g.code in ("policy_expired", "not_yet_effective") for g in gaps)
    unreadable = sum(g.code == "unreadable" for g in gaps)
    latest = -(policy.expiration.toordinal() if policy.expiration else 0)
    return (int(out_of_force), len(gaps), unreadable, latest)


def _coverage_gaps(
    ctx: CheckContext, key: str, req: CoverageRequirement, layer: Layer | None, ratings: RatingsTable | None
) -> list[Gap]:
    label = coverage_words(key, req.coverage_name if req.kind == "other" else None)
    found = candidates(key, req, ctx.policies)
    if not found:
        # Standard coverages read lower case mid-sentence; a printed name keeps its capitals.
        what = label if req.kind == "other" else label[0].lower() + label[1:]
        return [
            Gap(
                "coverage_missing",
                key,
                None,
                label,
                None,
                f"No {what} policy is shown on the certificate; {ctx.client_name} requires one.",
            )
        ]
    best: list[Gap] | None = None
    best_rank: tuple[int, int, int, int] | None = None
    for policy in found:
        # An excess policy meeting an umbrella requirement (or the reverse) is named as printed.
        shown = label if policy.coverage in (req.kind, "other") else coverage_words(policy.coverage)
        gaps = _policy_gaps(ctx, key, shown, req, policy, layer, ratings)
        rank = _rank(gaps, policy)
        if best_rank is None or rank < best_rank:
            best, best_rank = gaps, rank
    return best or []


def check_certificate(
    extraction: dict[str, Any],
    client: ClientRequirements,
    requirement_set: RequirementSet,
    as_of: date,
    provider: str | None = None,
    ratings: RatingsTable | None = None,
    providers: ProviderPairs = (),
) -> dict[str, Any]:
    """The contract's report of `extraction` against `requirement_set` on `as_of`.

    Only required coverages are checked; with several policies for one coverage the best one
    (in force, fewest gaps) is used. `provider` is the provider on file (its name): it enables
    insured_mismatch and selects the client's waivers (without it, waivers are matched against
    the certificate's named insured). `providers` are the configured (key, name) pairs, so a
    waiver naming its provider by id applies. The report's `certificate` is `extraction` itself.
    """
    if not isinstance(extraction, dict):
        raise ExtractionError("invalid_extraction", "the extraction is not a JSON object")
    ctx = CheckContext(client, requirement_set, as_of, extraction, read_policies(extraction), provider)
    layer = umbrella_layer(ctx) if requirement_set.umbrella_may_satisfy else None
    gaps = holder_gaps(ctx) + insured_gaps(ctx) + description_gaps(ctx)
    if ratings is None:
        gaps += no_table_gap(ctx)
    for key, req in requirement_set.coverages.items():
        gaps += _coverage_gaps(ctx, key, req, layer, ratings)
    insured = extraction.get("insured")
    insured_name = insured.get("name") if isinstance(insured, dict) else None
    who = provider or (insured_name if isinstance(insured_name, str) else None)
    gaps, waived = split_waived(gaps, active_waivers(client, who, as_of, providers))
    report = build_report(client.id, requirement_set.name, as_of, gaps, waived, extraction)
    if log.isEnabledFor(logging.DEBUG):
        source = extraction.get("source")
        name = source.get("file") if isinstance(source, dict) else None
        log.debug(
            "checked %s against %s/%s: %s, %d gap(s)",
            name,
            client.id,
            requirement_set.name,
            report["status"],
            len(gaps),
        )
    return report


def check_all_sets(
    extraction: dict[str, Any],
    client: ClientRequirements,
    as_of: date,
    provider: str | None = None,
    ratings: RatingsTable | None = None,
    providers: ProviderPairs = (),
) -> list[dict[str, Any]]:
    """A report for the current set and one per future set, all judged on `as_of`.

    The contract has one `as_of`: it picks the current set and dates every check, so a future set's
    report says what the certificate lacks for the new requirements today; renewals before the set
    starts are the reminders' job.
    """
    reports: list[dict[str, Any]] = []
    current = client.current_set(as_of)
    if current is not None:
        reports.append(check_certificate(extraction, client, current, as_of, provider, ratings, providers))
    for future in client.future_sets(as_of):
        reports.append(check_certificate(extraction, client, future, as_of, provider, ratings, providers))
    return reports

"""Required limits, with umbrella/excess stacking where the requirement set allows it."""

from __future__ import annotations

from dataclasses import dataclass

from coibot.check.context import CheckContext, Policy, as_amount
from coibot.check.messages import limit_words, money
from coibot.check.report import Gap
from coibot.requirements import CoverageRequirement

# Which umbrella/excess limit tops up which limit, as the contract's rules of the check state.
STACKED: dict[str, dict[str, str]] = {
    "general_liability": {
        "each_occurrence": "each_occurrence",
        "general_aggregate": "aggregate",
        "products_completed_operations_aggregate": "aggregate",
    },
    "automobile_liability": {"combined_single_limit": "each_occurrence"},
}
UMBRELLA_KINDS = ("umbrella_liability", "excess_liability")


@dataclass(frozen=True, slots=True)
class Layer:
    """What the in-force umbrella/excess policies add on top: each occurrence and aggregate."""

    each_occurrence: int = 0
    aggregate: int = 0

    def get(self, key: str) -> int:
        """The layer amount for an umbrella limit key."""
        return self.each_occurrence if key == "each_occurrence" else self.aggregate


def umbrella_layer(ctx: CheckContext) -> Layer:
    """Sum of the umbrella/excess policies in force on the check date, each policy number once.

    Only policies with readable dates covering as_of count: an expired umbrella makes up nothing.
    """
    seen: set[str] = set()
    occ = agg = 0
    for p in ctx.policies:
        if p.coverage not in UMBRELLA_KINDS or not p.in_force(ctx.as_of):
            continue
        ident = p.number or f"#{p.index}"
        if ident in seen:
            continue  # the same layer listed twice must not count twice
        seen.add(ident)
        occ += as_amount(p.limits.get("each_occurrence")) or 0
        agg += as_amount(p.limits.get("aggregate")) or 0
    return Layer(occ, agg)


def limit_gaps(
    ctx: CheckContext, key: str, label: str, req: CoverageRequirement, policy: Policy, layer: Layer | None
) -> list[Gap]:
    """One limit_below_minimum per required limit the policy (plus any allowed layer) does not reach."""
    gaps: list[Gap] = []
    stack = STACKED.get(policy.coverage, {}) if layer is not None else {}
    for limit, minimum in req.limits.items():
        field = f"limits.{limit}"
        words = f"{label} {limit_words(limit)}"
        shown = as_amount(policy.limits.get(limit))
        if shown is None:
            gaps.append(
                Gap(
                    "limit_below_minimum",
                    key,
                    field,
                    minimum,
                    None,
                    f"{words} is not shown on the certificate; {ctx.client_name} requires at least "
                    f"{money(minimum)}.",
                )
            )
            continue
        extra = layer.get(stack[limit]) if layer is not None and limit in stack else 0
        total = shown + extra
        if total >= minimum:
            continue
        if extra:
            text = (
                f"{words} is {money(shown)} plus {money(extra)} umbrella/excess, {money(total)} in all; "
                f"{ctx.client_name} requires at least {money(minimum)}."
            )
        else:
            text = f"{words} is {money(shown)}; {ctx.client_name} requires at least {money(minimum)}."
        gaps.append(Gap("limit_below_minimum", key, field, minimum, total, text))
    return gaps

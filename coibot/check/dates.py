"""Policy dates against the check date.

Boundaries: a policy is in force on its effective date and on its expiration date, so
`policy_expired` means expiration_date < as_of and `not_yet_effective` effective_date > as_of.
`expires_within_window` counts the days from as_of to expiration_date: a policy expiring
exactly `minimum_remaining_days` after as_of passes, one day sooner is a gap.
"""

from __future__ import annotations

from coibot.check.context import CheckContext, Policy
from coibot.check.messages import day, policy_words
from coibot.check.report import Gap


def date_gaps(ctx: CheckContext, key: str, label: str, policy: Policy) -> list[Gap]:
    """Expired, not yet effective, unreadable dates, or too few days left."""
    gaps: list[Gap] = []
    who = policy_words(label, policy.number)
    as_of = ctx.as_of
    if policy.effective is None:
        gaps.append(
            Gap(
                "unreadable",
                key,
                "effective_date",
                as_of.isoformat(),
                None,
                f"{who}: the effective date could not be read; check it by hand.",
            )
        )
    elif policy.effective > as_of:
        gaps.append(
            Gap(
                "not_yet_effective",
                key,
                "effective_date",
                as_of.isoformat(),
                policy.effective.isoformat(),
                f"{who} only takes effect on {day(policy.effective)}; it is not in force on {day(as_of)}.",
            )
        )
    if policy.expiration is None:
        gaps.append(
            Gap(
                "unreadable",
                key,
                "expiration_date",
                as_of.isoformat(),
                None,
                f"{who}: the expiration date could not be read; check it by hand.",
            )
        )
        return gaps
    if policy.expiration < as_of:
        gaps.append(
            Gap(
                "policy_expired",
                key,
                "expiration_date",
                as_of.isoformat(),
                policy.expiration.isoformat(),
                f"{who} expired on {day(policy.expiration)}; {ctx.client_name} needs a policy in force "
                f"on {day(as_of)}.",
            )
        )
        return gaps
    minimum = ctx.rs.minimum_remaining_days
    remaining = (policy.expiration - as_of).days
    if remaining < minimum:
        gaps.append(
            Gap(
                "expires_within_window",
                key,
                "expiration_date",
                minimum,
                remaining,
                f"{who} expires on {day(policy.expiration)}, {remaining} day(s) after {day(as_of)}; "
                f"{ctx.client_name} requires at least {minimum} days remaining.",
            )
        )
    return gaps

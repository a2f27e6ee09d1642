"""Date boundaries: expiring on the check date is in force; the last day of the window passes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.check.support import AS_OF, codes, good, policy, run


def _with_expiry(expiry: date) -> dict:  # type: ignore[type-arg]
    cert = good()
    for p in cert["policies"]:
        p["expiration_date"] = expiry.isoformat()
    return cert


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (31, []),
        (30, []),  # exactly minimum_remaining_days left: passes
        (29, ["expires_within_window"]),
        (1, ["expires_within_window"]),
        (0, ["expires_within_window"]),  # expiring on as_of: still in force that day
        (-1, ["policy_expired"]),
    ],
)
def test_expiry_boundaries(days: int, expected: list[str]) -> None:
    cert = _with_expiry(AS_OF + timedelta(days=days))
    report = run(cert)
    assert set(codes(report)) == set(expected)
    if expected:
        assert len(report["gaps"]) == 4  # one per required coverage
        assert report["status"] == "deficient"


def test_window_gap_carries_days() -> None:
    cert = good()
    policy(cert, "automobile_liability")["expiration_date"] = (AS_OF + timedelta(days=10)).isoformat()
    (gap,) = run(cert)["gaps"]
    assert (gap["code"], gap["coverage"], gap["field"], gap["required"], gap["found"]) == (
        "expires_within_window",
        "automobile_liability",
        "expiration_date",
        30,
        10,
    )
    assert "December 1, 2026" in gap["message"] and "30 days" in gap["message"]


def test_expired_gap_does_not_also_report_the_window() -> None:
    cert = good()
    policy(cert, "automobile_liability")["expiration_date"] = "2026-11-20"
    (gap,) = run(cert)["gaps"]
    assert (gap["code"], gap["required"], gap["found"]) == ("policy_expired", "2026-11-21", "2026-11-20")
    assert "expired on November 20, 2026" in gap["message"]


@pytest.mark.parametrize(("days", "expected"), [(0, []), (1, ["not_yet_effective"])])
def test_effective_date_boundary(days: int, expected: list[str]) -> None:
    cert = good()
    policy(cert, "general_liability")["effective_date"] = (AS_OF + timedelta(days=days)).isoformat()
    assert codes(run(cert)) == expected


@pytest.mark.parametrize("field", ["effective_date", "expiration_date"])
@pytest.mark.parametrize("value", [None, "2026-13-45", "2026-02-30"])
def test_unreadable_date_needs_review(field: str, value: object) -> None:
    cert = good()
    policy(cert, "workers_compensation")[field] = value
    report = run(cert)
    assert report["status"] == "needs_review"
    (gap,) = report["gaps"]
    assert (gap["code"], gap["coverage"], gap["field"], gap["found"]) == (
        "unreadable",
        "workers_compensation",
        field,
        None,
    )


def test_no_window_by_default() -> None:
    rs_days = good()
    for p in rs_days["policies"]:
        p["expiration_date"] = AS_OF.isoformat()
    from tests.check.support import current_set

    rs = current_set().model_copy(update={"minimum_remaining_days": 0})
    assert run(rs_days, rs=rs)["gaps"] == []

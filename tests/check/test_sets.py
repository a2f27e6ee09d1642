"""Current and future requirement sets: switching on the effective date, --all-sets."""

from __future__ import annotations

from datetime import date

import pytest

from coibot.check import check_all_sets
from tests.check.support import acme, assert_valid_report, good


def test_all_sets_reports_current_and_future() -> None:
    reports = check_all_sets(good(), acme(), date(2026, 11, 21))
    assert_valid_report(reports)
    assert [r["requirement_set"] for r in reports] == ["current", "2027"]
    assert reports[0]["status"] == "compliant"
    future = reports[1]
    # Every set is judged on the one as_of the caller gave.
    assert future["as_of"] == "2026-11-21"
    by_code = {(g["code"], g["coverage"]) for g in future["gaps"]}
    assert ("coverage_missing", "professional_liability") in by_code
    assert ("limit_below_minimum", "general_liability") in by_code
    assert ("certificate_holder_mismatch", None) in by_code


@pytest.mark.parametrize(
    ("as_of", "names"),
    [
        (date(2026, 12, 31), ["current", "2027"]),
        (date(2027, 1, 1), ["2027"]),
        (date(2025, 12, 31), ["current", "2027"]),
    ],
)
def test_future_set_becomes_current_on_its_effective_date(as_of: date, names: list[str]) -> None:
    reports = check_all_sets(good(), acme(), as_of)
    assert [r["requirement_set"] for r in reports] == names
    assert_valid_report(reports)


def test_future_set_is_judged_on_the_same_as_of() -> None:
    cert = good()
    for p in cert["policies"]:
        p["expiration_date"] = "2026-12-31"
    current, future = check_all_sets(cert, acme(), date(2026, 11, 21))
    # In force on as_of: neither report calls the policies expired.
    assert all(g["code"] != "policy_expired" for g in current["gaps"] + future["gaps"])
    _, future_later = check_all_sets(cert, acme(), date(2026, 12, 31))
    assert all(g["code"] != "policy_expired" for g in future_later["gaps"])

"""Properties: raising limits never adds a gap; every report matches the contract schema."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coibot.check import check_certificate
from tests.check.support import AS_OF, acme, assert_valid_report, current_set, good

CLIENT = acme()
RS = current_set()
BASE = good()

amounts = st.one_of(st.none(), st.integers(min_value=0, max_value=20_000_000))
dates = st.one_of(st.none(), st.dates().map(lambda d: d.isoformat()))
flags = st.one_of(st.none(), st.booleans())


@st.composite
def certificates(draw: st.DrawFn) -> dict[str, Any]:
    cert = copy.deepcopy(BASE)
    for p in cert["policies"]:
        for key in list(p["limits"]):
            p["limits"][key] = draw(amounts)
        p["effective_date"] = draw(st.sampled_from([p["effective_date"], None, "2027-06-01"]))
        p["expiration_date"] = draw(dates)
        p["additional_insured"] = draw(flags)
        p["waiver_of_subrogation"] = draw(flags)
        p["basis"] = draw(st.sampled_from([None, "occurrence", "claims_made"]))
    keep = draw(st.lists(st.booleans(), min_size=len(cert["policies"]), max_size=len(cert["policies"])))
    cert["policies"] = [p for p, k in zip(cert["policies"], keep, strict=True) if k]
    return cert


def _gap_keys(report: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {(g["code"], g["coverage"], g["field"]) for g in report["gaps"]}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cert=certificates(), data=st.data())
def test_raising_any_limit_never_adds_a_gap(cert: dict[str, Any], data: st.DataObject) -> None:
    before = check_certificate(cert, CLIENT, RS, AS_OF)
    assert_valid_report(before)
    raised = copy.deepcopy(cert)
    for p in raised["policies"]:
        for key, value in p["limits"].items():
            bump = data.draw(st.integers(min_value=0, max_value=5_000_000))
            p["limits"][key] = (value or 0) + bump if value is not None or bump else value
    after = check_certificate(raised, CLIENT, RS, AS_OF)
    assert_valid_report(after)
    assert _gap_keys(after) <= _gap_keys(before)


@settings(max_examples=100, deadline=None)
@given(cert=certificates(), stacking=st.booleans(), days=st.integers(min_value=0, max_value=400))
def test_reports_always_validate_and_status_follows_gaps(
    cert: dict[str, Any], stacking: bool, days: int
) -> None:
    rs = RS.model_copy(update={"umbrella_may_satisfy": stacking, "minimum_remaining_days": days})
    report = check_certificate(cert, CLIENT, rs, AS_OF)
    assert_valid_report(report)
    codes = {g["code"] for g in report["gaps"]}
    expected = "needs_review" if "unreadable" in codes else "deficient" if codes else "compliant"
    assert report["status"] == expected

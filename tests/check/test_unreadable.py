"""Anything a requirement depends on that was not read with confidence makes the report needs_review."""

from __future__ import annotations

import pytest

from coibot.check import check_certificate
from coibot.errors import ExtractionError
from tests.check.support import AS_OF, acme, current_set, good, policy, run


@pytest.mark.parametrize(
    ("confidence", "status"), [(0.8, "compliant"), (0.79, "needs_review"), (None, "compliant")]
)
def test_low_confidence_policy_needs_review(confidence: float | None, status: str) -> None:
    cert = good()
    policy(cert, "automobile_liability")["confidence"] = confidence
    report = run(cert)
    assert report["status"] == status
    if status == "needs_review":
        (gap,) = report["gaps"]
        assert (gap["code"], gap["coverage"], gap["field"], gap["found"]) == (
            "unreadable",
            "automobile_liability",
            "confidence",
            0.79,
        )


def test_low_confidence_of_a_policy_not_required_is_ignored() -> None:
    cert = good()
    cert["policies"].append({"coverage": "other", "coverage_name": "Crime", "confidence": 0.1, "limits": {}})
    assert run(cert)["status"] == "compliant"


def test_unreadable_wins_over_deficient() -> None:
    cert = good()
    policy(cert, "workers_compensation")["limits"]["el_each_accident"] = 1
    policy(cert, "general_liability")["basis"] = None
    report = run(cert)
    assert report["status"] == "needs_review"
    assert {g["code"] for g in report["gaps"]} == {"unreadable", "limit_below_minimum"}


@pytest.mark.parametrize(
    "extraction",
    [{"source": {"file": "x"}}, {"policies": "none"}, {"policies": [{"limits": {}}]}, {"policies": [3]}],
)
def test_malformed_extraction_is_a_typed_error(extraction: dict[str, object]) -> None:
    with pytest.raises(ExtractionError) as info:
        check_certificate(extraction, acme(), current_set(), AS_OF)
    assert info.value.code == "invalid_extraction"


def test_odd_values_are_not_trusted() -> None:
    cert = good()
    policy(cert, "general_liability")["limits"]["each_occurrence"] = True  # not an amount
    policy(cert, "automobile_liability")["limits"] = None
    gaps = check_certificate(cert, acme(), current_set(), AS_OF)["gaps"]
    assert {(g["coverage"], g["field"], g["found"]) for g in gaps} == {
        ("general_liability", "limits.each_occurrence", None),
        ("automobile_liability", "limits.combined_single_limit", None),
    }

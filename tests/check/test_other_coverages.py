"""Coverages required by name (professional, cyber, pollution…) matched to `other` policies."""

from __future__ import annotations

from typing import Any

import pytest

from coibot.check.coverages import coverage_names_match
from coibot.requirements import CoverageRequirement, RequirementSet
from tests.check.support import good, run


def _set(
    name: str, limits: dict[str, int] | None = None, basis: str | None = "claims_made"
) -> RequirementSet:
    req = CoverageRequirement.model_validate(
        {
            "coverage": "other",
            "coverage_name": name,
            "basis": basis,
            "limits": limits or {"each_claim": 1000000},
        }
    )
    return RequirementSet(name="s", effective_from="2026-01-01", coverages={"extra": req})  # type: ignore[arg-type]


def _other(name: str, **extra: Any) -> dict[str, Any]:
    row = {
        "coverage": "other",
        "coverage_name": name,
        "policy_number": "PL-1",
        "effective_date": "2026-01-01",
        "expiration_date": "2027-01-01",
        "basis": "claims_made",
        "limits": {"each_claim": 1000000, "aggregate": 2000000},
    }
    row.update(extra)
    return row


@pytest.mark.parametrize(
    ("required", "printed", "same"),
    [
        ("Professional Liability", "Professional Liability / E&O", True),
        ("Professional Liability", "Errors & Omissions", True),
        ("Professional Liability", "PROFESSIONAL LIAB", True),
        ("Errors and Omissions", "Prof. Liability (E&O)", True),
        ("Cyber Liability", "Cyber / Network Security & Privacy", True),
        ("Pollution Liability", "Contractors Pollution Liability", True),
        ("Professional Liability", "Employment Practices Liability", False),
        ("Cyber Liability", "Professional Liability", False),
        ("Pollution Liability", "Inland Marine", False),
        ("Liquor Liability", "Liquor Liability", True),
    ],
)
def test_coverage_name_matching(required: str, printed: str, same: bool) -> None:
    assert coverage_names_match(required, printed) is same


def test_other_coverage_met() -> None:
    cert = good()
    cert["policies"].append(_other("Professional Liability / E&O"))
    assert run(cert, rs=_set("Professional Liability"))["gaps"] == []


def test_other_coverage_missing_and_wrong_name() -> None:
    cert = good()
    cert["policies"].append(_other("Employment Practices Liability"))
    report = run(cert, rs=_set("Professional Liability"))
    (gap,) = report["gaps"]
    assert (gap["code"], gap["coverage"], gap["field"], gap["required"]) == (
        "coverage_missing",
        "extra",
        None,
        "Professional Liability",
    )
    assert "No Professional Liability policy" in gap["message"]


def test_other_coverage_limits_and_basis() -> None:
    cert = good()
    cert["policies"].append(
        _other("Professional Liability", basis="occurrence", limits={"each_claim": 999999})
    )
    report = run(cert, rs=_set("Professional Liability"))
    assert sorted(g["code"] for g in report["gaps"]) == ["basis_mismatch", "limit_below_minimum"]
    limit = next(g for g in report["gaps"] if g["code"] == "limit_below_minimum")
    assert limit["message"].startswith("Professional Liability each claim is $999,999")


def test_other_basis_not_printed_needs_review() -> None:
    cert = good()
    cert["policies"].append(_other("Professional Liability", basis=None))
    assert run(cert, rs=_set("Professional Liability"))["status"] == "needs_review"

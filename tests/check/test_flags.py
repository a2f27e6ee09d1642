"""Basis, additional insured, waiver of subrogation, per statute, primary & non-contributory."""

from __future__ import annotations

from typing import Any

import pytest

from coibot.requirements import RequirementSet
from tests.check.support import current_set, good, policy, run


def _only_gap(report: dict[str, Any]) -> dict[str, Any]:
    assert len(report["gaps"]) == 1, report["gaps"]
    gap: dict[str, Any] = report["gaps"][0]
    return gap


@pytest.mark.parametrize(
    ("coverage", "field", "code"),
    [
        ("general_liability", "additional_insured", "additional_insured_missing"),
        ("general_liability", "waiver_of_subrogation", "waiver_of_subrogation_missing"),
        ("workers_compensation", "waiver_of_subrogation", "waiver_of_subrogation_missing"),
        ("workers_compensation", "statutory", "statutory_missing"),
    ],
)
def test_unmarked_flag_is_a_gap_and_unreadable_flag_needs_review(
    coverage: str, field: str, code: str
) -> None:
    cert = good()
    policy(cert, coverage)[field] = False
    gap = _only_gap(run(cert))
    assert (gap["code"], gap["coverage"], gap["field"], gap["required"], gap["found"]) == (
        code,
        coverage,
        field,
        True,
        False,
    )
    policy(cert, coverage)[field] = None
    report = run(cert)
    assert report["status"] == "needs_review"
    assert _only_gap(report)["code"] == "unreadable"


def test_statutory_omitted_means_not_marked() -> None:
    cert = good()
    del policy(cert, "workers_compensation")["statutory"]
    assert _only_gap(run(cert))["code"] == "statutory_missing"


def test_flags_not_required_are_not_checked() -> None:
    cert = good()
    policy(cert, "automobile_liability")["additional_insured"] = None
    policy(cert, "automobile_liability")["waiver_of_subrogation"] = False
    assert run(cert)["gaps"] == []


def test_basis_mismatch_and_unreadable_basis() -> None:
    cert = good()
    policy(cert, "general_liability")["basis"] = "claims_made"
    gap = _only_gap(run(cert))
    assert (gap["code"], gap["field"], gap["required"], gap["found"]) == (
        "basis_mismatch",
        "basis",
        "occurrence",
        "claims_made",
    )
    assert "claims-made" in gap["message"]
    policy(cert, "general_liability")["basis"] = None
    assert _only_gap(run(cert))["code"] == "unreadable"


def _pnc_set() -> RequirementSet:
    rs = current_set()
    gl = rs.coverages["general_liability"].model_copy(update={"primary_noncontributory": True})
    return rs.model_copy(update={"coverages": {**rs.coverages, "general_liability": gl}})


@pytest.mark.parametrize(
    "wording",
    [
        "Coverage is primary and non-contributory.",
        "Coverage is Primary & Non-Contributory per written contract.",
        "coverage is PRIMARY/NONCONTRIBUTORY",
        "Primary and non-\ncontributory wording applies.",
        "Additional insured per CG 20 10 and CG 20 01 04 13.",
        "Endorsement CG2001 attached.",
    ],
)
def test_primary_noncontributory_met_by_wording_or_cg_2001(wording: str) -> None:
    cert = good()
    cert["description_of_operations"] += " " + wording
    assert run(cert, rs=_pnc_set())["gaps"] == []


def test_primary_noncontributory_met_by_endorsements_list() -> None:
    cert = good()
    cert["endorsements"] = ["CG 20 10", "CG 20 01"]
    assert run(cert, rs=_pnc_set())["gaps"] == []
    cert["endorsements"] = ["primary and non-contributory"]
    assert run(cert, rs=_pnc_set())["gaps"] == []


def test_primary_noncontributory_missing() -> None:
    cert = good()
    cert["endorsements"] = ["CG 20 10"]
    gap = _only_gap(run(cert, rs=_pnc_set()))
    assert (gap["code"], gap["coverage"], gap["field"]) == (
        "primary_noncontributory_missing",
        "general_liability",
        "primary_noncontributory",
    )
    assert "CG 20 01" in gap["message"]


def test_primary_noncontributory_with_unreadable_description_needs_review() -> None:
    cert = good()
    cert["description_of_operations"] = None
    rs = _pnc_set().model_copy(update={"description_must_include": []})
    assert _only_gap(run(cert, rs=rs))["code"] == "unreadable"

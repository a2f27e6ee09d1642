"""Limits at their boundary, missing limits, umbrella stacking, umbrella/excess equivalence."""

from __future__ import annotations

import pytest

from coibot.requirements import RequirementSet
from tests.check.support import codes, current_set, good, policy, run

LIMITS = [
    ("general_liability", "each_occurrence", 1000000),
    ("general_liability", "general_aggregate", 2000000),
    ("general_liability", "products_completed_operations_aggregate", 2000000),
    ("automobile_liability", "combined_single_limit", 1000000),
    ("umbrella_liability", "each_occurrence", 5000000),
    ("umbrella_liability", "aggregate", 5000000),
    ("workers_compensation", "el_each_accident", 1000000),
    ("workers_compensation", "el_disease_each_employee", 1000000),
    ("workers_compensation", "el_disease_policy_limit", 1000000),
]


def _no_stacking() -> RequirementSet:
    rs = current_set()
    return rs.model_copy(update={"umbrella_may_satisfy": False})


@pytest.mark.parametrize(("coverage", "key", "minimum"), LIMITS)
def test_limit_equal_to_minimum_passes(coverage: str, key: str, minimum: int) -> None:
    cert = good()
    policy(cert, coverage)["limits"][key] = minimum
    assert run(cert, rs=_no_stacking())["gaps"] == []


@pytest.mark.parametrize(("coverage", "key", "minimum"), LIMITS)
def test_one_dollar_less_fails(coverage: str, key: str, minimum: int) -> None:
    cert = good()
    policy(cert, coverage)["limits"][key] = minimum - 1
    report = run(cert, rs=_no_stacking())
    assert report["status"] == "deficient"
    (gap,) = report["gaps"]
    assert (gap["code"], gap["coverage"], gap["field"]) == ("limit_below_minimum", coverage, f"limits.{key}")
    assert (gap["required"], gap["found"]) == (minimum, minimum - 1)
    assert f"${minimum - 1:,}" in gap["message"] and f"${minimum:,}" in gap["message"]
    assert "Acme Property Management LLC" in gap["message"]


def test_message_reads_like_the_issue() -> None:
    cert = good()
    policy(cert, "general_liability")["limits"]["each_occurrence"] = 500000
    (gap,) = run(cert, rs=_no_stacking())["gaps"]
    assert gap["message"] == (
        "General liability each occurrence is $500,000; "
        "Acme Property Management LLC requires at least $1,000,000."
    )


@pytest.mark.parametrize("absent", ["missing", "null"])
def test_required_limit_not_shown_is_below_minimum_with_found_null(absent: str) -> None:
    cert = good()
    limits = policy(cert, "general_liability")["limits"]
    if absent == "missing":
        del limits["general_aggregate"]
    else:
        limits["general_aggregate"] = None
    (gap,) = run(cert)["gaps"]
    assert (gap["code"], gap["field"], gap["required"], gap["found"]) == (
        "limit_below_minimum",
        "limits.general_aggregate",
        2000000,
        None,
    )
    assert "not shown" in gap["message"]


def test_umbrella_makes_up_a_general_liability_shortfall() -> None:
    cert = good()
    policy(cert, "general_liability")["limits"].update(
        each_occurrence=500000, general_aggregate=1000000, products_completed_operations_aggregate=1000000
    )
    policy(cert, "automobile_liability")["limits"]["combined_single_limit"] = 500000
    assert run(cert)["gaps"] == []  # umbrella 5M/5M on top, umbrella_may_satisfy: true
    report = run(cert, rs=_no_stacking())
    assert sorted(g["field"] for g in report["gaps"]) == [
        "limits.combined_single_limit",
        "limits.each_occurrence",
        "limits.general_aggregate",
        "limits.products_completed_operations_aggregate",
    ]


def test_stacked_total_is_compared_and_reported() -> None:
    cert = good()
    policy(cert, "general_liability")["limits"]["each_occurrence"] = 100000
    umb = policy(cert, "umbrella_liability")
    umb["limits"]["each_occurrence"] = 899999
    # The umbrella's own requirement fails too; the GL gap carries the stacked total.
    gl = [g for g in run(cert)["gaps"] if g["coverage"] == "general_liability"]
    (gap,) = gl
    assert (gap["required"], gap["found"]) == (1000000, 999999)
    assert "plus $899,999 umbrella/excess" in gap["message"]
    umb["limits"]["each_occurrence"] = 900000
    assert not [g for g in run(cert)["gaps"] if g["coverage"] == "general_liability"]


def test_umbrella_does_not_top_up_other_limits() -> None:
    cert = good()
    policy(cert, "workers_compensation")["limits"]["el_each_accident"] = 500000
    policy(cert, "general_liability")["limits"]["each_occurrence"] = 1000000
    assert codes(run(cert)) == ["limit_below_minimum"]


def test_an_expired_umbrella_makes_up_nothing() -> None:
    cert = good()
    policy(cert, "general_liability")["limits"]["each_occurrence"] = 500000
    policy(cert, "umbrella_liability")["expiration_date"] = "2026-11-20"
    fields = {(g["coverage"], g["code"], g.get("field")) for g in run(cert)["gaps"]}
    assert ("general_liability", "limit_below_minimum", "limits.each_occurrence") in fields
    assert ("umbrella_liability", "policy_expired", "expiration_date") in fields


def test_same_umbrella_listed_twice_counts_once() -> None:
    cert = good()
    policy(cert, "general_liability")["limits"]["each_occurrence"] = 500000
    umb = policy(cert, "umbrella_liability")
    umb["limits"]["each_occurrence"] = 300000
    cert["policies"].append(dict(umb))
    gl = [g for g in run(cert)["gaps"] if g["coverage"] == "general_liability"]
    assert gl and gl[0]["found"] == 800000


def test_two_layers_with_different_numbers_stack() -> None:
    cert = good()
    policy(cert, "general_liability")["limits"]["each_occurrence"] = 500000
    umb = policy(cert, "umbrella_liability")
    umb["limits"]["each_occurrence"] = 250000
    cert["policies"].append(dict(umb, coverage="excess_liability", policy_number="XS-2"))
    gl = [g for g in run(cert)["gaps"] if g["coverage"] == "general_liability"]
    assert not gl


@pytest.mark.parametrize("printed", ["excess_liability", "umbrella_liability"])
def test_umbrella_requirement_is_met_by_excess(printed: str) -> None:
    cert = good()
    policy(cert, "umbrella_liability")["coverage"] = printed
    assert run(cert)["gaps"] == []


def test_excess_short_of_an_umbrella_requirement_is_named_as_printed() -> None:
    cert = good()
    umb = policy(cert, "umbrella_liability")
    umb["coverage"] = "excess_liability"
    umb["limits"]["aggregate"] = 3000000
    (gap,) = run(cert)["gaps"]
    assert (gap["coverage"], gap["field"]) == ("umbrella_liability", "limits.aggregate")
    assert gap["message"].startswith("Excess liability aggregate is $3,000,000;")


def test_excess_requirement_is_met_by_umbrella() -> None:
    rs = current_set()
    coverages = dict(rs.coverages)
    coverages["excess_liability"] = coverages.pop("umbrella_liability").model_copy(
        update={"coverage": "excess_liability"}
    )
    rs = rs.model_copy(update={"coverages": coverages})
    report = run(good(), rs=rs)
    assert report["gaps"] == []


def test_best_of_several_policies_is_used() -> None:
    cert = good()
    gl = policy(cert, "general_liability")
    weak = dict(gl, policy_number="OLD-1", limits={"each_occurrence": 100000})
    expired = dict(gl, policy_number="OLD-2", expiration_date="2026-06-01", effective_date="2025-06-01")
    cert["policies"][0:0] = [weak, expired]
    assert run(cert)["gaps"] == []


def test_unexpired_policy_preferred_to_an_expired_one_with_fewer_gaps() -> None:
    cert = good()
    gl = policy(cert, "general_liability")
    expired = dict(gl, policy_number="OLD", expiration_date="2026-06-01", effective_date="2025-06-01")
    gl["limits"] = dict(gl["limits"], each_occurrence=900000, general_aggregate=1900000)
    cert["policies"].append(expired)
    gaps = [g for g in run(cert, rs=_no_stacking())["gaps"] if g["coverage"] == "general_liability"]
    assert {g["code"] for g in gaps} == {"limit_below_minimum"}

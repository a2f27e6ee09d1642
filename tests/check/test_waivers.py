"""A client's waivers: a waived requirement is listed under `waived`, until the waiver expires."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from coibot.requirements import ClientRequirements, Waiver
from tests.check.support import AS_OF, acme, good, policy, run


def _client(
    requirement: str, until: date | None = None, provider: str = "Highmark Data Cabling, Inc."
) -> ClientRequirements:
    client = acme()
    waiver = Waiver(
        provider=provider,
        requirement=requirement,
        until=until,
        waived_by="Dana Risk",
        reason="Small job, approved by phone",
    )
    return client.model_copy(update={"waivers": [waiver]})


def _low_gl_limit() -> dict[str, Any]:
    cert = good()
    policy(cert, "general_liability")["limits"]["each_occurrence"] = 100000
    policy(cert, "umbrella_liability")["limits"]["each_occurrence"] = 5000000
    return cert


@pytest.mark.parametrize(
    "requirement",
    ["general_liability.limits.each_occurrence", "general_liability.limits", "general_liability"],
)
def test_waived_limit_is_not_a_gap(requirement: str) -> None:
    cert = _low_gl_limit()
    rs = acme().current_set(AS_OF)
    assert rs is not None
    rs = rs.model_copy(update={"umbrella_may_satisfy": False})
    report = run(cert, rs=rs, client=_client(requirement), provider="Highmark Data Cabling Inc.")
    assert report["status"] == "compliant"
    (item,) = report["waived"]
    assert item["code"] == "limit_below_minimum" and item["field"] == "limits.each_occurrence"
    assert (item["waived_by"], item["reason"], item["until"]) == (
        "Dana Risk",
        "Small job, approved by phone",
        None,
    )


@pytest.mark.parametrize(("until", "waived"), [(date(2026, 11, 21), True), (date(2026, 11, 20), False)])
def test_waiver_in_force_through_its_until_date(until: date, waived: bool) -> None:
    cert = good()
    cert["certificate_holder"]["name"] = "Acme Holdings"
    report = run(cert, client=_client("certificate_holder", until), provider="Highmark Data Cabling Inc.")
    assert (report["status"] == "compliant") is waived
    assert bool(report["waived"]) is waived
    if waived:
        assert report["waived"][0]["until"] == "2026-11-21"


def test_waiver_for_another_provider_does_not_apply() -> None:
    cert = good()
    cert["description_of_operations"] = "Nothing."
    report = run(
        cert, client=_client("description", provider="Other Co"), provider="Highmark Data Cabling Inc."
    )
    assert [g["code"] for g in report["gaps"]] == ["description_missing_text"]
    assert report["waived"] == []


def test_waiver_matches_the_named_insured_when_no_provider_given() -> None:
    cert = good()
    cert["description_of_operations"] = "Nothing."
    report = run(cert, client=_client("description"))
    assert report["gaps"] == [] and len(report["waived"]) == 1


def test_waived_missing_coverage() -> None:
    cert = good()
    cert["policies"] = [p for p in cert["policies"] if p["coverage"] != "workers_compensation"]
    report = run(cert, client=_client("workers_compensation"), provider="Highmark Data Cabling Inc.")
    assert report["status"] == "compliant"
    assert report["waived"][0]["code"] == "coverage_missing"


def test_waived_unreadable_field_does_not_force_review() -> None:
    cert = good()
    policy(cert, "general_liability")["additional_insured"] = None
    report = run(
        cert, client=_client("general_liability.additional_insured"), provider="Highmark Data Cabling Inc."
    )
    assert report["status"] == "compliant"
    assert report["waived"][0]["code"] == "unreadable"


def test_a_waiver_leaves_other_gaps() -> None:
    cert = good()
    policy(cert, "general_liability")["additional_insured"] = False
    policy(cert, "general_liability")["waiver_of_subrogation"] = False
    report = run(
        cert, client=_client("general_liability.additional_insured"), provider="Highmark Data Cabling Inc."
    )
    assert [g["code"] for g in report["gaps"]] == ["waiver_of_subrogation_missing"]
    assert [w["code"] for w in report["waived"]] == ["additional_insured_missing"]


# The configured providers as the check is given them: (key, name), the key an explicit id.
PROVIDERS = [("dw-01", "Highmark Data Cabling, Inc."), ("lw-02", "Lowmark Cabling LLC")]


def _no_description() -> dict[str, Any]:
    cert = good()
    cert["description_of_operations"] = "Nothing."
    return cert


@pytest.mark.parametrize("provider", ["Highmark Data Cabling, Inc.", None], ids=["on-file", "named-insured"])
def test_waiver_naming_its_provider_by_id_applies(provider: str | None) -> None:
    # `dw-01` does not look like the name: only the configured providers say whose id it is.
    client = _client("description", provider="dw-01")
    report = run(_no_description(), client=client, provider=provider, providers=PROVIDERS)
    assert report["gaps"] == [] and [w["code"] for w in report["waived"]] == ["description_missing_text"]


def test_waiver_naming_another_providers_id_does_not_apply() -> None:
    client = _client("description", provider="lw-02")
    report = run(_no_description(), client=client, provider=PROVIDERS[0][1], providers=PROVIDERS)
    assert [g["code"] for g in report["gaps"]] == ["description_missing_text"]
    assert report["waived"] == []


def test_waiver_naming_its_provider_by_name_still_applies_with_providers_known() -> None:
    client = _client("description", provider="highmark data cabling inc")
    report = run(_no_description(), client=client, provider=PROVIDERS[0][1], providers=PROVIDERS)
    assert report["gaps"] == [] and len(report["waived"]) == 1

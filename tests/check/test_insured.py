"""The named insured must be the provider on file."""

from __future__ import annotations

import pytest

from tests.check.support import good, run


@pytest.mark.parametrize(
    "provider",
    [
        "Highmark Data Cabling Inc.",
        "HIGHMARK DATA CABLING, INCORPORATED",
        "Highmark Data Cabling",
        "Highmark Data CabIing Inc.",  # OCR I for l
    ],
)
def test_same_provider(provider: str) -> None:
    assert run(good(), provider=provider)["gaps"] == []


def test_dba_names_the_provider() -> None:
    cert = good()
    cert["insured"]["name"] = "Highmark Holdings LLC dba Highmark Data Cabling"
    assert run(cert, provider="Highmark Data Cabling Inc.")["gaps"] == []


@pytest.mark.parametrize("provider", ["Highmark Data Systems Inc.", "Lowmark Cabling LLC"])
def test_other_party_is_a_mismatch(provider: str) -> None:
    report = run(good(), provider=provider)
    (gap,) = report["gaps"]
    assert (gap["code"], gap["coverage"], gap["field"], gap["required"], gap["found"]) == (
        "insured_mismatch",
        None,
        "insured.name",
        provider,
        "Highmark Data Cabling Inc.",
    )
    assert provider in gap["message"]


def test_no_provider_no_insured_check() -> None:
    cert = good()
    cert["insured"]["name"] = "Someone Else LLC"
    assert run(cert)["gaps"] == []


def test_unreadable_insured_needs_review() -> None:
    cert = good()
    cert["insured"] = {"name": None, "address": None}
    report = run(cert, provider="Highmark Data Cabling Inc.")
    assert report["status"] == "needs_review"
    assert report["gaps"][0]["field"] == "insured.name"

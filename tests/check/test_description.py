"""Required description wording despite line breaks, hyphenation and OCR noise."""

from __future__ import annotations

import pytest

from tests.check.support import good, run

PHRASE = "Acme Property Management LLC is included as additional insured"


@pytest.mark.parametrize(
    "text",
    [
        "ACME PROPERTY MANAGEMENT LLC IS INCLUDED AS ADDITIONAL INSURED.",
        "Acme Property Management LLC is included as\nadditional insured with respect to GL",
        "Acme Property Management LLC is included as addi-\ntional insured",
        "Acme Property Management LLC is in-\ncluded as additional   insured",
        "Acme Property Management, LLC is included as additional insured",
        "Acme Property Managernent LLC is included as additional insured",  # OCR rn for m
        "Acme Property Management LLC is lncluded as additional insured",  # OCR l for i
    ],
)
def test_phrase_found(text: str) -> None:
    cert = good()
    cert["description_of_operations"] = f"Re: Contract 42. {text} Thirty days notice."
    assert run(cert)["gaps"] == []


@pytest.mark.parametrize(
    "text",
    [
        "Acme Property Management LLC is not included as additional insured",
        "Acme Property Management LLC is included as certificate holder only",
        "Beta Holdings LLC is included as additional insured",
        "",
    ],
)
def test_phrase_missing(text: str) -> None:
    cert = good()
    cert["description_of_operations"] = text
    report = run(cert)
    (gap,) = report["gaps"]
    assert (gap["code"], gap["coverage"], gap["field"], gap["required"]) == (
        "description_missing_text",
        None,
        "description_of_operations",
        PHRASE,
    )
    assert f'"{PHRASE}"' in gap["message"]
    assert report["status"] == "deficient"


def test_each_missing_phrase_is_its_own_gap() -> None:
    from tests.check.support import current_set

    rs = current_set()
    rs = rs.model_copy(update={"description_must_include": [*rs.description_must_include, "Project 42"]})
    cert = good()
    cert["description_of_operations"] = "Nothing relevant."
    gaps = run(cert, rs=rs)["gaps"]
    assert [g["required"] for g in gaps] == [PHRASE, "Project 42"]


def test_unreadable_description_needs_review() -> None:
    cert = good()
    cert["description_of_operations"] = None
    report = run(cert)
    assert report["status"] == "needs_review"
    assert report["gaps"][0]["code"] == "unreadable"


@pytest.mark.parametrize(
    "text",
    [
        "Acme Property Management LLC is excluded as additional insured",
        "Acme Property Management LLC is included as additional insurer",
        "Acme Property Management LLC is not included as additional insured",
    ],
)
def test_a_changed_word_is_not_ocr_noise(text: str) -> None:
    cert = good()
    cert["description_of_operations"] = text
    assert [g["code"] for g in run(cert)["gaps"]] == ["description_missing_text"]


def test_one_letter_dropped_from_a_long_word_is_tolerated() -> None:
    cert = good()
    cert["description_of_operations"] = "Acme Property Management LLC is included as additonal insured."
    assert run(cert)["gaps"] == []

"""ACORD 101 remarks: the continued description and the policies listed there."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from coibot.extract.acord101 import is_acord101, merge_remarks, parse_policies, read_acord101, strip_pointer
from coibot.extract.pdf_text import open_pdf
from coibot.extract.reader import extract_document
from tests.support.scan_words import scan_page

from .conftest import CORPUS, GL_LIMITS, REAL, Cert, Pol, truth

Make = Callable[..., Path]


def test_real_101_remarks_are_read() -> None:
    with open_pdf(REAL / "acord_101_2008_01_sample.pdf") as d:
        page = d.read_pages()[0]
    assert is_acord101(page)
    got = read_acord101(page)
    assert got["remarks"] is not None
    assert got["remarks"].startswith("Policy Consideration Of The Premium Charged")
    assert got["remarks"].endswith("Addednon-Owned Number Of Employees")
    assert got["policies"] == []


def test_a_schedule_sent_alone_names_its_agency_insured_and_remarks_not_its_form_header() -> None:
    (doc,) = extract_document(REAL / "acord_101_2008_01_sample.pdf")
    assert doc["form"] == "other"
    assert doc["producer"]["name"] == "OLLNEY" and doc["insured"]["name"] == "BREWING LLC"
    assert doc["description_of_operations"].startswith("Policy Consideration Of The Premium Charged")
    assert doc["policies"] == []
    assert any("without the certificate" in w for w in doc["warnings"])


@pytest.mark.parametrize("pointer", [
    "SEE ATTACHED ACORD 101", "See Additional Remarks Schedule attached.",
    "(Continued on ACORD 101 Additional Remarks Schedule)", "** SEE ATTACHED ADDITIONAL REMARKS SCHEDULE **",
])
def test_pointer_is_stripped(pointer: str) -> None:
    assert strip_pointer(f"Re: Job 5 - paving. {pointer}") == "Re: Job 5 - paving."
    assert strip_pointer("Re: see the attached contract for scope of work, job 5.") == (
        "Re: see the attached contract for scope of work, job 5.")


def test_key_value_policies() -> None:
    text = ("INSR LTR: D COVERAGE: Contractors Equipment POLICY NUMBER: RYG-210-377951 "
            "POLICY EFF: 9/29/25 POLICY EXP: 9/29/26 LIMITS: Each Claim $2,000,000 / Aggregate $4,000,000 "
            "ADDL INSD: N SUBR WVD: Y INSR LTR: B COVERAGE: UMBRELLA LIABILITY - Occurrence "
            "POLICY NUMBER: UM-1 POLICY EFF: 01/01/2026 POLICY EXP: 01/01/2027 "
            "LIMITS: Each Occurrence $5,000,000 / Aggregate $5,000,000 ADDL INSD: Y")
    warnings: list[str] = []
    first, second = parse_policies(text, warnings)
    assert first == {
        "coverage": "other", "coverage_name": "Contractors Equipment", "insurer_letter": "D",
        "policy_number": "RYG-210-377951", "effective_date": "2025-09-29", "expiration_date": "2026-09-29",
        "additional_insured": False, "waiver_of_subrogation": True,
        "limits": {"each_claim": 2_000_000, "aggregate": 4_000_000},
    }
    assert second["coverage"] == "umbrella_liability" and second["basis"] == "occurrence"
    assert second["limits"] == {"each_occurrence": 5_000_000, "aggregate": 5_000_000}
    assert (second["additional_insured"], second["waiver_of_subrogation"]) == (True, False)
    assert warnings == []


def test_merge_appends_text_and_policies() -> None:
    draft = {"description_of_operations": "Re: Job 5. SEE ATTACHED ACORD 101",
             "policies": [{"coverage": "x"}]}
    merge_remarks(draft, {"remarks": "Locations: 1 Main St.", "policies": [{"coverage": "y"}],
                          "warnings": ["w"]})
    assert draft["description_of_operations"] == "Re: Job 5. Locations: 1 Main St."
    assert [p["coverage"] for p in draft["policies"]] == ["x", "y"]
    assert draft["warnings"] == ["w"]


def test_generated_certificate_with_remarks_page(make_cert: Make) -> None:
    remarks = [
        "DESCRIPTION OF OPERATIONS / LOCATIONS / VEHICLES (continued):",
        "Project locations: 12 Oak Street, Austin, TX 78701.",
        "ADDITIONAL POLICIES:",
        "INSR LTR: A  COVERAGE: Pollution Liability",
        "POLICY NUMBER: POL-77  POLICY EFF: 02/01/2026  POLICY EXP: 02/01/2027",
        "LIMITS: Each Claim $1,000,000 / Aggregate $2,000,000",
        "ADDL INSD: Y  SUBR WVD: N",
    ]
    cert = Cert(policies=[Pol("gl", limits=GL_LIMITS[:1])], description=["Re: Job 9. SEE ATTACHED ACORD 101"],
                remarks=remarks)
    (doc,) = extract_document(make_cert(cert))
    assert doc["source"]["pages"] == 2
    want = "Re: Job 9. Project locations: 12 Oak Street, Austin, TX 78701."
    assert doc["description_of_operations"] == want
    pollution = [p for p in doc["policies"] if p["coverage"] == "other"]
    assert len(pollution) == 1
    assert pollution[0]["carrier"] == "Alpha Mutual Insurance Co."
    assert pollution[0]["limits"] == {"each_claim": 1_000_000, "aggregate": 2_000_000}
    assert pollution[0]["additional_insured"] is True


def _corpus_multipage() -> list[Path]:
    files = sorted(CORPUS.glob("multipage_*.pdf"))
    return files[:4]


@pytest.mark.parametrize("path", _corpus_multipage(), ids=lambda p: p.name)
def test_corpus_multipage_description_and_policy_count(path: Path) -> None:
    want = truth(path)
    (doc,) = extract_document(path)
    assert doc["description_of_operations"] == want["description_of_operations"]
    assert [p["policy_number"] for p in doc["policies"]] == [p["policy_number"] for p in want["policies"]]


def test_a_scans_semicolon_key_and_dotted_amounts() -> None:
    text = ("INSR LTR: B COVERAGE: Employment Practices Liability POLICY NUMBER; CBF-931-627133 "
            "LIMITS: Each Claim $2.000.000 Aggregate $4.000.000")
    warnings: list[str] = []
    (pol,) = parse_policies(text, warnings, ocr=True)
    assert pol["policy_number"] == "CBF-931-627133"
    assert pol["limits"] == {"each_claim": 2_000_000, "aggregate": 4_000_000}
    # Dots in an amount of a text page are not misread commas: left for a person to check.
    (pol,) = parse_policies(text, [])
    assert pol["limits"] == {}


def test_a_scans_letter_glyph_split_in_two_readings_is_the_one_capital_they_name() -> None:
    text = "INSR LTR: {} COVERAGE: Inland Marine POLICY NUMBER: 86XP486230"
    # A B read as an E and its bowl's sliver as a B: the letter whose strokes hold the other's.
    for raw, want in (("c D", "D"), ("F F", "F"), ("D", "D"), ("C D", None), ("Dx", None),
                      ("E B", "B"), ("F E", "E"), ("A B", None)):
        (pol,) = parse_policies(text.format(raw), [], ocr=True)
        assert pol["insurer_letter"] == want, raw
    # A text page prints the letter alone: two of them are no letter.
    (pol,) = parse_policies(text.format("F F"), [])
    assert pol["insurer_letter"] is None


def test_a_scanned_policies_table_whose_letter_heading_ran_into_the_next_and_garbled_dates() -> None:
    # "LTR__TYPE OF INSURANCE" read as one word: the TYPE heading lands right of where its
    # column starts, and "OL 24 2026" is 01/24/2026 with its slashes lost.
    page = scan_page([
        ("ADDITIONAL REMARKS SCHEDULE", 176, 71),
        ("FORM NUMBER: 25 FORM TITLE: CERTIFICATE OF LIABILITY INSURANCE", 35, 220),
        ("ADDITIONAL COVERAGES", 35, 296),
        ("LTR", 34, 304), ("TYPE OF INSURANCE", 95, 304), ("POLICY NUMBER", 200, 304),
        ("EFF DATE", 300, 304), ("EXP DATE", 360, 304), ("ADDL", 420, 304), ("SUBR", 450, 304),
        ("A", 36, 322), ("Professional Liability", 46, 322), ("XP 428300-87", 200, 322),
        ("OL 24 2026", 300, 322), ("OL 24 2027", 360, 322), ("N", 420, 322), ("Y", 450, 322),
        ("Limits: Each Claim $1,000,000 Aggregate $2,000,000", 66, 333),
    ])
    (pol,) = read_acord101(page)["policies"]
    assert (pol["insurer_letter"], pol["coverage_name"], pol["policy_number"]) == (
        "A", "Professional Liability", "XP 428300-87")
    assert (pol["effective_date"], pol["expiration_date"]) == ("2026-01-24", "2027-01-24")
    assert pol["waiver_of_subrogation"] is True
    assert pol["limits"] == {"each_claim": 1_000_000, "aggregate": 2_000_000}

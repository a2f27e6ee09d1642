"""Printed dates, amounts, phones and addresses into the contract's forms; nothing guessed."""

from __future__ import annotations

from datetime import date

import pytest

from coibot.extract.assemble import finalize
from coibot.extract.endorsements import find_endorsements
from coibot.extract.normalize import (
    a_year_apart,
    dates_from_garbled,
    format_phone,
    join_address,
    label_key,
    loose_dates,
    misread_of,
    normalize_name,
    parse_amount,
    parse_date,
    scan_date,
)


@pytest.mark.parametrize(("text", "want"), [
    ("01/05/2026", date(2026, 1, 5)),
    ("1/5/26", date(2026, 1, 5)),
    ("12/31/99", date(1999, 12, 31)),
    ("2026-01-05", date(2026, 1, 5)),
    ("January 5, 2026", date(2026, 1, 5)),
    ("Jan. 5 2026", date(2026, 1, 5)),
    ("05-Jan-2026", date(2026, 1, 5)),
    ("5 January 2026", date(2026, 1, 5)),
    ("01-05-2026", date(2026, 1, 5)),
    (" 10/12/2025 ", date(2025, 10, 12)),
])
def test_dates(text: str, want: date) -> None:
    assert parse_date(text) == want


@pytest.mark.parametrize("text", [
    "40/12/2025",  # the typical OCR misread: month 40 is not a month
    "02/30/2026", "13/01/2026", "2026-13-01", "01/05/202", "Smarch 5, 2026", "", "N/A", "01/05",
    "01/05-2026",  # mixed separators
])
def test_bad_dates_are_none(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(("text", "want"), [
    ("09°26°2025", "2025-09-26"), ("09:°26'2026", "2026-09-26"), ("09 26'2026", "2026-09-26"),
    ("°2026 12 21", "2026-12-21"), ("09/26. 2025", "2025-09-26"), ("12/21/2026", "2026-12-21"),
    # A group of another length (a separator read as a digit), an impossible month: no date.
    ("09126/2026", None), ("9°26°2025", None), ("13°26°2025", None), ("09°26°20255", None),
    ("09a26b2025", None), ("", None),
])
def test_a_scans_misread_date_separators(text: str, want: str | None) -> None:
    assert scan_date(text) == want


@pytest.mark.parametrize(("text", "want"), [
    ("$1,000,000", 1_000_000), ("1,000,000", 1_000_000), ("1 000 000", 1_000_000),
    ("1,000,000.00", 1_000_000), ("$ 500,000", 500_000), ("5000", 5_000), ("$1M", 1_000_000),
    ("2.5M", 2_500_000), ("$100K", 100_000), ("1\u00a0000\u00a0000", 1_000_000), ("0", 0),
])
def test_amounts(text: str, want: int) -> None:
    assert parse_amount(text) == want


@pytest.mark.parametrize("text", ["1,00,000", "1,000 000", "$$100", "abc", "", "1.000.000", "12,34", "1.5"])
def test_ambiguous_amounts_are_none(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(("text", "want"), [
    ("2.000.000", 2_000_000), ("1,000.000", 1_000_000), ("10.000", 10_000), ("1,000,000.00", 1_000_000),
])
def test_commas_a_scan_read_as_dots(text: str, want: int) -> None:
    assert parse_amount(text, misread_commas=True) == want


@pytest.mark.parametrize("text", ["1.5", "12.3456", "1.000.00", "12,34"])
def test_dots_that_are_no_misread_commas_stay_ambiguous(text: str) -> None:
    assert parse_amount(text, misread_commas=True) is None


@pytest.mark.parametrize(("text", "want"), [
    ("337.555.0139", "(337) 555-0139"), ("(313)775-8809", "(313) 775-8809"),
    ("289-555-0128", "(289) 555-0128"),
    ("1-800-555-0100", "(800) 555-0100"), ("214 555 0100 ext. 12", "(214) 555-0100 x12"),
    ("+44 20 7946 0958", "+44 20 7946 0958"), ("555-0100", "555-0100"),
])
def test_phones(text: str, want: str) -> None:
    assert format_phone(text) == want


def test_address_name_and_label() -> None:
    assert join_address(["4117 Washington Blvd,", "  Suite 1450 ", "", "Fresno, CA 93721"]) == (
        "4117 Washington Blvd, Suite 1450, Fresno, CA 93721")
    assert normalize_name("  Acme   Roofing, LLC ; ") == "Acme Roofing, LLC"
    assert normalize_name("  ") is None
    # A scan's specks and rule ends beside a name are no part of it.
    assert normalize_name("= = = Janes Nakamura —") == "Janes Nakamura"
    assert normalize_name("Smith & Sons") == "Smith & Sons"
    assert normalize_name("= =") is None
    assert label_key("Each Claim") == "each_claim"
    assert label_key("Per Occurrence / Aggregate") == "per_occurrence_aggregate"
    assert label_key("E&O Limit") == "e_and_o_limit"


def test_endorsements_found_in_wording() -> None:
    text = ("Additional insured per CG 20 10 04 13 and CG2037; coverage is Primary & Non-Contributory. "
            "Blanket Additional Insureds apply. Waiver of Subrogation in favor of the holder.")
    assert find_endorsements(text) == [
        "CG 20 10", "CG 20 37", "primary and non-contributory", "blanket additional insured",
        "waiver of subrogation"]
    assert find_endorsements("CG 20 100 is not a form; primary coverage") == []
    assert find_endorsements(None) == []


def test_finalize_resolves_carriers_and_orders_keys() -> None:
    draft = {
        "source": {"file": "x.pdf"}, "form": "acord25", "certificate_date": "2026-01-02",
        "insurers": [{"letter": "b", "name": "Beta Ins Co", "naic": "12345"},
                     {"letter": "C", "name": "Bad", "naic": "1"}],
        "description_of_operations": "Per CG 20 01, primary and noncontributory.",
        "policies": [
            {"policy_number": "P1", "coverage": "general_liability", "insurer_letter": "B",
             "limits": {"each_occurrence": 1_000_000, "bogus": 5, "aggregate": None},
             "_conf": {"policy_number": 0.6},
             "effective_date": "2026-01-01", "expiration_date": "2025-01-01"},
            {"coverage": "other", "insurer_letter": "Z", "limits": {"Each Claim": 1}},
            {"coverage": "flood"},
            {"coverage": "workers_compensation", "statutory": True, "insurer_letter": "D"},
        ],
    }
    out = finalize(draft)
    assert list(out) == ["source", "form", "certificate_date", "producer", "insured", "insurers",
                         "certificate_holder", "description_of_operations", "policies", "endorsements",
                         "warnings"]
    gl = out["policies"][0]
    assert list(gl)[:6] == ["coverage", "coverage_name", "insurer_letter", "carrier", "naic", "policy_number"]
    assert (gl["carrier"], gl["naic"], gl["confidence"]) == ("Beta Ins Co", "12345", 0.6)
    assert gl["limits"] == {"each_occurrence": 1_000_000}
    other = out["policies"][1]
    assert other["insurer_letter"] is None and other["coverage_name"] == "Other" and other["limits"] == {}
    assert len(out["policies"]) == 3  # the unknown coverage is dropped, with a warning
    assert out["policies"][2]["statutory"] is True and out["policies"][2]["carrier"] is None
    assert out["insurers"][1]["naic"] is None
    assert out["endorsements"] == ["CG 20 01", "primary and non-contributory"]
    text = " ".join(out["warnings"])
    for fragment in ("flood", "expires before", "bogus", "NAIC", "insurer D is not listed"):
        assert fragment in text


def test_loose_dates_and_a_year_apart() -> None:
    assert loose_dates("O4 09 2027") == ["2027-04-09"]
    assert loose_dates("0905/2027") == ["2027-09-05"]
    assert loose_dates("09/052027") == ["2027-09-05"]
    assert loose_dates("$4-02:2026") == []
    # Both slashes lost, a word of a garbled line, letters read for digits.
    assert loose_dates("01242026-") == ["2026-01-24"]
    assert loose_dates("QO): 242027 01242027") == ["2027-01-24"]
    assert loose_dates("OL 24 2026") == ["2026-01-24"]
    assert a_year_apart("2026-09-05", "2027-09-05")
    assert a_year_apart("2024-02-29", "2025-02-28")
    assert not a_year_apart("2024-11-23", "2026-01-23")
    assert not a_year_apart("2026-02-04", None)


def test_garbled_dates_are_taken_only_a_year_from_the_other_or_as_one_such_pair() -> None:
    assert dates_from_garbled("2026-01-24", None, [], ["Ot 24/2027"]) == ("2026-01-24", "2027-01-24")
    assert dates_from_garbled("2026-01-24", None, [], ["Ot 25/2027"]) == ("2026-01-24", None)
    assert dates_from_garbled(None, None, ["OQ) 242026", "01242026-"], ["4) 24/2027 01242027"]) == (
        "2026-01-24", "2027-01-24")
    # Two garblings that are not a year apart, or that make two pairs, settle nothing.
    assert dates_from_garbled(None, None, ["01242026"], ["01252027"]) == (None, None)
    assert dates_from_garbled(None, None, ["01242026 02242026"], ["01242027 02242027"]) == (None, None)
    assert dates_from_garbled("2026-01-24", "2026-05-01", ["x"], ["y"]) == ("2026-01-24", "2026-05-01")


def test_a_scans_amount_grouped_by_commas_and_gaps_both_is_whole_thousands() -> None:
    assert parse_amount("1,000 000", misread_commas=True) == 1_000_000
    assert parse_amount("1,000, 000", misread_commas=True) == 1_000_000
    # Printed text is taken only as it is grouped; a group of two digits is no thousands.
    assert parse_amount("1,000 000") is None
    assert parse_amount("10 00", misread_commas=True) is None


def test_a_garbled_reading_is_a_date_but_for_one_character() -> None:
    assert misread_of("2026-05-12", ["05-42-2026"])
    assert misread_of("2026-05-12", ["OS: 12/2026 05122026"])
    assert misread_of("2026-05-02", ["2026-95-02"])
    assert not misread_of("2026-05-12", ["05-43-2025"])
    # A separator read as a digit makes nine: no telling which is which.
    assert not misread_of("2026-05-12", ["05112/2026"])
    assert not misread_of("2026-05-12", [])

"""Certificate holder name and address, matched after normalisation; near misses show both values."""

from __future__ import annotations

import pytest

from coibot.check.textnorm import norm_address, norm_name
from tests.check.support import good, run


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("ACME PROPERTY MANAGEMENT, L.L.C.", "100 MAIN ST., SPRINGFIELD, IL 62701"),
        ("Acme Property Management LLC", "100 Main St\nSpringfield IL 62701-1234"),
        (
            "acme property management llc",
            "100 Main Street, Springfield, Illinois 62701".replace("Illinois", "IL"),
        ),
        (
            "Acme Property Management LLC, its officers and employees",
            "100 Main Street, Springfield, IL 62701",
        ),
        ("Acme Property Management LLC", "Attn: Risk Department, 100 Main Street, Springfield, IL 62701"),
    ],
)
def test_equivalent_holders_match(name: str, address: str) -> None:
    cert = good()
    cert["certificate_holder"] = {"name": name, "address": address}
    assert run(cert)["gaps"] == []


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme Incorporated", "ACME, Inc."),
        ("Acme Corporation", "Acme Corp"),
        ("Acme Company", "Acme Co."),
        ("Acme, L.L.C.", "Acme LLC"),
        ("Smith & Sons", "Smith and Sons"),
    ],
)
def test_name_forms_normalise_alike(a: str, b: str) -> None:
    assert norm_name(a) == norm_name(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("100 North Main Street, Suite 5", "100 N. Main St., Ste 5"),
        ("7 Lake Avenue", "7 Lake Ave"),
        ("9 Mill Road, Springfield, IL 62704-0001", "9 Mill Rd Springfield IL 62704"),
    ],
)
def test_address_forms_normalise_alike(a: str, b: str) -> None:
    assert norm_address(a) == norm_address(b)


def test_near_miss_name_reports_both_values() -> None:
    cert = good()
    cert["certificate_holder"]["name"] = "Acme Property Managment LLC"
    (gap,) = run(cert)["gaps"]
    assert (gap["code"], gap["coverage"], gap["field"]) == (
        "certificate_holder_mismatch",
        None,
        "certificate_holder.name",
    )
    assert (gap["required"], gap["found"]) == ("Acme Property Management LLC", "Acme Property Managment LLC")
    assert "Acme Property Managment LLC" in gap["message"] and "close to" in gap["message"]
    assert "Acme Property Management LLC" in gap["message"]


def test_missing_legal_form_is_a_near_miss() -> None:
    cert = good()
    cert["certificate_holder"]["name"] = "Acme Property Management"
    (gap,) = run(cert)["gaps"]
    assert gap["code"] == "certificate_holder_mismatch"


def test_wrong_street_number_is_a_mismatch() -> None:
    cert = good()
    cert["certificate_holder"]["address"] = "1000 Main Street, Springfield, IL 62701"
    (gap,) = run(cert)["gaps"]
    assert (gap["code"], gap["field"]) == ("certificate_holder_mismatch", "certificate_holder.address")
    assert "1000 Main Street" in gap["message"] and "100 Main Street" in gap["message"]


def test_other_holder_is_a_plain_mismatch() -> None:
    cert = good()
    cert["certificate_holder"] = {"name": "Village of Kettle Falls", "address": "1 Elm St, Albany, NY 12207"}
    gaps = run(cert)["gaps"]
    assert [g["field"] for g in gaps] == ["certificate_holder.name", "certificate_holder.address"]
    assert "close to" not in gaps[0]["message"]


@pytest.mark.parametrize(
    "holder", [None, {"name": None, "address": "100 Main Street, Springfield, IL 62701"}]
)
def test_unreadable_holder_needs_review(holder: object) -> None:
    cert = good()
    cert["certificate_holder"] = holder
    report = run(cert)
    assert report["status"] == "needs_review"
    assert report["gaps"][0]["field"] == "certificate_holder.name"

"""A certificate that meets every requirement has no gap; the report has the contract's shape."""

from __future__ import annotations

from tests.check.support import AS_OF, acme, good, run


def test_good_certificate_is_compliant() -> None:
    report = run(good(), provider="Highmark Data Cabling Inc.")
    assert report["gaps"] == [], report["gaps"]
    assert report["status"] == "compliant"
    assert report["client"] == "acme"
    assert report["requirement_set"] == "current"
    assert report["as_of"] == AS_OF.isoformat()
    assert report["waived"] == []
    assert report["certificate"]["source"]["file"] == "good.pdf"


def test_report_keys_are_exactly_the_contract_ones() -> None:
    report = run(good())
    assert set(report) == {"client", "requirement_set", "as_of", "status", "gaps", "waived", "certificate"}


def test_check_does_not_change_its_inputs() -> None:
    cert = good()
    client = acme()
    before = (repr(cert), client.model_dump_json())
    run(cert, client=client)
    assert (repr(cert), client.model_dump_json()) == before


def test_coverages_not_required_raise_nothing() -> None:
    cert = good()
    cert["policies"].append(
        {
            "coverage": "other",
            "coverage_name": "Inland Marine",
            "expiration_date": "2020-01-01",
            "effective_date": "2019-01-01",
            "limits": {"each_claim": 1},
        }
    )
    assert run(cert)["status"] == "compliant"

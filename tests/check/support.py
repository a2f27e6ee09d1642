"""Builders for check tests: the contract's example client, a certificate that meets it, a schema check."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

from coibot.check import RatingsTable, check_certificate
from coibot.requirements import ClientRequirements, RequirementSet, load_requirements_file

CONTRACT = Path(__file__).resolve().parents[2].parent / "shared" / "contract"
EXAMPLE = CONTRACT / "requirements.example.yaml"
AS_OF = date(2026, 11, 21)


def _validator() -> jsonschema.Draft202012Validator:
    cert = json.loads((CONTRACT / "certificate.schema.json").read_text(encoding="utf-8"))
    gap = json.loads((CONTRACT / "gap-report.schema.json").read_text(encoding="utf-8"))
    registry: Registry[Any] = Registry().with_resources(
        [(cert["$id"], Resource.from_contents(cert)), (gap["$id"], Resource.from_contents(gap))]
    )
    return jsonschema.Draft202012Validator(gap, registry=registry)


REPORT_SCHEMA = _validator()


def assert_valid_report(report: Any) -> None:
    """The report (or list of reports) matches gap-report.schema.json."""
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in REPORT_SCHEMA.iter_errors(report)]
    assert not errors, errors


def acme() -> ClientRequirements:
    """The contract example's client, freshly loaded (tests may change it)."""
    return load_requirements_file(EXAMPLE).clients[0]


def current_set() -> RequirementSet:
    rs = acme().current_set(AS_OF)
    assert rs is not None
    return rs


def _policy(coverage: str, limits: dict[str, int], **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "coverage": coverage,
        "coverage_name": None,
        "insurer_letter": "A",
        "carrier": "Iron Range Fire & Marine Insurance Co.",
        "naic": "24198",
        "policy_number": f"{coverage[:3].upper()}-100",
        "effective_date": "2026-01-01",
        "expiration_date": "2027-01-01",
        "basis": None,
        "additional_insured": False,
        "waiver_of_subrogation": False,
        "limits": limits,
    }
    row.update(extra)
    return row


GOOD: dict[str, Any] = {
    "source": {"file": "good.pdf", "sha256": None, "pages": 1, "method": "text"},
    "form": "acord25",
    "certificate_date": "2026-11-01",
    "producer": {"name": "Whitmore Insurance Brokers, LLC", "address": "1 Broker Way, Fresno, CA 93721"},
    "insured": {"name": "Highmark Data Cabling Inc.", "address": "1249 Jefferson Avenue, Tulsa, OK 74103"},
    "insurers": [{"letter": "A", "name": "Iron Range Fire & Marine Insurance Co.", "naic": "24198"}],
    "certificate_holder": {
        "name": "Acme Property Management LLC",
        "address": "100 Main Street, Springfield, IL 62701",
    },
    "description_of_operations": (
        "Re: all operations. Acme Property Management LLC is included as additional insured with respect "
        "to general liability when required by written contract."
    ),
    "policies": [
        _policy(
            "general_liability",
            {
                "each_occurrence": 1000000,
                "general_aggregate": 2000000,
                "products_completed_operations_aggregate": 2000000,
            },
            basis="occurrence",
            additional_insured=True,
            waiver_of_subrogation=True,
        ),
        _policy("automobile_liability", {"combined_single_limit": 1000000}),
        _policy("umbrella_liability", {"each_occurrence": 5000000, "aggregate": 5000000}, basis="occurrence"),
        _policy(
            "workers_compensation",
            {
                "el_each_accident": 1000000,
                "el_disease_each_employee": 1000000,
                "el_disease_policy_limit": 1000000,
            },
            waiver_of_subrogation=True,
            statutory=True,
        ),
    ],
    "warnings": [],
}


def good() -> dict[str, Any]:
    """A certificate that meets the example's current set on AS_OF (41 days before expiry)."""
    return copy.deepcopy(GOOD)


def policy(cert: dict[str, Any], coverage: str) -> dict[str, Any]:
    """The first policy of a coverage in a certificate, to change it in place."""
    return next(p for p in cert["policies"] if p["coverage"] == coverage)


def run(
    cert: dict[str, Any],
    rs: RequirementSet | None = None,
    as_of: date = AS_OF,
    provider: str | None = None,
    ratings: RatingsTable | None = None,
    client: ClientRequirements | None = None,
    providers: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """check_certificate with the example defaults; every report is schema-checked."""
    client = client or acme()
    rs = rs or client.current_set(as_of)
    assert rs is not None
    report = check_certificate(
        cert, client, rs, as_of, provider=provider, ratings=ratings, providers=providers
    )
    assert_valid_report(report)
    return report


def codes(report: dict[str, Any]) -> list[str]:
    return [g["code"] for g in report["gaps"]]

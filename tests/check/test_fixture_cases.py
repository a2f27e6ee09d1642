"""The score.py check cases under tests/fixtures/checks, run in-process: status and gap codes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from coibot.check import check_certificate
from coibot.requirements import load_requirements_file
from tests.check.support import assert_valid_report

CHECKS = Path(__file__).resolve().parents[1] / "fixtures" / "checks"
SPEC = yaml.safe_load((CHECKS / "checks.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", SPEC["cases"], ids=lambda c: c["id"])
def test_case(case: dict[str, Any]) -> None:
    clients = load_requirements_file(CHECKS / case["requirements"])
    client = clients.client(case["client"])
    assert client is not None
    as_of = date.fromisoformat(case.get("as_of") or SPEC["as_of_default"])
    rs = client.current_set(as_of)
    assert rs is not None and rs.name == case["expected_requirement_set"]
    extraction = json.loads((CHECKS / case["file"]).read_text(encoding="utf-8"))
    report = check_certificate(extraction, client, rs, as_of, provider=case.get("provider"))
    assert_valid_report(report)
    assert report["status"] == case["expected_status"]
    assert {g["code"] for g in report["gaps"]} == set(case["expected_gap_codes"]), report["gaps"]

"""`coibot check` on extraction JSON files against the contract's example requirements."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from coibot.cli.check_cmd import register
from tests.check.support import EXAMPLE, assert_valid_report, good

SAMPLES = EXAMPLE.parents[1] / "samples"
COIBOT = str(Path(sys.executable).parent / "coibot")


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:  # a callback keeps `check` a subcommand, as in the real app
        pass

    register(app)
    return app


def invoke(*args: str) -> Any:
    return CliRunner().invoke(_app(), ["check", *args], env={"COLUMNS": "200"})


@pytest.fixture
def good_json(tmp_path: Path) -> Path:
    path = tmp_path / "good.json"
    path.write_text(json.dumps(good()), encoding="utf-8")
    return path


@pytest.mark.parametrize("truth", sorted(SAMPLES.glob("*.truth.json")), ids=lambda p: p.name)
def test_samples_checked_against_the_example(truth: Path) -> None:
    result = invoke(
        str(truth), "--client", "acme", "--requirements", str(EXAMPLE), "--as-of", "2026-11-21", "--json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert_valid_report(report)
    assert report["client"] == "acme" and report["requirement_set"] == "current"
    # None of the samples is issued to Acme: every one has a holder gap.
    assert report["status"] == "deficient"
    assert "certificate_holder_mismatch" in {g["code"] for g in report["gaps"]}
    assert report["certificate"] == json.loads(truth.read_text(encoding="utf-8"))


def test_sample_004_gaps(tmp_path: Path) -> None:
    truth = SAMPLES / "sample_004.pdf.truth.json"
    result = invoke(
        str(truth), "--client", "acme", "--requirements", str(EXAMPLE), "--as-of", "2026-11-21", "--json"
    )
    got = sorted((g["code"], g["coverage"], g["field"]) for g in json.loads(result.stdout)["gaps"])
    assert got == sorted(
        [
            ("certificate_holder_mismatch", None, "certificate_holder.name"),
            ("certificate_holder_mismatch", None, "certificate_holder.address"),
            ("description_missing_text", None, "description_of_operations"),
            ("additional_insured_missing", "general_liability", "additional_insured"),
            ("limit_below_minimum", "umbrella_liability", "limits.each_occurrence"),
            ("limit_below_minimum", "umbrella_liability", "limits.aggregate"),
            ("waiver_of_subrogation_missing", "workers_compensation", "waiver_of_subrogation"),
        ]
    )


def test_compliant_certificate_exit_zero(good_json: Path) -> None:
    result = invoke(
        str(good_json),
        "--client",
        "acme",
        "--requirements",
        str(EXAMPLE),
        "--as-of",
        "2026-11-21",
        "--json",
        "--provider",
        "Highmark Data Cabling Inc.",
    )
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["status"] == "compliant" and report["gaps"] == []


def test_all_sets_prints_a_list(good_json: Path) -> None:
    result = invoke(
        str(good_json),
        "--client",
        "acme",
        "--requirements",
        str(EXAMPLE),
        "--as-of",
        "2026-11-21",
        "--json",
        "--all-sets",
    )
    assert result.exit_code == 0
    reports = json.loads(result.stdout)
    assert_valid_report(reports)
    assert [r["requirement_set"] for r in reports] == ["current", "2027"]


def test_readable_report_itemises_gaps() -> None:
    truth = SAMPLES / "sample_003.pdf.truth.json"
    result = invoke(str(truth), "--client", "acme", "--requirements", str(EXAMPLE), "--as-of", "2026-11-21")
    assert result.exit_code == 0
    out = result.stdout
    assert "DEFICIENT" in out
    assert "Acme Property Management LLC (acme)" in out
    assert (
        "  4. General liability each occurrence is $500,000; Acme Property Management LLC requires at least "
        "$1,000,000." in out
    )
    assert "{" not in out  # words, not JSON


def test_unknown_client_lists_known_ids(good_json: Path) -> None:
    result = invoke(str(good_json), "--client", "acem", "--requirements", str(EXAMPLE))
    assert result.exit_code == 2
    assert "unknown client 'acem'" in result.stderr and "known client ids: acme" in result.stderr


def test_bad_requirements_file_exit_2(tmp_path: Path, good_json: Path) -> None:
    req = tmp_path / "req.yaml"
    req.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("each_occurrence: 1000000", "each_occurence: 1"),
        encoding="utf-8",
    )
    result = invoke(str(good_json), "--client", "acme", "--requirements", str(req))
    assert result.exit_code == 2
    assert (
        "coverages.general_liability.limits.each_occurence: unknown limit, did you mean each_occurrence?"
        in result.stderr
    )


@pytest.mark.parametrize(
    ("content", "needle"), [("{not json", "not valid JSON"), ('{"source": {}}', "not an extraction")]
)
def test_bad_extraction_file_exit_4(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    result = invoke(str(path), "--client", "acme", "--requirements", str(EXAMPLE))
    assert result.exit_code == 4
    assert needle in result.stderr


def test_bad_as_of_is_a_usage_error(good_json: Path) -> None:
    result = invoke(
        str(good_json), "--client", "acme", "--requirements", str(EXAMPLE), "--as-of", "21/11/2026"
    )
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_no_set_in_effect_yet(good_json: Path) -> None:
    result = invoke(
        str(good_json), "--client", "acme", "--requirements", str(EXAMPLE), "--as-of", "2025-06-01"
    )
    assert result.exit_code == 2
    assert "no requirement set in effect" in result.stderr
    result = invoke(
        str(good_json),
        "--client",
        "acme",
        "--requirements",
        str(EXAMPLE),
        "--as-of",
        "2025-06-01",
        "--all-sets",
        "--json",
    )
    assert result.exit_code == 0
    assert [r["requirement_set"] for r in json.loads(result.stdout)] == ["current", "2027"]


def test_ratings_csv(tmp_path: Path, good_json: Path) -> None:
    req = tmp_path / "req.yaml"
    req.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace(
            "umbrella_may_satisfy: true",
            "umbrella_may_satisfy: true\n        minimum_insurer_rating: A- VIII",
        ),
        encoding="utf-8",
    )
    csv = tmp_path / "ratings.csv"
    csv.write_text(
        "naic,name,rating,financial_size\n24198,Iron Range Fire & Marine,B+,IX\n", encoding="utf-8"
    )
    result = invoke(
        str(good_json),
        "--client",
        "acme",
        "--requirements",
        str(req),
        "--as-of",
        "2026-11-21",
        "--ratings",
        str(csv),
        "--json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {g["code"] for g in report["gaps"]} == {"insurer_rating_below_minimum"}


def test_clients_from_the_configuration(tmp_path: Path, good_json: Path) -> None:
    config = tmp_path / "coibot.yaml"
    config.write_text(
        "clients:\n  - id: beta\n    name: Beta Co\n    requirement_sets:\n      - name: current\n"
        "        effective_from: 2026-01-01\n        coverages:\n          general_liability:\n"
        "            limits: {each_occurrence: 2000000}\n",
        encoding="utf-8",
    )
    result = invoke(
        str(good_json), "--client", "beta", "--config", str(config), "--as-of", "2026-11-21", "--json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [(g["code"], g["found"]) for g in report["gaps"]] == [("limit_below_minimum", 1000000)]


def test_installed_command_end_to_end(tmp_path: Path) -> None:
    truth = SAMPLES / "sample_001.pdf.truth.json"
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("COIBOT_CONFIG", None)
    out = subprocess.run(
        [
            COIBOT,
            "check",
            str(truth),
            "--client",
            "acme",
            "--requirements",
            str(EXAMPLE),
            "--as-of",
            "2026-11-21",
            "--json",
            "--all-sets",
            "--provider",
            "Highmark Data Cabling Inc.",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    reports = json.loads(out.stdout)
    assert_valid_report(reports)
    assert [r["status"] for r in reports] == ["deficient", "deficient"]


def test_a_pdf_is_read_then_checked() -> None:
    pdf = SAMPLES / "sample_002.pdf"
    result = invoke(
        str(pdf), "--client", "acme", "--requirements", str(EXAMPLE), "--as-of", "2026-11-21", "--json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert_valid_report(report)
    assert report["certificate"]["source"]["file"] == "sample_002.pdf"
    codes = {g["code"] for g in report["gaps"]}
    assert {"not_yet_effective", "coverage_missing", "certificate_holder_mismatch"} <= codes


def test_a_list_of_extractions_gets_a_list_of_reports(tmp_path: Path) -> None:
    path = tmp_path / "two.json"
    other = good()
    other["certificate_holder"]["name"] = "Someone Else"
    path.write_text(json.dumps([good(), other]), encoding="utf-8")
    result = invoke(
        str(path), "--client", "acme", "--requirements", str(EXAMPLE), "--as-of", "2026-11-21", "--json"
    )
    assert result.exit_code == 0, result.output
    reports = json.loads(result.stdout)
    assert_valid_report(reports)
    assert [r["status"] for r in reports] == ["compliant", "deficient"]


def test_a_file_without_a_certificate_exit_4(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a certificate", encoding="utf-8")
    result = invoke(str(path), "--client", "acme", "--requirements", str(EXAMPLE), "--as-of", "2026-11-21")
    assert result.exit_code == 4, result.output


def test_configured_provider_id_resolves_to_its_name(tmp_path: Path, good_json: Path) -> None:
    config = tmp_path / "coibot.yaml"
    config.write_text(
        "clients:\n  - id: beta\n    name: Beta Co\n    requirement_sets:\n      - name: current\n"
        "        effective_from: 2026-01-01\n        coverages:\n          general_liability: {}\n"
        "providers:\n  - id: highmark\n    name: Highmark Data Cabling, Inc.\n    clients: [beta]\n"
        "  - id: lowmark\n    name: Lowmark Cabling LLC\n    clients: [beta]\n",
        encoding="utf-8",
    )
    base = [str(good_json), "--client", "beta", "--config", str(config), "--as-of", "2026-11-21", "--json"]
    same = json.loads(invoke(*base, "--provider", "highmark").stdout)
    assert same["status"] == "compliant"
    other = json.loads(invoke(*base, "--provider", "lowmark").stdout)
    assert [(g["code"], g["required"]) for g in other["gaps"]] == [
        ("insured_mismatch", "Lowmark Cabling LLC")
    ]


def test_waiver_naming_its_provider_by_id_applies(tmp_path: Path, good_json: Path) -> None:
    # The id `dw-01` looks nothing like the name; the configuration says whose it is.
    config = tmp_path / "coibot.yaml"
    config.write_text(
        "clients:\n  - id: beta\n    name: Beta Co\n    requirement_sets:\n      - name: current\n"
        "        effective_from: 2026-01-01\n        coverages:\n          general_liability:\n"
        "            limits: {each_occurrence: 2000000}\n"
        "    waivers:\n      - provider: dw-01\n        requirement: general_liability.limits\n"
        "        waived_by: Dana Risk\n        reason: Small job\n"
        "providers:\n  - id: dw-01\n    name: Highmark Data Cabling, Inc.\n    clients: [beta]\n",
        encoding="utf-8",
    )
    base = [str(good_json), "--client", "beta", "--config", str(config), "--as-of", "2026-11-21", "--json"]
    for extra in (["--provider", "dw-01"], []):
        result = invoke(*base, *extra)
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["gaps"] == [], extra
        waived = [(w["code"], w["waived_by"]) for w in report["waived"]]
        assert waived == [("limit_below_minimum", "Dana Risk")]

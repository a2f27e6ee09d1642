"""`coibot extract`: contract JSON for one or several files, a readable summary, error objects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coibot.cli.app import app
from coibot.errors import ExtractionError

SHARED = Path(__file__).resolve().parents[3] / "shared"
TEXT_PDF = SHARED / "samples" / "sample_002.pdf"
FILLABLE_PDF = SHARED / "samples" / "sample_003.pdf"
MULTI = Path(__file__).resolve().parents[1] / "fixtures" / "certificates-multi" / "two_certificates_001.pdf"

runner = CliRunner()


def test_one_file_json_is_one_object() -> None:
    result = runner.invoke(app, ["extract", str(TEXT_PDF), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    assert data["source"]["file"] == TEXT_PDF.name
    assert data["source"]["method"] == "text"
    assert data["policies"]


def test_several_files_json_is_an_array() -> None:
    result = runner.invoke(app, ["extract", str(TEXT_PDF), str(FILLABLE_PDF), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [d["source"]["file"] for d in data] == [TEXT_PDF.name, FILLABLE_PDF.name]


@pytest.mark.skipif(not MULTI.exists(), reason="multi-certificate corpus not generated")
def test_pdf_with_two_certificates_is_an_array() -> None:
    result = runner.invoke(app, ["extract", str(MULTI), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) == 2


def test_unreadable_file_json_error_object_and_nonzero_exit(tmp_path: Path) -> None:
    bogus = tmp_path / "coi.pdf"
    bogus.write_text("this is not a PDF")
    result = runner.invoke(app, ["extract", str(bogus), "--json"])
    assert result.exit_code == ExtractionError.exit_code
    data = json.loads(result.stdout)
    assert data["error"]["code"] == "unsupported_type"
    assert data["error"]["message"]


def test_mixed_good_and_bad_files_keep_both_and_fail(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["extract", str(TEXT_PDF), str(empty), "--json"])
    assert result.exit_code != 0
    first, second = json.loads(result.stdout)
    assert first["source"]["file"] == TEXT_PDF.name and first["policies"]
    assert second["error"]["code"] == "empty_file"


def test_summary_without_json() -> None:
    result = runner.invoke(app, ["extract", str(TEXT_PDF)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert TEXT_PDF.name in result.stdout
    assert "Insured:" in result.stdout
    truth = json.loads((TEXT_PDF.parent / (TEXT_PDF.name + ".truth.json")).read_text())
    assert truth["policies"][0]["policy_number"] in result.stdout


def test_summary_of_an_unreadable_file_goes_to_stderr(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["extract", str(empty)])
    assert result.exit_code == ExtractionError.exit_code
    assert "empty_file" in result.stderr

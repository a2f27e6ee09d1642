"""extract_document: sniffing, errors with stable codes, splitting, the contract schema, the CLI entry."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from coibot.errors import ExtractionError
from coibot.extract import reader
from coibot.extract.reader import extract_document
from coibot.extract.sniff import sniff_bytes as sniff
from coibot.limits import Limits

from .conftest import CORPUS, GL_LIMITS, REAL, SAMPLES, Cert, Pol

Make = Callable[..., Path]
Validate = Callable[[dict[str, Any]], list[str]]


def _code(path: Path, limits: Limits | None = None) -> str:
    with pytest.raises(ExtractionError) as err:
        extract_document(path, limits)
    return err.value.code


def test_sniff_by_magic_bytes() -> None:
    assert sniff(b"%PDF-1.7\n") == "pdf"
    assert sniff(b"\x00\x00junk%PDF-1.4") == "pdf"
    assert sniff(b"\x89PNG\r\n\x1a\n....") == "png"
    assert sniff(b"\xff\xd8\xff\xe0") == "jpeg"
    assert sniff(b"II*\x00") == "tiff"
    assert sniff(b"PK\x03\x04") == "unknown"


def test_name_does_not_decide_the_type(tmp_path: Path) -> None:
    fake = tmp_path / "certificate.pdf"
    fake.write_bytes(b"PK\x03\x04 this is a zip file")
    assert _code(fake) == "unsupported_type"
    renamed = tmp_path / "certificate.txt"
    shutil.copy(SAMPLES / "sample_003.pdf", renamed)
    (doc,) = extract_document(renamed)
    assert doc["form"] == "acord25" and doc["source"]["file"] == "certificate.txt"


def test_error_codes(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert _code(empty) == "empty_file"
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer <<>>\n%%EOF")
    assert _code(broken) == "corrupt_pdf"
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes((SAMPLES / "sample_003.pdf").read_bytes()[:3000])
    assert _code(truncated) in ("corrupt_pdf", "not_a_certificate")
    assert _code(tmp_path / "missing.pdf") == "unreadable_file"
    assert _code(SAMPLES / "sample_003.pdf", Limits(max_attachment_bytes=1000)) == "too_large"


def test_encrypted_pdf(tmp_path: Path) -> None:
    from reportlab.lib import pdfencrypt

    path = tmp_path / "locked.pdf"
    enc = pdfencrypt.StandardEncryption("secret-user", "secret-owner", strength=128)
    c = Canvas(str(path), pagesize=letter, encrypt=enc)
    c.drawString(72, 720, "CERTIFICATE OF LIABILITY INSURANCE")
    c.save()
    assert _code(path) == "encrypted"


def test_too_many_pages(make_cert: Make) -> None:
    path = make_cert(Cert(policies=[Pol("gl", limits=GL_LIMITS[:1])]), copies=3)
    assert _code(path, Limits(max_pages=2)) == "too_many_pages"


def test_not_a_certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "letter.pdf"
    c = Canvas(str(path), pagesize=letter)
    lines = ["Dear customer,", "your order 1234 has shipped.", "Regards, the shop", "x y z"]
    for i, line in enumerate(lines):
        c.drawString(72, 720 - 14 * i, line)
    c.save()
    monkeypatch.setattr(reader, "_optional", lambda module, name: None)
    assert _code(path) == "not_a_certificate"


def test_scan_without_ocr_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "_optional", lambda module, name: None)
    assert _code(SAMPLES / "sample_004.pdf") == "no_text_no_ocr"
    assert _code(SAMPLES / "sample_005.jpg") == "no_text_no_ocr"


def test_source_block(make_cert: Make) -> None:
    path = make_cert(Cert(policies=[Pol("gl", limits=GL_LIMITS[:1])]))
    (doc,) = extract_document(path)
    assert doc["source"] == {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                             "pages": 1, "method": "text"}


def test_several_certificates_in_one_pdf(tmp_path: Path) -> None:
    out = pdfium.PdfDocument.new()
    for name in ("sample_002.pdf", "sample_003.pdf"):
        src = pdfium.PdfDocument(str(SAMPLES / name))
        out.import_pages(src)
        src.close()
    path = tmp_path / "two.pdf"
    out.save(str(path))
    out.close()
    first, second = extract_document(path)
    assert first["insured"]["name"] == "Driftwood Locksmith Co."
    assert second["insured"]["name"] == "Cobalt Ridge Moving LLC"
    assert [p["policy_number"] for p in second["policies"]] == [
        "CGL 1175310-37", "GM1-T33-461767-622", "WC-7217009"]
    assert first["source"]["pages"] == second["source"]["pages"] == 2


def test_certificate_then_remarks_then_certificate(make_cert: Make) -> None:
    cert = Cert(policies=[Pol("gl", number="GL-1", limits=GL_LIMITS[:1])],
                description=["Re: Job 1. SEE ATTACHED ACORD 101"], remarks=["More wording for job 1."])
    docs = extract_document(make_cert(cert, copies=2))
    assert len(docs) == 2
    assert all(d["description_of_operations"] == "Re: Job 1. More wording for job 1." for d in docs)


def _policy_facts(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(p["coverage"], p["coverage_name"], p["insurer_letter"], p["policy_number"], p["limits"],
             p["basis"], p.get("statutory", False), p["additional_insured"]) for p in doc["policies"]]


def _agency_text_files() -> list[Path]:
    return [p for p in sorted(CORPUS.glob("agency_*.pdf"))
            if json.loads(p.with_name(p.name + ".truth.json").read_text())["source"]["method"] == "text"]


@pytest.mark.parametrize("path", _agency_text_files(), ids=lambda p: p.name)
def test_certificates_printed_on_the_real_form_by_agency_systems(path: Path) -> None:
    # Row-high boxes drawn as rules, "$1 000 000" amounts, two 'other' coverages on one row with
    # their limits as text, "Inc" wrapped onto the street's line (the real samples' quirks).
    truth = json.loads(path.with_name(path.name + ".truth.json").read_text())
    (doc,) = extract_document(path)
    assert _policy_facts(doc) == _policy_facts(truth)
    assert doc["insured"] == truth["insured"]


def _schema_files() -> list[Path]:
    files = [SAMPLES / "sample_002.pdf", SAMPLES / "sample_003.pdf", REAL / "acord_25_2016_03_sample.pdf"]
    files += sorted(CORPUS.glob("text_00[1-6].pdf")) + sorted(CORPUS.glob("multipage_00[1-3].pdf"))
    return files


@pytest.mark.parametrize("path", _schema_files(), ids=lambda p: p.name)
def test_output_validates_against_the_contract(path: Path, validate: Validate) -> None:
    for doc in extract_document(path):
        assert validate(doc) == []
        json.dumps(doc)  # plain JSON types only


def test_schema_check_can_fail(validate: Validate) -> None:
    (doc,) = extract_document(SAMPLES / "sample_003.pdf")
    doc["policies"][0]["effective_date"] = "09/03/2026"
    assert validate(doc) != []


def test_module_entry_prints_json() -> None:
    run = subprocess.run([sys.executable, "-m", "coibot.extract.reader", str(SAMPLES / "sample_002.pdf")],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["certificate_holder"]["name"] == "Village of Kettle Falls"
    bad = subprocess.run([sys.executable, "-m", "coibot.extract.reader", "/nonexistent.pdf"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == ExtractionError.exit_code and "unreadable_file" in bad.stderr


def test_text_backend_words_marks_and_walls(tmp_path: Path) -> None:
    """Words split at a ruling line even without a space; a tick glyph and a filled square read as X."""
    from coibot.extract.pdf_text import open_pdf

    path = tmp_path / "walls.pdf"
    c = Canvas(str(path), pagesize=letter)
    c.setFont("Helvetica", 10)
    c.drawString(100, 700, "PREMISES")
    width = c.stringWidth("PREMISES", "Helvetica", 10)
    c.line(100 + width + 0.3, 690, 100 + width + 0.3, 715)
    c.drawString(100 + width + 0.6, 700, "$100,000")
    c.drawString(100, 650, "SAME")
    c.drawString(100 + c.stringWidth("SAME", "Helvetica", 10) + 0.6, 650, "WORD")
    c.setFont("ZapfDingbats", 8)
    c.drawString(100, 600, "4")
    c.rect(100, 560, 6, 6, stroke=0, fill=1)
    c.save()
    with open_pdf(path) as doc:
        (page,) = doc.read_pages()
    texts = sorted(w.text for w in page.words)
    assert "PREMISES" in texts and "$100,000" in texts
    assert "SAMEWORD" in texts  # no wall between them: one word
    marks = [w for w in page.words if w.text == "X"]
    assert len(marks) == 2
    assert all(99 <= w.x0 <= 101.5 for w in marks)
    # The tick sits on the baseline at y=600 (top-down 192), the square spans 560-566 (226-232).
    tick, square = sorted(marks, key=lambda w: w.top)
    assert 185 <= tick.top < tick.bottom <= 196
    assert (round(square.top), round(square.bottom)) == (226, 232)

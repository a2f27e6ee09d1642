"""Tesseract engines: in process (tesserocr) and the tesseract program read the same, with real Tesseract."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from coibot.errors import ExtractionError
from coibot.extract import tesseract

pytestmark = pytest.mark.skipif(not tesseract.is_available(), reason="tesseract is not installed")


def _line_image(text: str, size: float = 14, lines: int = 1) -> Image.Image:
    """`text` printed in Helvetica and rendered at 300 dpi, as Tesseract would see a scanned field."""
    buf = io.BytesIO()
    height = 30 + lines * size * 1.6
    c = Canvas(buf, pagesize=(520, height))
    c.setFont("Helvetica", size)
    for i in range(lines):
        c.drawString(20, height - 20 - size - i * size * 1.6, text)
    c.save()
    doc = pdfium.PdfDocument(buf.getvalue())
    img = doc[0].render(scale=300 / 72, grayscale=True).to_pil().convert("L")
    doc.close()
    return img


@pytest.fixture
def fresh_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    tesseract.engine.cache_clear()
    yield
    tesseract.engine.cache_clear()


def _texts(table: tesseract.WordTable) -> list[str]:
    return [str(t).strip() for t in table["text"] if str(t).strip()]


def test_in_process_engine_is_the_default_here(fresh_engine: None) -> None:
    # CI installs tesserocr (a dependency) and Debian's English data: the fast engine must be the one used.
    assert isinstance(tesseract.engine(), tesseract.InProcessEngine)


def test_both_engines_read_the_same_words() -> None:
    img = _line_image("EACH OCCURRENCE $1,000,000 11/03/2025")
    tessdata = tesseract.find_tessdata()
    assert tessdata is not None
    fast = tesseract.InProcessEngine(tessdata).words(img, 7, {}, 300, 20)
    slow = tesseract.CliEngine().words(img, 7, {}, 300, 20)
    assert _texts(fast) == _texts(slow) == ["EACH", "OCCURRENCE", "$1,000,000", "11/03/2025"]
    # Boxes in pixels of the image given, the same from both engines within a few pixels.
    for column in ("left", "top", "width", "height"):
        got = [v for v, t in zip(fast[column], fast["text"], strict=True) if str(t).strip()]
        want = [v for v, t in zip(slow[column], slow["text"], strict=True) if str(t).strip()]
        assert got == pytest.approx(want, abs=4), column
    assert all(0 <= float(c) <= 100 for c in fast["conf"])
    assert set(fast["level"]) == {5}


def test_grayscale_and_colour_images_read_alike() -> None:
    # A grayscale image goes to Tesseract as raw bytes, any other through its own encoding.
    img = _line_image("POLICY NUMBER CGL-2025-64926")
    tessdata = tesseract.find_tessdata()
    assert tessdata is not None
    engine = tesseract.InProcessEngine(tessdata)
    gray = engine.words(img, 7, {}, 300, 20)
    colour = engine.words(img.convert("RGB"), 7, {}, 300, 20)
    assert _texts(gray) == _texts(colour) == ["POLICY", "NUMBER", "CGL-2025-64926"]
    assert gray["left"] == colour["left"] and gray["width"] == colour["width"]


def test_a_variable_does_not_outlive_its_call() -> None:
    img = _line_image("POLICY ABC")
    tessdata = tesseract.find_tessdata()
    assert tessdata is not None
    engine = tesseract.InProcessEngine(tessdata)
    digits_only = _texts(engine.words(img, 7, {"tessedit_char_whitelist": "0123456789"}, 300, 20))
    assert "POLICY" not in digits_only
    assert _texts(engine.words(img, 7, {}, 300, 20)) == ["POLICY", "ABC"]


def test_a_blank_image_gives_no_words() -> None:
    table = tesseract.image_to_data(Image.new("L", (600, 200), 255), 11, dpi=300, timeout=20)
    assert _texts(table) == []


def test_timeout_is_a_typed_error() -> None:
    img = _line_image("THE POLICIES OF INSURANCE LISTED BELOW HAVE BEEN ISSUED TO THE INSURED", 9, 60)
    tessdata = tesseract.find_tessdata()
    assert tessdata is not None
    with pytest.raises(ExtractionError) as caught:
        tesseract.InProcessEngine(tessdata).words(img, 6, {}, 300, 0.001)
    assert caught.value.code == "timeout"


def test_cli_engine_can_be_forced(fresh_engine: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COIBOT_OCR_ENGINE", "cli")
    assert isinstance(tesseract.engine(), tesseract.CliEngine)


def test_tessdata_prefix_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "eng.traineddata").write_bytes(b"model")
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    assert tesseract.find_tessdata() == f"{tmp_path}/"
    # A folder without the English model is passed over.
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path / "missing"))
    assert tesseract.find_tessdata() != f"{tmp_path / 'missing'}/"


def test_a_missing_model_falls_back_to_the_program(
    fresh_engine: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tesseract, "find_tessdata", lambda: None)
    assert isinstance(tesseract.engine(), tesseract.CliEngine)


def test_table_words_drop_specks_but_keep_marks() -> None:
    rows = [("‘", 20), ("oe", 5), ("X", 5), ("$", 10), ("42798", 5), ("Cc", 90), ("__AUTO|", 90)]
    table: tesseract.WordTable = {
        "level": [5] * len(rows),
        "left": [10 * i for i in range(len(rows))],
        "top": [0] * len(rows),
        "width": [8] * len(rows),
        "height": [12] * len(rows),
        "conf": [conf for _, conf in rows],
        "text": [text for text, _ in rows],
    }
    words = tesseract.table_words(table, 0.5, dx=4)
    assert [w.text for w in words] == ["X", "$", "42798", "C", "AUTO"]
    # Pixels to points: (left + dx) * scale.
    assert (words[0].x0, words[0].x1, words[0].bottom) == (12.0, 16.0, 6.0)


def test_table_words_drop_a_broken_rules_flat_pieces_and_split_at_a_rule_inside_a_word() -> None:
    # (text, width, height) in pixels: a rule's fragments read as "a" and "=", a real dash, a word.
    rows = [("a", 66, 3), ("=", 22, 3), ("-", 20, 4), ("Tulsa", 100, 22), ("LTR__TYPE", 90, 20)]
    table: tesseract.WordTable = {
        "level": [5] * len(rows),
        "left": [200 * i for i in range(len(rows))],
        "top": [0] * len(rows),
        "width": [w for _, w, _ in rows],
        "height": [h for _, _, h in rows],
        "conf": [60] * len(rows),
        "text": [t for t, _, _ in rows],
    }
    words = tesseract.table_words(table, 1.0)
    assert [w.text for w in words] == ["-", "Tulsa", "LTR", "TYPE"]
    ltr, typ = words[2:]
    assert (ltr.x0, ltr.x1, typ.x0, typ.x1) == (800.0, 830.0, 850.0, 890.0)

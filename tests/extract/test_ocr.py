"""OCR backend against real Tesseract: scans, photos, rotation, multi-page TIFF, field re-reads.

Each page is OCR'd once per module (fixtures below): the whole file stays well under a minute.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from coibot.errors import ExtractionError
from coibot.extract import ocr, reread
from coibot.extract.words import PageWords
from coibot.limits import Limits

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
SCAN_PDF = SAMPLES / "sample_004.pdf"  # 300 dpi, image-only PDF, skewed ~2 degrees
PHOTO_JPG = SAMPLES / "sample_005.jpg"  # 200 dpi JPEG
TEXT_PDF = SAMPLES / "sample_002.pdf"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not ocr.is_available(), reason="tesseract is not installed"),
]


def _texts(page: PageWords) -> set[str]:
    return {w.text for w in page.words}


def _word(page: PageWords, text: str) -> ocr.Word:
    return next(w for w in page.words if w.text == text)


@pytest.fixture(scope="module")
def scan_pdf_pages() -> list[PageWords]:
    return ocr.ocr_pdf(SCAN_PDF, Limits())


@pytest.fixture(scope="module")
def photo_pages() -> list[PageWords]:
    return ocr.ocr_image(PHOTO_JPG, Limits())


def test_image_only_pdf(scan_pdf_pages: list[PageWords]) -> None:
    (page,) = scan_pdf_pages
    assert page.method == "ocr" and page.number == 1
    assert (page.width, page.height) == pytest.approx((612, 792), abs=1)
    texts = _texts(page)
    # Values of the truth file, as printed.
    for value in ("24198", "42798", "21661", "NTFU7203520", "BCSW8338944", "05/29/2026", "12/26/2025"):
        assert value in texts, value
    assert {"2,000,000", "4,000,000", "3,000,000"} <= {t.lstrip("$") for t in texts}
    assert all(0.0 <= w.conf <= 1.0 for w in page.words)
    assert all(0 <= w.x0 < w.x1 <= 612 and 0 <= w.top < w.bottom <= 792 for w in page.words)


def test_words_sit_where_the_page_prints_them(scan_pdf_pages: list[PageWords]) -> None:
    (page,) = scan_pdf_pages
    # NAIC codes are in the right-hand column, the insured's name in the left half.
    naic = _word(page, "42798")
    assert naic.x0 > 500
    insured = _word(page, "Kingsbury")
    assert insured.x1 < 300
    assert naic.top < _word(page, "NTFU7203520").top


def test_ruling_lines_are_reported(scan_pdf_pages: list[PageWords]) -> None:
    (page,) = scan_pdf_pages
    horizontal = [r for r in page.rules if r.horizontal]
    vertical = [r for r in page.rules if not r.horizontal]
    assert len(horizontal) >= 25 and len(vertical) >= 8
    # Deskewed: a long rule is level to within a point and a half.
    longest = max(horizontal, key=lambda r: r.x1 - r.x0)
    assert longest.x1 - longest.x0 > 400
    assert longest.bottom - longest.top < 3


def test_jpeg_photo(photo_pages: list[PageWords]) -> None:
    (page,) = photo_pages
    texts = _texts(page)
    for value in ("08/29/2026", "11/19/2025", "11/19/2026", "42798"):
        assert value in texts, value
    assert "Whitmore" in texts and "Driftwood" in texts


def test_reread_a_date_on_a_tight_crop(photo_pages: list[PageWords]) -> None:
    (page,) = photo_pages
    date = _word(page, "08/29/2026")
    image = ocr.page_image(PHOTO_JPG, 1)
    assert image is not None
    again = reread.reread(image, (date.x0, date.top, date.x1, date.bottom), "date")
    assert again is not None and again.text == "08/29/2026" and again.conf > 0.5
    amount = next(w for w in page.words if w.text.lstrip("$") == "1,000,000")
    money = ocr.reread_field(PHOTO_JPG, 1, (amount.x0, amount.top, amount.x1, amount.bottom), "amount")
    assert money is not None and re.fullmatch(r"\$?1,000,000", money.text)


def test_reread_of_blank_paper_reads_nothing(photo_pages: list[PageWords]) -> None:
    image = ocr.page_image(PHOTO_JPG, 1)
    assert image is not None
    # Paper below the form: nothing to read, nothing invented.
    blank = reread.reread(image, (300, 765, 420, 780), "amount")
    assert blank is None or blank.conf < 0.5


def test_rotated_multi_page_tiff(tmp_path: Path, photo_pages: list[PageWords]) -> None:
    # The left part of the form (portrait still): half the words, half the OCR time.
    upright = Image.open(PHOTO_JPG).convert("L").crop((0, 0, 1000, 1500))
    sideways = upright.transpose(Image.Transpose.ROTATE_90)
    upside_down = upright.transpose(Image.Transpose.ROTATE_180)
    path = tmp_path / "two.tif"
    sideways.save(path, save_all=True, append_images=[upside_down], dpi=(200, 200), compression="tiff_lzw")
    pages = ocr.ocr_image(path, Limits())
    assert [p.number for p in pages] == [1, 2]
    for page in pages:
        assert page.width < page.height  # turned back to portrait
        texts = _texts(page)
        assert "Driftwood" in texts and "Whitmore" in texts


def test_text_pdf_pages_are_not_ocrd() -> None:
    assert ocr.ocr_pdf(TEXT_PDF, Limits()) == []


def test_too_many_pages(tmp_path: Path) -> None:
    frames = [Image.new("L", (850, 1100), 255) for _ in range(3)]
    path = tmp_path / "three.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with pytest.raises(ExtractionError) as err:
        ocr.ocr_image(path, Limits(max_pages=2))
    assert err.value.code == "too_many_pages"


def test_blank_page_gives_no_words(tmp_path: Path) -> None:
    path = tmp_path / "blank.png"
    Image.new("L", (1700, 2200), 250).save(path, dpi=(200, 200))
    (page,) = ocr.ocr_image(path, Limits())
    assert page.words == []

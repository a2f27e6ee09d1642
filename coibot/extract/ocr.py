"""OCR backend: scanned PDF pages and images to positioned words and ruling lines, with Tesseract."""

from __future__ import annotations

import logging
import re
import statistics
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from coibot.errors import ExtractionError
from coibot.extract import images, marks, reread, tesseract
from coibot.extract.images import Box, PageImage
from coibot.extract.sniff import precheck_file
from coibot.extract.words import PageWords, Rule, Word
from coibot.limits import Limits

log = logging.getLogger(__name__)

# Resolution the page is OCR'd at: the form's 4-6 pt labels need it (200 dpi loses a label in six);
# lower-resolution scans are enlarged to it.
OCR_DPI = 300.0
# Sparse text: the form's stacked two-line labels beside large values defeat line-based modes (3, 4, 6).
PAGE_PSM = 11
# A page a human would call unreadable: below this median word confidence, orientation is rechecked.
_LOW_PAGE_CONF = 0.55
# Words any certificate (or letter) prints; a page read upside down has almost none of them.
_COMMON_WORDS = frozenset(
    (  # noqa: SIM905 - a word list reads better as prose
        "the of and to or for by in on is be any this that with as at certificate insurance insured "
        "insurer policy policies liability coverage date holder producer limits number name address"
    ).split()
)
# Below this many characters a PDF page has no usable text layer.
_MIN_TEXT_CHARS = 20
_CACHE_SIZE = 4

# The last pages OCR'd, as normalised images, so that the layout can re-read a field on a tight crop.
_pages: OrderedDict[tuple[str, int], PageImage] = OrderedDict()


def is_available() -> bool:
    """Whether Tesseract (with English data) can be run."""
    return tesseract.is_available()


def _reads_as_text(words: Sequence[Word]) -> bool:
    """Whether the words look like English: upside-down pages give confident nonsense."""
    if len(words) < 15:
        return True
    hits = sum(1 for w in words if w.text.strip(".,:;()").lower() in _COMMON_WORDS)
    return hits >= 3 and _median_conf(words) >= _LOW_PAGE_CONF


def _text_score(words: Sequence[Word]) -> float:
    return sum(1 for w in words if w.text.strip(".,:;()").lower() in _COMMON_WORDS) + _median_conf(words)


def _median_conf(words: Sequence[Word]) -> float:
    real = [w.conf for w in words if sum(c.isalnum() for c in w.text) >= 3]
    return statistics.median(real) if real else 0.0


def _osd_rotation(page: PageImage) -> int | None:
    """Counter-clockwise rotation that makes the page upright, per Tesseract's orientation detection."""
    import pytesseract

    small = images.resample(page, 150.0) if page.dpi > 150 else page
    try:
        osd = pytesseract.image_to_osd(small.image, config="--psm 0 -c min_characters_to_try=30", timeout=20)
    except (pytesseract.TesseractError, RuntimeError) as exc:
        log.info("orientation detection failed on page %d: %s", page.number, exc)
        return None
    rotate = re.search(r"Rotate: (\d+)", osd)
    conf = re.search(r"Orientation confidence: ([\d.]+)", osd)
    if not rotate or not conf or float(conf.group(1)) < 0.5:
        return None
    # OSD's "Rotate" is clockwise; ours is counter-clockwise.
    return (360 - int(rotate.group(1))) % 360


def prepare(page: PageImage) -> tuple[PageImage, list[Box], list[Box]]:
    """Upright, deskewed page at the OCR resolution, and its ruling lines in pixels."""
    if images.looks_sideways(page):
        turn = _osd_rotation(page)
        page = images.rotate_quadrant(page, turn if turn in (90, 270) else 90)
    page = images.resample(page, OCR_DPI)
    angle = images.detect_skew(page.image, page.dpi)
    page = images.light_on_dark(images.deskew(page, angle))
    mask = images.ink_mask(page.image)
    horizontal, vertical = images.find_rules(mask, page.dpi)
    log.debug("page %d: skew %.2f deg, %d+%d rules", page.number, angle, len(horizontal), len(vertical))
    return page, horizontal, vertical


def _ocr_prepared(page: PageImage, rules: list[Box], limits: Limits) -> list[Word]:
    clean = images.erase_boxes(page.image, rules)
    data = tesseract.image_to_data(clean, PAGE_PSM, timeout=limits.parse_timeout_seconds, dpi=page.dpi)
    mask = images.ink_mask(clean)
    words = marks.checkboxes_as_marks(page, mask, tesseract.table_words(data, page.scale))
    words = reread.reread_numbers(page, words)
    return words + marks.lone_characters(page, mask, clean, words, limits)


def ocr_page(page: PageImage, limits: Limits, key: str = "") -> PageWords:
    """OCR one page image: orientation, skew, ruling lines, then the words."""
    started = time.perf_counter()
    prepared, horizontal, vertical = prepare(page)
    words = _ocr_prepared(prepared, horizontal + vertical, limits)
    if not _reads_as_text(words):
        # Only a page that reads as nonsense pays for orientation detection and a second pass.
        turn = _osd_rotation(prepared) or 180
        log.info("page %d reads as nonsense: trying it turned by %d degrees", page.number, turn)
        turned, t_horizontal, t_vertical = prepare(images.rotate_quadrant(prepared, turn))
        t_words = _ocr_prepared(turned, t_horizontal + t_vertical, limits)
        if _text_score(t_words) > _text_score(words):
            prepared, horizontal, vertical, words = turned, t_horizontal, t_vertical, t_words
    s = prepared.scale
    rules = [Rule(x0 * s, t * s, x1 * s, b * s) for x0, t, x1, b in horizontal + vertical]
    _remember(key, prepared)
    log.info(
        "OCR page %d: %d words, median conf %.2f, %.2f s",
        page.number,
        len(words),
        _median_conf(words),
        time.perf_counter() - started,
    )
    return PageWords(
        number=page.number,
        width=prepared.width_pt,
        height=prepared.height_pt,
        method="ocr",
        words=words,
        rules=rules,
    )


def _remember(key: str, page: PageImage) -> None:
    if not key:
        return
    _pages[(key, page.number)] = page
    _pages.move_to_end((key, page.number))
    while len(_pages) > _CACHE_SIZE:
        _pages.popitem(last=False)


def page_image(path: Path, number: int) -> PageImage | None:
    """The normalised image (upright, deskewed, at OCR resolution) of a page OCR'd in this process."""
    return _pages.get((str(path), number))


def open_pdf(path: Path, limits: Limits) -> Any:
    """A pypdfium2 document, with its page count checked; an empty user password is tried by pdfium."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        text = str(exc).lower()
        if "password" in text or "security" in text:
            raise ExtractionError("encrypted", f"{path.name} is encrypted with a password") from exc
        raise ExtractionError("corrupt_pdf", f"{path.name} cannot be opened as a PDF: {exc}") from exc
    n = len(doc)
    if n == 0:
        doc.close()
        raise ExtractionError("no_pages", f"{path.name} has no pages")
    if n > limits.max_pages:
        doc.close()
        raise ExtractionError(
            "too_many_pages", f"{path.name} has {n} pages, over the limit of {limits.max_pages}"
        )
    return doc


def ocr_pdf(path: Path, limits: Limits, pages: Sequence[int] | None = None) -> list[PageWords]:
    """OCR the given 1-based pages of a PDF (default: every page without a text layer)."""
    precheck_file(path, limits)
    doc = open_pdf(path, limits)
    try:
        out: list[PageWords] = []
        numbers = list(pages) if pages is not None else range(1, len(doc) + 1)
        for number in numbers:
            if not 1 <= number <= len(doc):
                raise ExtractionError("no_such_page", f"{path.name} has no page {number}")
            page = doc[number - 1]
            try:
                if pages is None and page.get_textpage().count_chars() >= _MIN_TEXT_CHARS:
                    continue
                rendered = images.render_pdf_page(page, number, limits, path.name, target_dpi=OCR_DPI)
            finally:
                page.close()
            out.append(ocr_page(rendered, limits, key=str(path)))
        return out
    finally:
        doc.close()


def ocr_image(path: Path, limits: Limits) -> list[PageWords]:
    """OCR every page of a PNG, JPEG or TIFF."""
    precheck_file(path, limits)
    return [ocr_page(p, limits, key=str(path)) for p in images.load_image_pages(path, limits)]


def reread_field(path: Path, page_number: int, box: Box, kind: reread.ReadKind = "text") -> Word | None:
    """`reread` on a page OCR'd earlier in this process; None when that page is not at hand."""
    page = page_image(path, page_number)
    return reread.reread(page, box, kind) if page is not None else None

"""OCR backend: scanned PDF pages and images to positioned words and ruling lines, with Tesseract."""

from __future__ import annotations

import logging
import re
import statistics
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from PIL import Image

from coibot.errors import ExtractionError
from coibot.extract import images, tesseract
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
# tessedit_do_invert=0 skips a second pass over every line looking for white-on-black text.
_BASE_VARIABLES = {"tessedit_do_invert": "0"}
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
# At most this many lone ink blobs are re-read per page (a form has a few dozen letters and flags).
_MAX_LONE = 80
# Numbers read with less confidence than this are read again on their own crop (a call each).
_UNSURE_CONF = 0.6
_MAX_REREAD = 6
# A lone glyph read with less confidence is more likely a speck or a fragment than a letter.
_LONE_MIN_CONF = 0.4
# Confidence of a check mark found as ink inside a box frame (not read by Tesseract).
_CHECKBOX_CONF = 0.9
ReadKind = Literal["date", "amount", "code", "text"]
_WHITELIST: dict[str, str] = {
    "date": "0123456789/-.",
    "amount": "0123456789,$.",
    "code": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-/.",
}
# Single characters that mean something on a form: check marks and Y/N flags.
_MARKS = frozenset({"X", "Y", "N"})
_REREAD_HEIGHT_PX = 48  # Tesseract reads best with capital letters 30-50 px high

# The last pages OCR'd, as normalised images, so that the layout can re-read a field on a tight crop.
_pages: OrderedDict[tuple[str, int], PageImage] = OrderedDict()


def is_available() -> bool:
    """Whether Tesseract (with English data) can be run."""
    return tesseract.is_available()


def _tesseract_data(
    img: Image.Image, psm: int, variables: Mapping[str, str] | None = None, timeout: float = 0, dpi: float = 0
) -> tesseract.WordTable:
    return tesseract.image_to_data(
        img, psm, {**_BASE_VARIABLES, **(variables or {})}, dpi=dpi, timeout=timeout
    )


def _words(data: dict[str, list[Any]], scale: float, dx: float = 0.0, dy: float = 0.0) -> list[Word]:
    """Word-level rows of Tesseract's TSV, mapped from pixels to points by `scale` (points per pixel)."""
    out: list[Word] = []
    for i, text in enumerate(data["text"]):
        # Underscores and bars at a word's edge are what is left of a ruling line.
        text = str(text).strip().strip("_|")
        if not text or int(data["level"][i]) != 5:
            continue
        conf = max(0.0, min(1.0, float(data["conf"][i]) / 100.0))
        if len(text) == 2 and text[0].isupper() and text[1] == text[0].lower():
            # The LSTM doubles an isolated capital ("Cc"); a real word is never spelt so.
            text = text[0]
        if _is_speck(text, conf):
            continue
        left, top = float(data["left"][i]) + dx, float(data["top"][i]) + dy
        out.append(
            Word(
                text=text,
                x0=left * scale,
                top=top * scale,
                x1=(left + float(data["width"][i])) * scale,
                bottom=(top + float(data["height"][i])) * scale,
                conf=round(conf, 3),
            )
        )
    return out


def _is_speck(text: str, conf: float) -> bool:
    """Noise that Tesseract read as a word: punctuation or a letter or two it has no faith in."""
    if not any(c.isalnum() for c in text):
        return conf < 0.5 and text != "$"
    return conf < 0.1 and len(text) <= 2 and text.upper() not in _MARKS


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
    page = images.deskew(page, angle)
    mask = images.ink_mask(page.image)
    horizontal, vertical = images.find_rules(mask, page.dpi)
    log.debug("page %d: skew %.2f deg, %d+%d rules", page.number, angle, len(horizontal), len(vertical))
    return page, horizontal, vertical


def _ocr_prepared(page: PageImage, rules: list[Box], limits: Limits) -> list[Word]:
    clean = images.erase_boxes(page.image, rules)
    data = _tesseract_data(clean, PAGE_PSM, timeout=limits.parse_timeout_seconds, dpi=page.dpi)
    mask = images.ink_mask(clean)
    words = _checkboxes_as_marks(page, mask, _words(data, page.scale))
    words = _reread_numbers(page, words)
    return words + _lone_characters(page, mask, clean, words, limits)


def _doubtful_number(w: Word) -> bool:
    """A policy number, date or amount Tesseract was unsure of, or that holds a stray character."""
    digits = sum(c.isdigit() for c in w.text)
    if digits < 4 or len(w.text) < 6:
        return False
    odd = any(not (c.isalnum() or c in ",./-()#:") for c in w.text.lstrip("$"))
    return odd or w.conf < _UNSURE_CONF


def _reread_numbers(page: PageImage, words: list[Word]) -> list[Word]:
    """Doubtful numbers read again, one by one, on a tight enlarged crop (a block pass misreads them)."""
    out = list(words)
    doubtful = [i for i, w in enumerate(words) if _doubtful_number(w)][:_MAX_REREAD]
    for i in doubtful:
        old = words[i]
        new = reread(page, (old.x0, old.top, old.x1, old.bottom), "text")
        if new is None or " " in new.text or new.text == old.text or new.conf < _LONE_MIN_CONF:
            continue
        if all(c.isalnum() or c in ",./-()$" for c in new.text):
            log.debug("re-read %r as %r (conf %.2f -> %.2f)", old.text, new.text, old.conf, new.conf)
            out[i] = Word(new.text, old.x0, old.top, old.x1, old.bottom, new.conf)
    return out


def _checkboxes_as_marks(page: PageImage, mask: images.Mask, words: list[Word]) -> list[Word]:
    """Tesseract reads a checkbox as "[X]", "{XJ", "(J", "[]"...: let the pixels say which it is."""
    s = page.dpi / 72.0
    out: list[Word] = []
    for w in words:
        if len(w.text) > 4:
            out.extend(_split_leading_box(page, mask, w))
            continue
        state = images.checkbox_state(mask, (w.x0 * s, w.top * s, w.x1 * s, w.bottom * s), page.dpi)
        if state is None:
            out.append(w)
        elif state:
            out.append(Word("X", w.x0, w.top, w.x1, w.bottom, max(w.conf, _CHECKBOX_CONF)))
        # An empty box is no word at all.
    return out


def _split_leading_box(page: PageImage, mask: images.Mask, w: Word) -> list[Word]:
    """A checkbox read as the first letter of the word beside it ("{occur"): the box and the word."""
    if w.text[0] not in "{[(|" or not w.text[1:].strip("{[(|]})J"):
        return [w]
    s = page.dpi / 72.0
    side = w.bottom - w.top
    state = images.checkbox_state(mask, (w.x0 * s, w.top * s, (w.x0 + side) * s, w.bottom * s), page.dpi)
    if state is None:
        return [w]
    rest = Word(w.text[1:].lstrip("{[(|]})J"), w.x0 + side + 1, w.top, w.x1, w.bottom, w.conf)
    return [Word("X", w.x0, w.top, w.x0 + side, w.bottom, _CHECKBOX_CONF), rest] if state else [rest]


def _lone_characters(
    page: PageImage, mask: images.Mask, clean: Image.Image, words: list[Word], limits: Limits
) -> list[Word]:
    """Single letters the sparse pass skipped (INSR LTR, ADDL/SUBR Y/N), read together on one strip."""
    s = page.dpi / 72.0
    taken = [(w.x0 * s, w.top * s, w.x1 * s, w.bottom * s) for w in words]
    blobs, checked = images.ink_clusters(mask, page.dpi, taken)
    blobs = blobs[:_MAX_LONE]
    # A marked checkbox that Tesseract skipped: the layout reads marks as "X".
    marks = [Word("X", b[0] / s, b[1] / s, b[2] / s, b[3] / s, _CHECKBOX_CONF) for b in checked]
    if not blobs:
        return marks
    # One above the other, a line each: Tesseract reads a column of letters it drops one by one.
    gap = round(page.dpi * 0.1)
    width = round(max(b[2] - b[0] for b in blobs)) + 2 * gap
    height = round(sum(b[3] - b[1] for b in blobs)) + gap * (len(blobs) + 1)
    stack = Image.new("L", (width, height), 255)
    slots: list[tuple[float, float, Box]] = []
    y = gap
    for box in blobs:
        crop = clean.crop((round(box[0]), round(box[1]), round(box[2]), round(box[3])))
        stack.paste(crop, (gap, y))
        slots.append((y - gap / 2, y + crop.height + gap / 2, box))
        y += crop.height + gap
    data = _tesseract_data(stack, 6, timeout=limits.parse_timeout_seconds, dpi=page.dpi)
    found: list[Word] = []
    for w in _words(data, 1.0):
        cy = (w.top + w.bottom) / 2
        slot = next((b for lo, hi, b in slots if lo <= cy < hi), None)
        text = w.text
        if len(text) == 2 and text[0].lower() == text[1].lower():
            # The LSTM doubles an isolated glyph ("Cc", "YY"); the blob holds one.
            text = text[0].upper()
        if slot is None or len(text) > 2 or not any(c.isalnum() for c in text) or w.conf < _LONE_MIN_CONF:
            continue
        x0, top, x1, bottom = slot
        found.append(Word(text, x0 / s, top / s, x1 / s, bottom / s, w.conf))
    log.debug(
        "page %d: %d lone characters read of %d blobs, %d marked boxes",
        page.number,
        len(found),
        len(blobs),
        len(marks),
    )
    return found + marks


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


def reread(page: PageImage, box: Box, kind: ReadKind = "text") -> Word | None:
    """Read one field again on a tight, enlarged crop (box in points); None when nothing is read."""
    s = page.dpi / 72.0
    pad = 2.0
    x0, top, x1, bottom = box
    px = (
        max(0, round((x0 - pad) * s)),
        max(0, round((top - pad) * s)),
        min(page.image.width, round((x1 + pad) * s)),
        min(page.image.height, round((bottom + pad) * s)),
    )
    if px[2] - px[0] < 4 or px[3] - px[1] < 4:
        return None
    crop = page.image.crop(px)
    horizontal, vertical = images.find_rules(images.ink_mask(crop), page.dpi)
    crop = images.erase_boxes(crop, horizontal + vertical)
    factor = max(1.0, min(4.0, _REREAD_HEIGHT_PX * 1.6 / max(crop.height, 1)))
    if factor > 1.05:
        crop = crop.resize(
            (round(crop.width * factor), round(crop.height * factor)), Image.Resampling.BICUBIC
        )
    # A white border: Tesseract misreads glyphs touching the image edge.
    canvas = Image.new("L", (crop.width + 40, crop.height + 40), 255)
    canvas.paste(crop, (20, 20))
    variables = {"tessedit_char_whitelist": _WHITELIST[kind]} if kind in _WHITELIST else {}
    data = _tesseract_data(canvas, 7, variables, timeout=20, dpi=page.dpi * factor)
    words = _words(data, 1.0)
    if not words:
        return None
    text = " ".join(w.text for w in words)
    conf = min(w.conf for w in words)
    log.debug("re-read %s at %s: %r (conf %.2f)", kind, box, text, conf)
    return Word(text=text, x0=x0, top=top, x1=x1, bottom=bottom, conf=conf)


def reread_field(path: Path, page_number: int, box: Box, kind: ReadKind = "text") -> Word | None:
    """`reread` on a page OCR'd earlier in this process; None when that page is not at hand."""
    page = page_image(path, page_number)
    return reread(page, box, kind) if page is not None else None

"""Re-reading one field on a tight, enlarged crop: a block pass misreads a number a human reads easily."""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np
from PIL import Image

from coibot.extract import images, marks, tesseract
from coibot.extract.images import Box, PageImage
from coibot.extract.words import Word

log = logging.getLogger(__name__)

ReadKind = Literal["date", "amount", "code", "digits", "letter", "flag", "text", "checkbox"]
_WHITELIST: dict[str, str] = {
    "digits": "0123456789",
    "letter": "ABCDEF",  # an INSR LTR cell names an insurer A-F
    "flag": "YNX",  # an ADDL INSD / SUBR WVD cell
    "date": "0123456789/-.",
    "amount": "0123456789,$.",
    "code": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-/.",
}
# Numbers read with less confidence than this are read again on their own crop (a call each).
_UNSURE_CONF = 0.6
_MAX_REREAD = 12
# The enlargement of a third read that settles a re-read changing a digit, relative to the usual.
_CHECK_ENLARGE = 1.3
# A re-read with less confidence than this is no better than what it would replace.
_MIN_CONF = 0.4
_REREAD_HEIGHT_PX = 48  # Tesseract reads best with capital letters 30-50 px high
# A glyph re-read less sure than this is read a second way.
_GLYPH_SURE_CONF = 0.6
# A line through this share of a cell's crop is one of its rules: no letter spans a cell.
_CELL_RULE_SPAN = 0.85
# Inches: a stroke this thin at a crop's side edge, apart from the rest, is a cell's rule.
_EDGE_RULE_IN = 0.012


def doubtful_number(w: Word) -> bool:
    """A policy number, date or amount Tesseract was unsure of, or that holds a stray character."""
    digits = sum(c.isdigit() for c in w.text)
    if digits < 4 or len(w.text) < 6:
        return False
    odd = any(not (c.isalnum() or c in ",./-()#:") for c in w.text.lstrip("$"))
    return odd or w.conf < _UNSURE_CONF


def reread_numbers(page: PageImage, words: list[Word]) -> list[Word]:
    """Doubtful numbers read again, one by one, on a tight enlarged crop (a block pass misreads them)."""
    out = list(words)
    doubtful = [i for i, w in enumerate(words) if doubtful_number(w)][:_MAX_REREAD]
    for i in doubtful:
        old = words[i]
        box = (old.x0, old.top, old.x1, old.bottom)
        new = reread(page, box, "text")
        if new is None or " " in new.text or new.text == old.text or new.conf < _MIN_CONF:
            continue
        if _digits(new.text) != _digits(old.text):
            new = _settled(page, box, old, new)
        if " " in new.text:
            continue
        if all(c.isalnum() or c in ",./-()$" for c in new.text):
            log.debug("re-read %r as %r (conf %.2f -> %.2f)", old.text, new.text, old.conf, new.conf)
            out[i] = Word(new.text, old.x0, old.top, old.x1, old.bottom, new.conf)
    return out


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _settled(page: PageImage, box: Box, old: Word, new: Word) -> Word:
    """A re-read that changes a digit of the first reading, or a third read, enlarged otherwise,
    when that sides with the first (two readings of three agree). Tesseract turns a 1 into a 4 on
    one enlargement of a black-and-white scan and not on the next, at high confidence either way."""
    third = reread(page, box, "text", enlarge=_CHECK_ENLARGE)
    log.debug("third read of %r / %r: %r", old.text, new.text, third and third.text)
    if third is not None and third.conf >= _MIN_CONF and _digits(third.text) == _digits(old.text):
        return third
    return new


def reread(page: PageImage, box: Box, kind: ReadKind = "text", enlarge: float = 1.0) -> Word | None:
    """Read one field again on a tight, enlarged crop (box in points); None when nothing is read.

    Kind "checkbox" judges the checkbox in the box from its pixels: "X" when marked, "" when empty.
    `enlarge` scales the usual enlargement (a second opinion at another size).
    """
    if kind == "checkbox":
        return _checkbox(page, box)
    if kind in ("letter", "flag"):
        return _glyph(page, box, _WHITELIST[kind])
    x0, top, x1, bottom = box
    crop = _crop(page, box, pad=2.0)
    if crop is None:
        return None
    horizontal, vertical = images.find_rules(images.ink_mask(crop), page.dpi)
    crop = images.erase_boxes(crop, horizontal + vertical)
    factor = max(1.0, min(4.0, _REREAD_HEIGHT_PX * 1.6 / max(crop.height, 1))) * enlarge
    if factor > 1.05:
        crop = crop.resize(
            (round(crop.width * factor), round(crop.height * factor)), Image.Resampling.BICUBIC
        )
    # A white border: Tesseract misreads glyphs touching the image edge.
    canvas = Image.new("L", (crop.width + 40, crop.height + 40), 255)
    canvas.paste(crop, (20, 20))
    variables = {"tessedit_char_whitelist": _WHITELIST[kind]} if kind in _WHITELIST else {}
    data = tesseract.image_to_data(canvas, 7, variables, timeout=20, dpi=page.dpi * factor)
    words = tesseract.table_words(data, 1.0)
    if not words:
        return None
    text = " ".join(w.text for w in words)
    conf = min(w.conf for w in words)
    log.debug("re-read %s at %s: %r (conf %.2f)", kind, box, text, conf)
    return Word(text=text, x0=x0, top=top, x1=x1, bottom=bottom, conf=conf)


def _checkbox(page: PageImage, box: Box) -> Word | None:
    x0, top, x1, bottom = box
    crop = _crop(page, box)
    if crop is None:
        return None
    # A column's rule beside the box would make one tall cluster of the two.
    horizontal, vertical = images.find_rules(images.ink_mask(crop), page.dpi)
    state = marks.checkbox_in(images.ink_mask(images.erase_boxes(crop, horizontal + vertical)), page.dpi)
    log.debug("checkbox at %s: %s", box, state)
    if state is None:
        return None
    return Word(text="X" if state else "", x0=x0, top=top, x1=x1, bottom=bottom, conf=0.9)


def _glyph(page: PageImage, box: Box, allowed: str) -> Word | None:
    """The one letter in a cell (INSR LTR, ADDL INSD), read alone as one of `allowed`: the cell's
    ruling lines and specks, which a line read takes for characters, are left out of the crop."""
    x0, top, x1, bottom = box
    crop = _crop(page, box)
    if crop is None:
        return None
    crop = _without_edge_rules(_erase_cell_rules(crop), page.dpi)
    glyphs = marks.glyphs_in(images.ink_mask(crop), page.dpi) or _lone_ink(crop, page.dpi)
    if not glyphs:
        return None
    g = glyphs[0]
    pad = max(2, round(page.dpi / 50))
    glyph = crop.crop((max(0, round(g[0]) - pad), max(0, round(g[1]) - pad),
                       min(crop.width, round(g[2]) + pad), min(crop.height, round(g[3]) + pad)))
    factor = max(1.0, min(4.0, _REREAD_HEIGHT_PX / max(g[3] - g[1], 1)))
    if factor > 1.05:
        glyph = glyph.resize((round(glyph.width * factor), round(glyph.height * factor)),
                             Image.Resampling.BICUBIC)
    # Black on white, three times in a row: the LSTM reads a lone light glyph poorly (often not
    # at all), a short word of it well, and three readings must agree.
    ink = Image.fromarray(np.where(images.ink_mask(glyph), 0, 255).astype(np.uint8), mode="L")
    dpi = page.dpi * factor
    text, conf = _read_thrice(ink, ink.width // 3 + 4, allowed, dpi)
    if text is None or conf < _GLYPH_SURE_CONF:
        # Whitelisted, the three copies read as one odd word ("YYY") that Tesseract trusts
        # little or not at all; set apart and read freely, each is a word of its own with a
        # confidence that means something. Taken only when all three agree on an allowed letter.
        apart, apart_conf = _read_thrice(ink, ink.width + 4, None, dpi)
        if apart is not None and apart in allowed and (text is None or apart_conf > conf):
            text, conf = apart, apart_conf
    log.debug("re-read a glyph of %s at %s: %r (conf %.2f)", allowed, box, text, conf)
    if text is None:
        return None
    return Word(text=text, x0=x0, top=top, x1=x1, bottom=bottom, conf=conf)


def _read_thrice(ink: Image.Image, gap: int, allowed: str | None, dpi: float) -> tuple[str | None, float]:
    """One glyph pasted three times `gap` pixels apart and read as a line: the letter when the
    three readings agree (None otherwise), with the least confidence of the words read. With
    `allowed`, Tesseract may read only those letters (either case)."""
    canvas = Image.new("L", (3 * ink.width + 2 * gap + 40, ink.height + 40), 255)
    for i in range(3):
        canvas.paste(ink, (20 + i * (ink.width + gap), 20))
    if allowed is None:
        data = tesseract.image_to_data(canvas, 7, timeout=20, dpi=dpi)
    else:
        # (A serif C reads as a small c; the column prints capitals only.)
        letters = allowed + allowed.lower()
        data = tesseract.image_to_data(canvas, 8, {"tessedit_char_whitelist": letters}, timeout=20, dpi=dpi)
    words = tesseract.table_words(data, 1.0)
    text = "".join(w.text for w in words).upper()
    conf = min((w.conf for w in words), default=0.0)
    if len(text) != 3 or len(set(text)) != 1:
        return None, conf
    return text[0], conf


def _erase_cell_rules(crop: Image.Image) -> Image.Image:
    """The crop with its cell's own rules painted white: lines across nearly all of its width or
    height. A cell narrower than find_rules' shortest rule (an ADDL INSD cell is 17 pt wide) keeps
    its top and bottom rules, which join the side rules and the letter into one frame-sized
    cluster, and then no glyph is found at all."""
    mask = images.ink_mask(crop)
    h, w = mask.shape
    if h < 4 or w < 4:
        return crop
    # A rule a pixel off level (what deskew leaves) still counts: each line with its neighbours.
    rows = _widened(mask).mean(axis=1) >= _CELL_RULE_SPAN
    cols = _widened(mask.T).mean(axis=1) >= _CELL_RULE_SPAN
    if not rows.any() and not cols.any():
        return crop
    arr = np.array(crop, dtype=np.uint8)
    arr[_widened(rows[:, None])[:, 0], :] = 255
    arr[:, _widened(cols[:, None])[:, 0]] = 255
    return Image.fromarray(arr, mode="L")


def _without_edge_rules(crop: Image.Image, dpi: float) -> Image.Image:
    """The crop without a thin stroke at its left or right edge, apart from the rest of the ink:
    a side rule of the cell broken by the scan, too short for `_erase_cell_rules`, which would
    make one cluster of itself and the letter."""
    mask = images.ink_mask(crop)
    cols = np.asarray(mask.any(axis=0))
    runs = images.true_runs(cols)
    if len(runs) < 2:
        return crop
    thin = max(2, round(dpi * _EDGE_RULE_IN))
    arr = np.array(crop, dtype=np.uint8)
    for a, b in (runs[0], runs[-1]):
        if (a == 0 or b == cols.size) and b - a <= thin:
            arr[:, a:b] = 255
    return Image.fromarray(arr, mode="L")


def _widened(mask: np.ndarray) -> np.ndarray:
    """Each row ORed with the rows above and below it."""
    out = mask.copy()
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    return out


def _lone_ink(crop: Image.Image, dpi: float) -> list[Box]:
    """The cell's ink, its ruling lines erased, as one glyph when it is the size of one: a bold D
    or O, whose outline the glyph finder takes for an empty check box's, is still a letter."""
    mask = images.ink_mask(crop)
    horizontal, vertical = images.find_rules(mask, dpi)
    if horizontal or vertical:
        mask = images.ink_mask(images.erase_boxes(crop, horizontal + vertical, pad=2))
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    if rows.size == 0:
        return []
    x0, top, x1, bottom = float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1)
    w, h = x1 - x0, bottom - top
    # One capital of 4.5-16 pt, about as wide as it is tall.
    if not (dpi * 0.045 <= h <= dpi * 0.22 and 0.5 * h <= w <= 1.3 * h):
        return []
    return [(x0, top, x1, bottom)]


def _crop(page: PageImage, box: Box, pad: float = 0.0) -> Image.Image | None:
    """The page's pixels under `box` (points) widened by `pad` points; None when under 4 pixels a side."""
    s = page.dpi / 72.0
    x0, top, x1, bottom = box
    px = (
        max(0, round((x0 - pad) * s)),
        max(0, round((top - pad) * s)),
        min(page.image.width, round((x1 + pad) * s)),
        min(page.image.height, round((bottom + pad) * s)),
    )
    if px[2] - px[0] < 4 or px[3] - px[1] < 4:
        return None
    return page.image.crop(px)

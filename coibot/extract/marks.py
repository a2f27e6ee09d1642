"""Check boxes and lone letters on a scanned form: judged from the pixels, read by Tesseract one by one.

Tesseract reads a check box as "[X]", "{XJ", "(J" or nothing, and skips the single letters of the
INSR LTR and ADDL INSD / SUBR WVD columns in a sparse pass; these functions find both as ink.
"""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from coibot.extract import tesseract
from coibot.extract.images import Box, Mask, PageImage
from coibot.extract.words import Word
from coibot.limits import Limits

log = logging.getLogger(__name__)

# At most this many lone ink blobs are re-read per page (a form has a few dozen letters and flags).
_MAX_LONE = 80
# A lone glyph read with less confidence is more likely a speck or a fragment than a letter.
_LONE_MIN_CONF = 0.4
# Confidence of a check mark found as ink inside a box frame (not read by Tesseract).
_CHECKBOX_CONF = 0.9
# Inches: the tallest word box a check box is read as. The real ACORD 25's boxes are the cells of
# its 12 pt rows, which Tesseract boxes a little taller.
_BOX_MAX_IN = 0.2


def checkboxes_as_marks(page: PageImage, mask: Mask, words: list[Word]) -> list[Word]:
    """Tesseract reads a checkbox as "[X]", "{XJ", "(J", "[]"...: let the pixels say which it is."""
    s = page.dpi / 72.0
    out: list[Word] = []
    for w in words:
        if len(w.text) > 4:
            out.extend(_split_leading_box(page, mask, w))
            continue
        state = checkbox_state(mask, (w.x0 * s, w.top * s, w.x1 * s, w.bottom * s), page.dpi)
        if state is None:
            out.append(w)
        elif state:
            out.append(Word("X", w.x0, w.top, w.x1, w.bottom, max(w.conf, _CHECKBOX_CONF)))
        # An empty box is no word at all.
    return out


def _split_leading_box(page: PageImage, mask: Mask, w: Word) -> list[Word]:
    """A checkbox read as the first letter of the word beside it ("{occur"), or glued to it
    unread (a filled box and OCCUR read as "occur" over both): the box and the word."""
    bracket = w.text[0] in "{[(|"
    if bracket and not w.text[1:].strip("{[(|]})J"):
        return [w]
    side = w.bottom - w.top
    s = page.dpi / 72.0
    if not bracket and not _taller_than_its_text(mask, w, side * s, s):
        return [w]
    state = checkbox_state(mask, (w.x0 * s, w.top * s, (w.x0 + side) * s, w.bottom * s), page.dpi)
    if state is None:
        return [w]
    text = w.text[1:].lstrip("{[(|]})J") if bracket else w.text
    rest = Word(text, w.x0 + side + 1, w.top, w.x1, w.bottom, w.conf)
    return [Word("X", w.x0, w.top, w.x0 + side, w.bottom, _CHECKBOX_CONF), rest] if state else [rest]


def _taller_than_its_text(mask: Mask, w: Word, side: float, s: float) -> bool:
    """Whether a word's box is a check box's height over smaller letters: a box glued to its
    label (a word wider than two boxes whose ink right of the first square is under 3/4 of the
    word's height). A word of letters alone is as tall as they are (an E beside a column rule's
    remnant can look like a box; its word's ink fills the height)."""
    x0, top, x1, bottom = round(w.x0 * s), round(w.top * s), round(w.x1 * s), round(w.bottom * s)
    if x1 - x0 < 2 * side:
        return False
    rest = mask[top:bottom, round(x0 + side) + 1 : x1]
    # (A speck or two above the letters is no part of them.)
    counts = rest.sum(axis=1)
    rows = np.nonzero(counts > max(3.0, 0.15 * float(counts.max(initial=0))))[0]
    return rows.size > 0 and rows[-1] - rows[0] + 1 < 0.75 * (bottom - top)


def lone_characters(
    page: PageImage, mask: Mask, clean: Image.Image, words: list[Word], limits: Limits
) -> list[Word]:
    """Single letters the sparse pass skipped (INSR LTR, ADDL/SUBR Y/N), read together on one strip."""
    s = page.dpi / 72.0
    taken = [(w.x0 * s, w.top * s, w.x1 * s, w.bottom * s) for w in words]
    blobs, checked = ink_clusters(mask, page.dpi, taken)
    blobs = [b for b in blobs if not _inside_a_line(b, taken, page.dpi)][:_MAX_LONE]
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
    data = tesseract.image_to_data(stack, 6, timeout=limits.parse_timeout_seconds, dpi=page.dpi)
    found: list[Word] = []
    for w in tesseract.table_words(data, 1.0):
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


# Inches: ink this close to a word on each side is part of the line's text (the left arc of an "@"
# that Tesseract's box for it left out, read alone as "q"), not a letter on its own.
_GLUED_IN = 1.5 / 72


def _inside_a_line(blob: Box, words: list[Box], dpi: float) -> bool:
    """Whether a blob of ink sits between two words of its line, a hair from each."""
    near = _GLUED_IN * dpi
    height = blob[3] - blob[1]
    line = [w for w in words if min(w[3], blob[3]) - max(w[1], blob[1]) >= 0.5 * height]
    left = any(0 <= blob[0] - w[2] <= near for w in line)
    right = any(0 <= w[0] - blob[2] <= near for w in line)
    return left and right


def ink_clusters(mask: Mask, dpi: float, exclude: list[Box]) -> tuple[list[Box], list[Box]]:
    """Glyph-sized clusters of ink outside the `exclude` boxes (pixel boxes): lone letters, and
    checkboxes with a mark inside (empty ones are left out)."""
    mask = mask.copy()
    h, w = mask.shape
    for x0, top, x1, bottom in exclude:
        mask[max(0, int(top) - 2) : min(h, int(bottom) + 3), max(0, int(x0) - 2) : min(w, int(x1) + 3)] = (
            False
        )
    out: list[Box] = []
    checked: list[Box] = []
    for box in _clusters(mask, max(2, round(dpi / 30))):
        if _glyph_shaped(box, dpi):
            state = _box_state(mask, box)
            if state is None:
                out.append(box)
            elif state:
                checked.append(box)
            continue
        # Two boxes one above the other (OCCUR / CLAIMS-MADE) or a box and its label a hair
        # apart merge at the coarse grid: a finer one parts them. Only boxes are taken from it;
        # a letter broken into strokes would make false letters.
        x0, top, x1, bottom = (round(v) for v in box)
        if (x1 - x0) > dpi * 0.6 or (bottom - top) > dpi * 0.6:
            continue
        for sub in _clusters(mask[top:bottom, x0:x1], max(2, round(dpi / 75))):
            part = (sub[0] + x0, sub[1] + top, sub[2] + x0, sub[3] + top)
            if _glyph_shaped(part, dpi) and _box_state(mask, part):
                checked.append(part)
    return out, checked


def _clusters(mask: Mask, cell: int) -> list[Box]:
    """Tight pixel boxes of the ink's connected clusters on a grid of `cell`-pixel squares (a
    cluster is 8-connected over cells holding a few ink pixels); pictures and logos left out."""
    h, w = mask.shape
    gh, gw = h // cell, w // cell
    if gh == 0 or gw == 0:
        return []
    counts = mask[: gh * cell, : gw * cell].reshape(gh, cell, gw, cell).sum(axis=(1, 3))
    grid = counts >= max(2, cell // 2)  # a few stray noise pixels do not make a cell inky
    seen = np.zeros_like(grid)
    limit = 400 * (10 // min(cell, 10)) ** 2  # cells of a glyph-sized cluster at most
    out: list[Box] = []
    for gy, gx in zip(*np.nonzero(grid), strict=True):
        if seen[gy, gx]:
            continue
        stack = [(int(gy), int(gx))]
        seen[gy, gx] = True
        y0, y1, x0, x1 = gy, gy, gx, gx
        size = 0
        while stack and size < limit:
            cy, cx = stack.pop()
            size += 1
            y0, y1, x0, x1 = min(y0, cy), max(y1, cy), min(x0, cx), max(x1, cx)
            for ny in (cy - 1, cy, cy + 1):
                for nx in (cx - 1, cx, cx + 1):
                    if 0 <= ny < gh and 0 <= nx < gw and grid[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        stack.append((ny, nx))
        if size >= limit:
            continue  # a picture or a logo, not a letter
        # Tighten to the ink inside the cells.
        sub = mask[y0 * cell : (y1 + 1) * cell, x0 * cell : (x1 + 1) * cell]
        rows, cols = np.nonzero(sub.any(axis=1))[0], np.nonzero(sub.any(axis=0))[0]
        if rows.size == 0:
            continue
        out.append(
            (
                float(x0 * cell + int(cols[0])),
                float(y0 * cell + int(rows[0])),
                float(x0 * cell + int(cols[-1]) + 1),
                float(y0 * cell + int(rows[-1]) + 1),
            )
        )
    return out


def _glyph_shaped(box: Box, dpi: float) -> bool:
    """The size and shape of one capital of 4.5-16 pt, or of a check box."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    return dpi * 0.045 <= bh <= dpi * 0.22 and 0.25 * bh <= bw <= 1.4 * bh and bw <= dpi * 0.25


def _box_state(mask: Mask, box: Box) -> bool | None:
    """True for a marked checkbox, False for an empty one, None when the ink is no checkbox."""
    x0, top, x1, bottom = (round(v) for v in box)
    frame = _frame(mask[top:bottom, x0:x1])
    return None if frame is None else _marked_inside(frame)


def _frame(glyph: Mask) -> Mask | None:
    """The square outline within a glyph's ink, or None. A tick drawn past the frame's edge
    (a common hand or font mark) widens the ink beyond the frame: its rows and columns are cut."""
    if _is_box(glyph):
        return glyph
    h, w = glyph.shape
    if h < 4 or w < 4:
        return None
    # The frame's sides are the outermost rows and columns with ink along most of the ink's extent.
    rows = np.nonzero(glyph.mean(axis=1) >= 0.55)[0]
    cols = np.nonzero(glyph.mean(axis=0) >= 0.55)[0]
    if rows.size < 2 or cols.size < 2:
        return None
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    if bottom - top < 0.6 * h or right - left < 0.6 * w or not 0.8 <= (right - left) / (bottom - top) <= 1.25:
        return None
    # A stroke leaves the frame on one side or two adjacent ones; ink cut away on opposite sides
    # is a letter's rounded parts (a bold B trimmed this way looks like a marked box).
    cut = {side for side, px in (("t", top), ("b", h - bottom), ("l", left), ("r", w - right)) if px > 1}
    if not cut or {"t", "b"} <= cut or {"l", "r"} <= cut:
        return None
    inner = glyph[top:bottom, left:right]
    return inner if _is_box(inner) else None


def _marked_inside(glyph: Mask) -> bool:
    """Ink inside a checkbox's frame: an X, a tick or a filled square."""
    h, w = glyph.shape
    inset = max(2, min(h, w) // 5)
    inner = glyph[inset : h - inset, inset : w - inset]
    return inner.size > 0 and float(inner.mean()) > 0.12


def _is_box(glyph: Mask) -> bool:
    """A square outline: ink along all four edges (a letter never closes all four)."""
    h, w = glyph.shape
    if h < 4 or w < 4 or not 0.7 <= w / h <= 1.4:
        return False
    edge = max(1, min(h, w) // 8)
    sides = (glyph[:edge, :], glyph[-edge:, :], glyph[:, :edge], glyph[:, -edge:])
    if not all(float(side.any(axis=0 if i < 2 else 1).mean()) > 0.8 for i, side in enumerate(sides)):
        return False
    # A frame has square corners; B, D, O and 0 come close on four sides but round two or four.
    c = max(2, min(h, w) // 6)
    corners = (glyph[:c, :c], glyph[:c, -c:], glyph[-c:, :c], glyph[-c:, -c:])
    return all(bool(k.any()) for k in corners)


def glyphs_in(mask: Mask, dpi: float) -> list[Box]:
    """Pixel boxes of the glyph-shaped ink clusters in a small region that are not checkboxes
    (ruling lines and specks left out), largest first."""
    found = [b for b in _clusters(mask, max(2, round(dpi / 75)))
             if _glyph_shaped(b, dpi) and _box_state(mask, b) is None]
    return sorted(found, key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))


def checkbox_in(mask: Mask, dpi: float) -> bool | None:
    """For the small region left of a label: whether the checkbox nearest the label (the rightmost
    one) is marked; None when the region holds no checkbox."""
    best: tuple[float, bool] | None = None
    for box in _clusters(mask, max(2, round(dpi / 75))):
        if not _glyph_shaped(box, dpi):
            continue
        state = _box_state(mask, box)
        if state is not None and (best is None or box[2] > best[0]):
            best = (box[2], state)
    return None if best is None else best[1]


def checkbox_state(mask: Mask, box: Box, dpi: float) -> bool | None:
    """For a glyph-sized pixel box: True when it frames a marked checkbox, False an empty one,
    None when it is not a checkbox at all."""
    x0, top, x1, bottom = (round(v) for v in box)
    w, h = x1 - x0, bottom - top
    if not (dpi * 0.05 <= h <= dpi * _BOX_MAX_IN and 0.7 <= w / max(h, 1) <= 1.4):
        return None
    pad = max(1, round(dpi / 150))
    crop = mask[max(0, top - pad) : bottom + pad, max(0, x0 - pad) : x1 + pad]
    rows, cols = np.nonzero(crop.any(axis=1))[0], np.nonzero(crop.any(axis=0))[0]
    if rows.size == 0:
        return None
    frame = _frame(crop[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    return None if frame is None else _marked_inside(frame)

"""The text-layer backend: a PDF's characters, ruling lines and check marks as `PageWords`.

pypdfium2 gives every character box in a few milliseconds (pdfplumber takes ~200 ms a page), so
words are grouped here from pdfium's characters, and ruling lines and filled squares come from
the page's path objects. Check marks drawn as vector shapes (a filled square, two crossing
strokes, a tick) become a marker word "X" so that layout code reads them like a printed X.
"""

from __future__ import annotations

import ctypes
import logging
import math
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from coibot.errors import ExtractionError
from coibot.extract.words import PageWords, Rule, Word

log = logging.getLogger(__name__)

MARK = "X"
# Glyphs that mean "this box is marked" whatever the font: ballot boxes, ticks, crosses, blocks.
_MARK_GLYPHS = frozenset("✓✔✗✘☑☒■▪█●◼⬛✕✖╳")
# Symbol fonts print marks with ordinary code points (ZapfDingbats '4' is a tick, Wingdings 'þ'
# a ticked box); in those fonts only these letters are marks, the rest (empty boxes) are not.
_DINGBAT_MARKS = frozenset("345678nuýþüû")
_EMPTY_BOX_GLYPHS = frozenset("☐□▫◻")
# Shapes no larger than this (points) that are filled or drawn with diagonal strokes are marks.
_MARK_MAX = 14.0
_MARK_MIN = 2.5
# A stroke thinner than this is a ruling line, whatever way it was drawn.
_RULE_THICKNESS = 2.5


class PdfText:
    """An open PDF: its page count, whether it has an AcroForm, and its pages as PageWords."""

    def __init__(self, pdf: pdfium.PdfDocument, name: str) -> None:
        self._pdf = pdf
        self._name = name
        # Pages (1-based) that one image mostly covers: a form printed as a picture, perhaps with
        # its values as text on top, whose labels only OCR can read.
        self.image_pages: set[int] = set()

    @property
    def page_count(self) -> int:
        return len(self._pdf)

    @property
    def has_acroform(self) -> bool:
        return bool(pdfium_c.FPDF_GetFormType(self._pdf.raw) != pdfium_c.FORMTYPE_NONE)

    def read_pages(self) -> list[PageWords]:
        return [self.read_page(i) for i in range(len(self._pdf))]

    def read_page(self, index: int) -> PageWords:
        page = self._pdf[index]
        try:
            pw, image_share = _read(page, index + 1)
        finally:
            page.close()
        if image_share > 0.5:
            self.image_pages.add(index + 1)
        return pw

    def has_text(self, index: int) -> bool:
        page = self._pdf[index]
        try:
            tp = page.get_textpage()
            try:
                return bool(tp.count_chars() > 0)
            finally:
                tp.close()
        finally:
            page.close()


@contextmanager
def open_pdf(path: Path) -> Iterator[PdfText]:
    """Open a PDF for reading; ExtractionError "encrypted" or "corrupt_pdf" when it cannot be."""
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD or "password" in str(exc).lower():
            raise ExtractionError("encrypted", f"{path.name} is protected by a password") from exc
        raise ExtractionError("corrupt_pdf", f"{path.name} cannot be opened as a PDF: {exc}") from exc
    try:
        if len(pdf) == 0:
            raise ExtractionError("corrupt_pdf", f"{path.name} has no pages")
        yield PdfText(pdf, path.name)
    finally:
        pdf.close()


class _Frame:
    """Maps PDF user space (origin bottom-left, maybe rotated) to the displayed page, top-left origin."""

    def __init__(self, page: pdfium.PdfPage) -> None:
        left, bottom, right, top = page.get_cropbox()
        self.left, self.bottom, self.right, self.top = left, bottom, right, top
        self.rotation = page.get_rotation() % 360
        w, h = right - left, top - bottom
        self.width, self.height = (h, w) if self.rotation in (90, 270) else (w, h)

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        """A user-space box (any corner order) as (x0, top, x1, bottom) on the displayed page."""
        xs, ys = sorted((x0, x1)), sorted((y0, y1))
        if self.rotation == 0:
            return xs[0] - self.left, self.top - ys[1], xs[1] - self.left, self.top - ys[0]
        if self.rotation == 90:
            return ys[0] - self.bottom, xs[0] - self.left, ys[1] - self.bottom, xs[1] - self.left
        if self.rotation == 180:
            return self.right - xs[1], ys[0] - self.bottom, self.right - xs[0], ys[1] - self.bottom
        return self.top - ys[1], self.right - xs[1], self.top - ys[0], self.right - xs[0]


def read_page(page: pdfium.PdfPage, number: int) -> PageWords:
    """One page's words (from its text layer), ruling lines and vector check marks."""
    return _read(page, number)[0]


def _read(page: pdfium.PdfPage, number: int) -> tuple[PageWords, float]:
    frame = _Frame(page)
    rules, marks, image_share = _paths(page, frame)
    tp = page.get_textpage()
    try:
        words = _words(tp, frame, _Walls(rules))
    finally:
        tp.close()
    if marks:
        words.extend(_drop_marks_on_text(marks, words))
    pw = PageWords(number=number, width=frame.width, height=frame.height, method="text",
                   words=words, rules=rules)
    return pw, image_share


def _font_name(textpage: ctypes.c_void_p, i: int, buf: ctypes.Array[ctypes.c_char]) -> str:
    flags = ctypes.c_int()
    n = pdfium_c.FPDFText_GetFontInfo(textpage, i, buf, len(buf), ctypes.byref(flags))
    return buf.raw[: max(0, n - 1)].decode("latin-1", "replace") if n else ""


def _page_text(raw: ctypes.c_void_p, n: int) -> str:
    """All n characters in one call (one UTF-16 unit per character index)."""
    buf = (ctypes.c_ushort * (n + 1))()
    got = pdfium_c.FPDFText_GetText(raw, 0, n, buf)
    text = bytes(buf)[: max(0, got - 1) * 2].decode("utf-16-le", "replace")
    if len(text) != n:
        # Characters outside the BMP take two units: fall back to one call per character.
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(raw, i) or 0xFFFE) for i in range(n))
    return text


def _symbol_font(raw: ctypes.c_void_p, i: int, buf: ctypes.Array[ctypes.c_char]) -> bool:
    name = _font_name(raw, i, buf).lower()
    return any(s in name for s in ("dingbat", "wingding", "symbol"))


class _Walls:
    """Vertical ruling lines, sorted by x: text on either side of one belongs to different cells."""

    def __init__(self, rules: list[Rule]) -> None:
        vertical = sorted(((r.x0 + r.x1) / 2, r.top, r.bottom) for r in rules
                          if not r.horizontal and r.bottom - r.top >= 6.0)
        self.xs = [v[0] for v in vertical]
        self.spans = [(v[1], v[2]) for v in vertical]

    def between(self, left: float, right: float, y: float) -> bool:
        """Whether a wall stands between x = left and x = right at height y."""
        i = bisect_left(self.xs, left)
        while i < len(self.xs) and self.xs[i] <= right:
            top, bottom = self.spans[i]
            if top <= y <= bottom:
                return True
            i += 1
        return False


def _words(tp: pdfium.PdfTextPage, frame: _Frame, walls: _Walls | None = None) -> list[Word]:
    """The page's characters grouped into words in content order.

    A space, a jump back, a move to another line or a gap wider than 0.3 of the glyph height ends
    a word; a check mark stands alone.
    """
    raw = tp.raw
    n = pdfium_c.FPDFText_CountChars(raw)
    if n <= 0:
        return []
    text = _page_text(raw, n)
    rect = pdfium_c.FS_RECTF()
    loose_box = pdfium_c.FPDFText_GetLooseCharBox
    font_buf = ctypes.create_string_buffer(128)
    upright = frame.rotation == 0
    left, top_edge = frame.left, frame.top
    words: list[Word] = []
    cur: list[str] = []
    wx0 = wtop = wx1 = wbottom = 0.0
    px0 = px1 = ptop = pbottom = 0.0
    cur_mark = False
    for i, ch in enumerate(text):
        code = ord(ch)
        if code in (0, 0xFFFE, 0xFFFF):
            continue
        if ch.isspace() or code == 0xA0 or ch in _EMPTY_BOX_GLYPHS:
            if cur:
                words.append(Word("".join(cur), wx0, wtop, wx1, wbottom))
                cur = []
            continue
        glyph_mark = False
        if ch in _MARK_GLYPHS:
            ch, glyph_mark = MARK, True
        elif ((code < 0x100 and ch in _DINGBAT_MARKS) or code >= 0xF000) and _symbol_font(raw, i, font_buf):
            if ch not in _DINGBAT_MARKS and code < 0xF000:
                # An empty box or other ornament of a symbol font is not text.
                if cur:
                    words.append(Word("".join(cur), wx0, wtop, wx1, wbottom))
                    cur = []
                continue
            ch, glyph_mark = MARK, True
        if not loose_box(raw, i, rect):
            continue
        # Loose boxes follow the glyph advance and the font's ascent/descent: neighbouring glyphs
        # of a word touch (tight ink boxes leave gaps around "," in monospaced fonts).
        if upright:
            x0, x1, t, b = rect.left - left, rect.right - left, top_edge - rect.top, top_edge - rect.bottom
            if x1 < x0:
                x0, x1 = x1, x0
            if b < t:
                t, b = b, t
        else:
            x0, t, x1, b = frame.box(rect.left, rect.bottom, rect.right, rect.top)
        if cur:
            h = pbottom - ptop if pbottom - ptop < b - t else b - t
            if h < 1.0:
                h = 1.0
            gap = x0 - px1
            if (abs((t + b) - (ptop + pbottom)) > h or gap > h * 0.3 or x1 < px0 + 0.5
                    or glyph_mark or cur_mark
                    # Text that runs into the next cell (values printed up to a border) splits
                    # at the ruling line between the two glyphs' centres.
                    or (walls is not None and walls.xs
                        and walls.between((px0 + px1) / 2, (x0 + x1) / 2, (t + b) / 2))):
                words.append(Word("".join(cur), wx0, wtop, wx1, wbottom))
                cur = []
        if cur:
            cur.append(ch)
            # Plain comparisons: min()/max() calls cost more than the rest of the loop.
            if x0 < wx0:
                wx0 = x0
            if x1 > wx1:
                wx1 = x1
            if t < wtop:
                wtop = t
            if b > wbottom:
                wbottom = b
        else:
            cur = [ch]
            wx0, wtop, wx1, wbottom = x0, t, x1, b
        px0, px1, ptop, pbottom = x0, x1, t, b
        cur_mark = glyph_mark
    if cur:
        words.append(Word("".join(cur), wx0, wtop, wx1, wbottom))
    return words


def _matrix(obj: ctypes.c_void_p) -> tuple[float, float, float, float, float, float]:
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, m):
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    return (m.a, m.b, m.c, m.d, m.e, m.f)


_Matrix = tuple[float, float, float, float, float, float]


def _compose(inner: tuple[float, ...], outer: tuple[float, ...]) -> _Matrix:
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _paths(page: pdfium.PdfPage, frame: _Frame) -> tuple[list[Rule], list[Word], float]:
    """Ruling lines, vector check marks, and the largest share of the page one image covers."""
    rules: list[Rule] = []
    marks: list[Word] = []
    identity = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    raw_page = page.raw
    page_area = max(1.0, frame.width * frame.height)
    image_share = 0.0
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))

    def walk(count: int, parent: tuple[float, ...], in_form: bool, holder: ctypes.c_void_p) -> None:
        nonlocal image_share
        for i in range(count):
            obj = (pdfium_c.FPDFFormObj_GetObject(holder, i) if in_form
                   else pdfium_c.FPDFPage_GetObject(holder, i))
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                # Path points are in the object's space: its own matrix is applied by pdfium.
                _path(obj, _compose(_matrix(obj), parent) if in_form else _matrix(obj), frame, rules, marks)
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                m = _compose(_matrix(obj), parent) if in_form else _matrix(obj)
                walk(pdfium_c.FPDFFormObj_CountObjects(obj), m, True, obj)
            elif kind == pdfium_c.FPDF_PAGEOBJ_IMAGE and pdfium_c.FPDFPageObj_GetBounds(
                obj, left, bottom, right, top
            ):
                area = abs(right.value - left.value) * abs(top.value - bottom.value)
                image_share = max(image_share, min(1.0, area / page_area))

    walk(pdfium_c.FPDFPage_CountObjects(raw_page), identity, False, raw_page)
    return rules, marks, image_share


def _path(
    obj: ctypes.c_void_p, m: tuple[float, ...], frame: _Frame, rules: list[Rule], marks: list[Word]
) -> None:
    n = pdfium_c.FPDFPath_CountSegments(obj)
    if n <= 0:
        return
    a, b, c, d, e, f = m
    x = ctypes.c_float()
    y = ctypes.c_float()
    pts: list[tuple[int, float, float, bool]] = []
    for i in range(n):
        seg = pdfium_c.FPDFPath_GetPathSegment(obj, i)
        if not pdfium_c.FPDFPathSegment_GetPoint(seg, x, y):
            continue
        kind = pdfium_c.FPDFPathSegment_GetType(seg)
        close = bool(pdfium_c.FPDFPathSegment_GetClose(seg))
        px, py = x.value, y.value
        pts.append((kind, a * px + c * py + e, b * px + d * py + f, close))
    if not pts:
        return
    fill = ctypes.c_int()
    stroke = ctypes.c_int()
    pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke)
    xs = [p[1] for p in pts]
    ys = [p[2] for p in pts]
    bx0, btop, bx1, bbottom = frame.box(min(xs), min(ys), max(xs), max(ys))
    w, h = bx1 - bx0, bbottom - btop
    segments: list[tuple[float, float, float, float]] = []
    diagonal = curved = False
    start: tuple[float, float] | None = None
    prev: tuple[float, float] | None = None
    for kind, px, py, close in pts:
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            start = prev = (px, py)
            continue
        if prev is None:
            start = prev = (px, py)
            continue
        if kind == pdfium_c.FPDF_SEGMENT_BEZIERTO:
            curved = True
        segments.append((prev[0], prev[1], px, py))
        prev = (px, py)
        if close and start is not None:
            segments.append((px, py, start[0], start[1]))
            prev = start
    for sx0, sy0, sx1, sy1 in segments:
        if abs(sx1 - sx0) > 0.5 and abs(sy1 - sy0) > 0.5:
            diagonal = True
    small = _MARK_MIN <= max(w, h) <= _MARK_MAX and min(w, h) >= _MARK_MIN * 0.6
    if small and ((fill.value and not curved) or (diagonal and not fill.value)):
        marks.append(Word(MARK, bx0, btop, bx1, bbottom))
        return
    if fill.value and min(w, h) <= _RULE_THICKNESS and max(w, h) > _RULE_THICKNESS:
        # A thin filled rectangle is how some generators draw a ruling line.
        rules.append(Rule(bx0, btop, bx1, bbottom))
        return
    if not stroke.value and not fill.value:
        return
    for sx0, sy0, sx1, sy1 in segments:
        if math.isclose(sx0, sx1, abs_tol=0.5) or math.isclose(sy0, sy1, abs_tol=0.5):
            rx0, rtop, rx1, rbottom = frame.box(sx0, sy0, sx1, sy1)
            if rx1 - rx0 > 1.0 or rbottom - rtop > 1.0:
                rules.append(Rule(rx0, rtop, rx1, rbottom))


def _drop_marks_on_text(marks: list[Word], words: list[Word]) -> list[Word]:
    """Vector marks that do not sit on a word (a filled glyph-like shape under text is not a mark)."""
    out = []
    for mk in marks:
        cx, cy = (mk.x0 + mk.x1) / 2, (mk.top + mk.bottom) / 2
        if any(w.x0 <= cx <= w.x1 and w.top <= cy <= w.bottom for w in words):
            continue
        out.append(mk)
    return out

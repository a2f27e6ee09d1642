"""Geometry over `PageWords`: text lines, printed labels, and the cells that ruling lines enclose.

Layout readers find a field by its printed label and read the words in the label's cell, so the
same code reads any edition, font, page size or column shift, and OCR words as well as text.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.fuzz import ratio

from coibot.extract.normalize import fold
from coibot.extract.words import PageWords, Rule, Word

# One-letter OCR readings of a ruling line or a speck.
_SPECKS = frozenset({"i", "l", "1", "j"})
# Rules shorter than this are check-box edges or underlines, not cell borders.
_CELL_RULE_MIN = 15.0
# Points: a word less tall than this (a dash, a dot) says nothing of its line's height.
_FLAT = 1.5
# Points: the tallest side of a drawn check box (the form's are 10-12 pt); a column's rule is taller.
_BOX_SIDE_MAX = 16.0


@dataclass(frozen=True, slots=True)
class Box:
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def union(self, other: Box) -> Box:
        return Box(min(self.x0, other.x0), min(self.top, other.top), max(self.x1, other.x1),
                   max(self.bottom, other.bottom))

    def contains_center(self, w: Word | Box) -> bool:
        cx, cy = (w.x0 + w.x1) / 2, (w.top + w.bottom) / 2
        return self.x0 <= cx <= self.x1 and self.top <= cy <= self.bottom


def box_of(words: Iterable[Word]) -> Box:
    ws = list(words)
    return Box(min(w.x0 for w in ws), min(w.top for w in ws),
               max(w.x1 for w in ws), max(w.bottom for w in ws))


@dataclass(slots=True)
class Line:
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def box(self) -> Box:
        return box_of(self.words)

    @property
    def conf(self) -> float:
        return min((w.conf for w in self.words), default=1.0)


def _piece_of_a_value(w: Word, row: list[Word]) -> bool:
    """Whether a word with digits is a piece of a value on the row, its box stretched by a scan
    over ink above or below ("1,000," and "000," 6.3 and 8.9 pt tall, tops level)."""
    return any(ch.isdigit() for ch in w.text) and any(
        any(ch.isdigit() for ch in v.text) and _level_boxes(box_of([w]), box_of([v])) for v in row)


def _level_boxes(a: Box, b: Box) -> bool:
    """Whether two boxes, one inside the other, share their top or their foot: one line's words,
    one of them boxed taller (specks along the taller's foot, a fraction of it, are not)."""
    shorter, taller = sorted((a.height, b.height))
    overlap = min(a.bottom, b.bottom) - max(a.top, b.top)
    level = abs(a.top - b.top) <= 1.0 or abs(a.bottom - b.bottom) <= 1.0
    return overlap >= 0.9 * shorter and shorter >= 0.4 * taller and level


def _reach(h: float, row: float) -> float:
    """How far from a line's middle a word of height `h` (0: flat) may stand on it."""
    if h and row:
        return 0.45 * min(h, row)
    return 0.45 * h if h else 0.25 * row


def make_lines(words: Iterable[Word], gap: float | None = None) -> list[Line]:
    """Words into lines (top to bottom, left to right); with `gap`, a wider space starts a new line."""
    ws = sorted(words, key=lambda w: (w.top + w.bottom) / 2)
    rows: list[list[Word]] = []
    centers: list[float] = []
    heights: list[float] = []
    for w in ws:
        c = (w.top + w.bottom) / 2
        # A dash or a dot is too flat to tell its line's height: the line's other words tell it,
        # and it sits near their middle (a speck along a stretched word's foot does not).
        h = w.bottom - w.top if w.bottom - w.top >= _FLAT else 0.0
        if rows and (abs(c - centers[-1]) <= _reach(h, heights[-1]) + 0.5 or _piece_of_a_value(w, rows[-1])):
            rows[-1].append(w)
            n = len(rows[-1])
            centers[-1] += (c - centers[-1]) / n
            heights[-1] = heights[-1] or h
            continue
        rows.append([w])
        centers.append(c)
        heights.append(h)
    lines: list[Line] = []
    for row in rows:
        row.sort(key=lambda w: w.x0)
        if gap is None:
            lines.append(Line(row))
            continue
        cur = [row[0]]
        for w in row[1:]:
            if w.x0 - cur[-1].x1 > gap:
                lines.append(Line(cur))
                cur = []
            cur.append(w)
        lines.append(Line(cur))
    return lines


class Page:
    """One page with indexes for label search, region queries and rule-bounded cells."""

    def __init__(self, pw: PageWords) -> None:
        self.pw = pw
        self.width = pw.width
        self.height = pw.height
        self.words = [w for w in pw.words if w.text.strip()]
        self.ocr = any(w.conf < 1.0 for w in self.words)
        self.lines = make_lines(self.words)
        self.hrules = [r for r in pw.rules if r.horizontal and r.x1 - r.x0 >= _CELL_RULE_MIN]
        self.vrules = [r for r in pw.rules if not r.horizontal and r.bottom - r.top >= _CELL_RULE_MIN * 0.6]
        self._folded = [[fold(w.text) for w in ln.words] for ln in self.lines]
        self._by_y = sorted(self.words, key=lambda w: (w.top + w.bottom) / 2)
        self._cys = [(w.top + w.bottom) / 2 for w in self._by_y]
        self._cxs = [(w.x0 + w.x1) / 2 for w in self._by_y]
        self.marks = [w for w in self.words if is_mark(w)]
        self._by_first: dict[str, list[tuple[int, int]]] = {}
        for li, fl in enumerate(self._folded):
            for i, f in enumerate(fl):
                if f:
                    self._by_first.setdefault(f[0], []).append((li, i))
        self._cache: dict[tuple[str, float, bool], list[tuple[Box, list[tuple[float, float]]]]] = {}

    # ---------------------------------------------------------------- labels
    def find(self, phrase: str, within: Box | None = None, isolated: float = 0.0,
             fuzzy: bool = True) -> list[Box]:
        """Boxes of `phrase` printed on one line (case and punctuation ignored), top to bottom.

        With `isolated`, only matches with no other word closer than that many points on their line.
        On OCR pages a near match counts too, unless `fuzzy` is False (labels that differ by one
        letter, such as INSURER A and INSURER B).
        """
        target = fold(phrase)
        # A clean reading of the label wins ("CONTRACT" in a disclaimer is near "CONTACT"), but
        # only one where the label is sought: a block's misread label is not hidden by the same
        # label read cleanly in another block.
        exact = self._within(self._matches(target, isolated, False), within)
        if exact or not (fuzzy and self.ocr and len(target) >= 6):
            return exact
        return self._within(self._matches(target, isolated, True), within)

    @staticmethod
    def _within(found: list[tuple[Box, list[tuple[float, float]]]], within: Box | None) -> list[Box]:
        """The matches whose words all stand in `within` (all of them without it)."""
        return [box for box, centers in found if within is None or all(
            within.x0 <= cx <= within.x1 and within.top <= cy <= within.bottom for cx, cy in centers)]

    def _matches(self, target: str, isolated: float,
                 allow_fuzzy: bool) -> list[tuple[Box, list[tuple[float, float]]]]:
        """Every match of a folded phrase on the page, cached: the same labels are sought per block."""
        key = (target, isolated, allow_fuzzy)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        found: list[tuple[Box, list[tuple[float, float]]]] = []
        fuzzy = allow_fuzzy and self.ocr and len(target) >= 6
        if not target:
            starts: list[tuple[int, int]] = []
        elif fuzzy:
            starts = [(li, i) for li, f in enumerate(self._folded) for i in range(len(f))]
        else:
            # Only a word that starts the phrase can start a match.
            starts = self._by_first.get(target[0], [])
        next_free: dict[int, int] = {}
        for li, i in starts:
            if i < next_free.get(li, 0):
                continue
            folded = self._folded[li]
            if not folded[i] or (fuzzy and is_mark(self.lines[li].words[i])):
                continue  # (a check mark's "X" before a label is not the label's first letter)
            hit = self._match(folded, i, target, fuzzy, self.ocr)
            if hit < 0:
                continue
            if fuzzy:
                i, hit = self._tightest(folded, i, hit, target)
            line = self.lines[li]
            n = len(folded)
            words = line.words[i:hit + 1]
            alone = not isolated or (
                (i == 0 or self._apart(line.words[i - 1], line.words[i], isolated))
                and (hit + 1 >= n or self._apart(line.words[hit], line.words[hit + 1], isolated))
            )
            if alone:
                centers = [((w.x0 + w.x1) / 2, (w.top + w.bottom) / 2) for w in words]
                found.append((box_of(words), centers))
            next_free[li] = hit + 1
        self._cache[key] = found
        return found

    def _tightest(self, folded: list[str], i: int, hit: int, target: str) -> tuple[int, int]:
        """The closest near match among those starting at words i..hit: a stray letter before a
        label (an insurer letter, a box read as "A") would otherwise lead a looser match that
        takes it in ("axclaimsmape" for CLAIMS-MADE), and the label's box with it."""
        best = (ratio("".join(folded[i:hit + 1]), target), i, hit)
        for k in range(i + 1, hit + 1):
            end = self._match(folded, k, target, True, self.ocr) if folded[k] else -1
            if end >= 0 and (score := ratio("".join(folded[k:end + 1]), target)) > best[0]:
                best = (score, k, end)
        return best[1], best[2]

    def _apart(self, left: Word, right: Word, gap: float) -> bool:
        """Whether two words of a line are more than `gap` apart or a ruling line separates them."""
        if right.x0 - left.x1 > gap:
            return True
        y = (right.top + right.bottom) / 2
        return any(left.x1 - 1 <= (r.x0 + r.x1) / 2 <= right.x0 + 1 and r.top <= y <= r.bottom
                   for r in self.vrules)

    @staticmethod
    def _match(folded: list[str], i: int, target: str, fuzzy: bool, specks: bool = False) -> int:
        """Index of the last word when words from `i` spell `target`, else -1.

        With `specks` (OCR pages), a lone character inside the label that does not go on with it
        (a ruling line read as "I", a speck read as "t") is passed over.
        """
        acc = ""
        for j in range(i, len(folded)):
            if specks and j > i and _speck_inside(acc, folded[j], target):
                continue
            acc += folded[j]
            if acc == target:
                return j
            if fuzzy:
                # Longer labels survive more misread letters ("ctaims-mabe" is CLAIMS-MADE).
                need = 80 if len(target) >= 8 else 85
                if abs(len(acc) - len(target)) <= 2 and ratio(acc, target) >= need:
                    return j
                if len(acc) > len(target) + 2:
                    return -1
            elif not target.startswith(acc):
                return -1
        return -1

    def find_first(self, phrase: str, within: Box | None = None) -> Box | None:
        found = self.find(phrase, within)
        return found[0] if found else None

    # ---------------------------------------------------------------- regions
    def words_in(self, box: Box) -> list[Word]:
        """Words whose centre lies in `box`, top to bottom (a bisect on the sorted centres)."""
        lo = bisect_left(self._cys, box.top)
        hi = bisect_right(self._cys, box.bottom)
        x0, x1 = box.x0, box.x1
        cxs = self._cxs
        by_y = self._by_y
        return [by_y[i] for i in range(lo, hi) if x0 <= cxs[i] <= x1]

    def lines_in(self, box: Box, gap: float | None = None) -> list[Line]:
        return make_lines(self.words_in(box), gap)

    def cell(self, x: float, y: float, fallback: Box | None = None, tol: float = 1.5,
             min_len: float = 0.0) -> Box:
        """The rectangle of ruling lines around (x, y); sides with no rule come from `fallback`.

        `min_len` ignores shorter rules: a block's borders are long, the boxes some systems draw
        around a filled-in value are not.
        """
        fb = fallback or Box(0.0, 0.0, self.width, self.height)
        left, right, top, bottom = fb.x0, fb.x1, fb.top, fb.bottom
        for r in self.vrules:
            if min_len and r.bottom - r.top < min_len * 0.5:
                continue
            if r.top - tol <= y <= r.bottom + tol:
                rx = (r.x0 + r.x1) / 2
                if left < rx < x:
                    left = rx
                elif x < rx < right:
                    right = rx
        for r in self.hrules:
            if min_len and r.x1 - r.x0 < min_len:
                continue
            if r.x0 - tol <= x <= r.x1 + tol:
                ry = (r.top + r.bottom) / 2
                if top < ry < y:
                    top = ry
                elif y < ry < bottom:
                    bottom = ry
        return Box(left, top, right, bottom)

    def hrules_across(self, x0: float, x1: float, top: float, bottom: float) -> list[float]:
        """y of horizontal rules that run across [x0, x1] between top and bottom, deduplicated."""
        ys = sorted((r.top + r.bottom) / 2 for r in self.hrules
                    if r.x0 <= x0 + 2 and r.x1 >= x1 - 2 and top < (r.top + r.bottom) / 2 < bottom)
        return _dedupe(ys)

    def vrules_across(self, y0: float, y1: float, x0: float, x1: float) -> list[float]:
        """x of vertical rules that run across [y0, y1] between x0 and x1, deduplicated."""
        xs = sorted((r.x0 + r.x1) / 2 for r in self.vrules
                    if r.top <= y0 + 2 and r.bottom >= y1 - 2 and x0 < (r.x0 + r.x1) / 2 < x1)
        return _dedupe(xs)


def _speck_inside(acc: str, word: str, target: str) -> bool:
    """Whether a one-character word after `acc` is a speck to pass over: "I" or "l" (a ruling
    line) wherever it stands, any other only while the label so far is spelt exactly and the
    word does not go on with it (a misread label's own letters are never passed over)."""
    if len(word) != 1 or target.startswith(acc + word):
        return False
    return word in _SPECKS or target.startswith(acc)


def _dedupe(values: list[float], tol: float = 2.0) -> list[float]:
    out: list[float] = []
    for v in values:
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def rules_in(rules: Iterable[Rule], box: Box) -> list[Rule]:
    return [r for r in rules if box.x0 <= (r.x0 + r.x1) / 2 <= box.x1 and box.top <= (r.top + r.bottom) / 2
            <= box.bottom]


_MARK_TEXT = re.compile(r"^[\[\(]?[xX✓✔][\]\)]?$")
# What OCR makes of a marked box: "[X]", "[V]" (a tick), "[RX]", "(X)", "|x|".
_OCR_MARK = re.compile(r"^[\[\(\{|]?(?:x|v|rx|xx|x\.|×)[\]\)\}|]?$", re.IGNORECASE)


def is_mark(word: Word) -> bool:
    """A printed check mark: X, a tick, or a vector mark the text backend turned into "X"."""
    if _MARK_TEXT.match(word.text):
        return True
    return word.conf < 1.0 and bool(_OCR_MARK.match(word.text))


def marked_before(page: Page, label: Box, reach: float = 22.0) -> bool | None:
    """Whether a check mark sits just left of `label` on its line; None when the label is absent."""
    best: Word | None = None
    for w in page.marks:
        cy = (w.top + w.bottom) / 2
        if not (label.top - 3 <= cy <= label.bottom + 3):
            continue
        if label.x0 - reach <= (w.x0 + w.x1) / 2 <= label.x0 + 1 and (best is None or w.x1 > best.x1):
            best = w
    if best is None:
        return False
    # A ruling line between them: the mark is in another column (a letter misread as a mark).
    between = [r for r in page.vrules
               if best.x1 - 0.5 <= (r.x0 + r.x1) / 2 <= label.x0 + 0.5 and r.top <= label.cy <= r.bottom]
    if any(not _box_side(page, r, best) for r in between):
        return False
    # Another word between the mark and the label means the mark belongs to something else.
    for w in page.words_in(Box(best.x1 - 1, label.top - 1, label.x0, label.bottom + 1)):
        if w is best or is_mark(w):
            continue
        cy = (w.top + w.bottom) / 2
        if label.top - 1 <= cy <= label.bottom + 1 and best.x1 - 0.5 <= w.x0 and w.x1 <= label.x0 - 0.5:
            return False
    return True


def _box_side(page: Page, rule: Rule, mark: Word) -> bool:
    """Whether `rule` is the right side of a drawn box around `mark`, not a column's rule: a short
    rule matched by another one, as tall, left of the mark."""
    height = rule.bottom - rule.top
    if height > _BOX_SIDE_MAX:
        return False
    return any(
        r is not rule
        and (r.x0 + r.x1) / 2 <= mark.x0 + 0.5
        and (rule.x0 - r.x0) <= _BOX_SIDE_MAX * 1.5
        and abs(r.top - rule.top) < 1.5
        and abs(r.bottom - rule.bottom) < 1.5
        for r in page.vrules
    )

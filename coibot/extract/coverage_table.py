"""The ACORD 25 coverage table: columns from its header labels, blocks from its rules, policies.

The table's columns are found from the printed headings (INSR LTR, TYPE OF INSURANCE, ADDL INSD,
SUBR WVD, POLICY NUMBER, POLICY EFF, POLICY EXP, LIMITS) and the ruling lines around them; its
coverage blocks from the rules that cross the POLICY NUMBER column (or, on scans without rules, from
the coverage headings). Each block is one coverage, and one policy unless several number lines
each carry their own date.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from rapidfuzz.fuzz import partial_ratio, ratio

from coibot.errors import ExtractionError
from coibot.extract.layout import Box, Line, Page, box_of, is_mark, make_lines, marked_before
from coibot.extract.limits_table import read_limits
from coibot.extract.normalize import (
    a_year_apart,
    dates_from_garbled,
    fold,
    iso_date,
    misread_of,
    normalize_name,
    parse_date,
    scan_date,
    years_later,
)
from coibot.extract.words import Word

log = logging.getLogger(__name__)

# Reads one field of a scanned page again: (box in points, kind) -> the word read, or None.
Reread = Callable[[tuple[float, float, float, float], str], Word | None]


@dataclass(slots=True)
class Draft:
    page: Page
    warnings: list[str] = field(default_factory=list)
    reread: Reread | None = None

    def read_again(self, box: Box, kind: str) -> Word | None:
        """A field OCR missed or misread, read again on a tight crop (scans only)."""
        if self.reread is None:
            return None
        try:
            return self.reread((box.x0, box.top, box.x1, box.bottom), kind)
        except ExtractionError as exc:
            log.warning("re-reading a %s field failed: %s", kind, exc)
            return None


_MDY_PARTS = (re.compile(r"^\d{1,2}$"), re.compile(r"^\d{4}$"))


def date_candidates(words: list[Word]) -> list[str]:
    """Each word, then runs of two and three words ("Jan 5, 2026" prints as three words)."""
    texts = [w.text for w in words]
    out = list(texts)
    for n in (2, 3):
        out += [" ".join(texts[i:i + n]) for i in range(len(texts) - n + 1)]
    # "05 29 2025": a scan's slashes lost (thin strokes erased with the ruling lines) in a column
    # headed MM/DD/YYYY, the three numbers still in their places, close together.
    for a, b, c in zip(words, words[1:], words[2:], strict=False):
        if (a.conf < 1.0 and _MDY_PARTS[0].match(a.text) and _MDY_PARTS[0].match(b.text)
                and _MDY_PARTS[1].match(c.text) and 0 <= b.x0 - a.x1 < 8 and 0 <= c.x0 - b.x1 < 8
                and abs(a.top + a.bottom - c.top - c.bottom) < 6):
            out.append(f"{a.text}/{b.text}/{c.text}")
    return out


def description_label(page: Page) -> Box | None:
    """The box's own label: the last one on the page (the WC row also says "DESCRIPTION OF OPERATIONS")."""
    # The box's label goes on "/ LOCATIONS / VEHICLES"; the WC row's does not. On a scan whose box
    # label was misread, a clean reading of the WC row's would otherwise win over it.
    full = page.find("DESCRIPTION OF OPERATIONS / LOCATIONS")
    found = page.find("DESCRIPTION OF OPERATIONS")
    label: Box | None = None
    if full:
        own = [b for b in found if abs(b.cy - full[-1].cy) < 2 and b.x0 <= full[-1].cx]
        label = own[-1] if own else Box(full[-1].x0, full[-1].top, full[-1].cx, full[-1].bottom)
    elif found:
        label = found[-1]
    if page.ocr and label is not None and _in_wc_row(page, label):
        # The box's own label garbled past reading as a phrase ("/CESCRIPTION" on a line of its
        # own): the WC row's "describe under DESCRIPTION OF OPERATIONS below" is not it. A
        # DESCRIPTION lower down with OPERATIONS beside it is.
        # (Word by word: a clean DESCRIPTION above hides a misread one from the label search.)
        lower = [w for w in page.words
                 if w.top > label.bottom + 4 and ratio(fold(w.text), "description") >= 85]
        for w in sorted(lower, key=lambda w: -w.top):
            b = Box(w.x0, w.top, w.x1, w.bottom)
            beside = page.words_in(Box(b.x1, b.top - 4, b.x1 + 80, b.bottom + 4))
            if any(ratio(fold(w.text), "operations") >= 80 for w in beside):
                return b
    if page.ocr and label is not None:
        label = _trued_top(page, label)
    return label


def _trued_top(page: Page, label: Box) -> Box:
    """A scanned label's box with its top where most of its words' tops are: a word read with a
    speck above it ("DESCRIPTION" boxed 8 pt taller than OF OPERATIONS) would lift it into the
    row above, and cut the coverage table's last row."""
    words = page.words_in(Box(label.x0, label.top - 1, label.x1 + _LABEL_LINE_REACH, label.bottom + 1))
    if len(words) < 3:
        return label
    heights = sorted(w.bottom - w.top for w in words)
    usual = heights[len(heights) // 2]
    top = min((w.top for w in words if w.bottom - w.top <= _TALL_WORD * usual), default=label.top)
    return Box(label.x0, max(label.top, top), label.x1, label.bottom) if top > label.top else label


# The description label's line runs this far (points) past "DESCRIPTION OF OPERATIONS".
_LABEL_LINE_REACH = 120.0
# A word this many times the height of its line's usual word holds a speck's height.
_TALL_WORD = 1.6


# Words of the WC row's "If yes, describe under DESCRIPTION OF OPERATIONS below" before the phrase.
_WC_ROW_WORDS = ("yes", "ifyes", "describe", "under")


def _in_wc_row(page: Page, label: Box) -> bool:
    """Whether a DESCRIPTION OF OPERATIONS found is the WC row's mention, not the box's label."""
    before = page.words_in(Box(label.x0 - 80, label.top - 8, label.x0 + 40, label.bottom + 1))
    return any(fold(w.text) in _WC_ROW_WORDS or ratio(fold(w.text), "describe") >= 80 for w in before)


# ------------------------------------------------------------------------------------------ table
@dataclass(slots=True)
class _Table:
    cols: dict[str, tuple[float, float]]
    top: float
    bottom: float
    bands: list[tuple[float, float]]


def _type_heading(page: Page) -> Box | None:
    """TYPE OF INSURANCE with its last word misread: a TYPE OF on the line of POLICY NUMBER."""
    for number in page.find("POLICY NUMBER", isolated=5):
        line = Box(0, number.top - 4, number.x0, number.bottom + 4)
        found = page.find("TYPE OF", line)
        if found:
            return found[0]
    return None


def _table(d: Draft) -> _Table | None:
    page = d.page
    type_lbl = page.find_first("TYPE OF INSURANCE") or (_type_heading(page) if page.ocr else None)
    if type_lbl is None:
        d.warnings.append("coverage table (TYPE OF INSURANCE) not found")
        return None
    band = Box(0, type_lbl.top - 14, page.width, type_lbl.bottom + 14)
    hdr: dict[str, Box] = {"type": type_lbl}
    for key, options in (
        ("ltr", ("INSR LTR", "LTR", "INSR")), ("addl", ("ADDL INSD", "INSD", "ADDL")),
        ("subr", ("SUBR WVD", "WVD", "SUBR")), ("number", ("POLICY NUMBER", "NUMBER")),
        ("eff", ("POLICY EFF", "EFF")), ("exp", ("POLICY EXP", "EXP")), ("limits", ("LIMITS",)),
    ):
        for opt in options:
            # Header labels stand alone in their cells; the same words inside the disclaimer
            # paragraph just above the table ("LIMITS SHOWN MAY HAVE BEEN REDUCED") do not.
            found = page.find(opt, band, isolated=5 if key in ("number", "eff", "exp", "limits") else 0)
            if found:
                hdr[key] = found[0]
                break
    if "limits" not in hdr:
        # A misread LIMITS heading: the first limit label of the table marks the column.
        rest = Box(0, type_lbl.bottom, page.width, page.height)
        first = page.find_first("EACH OCCURRENCE", rest) or page.find_first("COMBINED SINGLE LIMIT", rest)
        before = hdr.get("exp") or (hdr.get("eff") if page.ocr else None)
        if before is None and page.ocr and "number" in hdr:
            # Both date headings lost too ("POLIC E EF F", "POLICY 5 EXP"): the limit label must
            # stand past the number column and the two date cells after it (each about as wide as
            # the POLICY NUMBER heading).
            num = hdr["number"]
            before = Box(num.x0, num.top, num.x1 + 2 * (num.x1 - num.x0), num.bottom)
        if first is not None and before is not None and first.x0 > before.x1:
            hdr["limits"] = Box(first.x0, type_lbl.top, first.x0 + 20, type_lbl.bottom)
    if page.ocr and ("eff" not in hdr or "exp" not in hdr) and "number" in hdr and "limits" in hdr:
        _date_cells(page, hdr, type_lbl)
    if page.ocr and "exp" not in hdr and "eff" in hdr and "limits" in hdr:
        _exp_heading(page, hdr)
    if page.ocr and "eff" not in hdr and "number" in hdr and "exp" in hdr:
        _eff_heading(page, hdr, band)
    missing = [k for k in ("number", "eff", "exp", "limits") if k not in hdr]
    if missing:
        d.warnings.append(f"coverage table columns not found: {', '.join(missing)}")
        return None
    hdr_bottom = max(b.bottom for b in hdr.values())
    desc = description_label(page)
    bottom = desc.top - 1 if desc is not None and desc.top > hdr_bottom else page.height
    below = page.hrules_across(hdr["number"].cx - 1, hdr["number"].cx + 1, hdr_bottom - 1, hdr_bottom + 20)
    top = below[0] if below else hdr_bottom + 1
    cols = _columns(page, hdr, _column_rules(page, type_lbl, top))
    sep = _block_rules(page, cols, top, bottom)
    if len(sep) >= 2:
        bands = [(a, b) for a, b in itertools.pairwise(sep) if b - a >= 6]
        if sep[0] > top + 6:
            bands.insert(0, (top, sep[0]))
        if bottom - sep[-1] > 12:
            bands.append((sep[-1], bottom))
    else:
        bands = _bands_from_headings(page, cols, top, bottom)
    if page.ocr:
        bands = [part for band in bands for part in _split_band(page, cols, band)]
    return _Table(cols=cols, top=top, bottom=bottom, bands=bands)


# Where below the header a scan's column rules are sought again (points): a photo's blurred top
# can lose their upper ends, header row and first line alike.
_COLUMN_PROBES = (4.0, 20.0, 40.0)
_COLUMNS_SEEN = 8  # rules across a full ACORD 25 header: every column's side


def _column_rules(page: Page, type_lbl: Box, top: float) -> list[float]:
    """x of the coverage table's column rules: those across the header row, or on a scan that
    shows fewer there, across the first block's lines where the most are seen."""
    xs = page.vrules_across(type_lbl.cy - 1, type_lbl.cy + 1, 0, page.width)
    if len(xs) < 4 or (page.ocr and len(xs) < _COLUMNS_SEEN):
        for dy in _COLUMN_PROBES:
            more = page.vrules_across(top + dy - 2, top + dy + 2, 0, page.width)
            if len(more) > len(xs):
                xs = more
    return xs


def _block_rules(page: Page, cols: dict[str, tuple[float, float]], top: float, bottom: float) -> list[float]:
    """y of the rules between coverage blocks: rules across two or more of the policy number and
    date columns, which no rule crosses inside a block. One column is not enough to see them: a
    blot over a policy number hides the rule under it."""
    found = [page.hrules_across(x0 + 3, x1 - 3, top - 3, bottom + 3)
             for x0, x1 in (cols[k] for k in ("number", "eff", "exp") if k in cols)]
    need = min(2, len(found))
    ys = sorted(y for col in found for y in col)
    out: list[float] = []
    for cluster in _clusters(ys, tol=2.0):
        if len(cluster) >= need:
            out.append(sum(cluster) / len(cluster))
    return out


def _clusters(values: list[float], tol: float) -> list[list[float]]:
    """Sorted values grouped where each is within `tol` of the one before."""
    groups: list[list[float]] = []
    for v in values:
        if groups and v - groups[-1][-1] <= tol:
            groups[-1].append(v)
        else:
            groups.append([v])
    return groups


# Policy numbers further apart than this in one block are two blocks whose dividing rule the scan
# lost (several policies of one block print on consecutive lines).
_BLOCK_APART = 40.0


def _split_band(page: Page, cols: dict[str, tuple[float, float]],
                band: tuple[float, float]) -> list[tuple[float, float]]:
    """A block holding two policy numbers far apart split at the widest gap between the type
    column's lines between them."""
    top, bottom = band
    nx0, nx1 = cols["number"]
    numbers = [ln.box for ln in page.lines_in(Box(nx0, top, nx1, bottom))
               if sum(ch.isdigit() for ch in ln.text) >= 3]
    tx0, tx1 = cols.get("type", (nx0 - 1, nx0))
    types = [ln.box for ln in page.lines_in(Box(tx0, top, tx1, bottom))]
    for a, b in itertools.pairwise(numbers):
        if b.top - a.bottom < _BLOCK_APART:
            continue
        between = [t for t in types if a.top - 2 <= t.cy <= b.top]
        gaps = [(d.top - c.bottom, (c.bottom + d.top) / 2) for c, d in itertools.pairwise(between)]
        if gaps and max(gaps)[0] > 10:
            cut = max(gaps)[1]
            return [(top, cut), *_split_band(page, cols, (cut, bottom))]
    return [band]


def _exp_heading(page: Page, hdr: dict[str, Box]) -> None:
    """A misread POLICY EXP heading ("POUCYEXe"): its column is the one between EFF and LIMITS,
    bounded by the rules between them (or as wide as EFF's heading)."""
    eff, lim = hdr["eff"], hdr["limits"]
    if lim.x0 - eff.x1 < 2 * (eff.x1 - eff.x0) / 3:
        return
    xs = [x for x in page.vrules_across(eff.cy - 1, eff.cy + 1, eff.x1, lim.x0)]
    x0 = xs[0] + 2 if xs else eff.x1 + 4
    x1 = xs[1] - 2 if len(xs) > 1 else min(lim.x0 - 8, x0 + eff.x1 - eff.x0)
    if x1 > x0:
        hdr["exp"] = Box(x0, eff.top, x1, eff.bottom)


def _date_cells(page: Page, hdr: dict[str, Box], type_lbl: Box) -> None:
    """Misread POLICY EFF / POLICY EXP headings: the two cells the header's rules make between
    POLICY NUMBER and LIMITS are theirs, in that order."""
    num, lim = hdr["number"], hdr["limits"]
    xs = page.vrules_across(type_lbl.cy - 1, type_lbl.cy + 1, num.x1, lim.x0)
    cells = [(a, b) for a, b in itertools.pairwise(xs) if b - a >= 20]
    if len(cells) != 2:
        return
    for key, (a, b) in zip(("eff", "exp"), cells, strict=True):
        found = hdr.get(key)
        if found is not None and not a <= found.cx <= b:
            return  # the rules do not make the columns the headings found say
    for key, (a, b) in zip(("eff", "exp"), cells, strict=True):
        if key not in hdr:
            hdr[key] = Box(a + 2, type_lbl.top, b - 2, type_lbl.bottom)


def _eff_heading(page: Page, hdr: dict[str, Box], band: Box) -> None:
    """A misread POLICY EFF heading ("POLICY a"): its column is the one between POLICY NUMBER and
    POLICY EXP, where a lone POLICY word stands, or bounded by the rules between them."""
    num, exp = hdr["number"], hdr["exp"]
    width = exp.x1 - exp.x0
    if exp.x0 - num.x1 < width:
        return
    between = Box(num.x1 + 1, band.top, exp.x0 - 1, band.bottom)
    policy = [w for w in page.words_in(between) if fold(w.text) == "policy" and abs(w.top - exp.top) < 3]
    if policy:
        w = policy[0]
        hdr["eff"] = Box(w.x0, exp.top, min(w.x0 + width, exp.x0 - 2), exp.bottom)
        return
    xs = page.vrules_across(exp.cy - 1, exp.cy + 1, num.x1, exp.x0)
    if len(xs) >= 2:
        hdr["eff"] = Box(xs[-2] + 2, exp.top, xs[-1] - 2, exp.bottom)


def _columns(page: Page, hdr: dict[str, Box], xs: list[float]) -> dict[str, tuple[float, float]]:
    present = sorted(((k, b) for k, b in hdr.items()), key=lambda kb: kb[1].cx)
    cols: dict[str, tuple[float, float]] = {}
    for i, (key, box) in enumerate(present):
        # Without a rule, a column ends halfway to its neighbour's label.
        left = (present[i - 1][1].x1 + box.x0) / 2 if i > 0 else 0.0
        right = (box.x1 + present[i + 1][1].x0) / 2 if i + 1 < len(present) else page.width
        lefts = [x for x in xs if x <= box.x0 + 2]
        rights = [x for x in xs if x >= box.x1 - 2]
        if lefts:
            left = max(lefts)
        if rights:
            right = min(rights)
        cols[key] = (left, right)
    if "limits" in cols:
        # LIMITS spans the label and amount cells: it runs to the table's right edge.
        right_edge = max(xs) if xs else page.width
        cols["limits"] = (cols["limits"][0], max(cols["limits"][1], right_edge))
        if "exp" in cols:
            cols["limits"] = (min(cols["limits"][0], max(cols["exp"][1], cols["exp"][0])), cols["limits"][1])
    if "type" in cols and "ltr" not in cols:
        cols["ltr"] = (0.0, cols["type"][0])
    if "type" in cols and "number" in cols:
        _flag_columns(cols, xs)
    return cols


def _flag_columns(cols: dict[str, tuple[float, float]], xs: list[float]) -> None:
    """A misread ADDL INSD or SUBR WVD heading: its column is the narrow one the rules leave
    between TYPE OF INSURANCE and POLICY NUMBER beside the other flag column."""
    lo, hi = cols["type"][1], cols["number"][0]

    def narrow(a: float, b: float) -> bool:
        return 8.0 <= b - a <= 45.0

    if "addl" in cols and "subr" not in cols and narrow(cols["addl"][1], hi):
        cols["subr"] = (cols["addl"][1], hi)
    elif "subr" in cols and "addl" not in cols and narrow(lo, cols["subr"][0]):
        cols["addl"] = (lo, cols["subr"][0])
    elif "addl" not in cols and "subr" not in cols:
        inner = [x for x in xs if lo + 6 < x < hi - 6]
        if len(inner) == 1 and narrow(lo, inner[0]) and narrow(inner[0], hi):
            cols["addl"], cols["subr"] = (lo, inner[0]), (inner[0], hi)


_HEADINGS = (
    ("GENERAL LIABILITY", "general_liability"), ("COMMERCIAL GENERAL LIABILITY", "general_liability"),
    ("AUTOMOBILE LIABILITY", "automobile_liability"), ("AUTO LIABILITY", "automobile_liability"),
    ("UMBRELLA LIAB", "umbrella"), ("WORKERS COMPENSATION", "workers_compensation"),
)


def _bands_from_headings(page: Page, cols: dict[str, tuple[float, float]], top: float,
                         bottom: float) -> list[tuple[float, float]]:
    """Coverage blocks when no rules cross the policy columns (scans): each starts at a heading."""
    tx0, tx1 = cols.get("type", (0.0, cols["number"][0]))
    area = Box(tx0 - 4, top, tx1 + 4, bottom)
    starts: list[float] = []
    for phrase, _ in _HEADINGS:
        starts += [b.top - 2 for b in page.find(phrase, area)]
    nx0, nx1 = cols["number"]
    # A policy number far from every heading starts a block of its own ('other' rows).
    for line in page.lines_in(Box(nx0, top, nx1, bottom)):
        y = line.box.top - 2
        if all(abs(y - s) > 3 * line.box.height + 8 for s in starts) and not any(
            s <= y <= s + 6 * line.box.height for s in starts
        ):
            starts.append(y)
    starts = sorted(set(starts))
    if not starts:
        return [(top, bottom)]
    bounds = [*starts[1:], bottom]
    return [(s, e) for s, e in zip(starts, bounds, strict=False) if e - s >= 6]


# ------------------------------------------------------------------------------------------ policies
_NUMBER_JUNK = "‘’'\"“”`|_.,:;~!\\"
# No policy number is shorter than this (letters and digits).
_NUMBER_MIN_CHARS = 3
# A letter forced to A-F from unreadable ink must be read this clearly to count.
_LETTER_MIN_CONF = 0.6

# Words of an 'other' row's coverage name read less surely than this are doubtful; a name with
# several of them is garbled.
_NAME_UNSURE = 0.6
# Words of the names insurers give their lines of business: one of them spelt out, however
# unsure Tesseract says it is, is no garbled reading.
_COVERAGE_WORDS = frozenset({
    "abuse", "accident", "aggregate", "aircraft", "auto", "automobile", "bailee", "blanket", "boiler",
    "bond", "breach", "builders", "business", "cargo", "claim", "claims", "commercial", "compensation",
    "contractors", "contractual", "crime", "cyber", "damage", "directors", "employee", "employers",
    "employment", "environmental", "equipment", "errors", "excess", "fiduciary", "fidelity", "floater",
    "garage", "garagekeepers", "general", "hired", "holder", "income", "inland", "installation",
    "interruption", "legal", "liability", "liquor", "machinery", "made", "malpractice", "marine",
    "media", "medical", "molestation", "motor", "network", "nonowned", "occurrence", "officers",
    "omissions", "owned", "owners", "pollution", "practices", "premises", "privacy", "products",
    "professional", "property", "protective", "railroad", "rented", "risk", "security", "sexual",
    "surety", "technology", "terrorism", "transit", "truckers", "umbrella", "warehouse", "workers"
})


def _coverage_word(text: str) -> bool:
    parts = [part for part in re.findall(r"[a-z]+", text.casefold()) if len(part) > 2]
    return bool(parts) and all(part in _COVERAGE_WORDS for part in parts)


def read_policies(d: Draft, certificate_date: str | None = None) -> list[dict[str, Any]]:
    table = _table(d)
    if table is None:
        return []
    out: list[dict[str, Any]] = []
    prev_kind: str | None = None
    for top, bottom in table.bands:
        pols = _band(d, table, top, bottom, prev_kind)
        if pols:
            prev_kind = pols[-1]["coverage"]
            out.extend(pols)
    if d.page.ocr:
        _garbled_dates_by_other_rows(d, out)
    _dates_by_other_rows(d, out, certificate_date)
    for pol in out:
        for key, texts in pol.pop("_unread", {}).items():
            d.warnings.append(f"{pol['coverage']} {pol['policy_number'] or ''}: {key} "
                              f"{' '.join(texts)!r} is not a date".replace("  ", " "))
    if d.page.ocr and certificate_date:
        _lone_dates_checked(d, out, certificate_date)
    return out


_TERM_KEYS = ("effective_date", "expiration_date")


def _garbled_dates_by_other_rows(d: Draft, policies: list[dict[str, Any]]) -> None:
    """A scanned row's date that no reading makes out ("05-42-2026"), taken from the term of
    another policy on the certificate that the row's other date (read, or garbled too) belongs
    to, when its garbled reading is that term's date but for one character. Only a single such
    term is taken."""
    terms = {(p["effective_date"], p["expiration_date"]) for p in policies
             if not p.get("_unread") and not p.get("_dates_disagree")
             and a_year_apart(p["effective_date"], p["expiration_date"])}
    for pol in policies:
        unread = pol.get("_unread")
        if not unread:
            continue
        fits = {term for term in terms
                if all(misread_of(value, unread[key]) if key in unread else pol[key] == value
                       for key, value in zip(_TERM_KEYS, term, strict=True))}
        if len(fits) != 1:
            continue
        term = fits.pop()
        read = {key: " ".join(unread[key]) for key in unread}
        pol["effective_date"], pol["expiration_date"] = term
        pol["_unread"] = {}
        for key in read:
            pol["_conf"][key] = min(pol["_conf"].get(key, 1.0), 0.5)
        d.warnings.append(f"{pol['coverage']} {pol['policy_number'] or ''}: "
                          + ", ".join(f"{key} {text!r}" for key, text in read.items())
                          + f" taken as {term[0]} to {term[1]}, the term of another policy on the "
                          "certificate; check them")


def _lone_dates_checked(d: Draft, policies: list[dict[str, Any]], certificate_date: str) -> None:
    """A scanned row's one readable date, its other unread, that puts the policy out of force by
    more than a year on the certificate's date (expired before, or starting after): a misread
    year ("2021" for 2027), not kept. Only when another policy's term holds that date, which
    shows the certificate's date itself was read right."""
    day = parse_date(certificate_date)
    if day is None or not any(_holds((p["effective_date"], p["expiration_date"]), certificate_date)
                              for p in policies):
        return
    for pol in policies:
        eff, exp = parse_date(pol["effective_date"]), parse_date(pol["expiration_date"])
        if (eff is None) == (exp is None):
            continue
        expired = exp is not None and exp < day - _OUT_OF_FORCE
        if expired or (eff is not None and eff > day + _OUT_OF_FORCE):
            key = "expiration_date" if exp is not None else "effective_date"
            d.warnings.append(f"{pol['coverage']} {pol['policy_number'] or ''}: {key} {pol[key]} is more "
                              f"than a year from the certificate's date {certificate_date}; not kept")
            pol[key] = None


_OUT_OF_FORCE = timedelta(days=366)


def _dates_by_other_rows(d: Draft, policies: list[dict[str, Any]],
                         certificate_date: str | None = None) -> None:
    """Scanned rows whose dates are not a year apart even read again: one of the two is misread
    (a 6 read as a 4 in the year). Of the two terms a year from either date, the one another
    policy on the certificate reads as is taken; else the one that holds the certificate's date
    (a certificate shows coverage in force, or about to be); otherwise neither date is kept, for
    a person to read."""
    terms = {(p["effective_date"], p["expiration_date"]) for p in policies
             if not p.get("_dates_disagree") and a_year_apart(p["effective_date"], p["expiration_date"])}
    for pol in policies:
        if not pol.pop("_dates_disagree", False):
            continue
        eff, exp = pol["effective_date"], pol["expiration_date"]
        name = f"{pol['coverage']} {pol['policy_number'] or ''}".strip()
        both = [(eff, years_later(eff, 1)), (years_later(exp, -1), exp)]
        backed = {t for t in both if t in terms}
        why = "the term of another policy on the certificate"
        if not backed and certificate_date:
            backed = {t for t in both if _holds(t, certificate_date)}
            why = f"the term that holds the certificate's date {certificate_date}"
        if len(backed) == 1:
            pol["effective_date"], pol["expiration_date"] = backed.pop()
            d.warnings.append(f"{name}: effective {eff} and expiration {exp} are not a year apart; taken as "
                              f"{pol['effective_date']} to {pol['expiration_date']}, {why}; check them")
        else:
            pol["effective_date"] = pol["expiration_date"] = None
            d.warnings.append(f"{name}: effective {eff} and expiration {exp} are not a year apart and "
                              "nothing tells which is misread; neither is taken")


# Days before a policy's effective date that a certificate may already show it (a renewal).
_ISSUED_AHEAD_DAYS = 60


def _holds(term: tuple[str | None, str | None], day: str) -> bool:
    eff, exp = (parse_date(v) for v in term)
    when = parse_date(day)
    if eff is None or exp is None or when is None:
        return False
    return eff - timedelta(days=_ISSUED_AHEAD_DAYS) <= when <= exp


def _col_box(table: _Table, key: str, top: float, bottom: float) -> Box:
    x0, x1 = table.cols.get(key, (0.0, 0.0))
    return Box(x0, top, x1, bottom)


def _text(lines: list[Line]) -> str:
    return " ".join(ln.text for ln in lines).strip()


def _conf(words: list[Word]) -> float:
    return min((w.conf for w in words), default=1.0)


def _band(d: Draft, table: _Table, top: float, bottom: float, prev_kind: str | None) -> list[dict[str, Any]]:
    page = d.page
    type_box = _col_box(table, "type", top, bottom)
    type_words = page.words_in(type_box)
    type_fold = "".join(fold(w.text) for ln in make_lines(type_words) for w in ln.words)
    kind = _kind(type_fold, page.ocr, [fold(w.text) for w in type_words])
    number_lines = [ln for ln in page.lines_in(_col_box(table, "number", top, bottom)) if fold(ln.text)]
    eff_words = page.words_in(_col_box(table, "eff", top, bottom))
    exp_words = page.words_in(_col_box(table, "exp", top, bottom))
    limits_box = _col_box(table, "limits", top, bottom)
    has_limits_values = _has_amount(page, limits_box)
    if page.ocr:
        # Specks in an empty block are not a policy: a scan's block needs a number with a digit,
        # a date or an amount.
        number_lines = [ln for ln in number_lines if any(ch.isdigit() for ch in ln.text)]
        eff_words = [w for w in eff_words if iso_date(w.text)]
        exp_words = [w for w in exp_words if iso_date(w.text)]
    if not number_lines and not eff_words and not exp_words and not has_limits_values:
        return []
    if kind is None:
        name_lines = [ln for ln in make_lines([w for w in type_words if not is_mark(w)]) if fold(ln.text)]
        name = _text(name_lines)
        kind = prev_kind if not name and prev_kind is not None and number_lines else "other"
    if kind == "umbrella":
        kind = _umbrella_or_excess(d, type_box)
    rows = _policy_rows(page, table, number_lines)
    policies: list[dict[str, Any]] = []
    for i, (row_top, row_bottom) in enumerate(rows):
        # With one policy per block every cell of the block belongs to it; with several, a row's
        # own line does (letter, dates, flags), and the block's limits go to the first.
        rtop, rbottom = (top, bottom) if len(rows) == 1 else (row_top, row_bottom)
        pol = _policy(d, table, kind, top, bottom, rtop, rbottom, type_box, first=i == 0)
        policies.append(pol)
    return policies


def _policy_rows(page: Page, table: _Table, number_lines: list[Line]) -> list[tuple[float, float]]:
    """One row per policy of a block: several only when each number line has its own date beside it.

    A long policy number wrapped onto a second line is one policy, not two.
    """
    rows = []
    for ln in number_lines:
        b = ln.box
        top, bottom = b.top - 1.5, b.bottom + 1.5
        dated = any(iso_date(w.text) for w in page.words_in(_col_box(table, "eff", top, bottom)))
        if dated:
            rows.append((top, bottom))
    return rows if len(rows) > 1 else [(0.0, 0.0)]


_KINDS = (
    ("generalliab", "general_liability"), ("commercialgeneral", "general_liability"),
    ("automobileliab", "automobile_liability"), ("autoliab", "automobile_liability"),
    ("businessauto", "automobile_liability"), ("umbrellaliab", "umbrella"), ("excessliab", "umbrella"),
    ("workerscomp", "workers_compensation"), ("employersliab", "workers_compensation"),
)
# A heading OCR misread by a letter or two ("UMBRELLA LAB", "AUTOMOBILE UABILITY") still names its
# coverage: no two headings are this close to each other.
_KIND_FUZZY = 85.0


# The printed options of each standard block (its check-box labels and sub-labels): a block whose
# heading OCR garbled ("umpretta vias") is still known by several of them.
_BLOCK_WORDS: dict[str, frozenset[str]] = {
    "general_liability": frozenset({"commercial", "general", "aggregate", "applies", "project", "occur",
                                   "claimsmade"}),
    "automobile_liability": frozenset({"automobile", "owned", "scheduled", "hired", "nonowned"}),
    "umbrella": frozenset({"umbrella", "excess", "retention", "deductible", "claimsmade", "occur"}),
    "workers_compensation": frozenset({"workers", "compensation", "employers", "proprietor", "partner",
                                       "executive", "excluded", "mandatory"}),
}
_BLOCK_WORD_MIN = 3  # distinct option words: an 'other' coverage's name has one or two at most
_WORD_FUZZY = 80.0


def _kind(type_fold: str, ocr: bool = False, type_words: list[str] | None = None) -> str | None:
    """The coverage of a block from its TYPE OF INSURANCE text (folded, and its folded words)."""
    for frag, kind in _KINDS:
        if frag in type_fold:
            return kind
    if not ocr:
        return None
    # (A text shorter than the heading would match any heading that contains it.)
    scored = [(partial_ratio(frag, type_fold), kind) for frag, kind in _KINDS
              if len(frag) >= 10 and len(type_fold) >= len(frag)]
    score, kind = max(scored, default=(0.0, ""))
    if score >= _KIND_FUZZY:
        return kind
    return _kind_by_options(type_words or [])


def _kind_by_options(words: list[str]) -> str | None:
    hits: dict[str, int] = {}
    founds: dict[str, set[str]] = {}
    for kind, options in _BLOCK_WORDS.items():
        found = {o for o in options for w in words if len(w) >= 5 and ratio(w, o) >= _WORD_FUZZY}
        hits[kind] = len(found)
        founds[kind] = found
    ranked = sorted(hits.values(), reverse=True)
    if ranked[0] >= _BLOCK_WORD_MIN and ranked[0] > ranked[1]:
        return max(hits, key=lambda k: hits[k])
    # Two option words, one of them a word no other block prints (DED / RETENTION is only the
    # umbrella block's), name the block as well: an 'other' coverage's name has neither.
    for kind, found in founds.items():
        own = found - set().union(*(o for k, o in _BLOCK_WORDS.items() if k != kind))
        if len(found) >= 2 and own and len(found) > max(len(f) for k, f in founds.items() if k != kind):
            return kind
    return None


def _umbrella_or_excess(d: Draft, type_box: Box) -> str:
    page = d.page
    umb = page.find_first("UMBRELLA LIAB", type_box) or page.find_first("UMBRELLA", type_box)
    exc = page.find_first("EXCESS LIAB", type_box) or page.find_first("EXCESS", type_box)
    if page.ocr and (umb is None or exc is None):
        # One label garbled ("umpretta vias"): the form prints UMBRELLA LIAB right above EXCESS LIAB.
        umb, exc = _stacked_label(page, type_box, umb, exc)
    umb_marked = bool(umb and marked_before(page, umb))
    exc_marked = bool(exc and marked_before(page, exc))
    if not umb_marked and not exc_marked and d.reread is not None:
        # (Inside the TYPE column: its left rule runs a point from the boxes.)
        column = Box(type_box.x0 + _RULE_CLEARANCE, type_box.top, type_box.x1, type_box.bottom)
        umb_state = _box_marked_again(d, umb, column) if umb else None
        exc_state = _box_marked_again(d, exc, column) if exc else None
        umb_marked = bool(umb_state) or (umb_state is None and exc_state is False and umb is None)
        exc_marked = bool(exc_state) or (exc_state is None and umb_state is False and exc is None)
    if exc_marked and not umb_marked:
        return "excess_liability"
    if umb_marked and not exc_marked:
        return "umbrella_liability"
    if exc is not None and umb is None and not page.ocr:
        return "excess_liability"
    d.warnings.append("umbrella/excess: neither or both boxes are marked; read as umbrella")
    return "umbrella_liability"


def _stacked_label(page: Page, type_box: Box, umb: Box | None,
                   exc: Box | None) -> tuple[Box | None, Box | None]:
    """The garbled one of UMBRELLA LIAB / EXCESS LIAB: the first words of the line right above
    EXCESS LIAB (or below UMBRELLA LIAB) that start where the found label starts."""
    found = umb or exc
    if found is None:
        return _stacked_lines(page, type_box)
    lines = [ln for ln in page.lines_in(type_box) if abs(ln.words[0].x0 - found.x0) < 3
             and not is_mark(ln.words[0])]
    if umb is None:
        above = [ln for ln in lines if found.top - 3 * found.height <= ln.box.cy < found.top]
        if above:
            umb = box_of(above[-1].words[:1])
    else:
        below = [ln for ln in lines if found.bottom < ln.box.cy <= found.bottom + 3 * found.height]
        if below:
            exc = box_of(below[0].words[:1])
    return umb, exc


def _stacked_lines(page: Page, type_box: Box) -> tuple[Box | None, Box | None]:
    """Both UMBRELLA LIAB and EXCESS LIAB garbled: the block's first two lines, one right above
    the other and starting at one place, are theirs (their boxes sit before them)."""
    lines = []
    for ln in page.lines_in(type_box):
        words = [w for w in ln.words if not is_mark(w) and fold(w.text)]
        if words:
            lines.append(box_of(words[:1]))
    if len(lines) < 2:
        return None, None
    umb, exc = lines[0], lines[1]
    h = max(umb.height, exc.height)
    if abs(umb.x0 - exc.x0) < 3 and 0 < exc.cy - umb.cy <= 3.5 * h:
        return umb, exc
    return None, None


def _policy(d: Draft, table: _Table, kind: str, top: float, bottom: float, rtop: float, rbottom: float,
            type_box: Box, first: bool) -> dict[str, Any]:
    page = d.page
    conf: dict[str, float] = {}
    pol: dict[str, Any] = {"coverage": kind}
    # A block listing several policies, each on its own line.
    several = (rtop, rbottom) != (top, bottom)
    if kind == "other":
        name_words = [w for w in page.words_in(type_box) if not is_mark(w)]
        own_name = [w for w in name_words if rtop <= (w.top + w.bottom) / 2 <= rbottom] if several else []
        if own_name:
            # Two 'other' coverages printed on one row ("Professional Liability" over "Crime"): each
            # line names its own policy (and its basis words, read below from the type box).
            name_words = own_name
            type_box = Box(type_box.x0, rtop, type_box.x1, rbottom)
        pol["coverage_name"] = normalize_name(_text(make_lines(name_words)))
        unsure = [w for w in name_words if w.conf < _NAME_UNSURE and not _coverage_word(w.text)]
        if page.ocr and pol["coverage_name"] and len(unsure) >= 2 and len(unsure) >= 0.4 * len(name_words):
            # A name in small type the scan garbled ("Exp 3 Liab Plasma ade") is not invented.
            d.warnings.append(f"other coverage name {pol['coverage_name']!r} not readable; check it")
            pol["coverage_name"] = None
    ltr_words = [w for w in page.words_in(_col_box(table, "ltr", rtop, rbottom)) if fold(w.text)]
    letter = None
    for w in ltr_words:
        t = w.text.strip(" .:_|'").upper()
        if len(t) == 1 and t in "ABCDEF":
            letter = t
            conf["insurer_letter"] = w.conf
            break
    if letter is None and pol_has_value(page, table, rtop, rbottom):
        # The letter prints on the policy number's line: a tight crop there reads best.
        nums = [ln for ln in page.lines_in(_col_box(table, "number", rtop, rbottom)) if fold(ln.text)]
        ytop, ybottom = (nums[0].box.top - 5, nums[0].box.bottom + 5) if nums else (rtop, rbottom)
        if nums:
            # A block's rule that close above or below the line (a number printed near the block's
            # top) is no part of the letter: the crop stops inside it.
            # (The column's right part: without its heading the column runs from the page edge.)
            lx0, lx1 = table.cols.get("ltr", (0.0, 0.0))
            for y in page.hrules_across(max(lx0, lx1 - 15) + 2, lx1 - 2, ytop, ybottom):
                # (A scan's word box may reach over the rule: the line's middle tells the side.)
                if y < nums[0].box.cy:
                    ytop = max(ytop, y + 1)
                else:
                    ybottom = min(ybottom, y - 1)
        # The cell's one glyph (ink the page pass skipped, or read as "8" for B) read alone as A-F;
        # a cell without a glyph-sized blot of ink gives nothing.
        again = d.read_again(_col_box(table, "ltr", ytop, ybottom), "letter")
        t = again.text.strip(" .:_|'").upper() if again is not None else ""
        if len(t) == 1 and t in "ABCDEF" and again is not None and again.conf >= _LETTER_MIN_CONF:
            letter = t
            conf["insurer_letter"] = min(again.conf, 0.8)
        elif len(t) == 1 and t in "ABCDEF" and again is not None:
            # Read unsurely: a second, unconstrained read of the cell that agrees confirms it.
            cell = _col_box(table, "ltr", ytop, ybottom)
            # (Inside the cell's rules: a rule at the crop's edge makes a line read give nothing.)
            second = d.read_again(Box(cell.x0 + 1, cell.top, cell.x1 - 1, cell.bottom), "text")
            agrees = second is not None and second.text.strip(" .:_|'[]()") == t
            if agrees and second is not None and second.conf >= _LETTER_MIN_CONF:
                letter = t
                conf["insurer_letter"] = 0.7
    if letter is None and ltr_words:
        d.warnings.append(f"{kind}: insurer letter {' '.join(w.text for w in ltr_words)!r} not readable")
    pol["insurer_letter"] = letter
    num_words = page.words_in(_col_box(table, "number", rtop, rbottom))
    num_lines = [ln for ln in make_lines(num_words) if fold(ln.text)]
    if page.ocr and num_lines and not any(c.isdigit() for ln in num_lines for c in ln.text):
        # Every policy number has a digit: a scan's letters there are a flag, a heading or a
        # smudge that the column caught, not the number.
        d.warnings.append(f"{kind}: policy number {num_lines[0].text!r} has no digit; not read")
        num_lines = []
    elif page.ocr:
        num_lines = [ln for ln in num_lines if any(c.isdigit() for c in ln.text)]
        # A lone digit or two at the column's edge is what is left of its rule, not a number.
        longer = [ln for ln in num_lines if sum(c.isalnum() for c in ln.text) >= _NUMBER_MIN_CHARS]
        if num_lines and not longer:
            d.warnings.append(f"{kind}: policy number {num_lines[0].text!r} too short; not read")
        num_lines = longer
    if num_lines:
        number = " ".join(num_lines[0].text.split())
        if page.ocr:
            # Quotes, bars and dots OCR reads from specks at either end are no part of a number.
            number = _trim_number(number)
            # A dash read as a tilde, an S as a dollar sign: no policy number prints either.
            number = number.replace("~", "-").replace("$", "S")
            if num_lines[0].conf < _NUMBER_UNSURE:
                number = _number_read_whole(d, table, num_lines[0], number)
        pol["policy_number"] = number
        conf["policy_number"] = num_lines[0].conf
    else:
        pol["policy_number"] = None
    unread: dict[str, list[str]] = {}
    for key, col in (("effective_date", "eff"), ("expiration_date", "exp")):
        words = page.words_in(_col_box(table, col, rtop, rbottom))
        value = None
        for text in date_candidates([w for ln in make_lines(words) for w in ln.words]):
            value = iso_date(text)
            if value:
                break
        if value is None and page.ocr:
            # The column prints MM/DD/YYYY: separators the scan misread do not hide the date.
            value = next((v for ln in make_lines(words) if (v := scan_date(ln.text))), None)
        if value is None and page.ocr and pol["policy_number"]:
            # The date's own line first, then the whole cell (a line's crop may cut a tall date).
            tight = _date_crop(page, table, col, rtop, rbottom, num_lines)
            again = d.read_again(tight, "date")
            value = iso_date(again.text) if again is not None else None
            if value is None and tight != _col_box(table, col, rtop, rbottom):
                again = d.read_again(_col_box(table, col, rtop, rbottom), "date") or again
                value = iso_date(again.text) if again is not None else None
            if value is not None and again is not None:
                words = [again]
            elif again is not None:
                unread[key] = [again.text]
        if value is None and words:
            unread[key] = [ln.text for ln in make_lines(words)] + unread.get(key, [])
        pol[key] = value
        if words:
            conf[key] = _conf(words)
    if page.ocr:
        _settle_dates(d, table, pol, unread, rtop, rbottom)
    for key in unread:
        if pol[key] is not None:
            conf[key] = min(conf.get(key, 1.0), 0.7)
    # Dates no reading made out: the other rows may still tell them (`_garbled_dates_by_other_rows`).
    pol["_unread"] = {key: texts for key, texts in unread.items() if pol[key] is None}
    pol["basis"] = _basis(page, kind, type_box, d)
    for key, col in (("additional_insured", "addl"), ("waiver_of_subrogation", "subr")):
        if col not in table.cols:
            pol[key] = None
            continue
        cell = _col_box(table, col, rtop, rbottom)
        # (A long coverage name runs on into the flag columns: words begun left of the cell.)
        words = [w for w in page.words_in(cell) if w.x0 >= cell.x0 - _FLAG_OVERHANG]
        core = _flag_core(words)
        readable = core in ("y", "n", "x", "yes", "no", "na")
        # A row that printed a policy: its number, or a date when a blot hid the number.
        printed = pol["policy_number"] or pol["effective_date"] or pol["expiration_date"]
        doubted: Word | None = None
        if not readable and page.ocr and printed:
            # Tesseract drops or garbles lone letters: such a flag cell on a scan is read again.
            again = d.read_again(cell, "flag")
            if again is not None and fold(again.text) in ("y", "n", "x") and again.conf >= _LETTER_MIN_CONF:
                words, readable = [again], True
            elif again is not None:
                # A letter is there, but not surely one: the cell is not empty, so not a "no".
                doubted = again
        # (The form prints N/A in a workers' comp row's ADDL INSD cell: however it reads, it is no.)
        na_cell = kind == "workers_compensation" and key == "additional_insured"
        # (A column found wider than a flag's cell is a misread heading's: its words are not the flag.)
        flag_cell = cell.x1 - cell.x0 <= _FLAG_CELL_MAX
        if page.ocr and printed and flag_cell and not readable and not na_cell \
                and (core or doubted is not None) and not any(is_mark(w) for w in words):
            # Ink that reads as no Y, N or X even alone ("Waus"), or as one unsurely: the flag is
            # not known.
            seen = " ".join(w.text for w in words) if core or doubted is None else f"{doubted.text} (unsure)"
            d.warnings.append(f"{kind} {pol['policy_number'] or ''}: {key} read as "
                              f"{seen!r}; check it".replace("  ", " "))
            pol[key] = None
            continue
        pol[key] = _flag(words)
        if words:
            conf[key] = _conf(words)
    # The limits are the table's last column: an amount that overran the form's edge into the
    # margin ("Retention $2,500" at the end of a one-line 'other' row) is still the row's.
    limits_box = Box(table.cols["limits"][0], top, page.width, bottom)
    own_limits = Box(limits_box.x0, rtop, limits_box.x1, rbottom)
    if several and kind == "other" and _has_amount(page, own_limits):
        # Each 'other' policy's limits printed on its own line: that line's are its own.
        limits_box, first = own_limits, True
    again_ = d.read_again if page.ocr else None
    limits, lim_conf, lim_warn = read_limits(page, limits_box, kind, again_) if first else ({}, 1.0, [])
    pol["limits"] = limits
    conf["limits"] = lim_conf
    d.warnings.extend(f"{kind}: {w}" for w in lim_warn)
    if kind == "workers_compensation":
        pol["statutory"] = _statutory(page, limits_box, d)
    pol["_conf"] = conf
    return pol


def _settle_dates(d: Draft, table: _Table, pol: dict[str, Any], unread: dict[str, list[str]],
                  top: float, bottom: float) -> None:
    """A scanned row's dates checked against each other: policies run a year. Unread dates are
    taken from garbled readings as `dates_from_garbled` allows; two dates that are not a year
    apart are read again on tight crops, and a re-read that puts them a year apart is taken.
    Otherwise the row is marked for `_dates_by_other_rows`, which settles it from the page."""
    eff, exp = pol["effective_date"], pol["expiration_date"]
    if eff is None or exp is None:
        pol["effective_date"], pol["expiration_date"] = dates_from_garbled(
            eff, exp, unread.get("effective_date", []), unread.get("expiration_date", []))
        return
    if a_year_apart(eff, exp):
        return
    again = {key: d.read_again(_col_box(table, col, top, bottom), "date")
             for key, col in (("effective_date", "eff"), ("expiration_date", "exp"))}
    for key, other in (("effective_date", "expiration_date"), ("expiration_date", "effective_date")):
        word = again[key]
        reread = iso_date(word.text) if word is not None else None
        if reread is None:
            continue
        pair = (reread, pol[other]) if key == "effective_date" else (pol[other], reread)
        if a_year_apart(*pair):
            pol[key] = reread
            return
    pol["_dates_disagree"] = True


def _date_crop(page: Page, table: _Table, col: str, top: float, bottom: float, numbers: list[Line]) -> Box:
    """Where a row's date is read again: the line of the column's digits (or the policy number's
    line), a few points either side, not the whole block (a tall crop of mostly blank cell
    reads worse)."""
    cell = _col_box(table, col, top, bottom)
    lines = [ln for ln in page.lines_in(cell) if sum(ch.isdigit() for ch in ln.text) >= 4]
    line = max(lines, key=lambda ln: sum(ch.isdigit() for ch in ln.text)) if lines else (
        numbers[0] if numbers else None)
    if line is None:
        return cell
    b = line.box
    return Box(cell.x0, max(top, b.top - 4), cell.x1, min(bottom, b.bottom + 4))


# A policy number read with less confidence than this is read again across its whole column.
_NUMBER_UNSURE = 0.3
_REREAD_NUMBER_CONF = 0.5


def _number_read_whole(d: Draft, table: _Table, line: Line, number: str) -> str:
    """A policy number the page pass doubted, read again across the column at its line: the
    page pass may have lost a prefix that touches the rule above ("XS 624108-64" read as
    "624108-64"). The re-read is taken only when it holds the same digits and the first reading
    whole, with more before or after it."""
    x0, x1 = table.cols.get("number", (line.box.x0, line.box.x1))
    again = d.read_again(Box(x0 + 1, line.box.top - 2, x1 - 1, line.box.bottom + 2), "text")
    if again is None or again.conf < _REREAD_NUMBER_CONF:
        return number
    text = _trim_number(" ".join(again.text.split()))
    digits = [c for c in text if c.isdigit()]
    longer = len(text) > len(number)
    if digits == [c for c in number if c.isdigit()] and fold(number) in fold(text) and longer:
        log.debug("policy number %r read again as %r", number, text)
        return text
    return number


def _trim_number(number: str) -> str:
    """A scanned policy number without the specks OCR reads at its ends: quotes, bars, dots, a dash
    (no number starts or ends with one) and a bracket that opens or closes nothing."""
    out = number
    while True:
        before = out
        out = out.strip(_NUMBER_JUNK).strip("-")
        if out.startswith(("(", "[", "{")) and not any(c in out for c in ")]}"):
            out = out[1:]
        if out.endswith((")", "]", "}")) and not any(c in out for c in "([{"):
            out = out[:-1]
        out = out.strip()
        if out == before:
            return out or number


def _has_amount(page: Page, box: Box) -> bool:
    return any(sum(ch.isdigit() for ch in w.text) >= 3 for w in page.words_in(box))


def pol_has_value(page: Page, table: _Table, top: float, bottom: float) -> bool:
    """Whether the row prints a policy number or a date (so an insurer letter belongs there)."""
    return any(page.words_in(_col_box(table, c, top, bottom)) for c in ("number", "eff", "exp"))


# Points a flag's word may start left of its cell (a scan's box is a little wide).
_FLAG_OVERHANG = 2.0
_FLAG_CELL_MAX = 30.0  # points; ACORD's ADDL INSD and SUBR WVD cells are about 17 wide


def _flag(words: list[Word]) -> bool:
    return any(is_mark(w) for w in words) or _flag_core(words) in ("y", "yes", "x")


def _flag_core(words: list[Word]) -> str:
    """A flag cell's reading, folded, without what the cell's side rules read as ("IN", "nIa";
    "" when that is all), a letter the LSTM doubled ("YY") or a speck read beside the one letter
    ("EN")."""
    # (A Y's arms and stem with the scan's noise between them read as a yen sign.)
    text = "".join(fold(w.text.replace("\u00a5", "Y")) for w in words)
    core = re.sub(r"(.)\1+", r"\1", text.translate(_RULE_GLYPHS))
    letters = [c for c in core if c in "ynx"]
    if len(core) == 2 and len(letters) == 1 and core not in ("no", "na"):
        return letters[0]
    return core


_RULE_GLYPHS = str.maketrans("", "", "il1")


# Points right of a column's rule where the cell's own ink starts (the rule is about a point wide).
_RULE_CLEARANCE = 1.2


def _box_marked_again(d: Draft, label: Box, within: Box | None = None) -> bool | None:
    """On a scan, the check box left of a label judged again from its pixels (or, when no box is
    found there, read again): True when marked, False when empty, None when it cannot be told.

    `within` (the cell the label is in) keeps the cell's rules out of the crop: a column rule
    beside the box makes one cluster of the two.
    """
    h = max(4.0, label.height)
    # The box is about twice the label's cap height, centred on its line, a few points left of it;
    # the boxes of the lines above and below stay out.
    region = Box(label.x0 - 2.5 * h - 4, label.cy - 1.1 * h - 1, label.x0 - 0.3, label.cy + 1.1 * h + 1)
    if within is not None:
        region = Box(max(region.x0, within.x0), max(region.top, within.top), min(region.x1, within.x1),
                     min(region.bottom, within.bottom))
    seen = d.read_again(region, "checkbox")
    if seen is not None:
        return seen.text == "X"
    word = d.read_again(Box(label.x0 - 1.8 * h - 4, label.top - 2, label.x0 - 0.5, label.bottom + 2), "text")
    if word is None:
        return None
    inner = word.text.strip("[](){}|_ ").lower()
    return True if inner in ("x", "xx", "rx", "v", "✓", "✔", "×", "k", "xl", "x]") else None


def _basis(page: Page, kind: str, type_box: Box, d: Draft | None = None) -> str | None:
    if kind in ("automobile_liability", "workers_compensation"):
        return None
    if kind == "other":
        text = " ".join(w.text for w in page.words_in(type_box)).lower()
        if re.search(r"claims?[\s\-]*made", text):
            return "claims_made"
        if re.search(r"\boccurr?(ence)?\b", text):
            return "occurrence"
        return None
    claims = page.find_first("CLAIMS-MADE", type_box) or page.find_first("CLAIMS MADE", type_box)
    occur = page.find_first("OCCUR", type_box) or page.find_first("OCCURRENCE", type_box)
    if occur is None and page.ocr:
        occur = _short_label(page, "occur", type_box)
    c = bool(claims and marked_before(page, claims))
    o = bool(occur and marked_before(page, occur))
    if not c and not o and d is not None and d.reread is not None:
        c = bool(claims and _box_marked_again(d, claims))
        o = bool(occur and _box_marked_again(d, occur))
    if c and not o:
        return "claims_made"
    if o and not c:
        return "occurrence"
    return None


def _short_label(page: Page, folded: str, box: Box) -> Box | None:
    """A one-word label too short for Page.find's near matches, misread by a letter on a scan
    ("OccuUR" for OCCUR); the first such word in `box`."""
    for w in page.words_in(box):
        f = fold(w.text)
        if abs(len(f) - len(folded)) <= 1 and ratio(f, folded) >= _SHORT_LABEL_RATIO:
            return box_of([w])
    return None


# One letter misread, added or lost in a five-letter word.
_SHORT_LABEL_RATIO = 80.0


def _statutory(page: Page, limits_box: Box, d: Draft | None = None) -> bool:
    label = page.find_first("PER STATUTE", limits_box)
    if label is None:
        # ("Starute": a scan's misread STATUTE.)
        statu = [w for w in page.words_in(limits_box) if fold(w.text).startswith("statu")
                 or (page.ocr and len(fold(w.text)) >= 6 and ratio(fold(w.text), "statute") >= 70)]
        if not statu:
            return page.ocr and (_statute_corner_marked(page, limits_box)
                                 or _statute_box_before_other(page, limits_box, d))
        line = [w for w in page.words_in(limits_box)
                if abs((w.top + w.bottom) / 2 - (statu[0].top + statu[0].bottom) / 2) < 2
                and w.x1 <= statu[0].x1 and not is_mark(w)]
        # "WC STATU-TORY LIMITS" prints "WC" first: the mark sits before the whole label. Other
        # ink read on the line (a tick read as "Vv)") is no part of the label.
        left = [w for w in line if fold(w.text) == "wc" and w.x1 <= statu[0].x0 + 0.5
                and statu[0].x0 - w.x1 < 6]
        label = box_of([*left, statu[0]])
        # A two-line label ("PER" / "STATUTE", "WC STATU-" / "TORY LIMITS"): the box is centred
        # on both lines.
        beside = [w for w in page.words_in(limits_box) if abs(w.x0 - label.x0) < 3 and not is_mark(w)]
        above = [w for w in beside if 0 <= label.top - w.bottom < 4]
        below = [w for w in beside if 0 <= w.top - label.bottom < 4]
        if above or below:
            label = label.union(box_of((above or below)[:1]))
    if marked_before(page, label):
        return True
    cell = Box(limits_box.x0 + 1, limits_box.top + 0.5, limits_box.x1, limits_box.bottom)
    return d is not None and d.reread is not None and bool(_box_marked_again(d, label, cell))


def _statute_box_before_other(page: Page, limits_box: Box, d: Draft | None) -> bool:
    """A scan that lost the statute label and its mark but read OTH-ER's label: the statute box
    starts that row at the cell's left edge, as tall as the two label lines, and is judged from
    its pixels."""
    if d is None or d.reread is None:
        return False
    words = page.words_in(limits_box)
    oth = next((w for w in words if fold(w.text) in ("oth", "other")), None)
    if oth is None:
        return False
    er = [w for w in words if fold(w.text) == "er" and abs(w.x0 - oth.x0) < 3 and 0 <= w.top - oth.bottom < 4]
    row = box_of([oth, *er])
    x0 = limits_box.x0 + 1
    region = Box(x0, row.top - 1.5, min(oth.x0 - 1, x0 + _STATUTE_BOX_WIDTH * row.height), row.bottom + 1.5)
    seen = d.read_again(region, "checkbox")
    return seen is not None and seen.text == "X"


# Of the two label lines' height, how wide the region the statute box is looked for in.
_STATUTE_BOX_WIDTH = 1.4


def _statute_corner_marked(page: Page, limits_box: Box) -> bool:
    """A scan that lost the statute label ("Satur", "TU- TORY MIT:", nothing): its box is the first
    thing in the WC limits cell's first row (two label lines high), at the cell's left edge
    (OTH-ER's box stands right of its label); a mark read there is the statute box's."""
    words = [w for w in page.words_in(limits_box) if fold(w.text) or is_mark(w)]
    if not words:
        return False
    top = min(w.top for w in words)
    row = [w for w in words if w.top < top + 8]
    first = min(row, key=lambda w: w.x0)
    return is_mark(first) and first.x0 < limits_box.x0 + 10

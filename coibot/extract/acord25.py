"""ACORD 25 Certificate of Liability Insurance: fields found by printed labels and ruling lines.

Nothing here uses fixed coordinates: each field is the content of the cell (ruling lines) that
holds its label, or the region between neighbouring labels when the lines are missing (scans),
so editions 2009/09 to 2025/12, agency variants with shifted columns, A4 pages and OCR words read
the same. The coverage table's columns come from its header labels, its coverage blocks from the
rules that cross the POLICY NUMBER column.
"""

from __future__ import annotations

import itertools
import logging
import re
import statistics
from typing import Any

from rapidfuzz.fuzz import ratio

from coibot.extract.coverage_table import Draft, Reread, date_candidates, description_label, read_policies
from coibot.extract.layout import Box, Page, box_of
from coibot.extract.normalize import fold, iso_date, normalize_name, scan_date
from coibot.extract.parties import (
    contact_without_label,
    email_by_names,
    email_tld,
    read_contact,
    read_party,
    without_label,
)
from coibot.extract.words import PageWords, Word

log = logging.getLogger(__name__)

_SIGNATURE = (
    "certificateofliabilityinsurance", "typeofinsurance", "policynumber", "descriptionofoperations",
    "certificateholder", "naic", "eachoccurrence", "insrltr", "addlinsd", "subrwvd", "producer",
)
# Labels only the ACORD 25 coverage table and insurer block print; insurers' own layouts and
# letters share the rest ("policy number", "certificate holder", "each occurrence").
_ACORD_ONLY = ("insrltr", "addlinsd", "subrwvd", "insurera", "insurerb", "insurerc", "insurerd")


_INSURER_WORD = re.compile(r"^[il1]?nsurer([a-f])$")


def acord25_score(page: PageWords) -> tuple[int, int]:
    """(ACORD 25 labels found, of which labels only the ACORD form prints)."""
    text = "".join(fold(w.text) for w in page.words)
    return sum(1 for s in _SIGNATURE if s in text), sum(1 for s in _ACORD_ONLY if s in text)


def is_acord25(page: PageWords) -> bool:
    """True when the page prints the ACORD 25 labels, including its table's and insurer block's own."""
    common, own = acord25_score(page)
    if common >= 4 and own >= 2:
        return True
    if not any(w.conf < 1.0 for w in page.words):
        return False
    # On a scan the small INSR LTR / INSURER A labels are the first to be misread; most of the
    # form's other labels still are (insurers' own layouts print five of them at most). A label
    # that lost its I ("NSURERA:") is still the insurer block's.
    letters = {m.group(1) for w in page.words if (m := _INSURER_WORD.match(fold(w.text)))}
    return common >= 7 or (common >= 4 and len(letters) >= 2)


def read_acord25(pw: PageWords, reread: Reread | None = None) -> dict[str, Any]:
    """A draft extraction (before assemble.finalize) from one ACORD 25 page.

    `reread(box, kind)` (kind "date", "amount", "code" or "text") reads one field of a scanned
    page again; the reader passes the OCR backend's for OCR pages.
    """
    page = Page(pw)
    d = Draft(page, reread=reread if page.ocr else None)
    out: dict[str, Any] = {"form": "acord25"}
    out["certificate_date"] = _certificate_date(d)
    producer_label = _producer_label(page)
    producer = read_party(page, producer_label, d.warnings, "producer")
    contact = read_contact(page, d.warnings, producer_label, (producer or {}).get("name"))
    if producer is None and any(contact.values()):
        producer = {"name": None, "address": None}
    if producer is not None:
        for key, value in contact.items():
            if value and not producer.get(key):
                producer[key] = value
        producer = {k: producer.get(k) for k in ("name", "address", "contact_name", "phone", "email")}
        if page.ocr and (read := producer["email"]):
            producer["email"] = without_label(read)
            if producer["email"] is None:
                d.warnings.append(f"producer e-mail {read!r} has no name before its @")
        if page.ocr and producer["contact_name"]:
            producer["contact_name"] = contact_without_label(producer["contact_name"], producer["email"])
        if page.ocr and producer["email"]:
            names = [producer["name"], producer["contact_name"]]
            producer["email"] = email_tld(email_by_names(producer["email"], names))
    out["producer"] = producer
    out["insured"] = read_party(page, _insured_label(page), d.warnings, "insured")
    out["insurers"] = _insurers(d)
    holder_label = _holder_label(page)
    out["certificate_holder"] = read_party(page, holder_label, d.warnings, "certificate holder")
    out["description_of_operations"] = _description(d, holder_label)
    out["policies"] = read_policies(d, out["certificate_date"])
    out["warnings"] = d.warnings
    return out


# ------------------------------------------------------------------------------------------ header
# Points between the date label's box and the strip re-read for the date.
_BELOW_LABEL = 1.5


def _certificate_date(d: Draft) -> str | None:
    page = d.page
    top_area = Box(0, 0, page.width, page.height * 0.25)
    label = page.find_first("DATE (MM/DD/YYYY)", top_area) or page.find_first("DATE", top_area)
    if label is None:
        value = _date_beside_title(page, top_area) if page.ocr else None
        if value is None:
            d.warnings.append("certificate date label not found")
        return value
    fb = Box(label.x0 - 40, label.top - 2, page.width, label.bottom + 30)
    cell = page.cell(label.cx, label.cy, fb)
    region = Box(min(cell.x0, fb.x0), label.top - 2, max(cell.x1, fb.x1), max(cell.bottom, label.bottom + 12))
    for line in page.lines_in(region):
        words = [w for w in line.words if not (label.x0 - 0.5 <= w.x0 and w.x1 <= label.x1 + 0.5
                                                and label.top - 0.5 <= w.top <= label.bottom)]
        for text in date_candidates(words):
            value = iso_date(_o_for_zero(text) if page.ocr else text)
            if value:
                return value
        # The label says MM/DD/YYYY: separators a scan misread ("06°17 2026") hide no date.
        value = scan_date(" ".join(w.text for w in words)) if page.ocr else None
        if value:
            return value
    if page.ocr:
        # The date sits under its label, right-aligned in the cell: read that strip again, then
        # the strip clear of the label (the feet of its "(MM/DD/YYYY)" at the top of a one-line
        # crop can make Tesseract read nothing at all), then down to the cell's bottom rule (a
        # large date runs past a fixed strip).
        bottom = min(region.bottom, label.bottom + 14)
        strips = [Box(region.x0, top, region.x1, bottom)
                  for top in (label.bottom, label.bottom + _BELOW_LABEL)]
        if label.bottom + 16 < cell.bottom < fb.bottom and cell.x0 > fb.x0:
            strips.append(Box(cell.x0 + 1, label.bottom, cell.x1 - 1, cell.bottom - 1))
        for strip in strips:
            again = d.read_again(strip, "date")
            # (Digits read apart, "04/1 1/2026": the re-read allows only digits and separators.)
            value = iso_date(re.sub(r"(?<=\d) (?=\d)", "", again.text)) if again is not None else None
            if value:
                return value
    d.warnings.append("certificate date not readable")
    return None


_O_DATE = re.compile(r"^[\dOo]{1,2}([/.-])[\dOo]{1,2}\1[\dOo]{4}$")


def _o_for_zero(text: str) -> str:
    """A scan's O read for a 0 in a date whose groups and separators are intact ("O1/30/2026")."""
    return re.sub(r"[Oo]", "0", text) if _O_DATE.match(text) else text


def _date_beside_title(page: Page, top_area: Box) -> str | None:
    """A scan whose DATE label was misread ("“GATE"): the one date printed right of the form's
    title, on its lines, is the certificate's."""
    title = (page.find_first("CERTIFICATE OF LIABILITY INSURANCE", top_area)
             or page.find_first("LIABILITY INSURANCE", top_area))
    if title is None:
        return None
    found = {value for line in page.lines_in(Box(title.x1, 0, page.width, title.bottom + 2))
             for text in date_candidates(line.words) if (value := iso_date(_o_for_zero(text)))}
    return found.pop() if len(found) == 1 else None


def _producer_label(page: Page) -> Box | None:
    area = Box(0, 0, page.width * 0.6, page.height * 0.45)
    return next(iter(page.find("PRODUCER", area, isolated=8)), None)


def _insured_label(page: Page) -> Box | None:
    area = Box(0, 0, page.width * 0.6, page.height * 0.55)
    producer = _producer_label(page)
    for box in page.find("INSURED", area, isolated=8):
        if producer is None or box.top > producer.bottom:
            return box
    return None


def _holder_label(page: Page) -> Box | None:
    area = Box(0, page.height * 0.4, page.width, page.height)
    # The heading stands apart on a line of its own (CANCELLATION at most beside it); the same
    # words in the description's prose ("the certificate holder is named as additional insured")
    # do not. A speck beside a misread heading may spoil its standing apart, not its line.
    for apart in (_HEADING_APART, 0.0):
        found = [b for b in page.find("CERTIFICATE HOLDER", area, isolated=apart) if not _in_prose(page, b)]
        if found:
            return found[-1]
    return None


_HEADING_APART = 6.0  # points to the nearest word on a heading's line (prose sets words 2-4 apart)
_PROSE_WORDS = 3  # other words on a heading's line beyond which it is a sentence


def _in_prose(page: Page, label: Box) -> bool:
    row = Box(0.0, label.top - 1, page.width, label.bottom + 1)
    others = [w for w in page.words_in(row) if not (label.x0 <= (w.x0 + w.x1) / 2 <= label.x1)]
    return len(others) > _PROSE_WORDS


# ------------------------------------------------------------------------------------------ insurers
def _insurers(d: Draft) -> list[dict[str, Any]]:
    page = d.page
    area = Box(page.width * 0.3, 0, page.width, page.height * 0.5)
    naic_hdr = page.find_first("NAIC #", area) or page.find_first("NAIC", area)
    out: list[dict[str, Any]] = []
    labels = _insurer_labels(page, area)
    for letter in "ABCDEF":
        label = labels.get(letter)
        if label is None:
            continue
        row = page.cell(label.x1 + 2, label.cy, Box(label.x0, label.top - 2, page.width, label.bottom + 2))
        if row.height > 3 * label.height + 6:
            row = Box(row.x0, label.top - 2, row.x1, label.bottom + 2)
        naic_left = row.x1
        if naic_hdr is not None:
            naic_cell = page.cell(naic_hdr.cx, label.cy, Box(naic_hdr.x0 - 6, 0, page.width, page.height))
            naic_left = naic_cell.x0 if naic_cell.x0 > label.x1 else naic_hdr.x0 - 6
        region = Box(label.x1 - 0.5, row.top, page.width, row.bottom)
        words = [w for w in page.words_in(region) if w.x0 >= label.x1 - 0.5 and w.text.strip(":")]
        name_words = sorted((w for w in words if (w.x0 + w.x1) / 2 < naic_left), key=lambda w: w.x0)
        if page.ocr:
            # A lone letter Tesseract doubts, or in lower case, is a speck between the words.
            name_words = [w for w in name_words if not _speck_letter(w)]
            # What is left of the label's letter and colon before the name ("oO: Prairie Fire").
            if len(name_words) > 1 and len(name_words[0].text) <= 3 and name_words[0].text.endswith(":"):
                name_words = name_words[1:]
        naic_words = [w for w in words if (w.x0 + w.x1) / 2 >= naic_left]
        name = normalize_name(" ".join(w.text for w in name_words).lstrip(":"))
        naic_text = re.sub(r"\D", "", "".join(w.text for w in naic_words))
        if naic_words and len(naic_text) != 5 and page.ocr:
            # A code of five digits: a misread one is read again on its own.
            b = box_of(naic_words)
            again = d.read_again(Box(b.x0 - 2, row.top, b.x1 + 2, row.bottom), "digits")
            if again is not None and re.fullmatch(r"\d{5}", again.text):
                naic_text = again.text
        elif naic_words and page.ocr and min(w.conf for w in naic_words) < _NAIC_SURE:
            naic_text = _naic_checked(d, naic_words, row, letter, naic_text)
        naic = naic_text or None
        if name is not None and page.ocr and max(sum(ch.isalnum() for ch in w) for w in name.split()) < 3:
            # Specks ("Il", "=") or a broken rule read as short scraps ("es Le ee") on an empty
            # row: every insurer's name has a word of three letters or more.
            name = None
        if naic is not None and len(naic) != 5:
            d.warnings.append(f"insurer {letter}: NAIC {naic!r} is not five digits")
        if name is None and naic is None:
            continue
        out.append({"letter": letter, "name": name, "naic": naic})
    if not out:
        d.warnings.append("no insurers were found in the INSURER A-F block")
    return out


# A one-letter word in an insurer's name read with less confidence than this is a speck.
_SPECK_LETTER_CONF = 0.5


def _speck_letter(w: Word) -> bool:
    return len(w.text) == 1 and w.text.isalpha() and (w.conf < _SPECK_LETTER_CONF or w.text.islower())


# A NAIC code read with less confidence than this is checked by reading it again: every policy of
# the insurer carries it.
_NAIC_SURE = 0.6


def _naic_checked(d: Draft, naic_words: list[Word], row: Box, letter: str, naic_text: str) -> str:
    """A five-digit code the page pass read unsurely, read twice more on its own (digits only,
    then as text): the reading two of the three agree on; "" with a warning when a re-read gives
    another code and none agree."""
    b = box_of(naic_words)
    crop = Box(b.x0 - 2, min(row.top, b.top - 1), b.x1 + 2, max(row.bottom, b.bottom + 1))
    reads = [naic_text]
    for kind in ("digits", "text"):
        again = d.read_again(crop, kind)
        reads.append(re.sub(r"\s", "", again.text) if again is not None else "")
    votes = [r for r in reads if re.fullmatch(r"\d{5}", r)]
    best = max(set(votes), key=votes.count, default="")
    if votes.count(best) >= 2:
        return best
    if not any(r != naic_text for r in votes):
        return naic_text  # nothing read again as another code: the page's reading stands
    d.warnings.append(f"insurer {letter}: NAIC read as {' / '.join(r for r in reads if r)!r}; check it")
    return ""


def _insurer_labels(page: Page, area: Box) -> dict[str, Box]:
    """INSURER A..F labels; on scans the letter may sit a little off the word's line, be fused,
    misread ("INSURER 6:", "NSURERA:") or lost: the labels' order down the block tells it then."""
    out: dict[str, Box] = {}
    for letter in "ABCDEF":
        # ("INSURER D F re Insurance": D's label before a name whose first word lost its letters
        # is not INSURER F with a speck in it.)
        found = [b for b in page.find(f"INSURER {letter}", area, fuzzy=False)
                 if not any(len(t := w.text.strip(":;.,")) == 1 and t in "ABCDEF" and t != letter
                            for w in page.words_in(b))]
        if found:
            out[letter] = found[0]
    if len(out) == 6:
        return out
    words = page.words_in(area)
    # INSURER(S) AFFORDING COVERAGE heads the block: not a label, though it starts like one.
    heading = page.find("AFFORDING", area)
    rows: list[tuple[Box, str]] = []
    for w in words:
        f = fold(w.text)
        # The I is the letter scans lose most ("NSURERA"), a misread one reads as l or 1.
        stem = next((p for p in ("insurer", "lnsurer", "1nsurer", "nsurer") if f.startswith(p)), None)
        if stem is None and page.ocr and 0 < (k := f.find("surer")) <= 2:
            stem = f[:k + 5]  # the label's IN misread as one letter or two ("WSURER A")
        if stem is None and page.ocr and len(f) in (7, 8) and ratio(f[:7], "insurer") >= 85:
            stem = f[:7]  # a letter or two of the label misread ("iwsuRERD:")
        if stem is None or len(f) > len(stem) + 1:
            continue
        if any(abs(h.cy - (w.top + w.bottom) / 2) < 3 for h in heading):
            continue
        letter = f[len(stem):].upper()
        box = Box(w.x0, w.top, w.x1, w.bottom)
        if not letter:
            h = max(2.0, w.bottom - w.top)
            near = [v for v in words if v is not w and 0 <= v.x0 - w.x1 <= 14
                    and abs((v.top + v.bottom) / 2 - box.cy) <= 0.8 * h and len(v.text.strip(":;.,")) == 1]
            # A speck read before the letter ("INSURER t E") is not the letter.
            near = [v for v in near if v.text.strip(":;.,") in tuple("ABCDEF")] or near
            if near:
                v = min(near, key=lambda v: v.x0)
                letter = fold(v.text).upper()
                box = box.union(Box(v.x0, v.top, v.x1, v.bottom))
        if any(abs(b.cy - box.cy) < 2 for b, _ in rows):
            continue
        rows.append((box, letter if len(letter) == 1 and letter in "ABCDEF" else ""))
    # The labels stand in one column: "INSURER(S)," in the disclaimer above is not one of them.
    xs = sorted(b.x0 for b, t in rows if t) or sorted(b.x0 for b, _ in rows)
    if xs:
        ref = xs[len(xs) // 2]
        rows = [(b, t) for b, t in rows if abs(b.x0 - ref) < 6]
    rows.sort(key=lambda r: r[0].top)
    read = [t for _, t in rows]
    letters = _letters_by_place([b for b, _ in rows], read) if page.ocr else read
    for (box, _), letter in zip(rows, letters, strict=True):
        if letter and letter not in out:
            out[letter] = box
    return _unread_labels_placed(out) if page.ocr else out


def _letters_by_place(boxes: list[Box], read: list[str]) -> list[str]:
    """Letters for INSURER labels stacked top to bottom, some read ("" when not): the form prints
    A-F in order at one pitch, so each unread label's letter follows from its place."""
    if not boxes:
        return read
    for ys in _label_ys(boxes):
        out = _letters_at_pitch(ys, read, statistics.median(b.height for b in boxes))
        if out != read:
            return out
    return read


def _label_ys(boxes: list[Box]) -> list[list[float]]:
    """Where a stack of labels is measured, in turn: a speck makes a label's box taller above or
    below, so at their middles, then their feet, then their tops."""
    return [[b.cy for b in boxes], [b.bottom for b in boxes], [b.top for b in boxes]]


def _even_pitch(known: list[tuple[int, float]]) -> float | None:
    """The pitch of labels at (place in A-F, y) when every two of them agree on it; None when
    they disagree (a misread among them)."""
    pitches = [(y2 - y1) / (i2 - i1) for (i1, y1), (i2, y2) in itertools.combinations(known, 2) if i2 > i1]
    if not pitches:
        return None
    pitch = statistics.median(pitches)
    return pitch if pitch > 0 and max(pitches) - min(pitches) <= 0.15 * pitch else None


def _letters_at_pitch(ys: list[float], read: list[str], height: float) -> list[str]:
    steps = [b - a for a, b in itertools.pairwise(ys)]
    if len(ys) == 6 and max(steps) <= 1.3 * min(steps):
        return list("ABCDEF")
    known = [("ABCDEF".index(t), y) for y, t in zip(ys, read, strict=True) if t]
    pitch = _even_pitch(known)
    # Read letters that disagree with one another, or that would put two rows closer than a line
    # of text, settle nothing.
    if pitch is None or pitch < 1.5 * height:
        return read
    out = list(read)
    taken = {t for t in read if t}
    for k, y in enumerate(ys):
        if out[k]:
            continue
        i0, y0 = min(known, key=lambda iy: abs(iy[1] - y))
        place = i0 + (y - y0) / pitch
        n = round(place)
        if abs(place - n) <= 0.25 and 0 <= n < 6 and "ABCDEF"[n] not in taken:
            out[k] = "ABCDEF"[n]
            taken.add(out[k])
    return out


def _unread_labels_placed(labels: dict[str, Box]) -> dict[str, Box]:
    """Labels a scan lost altogether ("INSURER A :" not read at all) put at their place in the
    block, one pitch from the labels read, when three or more were read at an even pitch. The
    row's name and NAIC are then read as for any other; an empty row reads as nothing."""
    known = sorted(("ABCDEF".index(k), b) for k, b in labels.items())
    if len(known) < 3 or len(known) == 6:
        return labels
    places = [i for i, _ in known]
    pitch = next((p for ys in _label_ys([b for _, b in known])
                  if (p := _even_pitch(list(zip(places, ys, strict=True)))) is not None), None)
    if pitch is None:
        return labels
    out = dict(labels)
    for n, letter in enumerate("ABCDEF"):
        if letter in out:
            continue
        i, ref = min(known, key=lambda ib: abs(ib[0] - n))
        dy = (n - i) * pitch
        out[letter] = Box(ref.x0, ref.top + dy, ref.x1, ref.bottom + dy)
    return out


def _description(d: Draft, holder_label: Box | None) -> str | None:
    page = d.page
    label = description_label(page)
    if label is None:
        d.warnings.append("description of operations label not found")
        return None
    label_line = next((ln for ln in page.lines if ln.box.contains_center(label)), None)
    top = label_line.box.bottom if label_line else label.bottom
    bottom_fb = holder_label.top - 1 if holder_label is not None and holder_label.top > top else page.height
    cell = page.cell(label.cx, top + 4, Box(0, top, page.width, bottom_fb))
    region = Box(cell.x0, top + 0.5, cell.x1, cell.bottom)
    lines = page.lines_in(region)
    text = " ".join(ln.text for ln in lines if ln.text.strip())
    return " ".join(text.split()) or None

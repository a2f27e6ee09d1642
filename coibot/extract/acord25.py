"""ACORD 25 Certificate of Liability Insurance: fields found by printed labels and ruling lines.

Nothing here uses fixed coordinates: each field is the content of the cell (ruling lines) that
holds its label, or the region between neighbouring labels when the lines are missing (scans),
so editions 2009/09 to 2025/12, agency variants with shifted columns, A4 pages and OCR words read
the same. The coverage table's columns come from its header labels, its coverage blocks from the
rules that cross the POLICY NUMBER column.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from coibot.extract.coverage_table import Draft, Reread, date_candidates, description_label, read_policies
from coibot.extract.layout import Box, Page
from coibot.extract.normalize import fold, iso_date, normalize_name
from coibot.extract.parties import read_contact, read_party
from coibot.extract.words import PageWords

log = logging.getLogger(__name__)

_SIGNATURE = (
    "certificateofliabilityinsurance", "typeofinsurance", "policynumber", "descriptionofoperations",
    "certificateholder", "naic", "eachoccurrence", "insrltr", "addlinsd", "subrwvd", "producer",
)
# Labels only the ACORD 25 coverage table and insurer block print; insurers' own layouts and
# letters share the rest ("policy number", "certificate holder", "each occurrence").
_ACORD_ONLY = ("insrltr", "addlinsd", "subrwvd", "insurera", "insurerb", "insurerc", "insurerd")


def acord25_score(page: PageWords) -> tuple[int, int]:
    """(ACORD 25 labels found, of which labels only the ACORD form prints)."""
    text = "".join(fold(w.text) for w in page.words)
    return sum(1 for s in _SIGNATURE if s in text), sum(1 for s in _ACORD_ONLY if s in text)


def is_acord25(page: PageWords) -> bool:
    """True when the page prints the ACORD 25 labels, including its table's and insurer block's own."""
    common, own = acord25_score(page)
    if common >= 4 and own >= 2:
        return True
    # On a scan the small INSR LTR / INSURER A labels are the first to be misread; most of the
    # form's other labels still are (insurers' own layouts print five of them at most).
    return common >= 7 and any(w.conf < 1.0 for w in page.words)


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
    contact = read_contact(page, d.warnings, producer_label)
    if producer is None and any(contact.values()):
        producer = {"name": None, "address": None}
    if producer is not None:
        for key, value in contact.items():
            if value and not producer.get(key):
                producer[key] = value
        producer = {k: producer.get(k) for k in ("name", "address", "contact_name", "phone", "email")}
    out["producer"] = producer
    out["insured"] = read_party(page, _insured_label(page), d.warnings, "insured")
    out["insurers"] = _insurers(d)
    holder_label = _holder_label(page)
    out["certificate_holder"] = read_party(page, holder_label, d.warnings, "certificate holder")
    out["description_of_operations"] = _description(d, holder_label)
    out["policies"] = read_policies(d)
    out["warnings"] = d.warnings
    return out


# ------------------------------------------------------------------------------------------ header
def _certificate_date(d: Draft) -> str | None:
    page = d.page
    top_area = Box(0, 0, page.width, page.height * 0.25)
    label = page.find_first("DATE (MM/DD/YYYY)", top_area) or page.find_first("DATE", top_area)
    if label is None:
        d.warnings.append("certificate date label not found")
        return None
    fb = Box(label.x0 - 40, label.top - 2, page.width, label.bottom + 30)
    cell = page.cell(label.cx, label.cy, fb)
    region = Box(min(cell.x0, fb.x0), label.top - 2, max(cell.x1, fb.x1), max(cell.bottom, label.bottom + 12))
    for line in page.lines_in(region):
        words = [w for w in line.words if not (label.x0 - 0.5 <= w.x0 and w.x1 <= label.x1 + 0.5
                                                and label.top - 0.5 <= w.top <= label.bottom)]
        for text in date_candidates(words):
            value = iso_date(text)
            if value:
                return value
    if page.ocr:
        # The date sits under its label, right-aligned in the cell: read that strip again.
        strip = Box(region.x0, label.bottom, region.x1, min(region.bottom, label.bottom + 14))
        again = d.read_again(strip, "date")
        value = iso_date(again.text) if again is not None else None
        if value:
            return value
    d.warnings.append("certificate date not readable")
    return None


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
    found = page.find("CERTIFICATE HOLDER", Box(0, page.height * 0.4, page.width, page.height))
    return found[-1] if found else None


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
        name_words = [w for w in words if (w.x0 + w.x1) / 2 < naic_left]
        naic_words = [w for w in words if (w.x0 + w.x1) / 2 >= naic_left]
        name = normalize_name(" ".join(w.text for w in sorted(name_words, key=lambda w: w.x0)).lstrip(":"))
        naic_text = re.sub(r"\D", "", "".join(w.text for w in naic_words))
        naic = naic_text or None
        if naic is not None and len(naic) != 5:
            d.warnings.append(f"insurer {letter}: NAIC {naic!r} is not five digits")
        if name is None and naic is None:
            continue
        out.append({"letter": letter, "name": name, "naic": naic})
    if not out:
        d.warnings.append("no insurers were found in the INSURER A-F block")
    return out


def _insurer_labels(page: Page, area: Box) -> dict[str, Box]:
    """INSURER A..F labels; on scans the letter may sit a little off the word's line or be fused."""
    out: dict[str, Box] = {}
    for letter in "ABCDEF":
        found = page.find(f"INSURER {letter}", area, fuzzy=False)
        if found:
            out[letter] = found[0]
    if len(out) == 6:
        return out
    words = page.words_in(area)
    for w in words:
        f = fold(w.text)
        if not f.startswith("insurer") or len(f) > 8:
            continue
        letter = f[7:].upper()
        box = Box(w.x0, w.top, w.x1, w.bottom)
        if not letter:
            h = max(2.0, w.bottom - w.top)
            near = [v for v in words if v is not w and 0 <= v.x0 - w.x1 <= 14
                    and abs((v.top + v.bottom) / 2 - box.cy) <= 0.8 * h
                    and len(fold(v.text)) == 1 and fold(v.text) in "abcdef"]
            if near:
                v = min(near, key=lambda v: v.x0)
                letter = fold(v.text).upper()
                box = box.union(Box(v.x0, v.top, v.x1, v.bottom))
        if letter and letter in "ABCDEF" and letter not in out:
            out[letter] = box
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

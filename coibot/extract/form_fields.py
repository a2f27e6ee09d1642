"""Fillable certificates: values read from the PDF's AcroForm fields rather than its text layer.

Two readings are combined. The field's name, when it says what it holds (ACORD's own
`GeneralLiability_EachOccurrence_LimitAmount_A`, or short names like `gl.lim.each_occurrence`),
gives the value directly (`acord_field_names.classify`). The field's position gives it for
generic names (`Text12`, `Check Box3`) and for partly flattened forms whose other values are
printed in the text layer: every filled widget becomes a `Word` at its rectangle, merged with the
page's printed words, and the layout readers read the result as they read a printed page.
The position reading costs a text-layer pass (~30 ms a page), so it runs only when the names
leave something out, the text layer carries values of its own, or the form has more pages.
Forms saved by an XFA viewer may keep values only in the XFA datasets packet, under the same
names: those fill the empty widgets (or, without a widget, are read by name alone).
"""

from __future__ import annotations

import ctypes
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from coibot.extract import acord_field_names as names
from coibot.extract.normalize import (
    fold,
    format_phone,
    iso_date,
    join_address,
    label_key,
    normalize_name,
    parse_amount,
)
from coibot.extract.words import PageWords, Word
from coibot.limits import Limits

log = logging.getLogger(__name__)

_CHECK_TYPES = (pdfium_c.FPDF_FORMFIELD_CHECKBOX, pdfium_c.FPDF_FORMFIELD_RADIOBUTTON)
_SKIP_TYPES = (pdfium_c.FPDF_FORMFIELD_PUSHBUTTON, pdfium_c.FPDF_FORMFIELD_SIGNATURE)
_OFF_VALUES = frozenset({"", "off", "no", "n", "0", "false", "unchecked"})
_YES = frozenset({"Y", "YES", "X", "✓", "✔", "TRUE", "1"})
# Printed values that a page of labels alone never carries: a date or a grouped amount.
_VALUE_IN_TEXT = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{1,3}(?:,\d{3})+\b")
_LINE_HEIGHT = 9.0
_MAX_ANNOTS = 3000
_MAX_XFA_BYTES = 4 * 1024 * 1024
_MAX_VALUE_CHARS = 20000
# The sentence a description ends with when it continues on a remarks schedule.
_POINTER = re.compile(
    r"[\s*(\[]*(?:please\s+)?(?:see|continued\s+on|cont'?d\s+on|refer\s+to)\s+(?:the\s+)?"
    r"(?:attached|acord\s*101|additional\s+remarks|remarks\s+schedule|schedule|next\s+page)[^.]*[.\s*)\]]*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Widget:
    """One form field widget: its full name, value, kind and rectangle (top-left origin, points)."""

    page: int  # 1-based
    name: str
    value: str
    is_check: bool
    checked: bool
    x0: float
    top: float
    x1: float
    bottom: float
    # Printed text just left of an unnamed amount field: the limit's label ("EACH CLAIM").
    left_text: str = ""

    @property
    def placed(self) -> bool:
        """False for a value known only from XFA data: it has no rectangle on the page."""
        return self.x1 > self.x0

    @property
    def filled(self) -> bool:
        return self.checked if self.is_check else bool(self.value.strip())


@dataclass(slots=True)
class _Form:
    widgets: list[Widget]
    sizes: list[tuple[float, float]]  # (width, height) of each page
    page_count: int
    text_has_values: bool
    # Pages stay open for the position reading; `_extract` closes them.
    pages: list[pdfium.PdfPage] = field(default_factory=list)

    def close(self) -> None:
        for page in self.pages:
            page.close()
        self.pages.clear()


def _utf16(fn: Callable[..., int], buf: ctypes.Array[ctypes.c_char], *args: Any) -> str:
    """A pdfium string getter's result (UTF-16LE with a terminating NUL), read into `buf`.

    One call into the document's buffer; only a value longer than the buffer needs a second call.
    """
    n = fn(*args, ctypes.cast(buf, ctypes.POINTER(pdfium_c.FPDF_WCHAR)), len(buf))
    if n <= 2:
        return ""
    if n > len(buf):
        if n > 2 * _MAX_VALUE_CHARS + 2:
            # No certificate field holds that much text: skip it rather than allocate it.
            log.warning("a form field value of %d bytes was skipped", n)
            return ""
        buf = ctypes.create_string_buffer(n)
        fn(*args, ctypes.cast(buf, ctypes.POINTER(pdfium_c.FPDF_WCHAR)), n)
    return ctypes.string_at(buf, n - 2).decode("utf-16-le", "replace")


def _read_form(pdf: pdfium.PdfDocument, name: str, limits: Limits) -> _Form | None:
    if pdf.get_formtype() == pdfium_c.FORMTYPE_NONE:
        return None
    if pdf.get_formtype() in (pdfium_c.FORMTYPE_XFA_FULL, pdfium_c.FORMTYPE_XFA_FOREGROUND):
        # pypdfium2 logs that it cannot render XFA; its AcroForm and XFA data are read regardless.
        quiet = logging.getLogger("pypdfium2._helpers.document")
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            pdf.init_forms()
        finally:
            quiet.setLevel(level)
    else:
        pdf.init_forms()
    env = pdf.formenv
    if env is None:
        return None
    handle = env.raw
    widgets: list[Widget] = []
    sizes: list[tuple[float, float]] = []
    text_has_values = False
    opened: list[pdfium.PdfPage] = []
    for index in range(min(len(pdf), limits.max_pages)):
        page = pdf[index]
        opened.append(page)
        try:
            left, bottom, right, top = page.get_cropbox()
            sizes.append((right - left, top - bottom))
            if page.get_rotation() % 360:
                log.info("%s: page %d is rotated; field positions read unrotated", name, index + 1)
            page_widgets = _page_widgets(page, handle, index + 1, left, top)
            tp = page.get_textpage()
            try:
                if _VALUE_IN_TEXT.search(tp.get_text_range()):
                    text_has_values = True
                widgets += [_with_label(w, tp, left, top) for w in page_widgets]
            finally:
                tp.close()
        except BaseException:
            for p in opened:
                p.close()
            raise
    xfa = _xfa_values(pdf, name)
    if xfa:
        widgets = _with_xfa(widgets, xfa)
    return _Form(widgets, sizes, len(pdf), text_has_values, opened)


def _xfa_values(pdf: pdfium.PdfDocument, name: str) -> dict[str, list[tuple[str, str]]]:
    """Leaf values of an XFA form's datasets packet: {leaf name: [(path, value), ...]}.

    Forms filled in an XFA viewer may keep their values only there, under the same names as the
    AcroForm fields (`<F><P1><Producer_FullName_A>...`).
    """
    raw = pdf.raw
    for i in range(max(0, pdfium_c.FPDF_GetXFAPacketCount(raw))):
        label = ctypes.create_string_buffer(64)
        n = pdfium_c.FPDF_GetXFAPacketName(raw, i, label, len(label))
        if label.raw[: max(0, n - 1)] != b"datasets":
            continue
        size = ctypes.c_ulong()
        if not pdfium_c.FPDF_GetXFAPacketContent(raw, i, None, 0, ctypes.byref(size)):
            return {}
        if not 0 < size.value <= _MAX_XFA_BYTES:
            log.warning("%s: XFA datasets of %d bytes not read", name, size.value)
            return {}
        buf = ctypes.create_string_buffer(size.value)
        pdfium_c.FPDF_GetXFAPacketContent(raw, i, buf, size.value, ctypes.byref(size))
        data = buf.raw[: size.value]
        # Entities are how XML bombs work and XFA data never needs them: refuse, don't expand.
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            log.warning("%s: XFA datasets declare a DTD or entities; not read", name)
            return {}
        try:
            root = ET.fromstring(data)  # noqa: S314 - no DTD/entities (checked above), size capped
        except ET.ParseError as exc:
            log.info("%s: XFA datasets are not well-formed XML: %s", name, exc)
            return {}
        out: dict[str, list[tuple[str, str]]] = {}
        _xfa_leaves(root, [], out)
        return out
    return {}


def _xfa_leaves(elem: ET.Element, path: list[str], out: dict[str, list[tuple[str, str]]]) -> None:
    tag = elem.tag.rsplit("}", 1)[-1]
    children = list(elem)
    if not children:
        value = (elem.text or "").strip()
        if value and path:
            out.setdefault(tag, []).append((".".join([*path, tag]), value))
        return
    # The packet's own wrappers (datasets, data) are not part of a field's name.
    inner = path if tag in ("datasets", "data") else [*path, tag]
    for child in children:
        _xfa_leaves(child, inner, out)


def _leaf(name: str) -> str:
    return re.sub(r"\[\d*\]", "", name).rsplit(".", 1)[-1]


def _with_xfa(widgets: list[Widget], xfa: dict[str, list[tuple[str, str]]]) -> list[Widget]:
    """Empty widgets take their XFA value; XFA values without any widget become unplaced fields."""
    used: dict[str, int] = {}
    out: list[Widget] = []
    leaves = {_leaf(w.name) for w in widgets}
    for w in widgets:
        leaf = _leaf(w.name)
        values = xfa.get(leaf) or []
        k = used.get(leaf, 0)
        used[leaf] = k + 1
        if w.filled or k >= len(values):
            out.append(w)
            continue
        value = values[k][1]
        checked = w.is_check and value.strip().lower() not in _OFF_VALUES
        out.append(replace(w, value=value, checked=checked))
    for leaf, values in xfa.items():
        if leaf in leaves:
            continue
        is_check = bool(re.search(r"Indicator(?:_[A-Z])?$", leaf))
        for path, value in values:
            checked = is_check and value.strip().lower() not in _OFF_VALUES
            out.append(Widget(1, path, value, is_check, checked, 0.0, 0.0, 0.0, 0.0))
    return out


def _with_label(w: Widget, tp: pdfium.PdfTextPage, left: float, top: float) -> Widget:
    """An unnamed amount field with the printed words to its left on its line (its label)."""
    if w.is_check or not w.filled or parse_amount(_text(w.value)) is None:
        return w
    if names.classify(w.name).attr not in ("", "other_amount"):
        return w
    # Back to user space: pdfium's bounded text takes (left, top, right, bottom) with y up.
    x1 = w.x0 + left - 0.5
    x0 = max(left, x1 - 110)
    label = tp.get_text_bounded(x0, top - w.bottom + 1, x1, top - w.top - 1)
    # Only the label's words: a neighbouring column's date or amount, even cut in part by the
    # window, has digits; labels do not.
    kept = [t for t in label.replace("$", " ").split() if not re.search(r"\d", t)]
    label = " ".join(kept).strip(" .:")
    return replace(w, left_text=label) if label else w


def _page_widgets(page: pdfium.PdfPage, handle: Any, number: int, left: float, top: float) -> list[Widget]:
    out: list[Widget] = []
    buf = ctypes.create_string_buffer(8192)
    raw = page.raw
    rect = pdfium_c.FS_RECTF()
    count = pdfium_c.FPDFPage_GetAnnotCount(raw)
    if count > _MAX_ANNOTS:
        # A certificate has about a hundred fields; thousands are a hostile or broken file.
        log.warning("page %d has %d annotations; only the first %d are read", number, count, _MAX_ANNOTS)
        count = _MAX_ANNOTS
    for i in range(count):
        annot = pdfium_c.FPDFPage_GetAnnot(raw, i)
        if not annot:
            continue
        try:
            if pdfium_c.FPDFAnnot_GetSubtype(annot) != pdfium_c.FPDF_ANNOT_WIDGET:
                continue
            kind = pdfium_c.FPDFAnnot_GetFormFieldType(handle, annot)
            if kind in _SKIP_TYPES or not pdfium_c.FPDFAnnot_GetRect(annot, rect):
                continue
            name = _utf16(pdfium_c.FPDFAnnot_GetFormFieldName, buf, handle, annot)
            value = _utf16(pdfium_c.FPDFAnnot_GetFormFieldValue, buf, handle, annot)
            is_check = kind in _CHECK_TYPES
            checked = False
            if is_check:
                checked = bool(pdfium_c.FPDFAnnot_IsChecked(handle, annot))
                # A radio group's value names the chosen button; only the button's state says which.
                if kind == pdfium_c.FPDF_FORMFIELD_CHECKBOX and not checked:
                    checked = value.strip().lower() not in _OFF_VALUES
            x0, x1 = sorted((rect.left, rect.right))
            y0, y1 = sorted((rect.bottom, rect.top))
            out.append(Widget(number, name, value, is_check, checked,
                              x0 - left, top - y1, x1 - left, top - y0))
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)
    return out


# --------------------------------------------------------------------------- reading by name
def _flag(value: str) -> bool:
    return value.strip().upper() in _YES


def _text(value: str) -> str:
    return " ".join(value.split())


def _party_from(parts: dict[str, str]) -> dict[str, str | None] | None:
    """A party from its fields: a whole block (name on the first line) or separate lines."""
    raw_name = parts.get("name") or ""
    lines: list[str] = []
    block = parts.get("block")
    if "\n" in raw_name.strip() and not block:
        # ACORD's *_FullName_A field often carries the whole printed block, name first.
        block, raw_name = raw_name, ""
    name = normalize_name(raw_name)
    if block:
        block_lines = [ln for ln in (x.strip() for x in block.splitlines()) if ln]
        if name is None and block_lines:
            name = normalize_name(block_lines[0])
            block_lines = block_lines[1:]
        lines += block_lines
    if parts.get("address"):
        lines += [ln for ln in parts["address"].splitlines() if ln.strip()]
    lines += [ln for k in ("line1", "line2") for ln in (parts.get(k) or "").splitlines()]
    city = (parts.get("city") or "").strip()
    state = (parts.get("state") or "").strip()
    state_zip = " ".join(x for x in (state, (parts.get("postal") or "").strip()) if x)
    if city or state_zip:
        lines.append(", ".join(x for x in (city, state_zip) if x))
    address = join_address(lines) or None
    if name is None and address is None:
        return None
    return {"name": name, "address": address}


@dataclass(slots=True)
class _Row:
    """A policy row being filled from fields."""

    coverage: str
    values: dict[str, Any]
    other_labels: dict[str, str]
    other_amounts: dict[str, str]
    kinds: dict[str, bool]
    present: set[str] = field(default_factory=set)  # attributes that have a widget, filled or not
    top: float = 1e9
    bottom: float = -1e9


_RowKey = tuple[int, str, int]  # (page, section, nth policy of that coverage)


def _resolve_row(w: Widget, rows: dict[_RowKey, _Row], foreign: list[tuple[int, float]]) -> _RowKey | None:
    """The policy row a widget sits in when its name does not say (`Policy_EffectiveDate_B`, `Text7`).

    Rows of the coverage table are stacked: a widget belongs to the nearest row starting above
    (or level with) it, as long as it is not far below that row's last named field.
    """
    if not w.placed:
        return None
    cy = (w.top + w.bottom) / 2
    best: _RowKey | None = None
    best_top = -1e9
    for key, row in rows.items():
        if key[0] != w.page or row.top > row.bottom:
            continue
        if row.top - 2 <= cy and row.top > best_top:
            best, best_top = key, row.top
    if best is None:
        return None
    row = rows[best]
    if cy > row.bottom + 40:
        return None
    # An unnamed date between the row's start and the widget starts a row the names do not know.
    if any(p == w.page and row.top + 2 < fy <= cy + 2 for p, fy in foreign):
        return None
    return best


def read_by_name(widgets: list[Widget]) -> tuple[dict[str, Any], int, int]:
    """A draft from the fields whose names say what they hold; also (filled, understood) counts."""
    meanings = [(w, names.classify(w.name, is_check=w.is_check)) for w in widgets]
    rows: dict[_RowKey, _Row] = {}
    parties: dict[str, dict[str, str]] = {"producer": {}, "insured": {}, "holder": {}}
    insurers: dict[str, dict[str, str]] = {}
    draft: dict[str, Any] = {}
    descriptions: list[str] = []

    def row_for(key: _RowKey) -> _Row:
        if key not in rows:
            rows[key] = _Row(key[1], {}, {}, {}, {})
        return rows[key]

    # Rows' vertical bands first, from every field whose name places it, filled or not.
    for w, m in meanings:
        if m.section in names.COVERAGE_SECTIONS:
            row = row_for((w.page, m.section, m.row))
            row.present.add(m.attr)
            if w.placed:
                row.top = min(row.top, w.top)
                row.bottom = max(row.bottom, w.bottom)
    foreign = [(w.page, (w.top + w.bottom) / 2) for w, m in meanings
               if w.filled and not m.attr and not w.is_check and iso_date(_text(w.value))]
    filled = understood = 0
    for w, m in meanings:
        if not w.filled:
            continue
        filled += 1
        section, attr = m.section, m.attr
        if attr == names.IGNORE:
            understood += 1
            continue
        key: _RowKey | None = (w.page, section, m.row) if section in names.COVERAGE_SECTIONS else None
        if not section:
            key = _resolve_row(w, rows, foreign) if (attr or w.left_text) else None
            if key is None:
                continue
            section = key[1]
            if not attr:
                if section != names.OTHER:
                    continue
                # An unnamed amount in the "other" row: its printed label names the limit.
                attr = "limit:" + label_key(w.left_text)
        if not attr:
            continue
        understood += 1
        value = w.value
        if section == "certificate":
            if not draft.get("certificate_date"):
                draft["certificate_date"] = iso_date(_text(value))
        elif section == "description":
            descriptions.append(_text(value))
        elif section in parties:
            parties[section][attr] = value
        elif section == "insurer":
            if m.index:
                insurers.setdefault(m.index, {})[attr] = _text(value)
        elif key is not None:
            _row_value(row_for(key), attr, m.index, w)
    if descriptions:
        draft["description_of_operations"] = " ".join(descriptions)
    producer = _party_from(parties["producer"])
    prod = parties["producer"]
    if producer is not None or any(prod.get(k) for k in ("contact_name", "phone", "email")):
        producer = producer or {"name": None, "address": None}
        producer["contact_name"] = normalize_name(prod.get("contact_name"))
        producer["phone"] = format_phone(prod.get("phone"))
        producer["email"] = _text(prod["email"]) if prod.get("email") else None
        draft["producer"] = producer
    if (insured := _party_from(parties["insured"])) is not None:
        draft["insured"] = insured
    if (holder := _party_from(parties["holder"])) is not None:
        draft["certificate_holder"] = holder
    if insurers:
        draft["insurers"] = [
            {"letter": letter, "name": normalize_name(v.get("name")), "naic": _naic(v.get("naic"))}
            for letter, v in sorted(insurers.items())
        ]
    ordered = sorted(rows.values(), key=lambda r: r.top)
    policies = [p for p in (_policy(row) for row in ordered) if p]
    if policies:
        draft["policies"] = policies
    return draft, filled, understood


def _naic(value: str | None) -> str | None:
    digits = re.sub(r"\D", "", value or "")
    return digits if len(digits) == 5 else None


def _row_value(row: _Row, attr: str, index: str, w: Widget) -> None:
    if w.is_check:
        if attr.startswith("basis:"):
            row.values.setdefault("basis", attr.split(":", 1)[1])
        elif attr.startswith("kind:"):
            row.kinds[attr.split(":", 1)[1]] = True
        elif attr == "statutory":
            row.values["statutory"] = True
        elif attr in ("additional_insured", "waiver_of_subrogation"):
            # A Y/N radio pair shares one name: the group's value says which button is on.
            row.values[attr] = w.value.strip().lower() not in _OFF_VALUES - {""}
        return
    value = w.value
    if attr == "other_label":
        row.other_labels[index] = _text(value)
    elif attr == "other_amount" and parse_amount(_text(value)) is not None:
        row.other_amounts[index] = _text(value)
        if w.left_text:
            row.other_labels.setdefault(index, w.left_text)
    elif attr in ("other_inline", "other_amount"):
        # "Each Claim $1,000,000 / Aggregate $2,000,000" in one field.
        for part in re.split(r"\s*[/;|]\s*|\n", value):
            m = re.match(r"^(.*?[A-Za-z].*?)[\s:]*(\$?\s*[\d][\d,. ]*)$", part.strip())
            amount = parse_amount(m.group(2).strip()) if m else None
            if m and amount is not None:
                row.values.setdefault("limits", {})[label_key(m.group(1))] = amount
    elif attr.startswith("limit:"):
        row.values.setdefault("limits", {})[attr.split(":", 1)[1]] = parse_amount(_text(value))
    elif attr in ("effective_date", "expiration_date"):
        row.values[attr] = iso_date(_text(value))
    elif attr in ("additional_insured", "waiver_of_subrogation"):
        row.values[attr] = _flag(value)
    elif attr == "letter":
        letter = _text(value).upper()
        row.values["insurer_letter"] = letter if re.fullmatch(r"[A-F]", letter) else None
    elif attr == "policy_number":
        row.values["policy_number"] = _text(value)
    elif attr == "coverage_name":
        name = _text(value)
        row.values["coverage_name"] = name
        # An "other" row's basis comes from its printed words ("Cyber Liability - Claims-Made").
        if re.search(r"(?i)\bclaims[\s-]*made\b", name):
            row.values.setdefault("basis", "claims_made")
        elif re.search(r"(?i)\boccurrence\b", name):
            row.values.setdefault("basis", "occurrence")


def _row_flag(row: _Row, attr: str) -> bool | None:
    if row.values.get(attr):
        return True
    return False if attr in row.present else None


def _policy(row: _Row) -> dict[str, Any] | None:
    v = row.values
    limits: dict[str, int | None] = dict(v.get("limits") or {})
    if row.coverage == names.OTHER:
        for idx, label in row.other_labels.items():
            amount = parse_amount(row.other_amounts.get(idx))
            key = label_key(label)
            if key and amount is not None:
                limits[key] = amount
    substance = any(v.get(k) for k in ("policy_number", "effective_date", "expiration_date", "insurer_letter",
                                       "coverage_name"))
    if not substance and not any(x is not None for x in limits.values()):
        return None
    coverage = row.coverage
    if coverage == names.UMBRELLA and row.kinds.get("excess") and not row.kinds.get("umbrella"):
        coverage = "excess_liability"
    # Umbrella vs excess follows the marked box; with no box field marked (a partly flattened form
    # printed the mark, its UMBRELLA field left off) the printed page decides.
    kind_unknown = coverage in _UMBRELLA_KINDS and not any(row.kinds.values())
    policy: dict[str, Any] = {
        "coverage": coverage,
        "coverage_name": v.get("coverage_name") if coverage == names.OTHER else None,
        "insurer_letter": v.get("insurer_letter"),
        "carrier": None,
        "naic": None,
        "policy_number": v.get("policy_number") or None,
        "effective_date": v.get("effective_date"),
        "expiration_date": v.get("expiration_date"),
        "basis": v.get("basis"),
        # An empty ADDL INSD / SUBR WVD field means "no" (contract README); a flattened one
        # (no widget) is left to the printed page.
        "additional_insured": _row_flag(row, "additional_insured"),
        "waiver_of_subrogation": _row_flag(row, "waiver_of_subrogation"),
        "limits": {k: x for k, x in limits.items() if x is not None},
    }
    if coverage == names.WC and v.get("statutory"):
        policy["statutory"] = True
    if kind_unknown:
        policy["_kind_unknown"] = True
    return policy


# --------------------------------------------------------------------------- reading by position
def _printed_already(w: Widget, printed: list[Word]) -> bool:
    """True when the page's own text inside the widget's rectangle already says its value
    (a flattened copy that kept its fields): the value must not be read twice."""
    if w.is_check or not w.filled or not w.placed:
        return False
    inside = [
        p.text for p in printed
        if w.x0 - 1 <= (p.x0 + p.x1) / 2 <= w.x1 + 1 and w.top - 1 <= (p.top + p.bottom) / 2 <= w.bottom + 1
    ]
    value = fold(w.value)
    return bool(inside) and value != "" and value in fold(" ".join(inside))


def widget_words(widgets: list[Widget]) -> list[Word]:
    """Filled widgets as printed words at their rectangles (a checked box prints "X")."""
    words: list[Word] = []
    for w in widgets:
        if not w.filled or not w.placed:
            continue
        if w.is_check:
            words.append(Word("X", w.x0, w.top, w.x1, w.bottom))
            continue
        lines = [ln for ln in w.value.splitlines() if ln.strip()]
        if not lines:
            continue
        height = max(1.0, w.bottom - w.top)
        line_h = min(_LINE_HEIGHT, height / len(lines)) if len(lines) > 1 else min(height, _LINE_HEIGHT)
        longest = max(len(ln) for ln in lines)
        # Characters as wide as the field allows, at most half a line height (a typical font).
        char_w = min(line_h * 0.5, max(0.5, (w.x1 - w.x0 - 4) / max(1, longest)))
        for i, line in enumerate(lines):
            top = w.top + i * line_h if len(lines) > 1 else w.top + (height - line_h) / 2
            x = w.x0 + 2
            for token in re.finditer(r"\S+", line):
                x0 = x + token.start() * char_w
                words.append(Word(token.group(), x0, top, x0 + len(token.group()) * char_w, top + line_h))
    return words


def read_by_position(pdf: pdfium.PdfDocument, form: _Form) -> dict[str, Any] | None:
    """A draft from the pages' printed words plus the filled widgets, by the layout readers."""
    from coibot.extract import pdf_text
    from coibot.extract.acord25 import is_acord25, read_acord25
    from coibot.extract.acord101 import is_acord101, merge_remarks, read_acord101

    by_page: dict[int, list[Widget]] = {}
    for w in form.widgets:
        by_page.setdefault(w.page, []).append(w)
    pages: list[PageWords] = []
    for index, page in enumerate(form.pages):
        printed = pdf_text.read_page(page, index + 1)
        fields = [w for w in by_page.get(index + 1, []) if not _printed_already(w, printed.words)]
        extra = widget_words(fields)
        pages.append(PageWords(printed.number, printed.width, printed.height, "form_fields",
                               printed.words + extra, printed.rules))
    draft: dict[str, Any] | None = None
    for page_words in pages:
        if draft is None and is_acord25(page_words):
            draft = read_acord25(page_words)
        elif draft is not None and is_acord101(page_words):
            merge_remarks(draft, read_acord101(page_words))
    if draft is None:
        from coibot.extract.other_layout import read_other

        draft = read_other(pages)
    return draft


# --------------------------------------------------------------------------- merging
def _empty(v: Any) -> bool:
    return v is None or v == "" or v == {} or v == []


_UMBRELLA_KINDS = frozenset({"umbrella_liability", "excess_liability"})


def _pair_score(a: dict[str, Any], b: dict[str, Any]) -> int:
    """How surely two readings are one policy: -1 when they cannot be."""
    ca, cb = a.get("coverage"), b.get("coverage")
    if ca != cb and not (ca in _UMBRELLA_KINDS and cb in _UMBRELLA_KINDS):
        return -1
    na, nb = a.get("policy_number"), b.get("policy_number")
    if na and nb and re.sub(r"\s", "", str(na)).casefold() != re.sub(r"\s", "", str(nb)).casefold():
        return -1
    score = 2 if na and nb else 0
    if ca == "other":
        ta = (a.get("coverage_name") or "").casefold()
        tb = (b.get("coverage_name") or "").casefold()
        if ta and tb:
            if not (ta in tb or tb in ta):
                return -1
            score += 1
    for k in ("effective_date", "expiration_date"):
        if a.get(k) and a.get(k) == b.get(k):
            score += 1
    return score


def _ranks(policies: list[dict[str, Any]]) -> list[int]:
    """Each policy's position among the policies of its coverage (umbrella and excess together)."""
    seen: dict[str, int] = {}
    out = []
    for p in policies:
        kind = "umbrella" if p.get("coverage") in _UMBRELLA_KINDS else str(p.get("coverage"))
        out.append(seen.get(kind, 0))
        seen[kind] = seen.get(kind, 0) + 1
    return out


def _merge_insurers(mine: list[Any], theirs: list[Any]) -> list[Any]:
    out = [dict(i) for i in mine if isinstance(i, dict)]
    by_letter = {i.get("letter"): i for i in out if i.get("letter")}
    for ins in theirs:
        if not isinstance(ins, dict):
            continue
        have = by_letter.get(ins.get("letter")) if ins.get("letter") else None
        if have is None:
            out.append(dict(ins))
            continue
        for k, v in ins.items():
            if _empty(have.get(k)):
                have[k] = v
    return sorted(out, key=lambda i: str(i.get("letter") or "~"))


def merge(primary: dict[str, Any], secondary: dict[str, Any]) -> dict[str, Any]:
    """`primary` with its missing values taken from `secondary` (field by field, policy by policy)."""
    out = dict(primary)
    for key, value in secondary.items():
        if key in ("policies", "warnings", "source"):
            continue
        mine = out.get(key)
        if _empty(mine):
            out[key] = value
        elif key == "description_of_operations" and isinstance(mine, str) and isinstance(value, str):
            # The page reading may add a remarks schedule's continuation to the same text.
            # Same opening once the fields' copy loses its "see attached" pointer.
            short, long_ = fold(_POINTER.sub("", mine)), fold(value)
            if short and len(long_) > len(short) and long_.startswith(short):
                out[key] = value
        elif isinstance(mine, dict) and isinstance(value, dict):
            out[key] = {**value, **{k: v for k, v in mine.items() if not _empty(v)}}
        elif key == "insurers" and isinstance(mine, list) and isinstance(value, list):
            out[key] = _merge_insurers(mine, value)
    policies = [dict(p) for p in primary.get("policies") or []]
    theirs = [p for p in secondary.get("policies") or [] if isinstance(p, dict)]
    # Both readings list a coverage's policies top to bottom: the k-th with the k-th breaks ties.
    rank_p, rank_q = _ranks(policies), _ranks(theirs)
    pairs = sorted(
        (
            (_pair_score(p, q) + (0.5 if rank_p[i] == rank_q[j] else 0.0), -i, -j, i, j)
            for i, p in enumerate(policies)
            for j, q in enumerate(theirs)
            if _pair_score(p, q) >= 0
        ),
        reverse=True,
    )
    used_p: set[int] = set()
    used_q: set[int] = set()
    for score, _, _, i, j in pairs:
        if score < 0 or i in used_p or j in used_q:
            continue
        used_p.add(i)
        used_q.add(j)
        match = policies[i]
        if match.pop("_kind_unknown", False) and theirs[j].get("coverage") in _UMBRELLA_KINDS:
            match["coverage"] = theirs[j]["coverage"]
        for k, v in theirs[j].items():
            if k == "limits" and isinstance(v, dict):
                kept = {a: b for a, b in (match.get("limits") or {}).items() if b is not None}
                match["limits"] = {**v, **kept}
            elif _empty(match.get(k)):
                match[k] = v
    policies += [dict(q) for j, q in enumerate(theirs) if j not in used_q]
    out["policies"] = policies
    out["warnings"] = list(primary.get("warnings") or []) + [
        w for w in secondary.get("warnings") or [] if w not in (primary.get("warnings") or [])
    ]
    return out


def _holes(draft: dict[str, Any]) -> bool:
    """True when the names left out something every certificate carries."""
    if not draft.get("certificate_date") or not draft.get("policies"):
        return True
    for key in ("producer", "insured", "certificate_holder"):
        party = draft.get(key)
        if not isinstance(party, dict) or not party.get("name"):
            return True
    return any(not p.get("policy_number") for p in draft["policies"])


# --------------------------------------------------------------------------- entry point
def extract_from_fields(pdf_path: Path, limits: Limits | None = None) -> dict[str, Any] | None:
    """A contract dict when the PDF's values live in AcroForm fields, else None."""
    pdf_path = Path(pdf_path)
    try:
        pdf = pdfium.PdfDocument(str(pdf_path))
    except pdfium.PdfiumError as exc:
        # The reader's own open reports a broken or encrypted file with its typed error.
        log.info("%s: not readable for form fields: %s", pdf_path.name, exc)
        return None
    try:
        return _extract(pdf, pdf_path.name, limits or Limits())
    finally:
        pdf.close()


def _extract(pdf: pdfium.PdfDocument, name: str, limits: Limits) -> dict[str, Any] | None:

    form = _read_form(pdf, name, limits)
    if form is None:
        return None
    try:
        return _extract_form(pdf, form, name)
    finally:
        form.close()


def _extract_form(pdf: pdfium.PdfDocument, form: _Form, name: str) -> dict[str, Any] | None:
    from coibot.extract.assemble import finalize

    if not any(w.filled for w in form.widgets):
        log.debug("%s: AcroForm without filled fields; the text layer is read instead", name)
        return None
    by_name, filled, understood = read_by_name(form.widgets)
    method = "form_fields"
    draft = by_name
    # Fields the names do not explain (`Text7`), values printed in the text layer, or a missing
    # basic fact: only the page's layout can tell, at the cost of reading its text layer.
    if understood < filled or form.text_has_values or form.page_count > 1 or _holes(by_name):
        by_position = read_by_position(pdf, form)
        if by_position:
            draft = merge(by_name, by_position) if by_name.get("policies") else merge(by_position, by_name)
            if form.text_has_values:
                method = "mixed"
    parties = ("producer", "insured", "certificate_holder")
    if not draft.get("policies") and not any(draft.get(k) for k in parties):
        log.info("%s: form fields hold no certificate facts", name)
        return None
    draft.setdefault("form", "acord25")
    if draft.get("form") == "acord25":
        for pol in draft.get("policies") or []:
            for flag in ("additional_insured", "waiver_of_subrogation"):
                if pol.get(flag) is None:
                    pol[flag] = False
    draft["source"] = {"file": name, "pages": form.page_count, "method": method}
    log.debug("%s: %d filled fields, %d understood by name", name, filled, understood)
    return finalize(draft)

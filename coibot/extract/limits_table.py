"""The LIMITS cells of one coverage block: printed labels paired with the amounts beside them."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable

from rapidfuzz.fuzz import partial_ratio, ratio

from coibot.extract.layout import Box, Line, Page, box_of, make_lines
from coibot.extract.normalize import fold, label_key, parse_amount
from coibot.extract.words import Word

log = logging.getLogger(__name__)

# Folded label fragments to contract keys, per coverage; the first fragment found wins.
_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "general_liability": (
        ("eachoccurrence", "each_occurrence"), ("damagetorented", "damage_to_rented_premises"),
        ("rentedpremises", "damage_to_rented_premises"), ("firedamage", "damage_to_rented_premises"),
        ("premises", "damage_to_rented_premises"), ("medexp", "medical_expense"),
        ("medicalexp", "medical_expense"), ("personal", "personal_advertising_injury"),
        ("advinjury", "personal_advertising_injury"), ("generalaggregate", "general_aggregate"),
        ("genlaggregate", "general_aggregate"), ("products", "products_completed_operations_aggregate"),
        ("completedop", "products_completed_operations_aggregate"),
    ),
    "automobile_liability": (
        ("combinedsingle", "combined_single_limit"), ("csl", "combined_single_limit"),
        # (A scan that lost SINGLE still prints COMBINED, or CSL's own "(Ea accident)"; BODILY
        # INJURY's is "(Per accident)".)
        ("combined", "combined_single_limit"), ("eaaccident", "combined_single_limit"),
        ("singlelimit", "combined_single_limit"), ("single", "combined_single_limit"),
        ("propertydamage", "property_damage"), ("perperson", "bodily_injury_per_person"),
        ("peraccident", "bodily_injury_per_accident"),
    ),
    "umbrella_liability": (("eachoccurrence", "each_occurrence"), ("aggregate", "aggregate")),
    "excess_liability": (("eachoccurrence", "each_occurrence"), ("aggregate", "aggregate")),
    "workers_compensation": (
        ("eachaccident", "el_each_accident"), ("eaemployee", "el_disease_each_employee"),
        ("eachemployee", "el_disease_each_employee"), ("policylimit", "el_disease_policy_limit"),
    ),
}

_NUMERIC = re.compile(r"^\$?[\d][\d,.]*$|^\$$")
_GROUP = re.compile(r"^\d{3}(?:[.,]\d{2})?$")


# On a scan, a label misread by a letter or two ("COMBINED SINSLE LIMIT") is still known when its
# closest fragment is this near and clearly nearer than any other key's.
_FUZZY_MIN = 85.0
_FUZZY_MARGIN = 6.0
_FUZZY_LEN = 9  # shorter fragments are too alike ("perperson", "eaemployee") to tell apart fuzzily


def key_for(kind: str, label: str, fuzzy: bool = False) -> str | None:
    """The contract key of a printed limit label for a coverage kind (None when unknown)."""
    f = fold(label)
    if kind == "other":
        cleaned = re.sub(r"\$", " ", label).strip(" :-/")
        key = label_key(cleaned)
        # A label is words: a date or a number beside the amount (a scan's stray reading) is none.
        if sum(ch.isalpha() for ch in cleaned) < 2:
            return None
        return _common_other_key(key) if fuzzy else _joined_other_key(key)
    for frag, key in _KEYS.get(kind, ()):
        if frag in f:
            return key
    if not fuzzy:
        return None
    best: dict[str, float] = {}
    for frag, key in _KEYS.get(kind, ()):
        if len(frag) >= _FUZZY_LEN and len(f) >= len(frag) - 1:
            best[key] = max(best.get(key, 0.0), partial_ratio(frag, f))
    ranked = sorted(best.values(), reverse=True)
    if ranked and ranked[0] >= _FUZZY_MIN and (len(ranked) < 2 or ranked[0] - ranked[1] >= _FUZZY_MARGIN):
        return max(best, key=lambda k: best[k])
    return None


# Limit labels 'other' coverages print most ("Each Claim", "Aggregate"): a scan's misreading of
# one by a letter ("Bach Occurrence") is that label, not a new one.
_COMMON_OTHER_KEYS = ("each_occurrence", "each_claim", "per_claim", "aggregate", "limit", "deductible",
                      "retention", "each_loss", "per_occurrence")
_OTHER_FUZZY_LEN = 8  # shorter keys ("limit") are too short to tell a misread letter from another word


def _joined_other_key(key: str) -> str:
    """A common label a rule split inside a word ("Retentio" "n" where the form's edge crosses
    it) is that label."""
    joined = key.replace("_", "")
    return next((k for k in _COMMON_OTHER_KEYS if k.replace("_", "") == joined), key)


def _common_other_key(key: str) -> str:
    key = _joined_other_key(key)
    if key in _COMMON_OTHER_KEYS or len(key) < _OTHER_FUZZY_LEN:
        return key
    scores = sorted(((ratio(key, k), k) for k in _COMMON_OTHER_KEYS if len(k) >= _OTHER_FUZZY_LEN),
                    reverse=True)
    (best, name), (second, _) = scores[0], scores[1]
    return name if best >= _FUZZY_MIN and best - second >= _FUZZY_MARGIN else key


def clean_token(text: str) -> str:
    """A word without the specks OCR leaves around it ("500,000_", "|1,000,000")."""
    t = text.strip("_|'`‘’:;~")
    if any(ch.isdigit() for ch in t):
        # "1,.000,000": a speck read as a point next to a thousands comma; "1,000,000," and
        # "500,000)": the cell's rule or a speck read after the amount.
        t = t.replace(",.", ",").replace(".,", ",").rstrip(".,")
        if t.endswith(")") and "(" not in t:
            t = t[:-1].rstrip(".,")
    return t


# Pieces of an amount this close (points) are one word a scan split.
_TOUCHING = 1.5


def _amount_text(words: list[Word]) -> str:
    """An amount's words as one text: pieces that touch join without a space."""
    out = ""
    prev: Word | None = None
    for w in words:
        t = clean_token(w.text)
        if prev is not None and not (w.x0 - prev.x1 < _TOUCHING and t != "$" and prev.text != "$"):
            out += " "
        out += t
        prev = w
    return out


# What OCR makes of a "$" printed apart from its amount.
_DOLLAR_MISREAD = frozenset({"5", "S", "s", "$s", "$S", "$5", "§"})


def _amount_runs(line: Line, ocr: bool = False) -> list[tuple[list[Word], list[Word]]]:
    """A line as (label words, amount words) pairs: "Each Claim $1,000,000 / Aggregate $2,000,000"."""
    out: list[tuple[list[Word], list[Word]]] = []
    label: list[Word] = []
    amount: list[Word] = []

    def has_digits(ws: list[Word]) -> bool:
        return any(ch.isdigit() for w in ws for ch in w.text)

    for i, w in enumerate(line.words):
        t = clean_token(w.text)
        if ocr and t in _DOLLAR_MISREAD and i + 1 < len(line.words):
            nxt = line.words[i + 1]
            after = clean_token(nxt.text)
            if _NUMERIC.match(after) and sum(ch.isdigit() for ch in after) >= 4 and 0 <= nxt.x0 - w.x1 <= 40:
                # "5   2,000,000": the dollar sign at the left of the amount's cell.
                t, w = "$", dataclasses.replace(w, text="$")
        if t == "$":
            if has_digits(amount):
                out.append((label, amount))
                label, amount = [], []
            amount.append(w)
            continue
        if _NUMERIC.match(t):
            # "1 000 000" prints as three words: a 3-digit group right after an amount continues it,
            # as does a piece touching it ("10,00" "0,000": a scan split one amount).
            touching = has_digits(amount) and w.x0 - amount[-1].x1 < _TOUCHING
            if not has_digits(amount) or touching or (_GROUP.match(t) and w.x0 - amount[-1].x1 < 6):
                amount.append(w)
                continue
            out.append((label, amount))
            label, amount = [], [w]
            continue
        if has_digits(amount):
            out.append((label, amount))
            label = []
        amount = []
        if t in ("/", ";", "|", ","):
            continue
        label.append(w)
    if has_digits(amount):
        out.append((label, amount))
    elif label:
        out.append((label, []))
    return out


def _labels_after_amounts(runs: list[tuple[list[Word], list[Word]]]) -> list[tuple[list[Word], list[Word]]]:
    """An 'other' row's text that names each amount after it ("$1 000 000 Occurrence / $1 000 000
    Aggregate"): each amount with the label that follows it."""
    if len(runs) < 2 or runs[0][0] or not runs[0][1] or runs[-1][1] or not all(lab for lab, _ in runs[1:]):
        return runs
    return [(runs[i + 1][0], runs[i][1]) for i in range(len(runs) - 1)]


def read_limits(page: Page, box: Box, kind: str,
                read_again: Callable[[Box, str], Word | None] | None = None,
                ) -> tuple[dict[str, int | None], float, list[str]]:
    """Limits of one block: {key: amount}, the lowest word confidence used, and warnings.

    `read_again(box, kind)` reads an amount of a scan again on a tight crop.
    """
    words = page.words_in(box)
    lines = make_lines(words)
    warnings: list[str] = []
    parsed = [(ln, _amount_runs(ln, page.ocr)) for ln in lines]
    if kind == "other":
        parsed = [(ln, _labels_after_amounts(runs)) for ln, runs in parsed]
    label_only = [ln for ln, runs in parsed if all(not a for _, a in runs)]
    # A label line between two amounts belongs to the nearer one: "PROPERTY DAMAGE" printed just
    # below the amount of the row above must not name that amount.
    amount_ys = [(a[0].top + a[0].bottom) / 2 for _, runs in parsed for _, a in runs if a]
    nearest = {id(ln): min(amount_ys, key=lambda y: abs(y - ln.box.cy)) for ln in label_only if amount_ys}
    # (y, key or None, value, label, confidence) for each amount printed in the block.
    found: list[tuple[float, str | None, int, str, float]] = []
    for ln, runs in parsed:
        for label_words, amount_words in runs:
            if not amount_words:
                continue
            text = "".join(clean_token(w.text) for w in amount_words).replace("$", "")
            if not text:
                continue
            value = parse_amount(_amount_text(amount_words).replace("$", "").strip(), misread_commas=page.ocr)
            label = " ".join(w.text for w in label_words if w.text != "$")
            key = key_for(kind, label, page.ocr) if fold(label) else None
            if kind != "other" or key is None:
                # A label may take two lines ("PROPERTY DAMAGE" / "(Per accident)") with the amount
                # beside either: the whole row's label decides, the amount's own line is a fallback.
                y = (amount_words[0].top + amount_words[0].bottom) / 2
                own = [lo for lo in label_only if nearest.get(id(lo)) == y]
                row = _row_label(page, ln, amount_words[0], own)
                row_key = key_for(kind, row, page.ocr) if fold(row) else None
                if row_key is not None:
                    key, label = row_key, row
            # An 'other' label read, but as no label of a scan's it can be (garbled): not readable.
            unreadable = False
            if kind == "other" and key is not None and page.ocr:
                key = _other_key_on_scan(key, label_words)
                unreadable = key is None
            if key is None and page.ocr and read_again is not None:
                key, label, label_words = _label_again(page, kind, box, amount_words[0], read_again,
                                                       label, label_words)
                if kind == "other" and key is not None:
                    key = _other_key_on_scan(key, label_words)
                    unreadable = unreadable or key is None
            if unreadable and key is None:
                warnings.append(f"limit label {label!r} not readable ({value})")
                continue
            if value is None and page.ocr and sum(ch.isdigit() for ch in text) >= 4:
                # "2.0100,000": a garbled amount read again on its own crop.
                value = _round_again(amount_words, read_again)
            if value is None:
                warnings.append(f"limit {key or label!r} {text!r} is not an amount")
                continue
            if value == 0:
                warnings.append(f"limit {key or label!r} {text!r} is no limit; check it")
                continue
            if value is not None and page.ocr and not _round(value):
                value = _round_again(amount_words, read_again)
                if value is None:
                    warnings.append(f"limit {key or label!r} {text!r} is not a round amount; check it")
                    continue
            if sum(ch.isdigit() for ch in text) < 3:
                # No certificate limit is under $100: one or two digits are a speck or a misread.
                warnings.append(f"limit {key or label!r} {text!r} is too small to be a limit; check it")
                continue
            y = (amount_words[0].top + amount_words[0].bottom) / 2
            found.append((y, key, value, label, min(w.conf for w in amount_words)))
    return _resolve(kind, found, warnings)


def _label_again(page: Page, kind: str, box: Box, amount: Word, read_again: Callable[[Box, str], Word | None],
                 label: str, label_words: list[Word]) -> tuple[str | None, str, list[Word]]:
    """The label of a scanned amount that the page's reading lost or garbled ("eee LIMIT", or
    nothing before "$500,000"), read again on its own line from the block's left edge to the
    amount; the key, label and label words as read again, or no key and the first reading."""
    if amount.x0 - box.x0 < _LABEL_MIN_WIDTH:
        return None, label, label_words
    # Inside the label's cell, clear of its side rules (the block's, the "$" column's): the crop
    # is widened by a little, and a rule's stub in it garbles the reading.
    x0 = box.x0 + _CLEAR_OF_RULE
    rules = page.vrules_across(amount.top, amount.bottom, x0 + _LABEL_MIN_WIDTH, amount.x0)
    x1 = (rules[0] if rules else amount.x0) - _CLEAR_OF_RULE
    # The amount's line, then the label's first line alone (a two-line label's second line, cut
    # by the first crop, garbles the whole reading).
    for top, bottom in ((amount.top - 1.5, amount.bottom + 1.5),
                        (amount.top - 2.5, amount.top + _FIRST_LINE * (amount.bottom - amount.top))):
        again = read_again(Box(x0, top, x1, bottom), "text")
        if again is None or again.conf < _AGAIN_MIN_CONF:
            continue
        text = again.text.replace("$", " ").strip()
        key = key_for(kind, text, fuzzy=True) if fold(text) else None
        if key is not None:
            log.debug("limit label %r read again as %r: %s", label, text, key)
            return key, text, [again]
    return None, label, label_words


# Points: a gap narrower than this left of an amount holds no label.
_LABEL_MIN_WIDTH = 12.0
_CLEAR_OF_RULE = 2.5
# Of an amount's height, how far below its top a label's first line ends.
_FIRST_LINE = 0.7


def _round(value: int) -> bool:
    """Whether an amount is one a certificate prints: limits of $10,000 and up are round to $500
    (a scan's "2,000,060" is a misread digit)."""
    return value < 10_000 or value % 500 == 0


def _round_again(words: list[Word], read_again: Callable[[Box, str], Word | None] | None) -> int | None:
    """A misread amount read again on its own crop; None unless it now reads as a round amount."""
    if read_again is None:
        return None
    b = box_of(words)
    again = read_again(Box(b.x0 - 1, b.top - 1, b.x1 + 1, b.bottom + 1), "amount")
    if again is None:
        return None
    # A re-read that is a well-formed amount stands (Tesseract gives whitelisted reads little
    # confidence); one that needs its specks cleaned must also be read surely.
    value = parse_amount(again.text.strip().removeprefix("$").strip(), misread_commas=True)
    if value is None and again.conf >= _AGAIN_MIN_CONF:
        value = parse_amount(clean_token(again.text).replace("$", ""), misread_commas=True)
    # A re-read that lost digits ("$5.000.006" again as "$5,000.00": the last group taken for
    # cents) is no better reading of the amount.
    digits = sum(ch.isdigit() for w in words for ch in w.text)
    if value is None or not _round(value) or len(str(value)) < digits - 1:
        return None
    return value


# A re-read amount read less surely than this replaces nothing.
_AGAIN_MIN_CONF = 0.4


# Labels 'other' coverages print most; a scan's garbled one ("Aaareiate") is known by the nearest.
_OTHER_LABELS = ("each_claim", "per_claim", "each_occurrence", "per_occurrence", "aggregate", "limit",
                 "retention", "deductible", "each_loss", "each_wrongful_act", "combined_single_limit")
# A label read at least this clearly is kept as printed, however unusual.
_CLEAR_LABEL = 0.8


def _other_key_on_scan(key: str, label_words: list[Word]) -> str | None:
    """The key of an 'other' coverage's label on a scan: a common label when near one, the label as
    read when read clearly, else None (a garbled label would name a limit that is not there)."""
    if key in _OTHER_LABELS:
        return key
    scored = sorted(((ratio(key, k), k) for k in _OTHER_LABELS), reverse=True)
    if scored[0][0] >= 60 and scored[0][0] - scored[1][0] >= 15:
        return scored[0][1]
    clear = bool(label_words) and min(w.conf for w in label_words) >= _CLEAR_LABEL
    return key if clear else None


def _resolve(kind: str, found: list[tuple[float, str | None, int, str, float]],
             warnings: list[str]) -> tuple[dict[str, int | None], float, list[str]]:
    """Keys for the amounts; a misread label of a standard block is known by its row's place."""
    order = [key for _, key in _KEYS.get(kind, ())]
    order = list(dict.fromkeys(order))
    limits: dict[str, int | None] = {}
    conf = 1.0
    rows = sorted(found, key=lambda r: r[0])
    keys: list[str | None] = []
    for _, key, value, _, c in rows:
        if key is not None and key in limits:
            key = None if limits[key] != value else key
        keys.append(key)
        if key is not None:
            limits[key] = value
            conf = min(conf, c)
    for i, (_, _key, value, label, c) in enumerate(rows):
        if keys[i] is not None:
            continue
        if not order:
            warnings.append(f"limit label {label!r} not recognised ({value})")
            continue
        above = [order.index(k) for k in keys[:i] if k is not None and k in order]
        below = [order.index(k) for k in keys[i + 1:] if k is not None and k in order]
        lo = max(above, default=-1)
        hi = min(below, default=len(order))
        candidates = [k for k in order[lo + 1:hi] if k not in limits]
        # The unread rows between the same two read ones (or a page end): as many as the free
        # places there, they take them in the form's order.
        run = [j for j in range(len(rows)) if keys[j] is None and _between(keys, j, i)]
        place = run.index(i) if len(candidates) == len(run) and i in run else -1
        if len(candidates) == 1:
            place = 0
        if place >= 0 and (above or below):
            # The form prints its limits in a fixed order: the free places left are these rows'.
            limits[candidates[place]] = value
            keys[i] = candidates[place]
            conf = min(conf, c, 0.7)
            warnings.append(f"limit label {label!r} read as {candidates[place]} by its place; check it")
        else:
            warnings.append(f"limit label {label!r} not recognised ({value})")
    if order:
        limits = {k: limits[k] for k in order if k in limits}
    return limits, conf, warnings


def _between(keys: list[str | None], j: int, i: int) -> bool:
    """Whether rows j and i have no read row between them."""
    lo, hi = min(i, j), max(i, j)
    return all(keys[k] is None for k in range(lo, hi + 1))


def _row_label(page: Page, line: Line, amount: Word, label_only: list[Line]) -> str:
    cy = (amount.top + amount.bottom) / 2
    h = max(4.0, amount.bottom - amount.top)
    cell = page.cell((amount.x0 + amount.x1) / 2, cy, Box(0, cy - h * 1.2, page.width, cy + h * 1.2))
    top, bottom = cell.top, cell.bottom
    if bottom - top > 4 * h:
        top, bottom = cy - h * 1.2, cy + h * 1.2
    parts = []
    for ln in label_only:
        b = ln.box
        if top - 0.5 <= b.cy <= bottom + 0.5 and b.x1 <= amount.x0 + 1:
            parts.append(ln.text)
    own = " ".join(w.text for w in line.words if w.x1 <= amount.x0 and w.text != "$")
    return " ".join([*parts, own]).strip()

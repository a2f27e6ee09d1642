"""Printed values (dates, amounts, phones, names, addresses) into the contract's normal forms.

Every parser returns None rather than a guess: a value that does not read cleanly is left for a
person to check (the caller adds a warning).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

_NUMERIC_MDY = re.compile(r"^(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_MONTH_FIRST = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([A-Za-z]{3,9})\.?,?[\s\-]+(\d{4}|\d{2})$")

# Two-digit years on certificates are policy years: 00-69 are 20xx, 70-99 are 19xx.
_PIVOT = 70


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:
        y += 1900 if y >= _PIVOT else 2000
    return y


def _make(y: int, m: int, d: int) -> date | None:
    if not 1900 <= y <= 2199:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_date(text: str | None) -> date | None:
    """A printed date (MM/DD/YYYY, M/D/YY, YYYY-MM-DD, "January 5, 2026", "05-Jan-2026") or None."""
    if not text:
        return None
    s = " ".join(text.strip().strip(",;").split())
    m = _NUMERIC_MDY.match(s)
    if m:
        return _make(_year(m.group(4)), int(m.group(1)), int(m.group(3)))
    m = _ISO.match(s)
    if m:
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _MONTH_FIRST.match(s)
    if m:
        month = _MONTHS.get(m.group(1).lower())
        return _make(int(m.group(3)), month, int(m.group(2))) if month else None
    m = _DAY_FIRST.match(s)
    if m:
        month = _MONTHS.get(m.group(2).lower())
        return _make(_year(m.group(3)), month, int(m.group(1))) if month else None
    return None


# A numeric date whose separators a scan misread or lost ("09°26'2026", "09 26/2026"): two digits,
# two digits and four (MM/DD/YYYY), or four, two and two (YYYY-MM-DD), each group whole.
_LOOSE_MDY = re.compile(r"^(\d{2})[^\w]{1,3}(\d{2})[^\w]{1,3}(\d{4})$")
_LOOSE_YMD = re.compile(r"^(\d{4})[^\w]{1,3}(\d{2})[^\w]{1,3}(\d{2})$")
_LOOSE_ENDS = " '\"`‘’“”°.,:;|_~"


def scan_date(text: str | None) -> str | None:
    """A date in a column headed MM/DD/YYYY whose separators a scan misread ("09°26°2025"): the
    digit groups keep their lengths, so which is the month, day and year is not in doubt. A group
    of another length (a separator read as a digit: "09126/2026") is no date."""
    if not text:
        return None
    s = text.strip(_LOOSE_ENDS)
    m = _LOOSE_MDY.match(s)
    if m:
        d = _make(int(m.group(3)), int(m.group(1)), int(m.group(2)))
        return d.isoformat() if d else None
    m = _LOOSE_YMD.match(s)
    if m:
        d = _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return d.isoformat() if d else None
    return None


_LOST_SLASH = (re.compile(r"^(\d{2})(\d{2})[^\w]{1,3}(\d{4})$"),
               re.compile(r"^(\d{2})[^\w]{1,3}(\d{2})(\d{4})$"),
               re.compile(r"^(\d{2})(\d{2})(\d{4})$"))


# Letters a scan makes of digits ("OL 24 2026" for 01 24 2026).
_LOOKALIKES = str.maketrans("OoQDlILi|tSZB", "0000111111528")


def loose_dates(text: str | None) -> list[str]:
    """Dates a scan's garbled MM/DD/YYYY may be ("O4 09 2027", "0905/2027", "01242027"): O read
    for 0, slashes lost; the whole text, then each of its words ("QO): 01242027"). Only a second
    reading can confirm one (the row's other date a year away)."""
    if not text:
        return []
    s = " ".join(text.split()).strip(_LOOSE_ENDS + "-")
    words = [w.strip(_LOOSE_ENDS + "-") for w in s.split(" ")] if " " in s else []
    tried = [t for v in (s, *words) for t in (v, re.sub(r"[Oo]", "0", v), v.translate(_LOOKALIKES))]
    out: list[str] = []
    for t in tried:
        value = iso_date(t) or scan_date(t)
        for rx in _LOST_SLASH:
            m = rx.match(t)
            if m and value is None:
                d = _make(int(m.group(3)), int(m.group(1)), int(m.group(2)))
                value = d.isoformat() if d else None
        if value and value not in out:
            out.append(value)
    return out


def misread_of(iso: str, texts: list[str]) -> bool:
    """Whether a garbled reading is this date, MM/DD/YYYY or YYYY-MM-DD, but for one character
    ("05-42-2026" for 05/12/2026); letters a scan makes of digits count as those digits."""
    day = parse_date(iso)
    if day is None:
        return False
    wanted = (f"{day.month:02d}{day.day:02d}{day.year:04d}", f"{day.year:04d}{day.month:02d}{day.day:02d}")
    for text in texts:
        for word in (text, *text.split()):
            digits = re.sub(r"\D", "", word.translate(_LOOKALIKES))
            if any(len(digits) == 8 and sum(a != b for a, b in zip(digits, want, strict=True)) <= 1
                   for want in wanted):
                return True
    return False


def dates_from_garbled(eff: str | None, exp: str | None, eff_texts: list[str],
                       exp_texts: list[str]) -> tuple[str | None, str | None]:
    """A policy's dates with an unread one taken from garbled readings (`loose_dates`) only where
    that puts it a year from the other; with both unread, only a single pair a year apart, which
    two misreadings do not make by chance."""
    if eff is not None and exp is not None:
        return eff, exp
    effs = [eff] if eff is not None else [v for t in eff_texts for v in loose_dates(t)]
    exps = [exp] if exp is not None else [v for t in exp_texts for v in loose_dates(t)]
    pairs = {(e, x) for e in effs for x in exps if a_year_apart(e, x)}
    if len(pairs) == 1:
        return pairs.pop()
    return eff, exp


def a_year_apart(effective: str | None, expiration: str | None) -> bool:
    """Whether an expiration date is one year after its effective date (ISO dates)."""
    e, x = parse_date(effective), parse_date(expiration)
    if e is None or x is None:
        return False
    try:
        return e.replace(year=e.year + 1) == x
    except ValueError:  # 29 February
        return x.year == e.year + 1 and x.month in (2, 3) and abs(x.day - e.day) <= 28


def years_later(iso: str, years: int) -> str | None:
    """An ISO date `years` later (earlier when negative); 29 February falls on the 28th."""
    d = parse_date(iso)
    if d is None:
        return None
    try:
        return d.replace(year=d.year + years).isoformat()
    except ValueError:
        return d.replace(year=d.year + years, day=28).isoformat()


def iso_date(text: str | None) -> str | None:
    d = parse_date(text)
    return d.isoformat() if d else None


# Thousands grouped by comma, dot-free space, thin/no-break space or apostrophe; optional cents.
_GROUPED = re.compile(r"^\d{1,3}(?:([,\s\u00a0\u202f'])\d{3})(?:\1\d{3})*(?:\.\d{2})?$")
_PLAIN = re.compile(r"^\d+(?:\.\d{2})?$")
_DOTTED = re.compile(r"^\d{1,3}(?:[.,]\d{3})*\.\d{3}(?:[.,]\d{3})*$")
# A scan's groups parted by commas and gaps both ("1,000 000": the last comma lost, or read as a
# word of its own): whole thousands all the same.
_MIXED = re.compile(r"^\d{1,3}(?:(?:,\s*|\s+)\d{3})+$")
_SUFFIX = re.compile(r"^(\d+(?:\.\d+)?)\s*(k|m|mm|mil|million|thousand)$", re.IGNORECASE)
_SUFFIX_MULT = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "mm": 1_000_000, "mil": 1_000_000,
                "million": 1_000_000}


def parse_amount(text: str | None, misread_commas: bool = False) -> int | None:
    """Whole dollars from "$1,000,000", "1 000 000", "1,000,000.00", "$1M"; None when ambiguous.

    With `misread_commas` (OCR), "2.000.000" and "1,000.000" are a scan's commas read as dots.
    """
    if not text:
        return None
    s = text.strip().replace("US$", "").replace("USD", "").strip()
    if s.startswith("$"):
        s = s[1:].strip()
    if s.startswith("$"):
        return None
    if not s:
        return None
    if misread_commas and (_DOTTED.match(s) or _MIXED.match(s)):
        # A dot before three digits is no decimal point in dollars (cents print two digits).
        return int(re.sub(r"\D", "", s))
    if _GROUPED.match(s) or _PLAIN.match(s):
        whole = s.split(".")[0] if "." in s and len(s.split(".")[-1]) == 2 else s
        digits = re.sub(r"\D", "", whole)
        return int(digits) if digits else None
    m = _SUFFIX.match(s)
    if m:
        value = float(m.group(1)) * _SUFFIX_MULT[m.group(2).lower()]
        if value != int(value):
            return None
        return int(value)
    return None


def format_phone(text: str | None) -> str | None:
    """"(AAA) NNN-NNNN" when the number has ten digits (a leading US 1 dropped), else as printed."""
    if not text:
        return None
    s = " ".join(text.split())
    if not s:
        return None
    # An extension stays as printed after the formatted number.
    ext = ""
    m = re.search(r"\s*(?:ext\.?|x|#)\s*(\d{1,6})\s*$", s, re.IGNORECASE)
    main = s
    if m:
        ext = f" x{m.group(1)}"
        main = s[: m.start()]
    digits = re.sub(r"\D", "", main)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10 and not re.search(r"[A-Za-z]", main):
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}{ext}"
    return s


def join_address(lines: Iterable[str]) -> str:
    """The printed address lines joined with ", " (blank lines and stray separators dropped)."""
    parts = []
    for line in lines:
        t = " ".join(line.split()).strip(" ,;")
        if t:
            parts.append(t)
    return ", ".join(parts)


def normalize_name(text: str | None) -> str | None:
    """A party's name with spaces collapsed and stray separators trimmed; None when empty."""
    if not text:
        return None
    words = text.split()
    # Tokens of punctuation alone at either end ("= = = Janes Nakamura") are specks or rule ends.
    while words and not any(ch.isalnum() for ch in words[0]):
        words.pop(0)
    while words and not any(ch.isalnum() for ch in words[-1]):
        words.pop()
    t = " ".join(words).strip(" ,;:")
    return t or None


def label_key(label: str) -> str:
    """A printed limit label as a contract key: lowercased, words joined with underscores."""
    t = label.lower().replace("&", " and ")
    t = re.sub(r"[^a-z0-9]+", "_", t).strip("_")
    return t


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Case- and punctuation-insensitive form used to compare labels."""
    return _NOT_ALNUM.sub("", text.casefold())

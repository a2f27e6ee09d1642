"""Normalise names, addresses and wording so a certificate is compared on content, not typography."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz

# Equivalent spellings folded to one form; applied word by word after punctuation is removed.
_NAME_WORDS: dict[str, str] = {
    "incorporated": "inc",
    "corporation": "corp",
    "company": "co",
    "limited": "ltd",
    "and": "&",
    "l l c": "llc",
}
_ADDRESS_WORDS: dict[str, str] = {
    "street": "st",
    "avenue": "ave",
    "av": "ave",
    "suite": "ste",
    "road": "rd",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "parkway": "pkwy",
    "highway": "hwy",
    "square": "sq",
    "terrace": "ter",
    "circle": "cir",
    "building": "bldg",
    "floor": "fl",
    "apartment": "apt",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}
_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w&#]+")
_DOTTED = re.compile(r"\b((?:[a-z]\.){2,})")  # L.L.C. / U.S.A. before punctuation turns into spaces
_ZIP4 = re.compile(r"\b(\d{5})-\d{4}\b")
_HYPHEN_BREAK = re.compile(r"(\w)-\s*\n\s*(\w)")


def fold(text: str) -> str:
    """Case fold, accents off, punctuation to spaces, white space collapsed (the contract's rule)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = _DOTTED.sub(lambda m: m.group(1).replace(".", ""), text)
    return _SPACES.sub(" ", _PUNCT.sub(" ", text)).strip()


def _words(text: str, table: dict[str, str]) -> str:
    return " ".join(table.get(w, w) for w in text.split())


@lru_cache(maxsize=4096)
def norm_name(name: str) -> str:
    """A company or person name in a comparable form: "Acme, L.L.C." == "ACME LLC"."""
    text = fold(name.replace("&", " & "))
    text = text.replace("l l c", "llc")
    return _words(text, _NAME_WORDS)


@lru_cache(maxsize=4096)
def norm_address(address: str) -> str:
    """An address in a comparable form: street words abbreviated, ZIP+4 cut to ZIP5."""
    text = _ZIP4.sub(r"\1", address)
    text = fold(text)
    return _words(text, {**_NAME_WORDS, **_ADDRESS_WORDS})


@lru_cache(maxsize=4096)
def norm_wording(text: str) -> str:
    """Description wording: words broken by a hyphen at a line end are rejoined, then folded."""
    return fold(_HYPHEN_BREAK.sub(r"\1\2", text))


def names_match(a: str | None, b: str | None) -> bool:
    """Two names are the same party after normalisation."""
    if not a or not b:
        return False
    return norm_name(a) == norm_name(b)


def similarity(a: str, b: str) -> float:
    """0..100 similarity of two normalised strings."""
    return float(fuzz.ratio(a, b))


# Characters OCR confuses, folded to one form so "lncluded", "Managernent", "CabIing" read as meant.
_OCR_PAIRS = (("rn", "m"), ("cl", "d"), ("vv", "w"), ("0", "o"), ("1", "l"), ("i", "l"), ("5", "s"))
# A long word with one letter dropped or doubled ("additonal") is still the word at this similarity;
# a different word ("excluded" / "included", "insurer" / "insured") is not.
LONG_WORD = 8
LONG_WORD_SIMILARITY = 90.0


@lru_cache(maxsize=8192)
def ocr_fold(word: str) -> str:
    """A word with OCR-confusable characters folded together."""
    for a, b in _OCR_PAIRS:
        word = word.replace(a, b)
    return word


def _word_ok(want: str, got: str) -> bool:
    if want == got or ocr_fold(want) == ocr_fold(got):
        return True
    return len(want) >= LONG_WORD and fuzz.ratio(want, got) >= LONG_WORD_SIMILARITY


def _words_in_order(needle: list[str], hay: list[str]) -> bool:
    """The phrase's words appear consecutively in `hay`, each exact or within OCR tolerance."""
    n = len(needle)
    for start in range(len(hay) - n + 1):
        if all(_word_ok(w, hay[start + k]) for k, w in enumerate(needle)):
            return True
    return False


def contains_wording(haystack: str, phrase: str) -> bool:
    """True when `phrase` appears in `haystack` after normalisation, exactly or within OCR tolerance.

    Tolerance is per word, so an inserted "not" or a changed word still makes the phrase missing.
    """
    hay = norm_wording(haystack)
    needle = norm_wording(phrase)
    if not needle:
        return True
    if needle in hay:
        return True
    # A line break inside a word ("addi tional") loses only a space: compare without spaces.
    if needle.replace(" ", "") in hay.replace(" ", ""):
        return True
    return _words_in_order(needle.split(), hay.split())

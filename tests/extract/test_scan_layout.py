"""The layout reader on OCR words as a scan gives them: misread labels, lost letters, specks.

Pages are built word by word (no Tesseract), so each test states the misreading it exercises.
"""

from __future__ import annotations

from coibot.extract import coverage_table
from coibot.extract.acord25 import read_acord25
from coibot.extract.layout import Box, Page, marked_before
from coibot.extract.limits_table import key_for, read_limits
from coibot.extract.words import PageWords, Rule, Word

_H = 5.0  # a 7-pt line's word height in points


def _line(text: str, x: float, y: float, conf: float = 0.9, h: float = _H) -> list[Word]:
    """The words of `text` from x on the line whose top is y, as OCR boxes them (about 4 pt a letter)."""
    out = []
    for part in text.split():
        w = 4.0 * len(part)
        out.append(Word(part, x, y, x + w, y + h, conf))
        x += w + 3.0
    return out


def _page(lines: list[tuple[str, float, float]], rules: list[Rule] | None = None) -> PageWords:
    words = [w for text, x, y in lines for w in _line(text, x, y)]
    return PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words, rules=rules or [])


_INSURER_NAMES = ["Prairie Fire Casualty Co.", "Red Cedar Specialty Co.", "Sierra Crest Underwriters Inc."]


def test_insurer_labels_misread_or_without_their_i_are_known_by_their_place() -> None:
    # "NSURERA:" lost its I, "INSURER 6:" read B as 6, "INSURERS" read C as S, "INSURER o" D as o.
    labels = ["NSURERA:", "INSURER 6:", "INSURERS", "INSURER o", "INSURER E", "INSURER F"]
    lines = [("INSURER(S) AFFORDING COVERAGE", 370, 146), ("NAIC #", 546, 146)]
    for i, label in enumerate(labels):
        y = 157 + 11 * i
        lines.append((label, 308, y))
        if i < 3:
            lines += [(_INSURER_NAMES[i], 347, y), (f"{23117 + i}", 541, y)]
    draft = read_acord25(_page(lines))
    assert [(i["letter"], i["name"], i["naic"]) for i in draft["insurers"]] == [
        ("A", _INSURER_NAMES[0], "23117"), ("B", _INSURER_NAMES[1], "23118"),
        ("C", _INSURER_NAMES[2], "23119"),
    ]


def test_insurer_letters_by_place_need_the_read_ones_to_agree() -> None:
    # Two labels read A and C one row apart contradict each other: no letter is made up from them.
    lines = [("NAIC #", 546, 146), ("INSURER A", 308, 157), ("Alpha Co.", 347, 157),
             ("INSURER C", 308, 168), ("Gamma Co.", 347, 168),
             ("INSURER 8", 308, 179), ("Beta Co.", 347, 179)]
    draft = read_acord25(_page(lines))
    assert [i["letter"] for i in draft["insurers"]] == ["A", "C"]


def test_a_speck_on_an_empty_insurer_row_is_no_insurer() -> None:
    lines = [("NAIC #", 546, 146), ("INSURER A", 308, 157), ("Alpha Co.", 347, 157), ("12345", 541, 157),
             ("INSURER B", 308, 168), ("Il", 400, 168)]
    draft = read_acord25(_page(lines))
    assert [i["letter"] for i in draft["insurers"]] == ["A"]


def test_description_box_label_misread_is_not_taken_from_the_wc_row() -> None:
    # The WC row's "describe under DESCRIPTION OF OPERATIONS below" reads cleanly; the box's own
    # label does not ("LESCRIPTION ... VEMICLES").
    lines = [
        ("If yes, describe under", 50, 480), ("DESCRIPTION OF OPERATIONS below", 50, 487),
        ("LESCRIPTION OF OPERATIONS / LOCATIONS / VEMICLES", 32, 517),
        ("Re: Job #17208 parking lot resurfacing", 35, 532),
    ]
    draft = read_acord25(_page(lines))
    assert draft["description_of_operations"] == "Re: Job #17208 parking lot resurfacing"


def test_coverage_headings_misread_by_a_letter_still_name_the_coverage() -> None:
    assert coverage_table._kind("xumbrellalaboccur", ocr=True) == "umbrella"
    assert coverage_table._kind("automobileuability", ocr=True) == "automobile_liability"
    assert coverage_table._kind("xumbrellalaboccur", ocr=False) is None
    # A short text is contained in many headings: it names none.
    assert coverage_table._kind("auto", ocr=True) is None
    assert coverage_table._kind("inlandmarine", ocr=True) is None


def test_limit_labels_misread_by_a_letter_are_known_when_unambiguous() -> None:
    assert key_for("automobile_liability", "COMBINED SINSLE LIMIT", fuzzy=True) == "combined_single_limit"
    assert key_for("automobile_liability", "COMBINED SINSLE LIMIT") is None
    assert key_for("workers_compensation", "EL EACH ACCIDEMT", fuzzy=True) == "el_each_accident"
    # Nothing near enough to one label: no key.
    assert key_for("general_liability", "Ea ace ches", fuzzy=True) is None


def test_a_label_line_below_an_amount_names_the_nearer_amount() -> None:
    # Scanned amounts box taller than their labels ("$" and "," reach down): the row below's
    # "PROPERTY DAMAGE" falls in the cell of the amount above it, but is nearer its own.
    words = [
        *_line("BODILY INJURY (Per person)", 425, 360.2, h=4), Word("$500,000", 540, 360, 577, 368.2, 0.96),
        *_line("BODILY INJURY (Per accident)", 425, 371.5, h=4), Word("$1,000,000", 533, 371.5, 577, 379.7),
        *_line("PROPERTY DAMAGE", 425, 382.8, h=3.8), Word("$100,000", 540, 383.0, 577, 391.2, 0.97),
        *_line("(Per accident)", 425, 387.6, h=4),
    ]
    pw = PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words)
    limits, _, warnings = read_limits(Page(pw), Box(423, 346, 582, 415), "automobile_liability")
    assert limits == {"bodily_injury_per_person": 500_000, "bodily_injury_per_accident": 1_000_000,
                      "property_damage": 100_000}
    assert warnings == []


def test_a_mark_is_neither_part_of_a_label_nor_a_mark_across_a_ruling_line() -> None:
    # "X UMBRELLA LAB": the box's X before a misread label; a B in the letter column read as "X",
    # left of the column's rule, is no mark of EXCESS LIAB.
    words = [Word("X", 49.2, 417.4, 57.1, 425.3, 0.9), *_line("UMBRELLA LAB", 60, 419.5),
             Word("X", 36.5, 430.6, 41.3, 436.8, 0.9), *_line("EXCESS LIAB", 60, 430.8)]
    pw = PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words,
                   rules=[Rule(47.4, 250.0, 47.9, 520.0)])
    page = Page(pw)
    umb = page.find_first("UMBRELLA LIAB")
    exc = page.find_first("EXCESS LIAB")
    assert umb is not None and umb.x0 == 60 and exc is not None
    assert marked_before(page, umb) is True
    assert marked_before(page, exc) is False

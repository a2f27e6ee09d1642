"""The coverage table on OCR words as a scan gives them: misread headings, lost labels, garbled dates.

Pages are built word by word (no Tesseract), so each test states the misreading it exercises.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PIL import Image, ImageDraw

from coibot.extract import coverage_table, reread
from coibot.extract.acord25 import read_acord25
from coibot.extract.coverage_table import _trim_number
from coibot.extract.images import PageImage
from coibot.extract.layout import Box, Page
from coibot.extract.words import PageWords, Rule, Word
from tests.support.scan_words import scan_line, scan_page

_COLS = (30.0, 47.6, 182.0, 216.6, 325.0, 372.5, 418.8, 582.0)


def _gl_page(eff: str, exp: str, rules: bool = True) -> PageWords:
    lines = [("TYPE OF INSURANCE", 89, 254), ("POLICY NUMBER", 253, 254), ("LIMITS", 493, 254),
             ("COMMERCIAL GENERAL LIABILITY", 60, 278), ("CGL-1234567", 222, 278),
             ("05/22/2026", 333, 278), ("05/22/2027", 378, 278),
             ("EACH OCCURRENCE", 425, 278), ("$1,000,000", 536, 278)]
    if eff:
        lines.append((eff, 330, 254))
    if exp:
        lines.append((exp, 376, 254))
    return scan_page(lines, [Rule(x, 250.0, x + 0.5, 350.0) for x in _COLS] if rules else [])


def test_an_occur_label_misread_by_a_letter_is_still_the_box_its_mark_is_before() -> None:
    def basis(read: str) -> str | None:
        page = _gl_page("POLICY EFF", "POLICY EXP")
        words = [*page.words, *scan_line(f"CLAIMS-MADE X {read}", 60.0, 292.0)]
        page = PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words, rules=page.rules)
        (gl,) = read_acord25(page)["policies"]
        return gl["basis"]

    assert basis("OCCUR") == "occurrence"
    assert basis("OccuUR") == "occurrence"
    # A word that is no misreading of it is no label.
    assert basis("OTHER") is None


def test_a_lost_policy_eff_heading_is_the_lone_policy_word_before_policy_exp() -> None:
    # "POLICY EFF" read as "POLICY a", no column rules: the lone POLICY word stands over the column.
    (gl,) = read_acord25(_gl_page("POLICY a", "POLICY EXP", rules=False))["policies"]
    assert (gl["effective_date"], gl["expiration_date"]) == ("2026-05-22", "2027-05-22")
    # Without that word and without rules, nothing says where the column is.
    assert read_acord25(_gl_page("", "POLICY EXP", rules=False))["policies"] == []


def test_both_date_headings_lost_are_the_two_cells_the_header_rules_make() -> None:
    # "POLICY EFF" lost, "POLICY EXP" read as "Y EXP" (not standing alone): the rules tell the cells.
    (gl,) = read_acord25(_gl_page("", "Y EXP"))["policies"]
    assert (gl["policy_number"], gl["effective_date"], gl["expiration_date"]) == (
        "CGL-1234567", "2026-05-22", "2027-05-22")
    assert read_acord25(_gl_page("", "Y EXP", rules=False))["policies"] == []


def test_every_date_and_limits_heading_lost_the_first_limit_label_and_the_rules_tell_the_columns() -> None:
    # "POLIC E EF F", "POLICY 5 EXP" (a speck beside EXP) and "UMITS": only POLICY NUMBER reads.
    page = _gl_page("POLIC E EF F", "POLICY 5 EXP")
    words = [w for w in page.words if w.text != "LIMITS"] + [Word("UMITS", 493, 254, 513, 259, 0.8)]
    page = PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words, rules=page.rules)
    (gl,) = read_acord25(page)["policies"]
    assert (gl["policy_number"], gl["effective_date"], gl["expiration_date"]) == (
        "CGL-1234567", "2026-05-22", "2027-05-22")
    assert gl["limits"] == {"each_occurrence": 1000000}


def _umbrella_page(umb: str, exc: str, marked: str) -> PageWords:
    lines = [("TYPE OF INSURANCE", 89, 254), ("POLICY NUMBER", 253, 254), ("POLICY EFF", 339, 254),
             ("POLICY EXP", 384, 254), ("LIMITS", 493, 254),
             (umb, 60, 420), ("OCCUR", 134, 420), (exc, 60, 431), ("DED RETENTION $", 60, 443),
             ("UMB 585177-98", 222, 431), ("05/11/2026", 330, 431), ("05/11/2027", 378, 431),
             ("EACH OCCURRENCE", 425, 420), ("$5,000,000", 536, 420)]
    lines.append(("X", 50, 420 if marked == "umbrella" else 431))
    rules = [Rule(x, 250.0, x + 0.5, 460.0) for x in _COLS]
    rules += [Rule(30.0, y, 582.0, y + 0.5) for y in (265.0, 415.0, 450.0)]
    return scan_page(lines, rules)


def test_an_umbrella_block_whose_headings_are_garbled_is_known_by_retention_and_its_marks() -> None:
    (pol,) = read_acord25(_umbrella_page("umereuia vas", "cess uss", "excess"))["policies"]
    assert (pol["coverage"], pol["policy_number"]) == ("excess_liability", "UMB 585177-98")
    (pol,) = read_acord25(_umbrella_page("umereuia vas", "cess uss", "umbrella"))["policies"]
    assert pol["coverage"] == "umbrella_liability"


def test_dates_whose_slashes_the_scan_misread_are_read_in_the_date_columns() -> None:
    page = _gl_page("POLICY EFF", "POLICY EXP")
    words = [w for w in page.words if w.text not in ("05/22/2026", "05/22/2027")]
    words += [Word("05°22°2026", 333, 278, 372, 283, 0.7), Word("05", 378, 278, 386, 283, 0.9),
              Word("22'2027", 392, 278, 418, 283, 0.4)]
    page = PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words, rules=page.rules)
    (gl,) = read_acord25(page)["policies"]
    assert (gl["effective_date"], gl["expiration_date"]) == ("2026-05-22", "2027-05-22")


def test_specks_a_scan_reads_at_a_policy_numbers_ends() -> None:
    assert _trim_number("(BOP9535341") == "BOP9535341"
    assert _trim_number("-28UMB 185642") == "28UMB 185642"
    assert _trim_number("‘GL-2026-32427|") == "GL-2026-32427"
    # Brackets that belong to the number stay.
    assert _trim_number("CA (2026) 123") == "CA (2026) 123"
    assert _trim_number("(CA) 123-45") == "(CA) 123-45"


def _dated_page(eff: list[Word], exp: list[Word]) -> PageWords:
    page = _gl_page("POLICY EFF", "POLICY EXP")
    words = [w for w in page.words if w.text not in ("05/22/2026", "05/22/2027")] + eff + exp
    return PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words, rules=page.rules)


def test_a_garbled_date_is_taken_only_when_it_falls_a_year_from_the_rows_other_date() -> None:
    eff = [Word("05/22/2026", 333, 278, 372, 283, 0.9)]
    (gl,) = read_acord25(_dated_page(eff, [Word("0522/2027", 378, 278, 416, 283, 0.7)]))["policies"]
    assert gl["expiration_date"] == "2027-05-22"
    # "O5 22 2O27": O read for 0, the slashes lost.
    exp = [Word("O5", 378, 278, 386, 283, 0.7), Word("22", 389, 278, 397, 283, 0.9),
           Word("2O27", 400, 278, 416, 283, 0.7)]
    (gl,) = read_acord25(_dated_page(eff, exp))["policies"]
    assert gl["expiration_date"] == "2027-05-22"
    # The same garbling that falls elsewhere is no date: nothing confirms it.
    draft = read_acord25(_dated_page(eff, [Word("0523/2027", 378, 278, 416, 283, 0.7)]))
    assert draft["policies"][0]["expiration_date"] is None
    assert any("is not a date" in w for w in draft["warnings"])


def test_dates_not_a_year_apart_are_read_again_and_a_reread_that_agrees_wins() -> None:
    # The last digit overlapped the column's rule: "2025" read as "2024".
    page = _dated_page([Word("11/23/2024", 333, 278, 372.5, 283, 0.9)],
                       [Word("11/23/2026", 378, 278, 418.8, 283, 0.9)])

    def again(box: tuple[float, float, float, float], kind: str) -> Word | None:
        if kind == "date" and box[0] < 350:
            return Word("11/23/2025", *box, 0.8)
        return None

    (gl,) = read_acord25(page, reread=again)["policies"]
    assert (gl["effective_date"], gl["expiration_date"]) == ("2025-11-23", "2026-11-23")
    # Read again as they were: one of them is misread and nothing tells which, so neither stands.
    draft = read_acord25(page)
    assert (draft["policies"][0]["effective_date"], draft["policies"][0]["expiration_date"]) == (None, None)
    assert any("not a year apart and nothing tells which" in w for w in draft["warnings"])


def test_dates_not_a_year_apart_take_the_term_another_policy_reads_as() -> None:
    def pol(eff: str | None, exp: str | None, disagree: bool = False) -> dict[str, Any]:
        return {"coverage": "general_liability", "policy_number": "P-1", "effective_date": eff,
                "expiration_date": exp, **({"_dates_disagree": True} if disagree else {})}

    d = coverage_table.Draft(Page(_gl_page("POLICY EFF", "POLICY EXP")))
    rows = [pol("2025-11-15", "2026-11-15"), pol("2024-11-15", "2026-11-15", True),
            pol("2025-11-15", "2026-11-18", True), pol("2028-11-19", "2026-11-16", True)]
    coverage_table._dates_by_other_rows(d, rows)
    term = ("2025-11-15", "2026-11-15")
    assert [(p["effective_date"], p["expiration_date"]) for p in rows] == [term, term, term, (None, None)]
    assert all("_dates_disagree" not in p for p in rows)
    assert sum("the term of another policy" in w for w in d.warnings) == 2
    # No other policy reads as a term: the one that holds the certificate's date is taken.
    rows = [pol("2025-09-27", "2024-09-27", True), pol("2025-09-27", "2024-09-27", True)]
    coverage_table._dates_by_other_rows(d, rows, "2025-10-02")
    assert [(p["effective_date"], p["expiration_date"]) for p in rows] == [("2025-09-27", "2026-09-27")] * 2
    # A renewal shown a little before it starts; a certificate date neither term holds settles nothing.
    row = [pol("2025-11-01", "2024-11-01", True)]
    coverage_table._dates_by_other_rows(d, row, "2025-10-02")
    assert (row[0]["effective_date"], row[0]["expiration_date"]) == ("2025-11-01", "2026-11-01")
    row = [pol("2025-11-01", "2024-11-01", True)]
    coverage_table._dates_by_other_rows(d, row, "2022-10-02")
    assert (row[0]["effective_date"], row[0]["expiration_date"]) == (None, None)


def test_a_garbled_date_is_taken_from_another_policys_term_it_is_but_for_one_character() -> None:
    def pol(eff: str | None, exp: str | None, **unread: list[str]) -> dict[str, Any]:
        return {"coverage": "automobile_liability", "policy_number": "BA 1", "effective_date": eff,
                "expiration_date": exp, "_unread": unread, "_conf": {}}

    d = coverage_table.Draft(Page(_gl_page("POLICY EFF", "POLICY EXP")))
    term = ("2026-05-12", "2027-05-12")
    rows = [pol(*term),
            # A 1 read as a 4, with the expiration read; both garbled, each a character off.
            pol(None, "2027-05-12", effective_date=["05-42-2026 05/422026-"]),
            pol(None, None, effective_date=["O5 12 2O26"], expiration_date=["05/12/2O21"]),
            # Two characters off, or the read date is another term's: nothing is taken.
            pol(None, "2027-05-12", effective_date=["05-43-2025"]),
            pol(None, "2027-06-12", effective_date=["05-42-2026"])]
    coverage_table._garbled_dates_by_other_rows(d, rows)
    assert [(p["effective_date"], p["expiration_date"]) for p in rows] == [
        term, term, term, (None, "2027-05-12"), (None, "2027-06-12")]
    assert sum("the term of another policy" in w for w in d.warnings) == 2
    assert [bool(p["_unread"]) for p in rows] == [False, False, False, True, True]


def test_a_garbled_date_fitting_two_terms_is_not_taken() -> None:
    rows = [{"coverage": "general_liability", "policy_number": "G", "effective_date": eff,
             "expiration_date": exp, "_unread": {}, "_conf": {}}
            for eff, exp in (("2026-05-12", "2027-05-12"), ("2026-05-13", "2027-05-13"))]
    rows.append({"coverage": "other", "policy_number": "O", "effective_date": None, "expiration_date": None,
                 "_unread": {"effective_date": ["05/1?/2026"], "expiration_date": ["05/1?/2027"]},
                 "_conf": {}})
    d = coverage_table.Draft(Page(_gl_page("POLICY EFF", "POLICY EXP")))
    coverage_table._garbled_dates_by_other_rows(d, rows)
    assert (rows[2]["effective_date"], rows[2]["expiration_date"]) == (None, None)


def test_an_insurer_letter_read_unsurely_is_taken_when_a_second_read_agrees() -> None:
    page = _gl_page("POLICY EFF", "POLICY EXP")

    def reader(second: str) -> coverage_table.Reread:
        def again(box: tuple[float, float, float, float], kind: str) -> Word | None:
            if kind == "letter":
                return Word("A", *box, 0.43)  # below the confidence a lone glyph needs
            if kind == "text":
                return Word(second, *box, 0.96)
            return None
        return again

    (gl,) = read_acord25(page, reread=reader("A"))["policies"]
    assert gl["insurer_letter"] == "A"
    (gl,) = read_acord25(page, reread=reader("4"))["policies"]
    assert gl["insurer_letter"] is None


def test_an_unread_insurer_letter_is_read_again_inside_the_blocks_rules() -> None:
    # The block's top rule runs 3 pt above the policy number's line: a crop reaching over it
    # makes one blot of rule and letter, which reads as nothing.
    page = _gl_page("POLICY EFF", "POLICY EXP")
    page.rules.append(Rule(30.0, 275.0, 582.0, 275.5))
    tops: list[float] = []

    def again(box: tuple[float, float, float, float], kind: str) -> Word | None:
        if kind != "letter":
            return None
        tops.append(box[1])
        return Word("B", *box, 0.95) if box[1] > 275.5 else None

    (gl,) = read_acord25(page, reread=again)["policies"]
    assert gl["insurer_letter"] == "B"
    assert tops and all(275.5 < t < 278 for t in tops)
    # A scan's word box reaching over the rule (its top above the rule's) changes nothing.
    page.words[:] = [Word(w.text, w.x0, w.top - 3.5, w.x1, w.bottom, w.conf) if w.text == "CGL-1234567"
                     else w for w in page.words]
    tops.clear()
    (gl,) = read_acord25(page, reread=again)["policies"]
    assert gl["insurer_letter"] == "B"


def test_a_garbled_date_is_read_again_on_its_own_line_not_the_whole_block() -> None:
    page = _dated_page([Word("05/22/2026", 333, 278, 372, 283, 0.9)],
                       [Word("05'2):2027", 378, 278, 416, 283, 0.1)])
    boxes: list[tuple[float, float, float, float]] = []

    def again(box: tuple[float, float, float, float], kind: str) -> Word | None:
        boxes.append(box)
        # A crop of the mostly blank block reads nothing; the line's own reads the date.
        return Word("05/22/2027", *box, 0.8) if kind == "date" and box[3] - box[1] < 20 else None

    (gl,) = read_acord25(page, reread=again)["policies"]
    assert gl["expiration_date"] == "2027-05-22"
    assert boxes[0][1] <= 278 and boxes[0][3] >= 283


def test_the_wc_rows_mention_of_the_description_box_is_not_its_label() -> None:
    words = [*scan_line("If yes, describe under", 50, 486),
             *scan_line("DESCRIPTION OF OPERATIONS below", 50, 491),
             # The box's own label: its first word misread and set on a line of its own.
             Word("/CESCRIPTION", 30.5, 523.5, 65.5, 533.5, 0.43),
             *scan_line("OF OPERATIONS / LOCATIONS / VEHICLES", 67, 521.8),
             *scan_line("Re: Contract 35041", 36, 538)]
    page = Page(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words))
    label = coverage_table.description_label(page)
    assert label is not None and label.top == 523.5
    # Without a misread label lower down, the mention is all there is.
    page = Page(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words[:8]))
    label = coverage_table.description_label(page)
    assert label is not None and label.top == 491


def test_an_other_rows_name_the_scan_garbled_is_not_invented() -> None:
    def page_with(name: list[Word]) -> PageWords:
        page = _gl_page("POLICY EFF", "POLICY EXP")
        words = [w for w in page.words if w.top != 278] + [
            *name, Word("EPL3688152", 222, 278, 262, 283, 0.9), Word("10/01/2026", 333, 278, 372, 283, 0.9),
            Word("10/01/2027", 378, 278, 416, 283, 0.9), Word("LIMIT", 425, 278, 445, 283, 0.9),
            Word("$250,000", 540, 278, 575, 283, 0.9)]
        return PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words, rules=page.rules)

    garbled = [Word(t, x, 278, x + 18, 283, c) for t, x, c in
               (("Exp", 60, 0.4), ("3", 80, 0.86), ("Liab", 92, 0.45), ("Plasma", 112, 0.57),
                ("ade", 132, 0.72))]
    draft = read_acord25(page_with(garbled))
    (pol,) = draft["policies"]
    assert pol["coverage"] == "other" and pol["coverage_name"] is None
    assert any("not readable" in w for w in draft["warnings"])
    # One unsure word in a name read otherwise clearly is kept ("Cyber Liability" [0.91, 0.42]).
    clear = [Word("Cyber", 60, 278, 80, 283, 0.91), Word("Liability", 84, 278, 120, 283, 0.42)]
    (pol,) = read_acord25(page_with(clear))["policies"]
    assert pol["coverage_name"] == "Cyber Liability"
    # A name spelt out in the words of insurance lines is kept however unsure each word was.
    spelt = [Word(t, x, 278, x + 30, 283, c) for t, x, c in
             (("Employment", 60, 0.5), ("Practices", 92, 0.45), ("Liability-", 124, 0.55),
              ("Occurrence", 156, 0.5))]
    (pol,) = read_acord25(page_with(spelt))["policies"]
    assert pol["coverage_name"] == "Employment Practices Liability- Occurrence"


def _wc_page(label_lines: list[tuple[str, float, float]], mark: bool) -> PageWords:
    lines = [("TYPE OF INSURANCE", 89, 254), ("POLICY NUMBER", 253, 254), ("POLICY EFF", 339, 254),
             ("POLICY EXP", 384, 254), ("LIMITS", 493, 254),
             ("WORKERS COMPENSATION", 50, 452), ("WCA2972770", 222, 452), ("03/09/2026", 333, 452),
             ("03/09/2027", 378, 452), ("E.L. EACH ACCIDENT", 423, 464), ("$500,000", 540, 464),
             *label_lines]
    page = scan_page(lines, [Rule(x, 250.0, x + 0.5, 500.0) for x in _COLS])
    if mark:
        page.words.append(Word("X", 423.4, 452.2, 431.3, 459.8, 0.9))
    return page


def test_a_statute_box_marked_whose_label_the_scan_lost_is_the_wc_limits_cells_first_mark() -> None:
    lost = [("OTH-", 485, 451), ("ER", 485, 456.5)]
    (wc,) = read_acord25(_wc_page(lost, mark=True))["policies"]
    assert wc["statutory"] is True
    (wc,) = read_acord25(_wc_page(lost, mark=False))["policies"]
    assert not wc["statutory"]


def test_a_statute_box_is_judged_again_inside_the_limits_cell() -> None:
    # "WC STATU-" / "TORY LIMITS" read, the mark not: the box is judged from its pixels, on a crop
    # that keeps the column's rule (418.8 pt) out.
    label = [("WC STATU-", 436, 451.4), ("TORY LIMITS", 436, 456.5), ("OTH-", 485, 451)]
    page = _wc_page(label, mark=False)
    regions: list[tuple[float, float, float, float]] = []

    def again(box: tuple[float, float, float, float], kind: str) -> Word | None:
        if kind != "checkbox":
            return None
        regions.append(box)
        return Word("X" if box[0] > 419.3 else "", *box, 0.9)

    (wc,) = read_acord25(page, reread=again)["policies"]
    assert wc["statutory"] is True
    assert regions and all(r[0] > 419.3 for r in regions)


def test_a_statute_box_whose_label_and_mark_were_lost_is_judged_at_the_start_of_oth_ers_row() -> None:
    # Only "OTH" / "ER" read in the WC limits cell's first row: the statute box is at its left edge.
    page = _wc_page([("OTH", 484.6, 451.2), ("ER", 484.8, 456.5)], mark=False)
    regions: list[tuple[float, float, float, float]] = []

    def again(marked: bool) -> Callable[[tuple[float, float, float, float], str], Word | None]:
        def read(box: tuple[float, float, float, float], kind: str) -> Word | None:
            if kind != "checkbox":
                return None
            regions.append(box)
            return Word("X" if marked else "", *box, 0.9)
        return read

    (wc,) = read_acord25(page, reread=again(True))["policies"]
    assert wc["statutory"] is True
    assert regions and all(r[0] > 418.8 and r[2] < 484.6 and r[1] < 452 and r[3] > 459 for r in regions)
    (wc,) = read_acord25(page, reread=again(False))["policies"]
    assert not wc.get("statutory")
    # Without OTH-ER's label nothing says where the row is.
    (wc,) = read_acord25(_wc_page([], mark=False), reread=again(True))["policies"]
    assert not wc.get("statutory")


def test_a_garbled_flag_is_read_again_in_a_row_whose_number_a_blot_hid() -> None:
    # An ink blot over the policy number: the row still prints its dates, and its SUBR WVD "Y"
    # read as "¢" is read again like any garbled flag.
    lines = [("TYPE OF INSURANCE", 89, 254), ("ADDL", 184, 254), ("SUBR", 201, 254),
             ("POLICY NUMBER", 253, 254), ("POLICY EFF", 339, 254), ("POLICY EXP", 384, 254),
             ("LIMITS", 493, 254), ("COMMERCIAL GENERAL LIABILITY", 60, 278), ("¢", 205, 280),
             ("05/22/2026", 333, 278), ("05/22/2027", 378, 278),
             ("EACH OCCURRENCE", 425, 278), ("$1,000,000", 536, 278)]
    page = scan_page(lines, [Rule(x, 250.0, x + 0.5, 350.0) for x in (*_COLS, 199.0)])
    kinds: list[str] = []

    def again(box: tuple[float, float, float, float], kind: str) -> Word | None:
        kinds.append(kind)
        return Word("Y", *box, 0.9) if kind == "flag" and box[0] > 198 else None

    (gl,) = read_acord25(page, reread=again)["policies"]
    assert gl["policy_number"] is None and gl["effective_date"] == "2026-05-22"
    assert gl["waiver_of_subrogation"] is True
    assert "flag" in kinds


def test_a_flag_that_reads_as_no_letter_even_alone_is_unknown_not_false() -> None:
    lines = [("TYPE OF INSURANCE", 89, 254), ("ADDL", 184, 254), ("SUBR", 201, 254),
             ("POLICY NUMBER", 253, 254), ("POLICY EFF", 339, 254), ("POLICY EXP", 384, 254),
             ("LIMITS", 493, 254), ("COMMERCIAL GENERAL LIABILITY", 60, 278), ("Waus", 184, 280),
             ("N", 205, 280), ("CGL-1234567", 222, 278), ("05/22/2026", 333, 278), ("05/22/2027", 378, 278),
             ("EACH OCCURRENCE", 425, 278), ("$1,000,000", 536, 278)]
    page = scan_page(lines, [Rule(x, 250.0, x + 0.5, 350.0) for x in (*_COLS, 199.0)])
    draft = read_acord25(page, reread=lambda box, kind: None)
    (gl,) = draft["policies"]
    assert gl["additional_insured"] is None and gl["waiver_of_subrogation"] is False
    assert any("additional_insured read as 'Waus'" in w for w in draft["warnings"])
    # The cell's side rule read beside the letter ("IY"), the letter doubled ("YY") or a speck
    # beside it ("EN") leave the letter readable, as does a Y read as a yen sign; the rule alone
    # ("I") is an empty cell.
    for read, want in (("IY", True), ("YY", True), ("EN", False), ("I", False), ("¥", True)):
        page = scan_page([(t, x, y) if t != "Waus" else (read, x, y) for t, x, y in lines],
                         [Rule(x, 250.0, x + 0.5, 350.0) for x in (*_COLS, 199.0)])
        (gl,) = read_acord25(page, reread=lambda box, kind: None)["policies"]
        assert gl["additional_insured"] is want, read


def test_a_flag_the_page_lost_and_a_second_read_doubts_is_unknown_not_false() -> None:
    # The ADDL INSD "Y" the page pass dropped, read alone as "Y" but unsurely: the cell holds a
    # letter, so it is not the empty cell that means no.
    lines = [("TYPE OF INSURANCE", 89, 254), ("ADDL", 184, 254), ("SUBR", 201, 254),
             ("POLICY NUMBER", 253, 254), ("POLICY EFF", 339, 254), ("POLICY EXP", 384, 254),
             ("LIMITS", 493, 254), ("COMMERCIAL GENERAL LIABILITY", 60, 278), ("N", 205, 280),
             ("CGL-1234567", 222, 278), ("05/22/2026", 333, 278), ("05/22/2027", 378, 278),
             ("EACH OCCURRENCE", 425, 278), ("$1,000,000", 536, 278)]
    page = scan_page(lines, [Rule(x, 250.0, x + 0.5, 350.0) for x in (*_COLS, 199.0)])

    def again(conf: float) -> Callable[[tuple[float, float, float, float], str], Word | None]:
        return lambda box, kind: Word("Y", *box, conf) if kind == "flag" and box[0] < 198 else None

    draft = read_acord25(page, reread=again(0.52))
    (gl,) = draft["policies"]
    assert gl["additional_insured"] is None and gl["waiver_of_subrogation"] is False
    assert any("additional_insured read as 'Y (unsure)'" in w for w in draft["warnings"])
    (gl,) = read_acord25(page, reread=again(0.9))["policies"]
    assert gl["additional_insured"] is True
    # Nothing found in the cell at all: empty, so no.
    (gl,) = read_acord25(page, reread=lambda box, kind: None)["policies"]
    assert gl["additional_insured"] is False


def test_a_doubted_policy_number_read_again_across_its_column_gains_a_lost_prefix() -> None:
    base = _gl_page("POLICY EFF", "POLICY EXP")
    doubted = Word("624108-64", 230.4, 278, 270.7, 283, 0.0)
    words = [doubted if w.text == "CGL-1234567" else w for w in base.words]
    page = PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words, rules=base.rules)

    def reader(text: str) -> coverage_table.Reread:
        def again(box: tuple[float, float, float, float], kind: str) -> Word | None:
            return Word(text, *box, 0.87) if kind == "text" and box[0] < 230 else None
        return again

    (gl,) = read_acord25(page, reread=reader("XS 624108-64"))["policies"]
    assert gl["policy_number"] == "XS 624108-64"
    # A re-read with other digits, or that drops part of the first reading, is not taken.
    for other in ("XS 624106-64", "XS 624108", "624108-64"):
        (gl,) = read_acord25(page, reread=reader(other))["policies"]
        assert gl["policy_number"] == "624108-64", other


def test_blocks_part_at_rules_across_two_of_the_number_and_date_columns() -> None:
    # Columns as on the 2014/01 edition. The rule at 150 lost its piece under the policy number
    # (an ink blot over the number); the one at 180 underlines the number column alone.
    cols = {"type": (47.0, 182.0), "number": (216.0, 331.0), "eff": (331.0, 376.0), "exp": (376.0, 421.0)}
    rules = [Rule(29.0, 99.8, 583.0, 100.2), Rule(29.0, 199.8, 583.0, 200.2),
             Rule(29.0, 149.8, 250.0, 150.2), Rule(300.0, 149.8, 583.0, 150.2),
             Rule(216.0, 179.8, 331.0, 180.2)]
    page = Page(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=[], rules=rules))
    assert coverage_table._block_rules(page, cols, 95.0, 205.0) == [100.0, 150.0, 200.0]


def test_column_rules_whose_upper_ends_a_photo_lost_are_found_lower_down() -> None:
    # Only four rules reach the header row (the photo's blurred top lost the others' upper
    # ends): the first block's lines show all eight.
    page = _gl_page("POLICY EFF", "POLICY EXP", rules=False)
    reach = {30.0, 372.5, 418.8, 582.0}
    rules = [Rule(x, 250.0 if x in reach else 270.0, x + 0.5, 350.0) for x in _COLS]
    page = PageWords(number=1, width=612.0, height=792.0, method="ocr", words=page.words, rules=rules)
    (gl,) = read_acord25(page)["policies"]
    assert (gl["policy_number"], gl["effective_date"], gl["expiration_date"]) == (
        "CGL-1234567", "2026-05-22", "2027-05-22")


def test_a_lone_digit_at_the_number_columns_edge_is_not_the_policy_number() -> None:
    # What is left of the column's rule, read as "1" at the block's top, above the number.
    page = _gl_page("POLICY EFF", "POLICY EXP")
    words = [*page.words, Word("1", 319.0, 268.0, 322.0, 273.0, 0.6)]
    rules = [*page.rules, *(Rule(30.0, y, 582.0, y + 0.5) for y in (265.0, 345.0))]
    (gl,) = read_acord25(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words,
                                   rules=rules))["policies"]
    assert gl["policy_number"] == "CGL-1234567"


def test_the_description_labels_top_is_its_words_not_a_speck_above_one() -> None:
    # "DESCRIPTION" boxed 8 pt taller than the rest of its label: its top sat in the table's last
    # row, and the table ended above that row's policy.
    words = [Word("DESCRIPTION", 30.5, 505.2, 65.8, 518.2, 0.47), Word("OF", 67.4, 510.2, 74.4, 514.3, 0.96),
             Word("OPERATIONS", 76.1, 510.2, 108.7, 514.3, 0.93), Word("/", 110.2, 510.2, 111.8, 514.3, 0.92),
             Word("LOCATIONS", 113.3, 510.2, 142.6, 514.3, 0.86), Word("/", 144.0, 510.2, 145.7, 514.3, 0.75),
             Word("VEHICLES", 147.1, 506.6, 171.4, 514.3, 0.97)]
    label = coverage_table.description_label(Page(PageWords(number=1, width=612.0, height=792.0, method="ocr",
                                                             words=words)))
    assert label is not None and label.top == 510.2 and label.x0 == 30.5


def test_a_lone_date_a_year_out_of_force_on_the_certificates_date_is_not_kept() -> None:
    def pol(eff: str | None, exp: str | None) -> dict[str, Any]:
        return {"coverage": "general_liability", "policy_number": "P-1", "effective_date": eff,
                "expiration_date": exp}

    d = coverage_table.Draft(Page(_gl_page("POLICY EFF", "POLICY EXP")))
    rows = [pol(None, "2021-03-28"), pol("2026-03-28", "2027-03-28"), pol(None, "2027-03-28"),
            pol("2028-01-02", None)]
    coverage_table._lone_dates_checked(d, rows, "2026-06-15")
    assert [(p["effective_date"], p["expiration_date"]) for p in rows] == [
        (None, None), ("2026-03-28", "2027-03-28"), (None, "2027-03-28"), (None, None)]
    assert sum("more than a year from the certificate's date" in w for w in d.warnings) == 2
    # No policy's term holds the certificate's date: that date may be the misread one.
    rows = [pol(None, "2021-03-28"), pol("2026-03-28", "2027-03-28")]
    coverage_table._lone_dates_checked(d, rows, "2024-06-15")
    assert rows[0]["expiration_date"] == "2021-03-28"


def test_an_amount_that_overran_the_forms_edge_is_still_the_rows_limit() -> None:
    # A one-line 'other' row ("... / Retention $2,500") printed past the form's right rule.
    lines = [("TYPE OF INSURANCE", 89, 254), ("POLICY NUMBER", 253, 254), ("POLICY EFF", 330, 254),
             ("POLICY EXP", 376, 254), ("LIMITS", 493, 254), ("Pollution Liability", 50, 278),
             ("93IM775137", 222, 278), ("01/26/2026", 333, 278), ("01/26/2027", 378, 278),
             ("Aggregate 2,000,000", 425, 278), ("Retention", 540, 278), ("2,500", 590, 278)]
    (pol,) = read_acord25(scan_page(lines, [Rule(x, 250.0, x + 0.5, 350.0) for x in _COLS]))["policies"]
    assert pol["limits"] == {"aggregate": 2_000_000, "retention": 2500}


def test_umbrella_or_excess_boxes_a_point_from_the_columns_rule_are_judged_apart_from_it() -> None:
    # The TYPE column's rule runs a point left of the two boxes: in the crop it made one cluster
    # with each box, neither box could be judged, and the marked EXCESS block was read as umbrella.
    s = 300 / 72
    img = Image.new("L", (round(200 * s), round(60 * s)), 255)
    draw = ImageDraw.Draw(img)
    draw.line((47.8 * s, 0, 47.8 * s, img.height), fill=0, width=4)
    for top, marked in ((15.0, False), (27.0, True)):
        box = (49.6 * s, top * s, 57.6 * s, (top + 8) * s)
        draw.rectangle(box, outline=0, width=4)
        if marked:
            draw.line((box[0] + 6, box[1] + 16, box[0] + 14, box[3] - 6), fill=0, width=6)
            draw.line((box[0] + 14, box[3] - 6, box[2] - 5, box[1] + 5), fill=0, width=6)
    image = PageImage(number=1, image=img, dpi=300.0)
    words = [*scan_line("UMBRELLA LIAB", 60.0, 17.0), *scan_line("EXCESS LIAB", 60.0, 29.0)]
    page = Page(PageWords(number=1, width=200.0, height=60.0, method="ocr", words=words))
    d = coverage_table.Draft(page, reread=lambda box, kind: reread.reread(image, box, kind))  # type: ignore[arg-type]
    assert coverage_table._umbrella_or_excess(d, Box(47.64, 5.0, 182.0, 55.0)) == "excess_liability"


def test_two_other_coverages_on_one_row_are_two_policies_each_with_its_own_name_and_limits() -> None:
    # The real ACORD 25 (2014/01) scan: "C Professional Liability" over "D 3rd Party Crime" in the
    # block under workers' comp, each line with its number, dates and limits written as text.
    lines = [("TYPE OF INSURANCE", 89, 254), ("POLICY NUMBER", 253, 254), ("POLICY EFF", 330, 254),
             ("POLICY EXP", 376, 254), ("LIMITS", 493, 254),
             ("C", 36, 278), ("Professional Liability", 50, 278), ("D95854618", 222, 278),
             ("02/05/2022", 333, 278), ("02/05/2023", 378, 278),
             ("$1 000 000 Occurrence / $1 000 000 Aggregate", 420, 278),
             ("D", 36, 287), ("3rd Party Crime", 50, 287), ("13TP0371595", 222, 287),
             ("02/05/2022", 333, 287), ("02/05/2023", 378, 287),
             ("$5 000 000 Occurrence / $5 000 000 Aggregate", 420, 287)]
    draft = read_acord25(scan_page(lines, [Rule(x, 250.0, x + 0.5, 350.0) for x in _COLS]))
    assert [(p["insurer_letter"], p["coverage_name"], p["policy_number"], p["limits"])
            for p in draft["policies"]] == [
        ("C", "Professional Liability", "D95854618", {"occurrence": 1_000_000, "aggregate": 1_000_000}),
        ("D", "3rd Party Crime", "13TP0371595", {"occurrence": 5_000_000, "aggregate": 5_000_000}),
    ]

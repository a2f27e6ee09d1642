"""The layout reader on OCR words as a scan gives them: misread labels, lost letters, specks.

Pages are built word by word (no Tesseract), so each test states the misreading it exercises.
"""

from __future__ import annotations

from coibot.extract import coverage_table
from coibot.extract.acord25 import is_acord25, read_acord25
from coibot.extract.layout import Box, Page, marked_before
from coibot.extract.limits_table import key_for, read_limits
from coibot.extract.words import PageWords, Rule, Word
from tests.support.scan_words import scan_line, scan_page

_INSURER_NAMES = ["Prairie Fire Casualty Co.", "Red Cedar Specialty Co.", "Sierra Crest Underwriters Inc."]


def test_insurer_labels_misread_or_without_their_i_are_known_by_their_place() -> None:
    # "NSURERA:" lost its I, "INSURER 6:" read B as 6, "INSURER o" D as o (scan_009's reading).
    labels = ["NSURERA:", "INSURER 6:", "NSURERC:", "INSURER o", "INSURER E", "INSURER F"]
    lines = [("THE ISSUING INSURER(S), THE AUTHORIZED", 254, 67),  # the disclaimer: no label
             ("INSURER(S) AFFORDING COVERAGE", 370, 146), ("NAIC #", 546, 146)]
    # As unevenly spaced as a scan's rows read (9.7 to 12.4 pt apart).
    for i, (label, y) in enumerate(zip(labels, (162.0, 172.1, 184.1, 194.2, 206.2, 216.2), strict=True)):
        lines.append((label, 308, y))
        if i < 3:
            lines += [(_INSURER_NAMES[i], 347, y), (f"{23117 + i}", 541, y)]
    draft = read_acord25(scan_page(lines))
    assert [(i["letter"], i["name"], i["naic"]) for i in draft["insurers"]] == [
        ("A", _INSURER_NAMES[0], "23117"), ("B", _INSURER_NAMES[1], "23118"),
        ("C", _INSURER_NAMES[2], "23119"),
    ]


def test_insurer_labels_whose_in_reads_as_one_letter_are_labels() -> None:
    # "WSURER A": the label's IN read as a W; "WSURER O" read D as O too.
    labels = ["WSURER A", "INSURER B", "INSURER C", "WSURER O", "INSURER E", "INSURER F"]
    lines = [("INSURER(S) AFFORDING COVERAGE", 370, 146), ("NAIC #", 546, 146)]
    for i, (label, y) in enumerate(zip(labels, (162.0, 173.0, 184.0, 195.0, 206.0, 217.0), strict=True)):
        lines.append((label, 308, y))
        if i in (0, 1, 3):
            lines += [(_INSURER_NAMES[min(i, 2)], 347, y), (f"{23117 + i}", 541, y)]
    draft = read_acord25(scan_page(lines))
    assert [(i["letter"], i["name"], i["naic"]) for i in draft["insurers"]] == [
        ("A", _INSURER_NAMES[0], "23117"), ("B", _INSURER_NAMES[1], "23118"),
        ("D", _INSURER_NAMES[2], "23120"),
    ]


def test_insurer_letters_by_place_need_the_read_ones_to_agree() -> None:
    # Two labels read A and C one row apart contradict each other: no letter is made up from them.
    lines = [("NAIC #", 546, 146), ("INSURER A", 308, 157), ("Alpha Co.", 347, 157),
             ("INSURER C", 308, 168), ("Gamma Co.", 347, 168),
             ("INSURER 8", 308, 179), ("Beta Co.", 347, 179)]
    draft = read_acord25(scan_page(lines))
    assert [i["letter"] for i in draft["insurers"]] == ["A", "C"]


def test_a_speck_on_an_empty_insurer_row_is_no_insurer() -> None:
    lines = [("NAIC #", 546, 146), ("INSURER A", 308, 157), ("Alpha Co.", 347, 157), ("12345", 541, 157),
             ("INSURER B", 308, 168), ("Il", 400, 168)]
    draft = read_acord25(scan_page(lines))
    assert [i["letter"] for i in draft["insurers"]] == ["A"]


def test_description_box_label_misread_is_not_taken_from_the_wc_row() -> None:
    # The WC row's "describe under DESCRIPTION OF OPERATIONS below" reads cleanly; the box's own
    # label does not ("LESCRIPTION ... VEMICLES").
    lines = [
        ("If yes, describe under", 50, 480), ("DESCRIPTION OF OPERATIONS below", 50, 487),
        ("LESCRIPTION OF OPERATIONS / LOCATIONS / VEMICLES", 32, 517),
        ("Re: Job #17208 parking lot resurfacing", 35, 532),
    ]
    draft = read_acord25(scan_page(lines))
    assert draft["description_of_operations"] == "Re: Job #17208 parking lot resurfacing"


def test_coverage_headings_misread_by_a_letter_still_name_the_coverage() -> None:
    assert coverage_table._kind("xumbrellalaboccur", ocr=True) == "umbrella"
    assert coverage_table._kind("automobileuability", ocr=True) == "automobile_liability"
    assert coverage_table._kind("xumbrellalaboccur", ocr=False) is None
    # A short text is contained in many headings: it names none.
    assert coverage_table._kind("auto", ocr=True) is None
    assert coverage_table._kind("inlandmarine", ocr=True) is None
    # A heading garbled past recognition: the block's own options tell it.
    words = ["umereita", "was", "occur", "excess", "uas", "aaimsmape", "veo", "retention"]
    assert coverage_table._kind("".join(words), ocr=True, type_words=words) == "umbrella"
    assert coverage_table._kind("professionalliabilityoccurrence", ocr=True,
                                type_words=["professional", "liability", "occurrence"]) is None


def test_limit_labels_misread_by_a_letter_are_known_when_unambiguous() -> None:
    assert key_for("automobile_liability", "COMBINED SINSLE LIMIT", fuzzy=True) == "combined_single_limit"
    assert key_for("automobile_liability", "COMBNED SINSLE LIMIT", fuzzy=True) == "combined_single_limit"
    assert key_for("automobile_liability", "COMBNED SINSLE LIMIT") is None
    assert key_for("workers_compensation", "EL EACH ACCIDEMT", fuzzy=True) == "el_each_accident"
    # Nothing near enough to one label: no key.
    assert key_for("general_liability", "Ea ace ches", fuzzy=True) is None


def test_a_label_line_below_an_amount_names_the_nearer_amount() -> None:
    # Scanned amounts box taller than their labels ("$" and "," reach down): the row below's
    # "PROPERTY DAMAGE" falls in the cell of the amount above it, but is nearer its own.
    words = [
        *scan_line("BODILY INJURY (Per person)", 425, 360.2, h=4),
        Word("$500,000", 540, 360, 577, 368.2, 0.96),
        *scan_line("BODILY INJURY (Per accident)", 425, 371.5, h=4),
        Word("$1,000,000", 533, 371.5, 577, 379.7),
        *scan_line("PROPERTY DAMAGE", 425, 382.8, h=3.8), Word("$100,000", 540, 383.0, 577, 391.2, 0.97),
        *scan_line("(Per accident)", 425, 387.6, h=4),
    ]
    pw = PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words)
    limits, _, warnings = read_limits(Page(pw), Box(423, 346, 582, 415), "automobile_liability")
    assert limits == {"bodily_injury_per_person": 500_000, "bodily_injury_per_accident": 1_000_000,
                      "property_damage": 100_000}
    assert warnings == []


def test_a_mark_is_neither_part_of_a_label_nor_a_mark_across_a_ruling_line() -> None:
    # "X UMBRELLA LAB": the box's X before a misread label; a B in the letter column read as "X",
    # left of the column's rule, is no mark of EXCESS LIAB.
    words = [Word("X", 49.2, 417.4, 57.1, 425.3, 0.9), *scan_line("UMBRELLA LAB", 60, 419.5),
             Word("X", 36.5, 430.6, 41.3, 436.8, 0.9), *scan_line("EXCESS LIAB", 60, 430.8)]
    pw = PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words,
                   rules=[Rule(47.4, 250.0, 47.9, 520.0)])
    page = Page(pw)
    umb = page.find_first("UMBRELLA LIAB")
    exc = page.find_first("EXCESS LIAB")
    assert umb is not None and umb.x0 == 60 and exc is not None
    assert marked_before(page, umb) is True
    assert marked_before(page, exc) is False


def test_an_acord_page_whose_insurer_labels_lost_their_i_is_still_recognised() -> None:
    common = [("CERTIFICATE OF LIABILITY INSURANCE", 132, 38), ("PRODUCER", 29, 112),
              ("POLICY NUMBER", 256, 254), ("CERTIFICATE HOLDER", 32, 680)]
    insurers = [("NSURERA:", 308, 161), ("NSURERB:", 308, 171)]
    assert is_acord25(scan_page([*common, *insurers]))
    assert not is_acord25(scan_page([*common, insurers[0]]))


def _table_page(exp_heading: str = "POLICY EXP", number: str = "CGL-1234567",
                type_heading: str = "TYPE OF INSURANCE") -> PageWords:
    return scan_page([
        (type_heading, 85, 252.7), ("POLICY NUMBER", 249, 252.7), ("POLICY EFF", 331, 252.7),
        (exp_heading, 381, 252.7), ("LIMITS", 493, 252.7),
        ("COMMERCIAL GENERAL LIABILITY", 60, 278), (number, 218, 278), ("05/22/2026", 333, 278),
        ("05/22/2027", 382, 278), ("EACH OCCURRENCE", 425, 278), ("$1,000,000", 536, 278),
    ], rules=[Rule(x, 250.0, x + 0.5, 350.0) for x in (30.0, 47.6, 182.0, 216.6, 337.5, 380.0, 422.8, 582.0)])


def test_a_misread_policy_exp_heading_is_the_column_between_eff_and_limits() -> None:
    (gl,) = read_acord25(_table_page(exp_heading="POUCYEXe"))["policies"]
    assert (gl["policy_number"], gl["effective_date"], gl["expiration_date"]) == (
        "CGL-1234567", "2026-05-22", "2027-05-22")
    assert gl["limits"] == {"each_occurrence": 1_000_000}


def test_a_misread_insurance_heading_is_found_from_type_of_beside_policy_number() -> None:
    # A photo's "TYPE OF INSURANCE" read "TYPE OF welimanre": the whole table hung on that word.
    (gl,) = read_acord25(_table_page(type_heading="TYPE OF welimanre"))["policies"]
    assert (gl["coverage"], gl["policy_number"], gl["expiration_date"]) == (
        "general_liability", "CGL-1234567", "2027-05-22")


def test_letters_alone_in_the_policy_number_column_are_no_number() -> None:
    # A flag, a heading or a smudge the column caught ("T", "AUTOMOBILE LIABILITY"): every number
    # has a digit, so the scan's reading is left unread rather than reported as the number.
    draft = read_acord25(_table_page(number="AUTOMOBILE"))
    (gl,) = draft["policies"]
    assert gl["policy_number"] is None and gl["effective_date"] == "2026-05-22"
    assert any("has no digit" in w for w in draft["warnings"])


def test_dollar_signs_and_commas_a_scan_misread() -> None:
    # The "$" at the left of the amount's cell read as "5", and commas read as dots.
    words = [*scan_line("EACH OCCURRENCE", 421, 266), Word("5", 510, 266, 514, 271, 0.8),
             Word("2.000.000", 532, 266, 577, 271, 0.7),
             *scan_line("GENERAL AGGREGATE", 421, 300), Word("$s", 508, 300, 515, 305, 0.3),
             Word("4,000.000", 536, 300, 577, 305, 0.7)]
    pw = PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words)
    limits, _, _ = read_limits(Page(pw), Box(419, 260, 582, 320), "general_liability")
    assert limits == {"each_occurrence": 2_000_000, "general_aggregate": 4_000_000}


def test_the_coverages_heading_ends_the_insured_block_when_its_rule_is_lost() -> None:
    lines = [("INSURED", 30, 157), ("Redstone Concrete Works, Inc.", 51, 171), ("9899 Main Street", 50, 181),
             ("Richmond, VA 23219", 51, 191), ("COVERAGES CERTIFICATE NUMBER: 3281", 32, 227),
             ("THE POLICIES BELOW HAVE BEEN ISSUED TO THE INSURED", 35, 238)]
    draft = read_acord25(scan_page(lines))
    assert draft["insured"] == {"name": "Redstone Concrete Works, Inc.",
                                "address": "9899 Main Street, Richmond, VA 23219"}


def test_a_date_whose_slashes_the_scan_lost() -> None:
    words = [Word("05", 379.2, 431.0, 385.4, 435.4, 0.96), Word("29", 391.2, 430.8, 397.4, 435.1, 0.96),
             Word("2026", 403.2, 426.7, 421.4, 435.4, 0.43)]
    assert "05/29/2026" in coverage_table.date_candidates(words)
    # Far apart, the same numbers are no date.
    apart = [words[0], Word("29", 420.0, 430.8, 426.2, 435.1, 0.96), Word("2026", 470.0, 426.7, 488.2, 435.4)]
    assert not any("/" in t for t in coverage_table.date_candidates(apart))


def test_per_statute_misread_still_carries_its_mark() -> None:
    words = [Word("X", 421.7, 451.9, 429.6, 459.8, 0.9), Word("Starure", 432.5, 451.2, 454.6, 460.3, 0.0),
             *scan_line("E.L. EACH ACCIDENT", 421.4, 463.7)]
    page = Page(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words))
    assert coverage_table._statutory(page, Box(420, 440, 582, 480)) is True
    unmarked = Page(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words[1:]))
    assert coverage_table._statutory(unmarked, Box(420, 440, 582, 480)) is False


def test_specks_at_a_policy_numbers_ends_and_a_dash_read_as_a_tilde() -> None:
    (gl,) = read_acord25(_table_page(number="‘GL~2026-32427|"))["policies"]
    assert gl["policy_number"] == "GL-2026-32427"
    (gl,) = read_acord25(_table_page(number="X$8042556"))["policies"]
    assert gl["policy_number"] == "XS8042556"
    (gl,) = read_acord25(_table_page(number="\\'WCA7430796"))["policies"]
    assert gl["policy_number"] == "WCA7430796"


def test_an_amount_that_is_not_round_is_read_again_or_left_out() -> None:
    words = [*scan_line("Each Claim", 423, 499), Word("2,000,060", 462, 499, 488, 503, 0.92),
             *scan_line("Aggregate", 498, 499), Word("2,000,000", 534, 499, 560, 503, 0.77)]
    page = Page(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words))
    box = Box(420, 490, 582, 510)
    limits, _, warnings = read_limits(page, box, "other")
    assert limits == {"aggregate": 2_000_000}
    assert any("not a round amount" in w for w in warnings)

    def again(b: Box, kind: str) -> Word | None:
        return Word("$2,000,000", b.x0, b.top, b.x1, b.bottom, 0.9) if kind == "amount" else None

    limits, _, _ = read_limits(page, box, "other", again)
    assert limits == {"each_claim": 2_000_000, "aggregate": 2_000_000}


def test_a_garbled_other_label_is_the_common_one_it_is_near_or_none() -> None:
    words = [Word("Each", 423, 499, 434, 503, 0.95), Word("Slain", 440, 499, 452, 503, 0.0),
             Word("$1,000,000", 458, 499, 490, 503, 0.9),
             Word("Qxvbn", 498, 499, 520, 503, 0.2), Word("$2,000,000", 534, 499, 560, 503, 0.9)]
    page = Page(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words))
    limits, _, _ = read_limits(page, Box(420, 490, 582, 510), "other")
    assert limits == {"each_claim": 1_000_000}


def test_a_block_rule_the_scan_lost_is_found_between_two_distant_policy_numbers() -> None:
    cols = (30.0, 47.6, 182.0, 216.6, 337.5, 380.0, 422.8, 582.0)
    rules = [Rule(x, 250.0, x + 0.5, 460.0) for x in cols]
    rules += [Rule(30.0, y, 582.0, y + 0.5) for y in (265.0, 346.5, 450.0)]  # none at 415
    page = scan_page([
        ("TYPE OF INSURANCE", 85, 252.7), ("POLICY NUMBER", 249, 252.7), ("POLICY EFF", 339, 252.7),
        ("POLICY EXP", 384, 252.7), ("LIMITS", 493, 252.7),
        ("COMMERCIAL GENERAL LIABILITY", 60, 278), ("CGL-1234567", 218, 278),
        ("AUTOMOBILE LIABILITY", 50, 350), ("ANY AUTO", 60, 361), ("JTM-998-826479", 222, 361),
        ("HIRED AUTOS ONLY", 60, 387), ("COMBINED SINGLE LIMIT", 425, 350), ("$500,000", 540, 350),
        ("UMBRELLA LIAB", 60, 419), ("OCCUR", 134, 419), ("EXCESS LIAB", 60, 430),
        ("XS9477266", 222, 430), ("11/23/2025", 340, 430), ("11/23/2026", 382, 430),
        ("EACH OCCURRENCE", 425, 418), ("$2,000,000", 536, 418),
    ], rules=rules)
    got = [(p["coverage"], p["policy_number"], p["effective_date"]) for p in read_acord25(page)["policies"]]
    assert got == [("general_liability", "CGL-1234567", None),
                   ("automobile_liability", "JTM-998-826479", None),
                   ("umbrella_liability", "XS9477266", "2025-11-23")]


def test_a_tick_read_as_letters_is_no_part_of_the_statute_label() -> None:
    # "Vv)" (the tick) on STATUTE's line: the box is looked for left of PER STATUTE, not of it.
    words = [*scan_line("PER", 434.2, 451.2, h=4), Word("Vv)", 424.3, 454.1, 430.3, 459.1, 0.2),
             *scan_line("STATUTE", 434.2, 456.5, h=4)]
    page = Page(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words))
    seen: list[tuple[float, float, float, float]] = []

    def again(box: tuple[float, float, float, float], kind: str) -> Word | None:
        seen.append(box)
        return Word("X", *box, 0.9) if kind == "checkbox" and box[2] <= 434.2 and box[2] > 430.3 else None

    draft = coverage_table.Draft(page, reread=again)
    assert coverage_table._statutory(page, Box(420, 440, 582, 480), draft) is True


def test_contact_name_without_its_label_is_known_by_where_the_values_start() -> None:
    # CONTACT NAME lost; the e-mail printed as "certs" "@meridianrisk.com", the phone in two words.
    words = [*scan_line("PRODUCER", 30, 112), *scan_line("Meridian Insurance Agency, Inc.", 37, 125),
             *scan_line("4881 Lakeview Avenue", 37, 134), *scan_line("Madison, WI 53703", 37, 143),
             Word("Aisha", 348.2, 116.6, 370.1, 123.4, 0.96),
             Word("Moreno", 373.4, 116.6, 403.2, 123.4, 0.96),
             *scan_line("PHONE", 308.4, 127.2), Word("(392)", 348.7, 127.7, 368.4, 135.6, 0.96),
             Word("555-0135", 372.0, 127.7, 409.2, 134.4, 0.97), *scan_line("FAX", 472, 127.2),
             Word("434-555-0176", 501.8, 127.7, 557.5, 134.4, 0.97),
             *scan_line("(AIC. No. Ext):", 308, 132.2),
             Word("certs", 348.2, 138.0, 375.4, 145.4, 0.93),
             Word("@meridianrisk.com", 377.0, 138.5, 444.2, 145.2),
             *scan_line("E-MAIL", 308.2, 138.2), *scan_line("ADDRESS:", 308.2, 143.3),
             *scan_line("INSURER(S) AFFORDING COVERAGE", 370, 150)]
    rules = [Rule(305.0, 105.0, 305.5, 230.0), Rule(30.0, 105.0, 582.0, 105.5)]
    draft = read_acord25(PageWords(1, 612.0, 792.0, "ocr", words=words, rules=rules))
    assert draft["producer"]["contact_name"] == "Aisha Moreno"
    assert draft["producer"]["email"] == "certs@meridianrisk.com"


def test_a_label_misread_in_one_block_is_found_though_another_block_reads_it_cleanly() -> None:
    # GL's "ciaims-maDE" beside its mark; the excess row prints CLAIMS-MADE read cleanly. The
    # clean reading elsewhere on the page hid the near one where the label was sought.
    words = [Word("X", 61.2, 290.9, 69.1, 298.8, 0.9), *scan_line("ciaims-maDE", 72, 292.8),
             *scan_line("CLAIMS-MADE", 134, 430.8)]
    page = Page(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words, rules=[]))
    gl = page.find_first("CLAIMS-MADE", Box(47.6, 266.0, 182.4, 346.6))
    assert gl is not None and gl.x0 == 72 and marked_before(page, gl) is True
    assert page.find("CLAIMS-MADE") == [Box(134, 430.8, 134 + 4.0 * 11, 435.8)]  # clean wins page-wide


def test_a_near_label_is_matched_without_the_stray_letter_before_it() -> None:
    # The insurer letter "A" and the box's "X" read on the label's line: "A X cLaims-mape" is near
    # CLAIMS-MADE too, but its box would start in the letter column, outside the block.
    words = [*scan_line("A", 39.4, 281.3), Word("X", 61.2, 279.4, 69.1, 287.3, 0.9),
             *scan_line("cLaims-mape", 72, 281.3)]
    page = Page(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words, rules=[]))
    found = page.find_first("CLAIMS-MADE", Box(47.6, 266.0, 182.4, 346.6))
    assert found is not None and found.x0 == 72


def test_a_speck_inside_a_label_is_passed_over_but_a_misread_labels_own_letter_is_not() -> None:
    def page_of(words: list[Word]) -> Page:
        return Page(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words))

    # A speck read as "t" between the two words of a heading: the heading reads as cleanly as the
    # same words spelt out in a sentence above it (a clean reading hides near ones).
    words = [*scan_line("the certificate holder is named", 34.0, 563.0),
             Word("CERTIFICATE", 30.0, 730.0, 74.0, 735.0, 0.9), Word("t", 75.5, 731.0, 77.0, 734.0, 0.3),
             Word("HOLDER", 78.0, 730.0, 102.0, 735.0, 0.9)]
    assert page_of(words).find("CERTIFICATE HOLDER")[-1] == Box(30.0, 730.0, 102.0, 735.0)
    # CLAIMS-MADE misread as "CLAIMS-MAD E": the E is the label's own, read apart.
    words = [Word("CLAIMS-MAD", 134.0, 430.0, 174.0, 435.0, 0.6), Word("E", 175.0, 430.0, 179.0, 435.0, 0.6)]
    assert page_of(words).find("CLAIMS-MADE") == [Box(134.0, 430.0, 179.0, 435.0)]


def test_a_name_starting_with_a_lone_capital_is_not_the_next_insurer_label() -> None:
    # The real 2014/01 scan lost the i of "Fire": "INSURER D F re Insurance Company" is D's row,
    # not INSURER F with a speck D inside it; F's own row is empty.
    names = ["Property and Casua ty Insurance Co", "Nat ona Insurance Company", "Amer can Insurance Company",
             "F re Insurance Company"]
    lines = [("INSURER(S) AFFORDING COVERAGE", 370, 146), ("NAIC #", 546, 146)]
    for i, letter in enumerate("ABCDEF"):
        y = 162.0 + 12 * i
        lines.append((f"INSURER {letter}", 308, y))
        if i < len(names):
            lines.append((names[i], 347, y))
    draft = read_acord25(scan_page(lines))
    assert [(i["letter"], i["name"]) for i in draft["insurers"]] == list(zip("ABCD", names, strict=True))

"""The page model's shared queries: here, whether a check mark belongs to the label beside it."""

from __future__ import annotations

from coibot.extract.layout import Box, Page, make_lines, marked_before
from coibot.extract.words import PageWords, Rule, Word

_CLAIMS = Word("CLAIMS-MADE", 68.4, 316.5, 110.1, 323.2)
_OCCUR = Word("OCCUR", 133.2, 316.5, 155.2, 323.2)


def _page(words: list[Word], rules: list[Rule]) -> Page:
    return Page(PageWords(number=1, width=612.0, height=792.0, method="text", words=words, rules=rules))


def _label(page: Page, text: str) -> Box:
    found = page.find_first(text)
    assert found is not None
    return found


def test_a_mark_inside_a_box_drawn_with_rules_marks_the_label_beside_the_box() -> None:
    # The real ACORD 25 (2016/03) draws each box's sides as 12 pt rules: the box's right side
    # stands between the X and OCCUR.
    box = [Rule(115.2, 312.0, 115.2, 324.0), Rule(129.6, 312.0, 129.6, 324.0),
           Rule(115.2, 312.0, 129.6, 312.0), Rule(115.2, 324.0, 129.6, 324.0)]
    page = _page([_CLAIMS, _OCCUR, Word("X", 120.5, 315.2, 125.8, 323.1)], box)
    assert marked_before(page, _label(page, "OCCUR")) is True
    assert marked_before(page, _label(page, "CLAIMS-MADE")) is False


def test_a_mark_across_a_column_rule_is_not_the_labels() -> None:
    # The same X with a column's full-height rule (and no box side matching it) before OCCUR.
    page = _page([_OCCUR, Word("X", 120.5, 315.2, 125.8, 323.1)], [Rule(129.6, 288.0, 129.6, 564.0)])
    assert marked_before(page, _label(page, "OCCUR")) is False


def test_a_short_rule_with_no_box_side_left_of_the_mark_still_parts_them() -> None:
    page = _page([_OCCUR, Word("X", 120.5, 315.2, 125.8, 323.1)], [Rule(129.6, 312.0, 129.6, 324.0)])
    assert marked_before(page, _label(page, "OCCUR")) is False


def test_a_dash_does_not_split_its_line_in_two() -> None:
    # A scan's words of one line: "Occurrence" stretched up by a rule's remnant, the dash flat.
    words = [Word("Employment", 50.2, 499.2, 85.7, 505.4), Word("Practices", 88.1, 499.2, 114.5, 504.2),
             Word("Liability", 116.6, 499.2, 137.8, 505.4), Word("-", 139.5, 501.8, 141.5, 502.6),
             Word("Occurrence", 144.0, 495.4, 176.6, 504.2)]
    assert [ln.text for ln in make_lines(words)] == ["Employment Practices Liability - Occurrence"]
    # Two lines of small type stay two, a dash on the lower one with them.
    two = [Word("Each", 10, 100, 20, 105), Word("Claim", 22, 100, 35, 105),
           Word("Aggregate", 10, 106, 40, 111), Word("-", 42, 108.2, 44, 109)]
    assert [ln.text for ln in make_lines(two)] == ["Each Claim", "Aggregate -"]


def test_a_two_line_label_read_as_one_tall_word_does_not_pull_lines_together() -> None:
    # seed 1212 scan_014: "fae." is FAX over "(A/C, No):", as tall as both lines; the PHONE label's
    # first line must not join the phone number's line through it (the contact name took "NAMEN").
    words = [Word("PHONE", 308.2, 127.2, 325.0, 131.0), Word("(AIC.", 308.2, 132.2, 318.7, 135.6),
             Word("No.", 320.6, 132.5, 327.8, 135.6), Word("Ext)", 330.0, 132.2, 338.4, 136.8),
             Word("(730)555-0100", 346.8, 128.4, 404.9, 137.0), Word("fae.", 470.9, 126.5, 482.4, 137.8)]
    lines = [ln.text for ln in make_lines(words)]
    assert "PHONE" in lines
    # A speck along the foot of a word stretched over the rule below is not on that word's line.
    specks = [Word("CYB9431", 219.8, 509.8, 256.3, 523.4), Word("ke", 246.5, 522.0, 249.4, 523.4)]
    assert [ln.text for ln in make_lines(specks)] == ["CYB9431", "ke"]


def test_pieces_of_a_value_a_scan_boxed_taller_stay_on_their_line() -> None:
    # Seed 777 agency_010: "CYB9431" boxed 13.6 pt tall down to the description's rule, beside
    # "747" of its line (the block read three policies where it prints two); seed 9191 scan_012:
    # "1,000," and "000," 6.3 and 8.9 pt tall beside the small EACH OCCURRENCE label (1,000,000
    # was read as 1,000).
    number = [Word("CYB9431", 219.8, 509.8, 256.3, 523.4), Word("747", 258.0, 509.8, 272.6, 516.2),
              Word("ke", 246.5, 522.0, 249.4, 523.4)]
    assert [ln.text for ln in make_lines(number)] == ["CYB9431 747", "ke"]
    limit = [Word("EACH", 422.9, 268.1, 436.3, 271.9), Word("OCCURRENCE", 438.5, 267.8, 473.5, 272.2),
             Word("1,000,", 539.8, 268.3, 565.7, 274.6), Word("000,", 569.3, 268.3, 582.7, 277.2)]
    assert [ln.text for ln in make_lines(limit)] == ["EACH OCCURRENCE 1,000, 000,"]

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

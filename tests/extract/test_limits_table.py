"""Limit labels to contract keys, as a scan reads them."""

from __future__ import annotations

from collections.abc import Callable

from coibot.extract.layout import Box, Page
from coibot.extract.limits_table import _resolve, key_for, read_limits
from coibot.extract.words import PageWords, Word


def test_a_combined_single_limit_label_that_lost_single_is_not_bodily_injury() -> None:
    # "COMBINED LIMIT (Ea accident)": SINGLE lost; "(Ea accident)" is CSL's, "(Per accident)" BI's.
    auto = "automobile_liability"
    assert key_for(auto, "COMBINED LIMIT (Ea accident re", fuzzy=True) == "combined_single_limit"
    assert key_for("automobile_liability", "(Ea accident re", fuzzy=True) == "combined_single_limit"
    assert key_for("automobile_liability", "BODILY INJURY (Per accident)", fuzzy=True) == (
        "bodily_injury_per_accident")
    assert key_for("workers_compensation", "E.L. EACH ACCIDENT") == "el_each_accident"


def test_an_other_coverages_label_misread_by_a_letter_is_the_common_label() -> None:
    assert key_for("other", "Bach Occurrence", fuzzy=True) == "each_occurrence"
    assert key_for("other", "Aggregale", fuzzy=True) == "aggregate"
    # A text page's label is kept as printed; an uncommon label is nobody's misreading.
    assert key_for("other", "Bach Occurrence") == "bach_occurrence"
    assert key_for("other", "Sublimit Per Vessel", fuzzy=True) == "sublimit_per_vessel"
    # A text page's label split by a rule that crosses it: joined, it is the common label.
    assert key_for("other", "Retentio n") == "retention"
    assert key_for("other", "Each Claim") == "each_claim"


Again = Callable[[Box, str], Word | None]


def _limits(rows: list[list[Word]], kind: str = "excess_liability",
            again: Again | None = None) -> tuple[dict[str, int | None], list[str]]:
    words = [w for r in rows for w in r]
    page = Page(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words))
    limits, _, warnings = read_limits(page, Box(419.0, 400.0, 582.0, 450.0), kind, again)
    return limits, warnings


def _label(text: str, y: float) -> list[Word]:
    out, x = [], 423.0
    for part in text.split():
        out.append(Word(part, x, y, x + 4.0 * len(part), y + 4, 0.95))
        x += 4.0 * len(part) + 2
    return out


def test_a_scans_split_amount_specks_after_it_and_a_zero_are_read_as_they_are() -> None:
    rows = [[*_label("EACH OCCURRENCE", 417.4), Word("10,000,000", 538.3, 418.3, 577.4, 425.0, 0.94)],
            # One amount split in two touching pieces: "10,00" "0,000".
            [*_label("AGGREGATE", 428.9), Word("10,00", 538.3, 429.8, 557.0, 436.6, 0.96),
             Word("0,000", 557.8, 429.8, 577.2, 436.6, 0.7)]]
    assert _limits(rows)[0] == {"each_occurrence": 10_000_000, "aggregate": 10_000_000}
    # The cell's rule read after the amount ("1,000,000)", "1,000,000,").
    rows = [[*_label("EACH OCCURRENCE", 417.4), Word("1,000,000)", 538.3, 418.3, 577.4, 425.0, 0.8)],
            [*_label("AGGREGATE", 428.9), Word("2,000,000,", 538.3, 429.8, 577.2, 436.6, 0.8)]]
    assert _limits(rows)[0] == {"each_occurrence": 1_000_000, "aggregate": 2_000_000}
    # A lone "0,000" is no limit.
    zero = Word("0,000", 557.8, 429.8, 577.2, 436.6, 0.7)
    limits, warnings = _limits([[*_label("AGGREGATE", 428.9), zero]])
    assert limits == {} and any("no limit" in w for w in warnings)


def test_a_garbled_amount_is_read_again_and_a_reread_that_lost_digits_is_not_taken() -> None:
    row = [*_label("AGGREGATE", 428.9), Word("2.0100,000", 538.3, 429.8, 577.2, 436.6, 0.5)]

    def again(text: str, conf: float) -> Again:
        return lambda box, kind: Word(text, box.x0, box.top, box.x1, box.bottom, conf)

    assert _limits([row], again=again("2,000,000", 0.0))[0] == {"aggregate": 2_000_000}
    # "$5.000.006" read again as "$5,000.00": the last group taken for cents.
    row = [*_label("AGGREGATE", 428.9), Word("$5.000.006", 538.3, 429.8, 577.2, 436.6, 0.76)]
    assert _limits([row], again=again("$5,000.00", 0.8))[0] == {}
    # A reading that needs its specks cleaned counts only when read surely.
    row = [*_label("AGGREGATE", 428.9), Word("35,008),", 538.3, 429.8, 577.2, 436.6, 0.57)]
    assert _limits([row], again=again("$5,000,", 0.04))[0] == {}


def test_unread_labels_take_the_free_places_between_read_rows_in_the_forms_order() -> None:
    gl = "general_liability"
    found: list[tuple[float, str | None, int, str, float]] = [
        (268.0, None, 500_000, "", 0.9), (280.0, None, 300_000, "", 0.9),
        (291.0, "medical_expense", 5_000, "MED EXP", 0.9),
        (302.0, "general_aggregate", 1_000_000, "GEN", 0.9)]
    limits, _, warnings = _resolve(gl, found, [])
    assert limits == {"each_occurrence": 500_000, "damage_to_rented_premises": 300_000,
                      "medical_expense": 5_000, "general_aggregate": 1_000_000}
    assert sum("by its place" in w for w in warnings) == 2
    # Two unread rows for three free places (PERSONAL & ADV INJURY between): not told.
    found = [(268.0, "each_occurrence", 500_000, "EACH", 0.9), (280.0, None, 300_000, "", 0.9),
             (291.0, None, 5_000, "", 0.9), (302.0, "general_aggregate", 1_000_000, "GEN", 0.9)]
    limits, _, _ = _resolve(gl, found, [])
    assert limits == {"each_occurrence": 500_000, "general_aggregate": 1_000_000}
    # "Oe SINGLE LIMIT": a CSL label that lost COMBINED.
    assert key_for("automobile_liability", "Oe SINGLE LIMIT") == "combined_single_limit"


def test_a_label_the_page_lost_or_garbled_is_read_again_inside_its_cell() -> None:
    amount = Word("$500,000", 538.3, 418.3, 577.4, 425.0, 0.94)
    seen: list[Box] = []

    def again(text: str, conf: float = 0.9) -> Again:
        def read(box: Box, kind: str) -> Word | None:
            seen.append(box)
            return Word(text, box.x0, box.top, box.x1, box.bottom, conf) if kind == "text" else None
        return read

    # No label read at all beside an 'other' coverage's amount; "eee LIMIT" for a CSL's label.
    assert _limits([[amount]], "other", again("Limit"))[0] == {"limit": 500_000}
    assert seen and all(b.x0 > 419.0 and b.x1 < amount.x0 and b.top < amount.bottom for b in seen)
    garbled = [Word("eee", 423.0, 418.0, 440.0, 427.0, 0.19), Word("LIMIT", 442.0, 418.3, 454.0, 422.0, 0.38)]
    assert _limits([[*garbled, amount]], "automobile_liability", again("COMBINED SINGLE LIMIT"))[0] == {
        "combined_single_limit": 500_000}
    # A reading that names no limit, unsure, leaves the amount unnamed, as before.
    limits, warnings = _limits([[amount]], "other", again("jus", 0.5))
    assert limits == {} and any("not readable" in w or "not recognised" in w for w in warnings)
    # Without a second reading (a text page) nothing changes.
    assert _limits([[amount]], "other")[0] == {}

"""Limit labels to contract keys, as a scan reads them."""

from __future__ import annotations

from coibot.extract.limits_table import key_for


def test_a_combined_single_limit_label_that_lost_single_is_not_bodily_injury() -> None:
    # "COMBINED LIMIT (Ea accident)": SINGLE lost; "(Ea accident)" is CSL's, "(Per accident)" BI's.
    auto = "automobile_liability"
    assert key_for(auto, "COMBINED LIMIT (Ea accident re", fuzzy=True) == "combined_single_limit"
    assert key_for("automobile_liability", "(Ea accident re", fuzzy=True) == "combined_single_limit"
    assert key_for("automobile_liability", "BODILY INJURY (Per accident)", fuzzy=True) == (
        "bodily_injury_per_accident")
    assert key_for("workers_compensation", "E.L. EACH ACCIDENT") == "el_each_accident"

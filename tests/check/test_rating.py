"""Insurer ratings from the user's CSV against minimum_insurer_rating."""

from __future__ import annotations

from pathlib import Path

import pytest

from coibot.check import RatingsTable, load_ratings_csv
from coibot.errors import ConfigError
from coibot.requirements import RequirementSet
from tests.check.support import current_set, good, run


def _table(tmp_path: Path, rows: str) -> RatingsTable:
    path = tmp_path / "ratings.csv"
    path.write_text("naic,name,rating,financial_size\n" + rows, encoding="utf-8")
    return load_ratings_csv(path)


def _rated_set(minimum: str = "A- VIII") -> RequirementSet:
    return current_set().model_copy(update={"minimum_insurer_rating": minimum})


@pytest.mark.parametrize(
    ("rating", "size", "expected"),
    [
        ("A-", "VIII", []),
        ("A++", "XV", []),
        ("A", "VIII", []),
        ("A-", "IX", []),
        ("B++", "XV", ["insurer_rating_below_minimum"]),
        ("A-", "VII", ["insurer_rating_below_minimum"]),
        ("C++", "X", ["insurer_rating_below_minimum"]),
    ],
)
def test_rating_order(tmp_path: Path, rating: str, size: str, expected: list[str]) -> None:
    table = _table(tmp_path, f"24198,Iron Range Fire & Marine Insurance Co.,{rating},{size}\n")
    report = run(good(), rs=_rated_set(), ratings=table)
    got = sorted({g["code"] for g in report["gaps"]})
    assert got == expected
    if expected:
        gap = report["gaps"][0]
        assert (gap["field"], gap["required"], gap["found"]) == (
            "insurer_rating",
            "A- VIII",
            f"{rating} {size}",
        )
        assert len(report["gaps"]) == 4  # the same insurer writes the four required coverages


def test_found_by_name_when_naic_is_missing(tmp_path: Path) -> None:
    table = _table(tmp_path, ",IRON RANGE FIRE AND MARINE INSURANCE COMPANY,A,X\n")
    cert = good()
    for p in cert["policies"]:
        p["naic"] = None
    cert["insurers"][0]["naic"] = None
    assert run(cert, rs=_rated_set(), ratings=table)["gaps"] == []


def test_insurer_not_in_table_needs_review(tmp_path: Path) -> None:
    table = _table(tmp_path, "11111,Other Mutual,A+,XV\n")
    report = run(good(), rs=_rated_set(), ratings=table)
    assert report["status"] == "needs_review"
    gap = report["gaps"][0]
    assert gap["code"] == "unreadable"
    assert "not in the ratings table" in gap["message"] and "Iron Range" in gap["message"]


def test_no_table_given_needs_review_once() -> None:
    report = run(good(), rs=_rated_set())
    assert report["status"] == "needs_review"
    (gap,) = report["gaps"]
    assert (gap["code"], gap["coverage"], gap["field"], gap["required"]) == (
        "unreadable",
        None,
        "insurer_rating",
        "A- VIII",
    )
    assert "--ratings" in gap["message"]


def test_size_unknown_when_required_needs_review(tmp_path: Path) -> None:
    table = _table(tmp_path, "24198,Iron Range,A+,\n")
    assert run(good(), rs=_rated_set(), ratings=table)["status"] == "needs_review"
    assert run(good(), rs=_rated_set("A-"), ratings=table)["status"] == "compliant"


def test_no_minimum_no_rating_check(tmp_path: Path) -> None:
    table = _table(tmp_path, "24198,Iron Range,C,I\n")
    assert run(good(), ratings=table)["gaps"] == []


def test_rating_column_may_hold_the_size(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("NAIC,Name,Rating\n24198,Iron Range,A- VIII\n", encoding="utf-8")
    entry = load_ratings_csv(path).find("24198", None)
    assert entry is not None and entry.text == "A- VIII"


def test_bad_rows_are_listed_by_line(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "naic,name,rating,financial_size\n24198,Iron,A-,VIII\n123,Bad naic,A,X\n,No rating,ZZ,\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_ratings_csv(path)
    assert [p.split(":")[0] for p in info.value.problems] == ["line 3", "line 4"]


def test_missing_columns_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("insurer,grade\nX,A\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="missing column"):
        load_ratings_csv(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_ratings_csv(tmp_path / "absent.csv")


def test_insurer_layout_without_letters_finds_the_naic_by_carrier(tmp_path: Path) -> None:
    table = _table(tmp_path, "24198,Some Other Name For Iron Range,A,X\n")
    cert = good()
    cert["insurers"] = [{"letter": None, "name": "Iron Range Fire & Marine Insurance Co.", "naic": "24198"}]
    for p in cert["policies"]:
        p["insurer_letter"] = None
        p["naic"] = None
    assert run(cert, rs=_rated_set(), ratings=table)["gaps"] == []

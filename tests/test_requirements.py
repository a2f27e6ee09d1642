"""The requirements format: the contract example loads, and every mistake gets a located, human line."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from coibot.errors import ConfigError
from coibot.requirements import (
    ClientRequirements,
    CoverageRequirement,
    RequirementSet,
    RequirementsFile,
    Waiver,
    load_requirements_file,
    parse_best_rating,
)
from coibot.validation import format_loc, validation_problems

EXAMPLE = Path("/work/shared/contract/requirements.example.yaml")


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "req.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _client(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "acme",
        "name": "Acme Property Management LLC",
        "requirement_sets": [
            {
                "name": "current",
                "effective_from": "2026-01-01",
                "coverages": {"general_liability": {"limits": {"each_occurrence": 1000000}}},
            }
        ],
    }
    base.update(over)
    return base


def _problems(tmp_path: Path, data: Any) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_requirements_file(_write(tmp_path, data))
    return info.value.problems


def test_contract_example_loads_with_its_two_sets() -> None:
    rf = load_requirements_file(EXAMPLE)
    acme = rf.client("acme")
    assert acme is not None
    assert [s.name for s in acme.requirement_sets] == ["current", "2027"]
    cur = acme.requirement_sets[0]
    assert cur.umbrella_may_satisfy is True
    assert cur.minimum_remaining_days == 30
    assert cur.coverages["general_liability"].coverage == "general_liability"
    assert cur.coverages["workers_compensation"].statutory is True
    prof = acme.requirement_sets[1].coverages["professional_liability"]
    assert (prof.coverage, prof.coverage_name, prof.basis) == (
        "other",
        "Professional Liability",
        "claims_made",
    )
    assert prof.limits == {"each_claim": 1000000}
    # Fields the 2027 set leaves out take their defaults.
    assert acme.requirement_sets[1].minimum_remaining_days == 0
    assert acme.requirement_sets[1].umbrella_may_satisfy is False
    assert acme.approvers.slack_users == ["U0ACMEAPPR1"]
    assert acme.slack_channel == "C0ACMERISK"


@pytest.mark.parametrize(
    ("as_of", "current", "future"),
    [
        (date(2025, 12, 31), None, ["current", "2027"]),
        (date(2026, 1, 1), "current", ["2027"]),
        (date(2026, 12, 31), "current", ["2027"]),
        (date(2027, 1, 1), "2027", []),
        (date(2030, 6, 1), "2027", []),
    ],
)
def test_current_set_switches_on_its_effective_date(
    as_of: date, current: str | None, future: list[str]
) -> None:
    acme = load_requirements_file(EXAMPLE).clients[0]
    got = acme.current_set(as_of)
    assert (got.name if got else None) == current
    assert [s.name for s in acme.future_sets(as_of)] == future


def test_unknown_limit_names_the_key_path_and_suggests(tmp_path: Path) -> None:
    data = {
        "clients": [
            _client(id="other"),
            _client(
                requirement_sets=[
                    {
                        "name": "current",
                        "effective_from": "2026-01-01",
                        "coverages": {"general_liability": {"limits": {"each_occurence": 1000000}}},
                    }
                ]
            ),
        ]
    }
    assert _problems(tmp_path, data) == [
        "clients[1].requirement_sets[0].coverages.general_liability.limits.each_occurence: "
        "unknown limit, did you mean each_occurrence? (line 19)"
    ]


def test_limit_of_another_coverage_is_rejected(tmp_path: Path) -> None:
    client = _client()
    client["requirement_sets"][0]["coverages"] = {
        "automobile_liability": {"limits": {"each_occurrence": 1000000}}
    }
    (line,) = _problems(tmp_path, {"clients": [client]})
    assert line.startswith(
        "clients[0].requirement_sets[0].coverages.automobile_liability.limits.each_occurrence:"
    )
    assert "combined_single_limit" in line


def test_unknown_coverage_without_other_says_what_is_expected(tmp_path: Path) -> None:
    client = _client()
    client["requirement_sets"][0]["coverages"] = {"professional_liability": {"limits": {"each_claim": 1}}}
    (line,) = _problems(tmp_path, {"clients": [client]})
    assert line.startswith(
        "clients[0].requirement_sets[0].coverages.professional_liability: unknown coverage"
    )
    assert "coverage: other" in line and "general_liability" in line


def test_misspelt_standard_coverage_gets_a_suggestion(tmp_path: Path) -> None:
    client = _client()
    client["requirement_sets"][0]["coverages"] = {"general_liabilty": {}}
    (line,) = _problems(tmp_path, {"clients": [client]})
    assert "did you mean general_liability?" in line


def test_other_coverage_needs_a_name_and_takes_any_snake_case_limit(tmp_path: Path) -> None:
    client = _client()
    client["requirement_sets"][0]["coverages"] = {
        "cyber": {"coverage": "other", "limits": {"each_claim": 1}},
        "pollution": {"coverage": "other", "coverage_name": "Pollution", "limits": {"Each Claim": 1}},
    }
    problems = _problems(tmp_path, {"clients": [client]})
    assert any(
        p.startswith("clients[0].requirement_sets[0].coverages.cyber: ") and "coverage_name" in p
        for p in problems
    )
    assert any(
        p.startswith("clients[0].requirement_sets[0].coverages.pollution.limits.Each Claim: ")
        for p in problems
    )


def test_every_problem_is_reported_not_only_the_first(tmp_path: Path) -> None:
    client = _client()
    client["requirement_sets"][0]["colour"] = "red"
    client["requirement_sets"][0]["coverages"] = {
        "general_liability": {"basis": "occurence", "limits": {"each_occurence": 1, "general_aggregate": -1}}
    }
    problems = _problems(tmp_path, {"clients": [client]})
    assert len(problems) == 4
    joined = "\n".join(problems)
    assert "coverages.general_liability.basis:" in joined
    assert "limits.each_occurence: unknown limit, did you mean each_occurrence?" in joined
    assert "limits.general_aggregate: a limit is a dollar amount" in joined
    assert "requirement_sets[0].colour: unknown key" in joined


def test_misspelt_field_gets_did_you_mean(tmp_path: Path) -> None:
    client = _client()
    client["requirement_sets"][0]["minimum_remaining_dayz"] = 30
    (line,) = _problems(tmp_path, {"clients": [client]})
    assert line == (
        "clients[0].requirement_sets[0].minimum_remaining_dayz: "
        "unknown key, did you mean minimum_remaining_days? (line 11)"
    )


def test_duplicate_client_ids_are_rejected(tmp_path: Path) -> None:
    problems = _problems(tmp_path, {"clients": [_client(), _client(id="b"), _client()]})
    assert problems == ["clients[2].id: duplicate client id 'acme' (also clients[0]) (line 20)"]


def test_duplicate_set_names_are_rejected(tmp_path: Path) -> None:
    client = _client()
    client["requirement_sets"].append(dict(client["requirement_sets"][0], effective_from="2027-01-01"))
    problems = _problems(tmp_path, {"clients": [client]})
    assert problems == [
        "clients[0].requirement_sets[1].name: "
        "duplicate set name 'current' (also requirement_sets[0]) (line 11)"
    ]


def test_two_sets_starting_the_same_day_are_ambiguous(tmp_path: Path) -> None:
    client = _client()
    client["requirement_sets"].append(dict(client["requirement_sets"][0], name="other"))
    (line,) = _problems(tmp_path, {"clients": [client]})
    assert line.startswith("clients[0].requirement_sets[1].effective_from:")


def test_set_name_written_as_a_number_is_text(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "clients:\n  - id: a\n    name: A\n    requirement_sets:\n"
        "      - name: 2027\n        effective_from: 2027-01-01\n",
        encoding="utf-8",
    )
    assert load_requirements_file(path).clients[0].requirement_sets[0].name == "2027"


def test_coverage_that_contradicts_its_key_is_rejected(tmp_path: Path) -> None:
    client = _client()
    client["requirement_sets"][0]["coverages"] = {"umbrella_liability": {"coverage": "excess_liability"}}
    (line,) = _problems(tmp_path, {"clients": [client]})
    assert "coverages.umbrella_liability: coverage excess_liability does not match the key" in line


def test_waiver_must_name_a_requirement(tmp_path: Path) -> None:
    waiver = {
        "provider": "X",
        "requirement": "general_liabilty.limits.each_occurrence",
        "waived_by": "m",
        "reason": "r",
    }
    (line,) = _problems(tmp_path, {"clients": [_client(waivers=[waiver])]})
    assert line.startswith("clients[0].waivers[0].requirement:")
    ok = dict(waiver, requirement="general_liability.limits.each_occurrence", until="2026-12-31")
    client = load_requirements_file(_write(tmp_path, {"clients": [_client(waivers=[ok])]})).clients[0]
    assert client.waivers[0].until == date(2026, 12, 31)


def test_waiver_in_force_through_its_until_day() -> None:
    w = Waiver(provider="p", requirement="description", until=date(2026, 6, 30), waived_by="m", reason="r")
    assert w.applies_on(date(2026, 6, 30))
    assert not w.applies_on(date(2026, 7, 1))
    assert Waiver(provider="p", requirement="x", waived_by="m", reason="r").applies_on(date(2099, 1, 1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("A- VIII", (3, 8)), ("A++ XV", (0, 15)), ("b+", (5, None)), ("A-, X", (3, 10)), ("A FSC VII", (2, 7))],
)
def test_best_ratings_parse(text: str, expected: tuple[int, int | None]) -> None:
    assert parse_best_rating(text) == expected


@pytest.mark.parametrize("text", ["AA", "A- XVI", "excellent", ""])
def test_bad_best_rating_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"AM Best|size class|grade"):
        parse_best_rating(text)


def test_bad_minimum_rating_in_a_file(tmp_path: Path) -> None:
    client = _client()
    client["requirement_sets"][0]["minimum_insurer_rating"] = "A- XVII"
    (line,) = _problems(tmp_path, {"clients": [client]})
    assert line.startswith("clients[0].requirement_sets[0].minimum_insurer_rating:")


@pytest.mark.parametrize(
    ("content", "needle"),
    [("clients: [unclosed", "not valid YAML"), ("- a\n- b\n", "mapping"), (b"\xff\xfe\x00", "cannot read")],
)
def test_unreadable_files_get_a_clear_error(tmp_path: Path, content: str | bytes, needle: str) -> None:
    path = tmp_path / "r.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_requirements_file(path)
    assert needle in info.value.problems[0]
    assert info.value.source == str(path)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_requirements_file(tmp_path / "absent.yaml")


def test_models_built_in_code_know_their_kind() -> None:
    rs = RequirementSet(
        name="s",
        effective_from=date(2026, 1, 1),
        coverages={"general_liability": CoverageRequirement(limits={"each_occurrence": 1})},
    )
    assert rs.coverages["general_liability"].kind == "general_liability"
    client = ClientRequirements(id="a", name="A", requirement_sets=[rs])
    assert RequirementsFile(clients=[client]).client("a") is client


def test_validation_problems_without_a_model_still_locates() -> None:
    with pytest.raises(ValidationError) as info:
        RequirementsFile.model_validate({"clients": [{"id": "a"}]})
    lines = validation_problems(info.value)
    assert "clients[0].name: required, but missing" in lines
    assert format_loc(("a", 0, "b", 2)) == "a[0].b[2]"


def test_problems_carry_the_yaml_line(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "clients:\n"
        "  - id: a\n"
        "    name: A\n"
        "    requirement_sets:\n"
        "      - name: now\n"
        "        effective_from: 2026-01-01\n"
        "        coverages:\n"
        "          general_liability:\n"
        "            limits:\n"
        "              each_occurence: 1\n"
        "  - id: b\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_requirements_file(path)
    assert info.value.problems == [
        "clients[0].requirement_sets[0].coverages.general_liability.limits.each_occurence: "
        "unknown limit, did you mean each_occurrence? (line 10)",
        "clients[1].name: required, but missing (line 11)",
        "clients[1].requirement_sets: required, but missing (line 11)",
    ]


def test_validation_problems_with_a_prefix_for_embedded_documents() -> None:
    with pytest.raises(ValidationError) as info:
        ClientRequirements.model_validate({"id": "a", "name": "A", "requirement_sets": [], "colour": 1})
    lines = validation_problems(info.value, ClientRequirements, loc_prefix=("clients", 3))
    assert any(line.startswith("clients[3].colour: unknown key; expected one of id, name") for line in lines)


@pytest.mark.parametrize(
    ("requirement", "needle"),
    [
        ("general_liability.limits.each_occurence", "did you mean each_occurrence?"),
        ("general_liability.aditional_insured", "did you mean general_liability.additional_insured?"),
        ("general_liability.basis.x", "has no sub-field"),
        ("umbrella", "is not a requirement"),
    ],
)
def test_waiver_paths_are_checked_to_the_field(tmp_path: Path, requirement: str, needle: str) -> None:
    waiver = {"provider": "X", "requirement": requirement, "waived_by": "m", "reason": "r"}
    (line,) = _problems(tmp_path, {"clients": [_client(waivers=[waiver])]})
    assert line.startswith("clients[0].waivers[0].requirement:")
    assert needle in line


@pytest.mark.parametrize(
    "requirement",
    [
        "general_liability",
        "general_liability.limits",
        "general_liability.limits.each_occurrence",
        "general_liability.expiration_date",
        "certificate_holder.address",
        "description",
        "insured",
    ],
)
def test_valid_waiver_paths(tmp_path: Path, requirement: str) -> None:
    waiver = {"provider": "X", "requirement": requirement, "waived_by": "m", "reason": "r"}
    client = load_requirements_file(_write(tmp_path, {"clients": [_client(waivers=[waiver])]})).clients[0]
    assert client.waivers[0].requirement == requirement

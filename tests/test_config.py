"""The configuration: the example validates, and every class of error names its key path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from coibot.config import load_config, parse_config
from coibot.errors import ConfigError


def _problems(raw: object, tmp_path: Path) -> list[str]:
    path = tmp_path / "coibot.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.source == str(path)
    assert str(path) in str(info.value)
    return info.value.problems


@pytest.fixture
def example(repo_root: Path) -> dict:
    return yaml.safe_load((repo_root / "config.example.yaml").read_text(encoding="utf-8"))


def test_example_config_validates(repo_root: Path) -> None:
    settings = load_config(repo_root / "config.example.yaml")
    assert [c.id for c in settings.clients] == ["acme"]
    assert settings.providers[0].key == "driftwood-locksmith-co"
    assert settings.limits.max_attachment_bytes == 50 * 1024 * 1024
    assert settings.database_url == f"sqlite:///{repo_root / 'data' / 'coibot.db'}"
    assert settings.outbox_dir == repo_root / "data" / "outbox"


def test_contract_requirements_example_embeds_as_clients(shared_dir: Path, tmp_path: Path) -> None:
    raw = yaml.safe_load((shared_dir / "contract" / "requirements.example.yaml").read_text(encoding="utf-8"))
    settings = parse_config(raw, "req.yaml", tmp_path)
    acme = settings.client("acme")
    assert acme is not None
    assert [s.name for s in acme.requirement_sets] == ["current", "2027"]


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COIBOT_CONFIG", raising=False)
    settings = load_config(None)
    assert settings.source == "<defaults>"
    assert settings.inbound.smtp.port == 2525
    assert settings.outbound.relay is None
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'coibot.db'}"


def test_misspelt_limit_is_named_with_a_suggestion(example: dict, tmp_path: Path) -> None:
    limits = example["clients"][0]["requirement_sets"][0]["coverages"]["general_liability"]["limits"]
    limits["each_occurence"] = limits.pop("each_occurrence")
    problems = _problems(example, tmp_path)
    assert problems == [
        "clients[0].requirement_sets[0].coverages.general_liability.limits.each_occurence: "
        "unknown limit, did you mean each_occurrence?"
    ]


def test_every_problem_is_listed_at_once(example: dict, tmp_path: Path) -> None:
    example["inbound"]["smtp"]["port"] = "twenty-five"          # wrong type
    example["outbound"]["form_address"] = "x@example.com"       # unknown key
    del example["clients"][0]["name"]                           # missing field
    example["providers"][0]["clients"] = ["acme", "acmee"]      # unknown client
    example["reminders"]["timezone"] = "Mars/Olympus"           # bad value
    problems = _problems(example, tmp_path)
    text = "\n".join(problems)
    assert len(problems) == 5, text
    assert any(p.startswith("inbound.smtp.port:") and "twenty-five" in p for p in problems), text
    assert "outbound.form_address: unknown key, did you mean from_address?" in problems
    assert "clients[0].name: required, but missing" in problems
    assert any(p.startswith("providers[0].clients[1]: unknown client 'acmee', did you mean 'acme'?")
               for p in problems), text
    assert any(p.startswith("reminders.timezone:") and "Mars/Olympus" in p for p in problems), text


def test_secret_in_file_is_refused(example: dict, tmp_path: Path) -> None:
    example["inbound"]["imap"] = [{"name": "box", "host": "imap.example.com", "username": "u",
                                   "password": "hunter2", "password_env": "X"}]
    problems = _problems(example, tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith("inbound.imap[0]:")
    assert "secrets never live in the file" in problems[0] and "password_env" in problems[0]
    assert "hunter2" not in problems[0]


def test_duplicate_client_and_provider(example: dict, tmp_path: Path) -> None:
    example["clients"].append(dict(example["clients"][0]))
    example["providers"].append(dict(example["providers"][0]))
    text = "\n".join(_problems(example, tmp_path))
    assert "duplicate client id 'acme'" in text
    assert "providers[1]: duplicate provider 'driftwood-locksmith-co'" in text


def test_waiver_naming_an_unknown_provider_is_a_problem(example: dict, tmp_path: Path) -> None:
    example["clients"][0]["waivers"][0]["provider"] = "Driftwod Locksmith Co."
    assert _problems(example, tmp_path) == [
        "clients[0].waivers[0].provider: unknown provider 'Driftwod Locksmith Co.', "
        "did you mean 'Driftwood Locksmith Co.'? (known providers: Driftwood Locksmith Co.)"
    ]


@pytest.mark.parametrize("ref", ["driftwood", "Driftwood Locksmith Co.", "DRIFTWOOD LOCKSMITH CO"])
def test_waiver_names_a_provider_with_an_id_by_id_or_by_name(example: dict, tmp_path: Path, ref: str) -> None:
    example["providers"][0]["id"] = "driftwood"
    example["clients"][0]["waivers"][0]["provider"] = ref
    settings = parse_config(example, "test.yaml", tmp_path)
    provider = settings.provider(ref)
    assert provider is not None and provider.key == "driftwood"


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("clients:\n  - id: acme\n    name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "line" in info.value.problems[0] and "not valid YAML" in info.value.problems[0]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.yaml")
    assert "cannot read the file" in info.value.problems[0]


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    assert _problems(["a", "b"], tmp_path)[0].startswith("(top level): expected a mapping")

"""`coibot init`, `config check`, `db upgrade`, `--version` through the installed console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from coibot import __version__
from coibot.cli.common import open_database
from coibot.config import load_config
from coibot.errors import SchemaOutdatedError

COIBOT = str(Path(sys.executable).parent / "coibot")


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    full_env.pop("COIBOT_CONFIG", None)
    return subprocess.run([COIBOT, *args], cwd=cwd, capture_output=True, text=True, env=full_env, timeout=60)


def test_version(tmp_path: Path) -> None:
    out = run("--version", cwd=tmp_path)
    assert out.returncode == 0
    assert out.stdout.strip() == f"coibot {__version__}"


def test_help_reads_like_a_manual(tmp_path: Path) -> None:
    out = run("--help", cwd=tmp_path)
    assert out.returncode == 0
    for command in ("init", "config", "db"):
        assert command in out.stdout


def test_init_then_upgrade_then_check(tmp_path: Path) -> None:
    out = run("init", str(tmp_path / "site"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    config = tmp_path / "site" / "coibot.yaml"
    assert config.exists() and (tmp_path / "site" / "data").is_dir()
    assert run("init", str(tmp_path / "site"), cwd=tmp_path).returncode != 0  # no silent overwrite
    out = run("config", "check", str(config), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    out = run("db", "upgrade", "-c", str(config), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "site" / "data" / "coibot.db").exists()
    assert "acme/current v1" in out.stdout


def test_broken_config_lists_every_problem(repo_root: Path, tmp_path: Path) -> None:
    raw = yaml.safe_load((repo_root / "config.example.yaml").read_text(encoding="utf-8"))
    raw["limits"]["max_pages"] = -1
    raw["slack"]["bot_token"] = "xoxb-secret"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw), encoding="utf-8")
    out = run("config", "check", str(bad), cwd=tmp_path)
    assert out.returncode == 2
    assert str(bad) in out.stderr
    assert "limits.max_pages" in out.stderr
    assert "slack: 'bot_token' found: secrets never live in the file" in out.stderr
    assert "xoxb-secret" not in out.stderr
    assert "Traceback" not in out.stderr


def test_example_config_checks(repo_root: Path, tmp_path: Path) -> None:
    out = run("config", "check", str(repo_root / "config.example.yaml"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr


def test_unreachable_database_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "coibot.yaml"
    config.write_text("storage:\n  database_url: postgresql+psycopg://coibot@127.0.0.1:1/none\n")
    out = run("db", "upgrade", "-c", str(config), cwd=tmp_path)
    assert out.returncode == 2
    assert "cannot open database" in out.stderr
    assert "Traceback" not in out.stderr


def test_unwritable_data_dir(tmp_path: Path) -> None:
    # A data_dir below a regular file cannot be created, for root too.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    config = tmp_path / "coibot.yaml"
    config.write_text(f"data_dir: {blocker / 'data'}\n")
    out = run("db", "upgrade", "-c", str(config), cwd=tmp_path)
    assert out.returncode == 2
    assert "is not writable" in out.stderr


def test_commands_refuse_an_outdated_schema(tmp_path: Path) -> None:
    config = tmp_path / "coibot.yaml"
    config.write_text("data_dir: data\n")
    with pytest.raises(SchemaOutdatedError, match="coibot db upgrade"):
        open_database(load_config(config))

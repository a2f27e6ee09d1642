"""`coibot init`: a starter configuration and data directory."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer

from coibot.cli.common import console
from coibot.config import DEFAULT_CONFIG_NAME
from coibot.errors import CoibotError
from coibot.storage import ensure_writable_dir

_REPO_EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.yaml"


def example_config_text() -> str:
    """The commented example configuration, from the installed package or the source tree."""
    packaged = resources.files("coibot").joinpath("_data/config.example.yaml")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return _REPO_EXAMPLE.read_text(encoding="utf-8")


def init(
    directory: Path = typer.Argument(Path(), help="Folder for coibot.yaml and data/.", file_okay=False),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing coibot.yaml."),
) -> None:
    """Write a starter coibot.yaml (every option commented) and create its data directory.

    Then edit the clients and providers, run `coibot config check`, `coibot db upgrade` and
    `coibot serve`.
    """
    ensure_writable_dir(directory, "target")
    target = directory / DEFAULT_CONFIG_NAME
    if target.exists() and not force:
        raise CoibotError(f"{target} already exists; use --force to overwrite it")
    target.write_text(example_config_text(), encoding="utf-8")
    ensure_writable_dir(directory / "data", "data")
    console.print(f"[green]wrote[/] {target} and {directory / 'data'}/", highlight=False)
    console.print(f"next: coibot config check {target} && coibot db upgrade -c {target}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("init")(init)

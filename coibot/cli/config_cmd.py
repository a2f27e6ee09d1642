"""`coibot config check`: validate a configuration file and nothing else."""

from __future__ import annotations

from pathlib import Path

import typer

from coibot.cli.common import console
from coibot.config import find_config, load_config

config_app = typer.Typer(help="Inspect and validate the configuration.", no_args_is_help=True)


@config_app.command("check")
def check(
    file: Path | None = typer.Argument(
        None, help="The file to check (default: $COIBOT_CONFIG, else ./coibot.yaml).", dir_okay=False
    ),
) -> None:
    """Validate the configuration: print every problem with its key path, exit 2 if there is any.

    Checks types, unknown keys (with a suggestion), missing fields, requirement sets and limit
    keys, references from providers to clients, and that no secret is written in the file.
    """
    path = find_config(file)
    settings = load_config(path)
    console.print(
        f"[green]ok[/] {settings.source}: {len(settings.clients)} client(s), "
        f"{len(settings.providers)} provider(s), {len(settings.inbound.imap)} IMAP account(s)",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")

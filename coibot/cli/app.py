"""The `coibot` Typer application; each command module adds itself with `register(app)`."""

from __future__ import annotations

import importlib
import logging
import sys

import typer
from rich.console import Console

from coibot import __version__
from coibot.errors import CoibotError

# Each module in this list defines `register(app: typer.Typer) -> None`.
COMMAND_MODULES = [
    "coibot.cli.init_cmd",
    "coibot.cli.config_cmd",
    "coibot.cli.db_cmd",
    "coibot.cli.check_cmd",
    "coibot.cli.extract_cmd",
    "coibot.cli.serve_cmd",
    "coibot.cli.demo_cmd",
    "coibot.cli.remind_cmd",
    "coibot.cli.status_cmd",
    "coibot.cli.export_cmd",
    "coibot.cli.review_cmd",
]

app = typer.Typer(
    name="coibot",
    help=(
        "coibot tracks Certificates of Insurance: it reads ACORD 25 certificates, checks them "
        "against each client's insurance requirements, routes approvals and asks for renewals."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"coibot {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug detail to stderr."),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Console-script entry: run the app, turning coibot errors into a message and an exit code."""
    try:
        app()
    except CoibotError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        sys.exit(exc.exit_code)

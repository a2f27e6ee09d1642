"""The `coibot` Typer application; each command module adds itself with `register(app)`.

Only the module of the command being run is imported: the reader, the database stack and the
Slack SDK each take a second or more to import, and `coibot extract` must not pay for `serve`.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Sequence
from functools import cache

import typer
from rich.console import Console

from coibot import __version__
from coibot.errors import CoibotError

# Top-level command name -> the module whose `register(app: typer.Typer) -> None` adds it.
COMMANDS: dict[str, str] = {
    "init": "coibot.cli.init_cmd",
    "config": "coibot.cli.config_cmd",
    "db": "coibot.cli.db_cmd",
    "extract": "coibot.cli.extract_cmd",
    "check": "coibot.cli.check_cmd",
    "serve": "coibot.cli.serve_cmd",
    "demo": "coibot.cli.demo_cmd",
    "remind": "coibot.cli.remind_cmd",
    "status": "coibot.cli.status_cmd",
    "export": "coibot.cli.export_cmd",
    "review": "coibot.cli.review_cmd",
}
HELP = (
    "coibot tracks Certificates of Insurance: it reads ACORD 25 certificates, checks them "
    "against each client's insurance requirements, routes approvals and asks for renewals."
)
err_console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"coibot {__version__}")
        raise typer.Exit()


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


def build_app(commands: Sequence[str] | None = None) -> typer.Typer:
    """An app with the named top-level commands (all of them when None)."""
    new = typer.Typer(name="coibot", help=HELP, no_args_is_help=True, add_completion=False,
                      pretty_exceptions_enable=False)
    new.callback()(_root)
    names = COMMANDS if commands is None else commands
    for module in dict.fromkeys(COMMANDS[n] for n in names):
        importlib.import_module(module).register(new)
    return new


@cache
def full_app() -> typer.Typer:
    return build_app()


def _command_in(argv: Sequence[str]) -> str | None:
    """The top-level command named on the command line, if it is one we know."""
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if first in COMMANDS else None


def __getattr__(name: str) -> typer.Typer:
    # `from coibot.cli.app import app` (tests, embedding) gets every command.
    if name == "app":
        return full_app()
    raise AttributeError(name)


def main() -> None:
    """Console-script entry: run the app, turning coibot errors into a message and an exit code."""
    argv = sys.argv[1:]
    command = _command_in(argv)
    if command:
        runner = build_app([command])
    elif "--version" in argv:
        runner = build_app([])
    else:
        runner = full_app()
    try:
        runner()
    except CoibotError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        sys.exit(exc.exit_code)

"""`coibot db ...`: schema migrations and configuration sync."""

from __future__ import annotations

from pathlib import Path

import typer

from coibot.cli.common import CONFIG_OPTION, console, open_database, settings_from
from coibot.db import safe_url, session_scope
from coibot.migrate import current_revision, head_revision, upgrade
from coibot.sync import sync_config

db_app = typer.Typer(help="Create and upgrade the database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_cmd(config: Path | None = CONFIG_OPTION) -> None:
    """Apply every pending migration, then sync clients, requirement sets and providers from the config.

    Safe to run at any time and from several processes at once: they take turns.
    """
    settings = settings_from(config)
    engine = open_database(settings, require_schema=False)
    before, after = upgrade(engine)
    with session_scope(engine) as session:
        report = sync_config(session, settings)
    state = "already current" if before == after else f"upgraded from {before or 'empty'}"
    where = safe_url(settings.database_url)
    console.print(f"[green]ok[/] {where}: schema {after} ({state})", highlight=False)
    if report.changed:
        console.print(f"synced configuration: {report}", highlight=False)


@db_app.command("current")
def current_cmd(config: Path | None = CONFIG_OPTION) -> None:
    """Show the schema revision of the database and the one this coibot needs."""
    settings = settings_from(config)
    engine = open_database(settings, require_schema=False)
    with engine.connect() as conn:
        rev = current_revision(conn)
    console.print(f"database: {rev or 'no schema'}; this coibot needs: {head_revision()}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")

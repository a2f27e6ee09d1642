"""Options and helpers shared by the command modules."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy.engine import Engine

from coibot.config import Settings, load_config
from coibot.db import make_engine
from coibot.migrate import require_current_schema
from coibot.storage import ensure_writable_dir

console = Console()
err_console = Console(stderr=True)

CONFIG_OPTION = typer.Option(
    None,
    "--config",
    "-c",
    help="Configuration file (default: $COIBOT_CONFIG, else ./coibot.yaml, else embedded defaults).",
    dir_okay=False,
)


def settings_from(path: Path | None) -> Settings:
    """Load the configuration, raising ConfigError with every problem listed."""
    return load_config(path)


def open_database(settings: Settings, *, require_schema: bool = True) -> Engine:
    """Make sure the data directory is usable, connect, and (by default) refuse an outdated schema."""
    if settings.database_url.startswith("sqlite:///"):
        ensure_writable_dir(settings.data_dir, "data")
        db_file = Path(settings.database_url.removeprefix("sqlite:///"))
        ensure_writable_dir(db_file.parent, "database")
    engine = make_engine(settings.database_url)
    if require_schema:
        require_current_schema(engine)
    return engine

"""Message templates (Jinja2) loaded by name from templates/."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

_SOURCE_TREE = Path(__file__).resolve().parent.parent / "templates"


def templates_dir() -> Path:
    """templates/ of the source tree, or the copy packaged into the wheel."""
    if _SOURCE_TREE.is_dir():
        return _SOURCE_TREE
    return Path(str(resources.files("coibot").joinpath("_templates")))


def money(value: object) -> str:
    """`1000000` → `$1,000,000`; anything else as text ("not shown" for None)."""
    if value is None:
        return "not shown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"${value:,.0f}"
    return str(value)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["money"] = money
    return env


def render(name: str, **context: Any) -> str:
    """Render `templates/<name>` with `context`; a missing variable is an error, not a blank."""
    return environment().get_template(name).render(**context)

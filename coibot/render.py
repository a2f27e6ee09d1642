"""Message templates (Jinja2) loaded by name from templates/."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from coibot.check.messages import money as dollars

_SOURCE_TREE = Path(__file__).resolve().parent.parent / "templates"


def templates_dir() -> Path:
    """templates/ of the source tree, or the copy packaged into the wheel."""
    if _SOURCE_TREE.is_dir():
        return _SOURCE_TREE
    return Path(str(resources.files("coibot").joinpath("_templates")))


def money(value: object) -> str:
    """The gap messages' dollars (`$1,000,000`, "not shown"); yes/no for flags, else the text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or isinstance(value, int):
        return dollars(value)
    if isinstance(value, float):
        return dollars(round(value))
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

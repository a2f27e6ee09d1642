"""Turn a pydantic ValidationError into one human line per problem, each naming its key path."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Union

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError
from rapidfuzz import fuzz, process

# A validator that finds several problems deeper than its own field raises this error type;
# ctx["problems"] holds (sub-path, message) pairs so each one becomes its own line.
PROBLEMS_ERROR = "coibot_problems"


def problems_error(problems: Sequence[tuple[str, str]]) -> PydanticCustomError:
    """An error carrying several located problems, for validators that check nested keys."""
    summary = "; ".join(f"{path}: {msg}" if path else msg for path, msg in problems)
    return PydanticCustomError(PROBLEMS_ERROR, "{summary}", {"summary": summary, "problems": list(problems)})


def format_loc(loc: Sequence[int | str]) -> str:
    """`("clients", 1, "name")` → `clients[1].name`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")

Loc = tuple[int | str, ...]


def parse_loc(path: str) -> Loc:
    """`clients[1].name` → `("clients", 1, "name")` (the inverse of format_loc)."""
    return tuple(int(m.group(1)) if m.group(1) is not None else m.group(2) for m in _PART.finditer(path))


def yaml_lines(text: str) -> dict[Loc, int]:
    """Every key path of a YAML document with its 1-based line; empty when the text does not parse."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[Loc, int] = {}

    def walk(node: yaml.Node, loc: Loc) -> None:
        # A key's line is where the key is written, not where its value starts.
        lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else str(key.value)
                lines[(*loc, name)] = key.start_mark.line + 1
                walk(value, (*loc, name))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*loc, i))

    if root is not None:
        walk(root, ())
    return lines


def _line_suffix(loc: Loc, lines: Mapping[Loc, int] | None) -> str:
    if not lines:
        return ""
    # A missing key has no line of its own: use the nearest enclosing one.
    for end in range(len(loc), 0, -1):
        line = lines.get(loc[:end])
        if line is not None:
            return f" (line {line})"
    return ""


def _join(base: str, sub: str) -> str:
    if not sub:
        return base
    if not base:
        return sub
    return f"{base}{sub}" if sub.startswith("[") else f"{base}.{sub}"


def _unwrap(tp: Any) -> list[Any]:
    """The candidate inner types of an annotation (Optional, unions)."""
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return [a for a in typing.get_args(tp) if a is not type(None)]
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    return [tp]


def _model_at(model: type[BaseModel] | None, loc: Sequence[int | str]) -> type[BaseModel] | None:
    """Follow `loc` through the model's annotations to the model that holds its last element."""
    current: Any = model
    for part in loc:
        found: Any = None
        for cand in _unwrap(current):
            origin = typing.get_origin(cand)
            args = typing.get_args(cand)
            if isinstance(cand, type) and issubclass(cand, BaseModel) and isinstance(part, str):
                field = cand.model_fields.get(part)
                if field is not None:
                    found = field.annotation
            elif origin in (list, tuple, set, frozenset, Sequence) and isinstance(part, int) and args:
                found = args[0]
            elif origin is dict and len(args) == 2:
                found = args[1]
            if found is not None:
                break
        if found is None:
            return None
        current = found
    for cand in _unwrap(current):
        if isinstance(cand, type) and issubclass(cand, BaseModel):
            return cand
    return None


def suggest(word: str, choices: Sequence[str], cutoff: float = 80) -> str | None:
    """The choice closest to `word` (similarity 0..100 at least `cutoff`), for "did you mean" hints."""
    best = process.extractOne(word, list(choices), scorer=fuzz.ratio, score_cutoff=cutoff)
    return str(best[0]) if best else None


def _describe(err: Any, model: type[BaseModel] | None) -> str:
    kind = err["type"]
    loc = tuple(err["loc"])
    if kind == "missing":
        return "required, but missing"
    if kind == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        if parent is not None and isinstance(loc[-1], str):
            allowed = list(parent.model_fields)
            hint = suggest(loc[-1], allowed, cutoff=60)
            if hint:
                return f"unknown key, did you mean {hint}?"
            return f"unknown key; expected one of {', '.join(allowed)}"
        return "unknown key"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    value = err.get("input")
    if kind not in ("value_error", "assertion_error") and not isinstance(value, (dict, list)):
        msg = f"{msg} (found {value!r})"
    return msg


def validation_problems(
    exc: ValidationError,
    model: type[BaseModel] | None = None,
    yaml_text: str | None = None,
    loc_prefix: Loc = (),
) -> list[str]:
    """One line per error, `key.path[0].sub: what is wrong`.

    `model` (the validated class) adds "did you mean" hints for unknown keys; `yaml_text` (the
    source) adds " (line N)"; `loc_prefix` places a validated sub-document inside its file.
    """
    lines = yaml_lines(yaml_text) if yaml_text else None
    out: list[str] = []
    for err in exc.errors():
        loc: Loc = (*loc_prefix, *err["loc"])
        ctx = err.get("ctx") or {}
        if err["type"] == PROBLEMS_ERROR and isinstance(ctx.get("problems"), list):
            for sub, msg in ctx["problems"]:
                path = _join(format_loc(loc), str(sub))
                where = _line_suffix(parse_loc(path), lines)
                out.append(f"{path}: {msg}{where}" if path else f"{msg}{where}")
            continue
        base = format_loc(loc)
        text = _describe(err, model)
        where = _line_suffix(loc, lines)
        out.append(f"{base}: {text}{where}" if base else f"{text}{where}")
    return out

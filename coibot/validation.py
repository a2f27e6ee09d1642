"""Turn a pydantic ValidationError into one human line per problem, each naming its key path."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any, Union

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

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


def _suggest(word: str, choices: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def _describe(err: Any, model: type[BaseModel] | None) -> str:
    kind = err["type"]
    loc = tuple(err["loc"])
    if kind == "missing":
        return "required, but missing"
    if kind == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        if parent is not None and isinstance(loc[-1], str):
            allowed = list(parent.model_fields)
            hint = _suggest(loc[-1], allowed)
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


def validation_problems(exc: ValidationError, model: type[BaseModel] | None = None) -> list[str]:
    """One line per error, `key.path[0].sub: what is wrong`; pass `model` for "did you mean" hints."""
    lines: list[str] = []
    for err in exc.errors():
        base = format_loc(err["loc"])
        ctx = err.get("ctx") or {}
        if err["type"] == PROBLEMS_ERROR and isinstance(ctx.get("problems"), list):
            for sub, msg in ctx["problems"]:
                path = _join(base, str(sub))
                lines.append(f"{path}: {msg}" if path else str(msg))
            continue
        text = _describe(err, model)
        lines.append(f"{base}: {text}" if base else text)
    return lines

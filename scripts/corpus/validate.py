"""Check truth files against the contract schema (as ../shared/tools/score.py loads it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

SCHEMA_DIRS = [
    Path(__file__).resolve().parents[3] / "shared" / "contract",
    Path(__file__).resolve().parents[2] / "contract",
]


def find_schema(explicit: Path | None = None) -> Path | None:
    for d in ([explicit] if explicit else []) + SCHEMA_DIRS:
        if d and (d / "certificate.schema.json").is_file():
            return d / "certificate.schema.json"
    return None


def validator(schema_path: Path) -> jsonschema.Draft202012Validator:
    cert = json.loads(schema_path.read_text(encoding="utf-8"))
    reg = Registry().with_resources([(cert["$id"], Resource.from_contents(cert))])
    return jsonschema.Draft202012Validator(cert, registry=reg, format_checker=jsonschema.FormatChecker())


def check_truth(doc: dict[str, Any]) -> list[str]:
    """Corpus conventions the schema cannot express."""
    errs: list[str] = []
    letters = {i.get("letter"): i for i in doc.get("insurers") or []}
    for k, p in enumerate(doc.get("policies") or []):
        if p["coverage"] != "other" and p.get("coverage_name") is not None:
            errs.append(f"policies[{k}]: coverage_name on a standard coverage")
        if p.get("statutory") and p["coverage"] != "workers_compensation":
            errs.append(f"policies[{k}]: statutory outside workers_compensation")
        lt = p.get("insurer_letter")
        if lt and lt in letters and letters[lt].get("name") != p.get("carrier"):
            errs.append(f"policies[{k}]: carrier does not match insurer {lt}")
    if doc.get("warnings") != []:
        errs.append("warnings must be []")
    if "family" not in doc or "_generator" not in doc:
        errs.append("family and _generator are required in truth")
    return errs


def validate_dir(folder: Path, schema_path: Path | None = None) -> dict[str, list[str]]:
    """{truth file: [errors]} for every *.truth.json under folder (lists are checked item by item)."""
    sp = find_schema(schema_path)
    if sp is None:
        raise FileNotFoundError("certificate.schema.json not found")
    v = validator(sp)
    bad: dict[str, list[str]] = {}
    for tf in sorted(folder.rglob("*.truth.json")):
        data = json.loads(tf.read_text(encoding="utf-8"))
        docs = data if isinstance(data, list) else [data]
        errs: list[str] = []
        for i, d in enumerate(docs):
            errs += [f"[{i}] {e.json_path}: {e.message}" for e in v.iter_errors(d)]
            errs += [f"[{i}] {e}" for e in check_truth(d)]
        if errs:
            bad[str(tf.relative_to(folder))] = errs
    return bad

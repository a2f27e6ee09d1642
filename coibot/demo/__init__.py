"""Bundled demo: a small site (one client, three providers) and one certificate per provider."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class DemoCertificate:
    """A bundled certificate and the provider contact that sends it."""

    path: Path
    sender: str
    kind: str


def demo_dir() -> Path:
    return Path(str(resources.files("coibot.demo")))


def demo_site() -> dict[str, Any]:
    """The clients and providers of the demo, as configuration data."""
    data = yaml.safe_load((demo_dir() / "demo.yaml").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("coibot/demo/demo.yaml is not a mapping")
    return data


def demo_certificates() -> list[DemoCertificate]:
    root = demo_dir()
    return [
        DemoCertificate(root / "compliant-blue-heron.pdf", "office@blueheron.example", "compliant text PDF"),
        DemoCertificate(root / "deficient-oakmont.pdf", "office@oakmont.example", "deficient text PDF"),
        DemoCertificate(root / "scan-granite-state.pdf", "office@granitestate.example", "scanned page"),
    ]

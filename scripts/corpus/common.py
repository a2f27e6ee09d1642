"""Writing a corpus file and its truth."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_truth(path: Path, truth: dict[str, Any] | list[dict[str, Any]]) -> None:
    """Write FILE.truth.json beside FILE."""
    Path(str(path) + ".truth.json").write_text(
        json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )

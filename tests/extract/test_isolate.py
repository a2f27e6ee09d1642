"""The isolated parser: results come back, failures become codes, caps and timeouts are enforced."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from coibot.errors import ExtractionError
from coibot.extract import isolate
from coibot.extract.isolate import IsolatedPool, extract_isolated, extract_isolated_result
from coibot.limits import Limits

SHARED = Path(__file__).resolve().parents[3] / "shared"
TEXT_PDF = SHARED / "samples" / "sample_002.pdf"
SCAN_JPG = SHARED / "samples" / "sample_005.jpg"


def test_text_pdf_is_read_in_a_child() -> None:
    result = extract_isolated_result(TEXT_PDF, Limits())
    assert len(result.certificates) == 1
    cert = result.certificates[0]
    assert cert["source"]["file"] == "sample_002.pdf"
    assert cert["policies"]
    assert 0 < result.peak_rss_mb < Limits().parser_memory_mb


def test_unknown_file_type_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.pdf"
    path.write_text("just some words\n")
    with pytest.raises(ExtractionError) as err:
        extract_isolated(path, Limits())
    assert err.value.code == "unsupported_type"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ExtractionError) as err:
        extract_isolated(tmp_path / "nope.pdf", Limits())
    assert err.value.code == "unreadable_file"


def test_timeout_kills_the_child_and_its_tesseract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    started: list[subprocess.Popen[Any]] = []
    real_popen = subprocess.Popen

    def spy(*args: Any, **kwargs: Any) -> subprocess.Popen[Any]:
        proc = real_popen(*args, **kwargs)
        started.append(proc)
        return proc

    monkeypatch.setattr(isolate.subprocess, "Popen", spy)
    with pytest.raises(ExtractionError) as err:
        extract_isolated(SCAN_JPG, Limits(parse_timeout_seconds=1.5))
    assert err.value.code == "timeout"
    (proc,) = started
    assert proc.returncode is not None
    # The whole process group (the child and any Tesseract it started) is dead. A killed
    # grandchild is reaped by init a moment later, so a zombie counts as dead; a Tesseract that
    # was never killed would still be running for seconds.
    deadline = time.monotonic() + 1.0
    while (alive := _living_members(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive == []


def _living_members(pgid: int) -> list[str]:
    """`pid:state` of the processes in group `pgid` that are neither gone nor zombies."""
    living = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # exited while we looked
        state, group = fields[0], int(fields[2])
        if group == pgid and state not in ("Z", "X"):
            living.append(f"{stat.parent.name}:{state}")
    return living


def test_memory_cap_is_reported_as_memory_exceeded() -> None:
    # A 300 dpi page image and its arrays do not fit in 150 MB of address space.
    with pytest.raises(ExtractionError) as err:
        extract_isolated(SCAN_JPG, Limits(parser_memory_mb=150))
    assert err.value.code == "memory_exceeded"
    assert "150 MB" in err.value.message


def test_crash_in_the_child_is_parser_crashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A child that dies by a signal without answering: what a segfaulting C library looks like.
    script = tmp_path / "crash.py"
    script.write_text("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    real_popen = subprocess.Popen

    def crashing(args: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        return real_popen([args[0], str(script)], **kwargs)

    monkeypatch.setattr(isolate.subprocess, "Popen", crashing)
    with pytest.raises(ExtractionError) as err:
        extract_isolated(TEXT_PDF, Limits())
    assert err.value.code == "parser_crashed"
    assert "SIGSEGV" in err.value.message


def test_pool_returns_results_and_errors_in_order(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    with IsolatedPool(workers=2, limits=Limits()) as pool:
        out = list(pool.map([TEXT_PDF, bad]))
    assert [p for p, _ in out] == [TEXT_PDF, bad]
    first, second = out[0][1], out[1][1]
    assert not isinstance(first, ExtractionError) and first.certificates
    assert isinstance(second, ExtractionError) and second.code == "unsupported_type"


def test_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError):
        IsolatedPool(workers=0)

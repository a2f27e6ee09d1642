"""The isolated parser: results come back, failures become codes, caps and timeouts are enforced."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coibot.errors import ExtractionError
from coibot.extract import isolate
from coibot.extract.isolate import (
    IsolatedPool,
    WarmChildren,
    close_warm,
    extract_isolated,
    extract_isolated_result,
    extract_warm,
    start_warm,
)
from coibot.limits import Limits

SHARED = Path(__file__).resolve().parents[3] / "shared"
TEXT_PDF = SHARED / "samples" / "sample_002.pdf"
SCAN_JPG = SHARED / "samples" / "sample_005.jpg"
HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"


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


def test_timeout_kills_the_child_and_its_tesseract(started: list[subprocess.Popen[Any]]) -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
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


# ---------------------------------------------------------------- pre-started (warm) children


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[Any]]:
    """Every child process the module starts during the test."""
    children: list[subprocess.Popen[Any]] = []
    real_popen = subprocess.Popen

    def spy(*args: Any, **kwargs: Any) -> subprocess.Popen[Any]:
        proc = real_popen(*args, **kwargs)
        children.append(proc)
        return proc

    monkeypatch.setattr(isolate.subprocess, "Popen", spy)
    return children


@pytest.fixture
def warm() -> Iterator[WarmChildren]:
    children = WarmChildren(Limits(), spares=1)
    yield children
    children.close()


def _wait_exit(pid: int, timeout: float = 30.0) -> bool:
    """Whether process `pid` ended within `timeout` (without reaping it: its parent still may)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


def _all_gone(children: list[subprocess.Popen[Any]]) -> list[str]:
    """What is still alive among `children` and their process groups."""
    alive = [f"{c.pid}:unreaped" for c in children if c.returncode is None]
    for child in children:
        deadline = time.monotonic() + 1.0  # a killed grandchild is reaped by init a moment later
        while (members := _living_members(child.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        alive += members
    return alive


def test_warm_child_answers_a_job(warm: WarmChildren) -> None:
    assert warm.wait_ready()
    (spare,) = warm.spare_pids()
    result = warm.extract(TEXT_PDF)
    assert result.pid == spare
    assert result.certificates[0]["source"]["file"] == "sample_002.pdf"
    assert result.certificates[0]["policies"]
    # A new spare took its place the moment the job was handed over.
    (replacement,) = warm.spare_pids()
    assert replacement != spare


def test_every_document_gets_its_own_fresh_child(started: list[subprocess.Popen[Any]]) -> None:
    with IsolatedPool(workers=1, limits=Limits()) as pool:
        results = [pool.submit(path).result() for path in (TEXT_PDF, TEXT_PDF, TEXT_PDF)]
        pids = [r.pid for r in results]
        assert len(set(pids)) == 3
        # Each child exited after its one document: nothing it held can reach the next.
        assert all(_wait_exit(pid, 0) for pid in pids)
        assert all(r.certificates == results[0].certificates for r in results)
        assert set(pool.children.spare_pids()).isdisjoint(pids)


def test_spare_killed_while_waiting_is_replaced(warm: WarmChildren) -> None:
    assert warm.wait_ready()
    (spare,) = warm.spare_pids()
    os.killpg(spare, signal.SIGKILL)
    assert _wait_exit(spare)
    result = warm.extract(TEXT_PDF)
    assert result.certificates
    assert result.pid != spare
    assert spare not in warm.spare_pids()


def test_spare_that_dies_as_its_job_arrives_is_replaced(
    warm: WarmChildren, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Killed between the liveness check and the hand-over: the child never acknowledges the job.
    assert warm.wait_ready()
    (spare,) = warm.spare_pids()
    os.killpg(spare, signal.SIGKILL)
    assert _wait_exit(spare)
    monkeypatch.setattr(isolate._Child, "alive", lambda self: True)
    result = warm.extract(TEXT_PDF)
    assert result.certificates
    assert result.pid != spare


def test_spare_that_crashes_while_importing_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[subprocess.Popen[Any]]
) -> None:
    script = tmp_path / "crash.py"
    script.write_text("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    spy = isolate.subprocess.Popen

    def crash_when_warm(args: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        # Spares (which warm up) crash at once; a child started for a waiting job works.
        if json.loads(args[-1])["warm"]:
            args = [args[0], str(script)]
        return spy(args, **kwargs)

    monkeypatch.setattr(isolate.subprocess, "Popen", crash_when_warm)
    with WarmChildren(Limits(), spares=1) as children:
        result = children.extract(TEXT_PDF)
        assert result.certificates
    crashed = [c for c in started if c.args[1:] == [str(script)]]
    # The spare the job went to crashed; its own replacement may have been killed by close first.
    assert crashed[0].returncode == -signal.SIGSEGV
    assert result.pid not in [c.pid for c in crashed]
    assert _all_gone(started) == []


def test_timeout_counts_from_the_hand_over_not_the_start() -> None:
    limits = Limits(parse_timeout_seconds=2.0)
    with WarmChildren(limits, spares=1) as children:
        assert children.wait_ready()
        # The spare has now existed for longer than the timeout: a clock started at its start
        # would kill it the moment its document arrives.
        time.sleep(limits.parse_timeout_seconds + 0.5)
        result = children.extract(TEXT_PDF)
        assert result.certificates
        assert result.seconds < limits.parse_timeout_seconds


def _slow_start(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    """Children run `code` before the reader's own entry point: a slow or hung start-up."""
    real_popen = subprocess.Popen
    start = f"{code}\nimport runpy\nrunpy.run_module('coibot.extract.isolate', run_name='__main__')"

    def slow(args: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        return real_popen([args[0], "-c", start, args[-1]], **kwargs)

    monkeypatch.setattr(isolate.subprocess, "Popen", slow)


def test_a_child_still_starting_gets_its_full_timeout_once_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    # Handed over at once to a child whose start-up takes longer than the whole timeout.
    _slow_start(monkeypatch, "import time; time.sleep(2.0)")
    with WarmChildren(Limits(parse_timeout_seconds=1.0), spares=1) as children:
        result = children.extract(TEXT_PDF)
    assert result.certificates


def test_a_child_that_never_starts_is_killed_after_the_allowance(
    monkeypatch: pytest.MonkeyPatch, started: list[subprocess.Popen[Any]]
) -> None:
    _slow_start(monkeypatch, "import time; time.sleep(600)")
    monkeypatch.setattr(isolate, "_START_ALLOWANCE_SECONDS", 1.0)
    with (
        WarmChildren(Limits(parse_timeout_seconds=1.0), spares=1) as children,
        pytest.raises(ExtractionError) as err,
    ):
        children.extract(TEXT_PDF)
    assert err.value.code == "timeout"
    assert "did not start" in err.value.message
    assert _all_gone(started) == []  # the hung child and the spare started after it


def test_timeout_in_a_warm_child_kills_its_group(started: list[subprocess.Popen[Any]]) -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    with WarmChildren(Limits(parse_timeout_seconds=0.5), spares=1) as children:
        assert children.wait_ready()
        (spare,) = children.spare_pids()
        with pytest.raises(ExtractionError) as err:
            children.extract(SCAN_JPG)
        assert err.value.code == "timeout"
        (used,) = [c for c in started if c.pid == spare]
        assert used.returncode == -signal.SIGKILL
        assert _all_gone([used]) == []


def test_memory_cap_holds_in_a_warm_child() -> None:
    limits = Limits(parser_memory_mb=150)
    with WarmChildren(limits, spares=1) as children, pytest.raises(ExtractionError) as err:
        children.extract(SCAN_JPG)
    assert err.value.code == "memory_exceeded"
    assert "150 MB" in err.value.message


def test_close_leaves_no_process_alive(started: list[subprocess.Popen[Any]]) -> None:
    with IsolatedPool(workers=2, limits=Limits()) as pool:
        out = list(pool.map([TEXT_PDF, TEXT_PDF, TEXT_PDF]))
        assert all(not isinstance(r, ExtractionError) for _, r in out)
        assert len(pool.children.spare_pids()) == 2
    assert len(started) >= 5  # three readers and at least two spares
    assert _all_gone(started) == []


def test_closing_spares_that_are_still_importing(started: list[subprocess.Popen[Any]]) -> None:
    WarmChildren(Limits(), spares=2).close()
    assert len(started) == 2
    assert _all_gone(started) == []


def test_closed_children_refuse_work(warm: WarmChildren) -> None:
    warm.close()
    with pytest.raises(RuntimeError):
        warm.extract(TEXT_PDF)


def test_one_off_parse_starts_no_spare(started: list[subprocess.Popen[Any]]) -> None:
    assert extract_isolated(TEXT_PDF, Limits())
    (child,) = started
    assert child.returncode == 0


def test_shared_warm_children_keep_one_spare_until_closed(started: list[subprocess.Popen[Any]]) -> None:
    close_warm()  # no spares left over from other tests' services
    try:
        first = extract_warm(TEXT_PDF, Limits())
        second = extract_warm(TEXT_PDF, Limits())
        assert first == second and first
        waiting = [c for c in started if c.returncode is None]
        assert len(waiting) == 1  # one spare, not one per call
    finally:
        close_warm()
    assert _all_gone(started) == []


def test_start_warm_readies_a_spare_for_the_first_document(started: list[subprocess.Popen[Any]]) -> None:
    close_warm()
    try:
        start_warm(Limits())
        (spare,) = started
        assert extract_warm(TEXT_PDF, Limits())
        assert spare.wait(30) == 0  # the spare started ahead read the first document, then ended
        assert len(started) == 2 and started[1].returncode is None  # its replacement waits
    finally:
        close_warm()
    assert _all_gone(started) == []


def test_hostile_files_through_the_pool_keep_their_error_codes() -> None:
    expected: dict[str, str | list[str]] = json.loads((HOSTILE / "expected.json").read_text())
    paths = [HOSTILE / name for name in sorted(expected)]
    with IsolatedPool(workers=2, limits=Limits(parse_timeout_seconds=30, parser_memory_mb=768)) as pool:
        outcomes = {p.name: r for p, r in pool.map(paths)}
    for name, outcome in outcomes.items():
        want = expected[name]
        allowed = {want} if isinstance(want, str) else set(want)
        if "read" in allowed:
            allowed.add("not_a_certificate")
        code = outcome.code if isinstance(outcome, ExtractionError) else "read"
        assert code in allowed, f"{name}: {code}"

"""Hostile inputs: each gets a clear error code (or a real reading) within its caps; the parent survives."""

from __future__ import annotations

import importlib.util
import json
import resource
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from coibot.errors import ExtractionError
from coibot.extract.isolate import extract_isolated, extract_isolated_result
from coibot.limits import Limits

REPO = Path(__file__).resolve().parents[2]
HOSTILE = REPO / "tests" / "fixtures" / "hostile"
EXPECTED: dict[str, str | list[str]] = json.loads((HOSTILE / "expected.json").read_text())
LIMITS = Limits(parse_timeout_seconds=30, parser_memory_mb=768)
# What a parse may take beyond its timeout: killing the group and reaping it.
KILL_MARGIN = 10.0


def _load_maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_hostile", REPO / "scripts" / "make_hostile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_hostile"] = module
    spec.loader.exec_module(module)
    return module


maker = _load_maker()


def _outcome(path: Path, limits: Limits = LIMITS) -> tuple[str, float]:
    started = time.perf_counter()
    try:
        result = extract_isolated_result(path, limits)
    except ExtractionError as exc:
        return exc.code, time.perf_counter() - started
    assert result.peak_rss_mb < limits.parser_memory_mb
    assert result.certificates, "a successful reading returns at least one certificate"
    return "read", time.perf_counter() - started


def test_every_fixture_has_an_expectation() -> None:
    files = {p.name for p in HOSTILE.iterdir() if p.name != "expected.json"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_gets_a_clear_answer(name: str) -> None:
    parent_rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code, seconds = _outcome(HOSTILE / name)
    expected = EXPECTED[name]
    allowed = {expected} if isinstance(expected, str) else set(expected)
    if "read" in allowed:
        # A parser that got through the file may still find no certificate on it.
        allowed.add("not_a_certificate")
    assert code in allowed, f"{name}: {code}"
    assert seconds < LIMITS.parse_timeout_seconds + KILL_MARGIN
    # The parent never parsed anything itself: its peak memory did not move by the child's load.
    growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - parent_rss_before) / 1024
    assert growth_mb < 50


def test_encrypted_with_empty_user_password_is_read_not_refused() -> None:
    code, _ = _outcome(HOSTILE / "encrypted_empty_password.pdf")
    assert code != "encrypted"


def test_password_protected_pdf_says_encrypted() -> None:
    with pytest.raises(ExtractionError) as err:
        extract_isolated(HOSTILE / "encrypted_password.pdf", LIMITS)
    assert err.value.code == "encrypted"


def test_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    big = maker.write_oversized(tmp_path / "big.pdf", LIMITS.max_attachment_bytes + 1)
    started = time.perf_counter()
    with pytest.raises(ExtractionError) as err:
        extract_isolated(big, LIMITS)
    assert err.value.code == "too_large"
    assert time.perf_counter() - started < 1.0  # no child was started


def test_ten_thousand_pages_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "many.pdf"
    path.write_bytes(maker.many_pages(10_000))
    code, seconds = _outcome(path)
    assert code == "too_many_pages"
    assert seconds < LIMITS.parse_timeout_seconds


def test_zip_named_pdf_is_not_taken_for_a_pdf() -> None:
    from coibot.extract.sniff import sniff

    assert sniff(HOSTILE / "zip_named.pdf") == "unknown"
    assert sniff(HOSTILE / "text_named.jpg") == "unknown"

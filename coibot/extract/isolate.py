"""Parse untrusted documents in a child process with memory, CPU and wall-clock caps.

Each document gets a fresh interpreter (`python -m coibot.extract.isolate`) in its own session:
no state survives from one document to the next, and a hung or exploding parser is killed with
its whole process group (Tesseract runs as a grandchild) without touching the parent. A fresh
interpreter rather than multiprocessing: spawn/forkserver children re-import the parent's main
script (the whole CLI), which costs more than importing the reader.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coibot.errors import ExtractionError
from coibot.extract.sniff import precheck_file
from coibot.limits import Limits

log = logging.getLogger(__name__)

# The CPU cap backs up the wall clock (e.g. for a child whose parent died): a little later.
_CPU_SLACK_SECONDS = 5
_KILL_WAIT_SECONDS = 5
_PDF_LIBRARIES = frozenset({"pypdfium2", "pypdfium2_raw", "pdfminer", "pdfplumber"})
# Signs in the parser's stderr that it died for want of memory (C++ allocators abort).
_OOM_MARKERS = ("bad_alloc", "out of memory", "Cannot allocate memory", "MemoryError")


@dataclass(slots=True)
class IsolatedResult:
    """What one isolated parse produced, with the resources it used."""

    certificates: list[dict[str, Any]]
    seconds: float
    peak_rss_mb: float  # the parsing process itself
    children_peak_rss_mb: float  # the largest of its own children (Tesseract)
    extra: dict[str, Any] = field(default_factory=dict)


def _apply_limits(limits: Limits) -> None:
    """Caps for this process and every child it starts (Tesseract inherits them)."""
    memory = limits.parser_memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(limits.parse_timeout_seconds) + _CPU_SLACK_SECONDS
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child_main() -> int:
    """Child entry point: read the job on stdin, parse under caps, write one JSON object on stdout."""
    # Only our JSON may reach the parent's pipe: anything a library prints goes to stderr.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    job = json.loads(sys.stdin.read())
    limits = Limits.model_validate(job["limits"])
    logging.basicConfig(
        level=int(job.get("log_level", logging.WARNING)),
        format="%(asctime)s %(levelname)s %(name)s [parser] %(message)s",
        stream=sys.stderr,
    )
    started = time.perf_counter()
    reply: dict[str, Any]
    try:
        _apply_limits(limits)
        from PIL import Image

        Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
        from coibot.extract.reader import extract_document

        certificates = extract_document(Path(job["path"]), limits)
        reply = {
            "ok": True,
            "certificates": certificates,
            "seconds": time.perf_counter() - started,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "children_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        }
    except ExtractionError as exc:
        reply = {"ok": False, "code": exc.code, "message": exc.message}
    except MemoryError:
        reply = _memory_reply(limits)
    except RecursionError:
        reply = {
            "ok": False,
            "code": "parser_crashed",
            "message": "the document nests objects too deeply (or in a cycle)",
        }
    except Exception as exc:
        text = str(exc)
        origin = type(exc).__module__.split(".")[0]
        if "bad_alloc" in text or "Cannot allocate memory" in text:
            reply = _memory_reply(limits)
        elif origin in _PDF_LIBRARIES:
            # A PDF library that gave up on the file: the file is broken, the parser is not.
            reply = {"ok": False, "code": "corrupt_pdf", "message": f"{type(exc).__name__}: {text[:300]}"}
        elif origin == "PIL":
            reply = {"ok": False, "code": "corrupt_image", "message": f"{type(exc).__name__}: {text[:300]}"}
        else:
            log.error("parser failed on %s\n%s", job["path"], traceback.format_exc())
            reply = {"ok": False, "code": "parser_crashed", "message": f"{type(exc).__name__}: {text[:300]}"}
    try:
        out.write(json.dumps(reply, default=str))
    except MemoryError:
        out.write(json.dumps(_memory_reply(limits)))
    out.flush()
    return 0


def _memory_reply(limits: Limits) -> dict[str, Any]:
    return {
        "ok": False,
        "code": "memory_exceeded",
        "message": f"parsing needed more than {limits.parser_memory_mb} MB",
    }


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()


def _exit_error(returncode: int, name: str, limits: Limits) -> ExtractionError:
    if returncode < 0:
        sig = -returncode
        if sig == signal.SIGXCPU:
            return ExtractionError(
                "timeout", f"{name}: parsing used more than {limits.parse_timeout_seconds:g} s of CPU"
            )
        if sig == signal.SIGKILL:
            return ExtractionError(
                "memory_exceeded", f"{name}: the parser was killed by the system (out of memory)"
            )
        return ExtractionError("parser_crashed", f"{name}: the parser crashed ({signal.Signals(sig).name})")
    return ExtractionError("parser_crashed", f"{name}: the parser exited with status {returncode}")


def extract_isolated_result(path: Path, limits: Limits | None = None) -> IsolatedResult:
    """Parse `path` in a capped child; the certificates and the resources used."""
    limits = limits or Limits()
    path = Path(path)
    precheck_file(path, limits)
    job = json.dumps(
        {
            "path": str(path.resolve()),
            "limits": limits.model_dump(),
            "log_level": logging.getLogger("coibot").getEffectiveLevel(),
        }
    ).encode()
    env = dict(os.environ, OMP_THREAD_LIMIT="1", OPENBLAS_NUM_THREADS="1")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "coibot.extract.isolate"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,  # its own process group: one kill takes Tesseract with it
    )
    try:
        out, err = proc.communicate(job, timeout=limits.parse_timeout_seconds)
    except subprocess.TimeoutExpired:
        log.warning("parse of %s timed out after %g s; killing it", path.name, limits.parse_timeout_seconds)
        _kill_group(proc)
        proc.communicate(timeout=_KILL_WAIT_SECONDS)
        raise ExtractionError(
            "timeout", f"{path.name}: parsing took longer than {limits.parse_timeout_seconds:g} s"
        ) from None
    finally:
        # Grandchildren left by a crashed child die with the group.
        _kill_group(proc)
    stderr = err.decode("utf-8", "replace").strip()
    try:
        reply = json.loads(out) if out else None
    except ValueError:
        reply = None
    if not isinstance(reply, dict):
        log.warning("parser of %s failed (status %s): %s", path.name, proc.returncode, stderr[-2000:])
        if any(marker in stderr for marker in _OOM_MARKERS):
            raise ExtractionError(
                "memory_exceeded", f"{path.name}: parsing needed more than {limits.parser_memory_mb} MB"
            )
        raise _exit_error(proc.returncode, path.name, limits)
    if stderr:
        log.debug("parser of %s said: %s", path.name, stderr[-4000:])
    if not reply.get("ok"):
        raise ExtractionError(str(reply.get("code") or "parser_crashed"), str(reply.get("message") or ""))
    return IsolatedResult(
        certificates=list(reply["certificates"]),
        seconds=time.perf_counter() - started,
        peak_rss_mb=float(reply["peak_rss_mb"]),
        children_peak_rss_mb=float(reply["children_peak_rss_mb"]),
    )


def extract_isolated(path: Path, limits: Limits | None = None) -> list[dict[str, Any]]:
    """`reader.extract_document` in a child with memory, CPU and time caps; ExtractionError on failure."""
    return extract_isolated_result(path, limits).certificates


class IsolatedPool:
    """Up to `workers` isolated parses at once, each in its own fresh child process."""

    def __init__(self, workers: int = 2, limits: Limits | None = None) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.limits = limits or Limits()
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="coibot-parse")

    def submit(self, path: Path) -> Future[IsolatedResult]:
        """Start parsing `path`; the future raises ExtractionError when the document cannot be read."""
        return self._executor.submit(extract_isolated_result, Path(path), self.limits)

    def map(self, paths: Iterable[Path]) -> Iterator[tuple[Path, IsolatedResult | ExtractionError]]:
        """Each path with its result or its error, in the order given."""
        futures = [(Path(p), self.submit(Path(p))) for p in paths]
        for path, future in futures:
            try:
                yield path, future.result()
            except ExtractionError as exc:
                yield path, exc

    def close(self) -> None:
        self._executor.shutdown(wait=True)

    def __enter__(self) -> IsolatedPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    sys.exit(_child_main())

"""Parse untrusted documents in a child process with memory, CPU and wall-clock caps.

Each document gets a fresh interpreter (`python -m coibot.extract.isolate`) in its own session:
no state survives from one document to the next, and a hung or exploding parser is killed with
its whole process group (Tesseract runs as a grandchild) without touching the parent. A fresh
interpreter rather than multiprocessing: spawn/forkserver children re-import the parent's main
script (the whole CLI), which costs more than importing the reader.

Long-running callers (the pool, email intake) hide the interpreter start and the imports behind
`WarmChildren`: a child is started before its document exists, applies the caps (known up front),
imports the reader, says "ready", then blocks on stdin. It reads exactly one document and exits;
a new spare is started the moment a job is handed over. One-off calls (`extract_isolated`) start a
single child for the document at hand and keep nothing.

The child speaks on stdout in this order: `ready\\n` (caps applied, imports done), `job\\n` (its
document arrived), then one JSON reply. A child that never said `job` died before it saw the
document, so a spare lost that way is replaced and the document handed to a new child.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import logging
import os
import resource
import select
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from coibot.errors import ExtractionError
from coibot.extract.sniff import precheck_file
from coibot.limits import Limits

log = logging.getLogger(__name__)

# The CPU cap backs up the wall clock (e.g. for a child whose parent died): a little later. A warm
# child's imports (about a CPU second) count against it too, so the slack covers them.
_CPU_SLACK_SECONDS = 5
_KILL_WAIT_SECONDS = 5
# A child still starting (interpreter, imports, the OCR model) when its job arrives gets this long to
# become ready before the job's own timeout starts; bounded so a child hung while importing cannot
# hold a document forever. Generous because the machine may be busy with OCR.
_START_ALLOWANCE_SECONDS = 30.0
# The shared spares (email intake, Slack) grow to the number of documents read at once, up to this.
_MAX_SHARED_SPARES = 4
_STDERR_TAIL_BYTES = 8000
_READY = b"ready\n"
_TAKEN = b"job\n"
_PDF_LIBRARIES = frozenset({"pypdfium2", "pypdfium2_raw", "pdfminer", "pdfplumber"})
# Signs in the parser's stderr that it died for want of memory (C++ allocators abort).
_OOM_MARKERS = ("bad_alloc", "out of memory", "Cannot allocate memory", "MemoryError")
# What the reader imports on its way to a result, what every document needs first: a spare imports
# them before its document arrives. Not pdfplumber: the reader does not use it (half a CPU second).
_WARM_MODULES = (
    "coibot.extract.reader",
    "coibot.extract.pdf_text",
    "coibot.extract.form_fields",
    "coibot.extract.other_layout",
    "numpy",
    "PIL.Image",
    "coibot.extract.ocr",
)


@dataclass(slots=True)
class IsolatedResult:
    """What one isolated parse produced, with the resources it used."""

    certificates: list[dict[str, Any]]
    seconds: float  # from the hand-over of the document to the reply
    peak_rss_mb: float  # the parsing process itself
    children_peak_rss_mb: float  # the largest of its own children (Tesseract)
    extra: dict[str, Any] = field(default_factory=dict)
    pid: int = 0  # the child that read the document (never reused for another)


# ---------------------------------------------------------------- the child


def _apply_limits(limits: Limits) -> None:
    """Caps for this process and every child it starts (Tesseract inherits them)."""
    memory = limits.parser_memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(limits.parse_timeout_seconds) + _CPU_SLACK_SECONDS
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _import_optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Only the module's own absence is tolerated; a broken import inside it is a bug.
        if exc.name != name:
            raise
        return None


def warm_up(stop: Callable[[], bool] = lambda: False) -> None:
    """Import the reader's heavy modules and load the OCR model, before any document is known.

    Stops between steps once `stop()` holds: when documents queue up, a text PDF should not wait
    for (nor spend CPU on) an OCR model it does not need.
    """
    for name in _WARM_MODULES:
        if stop():
            return
        _import_optional(name)
    tesseract = _import_optional("coibot.extract.tesseract")
    if tesseract is not None and hasattr(tesseract, "warm_up") and not stop():
        tesseract.warm_up()


def _job_waiting() -> bool:
    """Whether stdin has something to read (the job, or the end of it for a spare being closed)."""
    return bool(select.select([sys.stdin], [], [], 0)[0])


def _child_main(argv: list[str]) -> int:
    """Child entry point: caps, warm-up, `ready`; then one job from stdin and one JSON reply."""
    # Only our protocol may reach the parent's pipe: anything a library prints goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    config: dict[str, Any] = json.loads(argv[0]) if argv else {}
    limits = Limits.model_validate(config.get("limits") or {})
    logging.basicConfig(
        level=int(config.get("log_level", logging.WARNING)),
        format="%(asctime)s %(levelname)s %(name)s [parser] %(message)s",
        stream=sys.stderr,
    )
    uncapped: Exception | None = None
    try:
        _apply_limits(limits)
    except (OSError, ValueError) as exc:
        uncapped = exc  # reported for the job, which is then not parsed
    if uncapped is None and config.get("warm"):
        try:
            warm_up(_job_waiting)
        except Exception as exc:
            # The job's own imports run again and report the failure with the document.
            log.warning("warm-up failed: %s: %s", type(exc).__name__, exc)
    out.write(_READY)
    out.flush()
    text = sys.stdin.buffer.read()
    if not text:
        return 0  # a spare whose parent closed it: no document came
    out.write(_TAKEN)
    out.flush()
    job = json.loads(text)
    reply = _parse(Path(job["path"]), limits, uncapped)
    try:
        out.write(json.dumps(reply, default=str).encode())
    except MemoryError:
        out.write(json.dumps(_memory_reply(limits)).encode())
    out.flush()
    return 0


def _parse(path: Path, limits: Limits, uncapped: Exception | None) -> dict[str, Any]:
    """Read one document under the caps; the reply for the parent, failures as codes."""
    started = time.perf_counter()
    try:
        if uncapped is not None:
            raise uncapped
        from PIL import Image

        Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
        from coibot.extract.reader import extract_document

        certificates = extract_document(path, limits)
        return {
            "ok": True,
            "certificates": certificates,
            "seconds": time.perf_counter() - started,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "children_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        }
    except ExtractionError as exc:
        return {"ok": False, "code": exc.code, "message": exc.message}
    except MemoryError:
        return _memory_reply(limits)
    except RecursionError:
        return {
            "ok": False,
            "code": "parser_crashed",
            "message": "the document nests objects too deeply (or in a cycle)",
        }
    except Exception as exc:
        text = str(exc)
        origin = type(exc).__module__.split(".")[0]
        if "bad_alloc" in text or "Cannot allocate memory" in text:
            return _memory_reply(limits)
        if origin in _PDF_LIBRARIES:
            # A PDF library that gave up on the file: the file is broken, the parser is not.
            return {"ok": False, "code": "corrupt_pdf", "message": f"{type(exc).__name__}: {text[:300]}"}
        if origin == "PIL":
            return {"ok": False, "code": "corrupt_image", "message": f"{type(exc).__name__}: {text[:300]}"}
        log.error("parser failed on %s\n%s", path, traceback.format_exc())
        return {"ok": False, "code": "parser_crashed", "message": f"{type(exc).__name__}: {text[:300]}"}


def _memory_reply(limits: Limits) -> dict[str, Any]:
    return {
        "ok": False,
        "code": "memory_exceeded",
        "message": f"parsing needed more than {limits.parser_memory_mb} MB",
    }


# ---------------------------------------------------------------- one child, seen from the parent


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


def _silent_failure(returncode: int, stderr: str, name: str, limits: Limits) -> ExtractionError:
    """The error for a child that ended without a reply."""
    log.warning("parser of %s failed (status %s): %s", name, returncode, stderr[-2000:])
    if any(marker in stderr for marker in _OOM_MARKERS):
        return ExtractionError(
            "memory_exceeded", f"{name}: parsing needed more than {limits.parser_memory_mb} MB"
        )
    return _exit_error(returncode, name, limits)


class _ChildLost(Exception):
    """The child ended before it took its document (killed or crashed while starting)."""

    def __init__(self, returncode: int, stderr: str) -> None:
        super().__init__(f"the reader child ended before its document (status {returncode})")
        self.returncode = returncode
        self.stderr = stderr


class _Child:
    """One started reader process: its pipes, what it said so far, and when it became ready."""

    def __init__(self, limits: Limits, *, warm: bool) -> None:
        self.limits = limits
        self.warm = warm
        config = json.dumps(
            {
                "limits": limits.model_dump(),
                "log_level": logging.getLogger("coibot").getEffectiveLevel(),
                "warm": warm,
            }
        )
        env = dict(os.environ, OMP_THREAD_LIMIT="1", OPENBLAS_NUM_THREADS="1")
        # A file, not a pipe: nobody reads an idle spare's stderr, and a full pipe would block it.
        # It lives as long as the child, so no `with`: `_end` closes it.
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "coibot.extract.isolate", config],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=env,
                bufsize=0,
                start_new_session=True,  # its own process group: one kill takes Tesseract with it
            )
        except BaseException:
            self._stderr.close()
            raise
        if self.proc.stdin is None or self.proc.stdout is None:
            raise RuntimeError("the reader child has no pipes")
        self._stdin, self._stdout = self.proc.stdin, self.proc.stdout
        self._out = bytearray()
        self._eof = False
        self.ready_at: float | None = None
        self._stderr_tail: str | None = None  # set once the child is ended
        self._lock = threading.Lock()  # one reader of stdout at a time (a waiter and the job's thread)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return not self._eof and self.proc.poll() is None

    def wait_ready(self, timeout: float) -> bool:
        """Whether the child is ready (caps applied, imports done), waiting up to `timeout` seconds."""
        with self._lock:
            return self._read_until(time.monotonic() + timeout, lambda: self.ready_at is not None)

    def read(self, path: Path) -> IsolatedResult:
        """Hand `path` over and wait for the reply; the child is gone afterwards, whatever happened."""
        job = json.dumps({"path": str(path.resolve())}).encode()
        with self._lock:
            handed = time.monotonic()
            try:
                self._send(job)
                self._await_reply(handed, path.name)
            finally:
                stderr = self._end()
            seconds = time.monotonic() - handed
        return self._result(stderr, path.name, seconds)

    def discard(self) -> None:
        """Kill the child (and anything it started) and release its pipes."""
        with self._lock:
            self._end()

    def _send(self, job: bytes) -> None:
        try:
            self._stdin.write(job)
        except BrokenPipeError:
            pass  # it died already: its missing acknowledgement tells the caller
        finally:
            with contextlib.suppress(BrokenPipeError):
                self._stdin.close()

    def _await_reply(self, handed: float, name: str) -> None:
        """Read until the child closes its stdout; ExtractionError (child killed) on a timeout."""
        if not self._read_until(handed + _START_ALLOWANCE_SECONDS, lambda: self.ready_at is not None):
            if self._eof:
                return  # it ended while starting: `_result` says how
            log.warning(
                "reader child for %s did not start within %g s; killing it", name, _START_ALLOWANCE_SECONDS
            )
            raise ExtractionError(
                "timeout", f"{name}: the parser did not start within {_START_ALLOWANCE_SECONDS:g} s"
            )
        ready_at = self.ready_at if self.ready_at is not None else handed
        # The job's clock starts at the hand-over, or later if the child was still importing then.
        timeout = self.limits.parse_timeout_seconds
        if not self._read_until(max(handed, ready_at) + timeout, lambda: self._eof):
            log.warning("parse of %s timed out after %g s; killing it", name, timeout)
            raise ExtractionError("timeout", f"{name}: parsing took longer than {timeout:g} s")

    def _read_until(self, deadline: float, done: Callable[[], bool]) -> bool:
        """Read the child's stdout until `done()` holds, the pipe closes or the deadline passes."""
        if self._stderr_tail is not None:
            return done()  # already ended
        with selectors.DefaultSelector() as sel:
            sel.register(self._stdout, selectors.EVENT_READ)
            while not done() and not self._eof:
                left = deadline - time.monotonic()
                if not sel.select(max(left, 0)):
                    if left <= 0:
                        break
                    continue
                chunk = os.read(self._stdout.fileno(), 65536)
                if chunk:
                    self._out += chunk
                else:
                    self._eof = True
                if self.ready_at is None and self._out.startswith(_READY):
                    self.ready_at = time.monotonic()
        return done()

    def _end(self) -> str:
        """Reap the child, kill its group, close the pipes; the tail of its stderr (idempotent)."""
        if self._stderr_tail is not None:
            return self._stderr_tail
        if self.proc.returncode is None:
            if not self._eof:
                _kill_group(self.proc)  # still running: a timeout, or a spare being closed
            try:
                self.proc.wait(timeout=_KILL_WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                _kill_group(self.proc)
                self.proc.wait(timeout=_KILL_WAIT_SECONDS)
        # Grandchildren left by a crashed child die with the group.
        _kill_group(self.proc)
        for pipe in (self._stdin, self._stdout):
            with contextlib.suppress(OSError):
                pipe.close()
        self._stderr_tail = ""
        try:
            size = self._stderr.seek(0, os.SEEK_END)
            self._stderr.seek(max(0, size - _STDERR_TAIL_BYTES))
            self._stderr_tail = self._stderr.read().decode("utf-8", "replace").strip()
        except OSError as exc:
            log.debug("cannot read the reader child's stderr: %s", exc)
        finally:
            self._stderr.close()
        return self._stderr_tail

    def _result(self, stderr: str, name: str, seconds: float) -> IsolatedResult:
        out = bytes(self._out)
        if not out.startswith(_READY + _TAKEN):
            raise _ChildLost(self.proc.returncode, stderr)
        try:
            reply = json.loads(out[len(_READY + _TAKEN) :]) if len(out) > len(_READY + _TAKEN) else None
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            raise _silent_failure(self.proc.returncode, stderr, name, self.limits)
        if stderr:
            log.debug("parser of %s said: %s", name, stderr[-4000:])
        if not reply.get("ok"):
            raise ExtractionError(str(reply.get("code") or "parser_crashed"), str(reply.get("message") or ""))
        return IsolatedResult(
            certificates=list(reply["certificates"]),
            seconds=seconds,
            peak_rss_mb=float(reply["peak_rss_mb"]),
            children_peak_rss_mb=float(reply["children_peak_rss_mb"]),
            pid=self.proc.pid,
        )


def _read_in(child: _Child, path: Path) -> IsolatedResult:
    """`child.read(path)`, a child that died before its document becoming the document's error."""
    try:
        return child.read(path)
    except _ChildLost as lost:
        raise _silent_failure(lost.returncode, lost.stderr, path.name, child.limits) from None


# ---------------------------------------------------------------- one-off use


def extract_isolated_result(path: Path, limits: Limits | None = None) -> IsolatedResult:
    """Parse `path` in a capped child started for it; the certificates and the resources used."""
    limits = limits or Limits()
    path = Path(path)
    precheck_file(path, limits)
    # Not warm: a one-off parse imports only what its document needs (no OCR model for a text PDF).
    return _read_in(_Child(limits, warm=False), path)


def extract_isolated(path: Path, limits: Limits | None = None) -> list[dict[str, Any]]:
    """`reader.extract_document` in a child with memory, CPU and time caps; ExtractionError on failure."""
    return extract_isolated_result(path, limits).certificates


# ---------------------------------------------------------------- pre-started children


class WarmChildren:
    """Reader children started ahead of their documents: each reads one document, then exits.

    `spares` children are kept ready; taking one for a document starts its replacement at once.
    With `max_spares` above `spares`, the number kept grows to the most documents read at once.
    """

    def __init__(self, limits: Limits | None = None, spares: int = 1, max_spares: int | None = None) -> None:
        if spares < 1:
            raise ValueError("spares must be at least 1")
        self.limits = limits or Limits()
        self._spares = spares
        self._max_spares = max(spares, max_spares or spares)
        self._ready: deque[_Child] = deque()
        self._starting = 0
        self._busy = 0
        self._closed = False
        self._lock = threading.Lock()
        self._fill()

    def extract(self, path: Path) -> IsolatedResult:
        """Parse `path` in a pre-started child; ExtractionError when the document cannot be read."""
        path = Path(path)
        precheck_file(path, self.limits)
        with self._lock:
            if self._closed:
                raise RuntimeError("these reader children are closed")
            self._busy += 1
            self._spares = min(self._max_spares, max(self._spares, self._busy))
        try:
            return self._extract(path)
        finally:
            with self._lock:
                self._busy -= 1

    def _extract(self, path: Path) -> IsolatedResult:
        child = self._take()
        try:
            return child.read(path)
        except _ChildLost as lost:
            # A spare killed or crashed while it waited: not the document's doing; a new child reads it.
            log.warning(
                "reader child %d ended before %s reached it (status %s); starting another",
                child.pid,
                path.name,
                lost.returncode,
            )
            return _read_in(_Child(self.limits, warm=False), path)
        finally:
            # The next spare imports while this document is read (started after the hand-over,
            # or after the failure: either way this child is gone).
            self._fill()

    def _take(self) -> _Child:
        """A live spare, else a child started now; dead spares found on the way are cleared."""
        dead: list[_Child] = []
        chosen: _Child | None = None
        with self._lock:
            while self._ready and chosen is None:
                child = self._ready.popleft()
                if child.alive():
                    chosen = child
                else:
                    dead.append(child)
        for child in dead:
            log.warning(
                "spare reader child %d died while waiting (status %s); replacing it",
                child.pid,
                child.proc.poll(),
            )
            child.discard()
        return chosen if chosen is not None else _Child(self.limits, warm=False)

    def _fill(self) -> None:
        """Start spares until `spares` are ready or starting."""
        while True:
            with self._lock:
                if self._closed or len(self._ready) + self._starting >= self._spares:
                    return
                self._starting += 1
            try:
                child = _Child(self.limits, warm=True)
            except OSError as exc:
                log.warning("cannot start a spare reader child: %s", exc)
                with self._lock:
                    self._starting -= 1
                return
            with self._lock:
                self._starting -= 1
                closed = self._closed
                if not closed:
                    self._ready.append(child)
            if closed:
                child.discard()
                return

    def spare_pids(self) -> list[int]:
        """The process ids of the spares waiting for a document."""
        with self._lock:
            return [c.pid for c in self._ready]

    def wait_ready(self, timeout: float = _START_ALLOWANCE_SECONDS) -> bool:
        """Whether every waiting spare finished starting (caps applied, imports done) within `timeout`."""
        deadline = time.monotonic() + timeout
        with self._lock:
            spares = list(self._ready)
        return all(c.wait_ready(max(0.0, deadline - time.monotonic())) for c in spares)

    def close(self) -> None:
        """Kill the waiting spares with their process groups; documents being read finish."""
        with self._lock:
            self._closed = True
            spares = list(self._ready)
            self._ready.clear()
        for child in spares:
            child.discard()

    def __enter__(self) -> WarmChildren:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class IsolatedPool:
    """Up to `workers` isolated parses at once, each in its own fresh child, one spare per worker."""

    def __init__(self, workers: int = 2, limits: Limits | None = None) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.limits = limits or Limits()
        self.children = WarmChildren(self.limits, spares=workers)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="coibot-parse")

    def submit(self, path: Path) -> Future[IsolatedResult]:
        """Start parsing `path`; the future raises ExtractionError when the document cannot be read."""
        return self._executor.submit(self.children.extract, Path(path))

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
        self.children.close()

    def __enter__(self) -> IsolatedPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- shared spares for long-running callers

_shared: WarmChildren | None = None
_shared_lock = threading.Lock()


def _shared_children(limits: Limits) -> WarmChildren:
    global _shared
    with _shared_lock:
        old = _shared
        if old is not None and old.limits == limits:
            return old
        # Spares carry their caps from the start: other limits need other children.
        _shared = WarmChildren(limits, spares=1, max_spares=_MAX_SHARED_SPARES)
        current = _shared
    if old is not None:
        old.close()
    return current


def start_warm(limits: Limits | None = None) -> None:
    """Start the shared spares now (service start), so that the first document finds one ready."""
    _shared_children(limits or Limits())


def extract_warm_result(path: Path, limits: Limits | None = None) -> IsolatedResult:
    """`extract_isolated_result` from a pre-started child; a spare stays ready for the next call.

    For long-running callers (email intake, Slack): the spares live until `close_warm` or exit.
    """
    return _shared_children(limits or Limits()).extract(path)


def extract_warm(path: Path, limits: Limits | None = None) -> list[dict[str, Any]]:
    """`extract_isolated` from a pre-started child, keeping a spare ready for the next document."""
    return extract_warm_result(path, limits).certificates


def close_warm() -> None:
    """Kill the shared spares (service shutdown; also at interpreter exit)."""
    global _shared
    with _shared_lock:
        old, _shared = _shared, None
    if old is not None:
        old.close()


atexit.register(close_warm)


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))

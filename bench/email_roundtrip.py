"""Benchmark the email channel: APPEND to a real Dovecot → IDLE → intake → reply at a relay sink.

    .venv/bin/python bench/email_roundtrip.py [--rounds 5] [--scan-rounds 3] [--burst 200]
        [--compare-cold]

Targets: one-page text certificate, median <= 1.5 s; scanned page, median <= 4 s; 200
certificates arriving at once all answered (throughput printed). Needs dovecot (dovecot-imapd).
The clock starts when the APPEND completes and stops when the reply reaches the relay.
The service reads with pre-started (warm) reader children; --compare-cold also times, in the same
run and alternating round by round (the machine's speed drifts), a child started per document.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coibot.config import parse_config  # noqa: E402
from coibot.db import make_engine  # noqa: E402
from coibot.demo import demo_site  # noqa: E402
from coibot.extract.isolate import extract_isolated, extract_warm  # noqa: E402
from coibot.intake import Extractor  # noqa: E402
from coibot.migrate import upgrade  # noqa: E402
from handlers.serve import Service  # noqa: E402
from tests.support import dovecot as dv  # noqa: E402
from tests.support.mailsite import SCAN, TEXT_OK, TODAY, certificate_mail, sync  # noqa: E402
from tests.support.smtp_sink import start_sink  # noqa: E402

USER, PASSWORD, ENV = "certificates", "bench-secret", "COIBOT_BENCH_IMAP_PASSWORD"


def _settings(tmp: Path, sink_port: int, imap_port: int) -> Any:
    raw: dict[str, Any] = demo_site()
    raw["data_dir"] = str(tmp / "data")
    raw["outbound"] = {"relay": {"host": "127.0.0.1", "port": sink_port, "security": "none"}}
    raw["inbound"] = {"smtp": {"enabled": False},
                      "imap": [{"name": "bench", "host": "127.0.0.1", "port": imap_port, "security": "none",
                                "username": USER, "password_env": ENV}]}
    return parse_config(raw, "bench", tmp)


def _start_service(service: Service) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {}
    ready = threading.Event()

    async def main() -> None:
        box["loop"], box["stop"] = asyncio.get_running_loop(), asyncio.Event()
        await service.run(box["stop"], ready=lambda _info: ready.set())

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    if not ready.wait(60):
        raise SystemExit("the service did not start")
    return thread, box


def _roundtrip(server: dv.Dovecot, sink: Any, path: Path, sender: str, tag: str) -> float:
    raw = certificate_mail(sender, [path], message_id=f"<{tag}@bench>")
    with server.client(USER) as c:
        c.append("INBOX", raw)
        started = time.perf_counter()
    while not sink.handler.replies_to(f"<{tag}@bench>"):
        if time.perf_counter() - started > 120:
            raise SystemExit(f"no reply to {tag} within 120 s")
        time.sleep(0.005)
    return time.perf_counter() - started


def _extractors(compare: bool) -> dict[str, Extractor]:
    """The service's reader (warm children), and with `compare` one child started per document."""
    return {"warm": extract_warm, "cold": extract_isolated} if compare else {"warm": extract_warm}


def _rounds(server: dv.Dovecot, sink: Any, service: Service, path: Path, sender: str, tag: str, n: int,
            compare: bool) -> dict[str, list[float]]:
    """`n` roundtrips with warm children (and, with `compare`, `n` with a cold child, alternating)."""
    kinds = _extractors(compare)
    times: dict[str, list[float]] = {k: [] for k in kinds}
    for i in range(n):
        for kind, extractor in kinds.items():
            service.processor.extractor = extractor
            times[kind].append(_roundtrip(server, sink, path, sender, f"{tag}-{kind}{i}"))
    service.processor.extractor = extract_warm
    return times


def _report(label: str, times: dict[str, list[float]], target: float) -> None:
    for kind, values in times.items():
        print(f"{label} ({kind} reader child), email in -> reply out: "
              f"median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f}, "
              f"n={len(values)}; target <= {target:g} s)")


def _burst(server: dv.Dovecot, sink: Any, n: int, kind: str) -> None:
    before = len(sink.handler.messages)
    started = time.perf_counter()
    with server.client(USER) as c:
        for i in range(n):
            c.append("INBOX", certificate_mail("office@blueheron.example", [TEXT_OK],
                                               message_id=f"<burst-{kind}{i}@bench>"))
    appended = time.perf_counter() - started
    sink.handler.wait_for(before + n, timeout=1800)
    elapsed = time.perf_counter() - started
    answered = sum(1 for i in range(n) if sink.handler.replies_to(f"<burst-{kind}{i}@bench>"))
    print(f"burst ({kind} reader child): {n} certificates appended in {appended:.1f} s, {answered} answered "
          f"in {elapsed:.1f} s: {answered / elapsed:.2f} certificates/s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--scan-rounds", type=int, default=3)
    ap.add_argument("--burst", type=int, default=200)
    ap.add_argument("--compare-cold", action="store_true",
                    help="also time a reader child started per document, alternating with warm ones")
    args = ap.parse_args()
    if dv.find_dovecot() is None:
        print("dovecot is not installed (dovecot-imapd); cannot run the email benchmark")
        return 1
    import os

    os.environ[ENV] = PASSWORD
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    server = dv.start({USER: PASSWORD})
    sink = start_sink()
    tmp = Path(tempfile.mkdtemp(prefix="coibot-bench-"))
    settings = _settings(tmp, sink.port, server.port)
    settings.data_dir.mkdir(parents=True)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sync(engine, settings)
    service = Service(settings, engine, today=lambda: TODAY, with_slack=False, with_scheduler=False)
    thread, box = _start_service(service)
    try:
        time.sleep(1.0)  # the poller is connected and in IDLE
        _roundtrip(server, sink, TEXT_OK, "office@blueheron.example", "warmup")
        text = _rounds(server, sink, service, TEXT_OK, "office@blueheron.example", "text", args.rounds,
                       args.compare_cold)
        _report("text certificate", text, 1.5)
        scan = _rounds(server, sink, service, SCAN, "office@granitestate.example", "scan", args.scan_rounds,
                       args.compare_cold)
        _report("scanned page", scan, 4.0)
        for kind, extractor in _extractors(args.compare_cold).items():
            service.processor.extractor = extractor
            _burst(server, sink, args.burst, kind)
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(60)
        sink.stop()
        dv.cleanup(server)
        engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

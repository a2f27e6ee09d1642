"""`coibot serve` as a real process: SIGKILL at each step of the IMAP path, a 60 MB mail, SIGTERM.

The poller is killed (fault injection sends SIGKILL to the process) after the fetch, after the
message is committed and before the move; after a restart every message is processed once and
answered once.
"""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from coibot import models as m
from coibot.cli.app import app
from coibot.db import make_engine
from coibot.demo import demo_certificates, demo_site
from tests.handlers.conftest import IMAP_PASSWORD, IMAP_USER, PASSWORD_ENV
from tests.support.dovecot import Dovecot, free_port
from tests.support.mailsite import TEXT_OK, certificate_mail
from tests.support.smtp_sink import Sink

COIBOT = Path(sys.executable).parent / "coibot"  # the console script of this environment


def write_config(tmp: Path, sink: Sink | None, imap: Dovecot | None, smtp_port: int) -> Path:
    raw: dict[str, Any] = demo_site()
    raw["data_dir"] = str(tmp / "data")
    relay = {"relay": {"host": sink.host, "port": sink.port, "security": "none"}} if sink else {}
    raw["outbound"] = {"from_address": "coibot@coibot.example", **relay}
    raw["inbound"] = {
        "smtp": {"host": "127.0.0.1", "port": smtp_port,
                 "accept_recipients": ["certificates@coibot.example"]},
        "imap": ([{"name": "box", "host": imap.host, "port": imap.port, "security": "none",
                   "username": IMAP_USER, "password_env": PASSWORD_ENV, "idle": True}] if imap else []),
    }
    path = tmp / "coibot.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


class Serve:
    def __init__(self, config: Path, fault: str | None = None) -> None:
        env = {**os.environ, PASSWORD_ENV: IMAP_PASSWORD, "SLACK_BOT_TOKEN": ""}
        env.pop("COIBOT_FAULT_INJECT", None)
        if fault:
            env["COIBOT_FAULT_INJECT"] = fault
        self.log = config.parent / f"serve-{time.monotonic_ns()}.log"
        self._log = self.log.open("wb")
        self.proc = subprocess.Popen([str(COIBOT), "serve", "-c", str(config)],
                                     cwd=config.parent, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "coibot is running" in self.log.read_text(errors="replace"):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"serve did not start:\n{self.log.read_text(errors='replace')[-3000:]}")

    def hwm_kb(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM")

    def terminate(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(60)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self._log.close()


@pytest.fixture
def serves() -> Iterator[list[Serve]]:
    started: list[Serve] = []
    yield started
    for s in started:
        s.kill()


def wait_until(cond: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_poller_killed_at_each_step_then_every_message_processed_and_answered_once(
    tmp_path: Path, dovecot: Dovecot, sink: Sink, serves: list[Serve]
) -> None:
    config = write_config(tmp_path, sink, dovecot, free_port())
    ids = [f"<kill{i}@x>" for i in range(2)]
    for mid in ids:
        dovecot.append(IMAP_USER, certificate_mail("office@blueheron.example", [TEXT_OK], message_id=mid))
    # The first message goes through three crashes: after its fetch, after its commit, before its move.
    for fault in ("after_fetch", "after_receive", "before_move"):
        run = Serve(config, fault)
        serves.append(run)
        code = run.proc.wait(90)
        assert code == -signal.SIGKILL, f"{fault}: {run.log.read_text(errors='replace')[-3000:]}"
        assert f"killing the process at {fault}" in run.log.read_text()
    final = Serve(config)
    serves.append(final)
    final.wait_ready()
    wait_until(lambda: dovecot.uids(IMAP_USER) == [], 60, "INBOX to be empty")
    wait_until(lambda: all(sink.handler.replies_to(mid) for mid in ids), 60, "the replies")
    time.sleep(1.5)  # a duplicate would arrive within the sender's next passes
    assert final.terminate() == 0
    # (The reminder scheduler also mails renewal requests to the demo providers: not replies.)
    replies = [r for r in sink.handler.messages if r.message["In-Reply-To"]]
    assert sorted(r.message["In-Reply-To"] for r in replies) == ids
    assert len(dovecot.uids(IMAP_USER, "coibot/processed")) == 2
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'coibot.db'}")
    with Session(engine) as s:
        assert len(s.exec(select(m.InboundMessage)).all()) == 2
        assert len(s.exec(select(m.Submission)).all()) == 4
        rows = s.exec(select(m.Outbox).where(col(m.Outbox.idempotency_key).startswith("email:reply:"))).all()
    assert [r.status for r in rows] == ["sent", "sent"]
    engine.dispose()


def _send_streaming(host: str, port: int, size: int) -> tuple[bytes, bytes]:
    """DATA of `size` bytes without the SIZE parameter, written in chunks (the client holds 1 MB)."""
    with socket.create_connection((host, port), timeout=60) as sock:
        f = sock.makefile("rb")

        def cmd(line: bytes) -> bytes:
            sock.sendall(line + b"\r\n")
            reply = f.readline()
            while reply[3:4] == b"-":
                reply = f.readline()
            return reply

        f.readline()
        cmd(b"EHLO test")
        cmd(b"MAIL FROM:<office@blueheron.example>")
        cmd(b"RCPT TO:<certificates@coibot.example>")
        assert cmd(b"DATA").startswith(b"354")
        sock.sendall(b"From: office@blueheron.example\r\nSubject: huge\r\n\r\n")
        line = b"A" * 998 + b"\r\n"
        chunk = line * 1024
        sent = 0
        while sent < size:
            sock.sendall(chunk)
            sent += len(chunk)
        sock.sendall(b".\r\n")
        final = f.readline()
        after = cmd(b"NOOP")
        return final, after


def test_sixty_megabytes_refused_with_552_and_memory_bounded(
    tmp_path: Path, serves: list[Serve], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    config = write_config(tmp_path, None, None, port)
    serve = Serve(config)
    serves.append(serve)
    serve.wait_ready()
    before = serve.hwm_kb()
    final, after = _send_streaming("127.0.0.1", port, 60 * 1024 * 1024)
    assert final.startswith(b"552"), final
    assert after.startswith(b"250"), after  # the session goes on
    grown_mb = (serve.hwm_kb() - before) / 1024
    assert grown_mb < 10, f"the receiver's peak memory grew by {grown_mb:.0f} MB for a refused 60 MB mail"
    # With the SIZE extension the client is told before it sends anything.
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.ehlo()
        code, _ = smtp.mail("office@blueheron.example", ["SIZE=62914560"])
        assert code == 552
    # And the receiver still takes a normal certificate, written as an .eml reply (no relay).
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.sendmail("office@blueheron.example", ["certificates@coibot.example"],
                      certificate_mail("office@blueheron.example", [TEXT_OK], message_id="<small@x>"))
    outbox = tmp_path / "data" / "outbox"
    def reply_file() -> bool:
        return any(b"In-Reply-To: <small@x>" in p.read_bytes() for p in outbox.glob("*.eml"))

    wait_until(reply_file, 60, "the reply file")
    # `coibot demo` mails to the running server and prints the reply (the text certificate only,
    # to keep the test short; the scan takes seconds of OCR).
    monkeypatch.setattr("coibot.cli.demo_cmd.demo_certificates", lambda: demo_certificates()[:1])
    result = CliRunner().invoke(app, ["demo", "-c", str(config), "--port", str(port), "--wait", "60"])
    assert result.exit_code == 0, result.output
    out = result.output.splitlines()
    assert "-> office@blueheron.example sends compliant-blue-heron.pdf (compliant text PDF) to " \
           "certificates@coibot.example" in out
    assert "Parkside Property Holdings, LLC, current requirements: COMPLIANT" in out
    assert serve.terminate() == 0
    assert "shutting down" in serve.log.read_text()

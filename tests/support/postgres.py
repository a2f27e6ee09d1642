"""A private PostgreSQL cluster on loopback for the storage tests (started once per test session)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg


@dataclass
class PgServer:
    host: str
    port: int
    user: str
    datadir: Path

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"


def find_pg_bin() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_pg_user(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root, so drop to the postgres account.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def start(bin_dir: Path) -> tuple[PgServer, subprocess.Popen[bytes]]:
    base = Path(tempfile.mkdtemp(prefix="coibot-pg-"))
    datadir = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    subprocess.run(
        _as_pg_user([str(bin_dir / "initdb"), "-D", str(datadir), "-U", "coibot", "--auth=trust",
                     "-E", "UTF8", "--no-sync"]),
        check=True, capture_output=True,
    )
    port = _free_port()
    log_path = base / "postgres.log"
    # A file, not a pipe: a pipe nobody reads would fill up and stall the server.
    log_file = log_path.open("wb")
    if os.geteuid() == 0:
        shutil.chown(log_path, "postgres", "postgres")
    proc = subprocess.Popen(
        _as_pg_user([str(bin_dir / "postgres"), "-D", str(datadir), "-p", str(port), "-h", "127.0.0.1",
                     "-k", str(base), "-c", "fsync=off", "-c", "synchronous_commit=off",
                     "-c", "full_page_writes=off", "-c", "max_connections=200"]),
        stdout=subprocess.DEVNULL, stderr=log_file,
    )
    log_file.close()
    deadline = time.monotonic() + 60
    dsn = f"host=127.0.0.1 port={port} user=coibot dbname=postgres connect_timeout=2"
    while time.monotonic() < deadline:
        # A real connection, not just an open port: the server takes TCP before it is ready.
        try:
            with psycopg.connect(dsn):
                break
        except psycopg.OperationalError:
            if proc.poll() is not None:
                err = log_path.read_text(errors="replace")
                raise RuntimeError(f"postgres exited: {err}") from None
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("postgres did not accept connections within 60 s")
    return PgServer("127.0.0.1", port, "coibot", datadir), proc


def stop(server: PgServer, proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(server.datadir.parent, ignore_errors=True)

"""`coibot remind`, `status`, `export` and `review` through the installed console script."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from coibot import models as m
from coibot.cli.app import app
from coibot.db import make_engine
from coibot.errors import CoibotError
from tests.support.lifecycle_world import REPO, REPORT_REVIEW, add_certificate, extraction, submit

COIBOT = str(Path(sys.executable).parent / "coibot")


def script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed console script (slow to start on a busy machine: used once per test at most)."""
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("COIBOT_CONFIG", None)
    return subprocess.run([COIBOT, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


@dataclass
class Out:
    returncode: int
    stdout: str
    stderr: str
    exception: BaseException | None


def run(*args: str, cwd: Path) -> Out:
    """The same commands in-process (Typer's runner), with main()'s mapping of coibot errors to exit codes."""
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "COIBOT_CONFIG": None})
    exc = result.exception if not isinstance(result.exception, SystemExit) else None
    code = result.exit_code
    if isinstance(exc, CoibotError):
        code = exc.exit_code
    return Out(code, result.stdout, result.stderr + (str(exc) if exc else ""), exc)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    raw = yaml.safe_load((REPO / "config.example.yaml").read_text(encoding="utf-8"))
    raw["data_dir"] = str(tmp_path / "data")
    raw["outbound"]["staff_emails"] = ["staff@coibot.example"]
    config = tmp_path / "coibot.yaml"
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    out = run("db", "upgrade", "-c", str(config), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return config


@pytest.fixture
def engine(site: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{site.parent / 'data' / 'coibot.db'}")
    yield eng
    eng.dispose()


def _outbox(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return [o.idempotency_key for o in s.exec(select(m.Outbox)).all()]


def test_remind_dry_run_lists_what_and_why_and_changes_nothing(site: Path, engine: Engine) -> None:
    sid = submit(engine, add_certificate(engine, extraction(date(2026, 12, 15))))
    before = _outbox(engine)
    out = script("remind", "--dry-run", "--as-of", "2026-11-15", "-c", str(site), cwd=site.parent)
    assert out.returncode == 0, out.stderr
    assert "dry run" in out.stdout
    assert "before_30: General liability policy GL-1 expires 2026-12-15 (in 30 days)" in out.stdout
    assert "to office@driftwood-locksmith.example; cc certificates@compassins.com" in out.stdout
    assert "message(s) would be sent" in out.stdout
    assert _outbox(engine) == before
    data = json.loads(run("remind", "--dry-run", "--json", "--as-of", "2026-12-20", "-c", str(site),
                          cwd=site.parent).stdout)
    assert data["expired"] == [sid]  # would expire; dry run keeps it approved
    assert {i["milestone"] for i in data["messages"] if i["kind"] == "renewal"} == {"before_1"}
    with Session(engine) as s:
        assert s.get(m.Submission, sid).status == "approved"  # type: ignore[union-attr]
    # Without --dry-run the same decision is enqueued, once.
    out = run("remind", "--as-of", "2026-11-15", "-c", str(site), cwd=site.parent)
    assert out.returncode == 0, out.stderr
    assert len([k for k in _outbox(engine) if k.startswith("email:reminder:")]) == 3
    again = run("remind", "--as-of", "2026-11-15", "-c", str(site), cwd=site.parent)
    assert "0 message(s) enqueued" in again.stdout


def test_remind_rejects_a_bad_date(site: Path) -> None:
    out = run("remind", "--dry-run", "--as-of", "15/11/2026", "-c", str(site), cwd=site.parent)
    assert out.returncode == 2 and "YYYY-MM-DD" in out.stderr


def test_status_prints_effective_now_pending_and_future(site: Path, engine: Engine) -> None:
    cert = add_certificate(engine, extraction(date(2027, 6, 1)))
    approved = submit(engine, cert)
    future = submit(engine, cert, set_name="2027", approve=False)
    out = run("status", "Driftwood", "--as-of", "2026-11-15", "-c", str(site), cwd=site.parent)
    assert out.returncode == 0, out.stderr
    assert "Driftwood Locksmith Co. for Acme Property Management LLC" in out.stdout
    assert f"Effective Now: #{approved} (current)" in out.stdout
    assert f"Future (from 2027-01-01): #{future} pending" in out.stdout
    data = json.loads(run("status", "--client", "acme", "--json", "--as-of", "2026-11-15", "-c", str(site),
                          cwd=site.parent).stdout)
    [row] = data["status"]
    assert [x["submission_id"] for x in row["effective_now"]] == [approved]
    assert row["future"][0]["set_effective_from"] == "2027-01-01"
    assert run("status", "Nobody Like This", "-c", str(site), cwd=site.parent).returncode == 2


def test_export_writes_a_row_per_provider_client_and_coverage(
        site: Path, engine: Engine, tmp_path: Path) -> None:
    submit(engine, add_certificate(engine, extraction(date(2026, 12, 15))))
    target = tmp_path / "out.csv"
    out = run("export", "--csv", str(target), "--as-of", "2026-11-15", "-c", str(site), cwd=site.parent)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    current = {r["coverage"]: r for r in rows if r["set_is"] == "current"}
    assert set(current) == {"General liability", "Automobile liability", "Umbrella liability",
                            "Workers compensation"}
    gl = current["General liability"]
    assert (gl["status"], gl["expiration_date"], gl["days_left"], gl["policy_number"]) == (
        "effective", "2026-12-15", "30", "GL-1")
    assert current["Umbrella liability"]["status"] == "effective: coverage not on the certificate"
    future = {r["coverage"]: r["status"] for r in rows if r["set_is"] == "future"}
    assert future == {"General liability": "missing", "Professional Liability": "missing"}
    stdout = run("export", "--csv", "--as-of", "2026-12-20", "-c", str(site), cwd=site.parent).stdout
    late = {r["coverage"]: r["status"] for r in csv.DictReader(io.StringIO(stdout))
            if r["set_is"] == "current"}
    assert late["General liability"] == "expired"


def test_review_shows_what_to_check_then_corrects(site: Path, engine: Engine) -> None:
    ex = extraction(date(2027, 6, 1))
    ex["policies"][0]["expiration_date"] = None
    ex["policies"][0]["confidence"] = 0.4
    sid = submit(engine, add_certificate(engine, ex), report=REPORT_REVIEW, approve=False)
    out = run("review", str(sid), "-c", str(site), cwd=site.parent)
    assert out.returncode == 0, out.stderr
    assert "the expiration date could not be read" in out.stdout and "confidence 40%" in out.stdout
    bad = run("review", str(sid), "--set", "policies[0].expiration_date=soon", "-c", str(site),
              cwd=site.parent)
    assert bad.returncode == 2 and "not a date" in bad.stderr
    out = run("review", str(sid), "--set", "policies[0].expiration_date=2027-06-01", "--by", "dana",
              "--as-of", "2026-11-15", "-c", str(site), cwd=site.parent)
    assert out.returncode == 0, out.stderr
    assert f"submission {sid}: check compliant, now pending" in out.stdout

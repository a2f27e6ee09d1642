"""Benchmark the Slack app in-process: ack latency of a button click, `status <provider>` at scale.

    .venv/bin/python bench/slack_bench.py [--clicks 300] [--providers 10000] [--queries 100]

Targets: button click ack p99 <= 100 ms (signed request through Bolt's dispatch, SQLite, the
real WebClient against the local fake Web API); `status <provider>` over 10,000 providers
<= 200 ms (fuzzy match + per-client status + Block Kit), both printed as p50 / p99.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from slack_bolt import BoltRequest  # noqa: E402, TID251

from coibot import models as m  # noqa: E402
from coibot.db import make_engine, session_scope  # noqa: E402
from coibot.migrate import upgrade  # noqa: E402
from coibot.sync import sync_config  # noqa: E402
from handlers.slack import build_app  # noqa: E402
from handlers.slack.commands import answer  # noqa: E402
from handlers.slack.runner import SlackRunner  # noqa: E402
from tests.support.fake_slack import BOT_TOKEN, FakeSlack  # noqa: E402
from tests.support.slack_site import APPROVERS, action_body, signed_headers, slack_settings  # noqa: E402

TODAY = date(2026, 11, 21)
WORDS = ["Acme", "Blue", "Heron", "Granite", "State", "Oak", "Quarry", "Hill", "River", "Summit", "Pioneer",
         "Harbor", "Cedar", "Maple", "Eagle", "Falcon", "North", "South", "Valley", "Prairie", "Coastal"]
TRADES = ["Plumbing", "Electrical", "Roofing", "Janitorial", "Landscaping", "HVAC", "Painting", "Paving",
          "Cabling", "Security", "Glass", "Masonry", "Fire Protection", "Elevator", "Pest Control"]
SUFFIXES = ["LLC", "Inc.", "Co.", "Corp.", "Services LLC", "Contractors, Inc."]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def populate(engine: Any, providers: int, rng: random.Random) -> list[str]:
    """Providers linked to parkside, each with an approved 2-policy certificate; their names."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < providers:
        name = (f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(TRADES)} {rng.choice(SUFFIXES)} "
                f"{len(names)}")
        if name not in seen:
            seen.add(name)
            names.append(name)
    with session_scope(engine) as s:
        version = s.exec(select(m.RequirementSetVersion).where(
            m.RequirementSetVersion.client_id == "parkside", m.RequirementSetVersion.name == "current")).one()
        base = len(s.exec(select(m.Provider)).all()) + 1000
        now = m.utcnow()
        s.execute(insert(m.Provider), [
            {"id": base + i, "key": f"p{i}", "name": n, "active": True, "from_config": False,
             "updated_at": now} for i, n in enumerate(names)])
        s.execute(insert(m.ProviderClient), [
            {"provider_id": base + i, "client_id": "parkside", "active": True} for i in range(providers)])
        s.execute(insert(m.Document), [
            {"sha256": f"{i:064x}", "size": 1, "stored_path": "x", "created_at": now}
            for i in range(providers)])
        s.execute(insert(m.Certificate), [
            {"id": base + i, "document_sha256": f"{i:064x}", "index_in_document": 0, "needs_review": False,
             "extraction": {}, "created_at": now} for i in range(providers)])
        s.execute(insert(m.Policy), [
            {"certificate_id": base + i, "position": j, "coverage": cov, "carrier": "Carrier Co",
             "policy_number": f"P{i}-{j}", "effective_date": TODAY - timedelta(days=100),
             "expiration_date": TODAY + timedelta(days=rng.randint(1, 365)),
             "limits": {"each_occurrence": 10**6}}
            for i in range(providers) for j, cov in enumerate(("general_liability", "automobile_liability"))])
        s.execute(insert(m.Submission), [
            {"certificate_id": base + i, "client_id": "parkside", "provider_id": base + i,
             "requirement_set_id": version.id, "status": "approved", "check_status": "compliant", "gaps": [],
             "report": {}, "source": "bench", "decided_by": APPROVERS[0], "decided_at": now,
             "created_at": now, "updated_at": now} for i in range(providers)])
    return names


def pending_submissions(engine: Any, n: int, offset: int = 0) -> list[int]:
    """`n` pending submissions of one provider (each click decides a different one)."""
    with session_scope(engine) as s:
        version = s.exec(select(m.RequirementSetVersion).where(
            m.RequirementSetVersion.client_id == "parkside", m.RequirementSetVersion.name == "current")).one()
        provider = s.exec(select(m.Provider).where(m.Provider.key == "oakmont")).one()
        ids: list[int] = []
        now = m.utcnow()
        for i in range(n):
            sha = f"{10**9 + offset + i:064x}"
            s.add(m.Document(sha256=sha, size=1, stored_path="x"))
            s.flush()
            cert = m.Certificate(document_sha256=sha, extraction={})
            s.add(cert)
            s.flush()
            sub = m.Submission(certificate_id=cert.id or 0, client_id="parkside", provider_id=provider.id,
                               requirement_set_id=version.id or 0, status=m.SubmissionStatus.PENDING,
                               check_status="compliant", gaps=[], report={}, created_at=now, updated_at=now)
            s.add(sub)
            s.flush()
            ids.append(sub.id or 0)
    return ids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clicks", type=int, default=300)
    ap.add_argument("--providers", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=100)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rng = random.Random(6)
    fake = FakeSlack().start()
    os.environ["COIBOT_TEST_SLACK_BOT"] = BOT_TOKEN
    os.environ["COIBOT_TEST_SLACK_SECRET"] = "bench-secret"
    os.environ.pop("COIBOT_TEST_SLACK_APP", None)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        settings = slack_settings(Path(tmp), fake.api_url)
        with session_scope(engine) as s:
            sync_config(s, settings)
        app, deps = build_app(settings, engine, today=lambda: TODAY, socket_mode=False)

        # 1. Ack latency of an Approve click: a signed request through Bolt until the ack returns.
        ids = pending_submissions(engine, args.clicks + 20)
        for sid in ids[:20]:  # warm-up: imports, connection pool, first auth.test
            body, ctype = action_body("coi_approve", str(sid), APPROVERS[0])
            app.dispatch(BoltRequest(body=body, headers=signed_headers(body, ctype, secret="bench-secret")))
        acks: list[float] = []
        for sid in ids[20:]:
            body, ctype = action_body("coi_approve", str(sid), APPROVERS[0])
            headers = signed_headers(body, ctype, secret="bench-secret")
            t0 = time.perf_counter()
            resp = app.dispatch(BoltRequest(body=body, headers=headers))
            acks.append((time.perf_counter() - t0) * 1000)
            if resp.status != 200:
                raise SystemExit(f"click answered {resp.status}")
        fake.wait_for("chat.update", len(ids), timeout=120)
        with Session(engine) as s:
            # Each approval supersedes the provider's previous one: decided = approved + superseded.
            decided = len(s.exec(select(m.Submission).where(
                col(m.Submission.status).in_(["approved", "superseded"]))).all())
        print(f"button click ack: n={len(acks)} p50={statistics.median(acks):.1f} ms "
              f"p99={pct(acks, 99):.1f} ms max={max(acks):.1f} ms (target p99 <= 100 ms); "
              f"{decided} decided")

        # 1b. The same click through the HTTP endpoint on loopback (WSGI server, signature check).
        runner = SlackRunner(app, deps, settings, socket_mode=False)
        runner.start()
        more = pending_submissions(engine, args.clicks // 3, offset=args.clicks + 20)
        http: list[float] = []
        for sid in more:
            body, ctype = action_body("coi_approve", str(sid), APPROVERS[0])
            req = urllib.request.Request(f"http://127.0.0.1:{runner.port}/slack/events", data=body.encode(),
                                         headers=signed_headers(body, ctype, secret="bench-secret"))
            t0 = time.perf_counter()
            with urllib.request.urlopen(req, timeout=10) as resp:
                resp.read()
            http.append((time.perf_counter() - t0) * 1000)
        runner.stop()
        print(f"button click ack over HTTP loopback: n={len(http)} p50={statistics.median(http):.1f} ms "
              f"p99={pct(http, 99):.1f} ms")

        # 2. `status <provider>` over N providers: fuzzy match, per-client status, Block Kit.
        t0 = time.perf_counter()
        names = populate(engine, args.providers, rng)
        print(f"populated {args.providers} providers with approved certificates in "
              f"{time.perf_counter() - t0:.1f} s")
        times: list[float] = []
        hits = 0
        for _ in range(args.queries):
            target = rng.choice(names)
            typed = target.rsplit(" ", 1)[0] + " " + target.rsplit(" ", 1)[1]
            if rng.random() < 0.5:  # a typo: one letter dropped
                k = rng.randrange(1, len(typed) - 1)
                typed = typed[:k] + typed[k + 1:]
            t0 = time.perf_counter()
            with Session(engine) as s:
                text, _ = answer(s, f"status {typed}", TODAY)
            times.append((time.perf_counter() - t0) * 1000)
            hits += target in text
        print(f"status <provider> over {args.providers} providers: n={len(times)} "
              f"p50={statistics.median(times):.1f} ms p99={pct(times, 99):.1f} ms max={max(times):.1f} ms "
              f"(target <= 200 ms); right provider {hits}/{len(times)}")
        engine.dispose()
    fake.stop()


if __name__ == "__main__":
    main()

"""The submission state machine on SQLite and PostgreSQL: transitions, audit, outbox, races."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from coibot import models as m
from coibot import workflow
from coibot.config import load_config
from coibot.db import session_scope
from coibot.models import SubmissionStatus as S
from coibot.outbox import enqueue_email
from coibot.sync import sync_config

REPORT_OK = {"client": "acme", "status": "compliant", "gaps": []}
REPORT_GAP = {"client": "acme", "status": "deficient", "gaps": [
    {"code": "limit_below_minimum", "coverage": "general_liability", "field": "limits.each_occurrence",
     "required": 1000000, "found": 500000,
     "message": "General liability each occurrence is $500,000; Acme Property Management LLC requires "
                "at least $1,000,000."}]}


@pytest.fixture
def world(engine: Engine, repo_root: Path) -> Engine:
    with session_scope(engine) as s:
        sync_config(s, load_config(repo_root / "config.example.yaml"))
    return engine


GL = ("general_liability",)


def _new_submission(
    engine: Engine, report: dict, sha: str = "b" * 64, coverages: tuple[str, ...] = GL
) -> int:
    with session_scope(engine) as s:
        if s.get(m.Document, sha) is None:
            s.add(m.Document(sha256=sha, size=1, stored_path="x"))
            s.flush()
        cert = m.Certificate(document_sha256=sha, index_in_document=len(s.exec(select(m.Certificate)).all()),
                             extraction={"producer": {"email": "Agent@Broker.example"}, "policies": []},
                             insured_name="Driftwood Locksmith Co.")
        s.add(cert)
        s.flush()
        assert cert.id is not None
        for i, cov in enumerate(coverages):
            s.add(m.Policy(certificate_id=cert.id, position=i, coverage=cov))
        provider = s.exec(select(m.Provider)).one()
        version = s.exec(select(m.RequirementSetVersion)
                         .where(m.RequirementSetVersion.name == "current")).one()
        assert version.id is not None
        sub = workflow.record_submission(s, certificate_id=cert.id, client_id="acme", provider_id=provider.id,
                                         requirement_set_id=version.id, report=report, source="test")
        assert sub.id is not None
        return sub.id


def _outbox(engine: Engine) -> list[m.Outbox]:
    with Session(engine) as s:
        return list(s.exec(select(m.Outbox).order_by(m.Outbox.id)).all())


def test_compliant_goes_pending_and_asks_approvers(world: Engine) -> None:
    sid = _new_submission(world, REPORT_OK)
    with Session(world) as s:
        assert workflow.get_submission(s, sid).status == S.PENDING
    keys = [o.idempotency_key for o in _outbox(world)]
    assert keys == [f"slack:approval_request:{sid}"]


def test_deficient_stays_draft_until_send(world: Engine) -> None:
    sid = _new_submission(world, REPORT_GAP)
    with Session(world) as s:
        sub = workflow.get_submission(s, sid)
        assert sub.status == S.DRAFT and sub.gaps and sub.gaps[0]["found"] == 500000
    assert _outbox(world) == []
    with session_scope(world) as s:
        workflow.submit_for_approval(s, sid, "office@driftwood-locksmith.example")
    with session_scope(world) as s, pytest.raises(workflow.TransitionConflict, match="is pending"):
        workflow.submit_for_approval(s, sid, "again")


def test_approve_emails_provider_with_broker_in_copy_and_audits(world: Engine) -> None:
    sid = _new_submission(world, REPORT_OK)
    with session_scope(world) as s:
        workflow.approve(s, sid, "U0ACMEAPPR1")
    email = next(o for o in _outbox(world) if o.channel == "email")
    assert email.idempotency_key == f"email:decision:{sid}"
    assert email.payload["to"] == ["office@driftwood-locksmith.example"]
    assert email.payload["cc"] == ["certificates@compassins.com"]
    assert "approved your certificate" in email.payload["text"]
    assert email.message_id and email.payload["message_id"] == email.message_id
    with Session(world) as s:
        sub = workflow.get_submission(s, sid)
        assert (sub.status, sub.decided_by) == (S.APPROVED, "U0ACMEAPPR1")
        audit = s.exec(select(m.AuditLog).where(m.AuditLog.entity == "submission",
                                                m.AuditLog.entity_id == str(sid))).all()
        last = [(a.from_state, a.to_state, a.actor) for a in audit][-1]
        assert last == ("pending", "approved", "U0ACMEAPPR1")


def test_reject_needs_a_reason_and_sends_it(world: Engine) -> None:
    sid = _new_submission(world, REPORT_GAP)
    with session_scope(world) as s:
        workflow.submit_for_approval(s, sid, "provider")
    with session_scope(world) as s, pytest.raises(workflow.WorkflowError, match="needs a reason"):
        workflow.reject(s, sid, "U0ACMEAPPR1", "   ")
    with Session(world) as s:
        assert workflow.get_submission(s, sid).status == S.PENDING
    with session_scope(world) as s:
        workflow.reject(s, sid, "U0ACMEAPPR1", "Umbrella limit too low for the roof job")
    email = next(o for o in _outbox(world) if o.channel == "email")
    text = email.payload["text"]
    assert "Effective Now: Rejected" in text
    assert "Umbrella limit too low for the roof job" in text
    assert "General liability each occurrence is $500,000" in text


def test_newer_approval_supersedes_older(world: Engine) -> None:
    first = _new_submission(world, REPORT_OK, sha="c" * 64)
    with session_scope(world) as s:
        workflow.approve(s, first, "U0ACMEAPPR1")
    second = _new_submission(world, REPORT_OK, sha="d" * 64, coverages=(*GL, "workers_compensation"))
    with session_scope(world) as s:
        workflow.approve(s, second, "U0ACMEAPPR1")
    with Session(world) as s:
        assert workflow.get_submission(s, first).status == S.SUPERSEDED
        assert workflow.get_submission(s, second).status == S.APPROVED


def test_twenty_concurrent_approvals_make_one_decision(world: Engine) -> None:
    sid = _new_submission(world, REPORT_OK)
    wins: list[str] = []
    conflicts: list[str] = []
    barrier = threading.Barrier(20)

    def click(n: int) -> None:
        barrier.wait()
        try:
            with session_scope(world) as s:
                workflow.approve(s, sid, f"U{n}")
            wins.append(f"U{n}")
        except workflow.TransitionConflict:
            conflicts.append(f"U{n}")

    threads = [threading.Thread(target=click, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(wins) == 1 and len(conflicts) == 19
    emails = [o for o in _outbox(world) if o.channel == "email"]
    assert len(emails) == 1
    with Session(world) as s:
        decided = s.exec(select(m.AuditLog).where(m.AuditLog.to_state == "approved")).all()
        assert [a.actor for a in decided] == wins


def test_outbox_key_is_enqueued_once(world: Engine) -> None:
    with session_scope(world) as s:
        first = enqueue_email(s, "k1", ["a@example.com"], "s", "t")
        again = enqueue_email(s, "k1", ["a@example.com"], "s", "different")
    assert first is not None and again is None
    rows = _outbox(world)
    assert len(rows) == 1 and rows[0].payload["text"] == "t"

"""Renewal reminders and missing-certificate requests on SQLite and PostgreSQL, day by day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from coibot import models as m
from coibot import workflow
from coibot.config import Settings
from coibot.db import session_scope
from coibot.lifecycle import last_run, run_day
from coibot.reminders import due_on, latest_due, milestones
from tests.support.lifecycle_world import (
    EXP,
    OnFile,
    add_certificate,
    approved_on_file,
    extraction,
    outbox_keys,
    outbox_row,
    policy_ids,
    settings,
    submit,
    sync,
    version_id,
)

# cfg, world and on_file are the fixtures of tests/support/lifecycle_fixtures.py.


def _run(engine: Engine, cfg: Settings, day: date) -> list[str]:
    with session_scope(engine) as s:
        report = run_day(s, cfg, day)
    return [d.key for d in report.sent]


def _backdate(engine: Engine) -> None:
    """Make every row look old, so that runs after the first find work only through milestone windows."""
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    with session_scope(engine) as s:
        s.exec(update(m.Submission).values(updated_at=long_ago))
        s.exec(update(m.Provider).values(updated_at=long_ago))
        s.exec(update(m.RequirementSetVersion).values(created_at=long_ago))


def test_a_policy_walks_through_every_milestone_once(world: Engine, cfg: Settings, on_file: OnFile) -> None:
    cert, sid, gl = on_file.certificate_id, on_file.submission_id, on_file.gl
    _backdate(world)
    first_seen: dict[str, date] = {}
    day = EXP - timedelta(days=70)
    while day <= EXP + timedelta(days=40):
        with Session(world) as s:  # the incremental decision (since the last run) equals the full scan
            full = {d.key for d in due_on(s, cfg.reminders, day)}
            assert {d.key for d in due_on(s, cfg.reminders, day, last_run(s, day))} == full
        for key in _run(world, cfg, day):
            assert key not in first_seen, f"{key} sent twice"
            first_seen[key] = day
        day += timedelta(days=1)
    mine = {k.rsplit(":", 1)[1]: d for k, d in first_seen.items() if k.startswith(f"reminder:{gl}:acme:")}
    expected = {ms.name: EXP + timedelta(days=ms.offset_days) for ms in milestones(cfg.reminders)}
    expected["escalate"] = EXP + timedelta(days=cfg.reminders.escalate_after_days)
    assert mine == expected
    # Auto and workers' compensation are required too: each gets its own reminders; nothing else is reminded.
    coverages = {k.split(":")[1] for k in first_seen if k.startswith("reminder:")}
    assert coverages == {str(i) for i in policy_ids(world, cert).values()}
    reminders = [k for k in first_seen if k.startswith("reminder:")]
    assert len(outbox_keys(world, "email:reminder:")) == len(reminders)
    # The daily runs (incremental) expired the certificate the day after its policies ran out.
    with Session(world) as s:
        [audit] = s.exec(select(m.AuditLog).where(m.AuditLog.entity_id == str(sid),
                                                  m.AuditLog.action == "expired")).all()
        assert audit.detail is not None and audit.detail["as_of"] == (EXP + timedelta(days=1)).isoformat()


def test_reminder_says_which_policy_of_which_client_expires_when_and_what_to_send(
        world: Engine, cfg: Settings, on_file: OnFile) -> None:
    gl = on_file.gl
    _run(world, cfg, EXP - timedelta(days=30))
    row = outbox_row(world, f"email:reminder:{gl}:acme:before_30")
    text = row.payload["text"]
    assert row.payload["to"] == ["office@driftwood-locksmith.example"]
    assert row.payload["cc"] == ["certificates@compassins.com"]
    assert row.payload["attachments"] == []
    assert "General liability policy GL-1 with Harbor Mutual expires on 2026-12-15 (in 30 days)" in text
    assert "Acme Property Management LLC" in text
    assert "each occurrence at least $1,000,000" in text
    assert "Certificate holder: Acme Property Management LLC, 100 Main Street, Springfield, IL 62701" in text
    assert "http" not in text and "www." not in text
    assert "2026-12-15" in row.payload["subject"]


def test_escalation_goes_to_approvers_and_staff_in_slack_and_email(world: Engine, cfg: Settings,
                                                                   on_file: OnFile) -> None:
    gl = on_file.gl
    _run(world, cfg, EXP + timedelta(days=14))
    email = outbox_row(world, f"email:reminder:{gl}:acme:escalate")
    assert email.payload["to"] == ["risk@acme.example", "staff@coibot.example"]
    assert "expired on 2026-12-15" in email.payload["text"]
    slack = outbox_row(world, f"slack:reminder:{gl}:acme:escalate")
    assert slack.payload["kind"] == "reminder_escalation"
    assert slack.payload["approvers"] == ["U0ACMEAPPR1"] and slack.payload["channel"] == "C0ACMERISK"


def test_after_downtime_only_the_latest_due_milestone_is_sent(world: Engine, cfg: Settings,
                                                              on_file: OnFile) -> None:
    gl = on_file.gl
    assert _run(world, cfg, EXP - timedelta(days=100)) == []
    sent = _run(world, cfg, EXP - timedelta(days=10))  # down through the 60- and 30-day milestones
    assert f"reminder:{gl}:acme:before_14" in sent
    assert not [k for k in sent if k.startswith("reminder:") and k.endswith(("before_60", "before_30"))]
    assert _run(world, cfg, EXP - timedelta(days=10)) == []  # a second run the same day adds nothing
    assert latest_due(cfg.reminders, EXP, EXP - timedelta(days=10)) == "before_14"


def test_reminders_pause_while_a_newer_certificate_is_pending_and_stop_when_it_is_approved(
        world: Engine, cfg: Settings, on_file: OnFile) -> None:
    gl = on_file.gl
    assert f"reminder:{gl}:acme:before_60" in _run(world, cfg, EXP - timedelta(days=60))
    new = add_certificate(world, extraction(EXP + timedelta(days=365), number="GL-2"))
    renewal = submit(world, new, approve=False)  # compliant: pending approval
    assert not [k for k in _run(world, cfg, EXP - timedelta(days=30)) if k.startswith("reminder:")]
    with session_scope(world) as s:
        workflow.approve(s, renewal, "U0ACMEAPPR1")
    for offset in (-14, -7, -1, 7, 14, 21, 28):
        sent = _run(world, cfg, EXP + timedelta(days=offset))
        assert not [k for k in sent if k.startswith("reminder:")], (offset, sent)
    assert outbox_keys(world, f"email:reminder:{gl}:") == [f"email:reminder:{gl}:acme:before_60"]


@pytest.mark.usefixtures("on_file")
def test_a_draft_renewal_also_pauses(world: Engine, cfg: Settings) -> None:
    deficient = {"client": "acme", "status": "deficient", "gaps": [
        {"code": "limit_below_minimum", "coverage": "general_liability", "field": "limits.each_occurrence",
         "required": 1000000, "found": 500000, "message": "too low"}]}
    submit(world, add_certificate(world, extraction(EXP + timedelta(days=365), number="GL-2")),
           report=deficient, approve=False)
    assert not [k for k in _run(world, cfg, EXP - timedelta(days=30)) if k.startswith("reminder:")]


def test_missing_certificate_is_requested_on_the_cadence_of_the_set(world: Engine, cfg: Settings) -> None:
    current, future = version_id(world, "current"), version_id(world, "2027")
    sent = _run(world, cfg, date(2026, 6, 1))
    # No certificate at all: the current set (in effect since January) is overdue. The provider is
    # asked first; the approvers hear of it only when the request went unanswered.
    requests = [k for k in sent if k.startswith("cert_request:")]
    assert requests == [f"cert_request:1:acme:{current}:after_4"]
    row = outbox_row(world, f"email:cert_request:1:acme:{current}:after_4")
    assert "no certificate of insurance from you on file" in row.payload["text"]
    assert "Workers compensation; el each accident at least $1,000,000" in row.payload["text"]
    assert _run(world, cfg, date(2026, 6, 2)) == []
    _backdate(world)
    assert _run(world, cfg, date(2026, 6, 14)) == []
    assert _run(world, cfg, date(2026, 6, 15)) == [f"cert_request:1:acme:{current}:escalate"]
    escalation = outbox_row(world, f"email:cert_request:1:acme:{current}:escalate")
    assert escalation.payload["to"] == ["risk@acme.example", "staff@coibot.example"]
    # The 2027 set: 60 days before it takes effect.
    assert _run(world, cfg, date(2026, 11, 2)) == [f"cert_request:1:acme:{future}:before_60"]
    text = outbox_row(world, f"email:cert_request:1:acme:{future}:before_60").payload["text"]
    assert "take effect on 2027-01-01 (in 60 days)" in text and "250 Lake Avenue" in text
    # A pending certificate for 2027 pauses the requests for it.
    submit(world, add_certificate(world, extraction(date(2027, 12, 31))), set_name="2027", approve=False)
    assert not [k for k in _run(world, cfg, date(2026, 12, 2)) if k.startswith("cert_request:")]


@pytest.mark.usefixtures("on_file")  # submitted with REPORT_OK and approved
def test_an_approved_certificate_is_on_file(world: Engine, cfg: Settings) -> None:
    with Session(world) as s:
        due = due_on(s, cfg.reminders, date(2026, 6, 1))
    assert [d for d in due if d.kind == "missing"] == []


def test_reminders_resume_when_the_pausing_renewal_is_rejected(world: Engine, cfg: Settings,
                                                               on_file: OnFile) -> None:
    gl = on_file.gl
    _backdate(world)
    assert f"reminder:{gl}:acme:before_60" in _run(world, cfg, EXP - timedelta(days=60))
    renewal = submit(world, add_certificate(world, extraction(EXP + timedelta(days=365), number="GL-2")),
                     approve=False)
    _backdate(world)
    assert not [k for k in _run(world, cfg, EXP - timedelta(days=30)) if k.startswith("reminder:")]
    assert not [k for k in _run(world, cfg, EXP - timedelta(days=20)) if k.startswith("reminder:")]
    with session_scope(world) as s:
        workflow.reject(s, renewal, "U0ACMEAPPR1", "wrong certificate holder")
    # The 30-day milestone passed during the pause; the next run catches up with the latest due one.
    sent = [k for k in _run(world, cfg, EXP - timedelta(days=19)) if k.startswith(f"reminder:{gl}:")]
    assert sent == [f"reminder:{gl}:acme:before_30"]


def test_a_set_without_certificate_holder_or_wording_still_renders(engine: Engine, tmp_path: Path) -> None:
    cfg = settings(tmp_path)
    acme = cfg.client("acme")
    assert acme is not None
    acme.requirement_sets[0].certificate_holder = None
    acme.requirement_sets[0].description_must_include = []
    sync(engine, cfg)
    gl = approved_on_file(engine).gl
    assert f"reminder:{gl}:acme:before_30" in _run(engine, cfg, EXP - timedelta(days=30))
    text = outbox_row(engine, f"email:reminder:{gl}:acme:before_30").payload["text"]
    assert "Certificate holder" not in text and "expires on 2026-12-15" in text

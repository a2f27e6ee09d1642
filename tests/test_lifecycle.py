"""Lifecycle over time on SQLite and PostgreSQL: expiry, future sets taking effect, needs review."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from coibot import models as m
from coibot.config import Settings
from coibot.db import session_scope
from coibot.lifecycle import expire_lapsed, run_day, run_lifecycle
from coibot.review import ReviewError, apply_review, notify_needs_review
from tests.support.lifecycle_world import (
    EXP,
    REPORT_REVIEW,
    OnFile,
    add_certificate,
    extraction,
    outbox_keys,
    outbox_row,
    status_of,
    submit,
    version_id,
)

# cfg, world and on_file are the fixtures of tests/support/lifecycle_fixtures.py.


def _audit(engine: Engine, sid: int, action: str) -> list[m.AuditLog]:
    with Session(engine) as s:
        return list(s.exec(select(m.AuditLog).where(m.AuditLog.entity == "submission",
                                                    m.AuditLog.entity_id == str(sid),
                                                    m.AuditLog.action == action)).all())


def test_expiry_moves_effective_now_to_expired(world: Engine, on_file: OnFile) -> None:
    sid = on_file.submission_id
    with session_scope(world) as s:
        assert expire_lapsed(s, EXP) == []  # in force through its expiration date
    assert status_of(world, sid) == "approved"
    with session_scope(world) as s:
        assert expire_lapsed(s, date(2026, 12, 16)) == [sid]
    assert status_of(world, sid) == "expired"
    [row] = _audit(world, sid, "expired")
    assert (row.from_state, row.to_state, row.actor) == ("approved", "expired", "scheduler")
    assert row.detail is not None and row.detail["lapsed"][0] == {
        "coverage": "Automobile liability", "policy_number": "AU-GL-1", "expiration_date": "2026-12-15"}
    with session_scope(world) as s:
        assert expire_lapsed(s, date(2026, 12, 17)) == []  # once


def test_an_unrequired_policy_expiring_keeps_the_certificate_effective(world: Engine) -> None:
    ex = extraction(EXP)
    ex["policies"].append({"coverage": "other", "coverage_name": "Inland Marine", "policy_number": "IM-1",
                           "effective_date": "2025-06-01", "expiration_date": "2026-06-01", "limits": {}})
    sid = submit(world, add_certificate(world, ex))
    with session_scope(world) as s:
        assert expire_lapsed(s, date(2026, 7, 1)) == []
    assert status_of(world, sid) == "approved"


def test_a_renewed_policy_on_the_same_certificate_keeps_it_effective(world: Engine) -> None:
    ex = extraction(EXP)
    later = copy.deepcopy(ex["policies"])
    for pol in later:
        pol["expiration_date"] = "2027-12-15"
    ex["policies"] += later
    sid = submit(world, add_certificate(world, ex))
    with session_scope(world) as s:
        assert expire_lapsed(s, date(2027, 1, 5)) == []
    assert status_of(world, sid) == "approved"


def test_a_future_set_taking_effect_rechecks_and_emails_new_gaps_once(world: Engine, cfg: Settings) -> None:
    sid = submit(world, add_certificate(world, extraction(date(2027, 6, 1))))
    v2027 = version_id(world, "2027")
    with session_scope(world) as s:
        assert run_lifecycle(s, cfg, date(2026, 12, 31)).rechecked == []
    with session_scope(world) as s:
        report = run_lifecycle(s, cfg, date(2027, 1, 1))
    assert report.rechecked == [(sid, v2027, "deficient")] and report.emailed == [sid]
    email = outbox_row(world, f"email:recheck:{sid}:{v2027}")
    text = email.payload["text"]
    assert email.payload["to"] == ["office@driftwood-locksmith.example"]
    assert email.payload["cc"] == ["certificates@compassins.com"]
    assert "took effect on 2027-01-01" in text
    assert "No Professional Liability policy is shown on the certificate" in text and "(new)" in text
    assert "required $2,000,000, your certificate shows $1,000,000" in text
    with session_scope(world) as s:
        assert run_lifecycle(s, cfg, date(2027, 1, 2)).rechecked == []
    assert len(_audit(world, sid, f"rechecked:{v2027}")) == 1
    assert outbox_keys(world, "email:recheck:") == [f"email:recheck:{sid}:{v2027}"]
    assert status_of(world, sid) == "approved"  # still on file until it expires or is replaced


def test_no_recheck_when_the_future_set_is_already_approved(world: Engine, cfg: Settings) -> None:
    cert = add_certificate(world, extraction(date(2027, 6, 1)))
    submit(world, cert)
    submit(world, cert, set_name="2027")
    with session_scope(world) as s:
        assert run_lifecycle(s, cfg, date(2027, 1, 1)).rechecked == []
    assert outbox_keys(world, "email:recheck:") == []


def test_needs_review_is_posted_once_and_a_correction_reruns_the_check(world: Engine, cfg: Settings) -> None:
    ex = extraction(date(2027, 6, 1))
    ex["policies"][0]["expiration_date"] = None
    ex["policies"][0]["confidence"] = 0.4
    sid = submit(world, add_certificate(world, ex), report=REPORT_REVIEW, approve=False)
    assert status_of(world, sid) == "draft"
    with session_scope(world) as s:
        assert notify_needs_review(s, cfg) == [sid]
    with session_scope(world) as s:
        assert notify_needs_review(s, cfg) == []
    slack = outbox_row(world, f"slack:needs_review:{sid}")
    assert slack.payload["kind"] == "needs_review"
    assert "the expiration date could not be read" in slack.payload["checks"][0]
    email = outbox_row(world, f"email:needs_review:{sid}")
    assert email.payload["to"] == ["staff@coibot.example"]
    assert f"coibot review {sid} --set" in email.payload["text"]

    with session_scope(world) as s, pytest.raises(ReviewError, match="no item 7"):
        apply_review(s, cfg, sid, ["policies[7].expiration_date=2027-06-01"], "staff", date(2026, 6, 1))
    with session_scope(world) as s, pytest.raises(ReviewError, match="not a date"):
        apply_review(s, cfg, sid, ["policies[0].expiration_date=June"], "staff", date(2026, 6, 1))
    with session_scope(world) as s:
        result = apply_review(s, cfg, sid, ["policies[0].expiration_date=2027-06-01"], "staff@coibot.example",
                              date(2026, 6, 1))
    assert result.changes == [{"field": "policies[0].expiration_date", "old": None, "new": "2027-06-01"}]
    assert (sid, "compliant", "pending") in result.rechecked
    with Session(world) as s:
        pol = s.exec(select(m.Policy).where(m.Policy.policy_number == "GL-1")).one()
        assert pol.expiration_date == date(2027, 6, 1)
        cert = s.get(m.Certificate, pol.certificate_id)
        assert cert is not None and cert.extraction["policies"][0]["confidence"] == 1.0
    assert f"slack:approval_request:{sid}" in outbox_keys(world)


@pytest.mark.usefixtures("on_file")
def test_run_day_is_idempotent(world: Engine, cfg: Settings) -> None:
    with session_scope(world) as s:
        first = run_day(s, cfg, date(2026, 12, 20))
    with session_scope(world) as s:
        second = run_day(s, cfg, date(2026, 12, 20))
    assert first.lifecycle.expired and first.sent
    assert second.lifecycle.expired == [] and second.sent == [] and second.due == []
    with Session(world) as s:
        rows = s.exec(select(m.ReminderSent).where(col(m.ReminderSent.milestone) == "before_1")).all()
        assert len(rows) == 3

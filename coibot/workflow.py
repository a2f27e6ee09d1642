"""The submission state machine.

draft → pending → approved | rejected; approved → superseded | expired; draft/pending → superseded.
Every transition is a conditional update (only from the state it was read in), writes an audit
row and, in the same transaction, the outbox rows it causes. Channels are reached only through
the outbox; the caller commits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from coibot import models as m
from coibot.audit import record
from coibot.contacts import provider_recipients
from coibot.errors import CoibotError
from coibot.models import SubmissionStatus as S
from coibot.outbox import enqueue_email, enqueue_slack
from coibot.render import render

log = logging.getLogger(__name__)

ALLOWED: dict[S, frozenset[S]] = {
    S.DRAFT: frozenset({S.PENDING, S.SUPERSEDED}),
    S.PENDING: frozenset({S.APPROVED, S.REJECTED, S.SUPERSEDED}),
    S.APPROVED: frozenset({S.SUPERSEDED, S.EXPIRED}),
    S.REJECTED: frozenset(),
    S.SUPERSEDED: frozenset(),
    S.EXPIRED: frozenset(),
}


class WorkflowError(CoibotError):
    """A workflow request that cannot be carried out as asked."""


class SubmissionNotFound(WorkflowError):
    pass


class TransitionConflict(WorkflowError):
    """The submission is no longer in a state that allows the change (e.g. a second click)."""

    def __init__(self, submission: m.Submission, wanted: S) -> None:
        self.submission = submission
        self.current = S(submission.status)
        self.wanted = wanted
        super().__init__(
            f"submission {submission.id} is {self.current.value}; it cannot become {wanted.value}"
        )


def get_submission(session: Session, submission_id: int) -> m.Submission:
    # Always the row as stored now, never a stale copy from the session's identity map.
    sub = session.get(m.Submission, submission_id, populate_existing=True)
    if sub is None:
        raise SubmissionNotFound(f"no submission {submission_id}")
    return sub


def transition(
    session: Session,
    submission_id: int,
    to: S,
    actor: str,
    *,
    reason: str | None = None,
    now: datetime | None = None,
    detail: dict[str, Any] | None = None,
) -> m.Submission:
    """Move one submission to `to` if allowed from its current state; exactly one caller wins a race."""
    sub = get_submission(session, submission_id)
    frm = S(sub.status)
    if to not in ALLOWED[frm]:
        raise TransitionConflict(sub, to)
    at = now or m.utcnow()
    values: dict[str, Any] = {"status": to, "updated_at": at}
    if to in (S.APPROVED, S.REJECTED):
        values.update(decided_by=actor, decided_at=at, reason=reason)
    result = session.exec(
        update(m.Submission)
        .where(col(m.Submission.id) == submission_id, col(m.Submission.status) == frm)
        .values(**values)
    )
    if result.rowcount != 1:
        session.refresh(sub)
        raise TransitionConflict(sub, to)
    session.refresh(sub)
    record(session, actor, "submission", str(submission_id), to.value, frm.value, to.value,
           {**(detail or {}), **({"reason": reason} if reason else {})})
    log.info("submission %s: %s -> %s by %s", submission_id, frm.value, to.value, actor)
    return sub


def record_submission(
    session: Session,
    *,
    certificate_id: int,
    client_id: str,
    provider_id: int | None,
    requirement_set_id: int,
    report: dict[str, Any],
    source: str,
    inbound_id: int | None = None,
    actor: str = "coibot",
) -> m.Submission:
    """Store a checked certificate for one client: compliant → pending approval, otherwise a draft."""
    sub = m.Submission(
        certificate_id=certificate_id, client_id=client_id, provider_id=provider_id,
        requirement_set_id=requirement_set_id, status=S.DRAFT, check_status=report.get("status"),
        gaps=report.get("gaps") or [], report=_report_without_certificate(report), source=source,
        inbound_id=inbound_id,
    )
    session.add(sub)
    session.flush()
    if sub.id is None:
        raise WorkflowError("submission has no id after flush")
    record(session, actor, "submission", str(sub.id), "created", None, S.DRAFT.value,
           {"client": client_id, "check_status": report.get("status"), "gaps": len(sub.gaps or [])})
    if report.get("status") == "compliant":
        submit_for_approval(session, sub.id, actor)
    return sub


def _report_without_certificate(report: dict[str, Any]) -> dict[str, Any]:
    # The certificate is stored once on its own row; the report keeps only the verdict.
    return {k: v for k, v in report.items() if k != "certificate"}


def submit_for_approval(session: Session, submission_id: int, actor: str) -> m.Submission:
    """draft → pending (the provider's SEND, or automatic when compliant); asks the approvers."""
    sub = transition(session, submission_id, S.PENDING, actor)
    enqueue_slack(session, f"slack:approval_request:{submission_id}", "approval_request",
                  {"submission_id": submission_id})
    return sub


def approve(session: Session, submission_id: int, actor: str, *, now: datetime | None = None) -> m.Submission:
    """pending → approved ("Effective Now"); supersedes what it replaces and tells everyone once."""
    sub = transition(session, submission_id, S.APPROVED, actor, now=now)
    for older in _superseded_by(session, sub):
        if older.id is not None:
            transition(session, older.id, S.SUPERSEDED, actor, now=now,
                       detail={"superseded_by": submission_id})
    _notify_decision(session, sub, "approved")
    return sub


def reject(
    session: Session, submission_id: int, actor: str, reason: str, *, now: datetime | None = None
) -> m.Submission:
    """pending → rejected; a reason is required and goes to the provider with the gaps."""
    if not reason or not reason.strip():
        raise WorkflowError("a rejection needs a reason")
    sub = transition(session, submission_id, S.REJECTED, actor, reason=reason.strip(), now=now)
    _notify_decision(session, sub, "rejected")
    return sub


def expire(session: Session, submission_id: int, actor: str = "scheduler",
           *, now: datetime | None = None, detail: dict[str, Any] | None = None) -> m.Submission:
    """approved → expired, when a required policy on it has expired."""
    return transition(session, submission_id, S.EXPIRED, actor, now=now, detail=detail)


BATCH = 500  # submissions per UPDATE … IN (…) of a batch transition (well under SQLite's bound values)


def expire_many(session: Session, items: Sequence[tuple[int, dict[str, Any]]], actor: str = "scheduler",
                *, now: datetime | None = None) -> list[int]:
    """approved → expired for many submissions (id, audit detail); returns the ids this call expired.

    The same transition as `expire`, one statement per BATCH instead of a read, an update, a
    refresh and a flush per submission (a first run expires every lapsed certificate on file).
    Each update is conditional on `approved`, so a submission decided meanwhile is left alone.
    """
    if not items:
        return []
    session.flush()  # pending changes go first, as an ORM update would autoflush them
    at = now or m.utcnow()
    table = m.Submission.__table__  # type: ignore[attr-defined]
    details = dict(items)
    won: list[int] = []
    ids = list(details)
    for i in range(0, len(ids), BATCH):
        chunk = ids[i:i + BATCH]
        result = session.connection().execute(
            update(table).where(table.c.id.in_(chunk), table.c.status == S.APPROVED.value)
            .values(status=S.EXPIRED.value, updated_at=at).returning(table.c.id))
        done = {row[0] for row in result}
        won += [sid for sid in chunk if sid in done]
    for sid in set(ids) - set(won):
        log.info("submission %s not expired: it is no longer approved", sid)
    if not won:
        return []
    audit = m.AuditLog.__table__  # type: ignore[attr-defined]
    rows = [{"at": at, "actor": actor, "entity": "submission", "entity_id": str(sid),
             "action": S.EXPIRED.value, "from_state": S.APPROVED.value, "to_state": S.EXPIRED.value,
             "detail": details[sid]} for sid in won]
    for i in range(0, len(rows), BATCH):
        session.connection().execute(insert(audit), rows[i:i + BATCH])
    # Objects of these submissions already in the session must not keep the old status.
    expired = set(won)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, m.Submission) and obj.id in expired:
            session.expire(obj)
    for sid in won:
        log.info("submission %s: %s -> %s by %s", sid, S.APPROVED.value, S.EXPIRED.value, actor)
    return won


def coverages_of(session: Session, certificate_id: int) -> set[str]:
    """The coverages a certificate shows, `other` ones by their printed name."""
    rows = session.exec(select(m.Policy).where(m.Policy.certificate_id == certificate_id)).all()
    return {p.coverage if p.coverage != "other" else f"other:{(p.coverage_name or '').lower()}" for p in rows}


def _superseded_by(session: Session, new: m.Submission) -> list[m.Submission]:
    """Earlier approved submissions, same client and provider, whose every coverage the new one shows."""
    new_cov = coverages_of(session, new.certificate_id)
    older = session.exec(
        select(m.Submission).where(
            m.Submission.client_id == new.client_id,
            m.Submission.provider_id == new.provider_id,
            m.Submission.status == S.APPROVED,
            m.Submission.id != new.id,
        )
    ).all()
    return [o for o in older if coverages_of(session, o.certificate_id) <= new_cov]


def _notify_decision(session: Session, sub: m.Submission, decision: str) -> None:
    client = session.get(m.Client, sub.client_id)
    cert = session.get(m.Certificate, sub.certificate_id)
    provider = session.get(m.Provider, sub.provider_id) if sub.provider_id is not None else None
    version = session.get(m.RequirementSetVersion, sub.requirement_set_id)
    to, cc = provider_recipients(session, sub.provider_id, cert.extraction if cert else None)
    context = {
        "client_name": client.name if client else sub.client_id,
        "provider_name": provider.name if provider else "",
        "insured_name": (cert.insured_name if cert else None) or "",
        "set_name": version.name if version else "",
        "effective_from": version.effective_from.isoformat() if version else "",
        "gaps": sub.gaps or [],
        "reason": sub.reason or "",
        "decided_by": sub.decided_by or "",
        "submission_id": sub.id,
    }
    if to:
        subject = (f"Certificate approved by {context['client_name']}" if decision == "approved"
                   else f"Certificate rejected by {context['client_name']}")
        enqueue_email(session, f"email:decision:{sub.id}", to, subject,
                      render(f"email/decision_{decision}.txt.j2", **context), cc=cc)
    else:
        log.warning("submission %s %s but the provider has no e-mail contact", sub.id, decision)
    enqueue_slack(session, f"slack:decision:{sub.id}", "decision_update", {"submission_id": sub.id})

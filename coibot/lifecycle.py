"""The certificate lifecycle over time: expiry of Effective Now certificates and future sets taking effect.

The state machine itself is coibot.workflow; this module decides, for a date, which transitions
time causes: an approved certificate whose required policy has lapsed becomes expired, and when a
future requirement set becomes current the provider's effective certificates are checked again
against it and the new gaps are e-mailed (once per submission and set version).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import String, and_, cast, exists, func, or_
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from coibot import models as m
from coibot import workflow
from coibot.audit import record
from coibot.check import check_certificate
from coibot.config import Settings
from coibot.contacts import provider_recipients
from coibot.errors import CoibotError
from coibot.models import SubmissionStatus as S
from coibot.outbox import enqueue_email
from coibot.reminders import (
    CHANGE_MARGIN,
    Due,
    Since,
    coverage_label,
    due_on,
    enqueue_due,
    reply_address,
    requires,
)
from coibot.render import render
from coibot.requirements import RequirementSet

log = logging.getLogger(__name__)

ACTOR = "scheduler"
RECHECKED = "rechecked"


@dataclass
class LifecycleReport:
    """What one lifecycle run changed."""

    expired: list[int] = field(default_factory=list)
    rechecked: list[tuple[int, int, str]] = field(default_factory=list)  # (submission, set version, status)
    emailed: list[int] = field(default_factory=list)


def run_lifecycle(session: Session, settings: Settings, as_of: date, actor: str = ACTOR,
                  since: Since | None = None) -> LifecycleReport:
    """Expire what lapsed, re-check against sets that became current; the caller commits."""
    report = LifecycleReport()
    report.expired = expire_lapsed(session, as_of, actor, since)
    recheck_current_sets(session, settings, as_of, report, actor)
    return report


# ------------------------------------------------------------------ expiry


PolicyRow = tuple[str, str | None, str | None, date | None]  # coverage, coverage name, number, expiration


def lapsed_coverages(spec: dict[str, Any] | None, policies: list[PolicyRow],
                     as_of: date) -> list[dict[str, Any]]:
    """Required coverages whose every readable policy on the certificate expired before `as_of`."""
    by_kind: dict[tuple[str, str | None], list[tuple[str | None, date]]] = defaultdict(list)
    for coverage, name, number, exp in policies:
        if exp is not None and requires(spec, coverage, name):
            by_kind[(coverage, name)].append((number, exp))
    lapsed: list[dict[str, Any]] = []
    for (coverage, name), rows in sorted(by_kind.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        number, latest = max(rows, key=lambda r: r[1])
        if latest < as_of:
            lapsed.append({"coverage": coverage_label(coverage, name), "policy_number": number,
                           "expiration_date": latest.isoformat()})
    return lapsed


def expire_lapsed(session: Session, as_of: date, actor: str = ACTOR, since: Since | None = None) -> list[int]:
    """approved → expired for every submission with a required policy that expired before `as_of`.

    With `since` (the previous run), only policies that lapsed after it and submissions changed
    after it are looked at; everything older was settled by that run.
    """
    p = m.Policy.__table__  # type: ignore[attr-defined]
    s = m.Submission.__table__  # type: ignore[attr-defined]
    v = m.RequirementSetVersion.__table__  # type: ignore[attr-defined]
    p2, s2, p3 = aliased(p), aliased(s), aliased(p)
    any_lapsed = exists().where(p2.c.certificate_id == s.c.certificate_id, p2.c.expiration_date < as_of)
    where: list[Any] = [s.c.status == S.APPROVED.value, any_lapsed]
    if since is not None:
        newly = (core_select(s2.c.id).select_from(p3.join(s2, s2.c.certificate_id == p3.c.certificate_id))
                 .where(p3.c.expiration_date >= since.as_of - timedelta(days=1), p3.c.expiration_date < as_of,
                        s2.c.status == S.APPROVED.value))
        where.append(or_(s.c.id.in_(newly), s.c.updated_at >= since.at - CHANGE_MARGIN))
    rows = session.connection().execute(
        core_select(s.c.id, s.c.requirement_set_id, p.c.coverage, p.c.coverage_name, p.c.policy_number,
                    p.c.expiration_date)
        .select_from(s.join(p, p.c.certificate_id == s.c.certificate_id))
        .where(*where)
        .order_by(s.c.id)
    ).all()
    # Each set version's spec read (and its JSON parsed) once, not once per policy row.
    specs: dict[int, dict[str, Any]] = {}
    set_ids = sorted({row[1] for row in rows})
    for i in range(0, len(set_ids), workflow.BATCH):
        for set_id, spec in session.connection().execute(
                core_select(v.c.id, v.c.spec).where(v.c.id.in_(set_ids[i:i + workflow.BATCH]))):
            specs[set_id] = spec
    grouped: dict[int, tuple[dict[str, Any], list[PolicyRow]]] = {}
    for sub_id, set_id, coverage, name, number, exp in rows:
        grouped.setdefault(sub_id, (specs.get(set_id) or {}, []))[1].append((coverage, name, number, exp))
    lapsing: list[tuple[int, dict[str, Any]]] = []
    for sub_id, (spec, policies) in grouped.items():
        lapsed = lapsed_coverages(spec, policies, as_of)
        if lapsed:
            lapsing.append((sub_id, {"lapsed": lapsed, "as_of": as_of.isoformat()}))
    # In batches: a first run (or one after a long outage) expires every lapsed certificate on file.
    expired = workflow.expire_many(session, lapsing, actor)
    if expired:
        log.info("expired %d submission(s) on %s: %s", len(expired), as_of.isoformat(), expired)
    return expired


# ------------------------------------------------------------------ future sets taking effect


def current_versions(session: Session, as_of: date) -> dict[str, m.RequirementSetVersion]:
    """Each active client's current set version on `as_of` (the latest effective_from not after it)."""
    v = m.RequirementSetVersion
    latest_start = (
        select(v.client_id, func.max(v.effective_from).label("start"))
        .where(col(v.is_latest), col(v.active), v.effective_from <= as_of)
        .group_by(v.client_id)
        .subquery()
    )
    rows = session.exec(
        select(v).join(latest_start, and_(col(v.client_id) == latest_start.c.client_id,
                                          col(v.effective_from) == latest_start.c.start))
        .where(col(v.is_latest), col(v.active))
    ).all()
    return {row.client_id: row for row in rows}


def recheck_current_sets(session: Session, settings: Settings, as_of: date, report: LifecycleReport,
                         actor: str = ACTOR) -> None:
    """Check approved certificates of an older set against the set now current; e-mail new gaps."""
    current = current_versions(session, as_of)
    if not current:
        return
    s = m.Submission.__table__  # type: ignore[attr-defined]
    old = aliased(m.RequirementSetVersion.__table__)  # type: ignore[attr-defined]
    s2 = aliased(s)
    a = m.AuditLog.__table__  # type: ignore[attr-defined]
    ids: list[int] = []
    for cur in current.values():
        if cur.id is None:
            continue
        done = exists().where(a.c.entity == "submission", a.c.entity_id == cast(s.c.id, String),
                              a.c.action == recheck_action(cur.id))
        covered = exists().where(s2.c.provider_id == s.c.provider_id, s2.c.client_id == s.c.client_id,
                                 s2.c.requirement_set_id == cur.id,
                                 s2.c.status.in_([S.APPROVED.value, S.PENDING.value]))
        ids += [row[0] for row in session.connection().execute(
            core_select(s.c.id).select_from(s.join(old, old.c.id == s.c.requirement_set_id))
            .where(s.c.client_id == cur.client_id, s.c.status == S.APPROVED.value,
                   s.c.provider_id.is_not(None), s.c.requirement_set_id != cur.id,
                   old.c.effective_from <= cur.effective_from,  # not approved for a set still in the future
                   ~done, ~covered)
            .order_by(s.c.id)).all()]
    for sub_id in ids:
        sub = session.get(m.Submission, sub_id)
        if sub is not None:
            _recheck_one(session, settings, sub, current[sub.client_id], as_of, report, actor)


def recheck_action(version_id: int) -> str:
    """The audit action of a re-check against one set version (so "done" is an index lookup)."""
    return f"{RECHECKED}:{version_id}"


def _gap_key(gap: dict[str, Any]) -> tuple[Any, Any, Any]:
    return gap.get("code"), gap.get("coverage"), gap.get("field")


def _recheck_one(session: Session, settings: Settings, sub: m.Submission, version: m.RequirementSetVersion,
                 as_of: date, report: LifecycleReport, actor: str) -> None:
    client_cfg = settings.client(sub.client_id)
    cert = session.get(m.Certificate, sub.certificate_id)
    provider = session.get(m.Provider, sub.provider_id) if sub.provider_id is not None else None
    client = session.get(m.Client, sub.client_id)
    if client_cfg is None or cert is None or provider is None or client is None or sub.id is None:
        log.warning("submission %s: cannot re-check (client, certificate or provider not on file)", sub.id)
        return
    try:
        rs = RequirementSet.model_validate(version.spec)
    except ValidationError as exc:
        log.error("requirement set version %s does not validate; not re-checking: %s", version.id, exc)
        return
    result = check_certificate(cert.extraction, client_cfg, rs, as_of, provider.name,
                               providers=settings.provider_pairs())
    gaps: list[dict[str, Any]] = result.get("gaps") or []
    before = {_gap_key(g) for g in (sub.gaps or [])}
    new = [g for g in gaps if _gap_key(g) not in before]
    record(session, actor, "submission", str(sub.id), recheck_action(version.id or 0), S.APPROVED.value,
           S.APPROVED.value,
           {"requirement_set_id": version.id, "set": version.name, "status": result.get("status"),
            "gaps": gaps, "new_gaps": len(new), "as_of": as_of.isoformat()})
    report.rechecked.append((sub.id, version.id or 0, str(result.get("status"))))
    log.info("submission %s re-checked against %s/%s v%s: %s, %d gap(s), %d new", sub.id, sub.client_id,
             version.name, version.version, result.get("status"), len(gaps), len(new))
    if not new:
        return
    to, cc = provider_recipients(session, provider.id, cert.extraction)
    if not to and cc:
        to, cc = cc, []
    if not to:
        log.warning("submission %s has new gaps but the provider has no e-mail contact or broker", sub.id)
        return
    text = render("email/recheck.txt.j2", provider_name=provider.name, client_name=client.name,
                  insured_name=cert.insured_name or provider.name, set_name=version.name,
                  effective_from=version.effective_from, gaps=gaps, new=[_gap_key(g) for g in new],
                  address=reply_address(settings))
    row = enqueue_email(session, f"email:recheck:{sub.id}:{version.id}", to,
                        f"{client.name}: new insurance requirements from "
                        f"{version.effective_from.isoformat()}", text, cc=cc)
    if row is not None:
        report.emailed.append(sub.id)



# ------------------------------------------------------------------ one scheduled run


@dataclass
class DayReport:
    """What one run decided and enqueued for a day."""

    as_of: date
    lifecycle: LifecycleReport
    due: list[Due]
    sent: list[Due]
    needs_review: list[int]


def run_day(session: Session, settings: Settings, as_of: date, actor: str = ACTOR,
            now: datetime | None = None) -> DayReport:
    """Everything time causes on `as_of`: expiry, re-checks, reminders, needs-review posts.

    Idempotent: a second run on the same day (another process, a retry, a restart) finds the
    transitions done and the messages recorded, and adds nothing. `now` is the run's instant
    (the scheduler's clock), recorded as the messages' sent_at. The caller commits.
    """
    from coibot.review import notify_needs_review  # review imports lifecycle's neighbours; keep it lazy

    started = m.utcnow()
    since = last_run(session, as_of)
    lifecycle = run_lifecycle(session, settings, as_of, actor, since)
    due = due_on(session, settings.reminders, as_of, since)
    sent = enqueue_due(session, settings, due, as_of, now)
    reviewed = notify_needs_review(session, settings)
    record_run(session, as_of, started)
    log.info("run for %s: %d expired, %d re-checked, %d due, %d enqueued, %d needs-review posted",
             as_of.isoformat(), len(lifecycle.expired), len(lifecycle.rechecked), len(due), len(sent),
             len(reviewed))
    return DayReport(as_of, lifecycle, due, sent, reviewed)


def last_run(session: Session, as_of: date) -> Since | None:
    """What the latest completed run on or before `as_of` covered; None before the first run."""
    row = session.exec(select(m.ReminderRun).where(m.ReminderRun.as_of <= as_of)
                       .order_by(col(m.ReminderRun.as_of).desc())).first()
    return Since(row.as_of, row.started_at) if row is not None else None


def record_run(session: Session, as_of: date, started: datetime) -> None:
    """Record a completed run; last in the run, so a run that fails records nothing and the next
    one covers its days again."""
    table = m.ReminderRun.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    inserts: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    if dialect not in inserts:
        raise CoibotError(f"unsupported database dialect {dialect}")
    stmt = inserts[dialect](table).values(as_of=as_of, started_at=started, finished_at=m.utcnow())
    stmt = stmt.on_conflict_do_update(index_elements=["as_of"], set_={
        "started_at": stmt.excluded.started_at, "finished_at": stmt.excluded.finished_at})
    session.connection().execute(stmt)


def try_lease(session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease `name` until now + ttl unless another holder's is still valid.

    One conditional upsert: insert, or update only when the holder is us or the lease expired.
    RETURNING yields a row only when this statement took it. Inside the caller's transaction, so
    on SQLite the run that follows holds the write lock from its first statement.
    """
    table = m.Lease.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    inserts: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    if dialect not in inserts:
        raise CoibotError(f"unsupported database dialect {dialect}")
    stmt = inserts[dialect](table).values(name=name, holder=holder, expires_at=now + ttl)
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"],
        set_={"holder": stmt.excluded.holder, "expires_at": stmt.excluded.expires_at},
        where=or_(table.c.holder == holder, table.c.expires_at < now),
    ).returning(table.c.holder)
    won = session.connection().execute(stmt).first() is not None
    log.debug("lease %s for %s: %s", name, holder, "taken" if won else "held by another process")
    return won

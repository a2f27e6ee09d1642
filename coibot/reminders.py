"""What is due on a date: renewal reminders, requests for missing certificates, escalations.

Every message has a deadline: a policy's expiration date, or the date a requirement set takes
effect. Milestones sit at fixed offsets from it (`before_60` … `before_1`, then `after_1` …
`after_N` every `after_expiry_every_days`, and `escalate`). On a given day the *latest* milestone
whose date has passed is due unless it was already sent, so a run after downtime catches up with
one message, never a burst. Because each milestone is a window of deadlines, deciding is one SQL
query of date comparisons over indexed columns, with the "already sent", "renewed" and "paused"
tests as anti-joins.

Sending is `enqueue_due`: an insert-or-ignore into reminder_sent / certificate_request_sent, and
only when that inserted, the outbox rows (idempotent by key) in the same transaction. Two
schedulers deciding the same day therefore enqueue each message once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from coibot import models as m
from coibot.clock import send_instant
from coibot.config import Reminders, Settings
from coibot.contacts import broker_email, contact_emails, provider_recipients, recipients
from coibot.errors import CoibotError
from coibot.models import SubmissionStatus as S
from coibot.outbox import Queued, email_message, enqueue_many, slack_message
from coibot.render import render

log = logging.getLogger(__name__)

ESCALATE = "escalate"
# How far back a missed milestone is still caught up; older deadlines are history, not reminders.
CATCH_UP_HORIZON_DAYS = 366

Kind = Literal["renewal", "missing"]


class ReminderError(CoibotError):
    """A reminder could not be decided or enqueued as asked."""


@dataclass(frozen=True)
class Milestone:
    name: str
    offset_days: int  # relative to the deadline: negative before it, positive after


def milestones(cfg: Reminders) -> list[Milestone]:
    """The provider-facing milestones in date order (escalation is separate)."""
    before = [Milestone(f"before_{d}", -d) for d in sorted(cfg.days_before_expiry, reverse=True)]
    after = [Milestone(f"after_{k}", k * cfg.after_expiry_every_days)
             for k in range(1, cfg.after_expiry_max + 1)]
    return before + after


@dataclass(frozen=True)
class Since:
    """What the previous completed run covered: milestones dated up to `as_of`, changes made before `at`.

    With it, a run looks only at deadlines whose milestone date fell after `as_of` and at the
    provider-client pairs whose submissions changed after `at` (a decision, a pause lifted, a
    correction); without it (first run), at everything within the catch-up horizon.
    """

    as_of: date
    at: datetime


# SQLite connection settings for the decision queries (memory, not correctness).
# Clock skew and transactions still open when the previous run started.
CHANGE_MARGIN = timedelta(hours=1)


def latest_due(cfg: Reminders, deadline: date, as_of: date) -> str | None:
    """The latest provider milestone on or before `as_of` (the Python twin of the SQL CASE)."""
    due = [ms.name for ms in milestones(cfg) if deadline + timedelta(days=ms.offset_days) <= as_of]
    return due[-1] if due else None


def escalation_due(cfg: Reminders, deadline: date, as_of: date) -> bool:
    return deadline + timedelta(days=cfg.escalate_after_days) <= as_of


@dataclass(frozen=True)
class Due:
    """One message that is due: a renewal reminder (per policy) or a missing-certificate request."""

    kind: Kind
    milestone: str
    client_id: str
    provider_id: int
    deadline: date
    days_left: int
    requirement_set_id: int
    policy_id: int | None = None
    submission_id: int | None = None
    certificate_id: int | None = None
    coverage: str | None = None
    coverage_name: str | None = None
    policy_number: str | None = None
    carrier: str | None = None
    set_name: str | None = None
    spec: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def escalate(self) -> bool:
        return self.milestone == ESCALATE

    @property
    def key(self) -> str:
        if self.kind == "renewal":
            return f"reminder:{self.policy_id}:{self.client_id}:{self.milestone}"
        return f"cert_request:{self.provider_id}:{self.client_id}:{self.requirement_set_id}:{self.milestone}"

    def why(self) -> str:
        """One line for `coibot remind --dry-run`."""
        when = _relative(self.days_left)
        if self.kind == "renewal":
            what = (f"{self.coverage_label} policy {self.policy_number or '(number not read)'} "
                    f"expires {self.deadline.isoformat()} ({when})")
        else:
            what = (f"no certificate on file for requirement set {self.set_name!r} "
                    f"in effect from {self.deadline.isoformat()} ({when})")
        return f"{self.milestone}: {what}"

    @property
    def coverage_label(self) -> str:
        return coverage_label(self.coverage or "", self.coverage_name)


def coverage_label(coverage: str, name: str | None) -> str:
    if coverage == "other" and name:
        return name
    return coverage.replace("_", " ").capitalize() if coverage else "Insurance"


def _relative(days_left: int) -> str:
    if days_left > 1:
        return f"in {days_left} days"
    if days_left == 1:
        return "tomorrow"
    if days_left == 0:
        return "today"
    return f"{-days_left} day{'s' if days_left != -1 else ''} ago"


# ------------------------------------------------------------------ deciding


def _milestone_case(cfg: Reminders, deadline: Any, as_of: date) -> ColumnElement[Any]:
    """SQL: the latest milestone whose date has passed, or NULL (deadline windows, no date math in SQL)."""
    whens = [(deadline <= as_of - timedelta(days=ms.offset_days), literal(ms.name))
             for ms in reversed(milestones(cfg))]
    if not whens:
        return literal(None)
    return case(*whens, else_=literal(None))


def _escalation_case(cfg: Reminders, deadline: Any, as_of: date) -> ColumnElement[Any]:
    # A name or NULL rather than a boolean: "already sent" is then an index probe on the same
    # (…, milestone) key as the milestones, not a scan of every escalation ever sent.
    return case((deadline <= as_of - timedelta(days=cfg.escalate_after_days), literal(ESCALATE)),
                else_=literal(None))


def _horizon(cfg: Reminders, as_of: date) -> tuple[date, date]:
    """The deadlines that can have anything due on `as_of`."""
    first = max(cfg.days_before_expiry, default=0)
    last = max(cfg.after_expiry_every_days * cfg.after_expiry_max, cfg.escalate_after_days)
    return as_of - timedelta(days=last + CATCH_UP_HORIZON_DAYS), as_of + timedelta(days=first)


def _windows(cfg: Reminders, deadline: Any, since: date, as_of: date, floor: date) -> ColumnElement[bool]:
    """SQL: a milestone (or the escalation) of this deadline is dated in (since, as_of], deadline >= floor."""
    # Largest offset first gives the windows in ascending date order.
    offsets = sorted({ms.offset_days for ms in milestones(cfg)} | {cfg.escalate_after_days}, reverse=True)
    spans: list[tuple[date, date]] = []
    for off in offsets:  # merged so that overlapping windows scan the index once
        lo, hi = max(since + timedelta(days=1 - off), floor), as_of - timedelta(days=off)
        if lo > hi:
            continue
        if spans and lo <= spans[-1][1] + timedelta(days=1):
            spans[-1] = (min(spans[-1][0], lo), max(spans[-1][1], hi))
        else:
            spans.append((lo, hi))
    if not spans:
        return literal(False)
    return or_(*(deadline.between(lo, hi) for lo, hi in spans))


def due_renewals(session: Session, cfg: Reminders, as_of: date, since: Since | None = None) -> list[Due]:
    """Renewal reminders and escalations due on `as_of`, one query.

    A policy is reminded when it is on an approved (or since expired) submission, no approved
    submission of the same provider and client shows the same coverage expiring later (the
    renewal), and no newer certificate of theirs is pending or in draft (the pause).

    The statement has two stages: a materialized CTE finds the (few) candidates whose latest
    milestone is not yet sent, by a range scan on the expiration index and a probe of
    reminder_sent's unique index; only those rows are tested for renewal and pause, so the cost
    follows the number of policies near a milestone, not the size of the history.
    """
    p = m.Policy.__table__  # type: ignore[attr-defined]
    s = m.Submission.__table__  # type: ignore[attr-defined]
    rs = m.ReminderSent.__table__  # type: ignore[attr-defined]
    deadline = p.c.expiration_date
    lo, hi = _horizon(cfg, as_of)
    columns = (p.c.id.label("policy_id"), s.c.client_id, s.c.provider_id, s.c.id.label("submission_id"),
               s.c.certificate_id, s.c.requirement_set_id, p.c.coverage, p.c.coverage_name,
               p.c.policy_number, p.c.carrier, deadline.label("deadline"),
               _milestone_case(cfg, deadline, as_of).label("milestone"),
               _escalation_case(cfg, deadline, as_of).label("escalate"))
    eligible = (s.c.status.in_([S.APPROVED.value, S.EXPIRED.value]), s.c.provider_id.is_not(None))
    policies = p.join(s, s.c.certificate_id == p.c.certificate_id)
    if since is None:
        cand = (select(*columns).select_from(policies).where(deadline.between(lo, hi), *eligible)
                .subquery("cand"))
    else:
        # Deadlines with a milestone dated since the last run (an index range scan), plus every
        # policy of a provider-client pair whose submissions changed since then (driven from
        # those few pairs, not from the policies).
        changed = _changed_pairs(since)
        pairs = changed.join(s, and_(s.c.provider_id == changed.c.provider_id,
                                     s.c.client_id == changed.c.client_id)).join(
            p, p.c.certificate_id == s.c.certificate_id)
        # No horizon range in these branches: the planner would scan it instead of the windows
        # or the pairs; the windows are clamped to it and the pairs' rows are filtered below.
        cand = union_all(
            select(*columns).select_from(policies).where(*eligible,
                                                          _windows(cfg, deadline, since.as_of, as_of, lo)),
            select(*columns).select_from(pairs).where(*eligible),
        ).subquery("cand")

    def sent(milestone: Any) -> Any:
        return exists().where(rs.c.policy_id == cand.c.policy_id, rs.c.client_id == cand.c.client_id,
                              rs.c.milestone == milestone)

    due = (select(cand).where(_unsent(cand, sent)).cte("due")
           # Materialized: the renewal and pause tests run on the few unsent rows only.
           .prefix_with("MATERIALIZED"))

    def sent_due(milestone: Any) -> Any:
        return exists().where(rs.c.policy_id == due.c.policy_id, rs.c.client_id == due.c.client_id,
                              rs.c.milestone == milestone)

    s2, p2, s3 = aliased(s), aliased(p), aliased(s)
    renewed = exists().where(
        s2.c.provider_id == due.c.provider_id, s2.c.client_id == due.c.client_id,
        s2.c.status == S.APPROVED.value, p2.c.certificate_id == s2.c.certificate_id,
        p2.c.coverage == due.c.coverage, p2.c.expiration_date > due.c.deadline,
    )
    paused = exists().where(
        s3.c.provider_id == due.c.provider_id, s3.c.client_id == due.c.client_id,
        s3.c.status.in_([S.PENDING.value, S.DRAFT.value]), s3.c.certificate_id > due.c.certificate_id,
    )
    # Renewed and paused are selected per due row and dropped below, not anti-joined in WHERE:
    # PostgreSQL cannot see that "already sent" leaves few of the candidates, so for an anti-join it
    # hashed every policy of every approved certificate (180 ms at 294,000 policies) instead of
    # probing the provider-client index for the few due rows. As subqueries of the select list
    # both databases evaluate them only for the rows of the materialized CTE.
    query = select(due, sent_due(due.c.milestone), sent_due(due.c.escalate), renewed, paused)
    out: list[Due] = []
    seen: set[tuple[int, str, str]] = set()
    rows = session.connection().execute(query).all()
    sets = _set_versions(session, {row[5] for row in rows})
    for row in rows:
        (policy_id, client_id, provider_id, sub_id, cert_id, set_id, coverage, coverage_name, number,
         carrier, exp, milestone, escalate, ms_sent, esc_sent, renewal_on_file, paused_by_newer) = row
        if renewal_on_file or paused_by_newer:
            continue
        set_name, spec = sets.get(set_id, ("", {}))
        if not lo <= exp <= hi or not requires(spec, coverage, coverage_name):
            continue
        for name in _names(milestone, ms_sent, escalate, esc_sent):
            if (policy_id, client_id, name) in seen:
                continue  # two branches of the union, or one certificate approved for two sets
            seen.add((policy_id, client_id, name))
            out.append(Due("renewal", name, client_id, provider_id, exp, (exp - as_of).days, set_id,
                           policy_id=policy_id, submission_id=sub_id, certificate_id=cert_id,
                           coverage=coverage, coverage_name=coverage_name, policy_number=number,
                           carrier=carrier, set_name=set_name, spec=spec or {}))
    return out


def _unsent(cand: Any, sent: Any) -> ColumnElement[bool]:
    """Whether the candidate's milestone, or its escalation, is not yet sent."""
    return or_(and_(cand.c.milestone.is_not(None), ~sent(cand.c.milestone)),
               and_(cand.c.escalate.is_not(None), ~sent(cand.c.escalate)))


def _names(milestone: str | None, ms_sent: bool, escalate: str | None, esc_sent: bool) -> list[str]:
    names = [milestone] if milestone and not ms_sent else []
    return [*names, ESCALATE] if escalate and not esc_sent else names


def _changed_pairs(since: Since) -> Any:
    # No DISTINCT (duplicates are dropped when the rows are read), so the updated_at index is used.
    s = m.Submission.__table__  # type: ignore[attr-defined]
    return (select(s.c.provider_id, s.c.client_id).where(s.c.updated_at >= since.at - CHANGE_MARGIN)
            .subquery("changed"))


def _set_versions(session: Session, ids: set[int]) -> dict[int, tuple[str, dict[str, Any]]]:
    """Name and spec of the few set versions the due rows point at (once each, not per row)."""
    if not ids:
        return {}
    v = m.RequirementSetVersion.__table__  # type: ignore[attr-defined]
    rows = session.connection().execute(select(v.c.id, v.c.name, v.c.spec).where(v.c.id.in_(ids))).all()
    return {row[0]: (row[1], row[2] or {}) for row in rows}


def due_requests(session: Session, cfg: Reminders, as_of: date, since: Since | None = None) -> list[Due]:
    """Requests for missing certificates due on `as_of`, one query.

    For every active provider-client link and every requirement set that is current or future,
    a provider with no approved, expired or pending certificate for that set is asked for one,
    on the cadence of the set's effective date.
    """
    pc = m.ProviderClient.__table__  # type: ignore[attr-defined]
    prov = m.Provider.__table__  # type: ignore[attr-defined]
    cl = m.Client.__table__  # type: ignore[attr-defined]
    v = m.RequirementSetVersion.__table__  # type: ignore[attr-defined]
    s = m.Submission.__table__  # type: ignore[attr-defined]
    crs = m.CertificateRequestSent.__table__  # type: ignore[attr-defined]
    v2, v3 = aliased(v), aliased(v)
    deadline = v.c.effective_from
    current_start = (
        select(func.max(v3.c.effective_from))
        .where(v3.c.client_id == v.c.client_id, v3.c.is_latest, v3.c.active, v3.c.effective_from <= as_of)
        .scalar_subquery()
    )
    # Escalate only after the provider was asked and had escalate_after_days to answer: a provider
    # linked long after the set took effect gets a request first, not an alarm to the approvers.
    crs_asked = aliased(crs)
    asked_by = datetime.combine(as_of - timedelta(days=cfg.escalate_after_days), time.max, tzinfo=UTC)
    asked_long_ago = exists().where(
        crs_asked.c.provider_id == pc.c.provider_id, crs_asked.c.client_id == pc.c.client_id,
        crs_asked.c.requirement_set_id == v.c.id, crs_asked.c.milestone != ESCALATE,
        crs_asked.c.sent_at <= asked_by)
    escalation = case((and_(deadline <= as_of - timedelta(days=cfg.escalate_after_days), asked_long_ago),
                       literal(ESCALATE)), else_=literal(None))
    columns = (pc.c.provider_id, pc.c.client_id, v.c.id.label("set_id"), v.c.name.label("set_name"),
               deadline.label("deadline"), _milestone_case(cfg, deadline, as_of).label("milestone"),
               escalation.label("escalate"))
    eligible = (pc.c.active, prov.c.active, cl.c.active, v.c.is_latest, v.c.active,
                or_(v.c.effective_from > as_of, v.c.effective_from == current_start),
                deadline >= _horizon(cfg, as_of)[0])

    def links(first: Any, on: Any) -> Any:
        return (first.join(pc, on) if first is not pc else pc).join(prov, prov.c.id == pc.c.provider_id).join(
            cl, cl.c.id == pc.c.client_id).join(v, v.c.client_id == pc.c.client_id)

    if since is None:
        cand = select(*columns).select_from(links(pc, None)).where(*eligible).subquery("cand")
    else:
        # A set with a milestone since the last run, or new since then; a provider synced since
        # then (new links); a pair whose submissions changed. Each branch starts from its few rows.
        recent = since.at - CHANGE_MARGIN
        changed = _changed_pairs(since)
        # sent_at is the run's instant (see enqueue_due), so it is compared with run days here.
        asked_after = datetime.combine(since.as_of - timedelta(days=cfg.escalate_after_days + 1), time.min,
                                       tzinfo=UTC)
        anniversary = (select(crs.c.provider_id, crs.c.client_id).where(
            crs.c.milestone != ESCALATE, crs.c.sent_at <= asked_by, crs.c.sent_at > asked_after)
            .subquery("asked"))
        cand = union_all(
            select(*columns).select_from(links(pc, None)).where(
                *eligible, or_(_windows(cfg, deadline, since.as_of, as_of, _horizon(cfg, as_of)[0]),
                               v.c.created_at >= recent)),
            select(*columns).select_from(links(pc, None)).where(*eligible, prov.c.updated_at >= recent),
            select(*columns).select_from(links(changed, and_(changed.c.provider_id == pc.c.provider_id,
                                                             changed.c.client_id == pc.c.client_id)))
            .where(*eligible),
            # Asked escalate_after_days ago, counted from the last run: the escalation is now due.
            select(*columns).select_from(links(anniversary, and_(
                anniversary.c.provider_id == pc.c.provider_id, anniversary.c.client_id == pc.c.client_id)))
            .where(*eligible),
        ).subquery("cand")

    def sent(milestone: Any) -> Any:
        return exists().where(crs.c.provider_id == cand.c.provider_id, crs.c.client_id == cand.c.client_id,
                              crs.c.requirement_set_id == cand.c.set_id, crs.c.milestone == milestone)

    on_file = exists().where(
        s.c.provider_id == cand.c.provider_id, s.c.client_id == cand.c.client_id,
        v2.c.id == s.c.requirement_set_id, v2.c.name == cand.c.set_name,
        s.c.status.in_([S.APPROVED.value, S.EXPIRED.value, S.PENDING.value]),
    )
    # Most providers have a certificate on file: that test first, then "already asked".
    query = select(cand, sent(cand.c.milestone), sent(cand.c.escalate)).where(~on_file, _unsent(cand, sent))
    out: list[Due] = []
    seen: set[tuple[int, str, int, str]] = set()
    rows = session.connection().execute(query).all()
    sets = _set_versions(session, {row[2] for row in rows})
    for row in rows:
        provider_id, client_id, set_id, set_name, eff, milestone, escalate, ms_sent, esc_sent = row
        spec = sets.get(set_id, ("", {}))[1]
        for name in _names(milestone, ms_sent, escalate, esc_sent):
            if (provider_id, client_id, set_id, name) in seen:
                continue  # found by two branches of the candidate union
            seen.add((provider_id, client_id, set_id, name))
            out.append(Due("missing", name, client_id, provider_id, eff, (eff - as_of).days, set_id,
                           set_name=set_name, spec=spec or {}))
    return out


def due_on(session: Session, cfg: Reminders, as_of: date, since: Since | None = None) -> list[Due]:
    """Everything due on `as_of`, in a stable order (`since`: what the previous run covered)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # Compiling these short queries costs more than running them (JIT kicks in on large tables).
        session.connection().exec_driver_sql("SET LOCAL jit = off")
    items = due_renewals(session, cfg, as_of, since) + due_requests(session, cfg, as_of, since)
    return sorted(items, key=lambda d: (d.client_id, d.provider_id, d.kind, d.deadline, d.policy_id or 0,
                                        d.milestone))


def requires(spec: dict[str, Any] | None, coverage: str, coverage_name: str | None) -> bool:
    """Whether a requirement set (its stored spec) requires the coverage of this policy."""
    coverages = (spec or {}).get("coverages") or {}
    if not coverages:
        return False
    for key, req in coverages.items():
        kind = (req or {}).get("coverage") or key
        if kind != coverage:
            continue
        if kind != "other":
            return True
        wanted = ((req or {}).get("coverage_name") or "").strip().lower()
        if wanted and wanted in (coverage_name or "").lower():
            return True
    return False


# ------------------------------------------------------------------ enqueueing


def _insert_ignore(session: Session, table: Any, values: dict[str, Any], keys: Sequence[str]) -> bool:
    """Insert unless the unique key exists; True when this call inserted (the winner sends)."""
    dialect = session.get_bind().dialect.name
    inserts: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    if dialect not in inserts:
        raise ReminderError(f"unsupported database dialect {dialect}")
    stmt = (inserts[dialect](table).values(**values)
            .on_conflict_do_nothing(index_elements=list(keys)).returning(table.c.id))
    return session.connection().execute(stmt).first() is not None


def _prefetch(session: Session, items: Sequence[Due]) -> list[Any]:
    """Load the rows every message needs in three queries; session.get then finds them in memory.

    The caller keeps the returned list: the session's identity map holds rows only weakly.
    """
    rows: list[Any] = []
    providers = {d.provider_id for d in items}
    clients = {d.client_id for d in items}
    certificates = {d.certificate_id for d in items if d.certificate_id is not None}
    if providers:
        rows += session.exec(sm_select(m.Provider).where(col(m.Provider.id).in_(providers))).all()
    if clients:
        rows += session.exec(sm_select(m.Client).where(col(m.Client.id).in_(clients))).all()
    if certificates:
        rows += session.exec(sm_select(m.Certificate).where(col(m.Certificate.id).in_(certificates))).all()
    return rows


def mark_all_sent(session: Session, items: Sequence[Due], now: datetime) -> set[str]:
    """Record many items in multi-row insert-or-ignore statements; returns the keys this call inserted."""
    dialect = session.get_bind().dialect.name
    inserts: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    if dialect not in inserts:
        raise ReminderError(f"unsupported database dialect {dialect}")
    won: set[str] = set()
    renewals = [d for d in items if d.kind == "renewal"]
    missing = [d for d in items if d.kind == "missing"]
    rs = m.ReminderSent.__table__  # type: ignore[attr-defined]
    crs = m.CertificateRequestSent.__table__  # type: ignore[attr-defined]
    # Each statement is compiled once and executed for all its rows: SQLAlchemy sends them as
    # multi-row inserts ("insertmanyvalues") and RETURNING names only the rows inserted.
    if renewals:
        stmt = (inserts[dialect](rs)
                .on_conflict_do_nothing(index_elements=["policy_id", "client_id", "milestone"])
                .returning(rs.c.policy_id, rs.c.client_id, rs.c.milestone))
        rows = [{"policy_id": d.policy_id, "client_id": d.client_id, "milestone": d.milestone, "sent_at": now}
                for d in renewals]
        won |= {f"reminder:{a}:{b}:{c}" for a, b, c in session.connection().execute(stmt, rows).all()}
    if missing:
        stmt = (inserts[dialect](crs)
                .on_conflict_do_nothing(index_elements=["provider_id", "client_id", "requirement_set_id",
                                                        "milestone"])
                .returning(crs.c.provider_id, crs.c.client_id, crs.c.requirement_set_id, crs.c.milestone))
        rows = [{"provider_id": d.provider_id, "client_id": d.client_id,
                 "requirement_set_id": d.requirement_set_id, "milestone": d.milestone, "sent_at": now}
                for d in missing]
        won |= {f"cert_request:{a}:{b}:{c}:{d}"
                for a, b, c, d in session.connection().execute(stmt, rows).all()}
    return won


def mark_sent(session: Session, item: Due, now: datetime) -> bool:
    """Record that `item` goes out at `now`; False when another run already recorded it."""
    if item.kind == "renewal":
        return _insert_ignore(session, m.ReminderSent.__table__,  # type: ignore[attr-defined]
                              {"policy_id": item.policy_id, "client_id": item.client_id,
                               "milestone": item.milestone, "sent_at": now},
                              ("policy_id", "client_id", "milestone"))
    return _insert_ignore(session, m.CertificateRequestSent.__table__,  # type: ignore[attr-defined]
                          {"provider_id": item.provider_id, "client_id": item.client_id,
                           "requirement_set_id": item.requirement_set_id, "milestone": item.milestone,
                           "sent_at": now},
                          ("provider_id", "client_id", "requirement_set_id", "milestone"))


@dataclass
class Message:
    """What one due item becomes: an e-mail (and for escalations a Slack post)."""

    key: str
    to: list[str]
    cc: list[str]
    subject: str
    text: str
    slack: dict[str, Any] | None = None


Recipients = dict[tuple[int, int | None], tuple[list[str], list[str]]]


def compose(session: Session, settings: Settings, item: Due, as_of: date,
            recipients: Recipients | None = None) -> Message | None:
    """The message for `item`; None when nobody can receive it (logged).

    `recipients` caches (to, cc) per provider and certificate across the items of one run.
    """
    client = session.get(m.Client, item.client_id)
    provider = session.get(m.Provider, item.provider_id)
    if client is None or provider is None:
        log.warning("reminder %s: client or provider row missing", item.key)
        return None
    cert = session.get(m.Certificate, item.certificate_id) if item.certificate_id is not None else None
    holder = item.spec.get("certificate_holder") or {}
    context = {
        "client_name": client.name, "provider_name": provider.name,
        "insured_name": (cert.insured_name if cert else None) or provider.name,
        "coverage": item.coverage_label, "policy_number": item.policy_number or "",
        "carrier": item.carrier or "", "deadline": item.deadline, "days_left": item.days_left,
        "when": _relative(item.days_left), "milestone": item.milestone,
        "set_name": item.set_name or "", "requirements": requirement_lines(item.spec),
        "holder": {"name": holder.get("name"), "address": holder.get("address")},
        "description": item.spec.get("description_must_include") or [],
        "address": reply_address(settings),
    }
    if item.escalate:
        approvers = (client.approvers or {}).get("emails") or []
        to = sorted({*approvers, *settings.outbound.staff_emails})
        what = (f"{item.coverage_label} policy of {provider.name} expired {item.deadline.isoformat()}"
                if item.kind == "renewal" else
                f"{provider.name} has no certificate for requirement set {item.set_name!r}")
        slack = {"kind": "reminder_escalation", "client_id": client.id, "provider_id": provider.id,
                 "policy_id": item.policy_id, "requirement_set_id": item.requirement_set_id,
                 "text": f"{client.name}: {what}; no answer after {settings.reminders.escalate_after_days} "
                         "day(s) of reminders.",
                 "approvers": (client.approvers or {}).get("slack_users") or [],
                 "channel": client.slack_channel, "staff_channel": settings.slack.staff_channel}
        template = "email/reminder_escalation.txt.j2"
        subject = f"Escalation: {what}"
        text = render(template, kind=item.kind, **context)
        return Message(f"email:{item.key}", to, [], subject, text, slack)
    cache_key = (item.provider_id, item.certificate_id)
    if recipients is not None and cache_key in recipients:
        to, cc = recipients[cache_key]
    else:
        to, cc = provider_recipients(session, provider.id, cert.extraction if cert else None)
        if recipients is not None:
            recipients[cache_key] = (to, cc)
    if not to and cc:
        to, cc = cc, []
    if item.kind == "renewal":
        template = "email/reminder.txt.j2"
        subject = (f"{client.name}: your {item.coverage_label.lower()} policy "
                   f"{'expired' if item.days_left < 0 else 'expires'} {item.deadline.isoformat()}")
    else:
        template = "email/missing_certificate.txt.j2"
        subject = (f"{client.name}: certificate of insurance needed "
                   f"(requirements from {item.deadline.isoformat()})")
    return Message(f"email:{item.key}", to, cc, subject, render(template, **context))


def enqueue_due(session: Session, settings: Settings, items: Sequence[Due], as_of: date,
                now: datetime | None = None) -> list[Due]:
    """Record and enqueue each item once; returns the items this call sent. The caller commits.

    `now` is the run's instant (the scheduler's clock); by default the send time of `as_of`, so a
    run for a past or future day records the day it stands for.
    """
    cfg = settings.reminders
    at = now or send_instant(as_of, cfg.send_time, cfg.timezone)
    loaded = _prefetch(session, items)  # noqa: F841  (kept alive for session.get)
    recipients = _recipients(session, items)
    ready: list[tuple[Due, Message]] = []
    for item in items:
        try:
            message = compose(session, settings, item, as_of, recipients)
        except Exception:
            # One message that cannot be rendered must not hold back every other reminder of the day;
            # it stays due and is tried again by the next run.
            log.exception("reminder %s could not be composed; left due", item.key)
            continue
        if message is None or (not message.to and message.slack is None):
            log.warning("reminder %s has no recipient (no contact, broker, approver or staff); kept due",
                        item.key)
            continue
        ready.append((item, message))
    won = mark_all_sent(session, [item for item, _ in ready], at)
    sent: list[Due] = []
    queued: list[Queued] = []
    for item, message in ready:
        if item.key not in won:
            log.info("reminder %s already sent by another run", item.key)
            continue
        if message.to:
            queued.append(email_message(message.key, message.to, message.subject, message.text,
                                        cc=message.cc))
        if message.slack is not None:
            queued.append(slack_message(f"slack:{item.key}", "reminder_escalation", message.slack))
        log.info("reminder %s enqueued for client=%s provider=%s deadline=%s", item.key, item.client_id,
                 item.provider_id, item.deadline.isoformat())
        sent.append(item)
    enqueue_many(session, queued)
    return sent


def _recipients(session: Session, items: Sequence[Due]) -> Recipients:
    """(to, cc) per provider and certificate of the provider-facing items: the contacts in one query.

    Needs the rows `_prefetch` loaded (providers for the broker, certificates for the producer).
    """
    wanted = [d for d in items if not d.escalate]
    emails = contact_emails(session, {d.provider_id for d in wanted})
    out: Recipients = {}
    for d in wanted:
        key = (d.provider_id, d.certificate_id)
        if key in out:
            continue
        cert = session.get(m.Certificate, d.certificate_id) if d.certificate_id is not None else None
        out[key] = recipients(emails.get(d.provider_id, []),
                              broker_email(session, d.provider_id, cert.extraction if cert else None))
    return out


def requirement_lines(spec: dict[str, Any]) -> list[str]:
    """The requirement set in plain lines: what the certificate must show."""
    lines: list[str] = []
    for key, req in (spec.get("coverages") or {}).items():
        req = req or {}
        kind = req.get("coverage") or key
        name = req.get("coverage_name") if kind == "other" else None
        parts = [coverage_label(kind, name)]
        limits = req.get("limits") or {}
        if limits:
            parts.append(", ".join(f"{k.replace('_', ' ')} at least ${v:,}" for k, v in limits.items()))
        flags = [label for flag, label in (("basis", None), ("additional_insured", "additional insured"),
                                           ("waiver_of_subrogation", "waiver of subrogation"),
                                           ("primary_noncontributory", "primary and non-contributory"),
                                           ("statutory", "statutory limits")) if label and req.get(flag)]
        if req.get("basis"):
            flags.insert(0, f"{str(req['basis']).replace('_', '-')} basis")
        if flags:
            parts.append(", ".join(flags))
        lines.append("; ".join(parts))
    return lines


def reply_address(settings: Settings) -> str:
    accepted = settings.inbound.smtp.accept_recipients
    return accepted[0] if accepted else settings.outbound.from_address

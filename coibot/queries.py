"""Read-only questions staff ask about certificates: status, expirations, pending decisions.

Pure queries over the database, shared by the Slack app (`/coi`, App Home) and the command line.
Each function takes an open session and returns plain frozen dataclasses; none writes, none
formats text for a channel. `today` is passed in so answers are reproducible.

- `find_providers(session, text, limit)` → [ProviderMatch]: exact key/name first, else fuzzy.
- `provider_status(session, provider_key, today)` → [ClientStatus]: per client, effective now,
  pending, drafts, rejected, future-set verdicts and the next expirations.
- `client_summary(session, client_id, today)` → ClientSummary (raises UnknownClient).
- `expiring(session, today, days, client_id=None)` → [Expiration] on approved certificates.
- `pending(session, client_id=None)`, `waiting_for(session, slack_user)` → [PendingItem].
- `status_counts`, `recent_activity`, `approver_clients`, `is_approver`, `submission_line`.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from rapidfuzz import fuzz, process, utils
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from coibot import models as m
from coibot.models import SubmissionStatus as S

log = logging.getLogger(__name__)

# Below this similarity (0-100) a provider name is not offered as a match.
MATCH_CUTOFF = 60.0
# How many upcoming expirations a provider's status lists per client.
NEXT_EXPIRATIONS = 3
# How many rejected submissions a provider's status keeps per client (the latest ones).
RECENT_REJECTED = 3


@dataclass(frozen=True)
class ProviderMatch:
    """A provider whose name (or key) matches what someone typed."""

    provider_id: int
    key: str
    name: str
    score: float


@dataclass(frozen=True)
class PolicyLine:
    """One policy printed on a certificate."""

    coverage: str
    coverage_name: str | None
    carrier: str | None
    policy_number: str | None
    effective_date: date | None
    expiration_date: date | None
    limits: dict[str, Any]

    @property
    def label(self) -> str:
        """How the coverage is named to people."""
        if self.coverage == "other":
            return self.coverage_name or "Other coverage"
        return self.coverage.replace("_", " ").capitalize()


@dataclass(frozen=True)
class SubmissionLine:
    """A certificate submitted to one client, checked against one requirement set."""

    submission_id: int
    client_id: str
    status: S
    set_name: str
    set_effective_from: date
    future_set: bool
    check_status: str | None
    gaps: list[dict[str, Any]]
    insured_name: str | None
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    policies: list[PolicyLine] = field(default_factory=list)

    @property
    def earliest_expiration(self) -> date | None:
        dates = [p.expiration_date for p in self.policies if p.expiration_date is not None]
        return min(dates) if dates else None


@dataclass(frozen=True)
class Expiration:
    """A policy on an approved certificate and the day it runs out."""

    submission_id: int
    client_id: str
    client_name: str
    provider_key: str | None
    provider_name: str | None
    coverage: str
    policy_number: str | None
    carrier: str | None
    expiration_date: date
    days_left: int


@dataclass(frozen=True)
class ClientStatus:
    """One provider's standing with one client."""

    client_id: str
    client_name: str
    effective_now: list[SubmissionLine]
    pending: list[SubmissionLine]
    drafts: list[SubmissionLine]
    rejected: list[SubmissionLine]
    future: list[SubmissionLine]
    next_expirations: list[Expiration]

    @property
    def compliant_now(self) -> bool:
        return bool(self.effective_now)


@dataclass(frozen=True)
class PendingItem:
    """A submission waiting for a client's decision."""

    submission_id: int
    client_id: str
    client_name: str
    provider_name: str | None
    set_name: str
    check_status: str | None
    gap_count: int
    submitted_at: datetime


@dataclass(frozen=True)
class ProviderStanding:
    """Where one provider stands with a client: effective, pending, draft, rejected or missing."""

    provider_key: str
    provider_name: str
    state: str
    next_expiration: date | None


@dataclass(frozen=True)
class ClientSummary:
    """A client's compliance at a glance."""

    client_id: str
    client_name: str
    providers: list[ProviderStanding]
    counts: dict[str, int]
    expiring: list[Expiration]


@dataclass(frozen=True)
class Activity:
    """One decision or submission event from the audit log."""

    at: datetime
    actor: str
    submission_id: int | None
    action: str
    from_state: str | None
    to_state: str | None


class UnknownClient(LookupError):
    """A client id that is not on file."""


# ------------------------------------------------------------------ providers


@dataclass(frozen=True)
class _Names:
    """The active providers' ids, keys and names, with the names prepared for matching."""

    fingerprint: tuple[Any, ...]
    rows: list[tuple[int, str, str]]
    prepared: list[str]


# Per database: provider names change only through config sync (which bumps updated_at), so they are
# re-read only when count, highest id or latest update of the active providers change.
_names_cache: dict[str, _Names] = {}
_names_lock = threading.Lock()


def _provider_names(session: Session) -> _Names:
    table = m.Provider.__table__  # type: ignore[attr-defined]
    conn = session.connection()
    fingerprint = tuple(conn.execute(
        select(func.count(), func.max(table.c.id), func.max(table.c.updated_at)).where(table.c.active)).one())
    key = conn.engine.url.render_as_string(hide_password=True)
    cached = _names_cache.get(key)
    if cached is not None and cached.fingerprint == fingerprint:
        return cached
    # Core rows, not ORM objects: at 10,000 providers the ORM layer alone costs more than the match.
    rows = [(r[0], r[1], r[2]) for r in
            conn.execute(select(table.c.id, table.c.key, table.c.name).where(table.c.active)).all()]
    fresh = _Names(fingerprint, rows, [utils.default_process(r[2]) for r in rows])
    with _names_lock:
        _names_cache[key] = fresh
    return fresh


def find_providers(session: Session, text: str, limit: int = 5) -> list[ProviderMatch]:
    """Active providers whose name or key best matches `text`, best first (an exact key or name wins)."""
    wanted = text.strip()
    if not wanted:
        return []
    table = m.Provider.__table__  # type: ignore[attr-defined]
    exact = session.connection().execute(
        select(table.c.id, table.c.key, table.c.name)
        .where(table.c.active, or_(table.c.key == wanted.lower(), func.lower(table.c.name) == wanted.lower()))
        .order_by(table.c.id).limit(limit)
    ).all()
    if exact:
        return [ProviderMatch(r[0], r[1], r[2], 100.0) for r in exact]
    names = _provider_names(session)
    hits = process.extract(utils.default_process(wanted), names.prepared, scorer=fuzz.WRatio, processor=None,
                           limit=limit, score_cutoff=MATCH_CUTOFF)
    return [ProviderMatch(*names.rows[i], float(score)) for _, score, i in hits]


def provider_by_key(session: Session, provider_key: str) -> m.Provider | None:
    return session.exec(select(m.Provider).where(m.Provider.key == provider_key)).first()


def provider_for_slack_user(session: Session, slack_user: str) -> m.Provider | None:
    """The active provider with an active contact carrying this Slack user id."""
    return session.exec(
        select(m.Provider)
        .join(m.Contact, col(m.Contact.provider_id) == col(m.Provider.id))
        .where(col(m.Contact.slack_user) == slack_user, col(m.Contact.active), col(m.Provider.active))
        .order_by(col(m.Provider.id))
    ).first()


# ---------------------------------------------------------------- submissions


def _policies(session: Session, certificate_ids: Iterable[int]) -> dict[int, list[PolicyLine]]:
    ids = sorted(set(certificate_ids))
    out: dict[int, list[PolicyLine]] = defaultdict(list)
    if not ids:
        return out
    rows = session.exec(
        select(m.Policy).where(col(m.Policy.certificate_id).in_(ids)).order_by(col(m.Policy.position))
    ).all()
    for p in rows:
        out[p.certificate_id].append(PolicyLine(
            p.coverage, p.coverage_name, p.carrier, p.policy_number, p.effective_date,
            p.expiration_date, dict(p.limits or {})))
    return out


def _lines(session: Session, where: Sequence[Any], today: date) -> list[SubmissionLine]:
    rows = session.exec(
        select(m.Submission, m.RequirementSetVersion, m.Certificate.insured_name)
        .join(m.RequirementSetVersion,
              col(m.RequirementSetVersion.id) == col(m.Submission.requirement_set_id))
        .join(m.Certificate, col(m.Certificate.id) == col(m.Submission.certificate_id))
        .where(*where)
        .order_by(col(m.Submission.created_at).desc(), col(m.Submission.id).desc())
    ).all()
    policies = _policies(session, (sub.certificate_id for sub, _, _ in rows))
    return [
        SubmissionLine(
            submission_id=sub.id or 0, client_id=sub.client_id, status=S(sub.status),
            set_name=version.name, set_effective_from=version.effective_from,
            future_set=version.effective_from > today, check_status=sub.check_status,
            gaps=list(sub.gaps or []), insured_name=insured, created_at=sub.created_at,
            decided_by=sub.decided_by, decided_at=sub.decided_at, reason=sub.reason,
            policies=policies.get(sub.certificate_id, []),
        )
        for sub, version, insured in rows
    ]


def submission_line(session: Session, submission_id: int, today: date) -> SubmissionLine | None:
    """One submission with its requirement set and policies."""
    found = _lines(session, [col(m.Submission.id) == submission_id], today)
    return found[0] if found else None


def provider_status(session: Session, provider_key: str, today: date) -> list[ClientStatus]:
    """Per client of the provider: effective now, pending, drafts, rejected, future-set verdicts, expirations.

    Clients are those the provider works for plus any it has submitted to; an unknown key gives [].
    """
    provider = provider_by_key(session, provider_key)
    if provider is None or provider.id is None:
        return []
    lines = _lines(session, [col(m.Submission.provider_id) == provider.id], today)
    linked = session.exec(
        select(m.ProviderClient.client_id).where(
            col(m.ProviderClient.provider_id) == provider.id, col(m.ProviderClient.active))
    ).all()
    client_ids = sorted(set(linked) | {ln.client_id for ln in lines})
    names = _client_names(session, client_ids)
    out: list[ClientStatus] = []
    for cid in client_ids:
        mine = [ln for ln in lines if ln.client_id == cid]
        current = [ln for ln in mine if not ln.future_set]
        effective = [ln for ln in current if ln.status == S.APPROVED]
        future = _latest_per_set([ln for ln in mine if ln.future_set and ln.status != S.SUPERSEDED])
        expirations = sorted(
            (_expiration(ln, p, names.get(cid, cid), provider, today)
             for ln in effective for p in ln.policies
             if p.expiration_date is not None and p.expiration_date >= today),
            key=lambda e: (e.expiration_date, e.coverage),
        )
        out.append(ClientStatus(
            client_id=cid, client_name=names.get(cid, cid), effective_now=effective,
            pending=[ln for ln in current if ln.status == S.PENDING],
            drafts=[ln for ln in current if ln.status == S.DRAFT],
            rejected=[ln for ln in current if ln.status == S.REJECTED][:RECENT_REJECTED],
            future=future, next_expirations=expirations[:NEXT_EXPIRATIONS],
        ))
    return out


def _latest_per_set(lines: list[SubmissionLine]) -> list[SubmissionLine]:
    seen: set[str] = set()
    out: list[SubmissionLine] = []
    for ln in lines:  # newest first
        if ln.set_name not in seen:
            seen.add(ln.set_name)
            out.append(ln)
    return out


def _expiration(ln: SubmissionLine, p: PolicyLine, client_name: str, provider: m.Provider | None,
                today: date) -> Expiration:
    exp = p.expiration_date or today
    return Expiration(ln.submission_id, ln.client_id, client_name, provider.key if provider else None,
                      provider.name if provider else None, p.label, p.policy_number, p.carrier, exp,
                      (exp - today).days)


def _client_names(session: Session, client_ids: Iterable[str]) -> dict[str, str]:
    ids = sorted(set(client_ids))
    if not ids:
        return {}
    rows = session.exec(select(m.Client.id, m.Client.name).where(col(m.Client.id).in_(ids))).all()
    return dict(rows)


# ------------------------------------------------------------------ expirations


def expiring(session: Session, today: date, days: int = 30, client_id: str | None = None) -> list[Expiration]:
    """Policies on approved certificates that expire from today to today + `days`, soonest first."""
    if days < 0:
        raise ValueError("days must not be negative")
    until = today + timedelta(days=days)
    stmt = (
        select(m.Policy, m.Submission)
        .join(m.Submission, col(m.Submission.certificate_id) == col(m.Policy.certificate_id))
        .where(col(m.Submission.status) == S.APPROVED, col(m.Policy.expiration_date) >= today,
               col(m.Policy.expiration_date) <= until)
    )
    if client_id is not None:
        stmt = stmt.where(col(m.Submission.client_id) == client_id)
    rows = session.exec(stmt).all()
    names = _client_names(session, (sub.client_id for _, sub in rows))
    provider_ids = sorted({sub.provider_id for _, sub in rows if sub.provider_id is not None})
    providers = {p.id: p for p in session.exec(
        select(m.Provider).where(col(m.Provider.id).in_(provider_ids))).all()}
    out: list[Expiration] = []
    for pol, sub in rows:
        exp = pol.expiration_date or today
        label = PolicyLine(pol.coverage, pol.coverage_name, None, None, None, None, {}).label
        prov = providers.get(sub.provider_id)
        out.append(Expiration(sub.id or 0, sub.client_id, names.get(sub.client_id, sub.client_id),
                              prov.key if prov else None, prov.name if prov else None, label,
                              pol.policy_number, pol.carrier, exp, (exp - today).days))
    out.sort(key=lambda e: (e.expiration_date, e.client_id, e.provider_name or "", e.coverage))
    return out


# ---------------------------------------------------------------- decisions


def pending(session: Session, client_id: str | None = None,
            client_ids: Sequence[str] | None = None) -> list[PendingItem]:
    """Submissions waiting for a decision, oldest first; optionally for one client or a few."""
    stmt = (
        select(m.Submission, m.Client.name, m.Provider.name, m.RequirementSetVersion.name)
        .join(m.Client, col(m.Client.id) == col(m.Submission.client_id))
        .join(m.RequirementSetVersion,
              col(m.RequirementSetVersion.id) == col(m.Submission.requirement_set_id))
        .outerjoin(m.Provider, col(m.Provider.id) == col(m.Submission.provider_id))
        .where(col(m.Submission.status) == S.PENDING)
        .order_by(col(m.Submission.updated_at), col(m.Submission.id))
    )
    if client_id is not None:
        stmt = stmt.where(col(m.Submission.client_id) == client_id)
    if client_ids is not None:
        stmt = stmt.where(col(m.Submission.client_id).in_(list(client_ids)))
    return [
        PendingItem(sub.id or 0, sub.client_id, cname, pname, set_name, sub.check_status,
                    len(sub.gaps or []), sub.updated_at)
        for sub, cname, pname, set_name in session.exec(stmt).all()
    ]


def approver_clients(session: Session, slack_user: str) -> list[str]:
    """Ids of the active clients that list this Slack user among their approvers."""
    rows = session.exec(select(m.Client).where(col(m.Client.active))).all()
    return sorted(c.id for c in rows if slack_user in ((c.approvers or {}).get("slack_users") or []))


def is_approver(session: Session, client_id: str, slack_user: str) -> bool:
    client = session.get(m.Client, client_id)
    if client is None or not client.active:
        return False
    return slack_user in ((client.approvers or {}).get("slack_users") or [])


def waiting_for(session: Session, slack_user: str) -> list[PendingItem]:
    """Pending submissions this Slack user may decide."""
    return pending(session, client_ids=approver_clients(session, slack_user))


# ------------------------------------------------------------------- summaries


def status_counts(session: Session, client_ids: Sequence[str] | None = None) -> dict[str, int]:
    """How many submissions are in each status (every status present, zeros included)."""
    stmt = select(m.Submission.status)
    if client_ids is not None:
        stmt = stmt.where(col(m.Submission.client_id).in_(list(client_ids)))
    counts = Counter(S(s).value for s in session.exec(stmt).all())
    return {s.value: counts.get(s.value, 0) for s in S}


def client_summary(session: Session, client_id: str, today: date, days: int = 30) -> ClientSummary:
    """A client's providers and where each stands now, with what expires within `days`."""
    client = session.get(m.Client, client_id)
    if client is None:
        raise UnknownClient(client_id)
    providers = session.exec(
        select(m.Provider)
        .join(m.ProviderClient, col(m.ProviderClient.provider_id) == col(m.Provider.id))
        .where(col(m.ProviderClient.client_id) == client_id, col(m.ProviderClient.active),
               col(m.Provider.active))
        .order_by(col(m.Provider.name))
    ).all()
    lines = _lines(session, [col(m.Submission.client_id) == client_id], today)
    by_provider: dict[int | None, list[SubmissionLine]] = defaultdict(list)
    provider_of = dict(session.exec(
        select(m.Submission.id, m.Submission.provider_id).where(m.Submission.client_id == client_id)).all())
    for ln in lines:
        if not ln.future_set:
            by_provider[provider_of.get(ln.submission_id)].append(ln)
    standings: list[ProviderStanding] = []
    for prov in providers:
        mine = by_provider.get(prov.id, [])
        state = _standing(mine)
        effective = [ln for ln in mine if ln.status == S.APPROVED]
        upcoming = [d for ln in effective for p in ln.policies
                    if (d := p.expiration_date) is not None and d >= today]
        standings.append(ProviderStanding(prov.key, prov.name, state, min(upcoming) if upcoming else None))
    counts = Counter(s.state for s in standings)
    states = ("effective", "pending", "draft", "rejected", "missing")
    return ClientSummary(client.id, client.name, standings, {k: counts.get(k, 0) for k in states},
                         expiring(session, today, days, client_id=client_id))


def _standing(lines: list[SubmissionLine]) -> str:
    statuses = {ln.status for ln in lines}
    for status, state in ((S.APPROVED, "effective"), (S.PENDING, "pending"), (S.DRAFT, "draft"),
                          (S.REJECTED, "rejected")):
        if status in statuses:
            return state
    return "missing"


def recent_activity(session: Session, limit: int = 5,
                    client_ids: Sequence[str] | None = None) -> list[Activity]:
    """The latest submission events from the audit log, newest first (optionally for some clients)."""
    stmt = select(m.AuditLog).where(col(m.AuditLog.entity) == "submission")
    if client_ids is not None:
        ids = [str(i) for i in session.exec(select(m.Submission.id).where(
            col(m.Submission.client_id).in_(list(client_ids)))).all()]
        stmt = stmt.where(col(m.AuditLog.entity_id).in_(ids))
    stmt = stmt.order_by(col(m.AuditLog.at).desc(), col(m.AuditLog.id).desc()).limit(limit)
    rows = session.exec(stmt).all()
    return [Activity(r.at, r.actor, int(r.entity_id) if r.entity_id.isdigit() else None, r.action,
                     r.from_state, r.to_state) for r in rows]

"""Certificates read with low confidence: tell staff what to check, take their corrections, check again.

A submission whose check says needs_review is posted once to staff (Slack outbox row of kind
"needs_review" and an e-mail to outbound.staff_emails) with the fields the reader was unsure of.
A correction (`coibot review ID --set policies[0].expiration_date=2027-01-01`) edits the stored
extraction and its policy rows, marks the corrected policies as read by a person, and re-runs the
check for every open submission of that certificate; a now compliant one goes to the approvers.
"""

from __future__ import annotations

import copy
import itertools
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import String, cast, exists, literal
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from coibot import models as m
from coibot import workflow
from coibot.audit import record
from coibot.check import check_certificate
from coibot.config import Settings
from coibot.errors import CoibotError
from coibot.models import SubmissionStatus as S
from coibot.outbox import enqueue_email, enqueue_slack
from coibot.render import render
from coibot.requirements import RequirementSet

log = logging.getLogger(__name__)

NEEDS_REVIEW = "needs_review"
# Top-level fields of the extraction (the contract's certificate schema) a person may correct.
CORRECTABLE = ("certificate_date", "producer", "insured", "certificate_holder", "description_of_operations",
               "policies", "insurers")
_BOOL_FIELDS = {"additional_insured", "waiver_of_subrogation", "statutory", "primary_noncontributory",
                "subrogation_waived"}
_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")


class ReviewError(CoibotError):
    """A correction that cannot be applied as written."""

    exit_code = 2


# ------------------------------------------------------------------ telling staff


def what_to_check(sub: m.Submission, cert: m.Certificate | None) -> list[str]:
    """The unreadable findings of the check, and the reader's own warnings."""
    items = [str(g.get("message")) for g in (sub.gaps or []) if g.get("code") == "unreadable"]
    warnings = (cert.extraction or {}).get("warnings") if cert is not None else None
    for w in warnings or []:
        text = w.get("message") if isinstance(w, dict) else w
        if text and str(text) not in items:
            items.append(str(text))
    return items


def notify_needs_review(session: Session, settings: Settings) -> list[int]:
    """Post each not yet posted needs-review draft to staff; returns the submission ids posted."""
    s = m.Submission.__table__  # type: ignore[attr-defined]
    o = m.Outbox.__table__  # type: ignore[attr-defined]
    posted = exists().where(o.c.idempotency_key == literal("slack:needs_review:") + cast(s.c.id, String))
    ids = [row[0] for row in session.connection().execute(
        core_select(s.c.id).where(s.c.check_status == NEEDS_REVIEW, s.c.status == S.DRAFT.value, ~posted)
        .order_by(s.c.id)).all()]
    done: list[int] = []
    for sub_id in ids:
        sub = session.get(m.Submission, sub_id)
        if sub is None:
            continue
        cert = session.get(m.Certificate, sub.certificate_id)
        client = session.get(m.Client, sub.client_id)
        provider = session.get(m.Provider, sub.provider_id) if sub.provider_id is not None else None
        checks = what_to_check(sub, cert)
        context = {"submission_id": sub_id, "client_name": client.name if client else sub.client_id,
                   "provider_name": provider.name if provider else "(unknown provider)",
                   "insured_name": (cert.insured_name if cert else None) or "",
                   "file": ((cert.extraction or {}).get("source") or {}).get("file", "") if cert else "",
                   "checks": checks}
        enqueue_slack(session, f"slack:needs_review:{sub_id}", NEEDS_REVIEW,
                      {"submission_id": sub_id, "client_id": sub.client_id, "checks": checks,
                       "staff_channel": settings.slack.staff_channel,
                       "staff_users": settings.slack.staff_users})
        if settings.outbound.staff_emails:
            subject = f"Certificate needs review: {context['provider_name']} for {context['client_name']}"
            enqueue_email(session, f"email:needs_review:{sub_id}", settings.outbound.staff_emails, subject,
                          render("email/needs_review.txt.j2", **context))
        log.info("submission %s needs review: posted to staff (%d item(s) to check)", sub_id, len(checks))
        done.append(sub_id)
    return done


# ------------------------------------------------------------------ corrections


def parse_assignment(text: str) -> tuple[list[str | int], str]:
    """`policies[0].limits.each_occurrence=1` → (["policies", 0, "limits", "each_occurrence"], "1")."""
    path_text, sep, value = text.partition("=")
    if not sep or not path_text.strip():
        raise ReviewError(f"{text!r}: expected FIELD=VALUE, e.g. policies[0].expiration_date=2027-01-01")
    path: list[str | int] = []
    for part in path_text.strip().split("."):
        match = _STEP.fullmatch(part)
        if match is None:
            raise ReviewError(f"{text!r}: {part!r} is not a field name (letters, digits, _ and [N])")
        path.append(match.group(1))
        path.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    if path[0] not in CORRECTABLE:
        expected = ", ".join(CORRECTABLE)
        raise ReviewError(f"{text!r}: {path[0]!r} cannot be corrected; expected one of {expected}")
    return path, value.strip()


def coerce(path: list[str | int], value: str) -> Any:
    """The JSON value a field takes: dates stay ISO text, limits whole dollars, flags booleans."""
    name = next((p for p in reversed(path) if isinstance(p, str)), "")
    if value.lower() in ("null", "none", ""):
        return None
    if name.endswith("_date"):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise ReviewError(f"{'.'.join(map(str, path))}: {value!r} is not a date (YYYY-MM-DD)") from None
    if "limits" in path[:-1]:
        digits = value.replace(",", "").replace("$", "").strip()
        if not digits.isdigit():
            raise ReviewError(f"{'.'.join(map(str, path))}: {value!r} is not a whole-dollar amount")
        return int(digits)
    if name in _BOOL_FIELDS:
        if value.lower() in ("true", "yes", "y", "1"):
            return True
        if value.lower() in ("false", "no", "n", "0"):
            return False
        raise ReviewError(f"{'.'.join(map(str, path))}: {value!r} is not yes/no")
    if name == "confidence":
        try:
            return float(value)
        except ValueError:
            raise ReviewError(f"confidence: {value!r} is not a number between 0 and 1") from None
    return value


def _set(doc: dict[str, Any], path: list[str | int], value: Any) -> Any:
    """Set `path` in `doc`, creating dict keys (not list items); returns the old value."""
    node: Any = doc
    shown = ""
    for step, nxt in itertools.pairwise(path):
        shown += f"[{step}]" if isinstance(step, int) else (f".{step}" if shown else step)
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                size = len(node) if isinstance(node, list) else 0
                raise ReviewError(f"{shown}: there is no item {step} (the certificate has {size})")
            node = node[step]
        else:
            if not isinstance(node, dict):
                raise ReviewError(f"{shown}: not a group of fields")
            if node.get(step) is None:
                node[step] = [] if isinstance(nxt, int) else {}
            node = node[step]
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise ReviewError(f"{shown}[{last}]: there is no item {last}")
        old = node[last]
        node[last] = value
        return old
    if not isinstance(node, dict):
        raise ReviewError(f"{shown}: not a group of fields")
    old = node.get(last)
    node[last] = value
    return old


@dataclass
class ReviewResult:
    certificate_id: int
    changes: list[dict[str, Any]] = field(default_factory=list)
    rechecked: list[tuple[int, str, str]] = field(default_factory=list)  # (submission, check status, status)


def apply_review(session: Session, settings: Settings, submission_id: int, assignments: list[str],
                 actor: str, as_of: date) -> ReviewResult:
    """Correct the certificate behind a submission and re-check its open submissions; the caller commits."""
    if not assignments:
        raise ReviewError("nothing to correct: give at least one --set FIELD=VALUE")
    sub = workflow.get_submission(session, submission_id)
    cert = session.get(m.Certificate, sub.certificate_id)
    if cert is None or cert.id is None:
        raise ReviewError(f"submission {submission_id} has no certificate on file")
    parsed = [parse_assignment(a) for a in assignments]
    extraction = copy.deepcopy(cert.extraction or {})
    result = ReviewResult(cert.id)
    touched: set[int] = set()
    for path, raw in parsed:
        value = coerce(path, raw)
        old = _set(extraction, path, value)
        result.changes.append({"field": _path_text(path), "old": old, "new": value})
        if path[0] == "policies" and len(path) > 1 and isinstance(path[1], int):
            touched.add(path[1])
    for index in touched:
        pol = extraction["policies"][index]
        if isinstance(pol, dict) and not any(p[:3] == ["policies", index, "confidence"] for p, _ in parsed):
            pol["confidence"] = 1.0  # a person read this policy; the reader's doubt no longer applies
    cert.extraction = extraction
    insured = extraction.get("insured") or {}
    producer = extraction.get("producer") or {}
    cert.insured_name = insured.get("name") if isinstance(insured, dict) else cert.insured_name
    cert.producer_email = producer.get("email") if isinstance(producer, dict) else cert.producer_email
    session.add(cert)
    _sync_policies(session, cert.id, extraction)
    record(session, actor, "certificate", str(cert.id), "corrected", None, None,
           {"submission": submission_id, "changes": result.changes})
    session.flush()
    _recheck(session, settings, cert, as_of, actor, result)
    return result


def _path_text(path: list[str | int]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def _sync_policies(session: Session, certificate_id: int, extraction: dict[str, Any]) -> None:
    # Rows are updated in place: reminder_sent points at them, so they are never deleted.
    existing = session.exec(select(m.Policy).where(m.Policy.certificate_id == certificate_id)).all()
    rows = {p.position: p for p in existing}
    for pos, pol in enumerate(extraction.get("policies") or []):
        if not isinstance(pol, dict):
            continue
        row = rows.get(pos) or m.Policy(certificate_id=certificate_id, position=pos, coverage="other")
        row.coverage = str(pol.get("coverage") or "other")[:32]
        row.coverage_name = pol.get("coverage_name")
        row.carrier = pol.get("carrier")
        row.policy_number = pol.get("policy_number")
        row.effective_date = _date(pol.get("effective_date"))
        row.expiration_date = _date(pol.get("expiration_date"))
        row.limits = pol.get("limits")
        session.add(row)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _recheck(session: Session, settings: Settings, cert: m.Certificate, as_of: date, actor: str,
             result: ReviewResult) -> None:
    subs = session.exec(select(m.Submission).where(
        m.Submission.certificate_id == cert.id, col(m.Submission.status).in_([S.DRAFT, S.PENDING]))
        .order_by(col(m.Submission.id))).all()
    for sub in subs:
        version = session.get(m.RequirementSetVersion, sub.requirement_set_id)
        client_cfg = settings.client(sub.client_id)
        provider = session.get(m.Provider, sub.provider_id) if sub.provider_id is not None else None
        if version is None or client_cfg is None or sub.id is None:
            log.warning("submission %s: client or requirement set not configured; not re-checked", sub.id)
            continue
        try:
            rs = RequirementSet.model_validate(version.spec)
        except ValidationError as exc:
            log.error("requirement set version %s does not validate: %s", version.id, exc)
            continue
        on = max(as_of, version.effective_from)  # a future set is judged on the day it starts
        report = check_certificate(cert.extraction, client_cfg, rs, on, provider.name if provider else None,
                                   providers=settings.provider_pairs())
        before = sub.check_status
        sub.check_status = report.get("status")
        sub.gaps = report.get("gaps") or []
        sub.report = {k: v for k, v in report.items() if k != "certificate"}
        sub.updated_at = m.utcnow()
        session.add(sub)
        record(session, actor, "submission", str(sub.id), "rechecked_after_review", before, sub.check_status,
               {"gaps": len(sub.gaps)})
        session.flush()
        if sub.status == S.DRAFT and sub.check_status == "compliant":
            workflow.submit_for_approval(session, sub.id, actor)
        result.rechecked.append((sub.id, str(sub.check_status), str(sub.status)))
        log.info("submission %s re-checked after review by %s: %s -> %s", sub.id, actor, before,
                 sub.check_status)

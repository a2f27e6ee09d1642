"""A small world for lifecycle, reminder and scheduler tests: the example config, certificates, decisions."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from coibot import models as m
from coibot import workflow
from coibot.config import Settings, load_config
from coibot.db import session_scope
from coibot.sync import sync_config

REPO = Path(__file__).resolve().parents[2]
PROVIDER = "driftwood-locksmith-co"
EXP = date(2026, 12, 15)  # when the policies of the usual certificate on file expire

REPORT_OK: dict[str, Any] = {"client": "acme", "status": "compliant", "gaps": []}
REPORT_REVIEW: dict[str, Any] = {"client": "acme", "status": "needs_review", "gaps": [
    {"code": "unreadable", "coverage": "general_liability", "field": "expiration_date",
     "required": "2026-06-01", "found": None,
     "message": "General liability policy GL-1: the expiration date could not be read; check it by hand."}]}


def settings(tmp_path: Path, **reminders: Any) -> Settings:
    cfg = load_config(REPO / "config.example.yaml")
    cfg.data_dir = tmp_path
    cfg.outbound.staff_emails = ["staff@coibot.example"]
    for key, value in reminders.items():
        setattr(cfg.reminders, key, value)
    return cfg


def sync(engine: Engine, cfg: Settings) -> None:
    with session_scope(engine) as s:
        sync_config(s, cfg)


def extraction(expires: date, *, gl_limit: int = 1_000_000, number: str = "GL-1",
               holder_address: str = "100 Main Street, Springfield, IL 62701") -> dict[str, Any]:
    """A certificate meeting acme's "current" set (umbrella waived for Driftwood in 2026)."""
    eff = date(expires.year - 1, expires.month, min(expires.day, 28)).isoformat()
    exp = expires.isoformat()
    return {
        "source": {"file": f"{number}.pdf", "sha256": None, "pages": 1, "method": "text"},
        "form": "acord25", "certificate_date": eff,
        "producer": {"name": "Compass Insurance", "email": "certificates@compassins.com"},
        "insured": {"name": "Driftwood Locksmith Co.", "address": "1 Dock Road"},
        "certificate_holder": {"name": "Acme Property Management LLC", "address": holder_address},
        "description_of_operations": "Acme Property Management LLC is included as additional insured",
        "insurers": [],
        "policies": [
            {"coverage": "general_liability", "coverage_name": None, "carrier": "Harbor Mutual",
             "policy_number": number, "effective_date": eff, "expiration_date": exp, "basis": "occurrence",
             "additional_insured": True, "waiver_of_subrogation": True,
             "limits": {"each_occurrence": gl_limit, "general_aggregate": 2 * gl_limit,
                        "products_completed_operations_aggregate": 2 * gl_limit}},
            {"coverage": "automobile_liability", "coverage_name": None, "carrier": "Harbor Mutual",
             "policy_number": f"AU-{number}", "effective_date": eff, "expiration_date": exp,
             "limits": {"combined_single_limit": 1_000_000}},
            {"coverage": "workers_compensation", "coverage_name": None, "carrier": "Harbor Mutual",
             "policy_number": f"WC-{number}", "effective_date": eff, "expiration_date": exp,
             "statutory": True, "waiver_of_subrogation": True,
             "limits": {"el_each_accident": 1_000_000, "el_disease_each_employee": 1_000_000,
                        "el_disease_policy_limit": 1_000_000}},
        ],
        "warnings": [],
    }


def add_certificate(engine: Engine, ex: dict[str, Any]) -> int:
    ex = copy.deepcopy(ex)
    with session_scope(engine) as s:
        n = len(s.exec(select(m.Certificate)).all())
        sha = f"{n:064x}"
        s.add(m.Document(sha256=sha, size=1, stored_path="x"))
        s.flush()
        cert = m.Certificate(document_sha256=sha, index_in_document=0, insured_name=ex["insured"]["name"],
                             producer_email=ex["producer"]["email"], extraction=ex)
        s.add(cert)
        s.flush()
        assert cert.id is not None
        for pos, pol in enumerate(ex["policies"]):
            s.add(m.Policy(certificate_id=cert.id, position=pos, coverage=pol["coverage"],
                           coverage_name=pol.get("coverage_name"), carrier=pol.get("carrier"),
                           policy_number=pol.get("policy_number"),
                           effective_date=_day(pol.get("effective_date")),
                           expiration_date=_day(pol.get("expiration_date")),
                           limits=pol.get("limits")))
        return cert.id


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def version_id(engine: Engine, set_name: str, client: str = "acme") -> int:
    with Session(engine) as s:
        v = s.exec(select(m.RequirementSetVersion).where(
            m.RequirementSetVersion.client_id == client, m.RequirementSetVersion.name == set_name,
            col(m.RequirementSetVersion.is_latest))).one()
        assert v.id is not None
        return v.id


def submit(engine: Engine, cert_id: int, *, set_name: str = "current", report: dict[str, Any] | None = None,
           approve: bool = True) -> int:
    """Record a submission for Driftwood at acme; compliant → pending, then approved unless told not to."""
    with session_scope(engine) as s:
        provider = s.exec(select(m.Provider).where(m.Provider.key == PROVIDER)).one()
        sub = workflow.record_submission(s, certificate_id=cert_id, client_id="acme", provider_id=provider.id,
                                         requirement_set_id=version_id(engine, set_name),
                                         report=report or REPORT_OK, source="test")
        assert sub.id is not None
        sid = sub.id
    if approve:
        with session_scope(engine) as s:
            workflow.approve(s, sid, "U0ACMEAPPR1")
    return sid


def outbox_keys(engine: Engine, prefix: str = "") -> list[str]:
    with Session(engine) as s:
        rows = s.exec(select(m.Outbox).order_by(col(m.Outbox.id))).all()
        return [r.idempotency_key for r in rows if r.idempotency_key.startswith(prefix)]


def outbox_row(engine: Engine, key: str) -> m.Outbox:
    with Session(engine) as s:
        return s.exec(select(m.Outbox).where(m.Outbox.idempotency_key == key)).one()


def status_of(engine: Engine, sid: int) -> str:
    with Session(engine) as s:
        return str(workflow.get_submission(s, sid).status)


def policy_ids(engine: Engine, cert_id: int) -> dict[str, int]:
    """The certificate's policy ids by coverage."""
    with Session(engine) as s:
        rows = s.exec(select(m.Policy).where(m.Policy.certificate_id == cert_id)).all()
        return {p.coverage: p.id or 0 for p in rows}


@dataclass(frozen=True)
class OnFile:
    """An approved certificate of Driftwood at acme: its certificate, submission and policy ids."""

    certificate_id: int
    submission_id: int
    policies: dict[str, int]

    @property
    def gl(self) -> int:
        """The general liability policy's id (reminder keys name it)."""
        return self.policies["general_liability"]


def approved_on_file(engine: Engine, expires: date = EXP) -> OnFile:
    """A compliant certificate whose policies expire on `expires`, submitted and approved."""
    cert = add_certificate(engine, extraction(expires))
    sid = submit(engine, cert)
    return OnFile(cert, sid, policy_ids(engine, cert))

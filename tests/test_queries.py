"""Staff queries on SQLite and PostgreSQL: provider status, expirations, pending, client summaries."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from coibot import models as m
from coibot import queries as q
from coibot import workflow
from coibot.config import parse_config
from coibot.db import session_scope
from coibot.demo import demo_site
from coibot.sync import sync_config

TODAY = date(2026, 11, 21)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Engine:
    raw: dict[str, Any] = demo_site()
    raw["data_dir"] = str(tmp_path)
    raw["clients"][0]["approvers"]["slack_users"] = ["UAPPR"]
    raw["clients"].append({"id": "harbor", "name": "Harbor Marine Terminal",
                           "approvers": {"slack_users": ["UHARB"]},
                           "requirement_sets": [{"name": "current", "effective_from": "2026-01-01"}]})
    raw["providers"][0]["clients"] = ["parkside", "harbor"]
    with session_scope(engine) as s:
        sync_config(s, parse_config(raw, "test", tmp_path))
    return engine


def add(engine: Engine, provider: str, client: str = "parkside", *, set_name: str = "current",
        expires: dict[str, date] | None = None, status: str = "compliant", gaps: int = 0) -> int:
    """A submission with policies expiring on the given dates; compliant ones go pending."""
    expires = expires if expires is not None else {"general_liability": TODAY + timedelta(days=200)}
    with session_scope(engine) as s:
        sha = f"{len(s.exec(select(m.Document)).all()):064x}"
        s.add(m.Document(sha256=sha, size=1, stored_path="x"))
        s.flush()
        cert = m.Certificate(document_sha256=sha, extraction={}, insured_name=provider)
        s.add(cert)
        s.flush()
        assert cert.id is not None
        for i, (cov, exp) in enumerate(expires.items()):
            s.add(m.Policy(certificate_id=cert.id, position=i, coverage=cov, carrier="Carrier Co",
                           policy_number=f"P-{cov[:3]}-{i}", effective_date=exp - timedelta(days=365),
                           expiration_date=exp, limits={"each_occurrence": 1000000}))
        prov = s.exec(select(m.Provider).where(m.Provider.key == provider)).one()
        version = s.exec(select(m.RequirementSetVersion).where(
            m.RequirementSetVersion.client_id == client, m.RequirementSetVersion.name == set_name)).one()
        assert version.id is not None
        gap_list = [{"code": "limit_below_minimum", "message": f"gap {n}"} for n in range(gaps)]
        sub = workflow.record_submission(s, certificate_id=cert.id, client_id=client, provider_id=prov.id,
                                         requirement_set_id=version.id, source="test",
                                         report={"status": status, "gaps": gap_list})
        assert sub.id is not None
        return sub.id


def approve(engine: Engine, sid: int) -> None:
    with session_scope(engine) as s:
        workflow.approve(s, sid, "UAPPR")


def test_find_providers_exact_fuzzy_and_none(world: Engine) -> None:
    with Session(world) as s:
        assert [p.key for p in q.find_providers(s, "oakmont")] == ["oakmont"]
        assert q.find_providers(s, "Oakmont Data Cabling Inc.")[0].score == 100
        fuzzy = q.find_providers(s, "blue heron electric")
        assert fuzzy[0].key == "blue-heron" and fuzzy[0].score < 100
        assert q.find_providers(s, "   ") == []
        assert q.find_providers(s, "zzqqxxyy") == []
        assert len(q.find_providers(s, "LLC", limit=1)) == 1


def test_provider_status_per_client(world: Engine) -> None:
    old = add(world, "blue-heron", expires={"general_liability": TODAY + timedelta(days=40),
                                            "automobile_liability": TODAY + timedelta(days=10)})
    approve(world, old)
    pending = add(world, "blue-heron", expires={"general_liability": TODAY + timedelta(days=400)})
    draft = add(world, "blue-heron", status="deficient", gaps=2)
    future = add(world, "blue-heron", set_name="2027", status="deficient", gaps=1)
    harbor = add(world, "blue-heron", client="harbor")
    with session_scope(world) as s:
        workflow.reject(s, harbor, "UHARB", "Wrong holder")
    with Session(world) as s:
        statuses = q.provider_status(s, "blue-heron", TODAY)
    assert [st.client_id for st in statuses] == ["harbor", "parkside"]
    harbor_st, park = statuses
    assert [ln.submission_id for ln in harbor_st.rejected] == [harbor]
    assert harbor_st.rejected[0].reason == "Wrong holder" and not harbor_st.compliant_now
    assert [ln.submission_id for ln in park.effective_now] == [old]
    assert [ln.submission_id for ln in park.pending] == [pending]
    assert [ln.submission_id for ln in park.drafts] == [draft] and len(park.drafts[0].gaps) == 2
    assert [ln.submission_id for ln in park.future] == [future] and park.future[0].future_set
    assert [(e.coverage, e.days_left) for e in park.next_expirations] == [("Automobile liability", 10),
                                                                          ("General liability", 40)]
    assert park.effective_now[0].earliest_expiration == TODAY + timedelta(days=10)
    with Session(world) as s:
        assert q.provider_status(s, "nobody", TODAY) == []
        # Linked to a client but nothing submitted: the client is listed, empty.
        (quarry,) = q.provider_status(s, "quarry-hill", TODAY)
    assert quarry.client_id == "parkside" and not quarry.effective_now and not quarry.pending


def test_expiring_window_is_inclusive_and_only_approved(world: Engine) -> None:
    inside = add(world, "blue-heron", expires={"general_liability": TODAY,
                                               "automobile_liability": TODAY + timedelta(days=30)})
    approve(world, inside)
    outside = add(world, "oakmont", expires={"general_liability": TODAY + timedelta(days=31),
                                             "automobile_liability": TODAY - timedelta(days=1)})
    approve(world, outside)
    add(world, "granite-state", expires={"general_liability": TODAY + timedelta(days=5)})  # pending only
    with Session(world) as s:
        found = q.expiring(s, TODAY, 30)
        assert [(e.provider_key, e.days_left) for e in found] == [("blue-heron", 0), ("blue-heron", 30)]
        assert found[0].client_name == "Parkside Property Holdings, LLC"
        assert [e.provider_key for e in q.expiring(s, TODAY, 31)][-1] == "oakmont"
        assert q.expiring(s, TODAY, 30, client_id="harbor") == []
        with pytest.raises(ValueError, match="negative"):
            q.expiring(s, TODAY, -1)


def test_pending_waiting_for_and_counts(world: Engine) -> None:
    first = add(world, "blue-heron")
    second = add(world, "oakmont", status="deficient", gaps=3)
    with session_scope(world) as s:
        workflow.submit_for_approval(s, second, "provider")
    harbor = add(world, "blue-heron", client="harbor")
    with Session(world) as s:
        assert [p.submission_id for p in q.pending(s)] == [first, second, harbor]
        only = q.pending(s, client_id="parkside")
        assert [(p.submission_id, p.gap_count) for p in only] == [(first, 0), (second, 3)]
        assert only[1].provider_name == "Oakmont Data Cabling Inc." and only[1].set_name == "current"
        assert [p.submission_id for p in q.waiting_for(s, "UHARB")] == [harbor]
        assert q.waiting_for(s, "UNOBODY") == []
        assert q.approver_clients(s, "UAPPR") == ["parkside"]
        assert q.is_approver(s, "parkside", "UAPPR") and not q.is_approver(s, "harbor", "UAPPR")
        counts = q.status_counts(s)
        assert counts["pending"] == 3 and counts["approved"] == 0 and set(counts) == {x.value for x in
                                                                                       m.SubmissionStatus}
        assert q.status_counts(s, ["harbor"])["pending"] == 1


def test_client_summary_and_activity(world: Engine) -> None:
    ok = add(world, "blue-heron", expires={"general_liability": TODAY + timedelta(days=20)})
    approve(world, ok)
    add(world, "oakmont", status="deficient", gaps=1)
    rejected = add(world, "granite-state")
    with session_scope(world) as s:
        workflow.reject(s, rejected, "UAPPR", "No")
    with Session(world) as s:
        summary = q.client_summary(s, "parkside", TODAY)
        states = {p.provider_key: p.state for p in summary.providers}
        assert states == {"blue-heron": "effective", "oakmont": "draft", "granite-state": "rejected",
                          "quarry-hill": "missing"}
        assert summary.counts == {"effective": 1, "pending": 0, "draft": 1, "rejected": 1, "missing": 1}
        assert [e.submission_id for e in summary.expiring] == [ok]
        blue = next(p for p in summary.providers if p.provider_key == "blue-heron")
        assert blue.next_expiration == TODAY + timedelta(days=20)
        with pytest.raises(q.UnknownClient):
            q.client_summary(s, "nowhere", TODAY)
        activity = q.recent_activity(s, limit=2)
        assert [(a.submission_id, a.to_state, a.actor) for a in activity] == [(rejected, "rejected", "UAPPR"),
                                                                             (rejected, "pending", "coibot")]
        assert q.recent_activity(s, client_ids=["harbor"]) == []

"""Config sync: YAML is the source of truth; history is versioned, never deleted."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from coibot import models as m
from coibot.config import Settings, parse_config
from coibot.db import session_scope
from coibot.errors import ConfigError
from coibot.sync import sync_config


@pytest.fixture
def raw(repo_root: Path) -> dict:
    return yaml.safe_load((repo_root / "config.example.yaml").read_text(encoding="utf-8"))


def _settings(raw: dict, tmp_path: Path) -> Settings:
    return parse_config(copy.deepcopy(raw), "test.yaml", tmp_path)


def _submission_on_current_set(session: Session) -> int:
    version = session.exec(select(m.RequirementSetVersion).where(
        m.RequirementSetVersion.client_id == "acme", m.RequirementSetVersion.name == "current")).one()
    session.add(m.Document(sha256="a" * 64, size=3, stored_path="x"))
    session.flush()
    cert = m.Certificate(document_sha256="a" * 64, extraction={"policies": []})
    session.add(cert)
    session.flush()
    assert cert.id is not None and version.id is not None
    sub = m.Submission(certificate_id=cert.id, client_id="acme", requirement_set_id=version.id)
    session.add(sub)
    session.flush()
    assert sub.id is not None
    return sub.id


def test_changed_set_keeps_old_version_for_existing_submission(
    engine: Engine, raw: dict, tmp_path: Path
) -> None:
    with session_scope(engine) as s:
        sync_config(s, _settings(raw, tmp_path))
    with session_scope(engine) as s:
        sub_id = _submission_on_current_set(s)

    gl = raw["clients"][0]["requirement_sets"][0]["coverages"]["general_liability"]
    gl["limits"]["each_occurrence"] = 2_000_000
    with session_scope(engine) as s:
        report = sync_config(s, _settings(raw, tmp_path))
    assert report.set_versions_added == ["acme/current v2"]

    with Session(engine) as s:
        sub = s.get(m.Submission, sub_id)
        assert sub is not None
        old = s.get(m.RequirementSetVersion, sub.requirement_set_id)
        assert old is not None
        assert (old.version, old.is_latest) == (1, False)
        assert old.spec["coverages"]["general_liability"]["limits"]["each_occurrence"] == 1_000_000
        latest = s.exec(select(m.RequirementSetVersion).where(
            m.RequirementSetVersion.client_id == "acme", m.RequirementSetVersion.name == "current",
            m.RequirementSetVersion.is_latest)).one()
        assert latest.version == 2
        assert latest.spec["coverages"]["general_liability"]["limits"]["each_occurrence"] == 2_000_000
        actions = [a.action for a in s.exec(select(m.AuditLog).where(m.AuditLog.entity == "requirement_set"))]
        assert actions.count("version_added") == 3  # current v1, 2027 v1, current v2


def test_unchanged_sync_changes_nothing(engine: Engine, raw: dict, tmp_path: Path) -> None:
    with session_scope(engine) as s:
        assert sync_config(s, _settings(raw, tmp_path)).changed
    with session_scope(engine) as s:
        assert not sync_config(s, _settings(raw, tmp_path)).changed


def test_removed_entries_become_inactive_not_deleted(engine: Engine, raw: dict, tmp_path: Path) -> None:
    with session_scope(engine) as s:
        sync_config(s, _settings(raw, tmp_path))
    trimmed = copy.deepcopy(raw)
    trimmed["clients"] = []
    trimmed["providers"] = []
    with session_scope(engine) as s:
        report = sync_config(s, _settings(trimmed, tmp_path))
    assert report.clients_deactivated == ["acme"]
    assert report.providers_deactivated == ["driftwood-locksmith-co"]
    with Session(engine) as s:
        client = s.get(m.Client, "acme")
        assert client is not None and client.active is False
        assert len(s.exec(select(m.RequirementSetVersion)).all()) == 2
        waiver = s.exec(select(m.Waiver)).one()
        assert waiver.active is False
    with session_scope(engine) as s:
        sync_config(s, _settings(raw, tmp_path))
    with Session(engine) as s:
        client = s.get(m.Client, "acme")
        assert client is not None and client.active is True


def test_providers_contacts_and_links(engine: Engine, raw: dict, tmp_path: Path) -> None:
    with session_scope(engine) as s:
        sync_config(s, _settings(raw, tmp_path))
    with Session(engine) as s:
        prov = s.exec(select(m.Provider)).one()
        assert prov.broker_email == "certificates@compassins.com"
        contact = s.exec(select(m.Contact)).one()
        assert (contact.email, contact.slack_user) == ("office@driftwood-locksmith.example", "U0DRIFT01")
        link = s.exec(select(m.ProviderClient)).one()
        assert (link.client_id, link.active) == ("acme", True)


def _waiver_keys(engine: Engine) -> list[tuple[str, bool]]:
    with Session(engine) as s:
        return [(w.provider_key, w.active) for w in s.exec(select(m.Waiver).order_by(m.Waiver.id)).all()]


@pytest.mark.parametrize("named_by", ["name", "id"])
def test_waiver_is_stored_under_the_key_of_a_provider_with_an_id(
    engine: Engine, raw: dict, tmp_path: Path, named_by: str
) -> None:
    raw["providers"][0]["id"] = "driftwood"
    if named_by == "id":
        raw["clients"][0]["waivers"][0]["provider"] = "driftwood"
    with session_scope(engine) as s:
        sync_config(s, _settings(raw, tmp_path))
    with Session(engine) as s:
        assert [p.key for p in s.exec(select(m.Provider)).all()] == ["driftwood"]
    assert _waiver_keys(engine) == [("driftwood", True)]


def test_waiver_stored_under_the_old_slug_key_is_rekeyed_not_granted_again(
    engine: Engine, raw: dict, tmp_path: Path
) -> None:
    raw["providers"][0]["id"] = "driftwood"
    with session_scope(engine) as s:
        sync_config(s, _settings(raw, tmp_path))
        # What a sync before the fix left: the waiver under the slug of the provider's name.
        row = s.exec(select(m.Waiver)).one()
        row.provider_key = "driftwood-locksmith-co"
        s.add(row)
    with session_scope(engine) as s:
        sync_config(s, _settings(raw, tmp_path))
    assert _waiver_keys(engine) == [("driftwood", True)]
    with Session(engine) as s:
        actions = [a.action for a in s.exec(select(m.AuditLog).where(m.AuditLog.entity == "waiver"))]
    assert actions == ["granted"]


def test_sync_refuses_a_waiver_naming_no_configured_provider(
    engine: Engine, raw: dict, tmp_path: Path
) -> None:
    settings = _settings(raw, tmp_path)
    settings.clients[0].waivers[0].provider = "Nobody Plumbing"  # past parse_config's check
    with (pytest.raises(ConfigError, match="waiver names unknown provider 'Nobody Plumbing'"),
          session_scope(engine) as s):
        sync_config(s, settings)

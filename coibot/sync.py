"""Config sync: the YAML is the source of truth for clients, requirement sets, providers and waivers.

Removed entries are marked inactive, never deleted, so their history stays reachable; a changed
requirement set becomes a new version and the old one is kept for the submissions checked against it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field

from sqlmodel import Session, select

from coibot import models as m
from coibot.audit import record
from coibot.config import Provider as ProviderConfig
from coibot.config import Settings, slugify
from coibot.errors import ConfigError
from coibot.requirements import ClientRequirements, RequirementSet

log = logging.getLogger(__name__)
ACTOR = "config-sync"


@dataclass
class SyncReport:
    """What a sync changed, for logs and the command line."""

    clients_added: list[str] = field(default_factory=list)
    clients_deactivated: list[str] = field(default_factory=list)
    set_versions_added: list[str] = field(default_factory=list)
    providers_added: list[str] = field(default_factory=list)
    providers_deactivated: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(vars(self).values())


def spec_of(rs: RequirementSet) -> dict[str, object]:
    return rs.model_dump(mode="json")


def spec_hash(spec: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def sync_config(session: Session, settings: Settings) -> SyncReport:
    """Upsert the configuration into the database; the caller commits."""
    report = SyncReport()
    configured = {c.id for c in settings.clients}
    for client in settings.clients:
        _sync_client(session, client, report)
    for row in session.exec(select(m.Client).where(m.Client.active)).all():
        if row.id not in configured:
            row.active = False
            session.add(row)
            report.clients_deactivated.append(row.id)
            record(session, ACTOR, "client", row.id, "deactivated", "active", "inactive")
    _sync_providers(session, settings, report)
    _sync_waivers(session, settings)
    if report.changed:
        log.info("config sync: %s", report)
    return report


def _sync_client(session: Session, client: ClientRequirements, report: SyncReport) -> None:
    row = session.get(m.Client, client.id)
    approvers = client.approvers.model_dump(mode="json")
    if row is None:
        row = m.Client(id=client.id, name=client.name)
        report.clients_added.append(client.id)
        record(session, ACTOR, "client", client.id, "created", None, "active")
    elif not row.active:
        record(session, ACTOR, "client", client.id, "reactivated", "inactive", "active")
    row.name, row.slack_channel, row.approvers = client.name, client.slack_channel, approvers
    row.active = True
    row.updated_at = m.utcnow()
    session.add(row)
    session.flush()
    names = {rs.name for rs in client.requirement_sets}
    for rs in client.requirement_sets:
        _sync_set(session, client.id, rs, report)
    latest = session.exec(
        select(m.RequirementSetVersion).where(
            m.RequirementSetVersion.client_id == client.id, m.RequirementSetVersion.is_latest
        )
    ).all()
    for version in latest:
        if version.name not in names and version.active:
            version.active = False
            session.add(version)
            record(session, ACTOR, "requirement_set", str(version.id), "deactivated", "active", "inactive")


def _sync_set(session: Session, client_id: str, rs: RequirementSet, report: SyncReport) -> None:
    spec = spec_of(rs)
    digest = spec_hash(spec)
    versions = session.exec(
        select(m.RequirementSetVersion)
        .where(m.RequirementSetVersion.client_id == client_id, m.RequirementSetVersion.name == rs.name)
        .order_by(m.RequirementSetVersion.version.desc())  # type: ignore[attr-defined]
    ).all()
    latest = versions[0] if versions else None
    if latest is not None and latest.spec_hash == digest:
        if not latest.active:
            latest.active = True
            session.add(latest)
        return
    for old in versions:
        if old.is_latest:
            old.is_latest = False
            session.add(old)
    version = m.RequirementSetVersion(
        client_id=client_id,
        name=rs.name,
        version=(latest.version + 1) if latest else 1,
        effective_from=rs.effective_from,
        spec=spec,
        spec_hash=digest,
    )
    session.add(version)
    session.flush()
    report.set_versions_added.append(f"{client_id}/{rs.name} v{version.version}")
    record(session, ACTOR, "requirement_set", str(version.id), "version_added", None, f"v{version.version}",
           {"client": client_id, "name": rs.name})


def _sync_providers(session: Session, settings: Settings, report: SyncReport) -> None:
    configured: set[str] = set()
    for prov in settings.providers:
        configured.add(prov.key)
        row = session.exec(select(m.Provider).where(m.Provider.key == prov.key)).first()
        if row is None:
            row = m.Provider(key=prov.key, name=prov.name)
            report.providers_added.append(prov.key)
            session.add(row)
            session.flush()
            record(session, ACTOR, "provider", prov.key, "created", None, "active")
        row.name, row.broker_email, row.active, row.from_config = prov.name, prov.broker_email, True, True
        row.updated_at = m.utcnow()
        session.add(row)
        session.flush()
        provider_id = row.id
        if provider_id is None:
            raise RuntimeError("provider row has no id after flush")
        _sync_contacts(session, provider_id, prov)
        _sync_links(session, provider_id, set(prov.clients))
    for row in session.exec(select(m.Provider).where(m.Provider.active, m.Provider.from_config)).all():
        if row.key not in configured:
            row.active = False
            session.add(row)
            report.providers_deactivated.append(row.key)
            record(session, ACTOR, "provider", row.key, "deactivated", "active", "inactive")


def _sync_contacts(session: Session, provider_id: int, prov: ProviderConfig) -> None:
    existing = {c.email or f"slack:{c.slack_user}": c for c in
                session.exec(select(m.Contact).where(m.Contact.provider_id == provider_id)).all()}
    wanted: set[str] = set()
    for contact in prov.contacts:
        key = contact.email or f"slack:{contact.slack_user}"
        wanted.add(key)
        row = existing.get(key) or m.Contact(provider_id=provider_id, email=contact.email)
        row.name, row.slack_user, row.active = contact.name, contact.slack_user, True
        session.add(row)
    for key, row in existing.items():
        if key not in wanted and row.active:
            row.active = False
            session.add(row)


def _sync_links(session: Session, provider_id: int, client_ids: set[str]) -> None:
    links = {pc.client_id: pc for pc in
             session.exec(select(m.ProviderClient).where(m.ProviderClient.provider_id == provider_id)).all()}
    for cid in client_ids:
        link = links.get(cid) or m.ProviderClient(provider_id=provider_id, client_id=cid)
        link.active = True
        session.add(link)
    for cid, link in links.items():
        if cid not in client_ids and link.active:
            link.active = False
            session.add(link)


def _waiver_provider_key(settings: Settings, client_id: str, ref: str) -> str:
    """The key of the configured provider a waiver names (by id or by name), as its provider rows have it."""
    provider = settings.provider(ref)
    if provider is None:
        # parse_config reports this with the key path; a Settings built in code still gets a clear error.
        raise ConfigError(settings.source, [f"client {client_id!r}: waiver names unknown provider {ref!r}"])
    return provider.key


def _waiver_row(session: Session, client_id: str, provider_key: str, legacy_key: str | None,
                requirement: str) -> m.Waiver | None:
    """The stored waiver, also when an earlier sync keyed it by the slug of the provider reference."""
    for key in dict.fromkeys(k for k in (provider_key, legacy_key) if k is not None):
        row = session.exec(select(m.Waiver).where(
            m.Waiver.client_id == client_id, m.Waiver.provider_key == key,
            m.Waiver.requirement == requirement,
        )).first()
        if row is not None:
            # Re-keyed in place: the waiver keeps its id and history, not withdrawn and granted again.
            row.provider_key = provider_key
            return row
    return None


def _sync_waivers(session: Session, settings: Settings) -> None:
    wanted: set[tuple[str, str, str]] = set()
    provider_keys = {p.key for p in settings.providers}
    for client in settings.clients:
        for w in client.waivers:
            key = (client.id, _waiver_provider_key(settings, client.id, w.provider), w.requirement)
            wanted.add(key)
            # A slug that is another provider's key names that provider's waiver, not a stale row of this one.
            legacy = slugify(w.provider)
            row = _waiver_row(session, *key[:2], None if legacy in provider_keys else legacy, w.requirement)
            if row is None:
                row = m.Waiver(client_id=client.id, provider_key=key[1], requirement=w.requirement,
                               waived_by=w.waived_by, reason=w.reason)
                session.add(row)
                session.flush()
                record(session, w.waived_by, "waiver", str(row.id), "granted", None, "active",
                       {"client": client.id, "provider": w.provider, "requirement": w.requirement,
                        "until": w.until.isoformat() if w.until else None, "reason": w.reason})
            row.until, row.waived_by, row.reason, row.active = w.until, w.waived_by, w.reason, True
            session.add(row)
    for row in session.exec(select(m.Waiver).where(m.Waiver.active)).all():
        if (row.client_id, row.provider_key, row.requirement) not in wanted:
            row.active = False
            session.add(row)
            record(session, ACTOR, "waiver", str(row.id), "withdrawn", "active", "inactive")

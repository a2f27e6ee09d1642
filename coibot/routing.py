"""Who sent a certificate and which clients it is for.

Sender → provider by the contact addresses on file (case-insensitive). Clients: a plus-addressed
recipient (`certificates+acme@…`) names one; else clients whose name matches the certificate
holder; else every client the provider works for.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from coibot import models as m
from coibot.check.textnorm import names_match
from coibot.config import Settings
from coibot.mail.parse import plus_tag

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    """The clients one certificate is checked for, and why they were chosen."""

    client_ids: list[str]
    reason: str  # "plus_address" | "holder" | "provider_clients" | "none"


def provider_for_sender(session: Session, sender: str | None) -> m.Provider | None:
    """The active provider with an active contact at this address, or None."""
    if not sender:
        return None
    addr = sender.strip().lower()
    rows = session.exec(
        select(m.Provider)
        .join(m.Contact, col(m.Contact.provider_id) == col(m.Provider.id))
        .where(col(m.Contact.email) == addr, col(m.Contact.active), col(m.Provider.active))
        .order_by(col(m.Provider.id))
    ).all()
    if len(rows) > 1:
        log.warning("sender %s is a contact of %d providers; using %s", addr, len(rows), rows[0].key)
    return rows[0] if rows else None


def provider_client_ids(session: Session, provider_id: int) -> list[str]:
    rows = session.exec(
        select(m.ProviderClient.client_id)
        .join(m.Client, col(m.Client.id) == col(m.ProviderClient.client_id))
        .where(col(m.ProviderClient.provider_id) == provider_id, col(m.ProviderClient.active),
               col(m.Client.active))
        .order_by(col(m.ProviderClient.client_id))
    ).all()
    return list(rows)


def plus_addressed_clients(recipients: Sequence[str], known: Sequence[str]) -> list[str]:
    """Client ids named by plus-addressing among the recipients (only ids that exist)."""
    by_lower = {k.lower(): k for k in known}
    out: list[str] = []
    for rcpt in recipients:
        tag = plus_tag(rcpt)
        if tag and tag in by_lower and by_lower[tag] not in out:
            out.append(by_lower[tag])
    return out


def holder_clients(settings: Settings, holder_names: Sequence[str | None], among: Sequence[str]) -> list[str]:
    """Clients (within `among`) whose name or any required holder name matches a certificate holder."""
    out: list[str] = []
    for client in settings.clients:
        if client.id not in among:
            continue
        names = {client.name} | {rs.certificate_holder.name for rs in client.requirement_sets
                                 if rs.certificate_holder is not None}
        if any(names_match(h, n) for h in holder_names if h for n in names):
            out.append(client.id)
    return out


def route_clients(
    session: Session,
    settings: Settings,
    provider: m.Provider,
    recipients: Sequence[str],
    holder_names: Sequence[str | None],
) -> Route:
    """The clients to check a provider's certificate for."""
    works_for = provider_client_ids(session, provider.id or 0)
    configured = [c.id for c in settings.clients]
    plus = plus_addressed_clients(recipients, configured)
    if plus:
        # A plus address is explicit: honour it even when the link is not on file (the check says so).
        return Route(plus, "plus_address")
    by_holder = holder_clients(settings, holder_names, works_for)
    if by_holder:
        return Route(by_holder, "holder")
    if works_for:
        return Route(works_for, "provider_clients")
    return Route([], "none")

"""Who hears about a provider's certificates: its contacts, and its broker in copy."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from coibot import models as m


def broker_email(session: Session, provider_id: int | None, extraction: dict[str, Any] | None) -> str | None:
    """The broker on file for the provider, else the producer e-mail printed on the certificate."""
    if provider_id is not None:
        provider = session.get(m.Provider, provider_id)
        if provider is not None and provider.broker_email:
            return provider.broker_email.lower()
    producer = (extraction or {}).get("producer") or {}
    email = producer.get("email") if isinstance(producer, dict) else None
    return email.lower() if isinstance(email, str) and "@" in email else None


BATCH = 5000  # provider ids per IN (…) (SQLite binds at most 32,766 values per statement)


def contact_emails(session: Session, provider_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each provider's active contact e-mails (sorted, distinct), in one query per BATCH providers."""
    ids = sorted(set(provider_ids))
    found: dict[int, set[str]] = {}
    for i in range(0, len(ids), BATCH):
        rows = session.exec(select(m.Contact.provider_id, m.Contact.email).where(
            col(m.Contact.provider_id).in_(ids[i:i + BATCH]), col(m.Contact.active))).all()
        for provider_id, email in rows:
            if email:
                found.setdefault(provider_id, set()).add(email)
    return {pid: sorted(emails) for pid, emails in found.items()}


def recipients(to: list[str], broker: str | None) -> tuple[list[str], list[str]]:
    """(to, cc) from the contact e-mails and the broker, who is in copy unless already a contact."""
    return to, [broker] if broker and broker not in to else []


def provider_recipients(
    session: Session, provider_id: int | None, extraction: dict[str, Any] | None
) -> tuple[list[str], list[str]]:
    """(to, cc): the provider's active contact e-mails, and the broker in copy."""
    to = contact_emails(session, [provider_id]).get(provider_id, []) if provider_id is not None else []
    return recipients(to, broker_email(session, provider_id, extraction))

"""Who hears about a provider's certificates: its contacts, and its broker in copy."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

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


def provider_recipients(
    session: Session, provider_id: int | None, extraction: dict[str, Any] | None
) -> tuple[list[str], list[str]]:
    """(to, cc): the provider's active contact e-mails, and the broker in copy."""
    to: list[str] = []
    if provider_id is not None:
        rows = session.exec(
            select(m.Contact).where(m.Contact.provider_id == provider_id, m.Contact.active)
        ).all()
        to = sorted({c.email for c in rows if c.email})
    broker = broker_email(session, provider_id, extraction)
    cc = [broker] if broker and broker not in to else []
    return to, cc

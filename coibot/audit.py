"""The audit log: every state change with its actor, written in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from coibot.models import AuditLog


def record(
    session: Session,
    actor: str,
    entity: str,
    entity_id: str,
    action: str,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Add one audit row to the session; it commits with the change it describes."""
    row = AuditLog(actor=actor, entity=entity, entity_id=entity_id, action=action,
                   from_state=from_state, to_state=to_state, detail=detail)
    session.add(row)
    return row

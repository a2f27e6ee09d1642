"""Database tables (SQLModel). Every change here ships with an Alembic migration."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _json(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=nullable))


def _enum(kind: type[enum.Enum]) -> Any:
    # Stored as plain strings (no native enum type) so migrations stay portable.
    return SAEnum(kind, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class SubmissionStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"


class InboundStatus(enum.StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"
    AWAITING_SENDER = "awaiting_sender"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Client(SQLModel, table=True):
    """A business that hires providers; mirrored from the configuration."""

    id: str = Field(primary_key=True, max_length=64)
    name: str
    slack_channel: str | None = None
    approvers: dict[str, Any] | None = _json(nullable=True)
    active: bool = True
    updated_at: datetime = Field(default_factory=utcnow)


class RequirementSetVersion(SQLModel, table=True):
    """One version of a client's requirement set; old versions stay so past decisions keep their basis."""

    __tablename__ = "requirement_set_version"
    __table_args__ = (
        UniqueConstraint("client_id", "name", "version"),
        Index("ix_reqset_client_current", "client_id", "name", "is_latest"),
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    name: str
    version: int
    effective_from: date
    spec: dict[str, Any] = _json()
    spec_hash: str = Field(max_length=64)
    is_latest: bool = True
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class Provider(SQLModel, table=True):
    """A vendor or contractor that sends certificates."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=128)
    name: str = Field(index=True)
    broker_email: str | None = None
    active: bool = True
    from_config: bool = True
    updated_at: datetime = Field(default_factory=utcnow)


class ProviderClient(SQLModel, table=True):
    """A provider works for a client."""

    __tablename__ = "provider_client"

    provider_id: int = Field(foreign_key="provider.id", primary_key=True)
    client_id: str = Field(foreign_key="client.id", primary_key=True)
    active: bool = True


class Contact(SQLModel, table=True):
    """A person at a provider: where certificates come from and reminders go."""

    __table_args__ = (UniqueConstraint("provider_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", index=True)
    email: str | None = Field(default=None, index=True)
    name: str | None = None
    slack_user: str | None = Field(default=None, index=True)
    active: bool = True


class Document(SQLModel, table=True):
    """Received bytes, content-addressed; the file lives under the documents directory."""

    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    content_type: str | None = None
    filename: str | None = None
    stored_path: str
    created_at: datetime = Field(default_factory=utcnow)


class Certificate(SQLModel, table=True):
    """One certificate read from a document (a document may hold several)."""

    __table_args__ = (UniqueConstraint("document_sha256", "index_in_document"),)

    id: int | None = Field(default=None, primary_key=True)
    document_sha256: str = Field(foreign_key="document.sha256", index=True)
    index_in_document: int = 0
    form: str | None = None
    method: str | None = None
    insured_name: str | None = None
    producer_email: str | None = None
    certificate_date: date | None = None
    needs_review: bool = False
    extraction: dict[str, Any] = _json()
    created_at: datetime = Field(default_factory=utcnow)


class Policy(SQLModel, table=True):
    """A policy row of a certificate, kept as columns so expirations can be queried."""

    __table_args__ = (Index("ix_policy_expiration", "expiration_date", "certificate_id"),)

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="certificate.id", index=True)
    position: int = 0
    coverage: str = Field(max_length=32)
    coverage_name: str | None = None
    carrier: str | None = None
    naic: str | None = Field(default=None, max_length=5)
    policy_number: str | None = None
    effective_date: date | None = None
    expiration_date: date | None = None
    limits: dict[str, Any] | None = _json(nullable=True)


class Submission(SQLModel, table=True):
    """A certificate offered to one client, checked against one requirement set version."""

    __table_args__ = (
        Index("ix_submission_client_status", "client_id", "status"),
        # Covering the reminder decisions (migration 0007): the join from a policy's certificate and
        # the per provider-client tests (on file, renewed, paused) read these indexes only, never
        # the rows, which hold the report and gaps JSON.
        Index("ix_submission_provider_client_status", "provider_id", "client_id", "status", "certificate_id",
              "requirement_set_id"),
        Index("ix_submission_certificate_status", "certificate_id", "status", "provider_id", "client_id",
              "requirement_set_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="certificate.id")
    client_id: str = Field(foreign_key="client.id")
    provider_id: int | None = Field(default=None, foreign_key="provider.id")
    requirement_set_id: int = Field(foreign_key="requirement_set_version.id", index=True)
    status: SubmissionStatus = Field(
        default=SubmissionStatus.DRAFT, sa_type=_enum(SubmissionStatus)
    )
    check_status: str | None = Field(default=None, max_length=16)
    gaps: list[dict[str, Any]] | None = _json(nullable=True)
    report: dict[str, Any] | None = _json(nullable=True)
    source: str | None = Field(default=None, max_length=32)
    inbound_id: int | None = Field(default=None, foreign_key="inbound_message.id")
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class InboundMessage(SQLModel, table=True):
    """A message that arrived by IMAP, SMTP or Slack; the processed-message table."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        UniqueConstraint("source", "uidvalidity", "uid", name="uq_inbound_imap_uid"),
        UniqueConstraint("source", "message_id", "content_sha256", name="uq_inbound_content"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=128)
    message_id: str | None = None
    uidvalidity: int | None = None
    uid: int | None = None
    content_sha256: str = Field(max_length=64)
    sender: str | None = None
    recipients: list[str] | None = _json(nullable=True)
    subject: str | None = None
    raw_path: str | None = None
    status: InboundStatus = Field(
        default=InboundStatus.RECEIVED, sa_type=_enum(InboundStatus)
    )
    error: str | None = None
    attempts: int = 0
    received_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None


class Outbox(SQLModel, table=True):
    """A message to deliver (email or Slack), written in the transaction that causes it."""

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    idempotency_key: str = Field(unique=True, max_length=255)
    payload: dict[str, Any] = _json()
    status: OutboxStatus = Field(
        default=OutboxStatus.PENDING, sa_type=_enum(OutboxStatus)
    )
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = None
    message_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class ReminderSent(SQLModel, table=True):
    """A renewal request or escalation already enqueued: once per policy, client and milestone."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("policy_id", "client_id", "milestone"),)

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id")
    client_id: str = Field(foreign_key="client.id")
    milestone: str = Field(max_length=32)
    sent_at: datetime = Field(default_factory=utcnow)


class Waiver(SQLModel, table=True):
    """A client waived one requirement for one provider, until a date."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    provider_key: str = Field(max_length=128)
    requirement: str
    until: date | None = None
    waived_by: str
    reason: str
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class AuditLog(SQLModel, table=True):
    """Every state change, who made it and why."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    action: str = Field(max_length=64)
    from_state: str | None = None
    to_state: str | None = None
    detail: dict[str, Any] | None = _json(nullable=True)


class Lease(SQLModel, table=True):
    """A named lease (e.g. the scheduler leader) held by one process until it expires."""

    name: str = Field(primary_key=True, max_length=64)
    holder: str
    expires_at: datetime


class SlackMessage(SQLModel, table=True):
    """A Slack message posted about a submission (channel + ts), so a decision can update it in place."""

    __tablename__ = "slack_message"
    __table_args__ = (UniqueConstraint("submission_id", "kind", "channel", name="uq_slack_message_target"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    kind: str = Field(max_length=32)
    channel: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SlackPost(SQLModel, table=True):
    """A Slack post claimed per (key, channel): an approval request, a needs-review post or an escalation.

    Written before chat.postMessage and removed only when Slack certainly did not post, so a retry of
    the row skips every channel the post may have reached, even if recording its ts failed afterwards.
    Slack's answer (ts, channel id) is recorded here first, in its own transaction: the claim is
    what a retry writes a submission post's slack_message rows from when saving them failed.
    """

    __tablename__ = "slack_post"
    __table_args__ = (UniqueConstraint("idempotency_key", "channel", name="uq_slack_post_target"),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=255)  # the outbox row's key, or submission_post_key
    channel: str = Field(max_length=32)
    ts: str | None = Field(default=None, max_length=32)  # None until Slack's answer is recorded
    # The channel id Slack answered (a #name target is answered with its id); recorded with ts.
    posted_channel: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class CertificateRequestSent(SQLModel, table=True):
    """A request for a missing certificate (or its escalation) already enqueued.

    Once per provider, client, requirement set version and milestone, like ReminderSent for policies.
    """

    __tablename__ = "certificate_request_sent"
    __table_args__ = (
        UniqueConstraint("provider_id", "client_id", "requirement_set_id", "milestone",
                         name="uq_certificate_request_milestone"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id")
    client_id: str = Field(foreign_key="client.id")
    requirement_set_id: int = Field(foreign_key="requirement_set_version.id")
    milestone: str = Field(max_length=32)
    sent_at: datetime = Field(default_factory=utcnow)


class ReminderRun(SQLModel, table=True):
    """A completed reminder run: the next run only looks at what changed since (catch-up included)."""

    __tablename__ = "reminder_run"

    as_of: date = Field(primary_key=True)
    started_at: datetime
    finished_at: datetime = Field(default_factory=utcnow)


# Reminder runs look up submissions changed since the last run (a decision, a pause lifted).
Index("ix_submission_updated_at", Submission.updated_at)  # type: ignore[arg-type]
# Config sync touches updated_at of every provider it writes: new links show up by it.
Index("ix_provider_updated_at", Provider.updated_at)  # type: ignore[arg-type]

"""One received message → stored raw bytes and an inbound_message row (idempotent), then processed.

`receive` is what a channel calls before it acknowledges anything (SMTP 250, IMAP MOVE): the raw
message is fsync'd by its sha256 and the row committed. A retry of the same message (same
Message-ID and content, or same IMAP UIDVALIDITY+UID) finds the existing row.

`process` reads the attachments in the isolated child, checks each certificate per client and
requirement set, records submissions through the workflow and enqueues the reply, all in one
transaction that first claims the row (received → processed), so two workers never both answer.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from coibot import models as m
from coibot import workflow
from coibot.audit import record
from coibot.check import check_all_sets
from coibot.config import Settings
from coibot.contacts import broker_email
from coibot.db import session_scope
from coibot.errors import CoibotError, ExtractionError
from coibot.limits import Limits
from coibot.mail.parse import Attachment, Inbound, parse_message, subject_line
from coibot.models import InboundStatus
from coibot.outbox import enqueue_email, message_id_for
from coibot.render import render
from coibot.routing import provider_for_sender, route_clients
from coibot.storage import DocumentStore

log = logging.getLogger(__name__)

ACTOR = "intake"
MAX_ATTEMPTS = 3
Extractor = Callable[[Path, Limits], list[dict[str, Any]]]


class IntakeError(CoibotError):
    """A received message could not be stored (the channel answers with a temporary failure)."""


@dataclass(frozen=True)
class Received:
    """The committed row of a received message; `created` is False for a duplicate."""

    inbound_id: int
    created: bool
    status: InboundStatus


@dataclass
class Outcome:
    """What processing one message did, for logs and the channel that moves it."""

    inbound_id: int
    status: InboundStatus
    provider: str | None = None
    clients: list[str] = field(default_factory=list)
    submissions: list[int] = field(default_factory=list)
    replied: bool = False
    skipped: bool = False
    error: str | None = None


def default_extractor() -> Extractor:
    """The isolated reader when it is installed, else the in-process reader."""
    try:
        mod = importlib.import_module("coibot.extract.isolate")
        # A processor lives as long as its service: pre-started children hide each document's
        # interpreter start and imports (still one fresh child per document).
        fn: Extractor = mod.extract_warm
    except (ImportError, AttributeError):
        from coibot.extract.reader import extract_document

        log.warning("coibot.extract.isolate is not available; reading documents in-process")
        fn = extract_document
    return fn


def _dedupe_id(inbound: Inbound) -> str:
    # Without a Message-ID the content hash alone identifies a retry (NULLs never collide in SQL).
    return inbound.message_id or f"<{inbound.raw_sha256}@no-message-id>"


def receive(
    engine: Engine,
    store: DocumentStore,
    raw: bytes,
    source: str,
    *,
    uidvalidity: int | None = None,
    uid: int | None = None,
) -> Received:
    """Store a raw message durably and commit its inbound_message row; idempotent."""
    try:
        sha, path = store.put(raw)
    except OSError as exc:
        raise IntakeError(f"cannot store the message: {exc}") from exc
    inbound = parse_message(raw, source)
    row = m.InboundMessage(
        source=source, message_id=_dedupe_id(inbound), uidvalidity=uidvalidity, uid=uid,
        content_sha256=sha, sender=inbound.sender, recipients=inbound.recipients,
        subject=inbound.subject, raw_path=str(path), status=InboundStatus.RECEIVED,
    )
    try:
        with session_scope(engine) as session:
            session.add(row)
            session.flush()
            record(session, ACTOR, "inbound", str(row.id), "received", None, "received",
                   {"source": source, "message_id": row.message_id, "sender": inbound.sender})
        if row.id is None:
            raise IntakeError("inbound row has no id after commit")
        log.info("received inbound=%s source=%s message_id=%s sender=%s", row.id, source,
                 row.message_id, inbound.sender)
        return Received(row.id, True, InboundStatus.RECEIVED)
    except IntegrityError:
        existing = find_existing(engine, source, row.message_id, sha, uidvalidity, uid)
        if existing is None:
            raise IntakeError("duplicate message but no existing row found") from None
        log.info("duplicate inbound=%s source=%s message_id=%s", existing.id, source, row.message_id)
        return Received(existing.id or 0, False, InboundStatus(existing.status))


def find_existing(
    engine: Engine, source: str, message_id: str | None, sha: str, uidvalidity: int | None, uid: int | None
) -> m.InboundMessage | None:
    with Session(engine) as session:
        if uidvalidity is not None and uid is not None:
            hit = session.exec(select(m.InboundMessage).where(
                m.InboundMessage.source == source, m.InboundMessage.uidvalidity == uidvalidity,
                m.InboundMessage.uid == uid)).first()
            if hit is not None:
                return hit
        return session.exec(select(m.InboundMessage).where(
            m.InboundMessage.source == source, m.InboundMessage.message_id == message_id,
            m.InboundMessage.content_sha256 == sha)).first()


# ---------------------------------------------------------------- processing


@dataclass
class ReadResult:
    """One attachment after the reader: its document and certificates, or why it was not read."""

    attachment: Attachment
    sha256: str
    certificates: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


class Processor:
    """Processes stored inbound messages; one per process, shared by the channels."""

    def __init__(self, engine: Engine, settings: Settings, store: DocumentStore,
                 extractor: Extractor | None = None, today: Callable[[], date] = date.today) -> None:
        self.engine = engine
        self.settings = settings
        self.store = store
        self.extractor = extractor or default_extractor()
        self.today = today

    # -- entry points

    def process(self, inbound_id: int) -> Outcome:
        """Process one received message once; a message already processed is skipped."""
        with Session(self.engine) as session:
            row = session.get(m.InboundMessage, inbound_id)
            if row is None:
                raise IntakeError(f"no inbound message {inbound_id}")
            if row.status != InboundStatus.RECEIVED:
                return Outcome(inbound_id, InboundStatus(row.status), skipped=True)
            raw_path, attempts, source = row.raw_path, row.attempts, row.source
        if attempts >= MAX_ATTEMPTS:
            # Earlier attempts ended without an answer (the process died while reading it): stop.
            self.mark_failed(inbound_id, f"gave up after {attempts} attempts that did not finish")
            return Outcome(inbound_id, InboundStatus.FAILED, error="too many attempts")
        self._bump_attempts(inbound_id)
        try:
            raw = Path(raw_path or "").read_bytes()
            inbound = parse_message(raw, source)
            return self._process(inbound_id, inbound)
        except Exception as exc:
            log.exception("processing inbound=%s failed (attempt %d)", inbound_id, attempts + 1)
            if attempts + 1 >= MAX_ATTEMPTS:
                self.mark_failed(inbound_id, f"{type(exc).__name__}: {exc}")
                return Outcome(inbound_id, InboundStatus.FAILED, error=str(exc))
            raise

    def pending_ids(self) -> list[int]:
        """Messages stored but not processed (after a crash or a restart)."""
        with Session(self.engine) as session:
            ids = session.exec(select(m.InboundMessage.id).where(
                m.InboundMessage.status == InboundStatus.RECEIVED).order_by(col(m.InboundMessage.id))).all()
            return [i for i in ids if i is not None]

    def resume_awaiting(self) -> list[int]:
        """Messages from unknown senders whose sender is now on file: back to received."""
        resumed: list[int] = []
        with session_scope(self.engine) as session:
            rows = session.exec(select(m.InboundMessage).where(
                m.InboundMessage.status == InboundStatus.AWAITING_SENDER)).all()
            for row in rows:
                if provider_for_sender(session, row.sender) is None:
                    continue
                result = session.exec(update(m.InboundMessage).where(
                    col(m.InboundMessage.id) == row.id,
                    col(m.InboundMessage.status) == InboundStatus.AWAITING_SENDER,
                ).values(status=InboundStatus.RECEIVED, attempts=0))
                if result.rowcount == 1 and row.id is not None:
                    record(session, ACTOR, "inbound", str(row.id), "sender_known",
                           InboundStatus.AWAITING_SENDER.value, InboundStatus.RECEIVED.value)
                    resumed.append(row.id)
        return resumed

    def mark_failed(self, inbound_id: int, reason: str) -> None:
        """received → failed with the reason; staff hear about it in the same transaction."""
        with session_scope(self.engine) as session:
            result = session.exec(update(m.InboundMessage).where(
                col(m.InboundMessage.id) == inbound_id,
                col(m.InboundMessage.status) == InboundStatus.RECEIVED,
            ).values(status=InboundStatus.FAILED, error=reason[:2000], processed_at=m.utcnow()))
            if result.rowcount != 1:
                return
            record(session, ACTOR, "inbound", str(inbound_id), "failed", "received", "failed",
                   {"reason": reason[:500]})
            row = session.get(m.InboundMessage, inbound_id)
            staff = self.settings.outbound.staff_emails
            if row is not None and staff:
                enqueue_email(session, f"email:staff_failed:{inbound_id}", staff,
                              f"A message could not be processed: #{inbound_id}",
                              render("email/staff_failed.txt.j2", attempts=row.attempts, sender=row.sender,
                                     subject=row.subject or "", source=row.source, inbound_id=inbound_id,
                                     reason=reason[:500], raw_path=row.raw_path or ""))
            log.error("inbound=%s failed for good: %s", inbound_id, reason[:300])

    # -- internals

    def _bump_attempts(self, inbound_id: int) -> None:
        with session_scope(self.engine) as session:
            session.exec(update(m.InboundMessage).where(col(m.InboundMessage.id) == inbound_id)
                         .values(attempts=col(m.InboundMessage.attempts) + 1))

    def claim(self, session: Session, inbound_id: int, to: InboundStatus, error: str | None = None) -> bool:
        """received → `to`, only if still received; the loser of a race gets False and rolls back."""
        result = session.exec(update(m.InboundMessage).where(
            col(m.InboundMessage.id) == inbound_id,
            col(m.InboundMessage.status) == InboundStatus.RECEIVED,
        ).values(status=to, processed_at=m.utcnow(), error=error))
        if result.rowcount != 1:
            return False
        record(session, ACTOR, "inbound", str(inbound_id), to.value, "received", to.value)
        return True

    def _process(self, inbound_id: int, inbound: Inbound) -> Outcome:
        if self._ignorable(inbound):
            with session_scope(self.engine) as session:
                self.claim(session, inbound_id, InboundStatus.PROCESSED, "automatic message; not answered")
            log.info("inbound=%s is an automatic message or has no sender; not answered", inbound_id)
            return Outcome(inbound_id, InboundStatus.PROCESSED)
        send = self._send_command(inbound)
        if send is not None:
            return self._send_flow(inbound_id, inbound, send)
        with Session(self.engine) as session:
            provider = provider_for_sender(session, inbound.sender)
            provider_id = provider.id if provider else None
        reads = [self.read_attachment(att) for att in inbound.attachments]
        if not inbound.attachments:
            target, note = InboundStatus.PROCESSED, "no certificate attached"
        elif provider_id is None:
            target, note = InboundStatus.AWAITING_SENDER, "sender not on file"
        else:
            target, note = InboundStatus.PROCESSED, None
        with session_scope(self.engine) as session:
            # Claim first: the loser of a race stops here, before writing anything.
            if not self.claim(session, inbound_id, target, note):
                session.rollback()
                return Outcome(inbound_id, target, skipped=True)
            for r in reads:
                self.store_document(session, r)
            if not inbound.attachments:
                return self._no_certificate(session, inbound_id, inbound)
            provider = session.get(m.Provider, provider_id) if provider_id is not None else None
            if provider is None:
                return self._unknown_sender(session, inbound_id, inbound, reads)
            return self.record_checked(session, inbound_id, inbound, provider, reads)

    def _ignorable(self, inbound: Inbound) -> bool:
        own = self.settings.outbound.from_address.lower()
        return inbound.sender is None or inbound.auto_submitted or inbound.sender == own

    def read_attachment(self, att: Attachment) -> ReadResult:
        sha, path = self.store.put(att.data)
        r = ReadResult(att, sha)
        try:
            certs = self.extractor(path, self.settings.limits)
        except ExtractionError as exc:
            log.info("attachment %s (%s) not read: %s", att.filename, sha[:12], exc.code)
            r.error = exc.message
            return r
        for cert in certs:
            src = cert.get("source")
            if isinstance(src, dict):
                src["file"] = att.filename  # the stored name is the digest; show the sender's name
        r.certificates = certs
        return r

    def store_document(self, session: Session, r: ReadResult) -> None:
        # Insert-or-ignore: another message may carry the same file at the same moment.
        values = {"sha256": r.sha256, "size": len(r.attachment.data),
                  "content_type": r.attachment.content_type, "filename": r.attachment.filename,
                  "stored_path": str(self.store.path_for(r.sha256)), "created_at": m.utcnow()}
        table = m.Document.__table__  # type: ignore[attr-defined]
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.exec(insert(table).values(**values).on_conflict_do_nothing(index_elements=["sha256"]))

    def _certificate(self, session: Session, sha: str, index: int, ex: dict[str, Any]) -> m.Certificate:
        existing = session.exec(select(m.Certificate).where(
            m.Certificate.document_sha256 == sha, m.Certificate.index_in_document == index)).first()
        if existing is not None:
            return existing
        insured = ex.get("insured") or {}
        producer = ex.get("producer") or {}
        cert = m.Certificate(
            document_sha256=sha, index_in_document=index, form=ex.get("form"),
            method=(ex.get("source") or {}).get("method"),
            insured_name=insured.get("name") if isinstance(insured, dict) else None,
            producer_email=producer.get("email") if isinstance(producer, dict) else None,
            certificate_date=_date(ex.get("certificate_date")),
            needs_review=bool(ex.get("warnings")), extraction=ex,
        )
        try:
            with session.begin_nested():
                session.add(cert)
                session.flush()
        except IntegrityError:
            # Another message carrying the same document stored it first.
            return session.exec(select(m.Certificate).where(
                m.Certificate.document_sha256 == sha, m.Certificate.index_in_document == index)).one()
        for pos, pol in enumerate(ex.get("policies") or []):
            if not isinstance(pol, dict):
                continue
            session.add(m.Policy(
                certificate_id=cert.id or 0, position=pos, coverage=str(pol.get("coverage") or "other")[:32],
                coverage_name=pol.get("coverage_name"), carrier=pol.get("carrier"),
                naic=(str(pol["naic"])[:5] if pol.get("naic") else None),
                policy_number=pol.get("policy_number"),
                effective_date=_date(pol.get("effective_date")),
                expiration_date=_date(pol.get("expiration_date")), limits=pol.get("limits"),
            ))
        session.flush()
        return cert

    def _set_version(self, session: Session, client_id: str, name: str) -> m.RequirementSetVersion | None:
        return session.exec(select(m.RequirementSetVersion).where(
            m.RequirementSetVersion.client_id == client_id, m.RequirementSetVersion.name == name,
            col(m.RequirementSetVersion.is_latest), col(m.RequirementSetVersion.active))).first()

    def _reply(self, session: Session, inbound_id: int, inbound: Inbound, template: str,
               context: dict[str, Any], cc: Sequence[str] = (), kind: str = "reply") -> bool:
        if inbound.sender is None:
            return False
        refs = [*inbound.references, *([inbound.message_id] if inbound.message_id else [])]
        subject = subject_line(inbound)
        text = render(f"email/{template}.txt.j2", **context)
        html_name = f"email/{template}.html.j2"
        html = render(html_name, **context) if _template_exists(html_name) else None
        row = enqueue_email(session, f"email:{kind}:{inbound_id}", [inbound.sender], subject, text,
                            cc=[c for c in cc if c and c != inbound.sender], html=html,
                            in_reply_to=inbound.message_id, references=refs)
        return row is not None

    def _no_certificate(self, session: Session, inbound_id: int, inbound: Inbound) -> Outcome:
        replied = self._reply(session, inbound_id, inbound, "no_certificate",
                              {"subject": inbound.subject, "address": self._address()})
        log.info("inbound=%s message_id=%s had no certificate; replied", inbound_id, inbound.message_id)
        return Outcome(inbound_id, InboundStatus.PROCESSED, replied=replied)

    def _unknown_sender(
        self, session: Session, inbound_id: int, inbound: Inbound, reads: list[ReadResult]
    ) -> Outcome:
        insured = next((c.get("insured", {}).get("name") for r in reads for c in r.certificates
                        if isinstance(c.get("insured"), dict)), None)
        replied = self._reply(session, inbound_id, inbound, "unknown_sender",
                              {"files": [r.attachment.filename for r in reads], "insured_name": insured},
                              kind="unknown_sender")
        staff = self.settings.outbound.staff_emails
        if staff:
            enqueue_email(session, f"email:staff_unknown_sender:{inbound_id}", staff,
                          f"Certificate from an unknown sender: {inbound.sender}",
                          render("email/staff_unknown_sender.txt.j2", sender=inbound.sender,
                                 sender_name=inbound.sender_name or "", subject=inbound.subject,
                                 files=[r.attachment.filename for r in reads], insured_name=insured,
                                 inbound_id=inbound_id))
        log.info("inbound=%s message_id=%s unknown sender %s: asked who they are, staff notified",
                 inbound_id, inbound.message_id, inbound.sender)
        return Outcome(inbound_id, InboundStatus.AWAITING_SENDER, replied=replied)

    def record_checked(self, session: Session, inbound_id: int, inbound: Inbound, provider: m.Provider,
                 reads: list[ReadResult]) -> Outcome:
        today = self.today()
        outcome = Outcome(inbound_id, InboundStatus.PROCESSED, provider=provider.key)
        certificates: list[dict[str, Any]] = []
        unread: list[dict[str, str]] = []
        cc: list[str] = []
        holder_needed: dict[str, str] = {}
        for r in reads:
            if r.error is not None:
                unread.append({"file": r.attachment.filename, "reason": r.error})
                continue
            for index, ex in enumerate(r.certificates):
                cert = self._certificate(session, r.sha256, index, ex)
                holder = (ex.get("certificate_holder") or {}).get("name")
                route = route_clients(session, self.settings, provider, inbound.recipients, [holder])
                broker = broker_email(session, provider.id, ex)
                if broker and broker not in cc:
                    cc.append(broker)
                clients: list[dict[str, Any]] = []
                entry = {"file": r.attachment.filename, "insured": (ex.get("insured") or {}).get("name"),
                         "holder": holder, "clients": clients, "warnings": ex.get("warnings") or []}
                for client_id in route.client_ids:
                    client_cfg = self.settings.client(client_id)
                    if client_cfg is None:
                        continue
                    sets = []
                    for report in check_all_sets(ex, client_cfg, today, provider.name,
                                                 providers=self.settings.provider_pairs()):
                        version = self._set_version(session, client_id, str(report["requirement_set"]))
                        if version is None or version.id is None or cert.id is None:
                            log.error("client %s set %s is not synced; run coibot db upgrade",
                                      client_id, report["requirement_set"])
                            continue
                        future = version.effective_from > today
                        sub = workflow.record_submission(
                            session, certificate_id=cert.id, client_id=client_id, provider_id=provider.id,
                            requirement_set_id=version.id, report=report, source=inbound.source,
                            inbound_id=inbound_id, actor=ACTOR)
                        outcome.submissions.append(sub.id or 0)
                        if any(g.get("code") == "certificate_holder_mismatch" for g in report["gaps"]):
                            holder_needed[client_id] = client_cfg.name
                        sets.append({"name": report["requirement_set"], "future": future,
                                     "effective_from": version.effective_from, "status": report["status"],
                                     "gaps": report["gaps"], "waived": report.get("waived") or [],
                                     "submission_id": sub.id})
                        log.info("inbound=%s message_id=%s provider=%s client=%s set=%s status=%s gaps=%d",
                                 inbound_id, inbound.message_id, provider.key, client_id,
                                 report["requirement_set"], report["status"], len(report["gaps"]))
                    clients.append({"id": client_id, "name": client_cfg.name, "sets": sets})
                    if client_id not in outcome.clients:
                        outcome.clients.append(client_id)
                certificates.append(entry)
        if not any(c["clients"] for c in certificates) and certificates:
            log.warning("inbound=%s provider=%s: no client to check against", inbound_id, provider.key)
        context = {"provider_name": provider.name, "certificates": certificates, "unread": unread,
                   "holder_needed": sorted(holder_needed.values()),
                   "any_draft": any(s["status"] != "compliant" and not s["future"]
                                    for c in certificates for cl in c["clients"] for s in cl["sets"]),
                   "address": self._address()}
        outcome.replied = self._reply(session, inbound_id, inbound, "reply", context, cc)
        return outcome

    # -- the SEND flow

    def _send_command(self, inbound: Inbound) -> list[str] | None:
        """The Message-IDs this mail answers when it says SEND (and carries no new certificate)."""
        if inbound.attachments:
            return None
        first = next((ln.strip() for ln in inbound.text.splitlines() if ln.strip()), "")
        if not re.fullmatch(r"(?i)send[.!]?", first):
            return None
        return list(inbound.references)

    def _send_flow(self, inbound_id: int, inbound: Inbound, refs: list[str]) -> Outcome:
        with session_scope(self.engine) as session:
            if not self.claim(session, inbound_id, InboundStatus.PROCESSED):
                session.rollback()
                return Outcome(inbound_id, InboundStatus.PROCESSED, skipped=True)
            provider = provider_for_sender(session, inbound.sender)
            originals = self._answered_inbound_ids(session, refs)
            subs = session.exec(select(m.Submission).where(
                col(m.Submission.inbound_id).in_(originals or [-1]),
                m.Submission.status == m.SubmissionStatus.DRAFT)).all() if provider else []
            sent: list[dict[str, Any]] = []
            outcome = Outcome(inbound_id, InboundStatus.PROCESSED,
                              provider=provider.key if provider else None)
            for sub in subs:
                if provider is None or sub.provider_id != provider.id or sub.id is None:
                    continue
                version = session.get(m.RequirementSetVersion, sub.requirement_set_id)
                if version is not None and version.effective_from > self.today():
                    continue  # a future set's verdict is advice; only the current one is submitted
                workflow.submit_for_approval(session, sub.id, f"provider:{inbound.sender}")
                client = session.get(m.Client, sub.client_id)
                sent.append({"client": client.name if client else sub.client_id, "gaps": sub.gaps or []})
                outcome.submissions.append(sub.id)
                if sub.client_id not in outcome.clients:
                    outcome.clients.append(sub.client_id)
            outcome.replied = self._reply(session, inbound_id, inbound, "send_confirmation",
                                          {"sent": sent, "address": self._address()})
            log.info("inbound=%s message_id=%s SEND: %d draft(s) submitted", inbound_id,
                     inbound.message_id, len(sent))
            return outcome

    def _answered_inbound_ids(self, session: Session, refs: list[str]) -> list[int]:
        """Inbound ids whose reply (email:reply:<id>) carries one of these Message-IDs."""
        ids: list[int] = []
        rows = session.exec(select(m.Outbox).where(col(m.Outbox.message_id).in_(refs or ["-"]))).all()
        for row in rows:
            key = row.idempotency_key
            if key.startswith("email:reply:") and key.rsplit(":", 1)[-1].isdigit():
                ids.append(int(key.rsplit(":", 1)[-1]))
        return ids

    def _address(self) -> str:
        accepted = self.settings.inbound.smtp.accept_recipients
        return accepted[0] if accepted else self.settings.outbound.from_address


def reply_message_id(inbound_id: int) -> str:
    """The Message-ID of the reply to one inbound message (stable, from the outbox key)."""
    return message_id_for(f"email:reply:{inbound_id}")


def _template_exists(name: str) -> bool:
    from coibot.render import templates_dir

    return (templates_dir() / name).is_file()


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def content_sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()

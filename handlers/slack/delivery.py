"""The Slack side of the outbox: approval requests posted with the PDF, decisions updating them.

The outbox sender calls `SlackDeliverer` once per `channel == "slack"` row; an exception means
"try again later". Every post is claimed per (key, channel) in slack_post *before*
chat.postMessage and released only when Slack certainly did not post it, so a failure between the
post and its bookkeeping (or a lost answer) is never posted again. Approval requests and
needs-review posts are claimed per submission (`submission_post_key`) and also recorded in
slack_message, which decisions update by; an escalation belongs to no submission and is claimed
per outbox key.

Slack's answer (ts and channel id) goes into the claim first, in a transaction of its own; the
slack_message rows are written after it. When writing them fails, the outbox row fails and its
retry writes them from the claim (and uploads the PDF then), instead of skipping the channel as
posted and leaving a message no decision can find.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import URLError

from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, select

from coibot import models as m
from coibot.db import session_scope
from coibot.errors import CoibotError
from coibot.queries import submission_line
from handlers.outbox_sender import PermanentDeliveryError
from handlers.slack import blocks as bk
from handlers.slack.deps import Deps

log = logging.getLogger(__name__)

APPROVAL = "approval_request"
DECISION = "decision_update"
NEEDS_REVIEW = "needs_review"  # coibot.review
ESCALATION = "reminder_escalation"  # coibot.reminders
# chat.update errors that no retry can fix.
GONE = frozenset({"message_not_found", "channel_not_found", "is_archived", "cant_update_message"})


class SlackDeliveryError(CoibotError):
    """Slack could not be reached or refused a call; the outbox tries again later."""


class SlackBookkeepingError(SlackDeliveryError):
    """A post went out but its slack_message rows could not be saved; the retry saves them from the claim."""


@dataclass(frozen=True)
class Posted:
    """A post Slack has: the channel id it answered with and the message ts."""

    channel: str
    ts: str
    # From an earlier attempt's claim: that attempt posted but did not finish its bookkeeping.
    recovered: bool = False


def _idempotency_key(row: m.Outbox | dict[str, Any], payload: dict[str, Any]) -> str:
    """The key a post is made once for: the outbox row's (or a bare payload's `idempotency_key`)."""
    key = row.idempotency_key if isinstance(row, m.Outbox) else payload.get("idempotency_key")
    if not isinstance(key, str) or not key:
        raise PermanentDeliveryError(f"slack {payload.get('kind')} without an idempotency key: {payload!r}")
    return key


def submission_post_key(kind: str, submission_id: int) -> str:
    """The key a submission's post of `kind` is claimed under: once per submission and channel.

    It is the outbox key coibot.workflow and coibot.review enqueue the post under, but derived from
    the submission so a post delivered from any row (or called directly) is claimed the same way.
    """
    return f"slack:{kind}:{submission_id}"


def _not_posted(exc: Exception) -> bool:
    """Whether a failed chat.postMessage certainly posted nothing.

    Slack answered with an error, or urllib could not send the request (it raises URLError only
    while connecting and sending). A timeout or reset while awaiting the answer leaves it unknown.
    """
    return isinstance(exc, SlackApiError | URLError)


def approval_view(session: Session, submission_id: int, deps: Deps) -> bk.ApprovalView | None:
    """What the approval message shows, read fresh from the database."""
    line = submission_line(session, submission_id, deps.today())
    sub = session.get(m.Submission, submission_id)
    if line is None or sub is None:
        return None
    client = session.get(m.Client, sub.client_id)
    provider = session.get(m.Provider, sub.provider_id) if sub.provider_id is not None else None
    version = session.get(m.RequirementSetVersion, sub.requirement_set_id)
    return bk.ApprovalView(line, client.name if client else sub.client_id,
                           provider.name if provider else (line.insured_name or "unknown provider"),
                           dict(version.spec or {}) if version else {})


class SlackDeliverer:
    """Delivers Slack outbox payloads ({"kind": ..., "submission_id": N})."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def __call__(self, row: m.Outbox | dict[str, Any]) -> None:
        payload = row.payload if isinstance(row, m.Outbox) else row
        kind = payload.get("kind")
        sid = payload.get("submission_id")
        try:
            if kind == ESCALATION:
                self.post_escalation(payload, _idempotency_key(row, payload))
                return
            if not isinstance(sid, int):
                raise PermanentDeliveryError(f"slack {kind} payload without a submission id: {payload!r}")
            if kind == APPROVAL:
                self.post_approval(sid)
            elif kind == DECISION:
                self.update_messages(sid)
            elif kind == NEEDS_REVIEW:
                self.post_needs_review(sid, payload)
            else:
                # Failed at once and visibly, rather than marked sent and lost.
                raise PermanentDeliveryError(f"slack outbox kind {kind!r} is not known to the Slack app")
        except SlackApiError as exc:
            error = exc.response.get("error")
            raise SlackDeliveryError(f"slack {kind} for submission {sid}: {error}") from exc
        except OSError as exc:
            raise SlackDeliveryError(f"slack {kind} for submission {sid}: {exc}") from exc

    # -- approval requests

    def targets(self, session: Session, client_id: str) -> list[str]:
        """The client's channel, else a DM with each approver, else the staff channel."""
        client = session.get(m.Client, client_id)
        if client is not None and client.slack_channel:
            return [client.slack_channel]
        approvers = list(((client.approvers if client else None) or {}).get("slack_users") or [])
        if approvers:
            return [self._dm(u) for u in approvers]
        staff = self.deps.settings.slack.staff_channel
        return [staff] if staff else []

    def _dm(self, slack_user: str) -> str:
        resp = self.deps.client.conversations_open(users=slack_user)
        channel = resp.get("channel") or {}
        return str(channel.get("id"))

    def post_approval(self, submission_id: int) -> list[tuple[str, str]]:
        """Post the approval request (and its PDF in the thread) wherever it is not posted yet."""
        with Session(self.deps.engine) as session:
            view = approval_view(session, submission_id, self.deps)
            sub = session.get(m.Submission, submission_id)
            if view is None or sub is None:
                log.error("approval request for unknown submission %s; skipped", submission_id)
                return []
            targets = self.targets(session, sub.client_id)
            done = set(session.exec(select(m.SlackMessage.channel).where(
                m.SlackMessage.submission_id == submission_id, m.SlackMessage.kind == APPROVAL)).all())
            document = self._document(session, sub.certificate_id)
        if not targets:
            log.warning("submission %s: client %s has no Slack channel, approver or staff channel; "
                        "approval request not posted", submission_id, sub.client_id)
            return []
        text, blocks = bk.approval_blocks(view)
        key = submission_post_key(APPROVAL, submission_id)
        posted: list[tuple[str, str]] = []
        for channel in targets:
            if channel in done:  # posted before slack_post claims existed: slack_message alone says so
                continue
            post = self._post_once(key, channel, text, blocks, recover=True)
            if post is None:
                continue
            # Keyed by the target we looked up, so a retry recognises it, and by the id Slack
            # answered (a #name target), which decisions update it by; ts names the message.
            self._remember(submission_id, APPROVAL, {channel: post.ts, post.channel: post.ts})
            posted.append((post.channel, post.ts))
            log.info("submission %s: approval request %s %s ts=%s", submission_id,
                     "recorded from its claim for" if post.recovered else "posted to", post.channel, post.ts)
            if document is not None:
                self._upload(submission_id, post.channel, post.ts, *document)
        return posted

    def _remember(self, submission_id: int, kind: str, rows: dict[str, str]) -> None:
        """Save the slack_message rows (channel -> ts) of one post that are not saved yet.

        Raises SlackBookkeepingError when they cannot be saved: the outbox row then fails, and its
        retry saves them from the post's claim rather than leaving the message unknown.
        """
        try:
            with session_scope(self.deps.engine) as session:
                have = self._recorded(session, submission_id, kind, rows)
                for channel, ts in rows.items():
                    if channel not in have:
                        session.add(m.SlackMessage(submission_id=submission_id, kind=kind, channel=channel,
                                                   ts=ts))
            return
        except IntegrityError as exc:
            # A concurrent delivery of the same post may have saved them first; only that is fine
            # (a trigger or another constraint raises this too, and must not pass for "recorded").
            try:
                with Session(self.deps.engine) as session:
                    missing = set(rows) - self._recorded(session, submission_id, kind, rows)
            except SQLAlchemyError:
                missing = set(rows)
            if not missing:
                log.warning("submission %s: %s message in %s was already recorded", submission_id, kind,
                            sorted(rows))
                return
            error: SQLAlchemyError = exc
        except SQLAlchemyError as exc:
            error = exc
        raise SlackBookkeepingError(
            f"submission {submission_id}: {kind} posted (ts {next(iter(rows.values()))}) but its "
            f"slack_message rows were not saved; the retry saves them from the claim: {error}") from error

    @staticmethod
    def _recorded(session: Session, submission_id: int, kind: str, rows: dict[str, str]) -> set[str]:
        """Which of these channels already have this submission's `kind` message recorded."""
        return set(session.exec(select(m.SlackMessage.channel).where(
            m.SlackMessage.submission_id == submission_id, m.SlackMessage.kind == kind,
            col(m.SlackMessage.channel).in_(list(rows)))).all())

    def _document(self, session: Session, certificate_id: int) -> tuple[Path, str] | None:
        cert = session.get(m.Certificate, certificate_id)
        doc = session.get(m.Document, cert.document_sha256) if cert else None
        if doc is None:
            return None
        return Path(doc.stored_path), doc.filename or f"certificate-{certificate_id}.pdf"

    def _upload(self, submission_id: int, channel: str, ts: str, path: Path, filename: str) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            log.error("submission %s: stored document %s unreadable: %s", submission_id, path, exc)
            return
        try:
            # files.getUploadURLExternal + upload + files.completeUploadExternal, into the thread.
            self.deps.client.files_upload_v2(channel=channel, thread_ts=ts, content=data, filename=filename,
                                             title=filename)
        except SlackApiError as exc:
            # The message is posted and recorded; a retry must not post it again for the file.
            log.error("submission %s: could not upload %s to %s: %s", submission_id, filename, channel,
                      exc.response.get("error"))

    # -- staff: needs review, escalations

    def _staff_targets(self, channel: str | None, users: list[str]) -> list[str]:
        if channel:
            return [channel]
        return [self._dm(u) for u in users]

    def post_needs_review(self, submission_id: int, payload: dict[str, Any]) -> None:
        """Tell staff what the reader was unsure of, with the document in the thread; once per channel."""
        slack = self.deps.settings.slack
        targets = self._staff_targets(payload.get("staff_channel") or slack.staff_channel,
                                      list(payload.get("staff_users") or slack.staff_users))
        if not targets:
            log.warning("submission %s needs review but no staff channel or staff user is configured",
                        submission_id)
            return
        with Session(self.deps.engine) as session:
            view = approval_view(session, submission_id, self.deps)
            sub = session.get(m.Submission, submission_id)
            done = set(session.exec(select(m.SlackMessage.channel).where(
                m.SlackMessage.submission_id == submission_id, m.SlackMessage.kind == NEEDS_REVIEW)).all())
            document = self._document(session, sub.certificate_id) if sub is not None else None
        if view is None:
            log.error("needs-review post for unknown submission %s; skipped", submission_id)
            return
        text, blocks = bk.needs_review_blocks(view, [str(c) for c in payload.get("checks") or []])
        key = submission_post_key(NEEDS_REVIEW, submission_id)
        for channel in targets:
            if channel in done:  # posted before slack_post claims existed: slack_message alone says so
                continue
            post = self._post_once(key, channel, text, blocks, recover=True)
            if post is None:
                continue
            if post.recovered:
                log.info("submission %s: needs-review post to %s recorded from its claim", submission_id,
                         channel)
            self._remember(submission_id, NEEDS_REVIEW, {channel: post.ts})
            if document is not None:
                self._upload(submission_id, post.channel, post.ts, *document)

    def post_escalation(self, payload: dict[str, Any], key: str) -> None:
        """A reminder nobody answered: to the client's channel (or its approvers) and the staff channel.

        `key` is the outbox row's idempotency key: each channel gets the escalation at most once per key.
        """
        targets = self._staff_targets(payload.get("channel"), list(payload.get("approvers") or []))
        staff = payload.get("staff_channel") or self.deps.settings.slack.staff_channel
        if staff and staff not in targets:
            targets.append(staff)
        text = str(payload.get("text") or "A renewal request got no answer.")
        if not targets:
            log.warning("escalation has no Slack channel, approver or staff channel: %s", text)
            return
        blocks = [bk.section(f":rotating_light: *Escalation*: {bk.esc(text)}")]
        for channel in targets:
            self._post_once(key, channel, text, blocks)

    def _post_once(self, key: str, channel: str, text: str, blocks: list[bk.Block], *,
                   recover: bool = False) -> Posted | None:
        """Post unless this key was already posted (or may have been) to this channel.

        What Slack answered; None when an earlier attempt claimed the post. With `recover`, an
        earlier attempt's post whose answer its claim recorded is returned (`recovered`), so the
        caller redoes the bookkeeping that attempt failed to finish. A claim without an answer (it
        was lost, or recording it failed) gives None: a post that may lack a record beats a post
        made twice.
        """
        if not self._claim_post(key, channel):
            earlier = self._claimed_answer(key, channel) if recover else None
            if earlier is not None:
                return earlier
            log.info("%s: already posted to %s by an earlier attempt; not posting again", key, channel)
            return None
        try:
            resp: SlackResponse = self.deps.client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        except Exception as exc:
            if _not_posted(exc):
                self._release_post(key, channel)  # the retry must post it
            else:
                log.warning("%s: no answer from Slack for the post to %s (%s); it may be posted, so it is "
                            "not posted again", key, channel, exc)
            raise
        post = Posted(str(resp.get("channel") or channel), str(resp["ts"]))
        self._record_post(key, channel, post)
        log.info("%s: posted to %s ts=%s", key, channel, post.ts)
        return post

    def _claimed_answer(self, key: str, channel: str) -> Posted | None:
        """What Slack answered to an earlier attempt's post, when its claim recorded that."""
        with Session(self.deps.engine) as session:
            claim = session.exec(select(m.SlackPost).where(
                m.SlackPost.idempotency_key == key, m.SlackPost.channel == channel)).first()
        if claim is None or not claim.ts:
            if claim is not None:
                log.warning("%s: the post to %s may be in Slack but its ts was never recorded; it cannot "
                            "be updated by decisions", key, channel)
            return None
        return Posted(claim.posted_channel or channel, claim.ts, recovered=True)

    def _claim_post(self, key: str, channel: str) -> bool:
        """Claim (key, channel) in its own transaction; False when an earlier attempt claimed it."""
        try:
            with session_scope(self.deps.engine) as session:
                session.add(m.SlackPost(idempotency_key=key, channel=channel))
        except IntegrityError:
            return False
        return True

    def _release_post(self, key: str, channel: str) -> None:
        with session_scope(self.deps.engine) as session:
            session.exec(delete(m.SlackPost).where(
                col(m.SlackPost.idempotency_key) == key, col(m.SlackPost.channel) == channel))

    def _record_post(self, key: str, channel: str, post: Posted) -> None:
        # The claim alone keeps a retry from posting again; Slack's answer lets a retry finish the
        # bookkeeping (slack_message) that failed after it. A transaction of its own, one small
        # UPDATE, so it does not fail with that bookkeeping.
        with session_scope(self.deps.engine) as session:
            session.exec(update(m.SlackPost).where(
                col(m.SlackPost.idempotency_key) == key, col(m.SlackPost.channel) == channel)
                .values(ts=post.ts, posted_channel=post.channel))

    # -- decisions

    def update_messages(self, submission_id: int, also: tuple[str, str] | None = None) -> int:
        """Rewrite every posted approval message from the database state (decided → no buttons)."""
        with Session(self.deps.engine) as session:
            view = approval_view(session, submission_id, self.deps)
            rows = session.exec(select(m.SlackMessage).where(
                m.SlackMessage.submission_id == submission_id, m.SlackMessage.kind == APPROVAL
            ).order_by(col(m.SlackMessage.id))).all()
            # A channel configured by name is stored twice (name and id, same ts); update by id.
            by_ts: dict[str, str] = {}
            for r in rows:
                if r.ts not in by_ts or by_ts[r.ts].startswith("#"):
                    by_ts[r.ts] = r.channel
            targets = {(channel, ts) for ts, channel in by_ts.items()}
        if view is None:
            return 0
        if also is not None:
            targets.add(also)
        text, blocks = bk.approval_blocks(view)
        for channel, ts in sorted(targets):
            try:
                self.deps.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
            except SlackApiError as exc:
                error = exc.response.get("error")
                if error not in GONE:
                    raise
                # Deleted by someone, or the channel archived: nothing left to update; not worth retrying.
                log.warning("submission %s: approval message %s/%s not updated: %s", submission_id, channel,
                            ts, error)
        if targets:
            with session_scope(self.deps.engine) as session:
                for row in session.exec(select(m.SlackMessage).where(
                        m.SlackMessage.submission_id == submission_id)).all():
                    row.updated_at = m.utcnow()
                    session.add(row)
        log.info("submission %s: %d approval message(s) updated (%s)", submission_id, len(targets),
                 view.line.status.value)
        return len(targets)

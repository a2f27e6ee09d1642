"""Approve / Reject buttons, the rejection modal and Send for approval.

Every listener acks first. A button carries only the submission id; who may decide and what
state the submission is in are read from the database at click time, and the workflow's
conditional update lets exactly one of many simultaneous clicks decide.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from sqlmodel import Session

from coibot import models as m
from coibot import workflow
from coibot.db import session_scope
from coibot.queries import is_approver, provider_for_slack_user
from handlers.slack import blocks as bk
from handlers.slack.delivery import SlackDeliverer
from handlers.slack.deps import Deps
from handlers.slack.files import answer_for_inbound

log = logging.getLogger(__name__)

NOT_ALLOWED = "You are not allowed to decide on this certificate: only {client}'s approvers can."


def _submission_id(body: dict[str, Any]) -> int | None:
    actions = body.get("actions") or [{}]
    value = str(actions[0].get("value") or "")
    return int(value) if value.isdigit() else None


def _where(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The channel and ts of the message whose button was clicked."""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return channel, ts


def _conflict_text(deps: Deps, sid: int, wanted: m.SubmissionStatus) -> str:
    """Who decided first (read fresh: the losing transaction's objects are gone with its rollback)."""
    with Session(deps.engine) as session:
        sub = session.get(m.Submission, sid)
    if sub is None:
        return f"There is no certificate #{sid}."
    current = m.SubmissionStatus(sub.status)
    if sub.decided_by and current in (m.SubmissionStatus.APPROVED, m.SubmissionStatus.REJECTED):
        return (f"Already {current.value} by {bk.user(sub.decided_by)} on {bk.day(sub.decided_at)}"
                + (f": {sub.reason}" if sub.reason else "."))
    return f"This certificate is {current.value}; it can no longer be {wanted.value}."


def register(app: App, deps: Deps) -> None:
    deliverer = SlackDeliverer(deps)

    def authorised(slack_user: str, sid: int, channel: str | None,
                   body: dict[str, Any] | None = None) -> m.Submission | None:
        """The submission if this user may decide it; otherwise tells them and returns None."""
        team = ((body or {}).get("user") or {}).get("team_id")
        if team and deps.team_id and team != deps.team_id:
            # Approver ids are ids of our workspace; the same id from a Slack Connect guest is not them.
            log.warning("slack user %s of workspace %s tried to decide submission %s", slack_user, team, sid)
            deps.ephemeral(channel, slack_user, "You are not allowed to decide on this certificate.")
            return None
        with Session(deps.engine) as session:
            sub = session.get(m.Submission, sid)
            if sub is None:
                deps.ephemeral(channel, slack_user, f"There is no certificate #{sid}.")
                return None
            if not is_approver(session, sub.client_id, slack_user):
                client = session.get(m.Client, sub.client_id)
                log.warning("slack user %s tried to decide submission %s of %s: not an approver",
                            slack_user, sid, sub.client_id)
                deps.ephemeral(channel, slack_user,
                               NOT_ALLOWED.format(client=client.name if client else sub.client_id))
                return None
            return sub

    def approve(body: dict[str, Any]) -> None:
        slack_user = body["user"]["id"]
        sid = _submission_id(body)
        channel, ts = _where(body)
        if sid is None or authorised(slack_user, sid, channel, body) is None:
            return
        try:
            with session_scope(deps.engine) as session:
                workflow.approve(session, sid, slack_user)
        except workflow.TransitionConflict:
            deps.ephemeral(channel, slack_user, _conflict_text(deps, sid, m.SubmissionStatus.APPROVED))
            return
        deliverer.update_messages(sid, also=(channel, ts) if channel and ts else None)

    def reject_button(body: dict[str, Any]) -> None:
        slack_user = body["user"]["id"]
        sid = _submission_id(body)
        channel, ts = _where(body)
        if sid is None:
            return
        sub = authorised(slack_user, sid, channel, body)
        if sub is None:
            return
        if sub.status != m.SubmissionStatus.PENDING:
            deps.ephemeral(channel, slack_user, _conflict_text(deps, sid, m.SubmissionStatus.REJECTED))
            return
        with Session(deps.engine) as session:
            provider = session.get(m.Provider, sub.provider_id) if sub.provider_id else None
        deps.client.views_open(trigger_id=body["trigger_id"],
                               view=bk.reject_modal(sid, channel, ts, provider.name if provider else "?"))

    def reject_submit(body: dict[str, Any], view: dict[str, Any]) -> None:
        reason = _reason(view)
        if not reason:
            return  # refused in the ack, in the modal itself
        slack_user = body["user"]["id"]
        sid_text, _, rest = str(view.get("private_metadata") or "").partition("|")
        channel, _, ts = rest.partition("|")
        if not sid_text.isdigit():
            log.error("reject modal without a submission id: %r", view.get("private_metadata"))
            return
        sid = int(sid_text)
        if authorised(slack_user, sid, channel or None, body) is None:
            return
        try:
            with session_scope(deps.engine) as session:
                workflow.reject(session, sid, slack_user, reason)
        except workflow.TransitionConflict:
            text = _conflict_text(deps, sid, m.SubmissionStatus.REJECTED)
            deps.ephemeral(channel or None, slack_user, text)
            return
        deliverer.update_messages(sid, also=(channel, ts) if channel and ts else None)

    def send_for_approval(body: dict[str, Any]) -> None:
        slack_user = body["user"]["id"]
        sid = _submission_id(body)
        channel, ts = _where(body)
        if sid is None:
            return
        with Session(deps.engine) as session:
            sub = session.get(m.Submission, sid)
            provider = provider_for_slack_user(session, slack_user)
            allowed = sub is not None and (deps.is_staff(slack_user) or (
                provider is not None and provider.id == sub.provider_id))
            client = session.get(m.Client, sub.client_id) if sub is not None else None
            version = (session.get(m.RequirementSetVersion, sub.requirement_set_id)
                       if sub is not None else None)
        if sub is None or not allowed:
            deps.ephemeral(channel, slack_user, "Only the provider's contacts or staff can send this "
                                                "certificate for approval.")
            return
        if version is not None and version.effective_from > deps.today():
            # As with the email SEND: a future set's verdict is advice; only the current one is submitted.
            deps.ephemeral(channel, slack_user,
                           f"This verdict is against the set that starts on {version.effective_from}; "
                           "it is advice, not sent for approval.")
            return
        try:
            with session_scope(deps.engine) as session:
                workflow.submit_for_approval(session, sid, slack_user)
        except workflow.TransitionConflict:
            deps.ephemeral(channel, slack_user, _conflict_text(deps, sid, m.SubmissionStatus.PENDING))
            return
        name = client.name if client else sub.client_id
        if channel and ts and sub.inbound_id is not None:
            # The answer in the thread loses its button: the draft is no longer a draft.
            with Session(deps.engine) as session:
                rebuilt = answer_for_inbound(session, deps, sub.inbound_id)
            if rebuilt is not None:
                deps.client.chat_update(channel=channel, ts=ts, text=rebuilt[0], blocks=rebuilt[1])
        # Replies go to the thread's parent (the shared file), not under the bot's own answer.
        thread = ((body.get("message") or {}).get("thread_ts")
                  or (body.get("container") or {}).get("thread_ts") or ts)
        if channel:
            deps.client.chat_postMessage(channel=channel, thread_ts=thread, text=(
                f"Sent to {name} for approval as it is, with its gaps clearly marked."))

    # The ack runs in the request thread and answers Slack at once; the work runs after it.
    app.action(bk.APPROVE)(ack=ack_now, lazy=[approve])
    app.action(bk.REJECT)(ack=ack_now, lazy=[reject_button])
    app.view(bk.REJECT_MODAL)(ack=ack_reason, lazy=[reject_submit])
    app.action(bk.SEND)(ack=ack_now, lazy=[send_for_approval])


def ack_now(ack: Ack) -> None:
    ack()


def _reason(view: dict[str, Any]) -> str:
    values = (view.get("state") or {}).get("values") or {}
    field = (values.get(bk.REASON_BLOCK) or {}).get(bk.REASON_INPUT) or {}
    return str(field.get("value") or "").strip()


def ack_reason(ack: Ack, view: dict[str, Any]) -> None:
    """A rejection without a reason is refused in the modal itself; nothing changes."""
    if not _reason(view):
        ack(response_action="errors", errors={bk.REASON_BLOCK: "A rejection needs a reason."})
    else:
        ack()

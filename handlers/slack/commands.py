"""Staff questions: the `/coi` slash command and @mentions share one parser and one answerer.

`/coi` answers are ephemeral (through the command's response_url, after the ack); a mention is
answered in the thread of the message that mentioned the bot.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlmodel import Session

from coibot import queries as q
from handlers.slack import blocks as bk
from handlers.slack.deps import Deps

log = logging.getLogger(__name__)

COMMAND = "/coi"
NOT_STAFF = "Only staff and client approvers can ask coibot for status."
MAX_DAYS = 3650
Answer = tuple[str, list[bk.Block]]


def may_ask(session: Session, deps: Deps, slack_user: str) -> bool:
    """Staff and client approvers may ask; providers and strangers may not see other firms' files."""
    return deps.is_staff(slack_user) or bool(q.approver_clients(session, slack_user))


def answer(session: Session, text: str, today: date) -> Answer:
    """The reply to one staff question (`status acme`, `expiring 60`, …); unknown ones get the help."""
    words = text.strip().split(None, 1)
    verb = words[0].lower() if words else "help"
    arg = words[1].strip() if len(words) > 1 else ""
    handler = _VERBS.get(verb)
    if verb == "for":
        return bk.help_blocks("No certificate in this thread waits for a provider's name.")
    if handler is None:
        return bk.help_blocks(f"I don't know `{bk.esc(verb)}`." if verb != "help" else "")
    return handler(session, arg, today)


def _provider(session: Session, arg: str, build: Callable[[q.ProviderMatch, list[q.ClientStatus]], Answer],
              today: date) -> Answer:
    if not arg:
        return bk.help_blocks("Which provider? e.g. `status Acme Plumbing`.")
    matches = q.find_providers(session, arg, limit=3)
    if not matches:
        return bk.no_provider(arg, [])
    best = matches[0]
    # Two close candidates: say which one was meant rather than guess silently.
    if len(matches) > 1 and best.score < 90 and matches[1].score >= best.score - 3:
        return bk.no_provider(arg, matches)
    return build(best, q.provider_status(session, best.key, today))


def _status(session: Session, arg: str, today: date) -> Answer:
    return _provider(session, arg, bk.status_blocks, today)


def _gaps(session: Session, arg: str, today: date) -> Answer:
    return _provider(session, arg, bk.gaps_blocks, today)


def _client(session: Session, arg: str, today: date) -> Answer:
    if not arg:
        return bk.help_blocks("Which client? e.g. `client acme`.")
    try:
        return bk.client_blocks(q.client_summary(session, arg.split()[0], today))
    except q.UnknownClient:
        return bk.help_blocks(f"There is no client `{bk.esc(arg)}`.")


def _expiring(session: Session, arg: str, today: date) -> Answer:
    days = 30
    if arg:
        if not re.fullmatch(r"\d{1,4}", arg):
            return bk.help_blocks(f"`expiring` takes a number of days, not `{bk.esc(arg)}`.")
        days = min(int(arg), MAX_DAYS)
    return bk.expiring_blocks(q.expiring(session, today, days), days)


def _pending(session: Session, arg: str, today: date) -> Answer:
    return bk.pending_blocks(q.pending(session, client_id=arg.split()[0] if arg else None))


def _help(session: Session, arg: str, today: date) -> Answer:
    return bk.help_blocks()


_VERBS: dict[str, Callable[[Session, str, date], Answer]] = {
    "status": _status, "gaps": _gaps, "client": _client, "expiring": _expiring, "pending": _pending,
    "help": _help,
}


def strip_mention(text: str) -> str:
    return re.sub(r"<@[A-Z0-9]+(\|[^>]*)?>", " ", text or "").strip()


def register(app: App, deps: Deps) -> None:
    def coi(command: dict[str, Any], respond: Respond) -> None:
        slack_user = command.get("user_id") or ""
        with Session(deps.engine) as session:
            if not may_ask(session, deps, slack_user):
                respond(text=NOT_STAFF, response_type="ephemeral")
                return
            text, blocks = answer(session, command.get("text") or "", deps.today())
        respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    # Acked empty at once; the answer goes to the response_url after the ack.
    app.command(COMMAND)(ack=ack_now, lazy=[coi])


def ack_now(ack: Ack) -> None:
    ack()


SHARE_HINT = "Share a certificate of insurance (PDF or image) here and I will check it."


def answer_mention(deps: Deps, event: dict[str, Any], *, direct: bool = False) -> None:
    """A staff question asked by @mention or DM, answered in its thread (files are handled elsewhere)."""
    slack_user = event.get("user") or ""
    channel = event.get("channel")
    thread = event.get("thread_ts") or event.get("ts")
    with Session(deps.engine) as session:
        if not may_ask(session, deps, slack_user):
            if direct:  # a provider writing to the bot: say what it can do for them
                deps.client.chat_postMessage(channel=channel or slack_user, thread_ts=thread, text=SHARE_HINT)
            else:
                deps.ephemeral(channel, slack_user, NOT_STAFF)
            return
        text, blocks = answer(session, strip_mention(event.get("text") or ""), deps.today())
    deps.client.chat_postMessage(channel=channel or slack_user, thread_ts=thread, text=text, blocks=blocks)

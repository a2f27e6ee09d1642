"""The Slack app (slack-bolt): certificates shared in Slack, approvals, staff questions, App Home.

`build_app(settings, engine)` makes the Bolt app with every listener registered; `runner` starts
it in Socket Mode or behind the HTTP endpoint; `delivery.SlackDeliverer` is the outbox's Slack
channel. Every listener acknowledges first and works after the ack; each event is claimed once
in the database (inbound_message, source "slack:event"), so Slack's retries never repeat an effect.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from coibot import models as m
from coibot.config import Settings
from coibot.db import session_scope
from coibot.errors import CoibotError
from coibot.intake import Processor, default_extractor
from coibot.storage import DocumentStore
from handlers.slack import actions, commands
from handlers.slack.deps import Deps
from handlers.slack.files import FileIntake, Shared
from handlers.slack.home import publish_home

log = logging.getLogger(__name__)

EVENT_SOURCE = "slack:event"
# Threads for the work after the acks (lazy listeners); acks themselves run in the request thread.
LISTENER_THREADS = 24


class SlackNotConfigured(CoibotError):
    """No bot token (or, in HTTP mode, no signing secret): coibot runs without Slack."""


def claim_event(engine: Engine, body: dict[str, Any]) -> bool:
    """Record an Events API delivery once; False for a retry or replay of one already claimed."""
    event = body.get("event") or {}
    event_id = str(body.get("event_id") or event.get("client_msg_id") or event.get("event_ts") or "")
    digest = hashlib.sha256(json.dumps(event, sort_keys=True, default=str).encode()).hexdigest()
    try:
        with session_scope(engine) as session:
            # Stored as processed at once: it is a receipt, never work for the mail worker.
            session.add(m.InboundMessage(
                source=EVENT_SOURCE, message_id=event_id or digest, content_sha256=digest,
                sender=f"slack:{event.get('user') or ''}", subject=str(event.get("type") or ""),
                status=m.InboundStatus.PROCESSED, processed_at=m.utcnow()))
    except IntegrityError:
        log.info("slack event %s already handled (retry or replay); ignored", event_id)
        return False
    return True


def register(app: App, deps: Deps) -> None:
    """Attach every coibot listener to a Bolt app."""
    actions.register(app, deps)
    commands.register(app, deps)
    intake = FileIntake(deps)

    def shares(event: dict[str, Any], body: dict[str, Any]) -> list[Shared]:
        thread = str(event.get("thread_ts") or event.get("ts") or "")
        return [Shared(f, str(event.get("user") or ""), str(event.get("channel") or ""), thread,
                       commands.strip_mention(str(event.get("text") or "")), str(body.get("event_id") or ""))
                for f in event.get("files") or [] if isinstance(f, dict)]

    def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        # Only direct messages: in channels the bot acts when mentioned (app_mention).
        if event.get("channel_type") != "im" or event.get("bot_id"):
            return
        if event.get("subtype") not in (None, "file_share"):
            return
        if not claim_event(deps.engine, body):
            return
        found = shares(event, body)
        for shared in found:
            intake.handle(shared)
        if not found:
            commands.answer_mention(deps, event, direct=True)

    def on_mention(event: dict[str, Any], body: dict[str, Any]) -> None:
        if not claim_event(deps.engine, body):
            return
        found = shares(event, body)
        for shared in found:
            intake.handle(shared)
        if not found and not intake.resolve(event, str(body.get("event_id") or "")):
            commands.answer_mention(deps, event)

    def on_home(event: dict[str, Any]) -> None:
        # Publishing is idempotent (the view is rebuilt from the database), so retries need no claim.
        if event.get("tab", "home") == "home" and event.get("user"):
            publish_home(deps, str(event["user"]))

    # Events are acked at once (HTTP 200) and handled after the ack.
    app.event("message")(ack=commands.ack_now, lazy=[on_message])
    app.event("app_mention")(ack=commands.ack_now, lazy=[on_mention])
    app.event("app_home_opened")(ack=commands.ack_now, lazy=[on_home])


def build_app(
    settings: Settings,
    engine: Engine,
    *,
    processor: Processor | None = None,
    today: Callable[[], date] = date.today,
    socket_mode: bool | None = None,
) -> tuple[App, Deps]:
    """The Bolt app for this configuration; raises SlackNotConfigured without the credentials."""
    slack = settings.slack
    token = slack.bot_token()
    if not token:
        raise SlackNotConfigured(f"no Slack bot token in ${slack.bot_token_env}")
    use_socket = bool(slack.app_token()) if socket_mode is None else socket_mode
    secret = slack.signing_secret() or ""
    if not use_socket and not secret:
        raise SlackNotConfigured(f"the HTTP endpoint needs a signing secret in ${slack.signing_secret_env}")
    client = WebClient(token=token, base_url=slack.api_base_url)
    # Twenty ephemerals at once can meet Slack's rate limit: wait as told (Retry-After) and retry.
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    app = App(client=client, signing_secret=secret, request_verification_enabled=not use_socket,
              process_before_response=True, listener_executor=ThreadPoolExecutor(LISTENER_THREADS),
              name="coibot")
    if processor is None:
        processor = Processor(engine, settings, DocumentStore(settings.documents_dir), default_extractor(),
                              today=today)
    auth = client.auth_test()
    deps = Deps(engine=engine, settings=settings, client=client, today=today, processor=processor,
                bot_user_id=str(auth.get("user_id") or "") or None,
                team_id=str(auth.get("team_id") or "") or None)
    register(app, deps)
    log.info("slack app ready (%s mode, bot user %s, api %s)", "socket" if use_socket else "http",
             deps.bot_user_id, slack.api_base_url)
    return app, deps

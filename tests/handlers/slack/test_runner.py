"""Starting Slack for `coibot serve`, the outbox sender's Slack channel, and the workspace check."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from slack_bolt import BoltRequest
from sqlalchemy import event, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from coibot import models as m
from coibot import workflow
from coibot.db import make_engine, session_scope
from coibot.migrate import upgrade
from coibot.models import SubmissionStatus as S
from coibot.outbox import enqueue_slack
from coibot.storage import DocumentStore
from coibot.sync import sync_config
from handlers.outbox_sender import OutboxSender, PermanentDeliveryError
from handlers.slack import SlackNotConfigured, build_app
from handlers.slack.delivery import SlackDeliverer
from handlers.slack.runner import start_slack
from tests.support.fake_slack import APP_TOKEN, FakeSlack
from tests.support.slack_site import (
    APPROVERS,
    CHANNEL,
    TODAY,
    Site,
    action_body,
    record_pending,
    signed_headers,
    slack_settings,
)


def test_without_a_token_serve_runs_without_slack_and_says_so_once(
    sqlite_engine: Engine, tmp_path: Path, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("COIBOT_TEST_SLACK_BOT", raising=False)
    settings = slack_settings(tmp_path, fake_slack.api_url)
    with caplog.at_level(logging.INFO):
        assert start_slack(settings, sqlite_engine) is None
    said = [r.getMessage() for r in caplog.records if "Slack is not configured" in r.getMessage()]
    assert said == ["Slack is not configured (no Slack bot token in $COIBOT_TEST_SLACK_BOT); "
                    "running without Slack"]
    assert fake_slack.calls() == []


def test_http_mode_needs_a_signing_secret(sqlite_engine: Engine, tmp_path: Path, fake_slack: FakeSlack,
                                          slack_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COIBOT_TEST_SLACK_SECRET")
    settings = slack_settings(tmp_path, fake_slack.api_url)
    with pytest.raises(SlackNotConfigured, match="signing secret in \\$COIBOT_TEST_SLACK_SECRET"):
        build_app(settings, sqlite_engine)


def test_an_app_token_selects_socket_mode(sqlite_engine: Engine, tmp_path: Path, fake_slack: FakeSlack,
                                          slack_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COIBOT_TEST_SLACK_APP", "xapp-test")
    monkeypatch.delenv("COIBOT_TEST_SLACK_SECRET")
    settings = slack_settings(tmp_path, fake_slack.api_url)
    app, deps = build_app(settings, sqlite_engine, today=lambda: TODAY)
    # Socket Mode requests come over the app's own websocket: no HTTP signature to verify.
    body, _ = action_body("coi_approve", "999", APPROVERS[0])
    resp = app.dispatch(BoltRequest(body=body, headers={"content-type": "application/x-www-form-urlencoded"},
                                    mode="socket_mode"))
    assert resp.status == 200
    assert deps.team_id == "T0TEST" and fake_slack.calls("auth.test")[0].params == {}
    fake_slack.wait_for("chat.postEphemeral")  # "There is no certificate #999."


def test_outbox_sender_delivers_slack_rows_once_and_retries_failures(site: Site) -> None:
    site.pending_submission()
    sender = OutboxSender(site.engine, site.settings, site.store, slack=SlackDeliverer(site.deps))
    site.fake.fail["chat.postMessage"] = "channel_not_found"
    sender.deliver_due()
    with Session(site.engine) as s:
        row = s.exec(select(m.Outbox).where(m.Outbox.channel == "slack")).one()
    assert row.status == m.OutboxStatus.PENDING and "channel_not_found" in (row.last_error or "")
    assert site.fake.calls("files.completeUploadExternal") == []
    del site.fake.fail["chat.postMessage"]
    with session_scope(site.engine) as s:
        s.exec(update(m.Outbox).where(col(m.Outbox.id) == row.id)
               .values(next_attempt_at=m.utcnow() - timedelta(seconds=1)))
    assert sender.deliver_due() == 1
    # The refused attempt and the one that went through; the PDF only after the latter.
    assert [c.params["channel"] for c in site.fake.calls("chat.postMessage")] == [CHANNEL, CHANNEL]
    assert site.fake.wait_for("files.completeUploadExternal")
    with Session(site.engine) as s:
        assert s.exec(select(m.Outbox).where(m.Outbox.channel == "slack")).one().status == m.OutboxStatus.SENT
        assert len(s.exec(select(m.SlackMessage)).all()) == 1
    assert sender.deliver_due() == 0


def test_a_guest_from_another_workspace_cannot_decide(site: Site) -> None:
    sid = site.pending_submission()
    body, ctype = action_body("coi_approve", str(sid), APPROVERS[0])
    payload = json.loads(parse_qs(body)["payload"][0])
    payload["user"]["team_id"] = "T0OTHER"  # same user id, other workspace (Slack Connect)
    site.send(urlencode({"payload": json.dumps(payload)}), ctype)
    eph = site.fake.wait_for("chat.postEphemeral")[0]
    assert "not allowed" in eph.params["text"]
    assert site.submission(sid).status == S.PENDING and site.emails() == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_coibot_serve_runs_the_slack_app(tmp_path: Path, fake_slack: FakeSlack, slack_env: None) -> None:
    """The composition root: Slack's HTTP endpoint up, approval requests delivered by the outbox loop."""
    from handlers.serve import Listening, Service

    settings = slack_settings(tmp_path, fake_slack.api_url)
    settings.slack.http_port = _free_port()
    settings.inbound.smtp.port = 0
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with session_scope(engine) as s:
        sync_config(s, settings)
    service = Service(settings, engine, today=lambda: TODAY, with_scheduler=False)
    box: dict[str, Any] = {}
    ready = threading.Event()

    def target() -> None:
        async def main() -> None:
            box["loop"], box["stop"] = asyncio.get_running_loop(), asyncio.Event()

            def on_ready(info: Listening) -> None:
                box["info"] = info
                ready.set()

            await service.run(box["stop"], ready=on_ready)

        asyncio.run(main())

    thread = threading.Thread(target=target, name="coibot-serve-test")
    thread.start()
    try:
        assert ready.wait(30) and box["info"].slack
        sid = record_pending(engine, service.store, settings)
        service.kick_sender()
        post = fake_slack.wait_for("chat.postMessage")[0]
        assert post.params["channel"] == CHANNEL
        body, ctype = action_body("coi_approve", str(sid), APPROVERS[0])
        req = urllib.request.Request(f"http://127.0.0.1:{settings.slack.http_port}/slack/events",
                                     data=body.encode(), headers=signed_headers(body, ctype), method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200
        fake_slack.wait_for("chat.update")
        with Session(engine) as s:
            assert s.get(m.Submission, sid).status == S.APPROVED  # type: ignore[union-attr]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(60)
        engine.dispose()
    assert not thread.is_alive()


def test_socket_mode_end_to_end(sqlite_engine: Engine, tmp_path: Path, fake_slack: FakeSlack,
                                slack_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """With an app token: apps.connections.open, a websocket, envelopes acked, the click decides."""
    monkeypatch.setenv("COIBOT_TEST_SLACK_APP", APP_TOKEN)
    monkeypatch.delenv("COIBOT_TEST_SLACK_SECRET")
    settings = slack_settings(tmp_path, fake_slack.api_url)
    with session_scope(sqlite_engine) as s:
        sync_config(s, settings)
    runner = start_slack(settings, sqlite_engine, today=lambda: TODAY)
    assert runner is not None and runner.socket_mode and runner.port is None
    try:
        fake_slack.wait_for("socket_connected")
        sid = record_pending(sqlite_engine, DocumentStore(tmp_path / "docs"), settings)
        body, _ = action_body("coi_approve", str(sid), APPROVERS[0])
        payload = json.loads(parse_qs(body)["payload"][0])
        fake_slack.socket_send({"envelope_id": "env-1", "type": "interactive",
                                "accepts_response_payload": True, "payload": payload})
        ack = fake_slack.wait_for("socket_ack")[0]
        assert ack.params["envelope_id"] == "env-1"
        fake_slack.wait_for("chat.update")
        with Session(sqlite_engine) as s:
            assert s.get(m.Submission, sid).status == S.APPROVED  # type: ignore[union-attr]
    finally:
        runner.stop()


def test_needs_review_and_escalations_reach_staff(site: Site) -> None:
    """The other Slack kinds in the outbox: coibot.review's needs_review, coibot.reminders' escalations."""
    site.settings.slack.staff_channel = "C0STAFF"
    sid = site.pending_submission()
    site.deliver_outbox()
    with session_scope(site.engine) as s:
        enqueue_slack(s, f"slack:needs_review:{sid}", "needs_review",
                      {"submission_id": sid, "client_id": "parkside", "checks": ["Expiration date <unclear>"],
                       "staff_channel": "C0STAFF", "staff_users": []})
        enqueue_slack(s, "slack:escalation:1", "reminder_escalation",
                      {"client_id": "parkside", "provider_id": 1, "approvers": APPROVERS, "channel": None,
                       "text": "Parkside: GL of Blue Heron expired", "staff_channel": "C0STAFF"})
    site.deliver_outbox()
    review = site.fake.wait_for("chat.postMessage", where=lambda c: "needs review" in c.params["text"])[0]
    assert review.params["channel"] == "C0STAFF"
    text = json.dumps(review.params["blocks"])
    assert "Expiration date &lt;unclear&gt;" in text and f"coibot review {sid} --set" in text
    escalations = site.fake.wait_for("chat.postMessage", 3, where=lambda c: "expired" in c.params["text"])
    # The client has a channel in this site, but the payload names none: its approvers by DM.
    expected = sorted(["C0STAFF", *(f"D{a}" for a in APPROVERS)])
    assert sorted(c.params["channel"] for c in escalations) == expected
    # Delivered again (a retry): the needs-review post is not repeated.
    SlackDeliverer(site.deps)({"kind": "needs_review", "submission_id": sid, "checks": []})
    assert len([c for c in site.fake.calls("chat.postMessage") if "needs review" in c.params["text"]]) == 1
    with pytest.raises(PermanentDeliveryError, match="not known to the Slack app"):
        SlackDeliverer(site.deps)({"kind": "something_new", "submission_id": sid})



ESCALATION_KEY = "slack:reminder:7:parkside:escalate"


def _escalation(site: Site) -> OutboxSender:
    """An escalation in the outbox for the client's channel and the staff channel, and a sender."""
    site.settings.slack.staff_channel = "C0STAFF"
    with session_scope(site.engine) as s:
        enqueue_slack(s, ESCALATION_KEY, "reminder_escalation",
                      {"client_id": "parkside", "provider_id": 1, "approvers": APPROVERS, "channel": CHANNEL,
                       "text": "Parkside: GL of Blue Heron expired", "staff_channel": "C0STAFF"})
    return OutboxSender(site.engine, site.settings, site.store, slack=SlackDeliverer(site.deps))


def _retry_now(site: Site) -> None:
    with session_scope(site.engine) as s:
        s.exec(update(m.Outbox).where(col(m.Outbox.channel) == "slack")
               .values(next_attempt_at=m.utcnow() - timedelta(seconds=1)))


def _escalation_posts(site: Site, since: int = 0) -> list[str]:
    """The channels of the escalation's chat.postMessage calls (from call `since` on), sorted."""
    calls = [c for c in site.fake.calls("chat.postMessage") if "expired" in c.params["text"]]
    return sorted(c.params["channel"] for c in calls[since:])


def _outbox_row(site: Site) -> m.Outbox:
    with Session(site.engine) as s:
        return s.exec(select(m.Outbox).where(m.Outbox.channel == "slack")).one()


def test_escalation_is_not_posted_again_when_the_answer_to_its_post_is_lost(
    any_site: Site, monkeypatch: pytest.MonkeyPatch,
) -> None:
    sender = _escalation(any_site)
    post = any_site.deps.client.chat_postMessage
    lost: list[str] = []

    def answer_lost(**kwargs: Any) -> Any:
        resp = post(**kwargs)
        if kwargs["channel"] == "C0STAFF" and not lost:
            # Slack has the message; coibot never learns it (read timeout, crash) and records nothing.
            lost.append(kwargs["channel"])
            raise TimeoutError("The read operation timed out")
        return resp

    monkeypatch.setattr(any_site.deps.client, "chat_postMessage", answer_lost)
    assert sender.deliver_due() == 0
    assert _outbox_row(any_site).status == m.OutboxStatus.PENDING
    assert _escalation_posts(any_site) == sorted([CHANNEL, "C0STAFF"])
    _retry_now(any_site)
    assert sender.deliver_due() == 1
    assert _escalation_posts(any_site) == sorted([CHANNEL, "C0STAFF"])  # exactly once each
    assert _outbox_row(any_site).status == m.OutboxStatus.SENT


def test_escalation_is_not_posted_again_after_a_failure_between_post_and_bookkeeping(
    any_site: Site, monkeypatch: pytest.MonkeyPatch,
) -> None:
    sender = _escalation(any_site)
    record = SlackDeliverer._record_post
    failures = [RuntimeError("database went away")]

    def fail_once(self: SlackDeliverer, key: str, channel: str, ts: str) -> None:
        if failures:  # the post went through; recording its ts fails, the first time only
            raise failures.pop()
        record(self, key, channel, ts)

    monkeypatch.setattr(SlackDeliverer, "_record_post", fail_once)
    assert sender.deliver_due() == 0
    assert "database went away" in (_outbox_row(any_site).last_error or "")
    assert _escalation_posts(any_site) == [CHANNEL]
    _retry_now(any_site)
    assert sender.deliver_due() == 1
    # The retry skipped the channel already posted to and posted the one the failure held back.
    assert _escalation_posts(any_site) == sorted([CHANNEL, "C0STAFF"])
    with session_scope(any_site.engine) as s:  # delivered once more, as after a lost "sent" mark
        s.exec(update(m.Outbox).values(status=m.OutboxStatus.PENDING, next_attempt_at=m.utcnow()))
    assert sender.deliver_due() == 1
    assert _escalation_posts(any_site) == sorted([CHANNEL, "C0STAFF"])


def _refuse_posts(site: Site, monkeypatch: pytest.MonkeyPatch, failure: str) -> None:
    """chat.postMessage certainly does not post: Slack answers an error, or it cannot be reached."""
    if failure == "slack_error":
        site.fake.fail["chat.postMessage"] = "ratelimited"
    else:
        def refused(**kwargs: Any) -> Any:
            raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))
        monkeypatch.setattr(site.deps.client, "chat_postMessage", refused)


@pytest.mark.parametrize("failure", ["slack_error", "unreachable"])
def test_an_escalation_slack_did_not_post_is_posted_by_the_retry(
    any_site: Site, monkeypatch: pytest.MonkeyPatch, failure: str,
) -> None:
    sender = _escalation(any_site)
    _refuse_posts(any_site, monkeypatch, failure)
    assert sender.deliver_due() == 0
    with Session(any_site.engine) as s:
        assert s.exec(select(m.SlackPost)).all() == []  # nothing posted, nothing claimed
    any_site.fake.fail.clear()
    monkeypatch.undo()
    refused_calls = len(_escalation_posts(any_site))  # the fake records the refused call too
    _retry_now(any_site)
    assert sender.deliver_due() == 1
    assert _escalation_posts(any_site, refused_calls) == sorted([CHANNEL, "C0STAFF"])
    with Session(any_site.engine) as s:
        posts = s.exec(select(m.SlackPost)).all()
    assert sorted((p.idempotency_key, p.channel) for p in posts) == [(ESCALATION_KEY, CHANNEL),
                                                                     (ESCALATION_KEY, "C0STAFF")]
    assert all(p.ts for p in posts)


# -- approval requests and needs-review posts: claimed before chat.postMessage like escalations

STAFF_CHANNEL = "C0STAFF"


def _submission_post(site: Site, kind: str) -> tuple[OutboxSender, str, str]:
    """A pending submission's `kind` post alone in the outbox, a sender, and where the post goes."""
    site.settings.slack.staff_channel = STAFF_CHANNEL
    sid = site.pending_submission()
    if kind == "needs_review":
        site.deliver_outbox()  # the approval request is out of the way: only the needs-review row is due
        with session_scope(site.engine) as s:
            enqueue_slack(s, f"slack:needs_review:{sid}", "needs_review",
                          {"submission_id": sid, "client_id": "parkside", "checks": ["Expiration date"],
                           "staff_channel": STAFF_CHANNEL, "staff_users": []})
    sender = OutboxSender(site.engine, site.settings, site.store, slack=SlackDeliverer(site.deps))
    return sender, f"slack:{kind}:{sid}", CHANNEL if kind == "approval_request" else STAFF_CHANNEL


def _posts_to(site: Site, channel: str) -> int:
    """How many chat.postMessage calls went to `channel` (the fake records refused calls too)."""
    return sum(c.params["channel"] == channel for c in site.fake.calls("chat.postMessage"))


def _row(site: Site, key: str) -> m.Outbox:
    with Session(site.engine) as s:
        return s.exec(select(m.Outbox).where(m.Outbox.idempotency_key == key)).one()


@contextlib.contextmanager
def _slack_message_save_fails_once() -> Iterator[None]:
    """The first slack_message insert fails, as a database going away right after the post would."""
    failures = [RuntimeError("database went away")]

    def fail(*_: Any) -> None:
        if failures:
            raise failures.pop()

    event.listen(m.SlackMessage, "before_insert", fail)
    try:
        yield
    finally:
        event.remove(m.SlackMessage, "before_insert", fail)


@pytest.mark.parametrize("kind", ["approval_request", "needs_review"])
def test_a_submission_post_is_not_posted_again_after_a_failure_between_post_and_its_slack_message(
    any_site: Site, kind: str,
) -> None:
    sender, key, channel = _submission_post(any_site, kind)
    before = _posts_to(any_site, channel)
    with _slack_message_save_fails_once():
        assert sender.deliver_due() == 0
    assert "database went away" in (_row(any_site, key).last_error or "")
    assert _posts_to(any_site, channel) == before + 1
    _retry_now(any_site)
    assert sender.deliver_due() == 1
    assert _posts_to(any_site, channel) == before + 1  # the retry did not post again
    assert _row(any_site, key).status == m.OutboxStatus.SENT


@contextlib.contextmanager
def _slack_message_inserts_fail(engine: Engine) -> Iterator[None]:
    """While open, the database itself refuses every slack_message insert (a trigger raises)."""
    if engine.dialect.name == "postgresql":
        install = ["CREATE FUNCTION coibot_test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'database went away'; END $$",
                   "CREATE TRIGGER coibot_test_refuse BEFORE INSERT ON slack_message "
                   "FOR EACH ROW EXECUTE FUNCTION coibot_test_refuse()"]
        remove = ["DROP TRIGGER coibot_test_refuse ON slack_message", "DROP FUNCTION coibot_test_refuse()"]
    else:  # SQLite: RAISE(ABORT) surfaces as an IntegrityError, which must not pass for "already saved"
        install = ["CREATE TRIGGER coibot_test_refuse BEFORE INSERT ON slack_message "
                   "BEGIN SELECT RAISE(ABORT, 'database went away'); END"]
        remove = ["DROP TRIGGER coibot_test_refuse"]
    with engine.begin() as conn:
        for sql in install:
            conn.execute(text(sql))
    try:
        yield
    finally:
        with engine.begin() as conn:
            for sql in remove:
                conn.execute(text(sql))


@pytest.mark.parametrize("kind", ["approval_request", "needs_review"])
def test_a_post_whose_slack_message_the_database_refused_is_recorded_from_its_claim_by_the_retry(
    any_site: Site, kind: str,
) -> None:
    sender, key, channel = _submission_post(any_site, kind)
    sid = int(key.rsplit(":", 1)[1])
    uploads = len(any_site.fake.calls("files.completeUploadExternal"))
    posts = _posts_to(any_site, channel) + 1
    with _slack_message_inserts_fail(any_site.engine):
        assert sender.deliver_due() == 0
    assert "database went away" in (_row(any_site, key).last_error or "")
    assert _posts_to(any_site, channel) == posts
    with Session(any_site.engine) as s:
        [claim] = s.exec(select(m.SlackPost).where(m.SlackPost.idempotency_key == key)).all()
        assert s.exec(select(m.SlackMessage).where(m.SlackMessage.kind == kind)).all() == []
    assert claim.ts and claim.posted_channel == channel  # Slack's answer was kept in the claim
    assert len(any_site.fake.calls("files.completeUploadExternal")) == uploads  # nothing after the failure
    _retry_now(any_site)
    assert sender.deliver_due() == 1
    assert _posts_to(any_site, channel) == posts  # not posted again ...
    with Session(any_site.engine) as s:  # ... but recorded, under the ts Slack gave the one post
        messages = s.exec(select(m.SlackMessage).where(m.SlackMessage.kind == kind)).all()
    assert [(r.submission_id, r.channel, r.ts) for r in messages] == [(sid, channel, claim.ts)]
    any_site.fake.wait_for("files.completeUploadExternal", uploads + 1)  # the PDF, once, into its thread
    assert len(any_site.fake.calls("files.completeUploadExternal")) == uploads + 1
    if kind == "approval_request":  # a decision taken elsewhere now finds the message and updates it
        with session_scope(any_site.engine) as s:
            workflow.approve(s, sid, APPROVERS[0])
        sender.deliver_due()  # the decision e-mail and the message update
        assert _row(any_site, f"slack:decision:{sid}").status == m.OutboxStatus.SENT
        [upd] = any_site.fake.calls("chat.update")
        assert (upd.params["channel"], upd.params["ts"]) == (channel, claim.ts)


@pytest.mark.parametrize("kind", ["approval_request", "needs_review"])
def test_a_submission_post_is_not_posted_again_when_the_answer_to_it_is_lost(
    any_site: Site, monkeypatch: pytest.MonkeyPatch, kind: str,
) -> None:
    sender, key, channel = _submission_post(any_site, kind)
    before = _posts_to(any_site, channel)
    post = any_site.deps.client.chat_postMessage

    def answer_lost(**kwargs: Any) -> Any:
        post(**kwargs)  # Slack has the message; coibot never hears back
        raise TimeoutError("The read operation timed out")

    monkeypatch.setattr(any_site.deps.client, "chat_postMessage", answer_lost)
    assert sender.deliver_due() == 0
    monkeypatch.undo()
    _retry_now(any_site)
    assert sender.deliver_due() == 1
    assert _posts_to(any_site, channel) == before + 1
    assert _row(any_site, key).status == m.OutboxStatus.SENT


@pytest.mark.parametrize("failure", ["slack_error", "unreachable"])
@pytest.mark.parametrize("kind", ["approval_request", "needs_review"])
def test_a_submission_post_slack_did_not_post_is_posted_by_the_retry(
    any_site: Site, monkeypatch: pytest.MonkeyPatch, kind: str, failure: str,
) -> None:
    sender, key, channel = _submission_post(any_site, kind)
    _refuse_posts(any_site, monkeypatch, failure)
    assert sender.deliver_due() == 0
    with Session(any_site.engine) as s:  # nothing posted, nothing claimed
        assert s.exec(select(m.SlackPost).where(m.SlackPost.idempotency_key == key)).all() == []
    any_site.fake.fail.clear()
    monkeypatch.undo()
    before = _posts_to(any_site, channel)  # the fake records the refused call too
    _retry_now(any_site)
    assert sender.deliver_due() == 1
    assert _posts_to(any_site, channel) == before + 1
    with Session(any_site.engine) as s:
        [claim] = s.exec(select(m.SlackPost).where(m.SlackPost.idempotency_key == key)).all()
        messages = s.exec(select(m.SlackMessage).where(m.SlackMessage.kind == kind)).all()
    assert claim.channel == channel and claim.ts
    assert [(r.channel, r.ts) for r in messages] == [(channel, claim.ts)]

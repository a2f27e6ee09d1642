"""Starting Slack for `coibot serve`, the outbox sender's Slack channel, and the workspace check."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
from slack_bolt import BoltRequest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from coibot import models as m
from coibot.db import session_scope
from coibot.models import SubmissionStatus as S
from handlers.outbox_sender import OutboxSender
from handlers.slack import SlackNotConfigured, build_app
from handlers.slack.delivery import SlackDeliverer
from handlers.slack.runner import start_slack
from tests.support.fake_slack import FakeSlack
from tests.support.slack_site import APPROVERS, CHANNEL, TODAY, Site, action_body, slack_settings


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

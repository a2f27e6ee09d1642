"""A Slack site for the tests: the demo clients with Slack ids, the fake Web API, signed requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App, BoltRequest, BoltResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from coibot import models as m
from coibot import workflow
from coibot.config import Settings, parse_config
from coibot.db import session_scope
from coibot.demo import demo_site
from coibot.intake import Processor, default_extractor
from coibot.storage import DocumentStore
from coibot.sync import sync_config
from handlers.slack import build_app
from handlers.slack.delivery import SlackDeliverer
from handlers.slack.deps import Deps
from tests.support.fake_slack import TEAM, FakeSlack

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "coibot" / "demo"
TEXT_OK = DEMO / "compliant-blue-heron.pdf"
TEXT_BAD = DEMO / "deficient-oakmont.pdf"
TODAY = date(2026, 11, 21)
SECRET = "test-signing-secret"
APPROVERS = ["UAPPROVER1", "UAPPROVER2"]
CHANNEL = "C0PARKRISK"
STAFF = "USTAFF1"
OAKMONT_USER = "UOAKMONT1"
BLUEHERON_USER = "UBLUEHERON"
STRANGER = "USTRANGER"


def slack_settings(tmp: Path, api_url: str, *, channel: str | None = CHANNEL) -> Settings:
    raw: dict[str, Any] = demo_site()
    raw["data_dir"] = str(tmp / "data")
    client = raw["clients"][0]
    client["approvers"]["slack_users"] = APPROVERS
    if channel:
        client["slack_channel"] = channel
    for prov in raw["providers"]:
        if prov["id"] == "oakmont":
            prov["contacts"][0]["slack_user"] = OAKMONT_USER
        if prov["id"] == "blue-heron":
            prov["contacts"][0]["slack_user"] = BLUEHERON_USER
    raw["slack"] = {"bot_token_env": "COIBOT_TEST_SLACK_BOT", "app_token_env": "COIBOT_TEST_SLACK_APP",
                    "signing_secret_env": "COIBOT_TEST_SLACK_SECRET", "api_base_url": api_url,
                    "http_host": "127.0.0.1", "http_port": 0, "staff_users": [STAFF]}
    return parse_config(raw, "test", tmp)


@dataclass
class Site:
    """A running Slack app against the fake Web API and a migrated, synced database."""

    app: App
    deps: Deps
    fake: FakeSlack
    engine: Engine
    settings: Settings
    store: DocumentStore

    # -- requests, signed as Slack signs them

    def send(self, body: str, content_type: str, *, secret: str = SECRET, timestamp: int | None = None,
             retry: int | None = None) -> BoltResponse:
        return self.app.dispatch(BoltRequest(body=body, headers=signed_headers(
            body, content_type, secret=secret, timestamp=timestamp, retry=retry)))

    def action(self, action_id: str, value: str, user: str, *, channel: str = CHANNEL,
               message_ts: str = "1700000000.000001", retry: int | None = None) -> BoltResponse:
        return self.send(*action_body(action_id, value, user, channel, message_ts), retry=retry)

    def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None,
              ) -> BoltResponse:
        body = json.dumps({"type": "event_callback", "team_id": TEAM, "api_app_id": "A0COIBOT",
                           "event_id": event_id or f"Ev{uuid.uuid4().hex[:10]}",
                           "event_time": int(time.time()),
                           "event": event})
        return self.send(body, "application/json", retry=retry)

    def command(self, text: str, user: str = STAFF) -> BoltResponse:
        key = uuid.uuid4().hex[:8]
        body = urlencode({"token": "x", "team_id": TEAM, "channel_id": "C0STAFF", "user_id": user,
                          "command": "/coi", "text": text, "response_url": self.fake.response_url(key),
                          "trigger_id": "trig-" + key})
        return self.send(body, "application/x-www-form-urlencoded")

    # -- the database

    def deliver_outbox(self) -> int:
        """Deliver the pending Slack outbox rows as the outbox sender would (once each)."""
        deliverer = SlackDeliverer(self.deps)
        with Session(self.engine) as s:
            rows = s.exec(select(m.Outbox).where(m.Outbox.channel == "slack",
                                                 m.Outbox.status == m.OutboxStatus.PENDING)
                          .order_by(m.Outbox.id)).all()
        for row in rows:
            deliverer(row)
            with session_scope(self.engine) as s:
                fresh = s.get(m.Outbox, row.id)
                if fresh is not None:
                    fresh.status = m.OutboxStatus.SENT
                    s.add(fresh)
        return len(rows)

    def submission(self, sid: int) -> m.Submission:
        with Session(self.engine) as s:
            return workflow.get_submission(s, sid)

    def emails(self) -> list[m.Outbox]:
        with Session(self.engine) as s:
            return list(s.exec(select(m.Outbox).where(m.Outbox.channel == "email")
                               .order_by(m.Outbox.id)).all())

    def audit(self, sid: int) -> list[m.AuditLog]:
        with Session(self.engine) as s:
            return list(s.exec(select(m.AuditLog).where(m.AuditLog.entity == "submission",
                                                        m.AuditLog.entity_id == str(sid))
                               .order_by(m.AuditLog.id)).all())

    def pending_submission(self, path: Path = TEXT_OK, provider_key: str = "blue-heron",
                           check_status: str = "compliant") -> int:
        return record_pending(self.engine, self.store, self.settings, path, provider_key, check_status)


def record_pending(engine: Engine, store: DocumentStore, settings: Settings, path: Path = TEXT_OK,
                   provider_key: str = "blue-heron", check_status: str = "compliant") -> int:
    """A real certificate, stored and read, recorded pending for parkside's current set."""
    sha, stored = store.put(path.read_bytes())
    from coibot.extract.reader import extract_document

    ex = extract_document(stored, settings.limits)[0]
    gaps = [] if check_status == "compliant" else [
        {"code": "limit_below_minimum", "coverage": "general_liability",
         "message": "General liability each occurrence is $300,000; "
                    "Parkside requires at least $500,000."}]
    with session_scope(engine) as s:
        if s.get(m.Document, sha) is None:
            s.add(m.Document(sha256=sha, size=stored.stat().st_size, content_type="application/pdf",
                             filename=path.name, stored_path=str(stored)))
            s.flush()
        n = len(s.exec(select(m.Certificate).where(m.Certificate.document_sha256 == sha)).all())
        cert = m.Certificate(document_sha256=sha, index_in_document=n, extraction=ex,
                             insured_name=(ex.get("insured") or {}).get("name"))
        s.add(cert)
        s.flush()
        assert cert.id is not None
        for i, pol in enumerate(ex.get("policies") or []):
            s.add(m.Policy(certificate_id=cert.id, position=i, coverage=pol.get("coverage") or "other",
                           carrier=pol.get("carrier"), policy_number=pol.get("policy_number"),
                           effective_date=_d(pol.get("effective_date")),
                           expiration_date=_d(pol.get("expiration_date")), limits=pol.get("limits")))
        provider = s.exec(select(m.Provider).where(m.Provider.key == provider_key)).one()
        version = s.exec(select(m.RequirementSetVersion).where(
            m.RequirementSetVersion.client_id == "parkside",
            m.RequirementSetVersion.name == "current")).one()
        assert version.id is not None
        sub = workflow.record_submission(
            s, certificate_id=cert.id, client_id="parkside", provider_id=provider.id,
            requirement_set_id=version.id, source="test",
            report={"status": check_status, "gaps": gaps, "requirement_set": "current"})
        assert sub.id is not None
        if sub.status == m.SubmissionStatus.DRAFT:
            workflow.submit_for_approval(s, sub.id, "test")
        return sub.id


def _d(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


def signed_headers(body: str, content_type: str, *, secret: str = SECRET, timestamp: int | None = None,
                   retry: int | None = None) -> dict[str, str]:
    """Headers as Slack sends them: v0 HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret."""
    ts = str(timestamp if timestamp is not None else int(time.time()))
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    headers = {"content-type": content_type, "x-slack-request-timestamp": ts, "x-slack-signature": sig}
    if retry is not None:
        headers |= {"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"}
    return headers


def action_body(action_id: str, value: str, user: str, channel: str = CHANNEL,
                message_ts: str = "1700000000.000001") -> tuple[str, str]:
    payload = {
        "type": "block_actions", "team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A0COIBOT", "token": "x", "trigger_id": f"trig-{uuid.uuid4().hex[:8]}",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "channel": {"id": channel}, "message": {"ts": message_ts, "type": "message"},
        "response_url": "https://hooks.invalid/x",
        "actions": [{"action_id": action_id, "block_id": f"decide:{value}", "value": value,
                     "type": "button", "action_ts": "1700000001.000000"}],
    }
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def view_body(user: str, reason: str, meta: str) -> tuple[str, str]:
    payload = {
        "type": "view_submission", "team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A0COIBOT", "token": "x", "trigger_id": "trig-view",
        "view": {"id": "V0TEST", "type": "modal", "callback_id": "coi_reject_modal",
                 "private_metadata": meta,
                 "state": {"values": {"reason": {"reason_input": {"type": "plain_text_input",
                                                                  "value": reason}}}}},
    }
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def make_site(engine: Engine, tmp_path: Path, fake: FakeSlack, **kw: Any) -> Site:
    settings = slack_settings(tmp_path, fake.api_url, **kw)
    with session_scope(engine) as s:
        sync_config(s, settings)
    store = DocumentStore(tmp_path / "docs")
    processor = Processor(engine, settings, store, default_extractor(), today=lambda: TODAY)
    app, deps = build_app(settings, engine, processor=processor, today=lambda: TODAY, socket_mode=False)
    return Site(app, deps, fake, engine, settings, store)

"""Approval requests and decisions: Block Kit post with the PDF, Approve / Reject, authorization, races."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from coibot import models as m
from coibot.models import SubmissionStatus as S
from handlers.slack.runner import SlackRunner
from tests.support.fake_slack import FakeSlack
from tests.support.slack_site import (
    APPROVERS,
    CHANNEL,
    STRANGER,
    TEXT_BAD,
    Site,
    action_body,
    make_site,
    signed_headers,
    view_body,
)


def _posted(site: Site) -> tuple[str, str]:
    """Deliver the approval request; the channel and ts of the posted message."""
    assert site.deliver_outbox() >= 1
    post = site.fake.wait_for("chat.postMessage")[-1]
    with Session(site.engine) as s:
        ref = s.exec(select(m.SlackMessage)).one()
    assert (ref.channel, ref.ts) == (CHANNEL, post.params.get("ts") or ref.ts)
    return ref.channel, ref.ts


def _buttons(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_approval_request_posts_summary_buttons_and_pdf(site: Site) -> None:
    sid = site.pending_submission(TEXT_BAD, "oakmont", check_status="deficient")
    _, ts = _posted(site)
    post = site.fake.calls("chat.postMessage")[0]
    assert post.params["channel"] == CHANNEL
    text = json.dumps(post.params["blocks"])
    assert "Oakmont Data Cabling Inc." in text and "Parkside Property Holdings, LLC" in text
    assert "Submitted knowingly deficient" in text and "$300,000" in text
    assert "current (from 2026-01-01)" in text
    assert _buttons(post.params["blocks"]) == ["coi_approve", "coi_reject"]
    values = [e["value"] for b in post.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert values == [str(sid), str(sid)]  # an opaque id only
    # The PDF goes into the message's thread through the files upload v2 flow.
    complete = site.fake.wait_for("files.completeUploadExternal")[0]
    assert complete.params["channel_id"] == CHANNEL and complete.params["thread_ts"] == ts
    upload = site.fake.calls("upload")[0]
    assert site.fake.uploads[upload.params["file_id"]] == TEXT_BAD.read_bytes()
    # Delivering the same row again posts nothing new.
    with Session(site.engine) as s:
        row = s.exec(select(m.Outbox).where(m.Outbox.channel == "slack")).one()
    from handlers.slack.delivery import SlackDeliverer

    SlackDeliverer(site.deps)(row)
    assert len(site.fake.calls("chat.postMessage")) == 1


def test_approve_end_to_end(site: Site) -> None:
    sid = site.pending_submission()
    channel, ts = _posted(site)
    started = time.perf_counter()
    resp = site.action("coi_approve", str(sid), APPROVERS[0], message_ts=ts)
    assert resp.status == 200 and time.perf_counter() - started < 3
    update = site.fake.wait_for("chat.update")[0]
    assert (update.params["channel"], update.params["ts"]) == (channel, ts)
    blocks = update.params["blocks"]
    assert _buttons(blocks) == []
    assert f"Approved* by <@{APPROVERS[0]}>" in json.dumps(blocks)
    sub = site.submission(sid)
    assert (sub.status, sub.decided_by) == (S.APPROVED, APPROVERS[0])
    emails = site.emails()
    assert [e.idempotency_key for e in emails] == [f"email:decision:{sid}"]
    assert emails[0].payload["to"] == ["office@blueheron.example"]
    assert [(a.from_state, a.to_state, a.actor) for a in site.audit(sid)][-1] == ("pending", "approved",
                                                                                  APPROVERS[0])
    # The decision_update row re-renders the same decided message (idempotent update).
    site.deliver_outbox()
    last = site.fake.calls("chat.update")[-1]
    assert _buttons(last.params["blocks"]) == [] and "Approved" in json.dumps(last.params["blocks"])


def test_reject_needs_a_reason_then_emails_it(site: Site) -> None:
    sid = site.pending_submission(TEXT_BAD, "oakmont", check_status="deficient")
    channel, ts = _posted(site)
    site.action("coi_reject", str(sid), APPROVERS[1], message_ts=ts)
    opened = site.fake.wait_for("views.open")[0]
    view = opened.params["view"]
    assert view["callback_id"] == "coi_reject_modal"
    meta = view["private_metadata"]
    assert meta == f"{sid}|{channel}|{ts}"
    # Without a reason the modal answers with an error and nothing changes.
    resp = site.send(*view_body(APPROVERS[1], "   ", meta))
    assert resp.status == 200
    assert json.loads(resp.body) == {"response_action": "errors",
                                     "errors": {"reason": "A rejection needs a reason."}}
    time.sleep(0.2)
    assert site.submission(sid).status == S.PENDING and site.emails() == []
    resp = site.send(*view_body(APPROVERS[1], "Umbrella missing for the roof job", meta))
    assert resp.status == 200 and resp.body == ""
    update = site.fake.wait_for("chat.update")[0]
    text = json.dumps(update.params["blocks"])
    assert "Rejected* by <@UAPPROVER2>" in text and "Umbrella missing for the roof job" in text
    assert _buttons(update.params["blocks"]) == []
    sub = site.submission(sid)
    assert (sub.status, sub.reason) == (S.REJECTED, "Umbrella missing for the roof job")
    emails = site.emails()
    assert len(emails) == 1 and "Umbrella missing for the roof job" in emails[0].payload["text"]
    assert "Effective Now: Rejected" in emails[0].payload["text"]
    assert site.audit(sid)[-1].to_state == "rejected"


def test_non_approver_is_refused_and_nothing_changes(site: Site) -> None:
    sid = site.pending_submission()
    _, ts = _posted(site)
    site.action("coi_approve", str(sid), STRANGER, message_ts=ts)
    site.action("coi_reject", str(sid), STRANGER, message_ts=ts)
    eph = site.fake.wait_for("chat.postEphemeral", 2)
    assert all(c.params["user"] == STRANGER and "not allowed" in c.params["text"] for c in eph)
    time.sleep(0.2)
    assert site.submission(sid).status == S.PENDING
    assert site.fake.calls("chat.update") == [] and site.fake.calls("views.open") == []
    assert site.emails() == []
    # A forged view submission by a stranger is refused too.
    site.send(*view_body(STRANGER, "no", f"{sid}|{CHANNEL}|{ts}"))
    site.fake.wait_for("chat.postEphemeral", 3)
    assert site.submission(sid).status == S.PENDING


def test_replayed_click_makes_no_second_decision(any_site: Site) -> None:
    site = any_site
    sid = site.pending_submission()
    _, ts = _posted(site)
    body, ctype = action_body("coi_approve", str(sid), APPROVERS[0], message_ts=ts)
    assert site.send(body, ctype).status == 200
    site.fake.wait_for("chat.update")
    assert site.send(body, ctype, retry=1).status == 200
    eph = site.fake.wait_for("chat.postEphemeral")[0]
    assert "Already approved by <@UAPPROVER1>" in eph.params["text"]
    assert len(site.emails()) == 1
    assert [a.to_state for a in site.audit(sid)].count("approved") == 1


@pytest.mark.slow
def test_twenty_concurrent_clicks_one_decision(engine: Engine, tmp_path: Path, fake_slack: FakeSlack,
                                               slack_env: None) -> None:
    site = make_site(engine, tmp_path, fake_slack)
    sid = site.pending_submission()
    _, ts = _posted(site)
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def click(n: int) -> None:
        body, ctype = action_body("coi_approve", str(sid), APPROVERS[n % 2], message_ts=ts)
        barrier.wait()
        statuses.append(site.send(body, ctype).status)

    threads = [threading.Thread(target=click, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert statuses == [200] * 20
    eph = fake_slack.wait_for("chat.postEphemeral", 19, timeout=60)
    assert all("Already approved by" in c.params["text"] for c in eph)
    time.sleep(0.3)
    assert len(fake_slack.calls("chat.postEphemeral")) == 19
    assert site.submission(sid).status == S.APPROVED
    assert len(site.emails()) == 1
    assert [a.to_state for a in site.audit(sid)].count("approved") == 1


def _post_http(port: int, body: str, headers: dict[str, str]) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body.encode(),
                                 headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_http_endpoint_verifies_signatures(site: Site) -> None:
    sid = site.pending_submission()
    _, ts = _posted(site)
    runner = SlackRunner(site.app, site.deps, site.settings, socket_mode=False)
    runner.start()
    try:
        assert runner.port
        body, ctype = action_body("coi_approve", str(sid), APPROVERS[0], message_ts=ts)
        forged = signed_headers(body, ctype, secret="not-the-secret")
        assert _post_http(runner.port, body, forged) == 401
        stale = signed_headers(body, ctype, timestamp=int(time.time()) - 6 * 60)
        assert _post_http(runner.port, body, stale) == 401
        time.sleep(0.3)
        assert site.submission(sid).status == S.PENDING
        assert site.fake.calls("chat.update") == [] and site.emails() == []
        # The same click, properly signed, goes through the real HTTP endpoint.
        assert _post_http(runner.port, body, signed_headers(body, ctype)) == 200
        site.fake.wait_for("chat.update")
        assert site.submission(sid).status == S.APPROVED
    finally:
        runner.stop()


def test_approvers_without_channel_get_a_dm_each(sqlite_engine: Engine, tmp_path: Path,
                                                 fake_slack: FakeSlack, slack_env: None) -> None:
    site = make_site(sqlite_engine, tmp_path, fake_slack, channel=None)
    site.pending_submission()
    site.deliver_outbox()
    posts = fake_slack.wait_for("chat.postMessage", 2)
    assert sorted(p.params["channel"] for p in posts) == sorted(f"D{a}" for a in APPROVERS)
    assert len(fake_slack.calls("conversations.open")) == 2


def test_a_rate_limited_post_is_retried_and_posted_once(site: Site) -> None:
    site.pending_submission()
    site.fake.rate_limited["chat.postMessage"] = 1
    site.deliver_outbox()
    calls = site.fake.calls("chat.postMessage")
    assert len(calls) == 2  # the 429, then the post after Retry-After
    with Session(site.engine) as s:
        assert len(s.exec(select(m.SlackMessage)).all()) == 1


def test_a_deleted_approval_message_does_not_block_the_decision(site: Site) -> None:
    sid = site.pending_submission()
    _, ts = _posted(site)
    site.fake.fail["chat.update"] = "message_not_found"
    site.action("coi_approve", str(sid), APPROVERS[0], message_ts=ts)
    site.fake.wait_for("chat.update")
    assert site.submission(sid).status == S.APPROVED
    # The decision_update row is delivered (sent), not retried forever.
    assert site.deliver_outbox() == 1
    with Session(site.engine) as s:
        rows = s.exec(select(m.Outbox).where(m.Outbox.channel == "slack")).all()
    assert {r.status for r in rows} == {m.OutboxStatus.SENT}

"""Certificates shared in Slack: fetched with the bot token, read, checked, answered in the thread."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlmodel import Session, select

from coibot import models as m
from coibot.models import SubmissionStatus as S
from handlers.slack.files import FileIntake
from tests.support.fake_slack import BOT_TOKEN
from tests.support.slack_site import (
    APPROVERS,
    BLUEHERON_USER,
    CHANNEL,
    OAKMONT_USER,
    STAFF,
    STRANGER,
    TEXT_BAD,
    TEXT_OK,
    Site,
)


def _dm_upload(site: Site, user: str, path: Any, file_id: str, text: str = "",
               mimetype: str = "application/pdf", name: str | None = None) -> dict[str, Any]:
    data = path.read_bytes() if hasattr(path, "read_bytes") else path
    meta = site.fake.add_file(file_id, name or getattr(path, "name", "file.bin"), mimetype, data, user)
    return {"type": "message", "subtype": "file_share", "channel": f"D{user}", "channel_type": "im",
            "user": user, "text": text, "ts": f"1700000100.{file_id[-4:]}", "files": [meta]}


def _submissions(site: Site) -> list[m.Submission]:
    with Session(site.engine) as s:
        return list(s.exec(select(m.Submission).order_by(m.Submission.id)).all())


def _buttons(blocks: list[dict]) -> list[tuple[str, str]]:
    return [(e["action_id"], e["value"]) for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_dm_upload_answered_in_thread_with_gaps_then_sent_for_approval(site: Site) -> None:
    event = _dm_upload(site, OAKMONT_USER, TEXT_BAD, "F0OAK0001")
    started = time.perf_counter()
    assert site.event(event).status == 200
    assert time.perf_counter() - started < 3
    reply = site.fake.wait_for("chat.postMessage", timeout=60)[0]
    # Fetched from url_private with the bot token.
    download = site.fake.calls("file_download")[0]
    assert download.authorization == f"Bearer {BOT_TOKEN}"
    assert reply.params["channel"] == f"D{OAKMONT_USER}" and reply.params["thread_ts"] == event["ts"]
    text = json.dumps(reply.params["blocks"])
    assert "Oakmont Data Cabling Inc." in text and "Parkside Property Holdings, LLC" in text
    subs = _submissions(site)
    current = [s for s in subs if s.status == S.DRAFT]
    assert current and current[0].gaps
    for gap in current[0].gaps:
        assert json.dumps(gap["message"])[1:-1].replace("&", "&amp;")[:40] in text
    buttons = _buttons(reply.params["blocks"])
    assert [b[0] for b in buttons] == ["coi_send_for_approval"]
    sid = int(buttons[0][1])
    assert site.submission(sid).status == S.DRAFT
    with Session(site.engine) as s:
        inbound = s.exec(select(m.InboundMessage).where(m.InboundMessage.source == "slack")).one()
        assert inbound.status == m.InboundStatus.PROCESSED and inbound.sender == f"slack:{OAKMONT_USER}"
    # A stranger may not send it; the provider's contact may.
    site.action("coi_send_for_approval", str(sid), STRANGER, channel=f"D{OAKMONT_USER}", message_ts="1.2")
    site.fake.wait_for("chat.postEphemeral")
    assert site.submission(sid).status == S.DRAFT
    site.action("coi_send_for_approval", str(sid), OAKMONT_USER, channel=f"D{OAKMONT_USER}", message_ts="1.2")
    site.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("thread_ts") == "1.2")
    assert site.submission(sid).status == S.PENDING
    # The answer in the thread is rebuilt without its button.
    rebuilt = site.fake.wait_for("chat.update")[0]
    assert rebuilt.params["ts"] == "1.2" and _buttons(rebuilt.params["blocks"]) == []
    assert "Oakmont Data Cabling Inc." in json.dumps(rebuilt.params["blocks"])
    # Its approval request is clearly marked as knowingly deficient.
    site.deliver_outbox()
    post = site.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == CHANNEL)[0]
    assert "Submitted knowingly deficient" in json.dumps(post.params["blocks"])


def test_compliant_upload_goes_straight_to_approvers(site: Site) -> None:
    site.event(_dm_upload(site, BLUEHERON_USER, TEXT_OK, "F0BLU0001"))
    reply = site.fake.wait_for("chat.postMessage", timeout=60)[0]
    text = json.dumps(reply.params["blocks"])
    assert "meets every requirement; sent for approval" in text
    assert _buttons(reply.params["blocks"]) == []
    # Compliant with the current set and with the 2027 set: each verdict goes to the approvers.
    pending = [s for s in _submissions(site) if s.status == S.PENDING]
    assert len(pending) == 2
    site.deliver_outbox()
    posts = site.fake.wait_for("chat.postMessage", 2, where=lambda c: c.params.get("channel") == CHANNEL)
    for post in posts:
        assert [a for a, _ in _buttons(post.params["blocks"])] == ["coi_approve", "coi_reject"]
    assert {int(_buttons(p.params["blocks"])[0][1]) for p in posts} == {s.id for s in pending}


def test_retried_event_is_processed_once(any_site: Site) -> None:
    site = any_site
    event = _dm_upload(site, OAKMONT_USER, TEXT_BAD, "F0OAK0002")
    site.event(event, event_id="Ev0RETRY1")
    site.fake.wait_for("chat.postMessage", timeout=60)
    before = len(_submissions(site))
    assert site.event(event, event_id="Ev0RETRY1", retry=1).status == 200
    assert site.event(event, event_id="Ev0RETRY1", retry=2).status == 200
    time.sleep(0.5)
    assert len(site.fake.calls("chat.postMessage")) == 1
    assert len(site.fake.calls("file_download")) == 1
    assert len(_submissions(site)) == before


def test_unknown_uploader_is_asked_which_provider_and_staff_told(site: Site) -> None:
    site.settings.slack.staff_channel = "C0STAFF"
    site.event(_dm_upload(site, STRANGER, TEXT_OK, "F0STR0001", text="for Blue Heron"))
    posts = site.fake.wait_for("chat.postMessage", 2)
    reply = next(p for p in posts if p.params["channel"] == f"D{STRANGER}")
    assert "Which provider is it for?" in json.dumps(reply.params["blocks"])
    staff = next(p for p in posts if p.params["channel"] == "C0STAFF")
    assert f"<@{STRANGER}> shared" in staff.params["text"]
    assert "They say it is for *Blue Heron*" in staff.params["text"]
    assert f"slack_user: {STRANGER}" in staff.params["text"]
    # A stranger naming a provider is not believed: the file is kept, nothing is checked or recorded.
    assert _submissions(site) == []
    with Session(site.engine) as s:
        kept = s.exec(select(m.InboundMessage).where(m.InboundMessage.source == "slack")).one()
    assert kept.status == m.InboundStatus.AWAITING_SENDER


def test_staff_name_the_provider_in_the_thread_of_a_kept_file(site: Site) -> None:
    event = _dm_upload(site, STRANGER, TEXT_OK, "F0STR0002")
    event.update(channel="C0SHARED", channel_type="channel", type="app_mention",
                 text="<@UCOIBOT> our certificate")
    site.event(event)
    site.fake.wait_for("chat.postMessage")
    thread = {"type": "app_mention", "channel": "C0SHARED", "thread_ts": event["ts"], "ts": "1700000500.1",
              "text": "<@UCOIBOT> for Blue Heron Electrical"}
    # Only staff may say whose it is.
    site.event({**thread, "user": STRANGER})
    assert "Only staff" in site.fake.wait_for("chat.postEphemeral")[0].params["text"]
    assert _submissions(site) == []
    site.event({**thread, "user": STAFF}, event_id="Ev0NAMED1")
    reply = site.fake.wait_for("chat.postMessage", 2, timeout=60)[1]
    assert reply.params["thread_ts"] == event["ts"]
    assert "Blue Heron Electrical Contractors, Inc." in json.dumps(reply.params["blocks"])
    with Session(site.engine) as s:
        provider = s.exec(select(m.Provider).where(m.Provider.key == "blue-heron")).one()
        kept = s.exec(select(m.InboundMessage).where(m.InboundMessage.source == "slack")).one()
    subs = _submissions(site)
    assert subs and {x.provider_id for x in subs} == {provider.id}
    assert {x.inbound_id for x in subs} == {kept.id}
    assert kept.status == m.InboundStatus.PROCESSED
    # Said again (or retried): nothing waits any more, so it is a question, answered with help.
    site.event({**thread, "user": STAFF, "ts": "1700000500.2"})
    again = site.fake.wait_for("chat.postMessage", 3)[2]
    assert "No certificate in this thread waits" in json.dumps(again.params["blocks"])
    assert len(_submissions(site)) == len(subs)


def test_a_provider_writing_to_the_bot_gets_a_hint(site: Site) -> None:
    site.event({"type": "message", "channel": f"D{OAKMONT_USER}", "channel_type": "im", "user": OAKMONT_USER,
                "text": "hello, where do I send our certificate?", "ts": "1700000400.000001"})
    reply = site.fake.wait_for("chat.postMessage")[0]
    assert reply.params["text"].startswith("Share a certificate of insurance")
    assert site.fake.calls("chat.postEphemeral") == []


def test_staff_names_the_provider(site: Site) -> None:
    event = _dm_upload(site, STAFF, TEXT_OK, "F0STF0001", text="for Blue Heron Electrical")
    site.event(event)
    reply = site.fake.wait_for("chat.postMessage", timeout=60)[0]
    assert "Blue Heron Electrical Contractors, Inc." in json.dumps(reply.params["blocks"])
    subs = _submissions(site)
    with Session(site.engine) as s:
        provider = s.exec(select(m.Provider).where(m.Provider.key == "blue-heron")).one()
    assert subs and {x.provider_id for x in subs} == {provider.id}


def test_a_provider_cannot_name_another_provider(site: Site) -> None:
    site.event(_dm_upload(site, OAKMONT_USER, TEXT_OK, "F0OAK0003", text="for Blue Heron Electrical"))
    site.fake.wait_for("chat.postMessage", timeout=60)
    with Session(site.engine) as s:
        oakmont = s.exec(select(m.Provider).where(m.Provider.key == "oakmont")).one()
    assert {x.provider_id for x in _submissions(site)} == {oakmont.id}


def test_files_that_are_not_certificates_are_refused(site: Site) -> None:
    site.event(_dm_upload(site, OAKMONT_USER, b"hello", "F0TXT0001", mimetype="text/plain", name="notes.txt"))
    reply = site.fake.wait_for("chat.postMessage")[0]
    assert "not a PDF or an image" in reply.params["text"]
    # Named .pdf but not one: fetched, sniffed, refused; nothing stored.
    site.event(_dm_upload(site, OAKMONT_USER, b"<html>nope</html>", "F0FAK0001", name="cert.pdf"))
    reply = site.fake.wait_for("chat.postMessage", 2)[1]
    assert "not a PDF or an image" in reply.params["text"]
    assert _submissions(site) == []


def test_oversized_file_is_refused_before_download(site: Site) -> None:
    event = _dm_upload(site, OAKMONT_USER, TEXT_BAD, "F0BIG0001")
    event["files"][0]["size"] = site.settings.limits.max_attachment_bytes + 1
    site.event(event)
    reply = site.fake.wait_for("chat.postMessage")[0]
    assert "the limit is" in reply.params["text"]
    assert site.fake.calls("file_download") == []


def test_mention_with_a_file_in_a_channel(site: Site) -> None:
    meta = site.fake.add_file("F0CHN0001", TEXT_BAD.name, "application/pdf", TEXT_BAD.read_bytes(),
                              OAKMONT_USER)
    partial = {"id": meta["id"], "file_access": "check_file_info"}  # Slack Connect style
    site.event({"type": "app_mention", "channel": "C0SHARED", "user": OAKMONT_USER,
                "text": "<@UCOIBOT> here is our certificate", "ts": "1700000200.000100", "files": [partial]})
    reply = site.fake.wait_for("chat.postMessage", timeout=60)[0]
    assert reply.params["channel"] == "C0SHARED" and reply.params["thread_ts"] == "1700000200.000100"
    assert site.fake.calls("files.info")
    assert any(s.status == S.DRAFT for s in _submissions(site))
    assert APPROVERS  # the approvers are untouched until someone sends it


def test_the_bot_token_only_goes_to_slack(site: Site) -> None:
    event = _dm_upload(site, OAKMONT_USER, TEXT_BAD, "F0OFF0001")
    off_slack = event["files"][0]["url_private"].replace("127.0.0.1", "localhost")
    event["files"][0].update(url_private=off_slack, url_private_download=off_slack)
    site.event(event)
    reply = site.fake.wait_for("chat.postMessage")[0]
    assert "download address is not Slack's" in reply.params["text"]
    assert site.fake.calls("file_download") == [] and _submissions(site) == []
    assert FileIntake(site.deps).token_host("https://files.slack.com/files-pri/T1-F1/x.pdf")
    assert not FileIntake(site.deps).token_host("http://files.slack.com/files-pri/T1-F1/x.pdf")
    assert not FileIntake(site.deps).token_host("https://slack.com.evil.example/x.pdf")


def test_a_future_set_verdict_is_not_sent_for_approval(site: Site) -> None:
    site.event(_dm_upload(site, OAKMONT_USER, TEXT_BAD, "F0OAK0009"))
    site.fake.wait_for("chat.postMessage", timeout=60)
    with Session(site.engine) as s:
        future = s.exec(select(m.Submission).join(
            m.RequirementSetVersion, m.RequirementSetVersion.id == m.Submission.requirement_set_id)
            .where(m.RequirementSetVersion.name == "2027")).one()
    assert future.status == S.DRAFT and future.id is not None
    site.action("coi_send_for_approval", str(future.id), OAKMONT_USER, channel=f"D{OAKMONT_USER}")
    assert "it is advice" in site.fake.wait_for("chat.postEphemeral")[0].params["text"]
    assert site.submission(future.id).status == S.DRAFT

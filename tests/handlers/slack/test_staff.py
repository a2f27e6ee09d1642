"""Staff questions (`/coi`, @mentions) and the App Home dashboard, each answer checked."""

from __future__ import annotations

import json
import time

import pytest

from coibot import workflow
from coibot.db import session_scope
from tests.support.fake_slack import Call
from tests.support.slack_site import APPROVERS, STAFF, STRANGER, TEXT_BAD, TEXT_OK, Site


@pytest.fixture
def world(site: Site) -> dict[str, int]:
    """Blue Heron approved, Oakmont pending with a gap, Granite State rejected, Quarry Hill nothing."""
    approved = site.pending_submission(TEXT_OK, "blue-heron")
    pending = site.pending_submission(TEXT_BAD, "oakmont", check_status="deficient")
    rejected = site.pending_submission(TEXT_BAD, "granite-state", check_status="deficient")
    with session_scope(site.engine) as s:
        workflow.approve(s, approved, APPROVERS[0])
        workflow.reject(s, rejected, APPROVERS[1], "Wrong insured name")
    return {"approved": approved, "pending": pending, "rejected": rejected}


def ask(site: Site, text: str, user: str = STAFF) -> Call:
    """Send `/coi text`; the ack is empty and fast, the answer arrives at the response_url."""
    before = len(site.fake.calls("response_url"))
    started = time.perf_counter()
    resp = site.command(text, user)
    assert resp.status == 200 and resp.body == ""
    assert time.perf_counter() - started < 3
    call = site.fake.wait_for("response_url", before + 1)[before]
    assert call.params["response_type"] == "ephemeral"
    return call


def blocks_text(call: Call) -> str:
    return json.dumps(call.params.get("blocks") or [], ensure_ascii=False) + call.params.get("text", "")


def test_status_of_a_provider_per_client(site: Site, world: dict[str, int]) -> None:
    text = blocks_text(ask(site, "status blue heron"))
    assert "Status: Blue Heron Electrical Contractors, Inc." in text
    assert "Parkside Property Holdings, LLC" in text
    assert f"Effective now: #{world['approved']} (General liability, Automobile liability)" in text
    assert ("Next expirations: Automobile liability 2027-08-23 (275 days); "
            "General liability 2027-08-23 (275 days)") in text
    # Fuzzy: a typo still finds it.
    assert "Status: Blue Heron Electrical" in blocks_text(ask(site, "status Blu Heron Electric"))
    rejected = blocks_text(ask(site, "status granite state"))
    assert "Effective now: *none*" in rejected
    assert f"Rejected: #{world['rejected']} by <@{APPROVERS[1]}>: Wrong insured name" in rejected
    pending = blocks_text(ask(site, "status oakmont"))
    assert f"Pending: #{world['pending']}" in pending
    assert "No provider matches *zzqqxx*" in blocks_text(ask(site, "status zzqqxx"))


def test_client_summary(site: Site, world: dict[str, int]) -> None:
    text = blocks_text(ask(site, "client parkside"))
    assert "Client: Parkside Property Holdings, LLC" in text
    assert "Effective: *1* · Pending: *1* · Draft: *0* · Rejected: *1* · Missing: *1*" in text
    assert "*Quarry Hill Roofing LLC*: missing" in text
    assert "*Blue Heron Electrical Contractors, Inc.*: effective, next expiration 2027-08-23" in text
    assert "There is no client `nowhere`" in blocks_text(ask(site, "client nowhere"))


def test_expiring(site: Site, world: dict[str, int]) -> None:
    assert "Nothing on an approved certificate expires within 30 days" in blocks_text(ask(site, "expiring"))
    text = blocks_text(ask(site, "expiring 300"))
    assert "Expiring within 300 days" in text
    assert text.count("2027-08-23 (275 days): *Blue Heron Electrical Contractors, Inc.*") == 2
    assert "Automobile liability 23BA325970" in text
    assert "takes a number of days" in blocks_text(ask(site, "expiring soon"))


def test_pending_and_gaps(site: Site, world: dict[str, int]) -> None:
    text = blocks_text(ask(site, "pending"))
    assert f"#{world['pending']} *Oakmont Data Cabling Inc.* for Parkside Property Holdings, LLC" in text
    assert "1 gap(s)" in text and "Granite" not in text
    gaps = blocks_text(ask(site, "gaps oakmont"))
    assert "General liability each occurrence is $300,000" in gaps
    assert f"#{world['pending']} (pending)" in gaps


def test_help_and_unknown_commands(site: Site) -> None:
    assert "`status <provider>`" in blocks_text(ask(site, "help"))
    text = blocks_text(ask(site, "frobnicate now"))
    assert "I don't know `frobnicate`" in text and "`expiring [days]`" in text
    assert "`pending`" in blocks_text(ask(site, ""))


def test_only_staff_and_approvers_may_ask(site: Site, world: dict[str, int]) -> None:
    refused = ask(site, "pending", STRANGER)
    assert "Only staff and client approvers" in refused.params["text"]
    assert "Oakmont" not in blocks_text(refused)
    assert "Oakmont" in blocks_text(ask(site, "pending", APPROVERS[0]))


def test_mention_answered_in_thread(site: Site, world: dict[str, int]) -> None:
    site.event({"type": "app_mention", "channel": "C0STAFF", "user": STAFF, "ts": "1700000300.000001",
                "text": "<@UCOIBOT> status oakmont"})
    reply = site.fake.wait_for("chat.postMessage")[0]
    assert reply.params["channel"] == "C0STAFF" and reply.params["thread_ts"] == "1700000300.000001"
    assert f"Pending: #{world['pending']}" in json.dumps(reply.params["blocks"])


def test_app_home_dashboard(site: Site, world: dict[str, int]) -> None:
    site.event({"type": "app_home_opened", "user": APPROVERS[0], "channel": "D0HOME", "tab": "home"})
    publish = site.fake.wait_for("views.publish")[0]
    assert publish.params["user_id"] == APPROVERS[0]
    view = publish.params["view"]
    assert view["type"] == "home"
    text = json.dumps(view["blocks"], ensure_ascii=False)
    assert "Approved: *1*" in text and "Pending: *1*" in text and "Rejected: *1*" in text
    assert "*Waiting for your decision* (1)" in text
    assert f"#{world['pending']} *Oakmont Data Cabling Inc.*" in text
    assert "*Expiring within 30 days* (0)" in text
    assert f"#{world['rejected']} rejected by <@{APPROVERS[1]}>" in text
    # Someone who approves for no client has nothing waiting.
    site.event({"type": "app_home_opened", "user": STRANGER, "channel": "D0HOME2", "tab": "home"})
    other = site.fake.wait_for("views.publish", 2)[1]
    assert "*Waiting for your decision* (0)" in json.dumps(other.params["view"]["blocks"])

"""Block Kit builders: Slack's limits, escaping, labels, decided messages without buttons."""

from __future__ import annotations

from datetime import UTC, date, datetime

from coibot.models import SubmissionStatus as S
from coibot.queries import PolicyLine, SubmissionLine
from handlers.slack import blocks as bk


def line(status: S = S.PENDING, gaps: int = 0, **kw: object) -> SubmissionLine:
    base: dict[str, object] = dict(
        submission_id=7, client_id="acme", status=status, set_name="current",
        set_effective_from=date(2026, 1, 1), future_set=False,
        check_status="compliant" if not gaps else "deficient",
        gaps=[{"code": "x", "message": f"Gap <{n}> & more " + "x" * 200} for n in range(gaps)],
        insured_name="A <b> & Co", created_at=datetime(2026, 11, 1, tzinfo=UTC), decided_by=None,
        decided_at=None, reason=None,
        policies=[PolicyLine("workers_compensation", None, "Carrier", "WC-1", date(2026, 1, 1),
                             date(2027, 1, 1), {"el_each_accident": 1000000})])
    base.update(kw)
    return SubmissionLine(**base)  # type: ignore[arg-type]


def view(ln: SubmissionLine) -> bk.ApprovalView:
    limits = {"el_each_accident": 1000000, "el_disease_policy_limit": 1000000}
    spec = {"coverages": {"workers_compensation": {"limits": limits}}}
    return bk.ApprovalView(ln, "Acme", "Provider & Sons", spec)


def test_labels_and_escaping() -> None:
    assert bk.limit_label("el_each_accident") == "EL each accident"
    assert bk.limit_label("each_occurrence") == "Each occurrence"
    assert bk.esc("<@U1> & co") == "&lt;@U1&gt; &amp; co"
    assert bk.user("U0ACME") == "<@U0ACME>" and bk.user("risk@acme.example") == "risk@acme.example"


def test_pending_message_has_buttons_and_marks_missing_limits() -> None:
    _, blocks = bk.approval_blocks(view(line()))
    text = str(blocks)
    assert "EL each accident $1,000,000" in text and "_not shown: EL disease policy limit_" in text
    assert "A &lt;b&gt; &amp; Co" in text and "Provider &amp; Sons" in text
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions[0]["elements"]] == [bk.APPROVE, bk.REJECT]


def test_decided_message_has_no_buttons_and_says_who_when_why() -> None:
    ln = line(S.REJECTED, gaps=1, decided_by="U0APPR", decided_at=datetime(2026, 11, 21, 9, 30, tzinfo=UTC),
              reason="Umbrella <missing>")
    _, blocks = bk.approval_blocks(view(ln))
    assert not [b for b in blocks if b["type"] == "actions"]
    last = blocks[-1]["text"]["text"]
    assert last == ":x: *Rejected* by <@U0APPR> on 2026-11-21 09:30 UTC\n*Reason:* Umbrella &lt;missing&gt;"


def test_slack_limits_are_respected() -> None:
    _, blocks = bk.approval_blocks(view(line(gaps=40)))
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section" and "text" in b)
    many = [bk.section(str(n)) for n in range(80)]
    fitted = bk.fit(many)
    assert len(fitted) == bk.MAX_BLOCKS and fitted[-1]["elements"][0]["text"] == "… 33 more not shown"
    chunks = bk._chunks(["y" * 1000] * 9)  # two lines fit under the limit, three do not
    assert len(chunks) == 5 and all(len(c["text"]["text"]) <= bk.MAX_TEXT for c in chunks)

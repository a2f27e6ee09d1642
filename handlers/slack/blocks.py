"""Block Kit builders: pure functions from query results to Slack message and view payloads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from coibot.queries import (
    Activity,
    ClientStatus,
    ClientSummary,
    Expiration,
    PendingItem,
    PolicyLine,
    ProviderMatch,
    SubmissionLine,
)

Block = dict[str, Any]

APPROVE = "coi_approve"
REJECT = "coi_reject"
SEND = "coi_send_for_approval"
REJECT_MODAL = "coi_reject_modal"
REASON_BLOCK = "reason"
REASON_INPUT = "reason_input"

# Slack refuses a section text over 3000 characters and a message over 50 blocks.
MAX_TEXT = 2900
MAX_BLOCKS = 48

HELP = (
    "*coibot* answers:\n"
    "• `status <provider>`: where a provider stands with each client\n"
    "• `client <id>`: a client's compliance summary\n"
    "• `expiring [days]`: policies on approved certificates expiring soon (default 30 days)\n"
    "• `pending`: certificates waiting for a decision\n"
    "• `gaps <provider>`: what a provider's latest certificates miss\n"
    "• `help`: this list\n"
    "Share a certificate (PDF or image) with me in a direct message, or mention me with it, "
    "and I will check it. Staff add `for <provider>` to say whose it is."
)


def esc(text: object) -> str:
    """Escape the three characters Slack mrkdwn treats as control characters."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text)}]}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, 150)}}


def divider() -> Block:
    return {"type": "divider"}


def fit(blocks: list[Block]) -> list[Block]:
    """At most MAX_BLOCKS blocks, the cut said in the last one."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return [*blocks[: MAX_BLOCKS - 1], context(f"… {len(blocks) - MAX_BLOCKS + 1} more not shown")]


def money(value: Any) -> str:
    return f"${value:,}" if isinstance(value, int) else esc(value)


def day(value: date | datetime | None) -> str:
    if value is None:
        return "?"
    return value.strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, datetime) else value.isoformat()


def user(slack_user: str | None) -> str:
    """A Slack user id as a mention; anything else (an email, 'intake') as text."""
    if slack_user and slack_user[:1] in "UW" and slack_user.isalnum():
        return f"<@{slack_user}>"
    return esc(slack_user or "someone")


def limit_label(key: str) -> str:
    """`el_each_accident` → "EL each accident"; `each_occurrence` → "Each occurrence"."""
    label = key.replace("_", " ").capitalize()
    return "EL " + label[3:] if label.startswith("El ") else label


# ------------------------------------------------------------------ gaps


def gap_lines(gaps: Sequence[dict[str, Any]], limit: int = 15) -> str:
    lines = [f"• {esc(g.get('message') or g.get('code') or 'gap')}" for g in gaps[:limit]]
    if len(gaps) > limit:
        lines.append(f"• … and {len(gaps) - limit} more")
    return "\n".join(lines)


# ----------------------------------------------------------- approval request


@dataclass(frozen=True)
class ApprovalView:
    """Everything an approval message shows about one submission."""

    line: SubmissionLine
    client_name: str
    provider_name: str
    requirements: dict[str, Any]  # the requirement set's spec (coverages → limits)


def policy_text(p: PolicyLine, required: dict[str, Any] | None) -> str:
    """One policy: carrier, number, dates, and the limits the set asks for (else all printed ones)."""
    head = (f"*{esc(p.label)}*: {esc(p.carrier or 'carrier not read')} · "
            f"{esc(p.policy_number or 'no policy number')} · "
            f"{day(p.effective_date)} → {day(p.expiration_date)}")
    wanted = list((required or {}).get("limits") or {}) or list(p.limits)
    shown = [f"{limit_label(k)} {money(p.limits[k])}" for k in wanted if k in p.limits]
    missing = [limit_label(k) for k in wanted if k not in p.limits]
    text = head
    if shown:
        text += "\n" + " · ".join(shown)
    if missing and required:
        text += "\n_not shown: " + ", ".join(missing) + "_"
    return text


def requirement_text(spec: dict[str, Any]) -> str:
    parts: list[str] = []
    for key, req in (spec.get("coverages") or {}).items():
        if not isinstance(req, dict):
            continue
        name = req.get("coverage_name") or key.replace("_", " ").capitalize()
        limits = ", ".join(f"{limit_label(k)} {money(v)}" for k, v in (req.get("limits") or {}).items())
        parts.append(f"• {esc(name)}" + (f": {limits}" if limits else ""))
    return "\n".join(parts) or "• (no coverage requirements)"


def approval_blocks(v: ApprovalView) -> tuple[str, list[Block]]:
    """The approval request: summary, requirement set, gaps when knowingly deficient, buttons or decision."""
    ln = v.line
    sid = str(ln.submission_id)
    text = f"Certificate from {v.provider_name} for {v.client_name}: {ln.status.value}"
    blocks: list[Block] = [
        header(f"Certificate for approval: {v.provider_name}"),
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Provider*\n{esc(v.provider_name)}"},
            {"type": "mrkdwn", "text": f"*Client*\n{esc(v.client_name)}"},
            {"type": "mrkdwn", "text": f"*Insured*\n{esc(ln.insured_name or 'not read')}"},
            {"type": "mrkdwn",
             "text": f"*Requirement set*\n{esc(ln.set_name)} (from {day(ln.set_effective_from)})"},
        ]},
    ]
    coverages = v.requirements.get("coverages") or {}
    for p in ln.policies:
        req = coverages.get(p.coverage) if p.coverage != "other" else None
        blocks.append(section(policy_text(p, req if isinstance(req, dict) else None)))
    if not ln.policies:
        blocks.append(section("_No policy could be read from this certificate._"))
    blocks.append(context("*Required*\n" + requirement_text(v.requirements)))
    if ln.check_status != "compliant" and ln.gaps:
        blocks.append(section(f":warning: *Submitted knowingly deficient*: {len(ln.gaps)} gap(s)\n"
                              + gap_lines(ln.gaps)))
    elif ln.check_status == "compliant":
        blocks.append(context(":white_check_mark: Meets every requirement of this set."))
    if ln.decided_at is not None and ln.status.value in ("approved", "rejected"):
        blocks.append(divider())
        blocks.append(section(decision_text(ln)))
    elif ln.status.value == "pending":
        blocks.append({"type": "actions", "block_id": f"decide:{sid}", "elements": [
            {"type": "button", "action_id": APPROVE, "style": "primary", "value": sid,
             "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "action_id": REJECT, "style": "danger", "value": sid,
             "text": {"type": "plain_text", "text": "Reject"}},
        ]})
    else:
        blocks.append(context(f"This certificate is now *{ln.status.value}*."))
    return text, fit(blocks)


def needs_review_blocks(v: ApprovalView, checks: Sequence[str]) -> tuple[str, list[Block]]:
    """For staff: a certificate read with low confidence, what to look at, how to correct it."""
    ln = v.line
    text = f"Certificate needs review: {v.provider_name} for {v.client_name}"
    items = "\n".join(f"• {esc(c)}" for c in checks[:20]) or "• (the reader gave no detail)"
    blocks: list[Block] = [
        header(f"Needs review: {v.provider_name}"),
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Provider*\n{esc(v.provider_name)}"},
            {"type": "mrkdwn", "text": f"*Client*\n{esc(v.client_name)}"},
            {"type": "mrkdwn", "text": f"*Insured*\n{esc(ln.insured_name or 'not read')}"},
            {"type": "mrkdwn", "text": f"*Submission*\n#{ln.submission_id} ({ln.status.value})"},
        ]},
        section("*What to check against the document*\n" + items),
        context(f"Correct a field with `coibot review {ln.submission_id} --set FIELD=VALUE`; the "
                "certificate is checked again and goes to the approvers once it meets the requirements."),
    ]
    return text, fit(blocks)


def decision_text(ln: SubmissionLine) -> str:
    if ln.status.value == "approved":
        return f":white_check_mark: *Approved* by {user(ln.decided_by)} on {day(ln.decided_at)}"
    return (f":x: *Rejected* by {user(ln.decided_by)} on {day(ln.decided_at)}\n"
            f"*Reason:* {esc(ln.reason or '')}")


def reject_modal(submission_id: int, channel: str | None, ts: str | None,
                 provider_name: str) -> dict[str, Any]:
    """The modal that asks for the reason of a rejection (required)."""
    meta = f"{submission_id}|{channel or ''}|{ts or ''}"
    return {
        "type": "modal", "callback_id": REJECT_MODAL, "private_metadata": meta,
        "title": {"type": "plain_text", "text": "Reject certificate"},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"Reject the certificate from *{esc(provider_name)}*? The provider receives your reason "
                    "and the gaps by email."),
            {"type": "input", "block_id": REASON_BLOCK,
             "label": {"type": "plain_text", "text": "Reason"},
             "element": {"type": "plain_text_input", "action_id": REASON_INPUT, "multiline": True,
                         "min_length": 1, "max_length": 2000}},
        ],
    }


# ------------------------------------------------------------- upload reply


@dataclass(frozen=True)
class CheckedSet:
    """One requirement-set verdict of an uploaded certificate, for one client."""

    client_name: str
    line: SubmissionLine


def upload_reply(file_name: str, provider_name: str, checked: Sequence[CheckedSet],
                 unread: Sequence[tuple[str, str]]) -> tuple[str, list[Block]]:
    """The thread answer to a shared certificate: gaps per client and set, Send for approval on drafts."""
    blocks: list[Block] = [section(f"*{esc(file_name)}*: certificate from *{esc(provider_name)}*")]
    for name, reason in unread:
        blocks.append(section(f":warning: I could not read *{esc(name)}*: {esc(reason)}"))
    if not checked and not unread:
        blocks.append(section(f"No client to check this certificate for: {esc(provider_name)} is not linked "
                              "to any client yet; staff can link it in the configuration."))
    for c in checked:
        ln = c.line
        when = f" (future set from {day(ln.set_effective_from)})" if ln.future_set else ""
        title = f"*{esc(c.client_name)}*, requirement set *{esc(ln.set_name)}*{when}"
        if ln.check_status == "compliant":
            state = ("sent for approval" if ln.status.value == "pending" else ln.status.value)
            blocks.append(section(f":white_check_mark: {title}: meets every requirement; {state}."))
            continue
        blocks.append(section(f":warning: {title}: {len(ln.gaps)} gap(s)\n{gap_lines(ln.gaps)}"))
        if ln.status.value == "draft" and not ln.future_set:
            blocks.append({"type": "actions", "block_id": f"send:{ln.submission_id}", "elements": [
                {"type": "button", "action_id": SEND, "value": str(ln.submission_id),
                 "text": {"type": "plain_text", "text": "Send for approval"}}]})
            blocks.append(context("Ask your broker for a corrected certificate, or send this one to "
                                  f"{esc(c.client_name)} for approval as it is."))
    gaps = sum(len(c.line.gaps) for c in checked)
    text = f"{file_name}: {gaps} gap(s) across {len(checked)} requirement set(s)"
    return text, fit(blocks)


def ask_provider(file_name: str, candidates: Sequence[ProviderMatch]) -> tuple[str, list[Block]]:
    text = f"Which provider is {file_name} for?"
    hint = ""
    if candidates:
        hint = "\nDid you mean " + ", ".join(f"*{esc(c.name)}*" for c in candidates) + "?"
    return text, [section(f"I don't know whose certificate *{esc(file_name)}* is. Which provider is it for? "
                          f"Share it again with `for <provider name>` in the message.{hint}")]


# --------------------------------------------------------------- staff answers


def help_blocks(prefix: str = "") -> tuple[str, list[Block]]:
    return "coibot help", [section((prefix + "\n" if prefix else "") + HELP)]


def no_provider(text: str, candidates: Sequence[ProviderMatch]) -> tuple[str, list[Block]]:
    msg = f"No provider matches *{esc(text)}*."
    if candidates:
        msg += " Did you mean " + ", ".join(f"*{esc(c.name)}*" for c in candidates) + "?"
    return msg, [section(msg)]


def _sub_summary(ln: SubmissionLine) -> str:
    covs = ", ".join(esc(p.label) for p in ln.policies) or "no policies read"
    return f"#{ln.submission_id} ({covs}), {ln.set_name}, {day(ln.created_at.date())}"


def status_blocks(provider: ProviderMatch, statuses: Sequence[ClientStatus]) -> tuple[str, list[Block]]:
    """`status <provider>`: per client, effective now, pending, rejected, future, next expirations."""
    blocks: list[Block] = [header(f"Status: {provider.name}")]
    if not statuses:
        blocks.append(section("No client and no certificate on file for this provider."))
    for st in statuses:
        lines = [f"*{esc(st.client_name)}*"]
        if st.effective_now:
            lines.append("Effective now: " + "; ".join(_sub_summary(ln) for ln in st.effective_now))
        else:
            lines.append("Effective now: *none*")
        if st.pending:
            lines.append("Pending: " + "; ".join(_sub_summary(ln) for ln in st.pending))
        if st.drafts:
            lines.append("Drafts with gaps: " + "; ".join(
                f"#{ln.submission_id} ({len(ln.gaps)} gap(s))" for ln in st.drafts))
        if st.rejected:
            lines.append("Rejected: " + "; ".join(
                f"#{ln.submission_id} by {user(ln.decided_by)}: {esc(ln.reason or '')}"
                for ln in st.rejected))
        for ln in st.future:
            verdict = "meets it" if ln.check_status == "compliant" else f"{len(ln.gaps)} gap(s)"
            lines.append(f"Future set {esc(ln.set_name)} (from {day(ln.set_effective_from)}): {verdict}")
        if st.next_expirations:
            lines.append("Next expirations: " + "; ".join(
                f"{esc(e.coverage)} {day(e.expiration_date)} ({e.days_left} days)"
                for e in st.next_expirations))
        blocks.append(section("\n".join(lines)))
    return f"Status of {provider.name}", fit(blocks)


def gaps_blocks(provider: ProviderMatch, statuses: Sequence[ClientStatus]) -> tuple[str, list[Block]]:
    """`gaps <provider>`: the gaps of the latest certificate per client and set."""
    blocks: list[Block] = [header(f"Gaps: {provider.name}")]
    for st in statuses:
        latest = (st.drafts + st.pending + st.effective_now + st.rejected)
        latest.sort(key=lambda ln: ln.created_at, reverse=True)
        shown = latest[:1] + st.future
        if not shown:
            blocks.append(section(f"*{esc(st.client_name)}*: no certificate on file."))
        for ln in shown:
            where = (f"*{esc(st.client_name)}*, set *{esc(ln.set_name)}*, "
                     f"#{ln.submission_id} ({ln.status.value})")
            if ln.gaps:
                blocks.append(section(f"{where}: {len(ln.gaps)} gap(s)\n{gap_lines(ln.gaps)}"))
            else:
                blocks.append(section(f"{where}: no gaps"))
    if len(blocks) == 1:
        blocks.append(section("No client and no certificate on file for this provider."))
    return f"Gaps of {provider.name}", fit(blocks)


def expiring_blocks(items: Sequence[Expiration], days: int) -> tuple[str, list[Block]]:
    text = f"{len(items)} polic{'y' if len(items) == 1 else 'ies'} expiring within {days} days"
    if not items:
        return text, [section(f"Nothing on an approved certificate expires within {days} days.")]
    lines = [f"• {day(e.expiration_date)} ({e.days_left} days): *{esc(e.provider_name or '?')}* "
             f"{esc(e.coverage)} {esc(e.policy_number or '')} for {esc(e.client_name)}" for e in items]
    return text, fit([header(f"Expiring within {days} days"), *_chunks(lines)])


def pending_blocks(items: Sequence[PendingItem]) -> tuple[str, list[Block]]:
    text = f"{len(items)} certificate(s) waiting for a decision"
    if not items:
        return text, [section("Nothing is waiting for a decision.")]
    lines = [f"• #{p.submission_id} *{esc(p.provider_name or '?')}* for {esc(p.client_name)} "
             f"(set {esc(p.set_name)}, " + ("compliant" if p.check_status == "compliant"
                                            else f"{p.gap_count} gap(s)")
             + f", since {day(p.submitted_at.date())})" for p in items]
    return text, fit([header("Waiting for a decision"), *_chunks(lines)])


def client_blocks(summary: ClientSummary) -> tuple[str, list[Block]]:
    c = summary.counts
    text = f"{summary.client_name}: {c.get('effective', 0)} of {len(summary.providers)} providers effective"
    blocks: list[Block] = [
        header(f"Client: {summary.client_name}"),
        section(" · ".join(f"{k.capitalize()}: *{v}*" for k, v in c.items())),
    ]
    icon = {"effective": ":white_check_mark:", "pending": ":hourglass:", "draft": ":warning:",
            "rejected": ":x:", "missing": ":grey_question:"}
    lines = [f"{icon.get(p.state, '')} *{esc(p.provider_name)}*: {p.state}"
             + (f", next expiration {day(p.next_expiration)}" if p.next_expiration else "")
             for p in summary.providers]
    blocks.extend(_chunks(lines or ["No providers on file for this client."]))
    if summary.expiring:
        blocks.append(context(f"{len(summary.expiring)} polic(ies) expire within 30 days."))
    return text, fit(blocks)


def _chunks(lines: Sequence[str]) -> list[Block]:
    """Lines packed into as few sections as the text limit allows."""
    out: list[Block] = []
    buf = ""
    for line in lines:
        if buf and len(buf) + len(line) + 1 > MAX_TEXT:
            out.append(section(buf))
            buf = ""
        buf = f"{buf}\n{line}" if buf else line
    if buf:
        out.append(section(buf))
    return out


# ------------------------------------------------------------------ App Home


def home_view(slack_user: str, counts: dict[str, int], expiring_soon: Sequence[Expiration],
              waiting: Sequence[PendingItem], activity: Sequence[Activity]) -> dict[str, Any]:
    """The App Home dashboard for one user."""
    blocks: list[Block] = [
        header("Certificates of insurance"),
        section(" · ".join(f"{k.capitalize()}: *{v}*" for k, v in counts.items())),
        divider(),
        section(f"*Waiting for your decision* ({len(waiting)})"),
    ]
    if waiting:
        blocks.extend(_chunks([f"• #{p.submission_id} *{esc(p.provider_name or '?')}* "
                               f"for {esc(p.client_name)} (since {day(p.submitted_at.date())})"
                               for p in waiting[:20]]))
    else:
        blocks.append(context("Nothing waits for you."))
    blocks.append(section(f"*Expiring within 30 days* ({len(expiring_soon)})"))
    if expiring_soon:
        blocks.extend(_chunks([f"• {day(e.expiration_date)}: *{esc(e.provider_name or '?')}* "
                               f"{esc(e.coverage)} for {esc(e.client_name)}" for e in expiring_soon[:20]]))
    else:
        blocks.append(context("Nothing expires within 30 days."))
    blocks.append(section("*Last activity*"))
    if activity:
        blocks.extend(_chunks([f"• {day(a.at)}: #{a.submission_id} {esc(a.action)} by {user(a.actor)}"
                               for a in activity]))
    else:
        blocks.append(context("No activity yet."))
    return {"type": "home", "blocks": fit(blocks)}

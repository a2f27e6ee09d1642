"""`coibot remind [--dry-run] [--as-of DATE]`: what time makes due today, and why."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from sqlmodel import Session

from coibot import models as m
from coibot.cli.common import CONFIG_OPTION, console, open_database, settings_from
from coibot.cli.serve_cmd import with_demo_site
from coibot.config import Settings
from coibot.lifecycle import DayReport, run_day
from coibot.reminders import Due, compose


def load_settings(config: Path | None) -> Settings:
    """The configuration as `coibot serve` sees it (the demo site when there is no file)."""
    return with_demo_site(settings_from(config))


def parse_day(value: str | None, settings: Settings, option: str = "--as-of") -> date:
    """A YYYY-MM-DD option, or today in the configured reminder time zone."""
    if value is None:
        return datetime.now(ZoneInfo(settings.reminders.timezone)).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        msg = f"{value!r} is not a date in the form YYYY-MM-DD"
        raise typer.BadParameter(msg, param_hint=option) from None


def _item(session: Session, settings: Settings, d: Due, as_of: date) -> dict[str, Any]:
    provider = session.get(m.Provider, d.provider_id)
    message = compose(session, settings, d, as_of)
    return {
        "key": d.key, "kind": "escalation" if d.escalate else d.kind, "milestone": d.milestone,
        "client": d.client_id, "provider": provider.key if provider else d.provider_id,
        "provider_name": provider.name if provider else "", "deadline": d.deadline.isoformat(),
        "days_left": d.days_left, "policy_id": d.policy_id, "submission_id": d.submission_id,
        "why": d.why(), "to": message.to if message else [], "cc": message.cc if message else [],
        "subject": message.subject if message else None, "slack": bool(message and message.slack),
    }


def _payload(session: Session, settings: Settings, report: DayReport, dry_run: bool) -> dict[str, Any]:
    items = report.due if dry_run else report.sent
    return {
        "as_of": report.as_of.isoformat(), "dry_run": dry_run,
        "messages": [_item(session, settings, d, report.as_of) for d in items],
        "expired": report.lifecycle.expired,
        "rechecked": [{"submission_id": s, "requirement_set_id": v, "status": st}
                      for s, v, st in report.lifecycle.rechecked],
        "needs_review": report.needs_review,
    }


def _print(payload: dict[str, Any]) -> None:
    verb = "would be sent" if payload["dry_run"] else "enqueued"
    head = f"Reminders for {payload['as_of']}"
    note = " (dry run: nothing is sent or changed)" if payload["dry_run"] else ""
    console.print(f"[bold]{head}[/]{note}", highlight=False)
    for item in payload["messages"]:
        who = ", ".join(item["to"]) or "(no e-mail)"
        if item["cc"]:
            who += f"; cc {', '.join(item['cc'])}"
        if item["slack"]:
            who += "; Slack: approvers and staff"
        console.print(f"  {escape(item['client'])}  {escape(item['provider_name'])}  {escape(item['why'])}",
                      highlight=False)
        console.print(f"      to {escape(who)}", highlight=False)
    for sid in payload["expired"]:
        console.print(f"  submission {sid}: Effective Now -> expired (a required policy lapsed)",
                      highlight=False)
    for r in payload["rechecked"]:
        console.print(f"  submission {r['submission_id']}: re-checked against the set now in effect: "
                      f"{r['status']}", highlight=False)
    for sid in payload["needs_review"]:
        console.print(f"  submission {sid}: needs review, posted to staff", highlight=False)
    console.print(f"{len(payload['messages'])} message(s) {verb}.", highlight=False)


def remind(
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be sent and why; change nothing."),
    as_of: str | None = typer.Option(None, "--as-of", help="Decide for the day (YYYY-MM-DD), default today."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Decide which renewal reminders, certificate requests and escalations are due, and enqueue them.

    The scheduler inside `coibot serve` does this every day; this command is for a look ahead
    (--dry-run --as-of 2026-12-01) or a run by hand. Each message is sent at most once ever.
    """
    settings = load_settings(config)
    day = parse_day(as_of, settings)
    engine = open_database(settings)
    with Session(engine, expire_on_commit=False) as session:
        try:
            report = run_day(session, settings, day, actor="cli")
            payload = _payload(session, settings, report, dry_run)
            if dry_run:
                session.rollback()  # the preview ran the real decision; nothing of it is kept
            else:
                session.commit()
        except BaseException:
            session.rollback()
            raise
    if as_json:
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        _print(payload)


def register(app: typer.Typer) -> None:
    app.command("remind")(remind)

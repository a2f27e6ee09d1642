"""`coibot review SUBMISSION_ID [--set FIELD=VALUE ...]`: check a certificate the reader was unsure of."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import typer
from rich.markup import escape
from sqlmodel import Session, col, select

from coibot import models as m
from coibot import workflow
from coibot.cli.common import CONFIG_OPTION, console, open_database
from coibot.cli.remind_cmd import load_settings, parse_day
from coibot.db import session_scope
from coibot.review import apply_review, what_to_check


def _show(engine_session: Session, submission_id: int) -> None:
    sub = workflow.get_submission(engine_session, submission_id)
    cert = engine_session.get(m.Certificate, sub.certificate_id)
    head = f"[bold]Submission {submission_id}[/]: {sub.status}, check {sub.check_status}"
    console.print(head, highlight=False)
    for item in what_to_check(sub, cert):
        console.print(f"  check: {escape(item)}", highlight=False)
    policies = engine_session.exec(select(m.Policy).where(m.Policy.certificate_id == sub.certificate_id)
                                   .order_by(col(m.Policy.position))).all()
    extraction = (cert.extraction or {}) if cert else {}
    for pol in policies:
        row = (extraction.get("policies") or [{}] * (pol.position + 1))[pol.position]
        conf = row.get("confidence") if isinstance(row, dict) else None
        console.print(
            f"  policies[{pol.position}]: {pol.coverage} {pol.policy_number or '(no number)'} "
            f"{pol.effective_date or '?'} to {pol.expiration_date or '?'}"
            + (f", confidence {conf:.0%}" if isinstance(conf, int | float) else "")
            + f", limits {json.dumps(pol.limits or {})}", highlight=False)


def review(
    submission_id: int = typer.Argument(..., help="The submission to review (from the needs-review post)."),
    assignments: list[str] = typer.Option(
        [], "--set", help="A corrected field, e.g. policies[0].expiration_date=2027-01-01 (repeatable)."),
    by: str | None = typer.Option(None, "--by", help="Who corrects (for the audit log); default your login."),
    as_of: str | None = typer.Option(None, "--as-of", help="Check as of this day (YYYY-MM-DD)."),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Show what to check on a certificate, or correct fields and run the check again.

    Without --set, prints the fields the reader was unsure of. With --set, stores the corrections
    (audited), re-checks every open submission of the certificate, and sends a now compliant one
    to the client's approvers.
    """
    settings = load_settings(config)
    engine = open_database(settings)
    if not assignments:
        with Session(engine) as session:
            _show(session, submission_id)
        return
    actor = by or f"cli:{getpass.getuser()}"
    with session_scope(engine) as session:
        day = parse_day(as_of, settings)
        result = apply_review(session, settings, submission_id, assignments, actor, day)
    for change in result.changes:
        console.print(f"  {change['field']}: {change['old']!r} -> {change['new']!r}", highlight=False)
    for sid, check, status in result.rechecked:
        console.print(f"  submission {sid}: check {check}, now {status}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("review")(review)

"""`coibot status [PROVIDER | --client ID] [--json]`: Effective Now, Pending, Rejected, Future per client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from sqlmodel import Session, col, select

from coibot import models as m
from coibot.cli.common import CONFIG_OPTION, console, open_database
from coibot.cli.remind_cmd import load_settings, parse_day
from coibot.errors import CoibotError
from coibot.queries import ClientStatus, SubmissionLine, find_providers, provider_status


class UnknownProviderError(CoibotError):
    exit_code = 2


def _line(ln: SubmissionLine) -> dict[str, Any]:
    return {
        "submission_id": ln.submission_id, "status": ln.status.value, "set": ln.set_name,
        "set_effective_from": ln.set_effective_from.isoformat(), "check_status": ln.check_status,
        "gaps": [g.get("message") for g in ln.gaps], "insured": ln.insured_name,
        "decided_by": ln.decided_by, "reason": ln.reason,
        "policies": [{"coverage": p.label, "policy_number": p.policy_number, "carrier": p.carrier,
                      "expiration_date": p.expiration_date.isoformat() if p.expiration_date else None}
                     for p in ln.policies],
    }


def _client(provider_key: str, provider_name: str, cs: ClientStatus) -> dict[str, Any]:
    return {
        "provider": provider_key, "provider_name": provider_name, "client": cs.client_id,
        "client_name": cs.client_name,
        "effective_now": [_line(x) for x in cs.effective_now], "pending": [_line(x) for x in cs.pending],
        "drafts": [_line(x) for x in cs.drafts], "rejected": [_line(x) for x in cs.rejected],
        "future": [_line(x) for x in cs.future],
        "next_expirations": [{"coverage": e.coverage, "policy_number": e.policy_number,
                              "expiration_date": e.expiration_date.isoformat(), "days_left": e.days_left}
                             for e in cs.next_expirations],
    }


def _policies(ln: dict[str, Any]) -> str:
    parts = [f"{p['coverage']} {p['policy_number'] or ''} to {p['expiration_date'] or '?'}".replace("  ", " ")
             for p in ln["policies"]]
    return "; ".join(parts) or "no policies read"


def _print(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        console.print(f"[bold]{escape(row['provider_name'])}[/] for [bold]{escape(row['client_name'])}[/]",
                      highlight=False)
        if row["effective_now"]:
            for ln in row["effective_now"]:
                console.print(f"  Effective Now: #{ln['submission_id']} ({escape(ln['set'])}) "
                              f"{escape(_policies(ln))}", highlight=False)
        else:
            console.print("  Effective Now: [red]none[/]", highlight=False)
        for ln in row["pending"]:
            console.print(f"  Pending: #{ln['submission_id']} ({escape(ln['set'])}), "
                          f"{len(ln['gaps'])} gap(s)", highlight=False)
        for ln in row["drafts"]:
            console.print(f"  Draft: #{ln['submission_id']} ({escape(ln['set'])}), {ln['check_status']}, "
                          f"{len(ln['gaps'])} gap(s)", highlight=False)
        for ln in row["rejected"]:
            reason = escape(ln["reason"] or "")
            console.print(f"  Rejected: #{ln['submission_id']}: {reason}", highlight=False)
        for ln in row["future"]:
            console.print(f"  Future (from {ln['set_effective_from']}): #{ln['submission_id']} "
                          f"{ln['status']}, {ln['check_status']}, {len(ln['gaps'])} gap(s)", highlight=False)
        for e in row["next_expirations"]:
            what = escape(f"{e['coverage']} {e['policy_number'] or ''}".strip())
            line = f"  expires {e['expiration_date']} ({e['days_left']} days): {what}"
            console.print(line, highlight=False)


def status(
    provider: str | None = typer.Argument(None, help="A provider's name or key (closest match)."),
    client_id: str | None = typer.Option(None, "--client", help="Only this client's providers."),
    as_of: str | None = typer.Option(None, "--as-of", help="Report for this day (YYYY-MM-DD)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Where each provider stands with each client: Effective Now, Pending, Draft, Rejected, Future."""
    settings = load_settings(config)
    day = parse_day(as_of, settings)
    engine = open_database(settings)
    rows: list[dict[str, Any]] = []
    with Session(engine) as session:
        if provider is not None:
            found = find_providers(session, provider, limit=1)
            if not found:
                raise UnknownProviderError(f"no provider matches {provider!r}")
            targets = [(found[0].key, found[0].name)]
        else:
            providers = session.exec(select(m.Provider).where(col(m.Provider.active))
                                     .order_by(col(m.Provider.name))).all()
            targets = [(p.key, p.name) for p in providers]
        if client_id is not None and session.get(m.Client, client_id) is None:
            raise UnknownProviderError(f"no client {client_id!r} on file")
        for key, name in targets:
            for cs in provider_status(session, key, day):
                if client_id is None or cs.client_id == client_id:
                    rows.append(_client(key, name, cs))
    if as_json:
        typer.echo(json.dumps({"as_of": day.isoformat(), "status": rows}, indent=2, ensure_ascii=False))
    elif not rows:
        console.print("nothing on file", highlight=False)
    else:
        _print(rows)


def register(app: typer.Typer) -> None:
    app.command("status")(status)

"""`coibot check FILE --client ID`: a certificate against a client's requirements, as a gap report."""

from __future__ import annotations

import importlib
import json
import logging
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from coibot.check import check_all_sets, check_certificate, load_ratings_csv
from coibot.errors import CoibotError, ExtractionError, RequirementsError
from coibot.requirements import ClientRequirements, load_requirements_file

log = logging.getLogger(__name__)
out_console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False)

_STATUS_STYLE = {"compliant": "bold green", "deficient": "bold red", "needs_review": "bold yellow"}
_STATUS_WORDS = {
    "compliant": "COMPLIANT - meets every requirement",
    "deficient": "DEFICIENT - the certificate does not meet the requirements below",
    "needs_review": "NEEDS REVIEW - something could not be read; a person must check it",
}


def _parse_as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date in the form YYYY-MM-DD", param_hint="--as-of"
        ) from None


def _is_extraction(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("policies"), list)


def _load_extractions(path: Path) -> list[dict[str, Any]]:
    """An extraction JSON file (one object, or a list as `coibot extract --json` prints for several)
    as is; any other file is read by the certificate reader, which may find several certificates."""
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ExtractionError("unreadable_file", f"{path}: cannot read the file: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise ExtractionError("invalid_extraction", f"{path}: not valid JSON: {exc}") from exc
        items = data if isinstance(data, list) and data else [data]
        if not all(_is_extraction(item) for item in items):
            raise ExtractionError(
                "invalid_extraction", f"{path}: not an extraction (a JSON object with a `policies` list)"
            )
        return list(items)
    # The reader runs in an isolated child and pulls in PDF/OCR libraries: load it only when needed.
    try:
        reader = importlib.import_module("coibot.extract.isolate")
    except ImportError as exc:
        raise ExtractionError(
            "reader_unavailable", f"the certificate reader is not available: {exc}"
        ) from exc
    result = reader.extract_isolated(path)
    certificates = [result] if isinstance(result, dict) else list(result or [])
    if not certificates or not all(_is_extraction(c) for c in certificates):
        raise ExtractionError("no_certificate", f"{path}: no certificate of insurance was found in the file")
    return certificates


def _clients(
    requirements: Path | None, config: Path | None, provider: str | None
) -> tuple[list[ClientRequirements], str, str | None, list[tuple[str, str]]]:
    """The clients, where they came from, the provider's name (a configured provider id resolves) and
    the configured providers as (key, name), which waivers naming a provider by id resolve against."""
    if requirements is not None:
        return load_requirements_file(requirements).clients, str(requirements), provider, []
    from coibot.config import load_config  # the configuration pulls in the database layer

    settings = load_config(config)
    if provider:
        known = next((p for p in settings.providers if provider in (p.key, p.id)), None)
        if known is not None:
            provider = known.name
    return list(settings.clients), settings.source, provider, settings.provider_pairs()


def _find_client(clients: list[ClientRequirements], client_id: str, source: str) -> ClientRequirements:
    found = next((c for c in clients if c.id == client_id), None)
    if found is not None:
        return found
    known = ", ".join(sorted(c.id for c in clients)) or "none"
    raise RequirementsError(f"unknown client {client_id!r} in {source}; known client ids: {known}")


def _print_report(report: dict[str, Any], client: ClientRequirements) -> None:
    cert = report.get("certificate") or {}
    insured = (cert.get("insured") or {}).get("name") or "(named insured not read)"
    source = (cert.get("source") or {}).get("file") or "certificate"
    as_of = date.fromisoformat(report["as_of"])
    status = report["status"]
    out_console.print(f"[bold]{escape(str(source))}[/] - insured: {escape(str(insured))}")
    out_console.print(
        f"Checked against {escape(client.name)} ({escape(client.id)}), requirement set "
        f"[bold]{escape(str(report['requirement_set']))}[/], as of {as_of:%B} {as_of.day}, {as_of.year}"
    )
    out_console.print(f"[{_STATUS_STYLE[status]}]{_STATUS_WORDS[status]}[/]")
    for i, gap in enumerate(report["gaps"], start=1):
        out_console.print(f"  {i}. {escape(str(gap['message']))}")
    waived = report.get("waived") or []
    if waived:
        out_console.print("Waived by the client:")
        for item in waived:
            until = f" until {item['until']}" if item.get("until") else ""
            out_console.print(
                f"  - {escape(str(item['message']))} (waived by {escape(item['waived_by'])}{until}: "
                f"{escape(item['reason'])})"
            )
    out_console.print()


def check(
    file: Path = typer.Argument(
        ..., help="A certificate (PDF or image) or an extraction JSON file.", dir_okay=False
    ),
    client_id: str = typer.Option(..., "--client", help="The client id whose requirements apply."),
    requirements: Path | None = typer.Option(
        None,
        "--requirements",
        help="A requirements file (default: the clients in the configuration).",
        dir_okay=False,
    ),
    config: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        help="Configuration file holding the clients (when --requirements is not given).",
        dir_okay=False,
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Check as of this date, YYYY-MM-DD (default today); it picks the current set."
    ),
    provider: str | None = typer.Option(
        None,
        "--provider",
        help="The provider on file (a name, or a provider id from the configuration): the named insured must "
        "be this party, and the client's waivers for it apply.",
    ),
    all_sets: bool = typer.Option(False, "--all-sets", help="Also check each future requirement set."),
    ratings: Path | None = typer.Option(
        None, "--ratings", help="CSV of insurer ratings (naic, name, rating, financial_size).", dir_okay=False
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the gap report as JSON (a list with --all-sets)."
    ),
) -> None:
    """Check a certificate against a client's requirements and list every gap.

    Exit code 0 whatever the status (the status is in the output); 2 for a bad requirements
    file or unknown client, 4 for a certificate that cannot be read. A file holding several
    certificates gets one report per certificate (a JSON list).
    """
    day = _parse_as_of(as_of)
    try:
        clients, source, provider, providers = _clients(requirements, config, provider)
        client = _find_client(clients, client_id, source)
        table = load_ratings_csv(ratings) if ratings is not None else None
        current = client.current_set(day)
        if current is None and not all_sets:
            first = min(s.effective_from for s in client.requirement_sets)
            raise RequirementsError(
                f"client {client_id!r} has no requirement set in effect on {day}; the first starts on "
                f"{first} (use --all-sets or a later --as-of)"
            )
        extractions = _load_extractions(file)
        reports: list[dict[str, Any]] = []
        for extraction in extractions:
            if all_sets:
                reports += check_all_sets(extraction, client, day, provider, table, providers)
            elif current is not None:
                report = check_certificate(extraction, client, current, day, provider, table, providers)
                reports.append(report)
    except CoibotError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(exc.exit_code) from None
    if as_json:
        # One object for one certificate and one set, as the contract shows; a list otherwise.
        payload: Any = reports if all_sets or len(reports) != 1 else reports[0]
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    for report in reports:
        _print_report(report, client)


def register(app: typer.Typer) -> None:
    app.command("check")(check)

"""`coibot extract FILE [FILE...] [--json]`: read certificates (in an isolated child) and print them."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from coibot.errors import ExtractionError

log = logging.getLogger(__name__)
out_console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False)


def _read(path: Path) -> list[dict[str, Any]]:
    # Imported here: the isolation module pulls in multiprocessing machinery other commands never need.
    from coibot.extract.isolate import extract_isolated

    return extract_isolated(path)


def _error_object(exc: ExtractionError, path: Path) -> dict[str, Any]:
    return {"source": {"file": path.name}, "error": {"code": exc.code, "message": exc.message}}


def _money(value: Any) -> str:
    return f"${value:,}" if isinstance(value, int) else "-" if value is None else str(value)


def _print_summary(path: Path, cert: dict[str, Any]) -> None:
    src = cert.get("source") or {}
    out_console.print(
        f"[bold]{escape(path.name)}[/] - {escape(str(cert.get('form') or '?'))}, "
        f"{src.get('pages') or '?'} page(s), read by {escape(str(src.get('method') or '?'))}"
    )
    producer = cert.get("producer") or {}
    insured = cert.get("insured") or {}
    holder = cert.get("certificate_holder") or {}
    for label, value in (
        ("Certificate date", cert.get("certificate_date")),
        ("Producer", producer.get("name")),
        ("Insured", insured.get("name")),
        ("Holder", holder.get("name")),
    ):
        out_console.print(f"  {label}: {escape(str(value)) if value else '[dim]not found[/]'}")
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("Coverage", "Carrier", "Policy", "Effective", "Expires", "Limits", "Conf."):
        table.add_column(column)
    for policy in cert.get("policies") or []:
        limits = policy.get("limits") or {}
        table.add_row(
            escape(str(policy.get("coverage_name") or policy.get("coverage") or "?")),
            escape(str(policy.get("carrier") or "-")),
            escape(str(policy.get("policy_number") or "-")),
            str(policy.get("effective_date") or "-"),
            str(policy.get("expiration_date") or "-"),
            escape(", ".join(f"{k} {_money(v)}" for k, v in limits.items())) or "-",
            f"{policy['confidence']:.2f}" if isinstance(policy.get("confidence"), int | float) else "-",
        )
    if table.row_count:
        out_console.print(table)
    else:
        out_console.print("  [yellow]No policies found.[/]")
    for warning in cert.get("warnings") or []:
        out_console.print(f"  [yellow]warning:[/] {escape(str(warning))}")


def extract(
    files: list[Path] = typer.Argument(..., help="Certificate files (PDF, PNG, JPEG, TIFF).", dir_okay=False),
    as_json: bool = typer.Option(False, "--json", help="Print the extraction as contract JSON."),
) -> None:
    """Read certificates of insurance and print what they say."""
    outputs: list[dict[str, Any]] = []
    failed = 0
    for path in files:
        try:
            certificates = _read(path)
        except ExtractionError as exc:
            failed += 1
            log.info("cannot read %s: %s", path, exc)
            if as_json:
                outputs.append(_error_object(exc, path))
            else:
                err_console.print(
                    f"[bold red]{escape(path.name)}:[/] cannot be read ({exc.code}): {escape(exc.message)}"
                )
            continue
        if as_json:
            outputs.extend(certificates)
        else:
            for cert in certificates:
                _print_summary(path, cert)
    if as_json:
        # One file with one certificate: the object itself; anything else: an array.
        payload: Any = outputs[0] if len(files) == 1 and len(outputs) == 1 else outputs
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    if failed:
        raise typer.Exit(ExtractionError.exit_code)


def register(app: typer.Typer) -> None:
    app.command("extract")(extract)

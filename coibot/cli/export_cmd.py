"""`coibot export --csv [FILE]`: one row per provider x client x required coverage, with status and expiry."""

from __future__ import annotations

import csv
import io
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import typer
from sqlmodel import Session, col, select

from coibot import models as m
from coibot.cli.common import CONFIG_OPTION, console, open_database
from coibot.cli.remind_cmd import load_settings, parse_day
from coibot.lifecycle import current_versions
from coibot.models import SubmissionStatus as S
from coibot.reminders import coverage_label, requires

# Which submission speaks for a coverage when a provider has several: the best standing wins.
Pair = tuple[m.Submission, m.RequirementSetVersion]
_RANK = {S.APPROVED: 0, S.PENDING: 1, S.DRAFT: 2, S.EXPIRED: 3, S.REJECTED: 4}


@dataclass
class ExportRow:
    provider: str
    provider_name: str
    client: str
    client_name: str
    requirement_set: str
    set_effective_from: str
    set_is: str
    coverage: str
    status: str
    submission_id: int | None
    policy_number: str | None
    carrier: str | None
    expiration_date: str | None
    days_left: int | None


def export_rows(session: Session, as_of: date) -> list[ExportRow]:
    """Every active provider-client link x set in effect or future x required coverage, four queries."""
    links = session.exec(
        select(m.ProviderClient, m.Provider, m.Client)
        .join(m.Provider, col(m.Provider.id) == col(m.ProviderClient.provider_id))
        .join(m.Client, col(m.Client.id) == col(m.ProviderClient.client_id))
        .where(col(m.ProviderClient.active), col(m.Provider.active), col(m.Client.active))
        .order_by(col(m.Provider.name), col(m.Client.id))
    ).all()
    current = current_versions(session, as_of)
    versions = session.exec(select(m.RequirementSetVersion).where(
        col(m.RequirementSetVersion.is_latest), col(m.RequirementSetVersion.active))).all()
    targets: dict[str, list[m.RequirementSetVersion]] = defaultdict(list)
    for v in sorted(versions, key=lambda v: v.effective_from):
        cur = current.get(v.client_id)
        if v.effective_from > as_of or (cur is not None and v.id == cur.id):
            targets[v.client_id].append(v)
    subs = session.exec(
        select(m.Submission, m.RequirementSetVersion)
        .join(m.RequirementSetVersion,
              col(m.RequirementSetVersion.id) == col(m.Submission.requirement_set_id))
        .where(col(m.Submission.status) != S.SUPERSEDED)
    ).all()
    by_pair: dict[tuple[int | None, str], list[Pair]] = defaultdict(list)
    for sub, ver in subs:
        by_pair[(sub.provider_id, sub.client_id)].append((sub, ver))
    cert_ids = sorted({sub.certificate_id for sub, _ in subs})
    policies: dict[int, list[m.Policy]] = defaultdict(list)
    if cert_ids:
        for pol in session.exec(select(m.Policy).where(col(m.Policy.certificate_id).in_(cert_ids))).all():
            policies[pol.certificate_id].append(pol)
    rows: list[ExportRow] = []
    for _link, prov, client in links:
        for target in targets.get(client.id, []):
            future = target.effective_from > as_of
            mine = [(s, v) for s, v in by_pair.get((prov.id, client.id), [])
                    if (v.name == target.name if future else v.effective_from <= target.effective_from)]
            for key, req in (target.spec.get("coverages") or {}).items():
                rows.append(_row(prov, client, target, future, key, req or {}, mine, policies, as_of))
    return rows


def _row(prov: m.Provider, client: m.Client, target: m.RequirementSetVersion, future: bool, key: str,
         req: dict[str, Any], mine: list[Pair],
         policies: dict[int, list[m.Policy]], as_of: date) -> ExportRow:
    kind = req.get("coverage") or key
    label = coverage_label(kind, req.get("coverage_name"))
    spec = {"coverages": {key: req}}
    best: tuple[int, int, m.Submission, m.Policy | None] | None = None
    for sub, _ver in mine:
        rank = _RANK.get(S(sub.status))
        if rank is None:
            continue
        shown = [p for p in policies.get(sub.certificate_id, [])
                 if requires(spec, p.coverage, p.coverage_name)]
        pol = max(shown, key=lambda p: p.expiration_date or date.min) if shown else None
        candidate = (rank if pol is not None else rank + 10, -(sub.id or 0), sub, pol)
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    base = {"provider": prov.key, "provider_name": prov.name, "client": client.id, "client_name": client.name,
            "requirement_set": target.name, "set_effective_from": target.effective_from.isoformat(),
            "set_is": "future" if future else "current", "coverage": label}
    if best is None:
        return ExportRow(**base, status="missing", submission_id=None, policy_number=None, carrier=None,
                         expiration_date=None, days_left=None)
    _, _, sub, pol = best
    status = {S.APPROVED: "effective", S.PENDING: "pending", S.DRAFT: "draft", S.EXPIRED: "expired",
              S.REJECTED: "rejected"}[S(sub.status)]
    if pol is None:
        status = f"{status}: coverage not on the certificate"
    elif status == "effective" and pol.expiration_date is not None and pol.expiration_date < as_of:
        status = "expired"
    exp = pol.expiration_date if pol is not None else None
    return ExportRow(**base, status=status, submission_id=sub.id,
                     policy_number=pol.policy_number if pol else None, carrier=pol.carrier if pol else None,
                     expiration_date=exp.isoformat() if exp else None,
                     days_left=(exp - as_of).days if exp else None)


def export(
    file: Path | None = typer.Argument(None, help="Write here (default: standard output).", dir_okay=False),
    as_csv: bool = typer.Option(False, "--csv", help="CSV with a header row (the only format)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Report for this day (YYYY-MM-DD)."),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """One row per provider x client x required coverage: status (effective, pending, draft, rejected,
    expired, missing) and the policy's expiration, for the current set and every future one.
    """
    if not as_csv:
        raise typer.BadParameter("choose a format: --csv", param_hint="--csv")
    settings = load_settings(config)
    day = parse_day(as_of, settings)
    engine = open_database(settings)
    with Session(engine) as session:
        rows = export_rows(session, day)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(ExportRow.__dataclass_fields__), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(asdict(row))
    if file is None:
        sys.stdout.write(buf.getvalue())
    else:
        file.write_text(buf.getvalue(), encoding="utf-8")
        console.print(f"wrote {len(rows)} row(s) to {file}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("export")(export)

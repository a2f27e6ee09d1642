"""What every rule needs: the client, the set, the date, and the certificate's policies read once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from coibot.errors import ExtractionError
from coibot.requirements import ClientRequirements, RequirementSet

# A policy whose reader confidence is below this is not trusted for any requirement.
MIN_CONFIDENCE = 0.8


@lru_cache(maxsize=8192)
def _iso(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def as_date(value: Any) -> date | None:
    """An ISO date string as a date; anything else (null, garbage) as None, i.e. unreadable."""
    return _iso(value) if isinstance(value, str) and len(value) == 10 else None


def as_amount(value: Any) -> int | None:
    """A whole-dollar amount; strings, floats and negatives are not amounts."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


@dataclass(slots=True)
class Policy:
    """One policy row of the extraction, with typed fields (None = not read)."""

    index: int
    coverage: str
    coverage_name: str | None
    number: str | None
    effective: date | None
    expiration: date | None
    basis: str | None
    additional_insured: bool | None
    waiver_of_subrogation: bool | None
    statutory: bool | None
    limits: dict[str, Any]
    confidence: float | None
    naic: str | None
    carrier: str | None

    def in_force(self, on: date) -> bool:
        """Readable dates that cover `on` (a policy expiring on `on` still covers that day)."""
        return (
            self.effective is not None
            and self.expiration is not None
            and self.effective <= on <= self.expiration
        )

    @property
    def low_confidence(self) -> bool:
        """The reader flagged this row as uncertain."""
        return self.confidence is not None and self.confidence < MIN_CONFIDENCE


def _flag(row: dict[str, Any], key: str, absent: bool | None) -> bool | None:
    if key not in row:
        return absent
    value = row[key]
    return value if isinstance(value, bool) else None


def read_policies(extraction: dict[str, Any]) -> list[Policy]:
    """The extraction's policies; insurer NAIC and name filled from the insurer letter when missing."""
    rows = extraction.get("policies")
    if not isinstance(rows, list):
        raise ExtractionError("invalid_extraction", "the extraction has no `policies` list")
    insurers: dict[str, dict[str, Any]] = {}
    naic_by_name: dict[str, str] = {}
    for ins in extraction.get("insurers") or []:
        if not isinstance(ins, dict):
            continue
        if isinstance(ins.get("letter"), str):
            insurers[ins["letter"]] = ins
        # Insurer layouts have no letters: the NAIC is found by the carrier's name instead.
        if isinstance(ins.get("name"), str) and isinstance(ins.get("naic"), str):
            naic_by_name[ins["name"].casefold()] = ins["naic"]
    out: list[Policy] = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not isinstance(row.get("coverage"), str):
            raise ExtractionError("invalid_extraction", f"policies[{i}] is not a policy with a coverage")
        ins = insurers.get(row.get("insurer_letter") or "", {})
        limits = row.get("limits")
        conf = row.get("confidence")
        carrier = _text(row.get("carrier")) or _text(ins.get("name"))
        out.append(
            Policy(
                index=i,
                coverage=row["coverage"],
                coverage_name=_text(row.get("coverage_name")),
                number=_text(row.get("policy_number")),
                effective=as_date(row.get("effective_date")),
                expiration=as_date(row.get("expiration_date")),
                basis=row.get("basis") if row.get("basis") in ("occurrence", "claims_made") else None,
                additional_insured=_flag(row, "additional_insured", None),
                waiver_of_subrogation=_flag(row, "waiver_of_subrogation", None),
                # The contract omits `statutory` when PER STATUTE is not marked.
                statutory=_flag(row, "statutory", False),
                limits=limits if isinstance(limits, dict) else {},
                confidence=float(conf)
                if isinstance(conf, (int, float)) and not isinstance(conf, bool)
                else None,
                naic=_text(row.get("naic"))
                or _text(ins.get("naic"))
                or (naic_by_name.get(carrier.casefold()) if carrier else None),
                carrier=carrier,
            )
        )
    return out


@dataclass(slots=True)
class CheckContext:
    """The inputs of one check of one certificate against one requirement set."""

    client: ClientRequirements
    rs: RequirementSet
    as_of: date
    extraction: dict[str, Any]
    policies: list[Policy]
    provider: str | None = None

    @property
    def client_name(self) -> str:
        """How messages name the client."""
        return self.client.name

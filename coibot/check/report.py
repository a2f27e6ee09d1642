"""The gap and report objects of the contract's gap-report.schema.json."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

GapCode = Literal[
    "coverage_missing",
    "limit_below_minimum",
    "basis_mismatch",
    "policy_expired",
    "not_yet_effective",
    "expires_within_window",
    "additional_insured_missing",
    "waiver_of_subrogation_missing",
    "statutory_missing",
    "primary_noncontributory_missing",
    "insurer_rating_below_minimum",
    "certificate_holder_mismatch",
    "description_missing_text",
    "insured_mismatch",
    "unreadable",
]
Status = Literal["compliant", "deficient", "needs_review"]


@dataclass(frozen=True, slots=True)
class Gap:
    """One unmet requirement; `required`/`found` are JSON values (numbers, text, booleans, ISO dates)."""

    code: GapCode
    coverage: str | None
    field: str | None
    required: Any
    found: Any
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The contract's gap object."""
        return {
            "code": self.code,
            "coverage": self.coverage,
            "field": self.field,
            "required": self.required,
            "found": self.found,
            "message": self.message,
        }


def status_of(gaps: list[Gap]) -> Status:
    """needs_review when anything could not be read, else deficient with gaps, else compliant."""
    if any(g.code == "unreadable" for g in gaps):
        return "needs_review"
    return "deficient" if gaps else "compliant"


def build_report(
    client_id: str,
    set_name: str | None,
    as_of: date,
    gaps: list[Gap],
    waived: list[dict[str, Any]],
    certificate: dict[str, Any],
) -> dict[str, Any]:
    """The report object; `certificate` is the extraction itself, not a copy."""
    return {
        "client": client_id,
        "requirement_set": set_name,
        "as_of": as_of.isoformat(),
        "status": status_of(gaps),
        "gaps": [g.to_dict() for g in gaps],
        "waived": waived,
        "certificate": certificate,
    }

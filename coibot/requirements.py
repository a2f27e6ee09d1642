"""A client's insurance requirements, in the format of the contract's requirements.example.yaml."""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from coibot.errors import ConfigError
from coibot.validation import problems_error, suggest, validation_problems

log = logging.getLogger(__name__)

CoverageKind = Literal[
    "general_liability",
    "automobile_liability",
    "umbrella_liability",
    "excess_liability",
    "workers_compensation",
    "other",
]
Basis = Literal["occurrence", "claims_made"]

# Limit keys per standard coverage, as the contract's README table lists them.
LIMIT_KEYS: dict[str, tuple[str, ...]] = {
    "general_liability": (
        "each_occurrence",
        "damage_to_rented_premises",
        "medical_expense",
        "personal_advertising_injury",
        "general_aggregate",
        "products_completed_operations_aggregate",
    ),
    "automobile_liability": (
        "combined_single_limit",
        "bodily_injury_per_person",
        "bodily_injury_per_accident",
        "property_damage",
    ),
    "umbrella_liability": ("each_occurrence", "aggregate"),
    "excess_liability": ("each_occurrence", "aggregate"),
    "workers_compensation": ("el_each_accident", "el_disease_each_employee", "el_disease_policy_limit"),
}
STANDARD_COVERAGES: tuple[str, ...] = tuple(LIMIT_KEYS)
SNAKE_KEY = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")

# Names a waiver may use besides coverage keys (and their sub-fields).
WAIVABLE_TOP_LEVEL: tuple[str, ...] = (
    "certificate_holder",
    "certificate_holder.name",
    "certificate_holder.address",
    "description",
    "insured",
    "insurer_rating",
)

# AM Best financial strength ratings, strongest first, and financial size classes I..XV.
BEST_GRADES: tuple[str, ...] = (
    "A++", "A+", "A", "A-", "B++", "B+", "B", "B-", "C++", "C+", "C", "C-", "D", "E", "F", "S",
)  # fmt: skip
SIZE_CLASSES: tuple[str, ...] = (
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV",
)  # fmt: skip
_RATING = re.compile(r"^\s*([A-FS][+-]{0,2})\s*(?:[,/]?\s*(?:FSC\s*)?([IVX]+))?\s*$", re.IGNORECASE)


def parse_best_rating(text: str) -> tuple[int, int | None]:
    """`"A- VIII"` → (grade rank, size class 1..15); a lower rank is a stronger grade.

    Raises ValueError with a readable message when the text is not an AM Best rating.
    """
    m = _RATING.match(text)
    if not m:
        raise ValueError(f"{text!r} is not an AM Best rating such as 'A- VIII'")
    grade = m.group(1).upper()
    if grade not in BEST_GRADES:
        raise ValueError(f"{grade!r} is not an AM Best grade; expected one of {', '.join(BEST_GRADES)}")
    size = m.group(2)
    if size is None:
        return BEST_GRADES.index(grade), None
    size = size.upper()
    if size not in SIZE_CLASSES:
        raise ValueError(f"{size!r} is not a financial size class (I to XV)")
    return BEST_GRADES.index(grade), SIZE_CLASSES.index(size) + 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Approvers(_Model):
    """Who may approve or reject a client's certificates."""

    slack_users: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)


class CertificateHolder(_Model):
    """The holder a certificate must name (compared after normalisation)."""

    name: str = Field(min_length=1)
    address: str | None = None


class CoverageRequirement(_Model):
    """What one required coverage must show. `coverage` is filled from the key for standard keys."""

    coverage: CoverageKind | None = None
    coverage_name: str | None = None
    basis: Basis | None = None
    additional_insured: bool = False
    waiver_of_subrogation: bool = False
    statutory: bool = False
    primary_noncontributory: bool = False
    limits: dict[str, int] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _kind_from_key(cls, data: Any) -> Any:
        # RequirementSet passes the coverage key as `_key`: a standard key needs no `coverage:` line.
        if not isinstance(data, dict) or "_key" not in data:
            return data
        data = dict(data)
        key = data.pop("_key")
        given = data.get("coverage")
        if key in STANDARD_COVERAGES:
            if given is None:
                data["coverage"] = key
            elif given != key:
                raise PydanticCustomError(
                    "coverage_mismatch",
                    "coverage {given} does not match the key {key}",
                    {"given": str(given), "key": key},
                )
        elif given is None:
            hint = suggest(str(key), STANDARD_COVERAGES)
            extra = f" (did you mean {hint}?)" if hint else ""
            raise PydanticCustomError(
                "unknown_coverage",
                "unknown coverage{extra}; expected one of {expected}, "
                "or `coverage: other` with a coverage_name",
                {"extra": extra, "expected": ", ".join(STANDARD_COVERAGES)},
            )
        return data

    @field_validator("limits")
    @classmethod
    def _limit_keys(cls, value: dict[str, int], info: ValidationInfo) -> dict[str, int]:
        kind = info.data.get("coverage")
        if kind is None:
            return value
        allowed = LIMIT_KEYS.get(kind)
        problems: list[tuple[str, str]] = []
        for limit, amount in value.items():
            if amount < 0:
                problems.append((limit, f"a limit is a dollar amount of 0 or more (found {amount})"))
            if allowed is None:
                if not SNAKE_KEY.match(limit):
                    problems.append((limit, "a limit key is lowercase words joined by underscores"))
            elif limit not in allowed:
                hint = suggest(limit, allowed)
                text = f"did you mean {hint}?" if hint else f"expected one of {', '.join(allowed)}"
                problems.append((limit, f"unknown limit, {text}"))
        if problems:
            raise problems_error(problems)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CoverageRequirement:
        if self.coverage == "other" and not (self.coverage_name and self.coverage_name.strip()):
            raise ValueError("coverage: other needs a coverage_name (e.g. Professional Liability)")
        if self.statutory and self.coverage != "workers_compensation":
            raise ValueError("statutory (PER STATUTE) applies to workers_compensation only")
        return self

    @property
    def kind(self) -> str:
        """The contract coverage this requirement is met by (never None after RequirementSet validation)."""
        return self.coverage or "other"

    def display_name(self, key: str) -> str:
        """How messages name the coverage: "General liability", "Professional Liability"…"""
        if self.coverage == "other" and self.coverage_name:
            return self.coverage_name
        return key.replace("_", " ").capitalize()


class RequirementSet(_Model):
    """One dated set of requirements; the latest one in effect on a date is "current"."""

    name: str = Field(min_length=1)
    effective_from: date
    certificate_holder: CertificateHolder | None = None
    description_must_include: list[str] = Field(default_factory=list)
    minimum_remaining_days: NonNegativeInt = 0
    umbrella_may_satisfy: bool = False
    minimum_insurer_rating: str | None = None
    coverages: dict[str, CoverageRequirement] = Field(default_factory=dict)

    @field_validator("name", mode="before")
    @classmethod
    def _name_as_text(cls, value: Any) -> Any:
        # YAML reads `name: 2027` as an integer; a set name is a label, so accept it as text.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("minimum_insurer_rating")
    @classmethod
    def _rating_parses(cls, value: str | None) -> str | None:
        if value is not None:
            parse_best_rating(value)
        return value

    @field_validator("coverages", mode="before")
    @classmethod
    def _pass_keys(cls, value: Any) -> Any:
        # Each requirement is validated knowing its key, so errors land on the right path.
        if not isinstance(value, dict):
            return value
        out: dict[Any, Any] = {}
        for key, req in value.items():
            if not isinstance(key, str) or not SNAKE_KEY.match(key):
                out[key] = req  # the key error below reports it
            elif req is None:
                out[key] = {"_key": key}
            elif isinstance(req, dict):
                out[key] = {**req, "_key": key}
            elif isinstance(req, CoverageRequirement):
                out[key] = {**req.model_dump(exclude_unset=True), "_key": key}
            else:
                out[key] = req
        return out

    @field_validator("coverages")
    @classmethod
    def _snake_keys(cls, value: dict[str, CoverageRequirement]) -> dict[str, CoverageRequirement]:
        bad = [
            (k, "a coverage key is lowercase words joined by underscores")
            for k in value
            if not SNAKE_KEY.match(k)
        ]
        if bad:
            raise problems_error(bad)
        return value


class Waiver(_Model):
    """A requirement the client knowingly waives for one provider, optionally until a date."""

    provider: str = Field(min_length=1)
    requirement: str = Field(min_length=1)
    until: date | None = None
    waived_by: str = Field(min_length=1)
    reason: str = Field(min_length=1)

    def applies_on(self, as_of: date) -> bool:
        """A waiver with `until` is in force through that day."""
        return self.until is None or as_of <= self.until


# What a waiver may name below a coverage key (the gap fields of the check).
WAIVABLE_FIELDS: tuple[str, ...] = (
    "limits",
    "basis",
    "additional_insured",
    "waiver_of_subrogation",
    "statutory",
    "primary_noncontributory",
    "effective_date",
    "expiration_date",
    "insurer_rating",
    "confidence",
)


def _waiver_problem(requirement: str, kinds: dict[str, set[str]]) -> str | None:
    """Why a waiver's requirement path names nothing the check could report, or None when it is fine."""
    if requirement in WAIVABLE_TOP_LEVEL:
        return None
    key, _, rest = requirement.partition(".")
    if key not in kinds:
        choices = tuple(sorted(kinds)) + WAIVABLE_TOP_LEVEL
        hint = suggest(requirement if not rest else key, choices)
        text = f"did you mean {hint}?" if hint else f"expected a coverage key or one of {', '.join(choices)}"
        return f"{requirement!r} is not a requirement, {text}"
    if not rest:
        return None
    field, _, limit = rest.partition(".")
    if field not in WAIVABLE_FIELDS:
        hint = suggest(field, WAIVABLE_FIELDS)
        text = f"did you mean {key}.{hint}?" if hint else f"expected one of {', '.join(WAIVABLE_FIELDS)}"
        return f"{requirement!r}: unknown field {field!r}, {text}"
    if limit and field != "limits":
        return f"{requirement!r}: {field} has no sub-field"
    if limit:
        allowed = sorted({k for kind in kinds[key] for k in LIMIT_KEYS.get(kind, ())})
        if allowed and limit not in allowed:
            hint = suggest(limit, tuple(allowed))
            text = f"did you mean {hint}?" if hint else f"expected one of {', '.join(allowed)}"
            return f"{requirement!r}: unknown limit, {text}"
    return None


class ClientRequirements(_Model):
    """One client: who approves, where to post, its requirement sets and waivers."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    approvers: Approvers = Field(default_factory=Approvers)
    slack_channel: str | None = None
    requirement_sets: list[RequirementSet] = Field(min_length=1)
    waivers: list[Waiver] = Field(default_factory=list)

    @field_validator("requirement_sets")
    @classmethod
    def _unique_sets(cls, value: list[RequirementSet]) -> list[RequirementSet]:
        problems: list[tuple[str, str]] = []
        names: dict[str, int] = {}
        dates: dict[date, int] = {}
        for i, rs in enumerate(value):
            if rs.name in names:
                problems.append(
                    (
                        f"[{i}].name",
                        f"duplicate set name {rs.name!r} (also requirement_sets[{names[rs.name]}])",
                    )
                )
            names.setdefault(rs.name, i)
            if rs.effective_from in dates:
                problems.append(
                    (
                        f"[{i}].effective_from",
                        f"{rs.effective_from} is also the effective_from of "
                        f"requirement_sets[{dates[rs.effective_from]}]; two sets cannot start the same day",
                    )
                )
            dates.setdefault(rs.effective_from, i)
        if problems:
            raise problems_error(problems)
        return value

    @model_validator(mode="after")
    def _waivers_name_requirements(self) -> ClientRequirements:
        kinds: dict[str, set[str]] = {}
        for rs in self.requirement_sets:
            for key, req in rs.coverages.items():
                kinds.setdefault(key, set()).add(req.kind)
        problems: list[tuple[str, str]] = []
        for i, w in enumerate(self.waivers):
            text = _waiver_problem(w.requirement, kinds)
            if text:
                problems.append((f"waivers[{i}].requirement", text))
        if problems:
            raise problems_error(problems)
        return self

    def current_set(self, as_of: date) -> RequirementSet | None:
        """The set whose effective_from is the latest date not after `as_of`."""
        started = [rs for rs in self.requirement_sets if rs.effective_from <= as_of]
        return max(started, key=lambda rs: rs.effective_from) if started else None

    def future_sets(self, as_of: date) -> list[RequirementSet]:
        """Sets that take effect after `as_of`, earliest first."""
        return sorted(
            (rs for rs in self.requirement_sets if rs.effective_from > as_of),
            key=lambda rs: rs.effective_from,
        )


class RequirementsFile(_Model):
    """A requirements file: a list of clients with unique ids."""

    clients: list[ClientRequirements] = Field(default_factory=list)

    @field_validator("clients")
    @classmethod
    def _unique_ids(cls, value: list[ClientRequirements]) -> list[ClientRequirements]:
        seen: dict[str, int] = {}
        problems: list[tuple[str, str]] = []
        for i, c in enumerate(value):
            if c.id in seen:
                problems.append((f"[{i}].id", f"duplicate client id {c.id!r} (also clients[{seen[c.id]}])"))
            seen.setdefault(c.id, i)
        if problems:
            raise problems_error(problems)
        return value

    def client(self, client_id: str) -> ClientRequirements | None:
        """The client with this id, or None."""
        return next((c for c in self.clients if c.id == client_id), None)


def load_requirements_file(path: Path) -> RequirementsFile:
    """Read and validate a requirements YAML file; ConfigError lists every problem by key path."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, [f"cannot read the file: {exc}"]) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(source, [f"not valid YAML: {exc}"]) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, ["the file must be a mapping with a `clients:` list"])
    try:
        result = RequirementsFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, validation_problems(exc, RequirementsFile, yaml_text=text)) from exc
    log.debug("loaded %d client(s) from %s", len(result.clients), source)
    return result

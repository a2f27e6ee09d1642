"""The last step of every backend: a draft extraction into the contract's exact shape.

A backend may leave on each policy a private `_conf` mapping (field name -> 0..1) for the fields
it read with less than full certainty; `finalize` turns it into the policy's `confidence`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from coibot.extract.endorsements import find_endorsements

log = logging.getLogger(__name__)

TOP_KEYS = (
    "source", "form", "certificate_date", "producer", "insured", "insurers", "certificate_holder",
    "description_of_operations", "policies", "endorsements", "warnings",
)
POLICY_KEYS = (
    "coverage", "coverage_name", "insurer_letter", "carrier", "naic", "policy_number",
    "effective_date", "expiration_date", "basis", "additional_insured", "waiver_of_subrogation",
    "statutory", "limits", "confidence",
)
COVERAGES = frozenset({
    "general_liability", "automobile_liability", "umbrella_liability", "excess_liability",
    "workers_compensation", "other",
})
LIMIT_KEYS: dict[str, tuple[str, ...]] = {
    "general_liability": (
        "each_occurrence", "damage_to_rented_premises", "medical_expense",
        "personal_advertising_injury", "general_aggregate", "products_completed_operations_aggregate",
    ),
    "automobile_liability": (
        "combined_single_limit", "bodily_injury_per_person", "bodily_injury_per_accident",
        "property_damage",
    ),
    "umbrella_liability": ("each_occurrence", "aggregate"),
    "excess_liability": ("each_occurrence", "aggregate"),
    "workers_compensation": ("el_each_accident", "el_disease_each_employee", "el_disease_policy_limit"),
}
_PARTY_KEYS = {
    "producer": ("name", "address", "contact_name", "phone", "email"),
    "insured": ("name", "address"),
    "certificate_holder": ("name", "address"),
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAIC = re.compile(r"^\d{5}$")
_LETTER = re.compile(r"^[A-F]$")
_KEY = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")


def _str_or_none(v: Any) -> str | None:
    if isinstance(v, str):
        t = v.strip()
        return t or None
    return None


def _party(raw: Any, keys: tuple[str, ...]) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    out = {k: _str_or_none(raw.get(k)) for k in keys}
    for k, v in raw.items():
        if k not in out and not k.startswith("_"):
            out[k] = v
    return out


def _insurers(raw: Any, warnings: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for ins in raw if isinstance(raw, list) else []:
        if not isinstance(ins, dict):
            continue
        letter = _str_or_none(ins.get("letter"))
        letter = letter.upper() if letter else None
        if letter is not None and not _LETTER.match(letter):
            warnings.append(f"insurer letter {letter!r} is not A-F; dropped")
            letter = None
        naic = _str_or_none(ins.get("naic"))
        if naic is not None and not _NAIC.match(naic):
            warnings.append(f"insurer {letter or '?'}: NAIC {naic!r} is not five digits; check it")
            naic = None
        name = _str_or_none(ins.get("name"))
        if name is None and naic is None:
            continue
        out.append({"letter": letter, "name": name, "naic": naic})
    return out


def _limits(raw: Any, coverage: str, label: str, warnings: list[str]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    if not isinstance(raw, dict):
        return out
    allowed = LIMIT_KEYS.get(coverage)
    for key, value in raw.items():
        if not isinstance(key, str) or not _KEY.match(key):
            warnings.append(f"{label}: limit label {key!r} dropped")
            continue
        if allowed is not None and key not in allowed:
            warnings.append(f"{label}: limit {key} is not a {coverage} limit; dropped")
            continue
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            warnings.append(f"{label}: limit {key} value {value!r} is not whole dollars; dropped")
            continue
        out[key] = value
    if allowed is not None:
        out = {k: out[k] for k in allowed if k in out}
    return out


def _policy(raw: dict[str, Any], index: int, by_letter: dict[str, dict[str, Any]],
            warnings: list[str]) -> dict[str, Any] | None:
    coverage = raw.get("coverage")
    if coverage not in COVERAGES:
        warnings.append(f"policy {index + 1}: unknown coverage {coverage!r}; dropped")
        return None
    name = _str_or_none(raw.get("coverage_name"))
    label = f"{name or coverage} policy {_str_or_none(raw.get('policy_number')) or index + 1}"
    if coverage == "other" and name is None:
        name = "Other"
        warnings.append(f"policy {index + 1}: an 'other' coverage without a printed name")
    elif coverage != "other":
        name = None
    letter = _str_or_none(raw.get("insurer_letter"))
    letter = letter.upper() if letter else None
    if letter is not None and not _LETTER.match(letter):
        warnings.append(f"{label}: insurer letter {letter!r} is not A-F")
        letter = None
    carrier = _str_or_none(raw.get("carrier"))
    naic = _str_or_none(raw.get("naic"))
    if letter is not None:
        ins = by_letter.get(letter)
        if ins is None:
            warnings.append(f"{label}: insurer {letter} is not listed in the insurers block")
        else:
            carrier = ins.get("name") or carrier
            naic = ins.get("naic") or naic
    if naic is not None and not _NAIC.match(naic):
        naic = None
    out: dict[str, Any] = {
        "coverage": coverage,
        "coverage_name": name,
        "insurer_letter": letter,
        "carrier": carrier,
        "naic": naic,
        "policy_number": _str_or_none(raw.get("policy_number")),
    }
    for key in ("effective_date", "expiration_date"):
        v = _str_or_none(raw.get(key))
        if v is not None and not _DATE.match(v):
            warnings.append(f"{label}: {key} {v!r} is not a date; check it")
            v = None
        out[key] = v
    basis = raw.get("basis")
    out["basis"] = basis if basis in ("occurrence", "claims_made") else None
    for key in ("additional_insured", "waiver_of_subrogation"):
        v = raw.get(key)
        out[key] = v if isinstance(v, bool) else None
    if coverage == "workers_compensation" and raw.get("statutory") is True:
        out["statutory"] = True
    out["limits"] = _limits(raw.get("limits"), coverage, label, warnings)
    out["confidence"] = _confidence(raw)
    if (out["effective_date"] and out["expiration_date"]
            and out["expiration_date"] < out["effective_date"]):
        warnings.append(f"{label}: expires before it takes effect; check the dates")
    for k, v in raw.items():
        if k not in out and k not in POLICY_KEYS and not k.startswith("_"):
            out[k] = v
    return out


def _confidence(raw: dict[str, Any]) -> float:
    """The lowest confidence among the policy's fields (1.0 when every field read cleanly)."""
    values: list[float] = []
    conf = raw.get("_conf")
    if isinstance(conf, dict):
        values += [float(v) for v in conf.values() if isinstance(v, int | float)]
    given = raw.get("confidence")
    if isinstance(given, int | float) and not isinstance(given, bool):
        values.append(float(given))
    lowest = min(values, default=1.0)
    return round(max(0.0, min(1.0, lowest)), 3)


def finalize(extraction: dict[str, Any]) -> dict[str, Any]:
    """Resolve carriers by letter, add endorsements and confidence, order keys, drop bad values."""
    warnings: list[str] = [w for w in extraction.get("warnings") or [] if isinstance(w, str)]
    out: dict[str, Any] = {}
    source = extraction.get("source")
    out["source"] = dict(source) if isinstance(source, dict) else {"file": ""}
    form = extraction.get("form")
    out["form"] = form if form in ("acord25", "other") else None
    cert_date = _str_or_none(extraction.get("certificate_date"))
    if cert_date is not None and not _DATE.match(cert_date):
        warnings.append(f"certificate date {cert_date!r} is not a date; check it")
        cert_date = None
    out["certificate_date"] = cert_date
    for key in ("producer", "insured"):
        out[key] = _party(extraction.get(key), _PARTY_KEYS[key])
    insurers = _insurers(extraction.get("insurers"), warnings)
    out["insurers"] = insurers
    holder = extraction.get("certificate_holder")
    out["certificate_holder"] = _party(holder, _PARTY_KEYS["certificate_holder"])
    description = _str_or_none(extraction.get("description_of_operations"))
    out["description_of_operations"] = description
    by_letter = {i["letter"]: i for i in insurers if i.get("letter")}
    policies = []
    for n, raw in enumerate(extraction.get("policies") or []):
        if isinstance(raw, dict):
            pol = _policy(raw, n, by_letter, warnings)
            if pol is not None:
                policies.append(pol)
    out["policies"] = policies
    found = list(extraction.get("endorsements") or [])
    for e in find_endorsements(description):
        if e not in found:
            found.append(e)
    out["endorsements"] = [e for e in found if isinstance(e, str)]
    if not policies:
        warnings.append("no policies were found on the certificate")
    # Each warning once, in the order first raised.
    out["warnings"] = list(dict.fromkeys(warnings))
    for k, v in extraction.items():
        if k not in out and k not in TOP_KEYS and not k.startswith("_"):
            out[k] = v
    return out

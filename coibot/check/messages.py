"""The human sentences of a gap report: coverages, limits, amounts and dates in words."""

from __future__ import annotations

from datetime import date

COVERAGE_WORDS: dict[str, str] = {
    "general_liability": "General liability",
    "automobile_liability": "Automobile liability",
    "umbrella_liability": "Umbrella liability",
    "excess_liability": "Excess liability",
    "workers_compensation": "Workers' compensation",
}

LIMIT_WORDS: dict[str, str] = {
    "each_occurrence": "each occurrence",
    "damage_to_rented_premises": "damage to rented premises",
    "medical_expense": "medical expense",
    "personal_advertising_injury": "personal & advertising injury",
    "general_aggregate": "general aggregate",
    "products_completed_operations_aggregate": "products-completed operations aggregate",
    "combined_single_limit": "combined single limit",
    "bodily_injury_per_person": "bodily injury per person",
    "bodily_injury_per_accident": "bodily injury per accident",
    "property_damage": "property damage",
    "aggregate": "aggregate",
    "el_each_accident": "employer's liability each accident",
    "el_disease_each_employee": "employer's liability disease, each employee",
    "el_disease_policy_limit": "employer's liability disease, policy limit",
}


def coverage_words(key: str, coverage_name: str | None = None) -> str:
    """ "General liability", or the printed name of an `other` coverage."""
    if coverage_name:
        return coverage_name
    return COVERAGE_WORDS.get(key, key.replace("_", " ").capitalize())


def limit_words(key: str) -> str:
    """ "each occurrence" for `each_occurrence`; other keys read as their words."""
    return LIMIT_WORDS.get(key, key.replace("_", " "))


def money(amount: int | None) -> str:
    """$1,000,000; "not shown" when the certificate has no amount."""
    return "not shown" if amount is None else f"${amount:,}"


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip


def day(value: date) -> str:
    """November 21, 2026 (English whatever the locale: the messages are English)."""
    return f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"


def policy_words(label: str, number: str | None) -> str:
    """ "General liability policy GL-123" (or without a number when none was read)."""
    return f"{label} policy {number}" if number else f"{label} policy"

"""Insurer financial strength (AM Best) from a ratings table the user supplies."""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path

from coibot.check.context import CheckContext, Policy
from coibot.check.report import Gap
from coibot.check.textnorm import norm_name
from coibot.errors import ConfigError
from coibot.requirements import SIZE_CLASSES, parse_best_rating

log = logging.getLogger(__name__)
COLUMNS = ("naic", "name", "rating", "financial_size")


@dataclass(frozen=True, slots=True)
class InsurerRating:
    """One insurer's AM Best rating: grade rank (0 = A++) and size class 1..15 when known."""

    naic: str | None
    name: str
    rating: str
    grade: int
    size: int | None

    @property
    def text(self) -> str:
        """ "A- VIII" (the size class only when known)."""
        return f"{self.rating} {SIZE_CLASSES[self.size - 1]}" if self.size else self.rating


@dataclass(slots=True)
class RatingsTable:
    """Ratings looked up by NAIC code, else by normalised insurer name."""

    by_naic: dict[str, InsurerRating] = field(default_factory=dict)
    by_name: dict[str, InsurerRating] = field(default_factory=dict)

    def add(self, entry: InsurerRating) -> None:
        """Index one insurer; a later row for the same NAIC or name replaces the earlier one."""
        if entry.naic:
            self.by_naic[entry.naic] = entry
        self.by_name[norm_name(entry.name)] = entry

    def find(self, naic: str | None, name: str | None) -> InsurerRating | None:
        """The insurer's rating by NAIC first (names vary on certificates), then by name."""
        if naic and naic in self.by_naic:
            return self.by_naic[naic]
        if name:
            return self.by_name.get(norm_name(name))
        return None

    def __len__(self) -> int:
        return len(self.by_name)


def load_ratings_csv(path: Path) -> RatingsTable:
    """Read a CSV with columns naic, name, rating, financial_size; ConfigError lists bad rows by line."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, [f"cannot read the file: {exc}"]) from exc
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in ("name", "rating") if c not in header]
    if missing:
        raise ConfigError(
            source, [f"line 1: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}"]
        )
    table = RatingsTable()
    problems: list[str] = []
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if isinstance(v, str)}
        if not any(row.values()):
            continue
        naic = row.get("naic") or None
        if naic is not None and not (naic.isdigit() and len(naic) == 5):
            problems.append(f"line {line}: naic {naic!r} is not a 5-digit NAIC code")
            continue
        if not row.get("name"):
            problems.append(f"line {line}: the insurer name is empty")
            continue
        rating = row.get("rating", "")
        size_text = row.get("financial_size", "")
        try:
            grade, size = parse_best_rating(f"{rating} {size_text}".strip())
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        table.add(InsurerRating(naic, row["name"], rating.split()[0].upper(), grade, size))
    if problems:
        raise ConfigError(source, problems)
    log.debug("loaded %d insurer rating(s) from %s", len(table), source)
    return table


def _meets(found: InsurerRating, grade: int, size: int | None) -> bool | None:
    if found.grade > grade:
        return False
    if size is None:
        return True
    if found.size is None:
        return None
    return found.size >= size


def no_table_gap(ctx: CheckContext) -> list[Gap]:
    """One unreadable gap when a minimum rating is required but no ratings table was given."""
    minimum = ctx.rs.minimum_insurer_rating
    if minimum is None:
        return []
    return [
        Gap(
            "unreadable",
            None,
            "insurer_rating",
            minimum,
            None,
            f"{ctx.client_name} requires insurers rated at least {minimum}, and no ratings table was given "
            "to check them (--ratings).",
        )
    ]


def rating_gaps(
    ctx: CheckContext, key: str, label: str, policy: Policy, ratings: RatingsTable | None
) -> list[Gap]:
    """insurer_rating_below_minimum for a known insurer rated too low; unreadable when it cannot be told.

    Without a table nothing is reported here: `no_table_gap` reports that once per certificate.
    """
    minimum = ctx.rs.minimum_insurer_rating
    if minimum is None or ratings is None:
        return []
    grade, size = parse_best_rating(minimum)
    insurer = policy.carrier or (f"NAIC {policy.naic}" if policy.naic else "the insurer")
    found = ratings.find(policy.naic, policy.carrier)
    if found is None:
        naic = f" (NAIC {policy.naic})" if policy.naic and policy.carrier else ""
        return [
            Gap(
                "unreadable",
                key,
                "insurer_rating",
                minimum,
                None,
                f"{label}: {insurer}{naic} is not in the ratings table; check its rating by hand "
                f"({ctx.client_name} requires at least {minimum}).",
            )
        ]
    ok = _meets(found, grade, size)
    if ok is None:
        return [
            Gap(
                "unreadable",
                key,
                "insurer_rating",
                minimum,
                found.text,
                f"{label}: {insurer} is rated {found.text} but its financial size class is unknown; "
                f"{ctx.client_name} requires at least {minimum}.",
            )
        ]
    if ok:
        return []
    return [
        Gap(
            "insurer_rating_below_minimum",
            key,
            "insurer_rating",
            minimum,
            found.text,
            f"{label}: {insurer} is rated {found.text}; {ctx.client_name} requires at least {minimum}.",
        )
    ]

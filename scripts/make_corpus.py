"""Generate the labelled certificate corpus: files + FILE.truth.json in the contract shape.

    .venv/bin/python scripts/make_corpus.py --seed 2026 --out tests/fixtures/certificates

Deterministic for a given --seed: the same bytes every run. See tests/fixtures/certificates/README.md.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import families, photos
from corpus.validate import validate_dir

DEFAULT_COUNTS = {"text": 30, "fillable": 12, "scan": 12, "multipage": 8, "other": 10, "agency": 12}
EXTRA_COUNTS = {"photo": 6}  # opt-in families: --families photo (not in the default corpus)


def family_funcs() -> dict[str, Callable[[Path, int, random.Random], list[str]]]:
    funcs: dict[str, Callable[[Path, int, random.Random], list[str]]] = {}
    for name in (*DEFAULT_COUNTS, *EXTRA_COUNTS):
        f = getattr(families, name, None) or getattr(photos, name, None)
        if f is not None:
            funcs[name] = f
    return funcs


def generate(
    out: Path, seed: int, counts: dict[str, int], multi_out: Path | None = None
) -> dict[str, list[str]]:
    """Write every family into out (one sub-seed per family, so families are independent).

    PDFs holding two certificates go to multi_out (default: out + "-multi"), their truth being a list.
    """
    out.mkdir(parents=True, exist_ok=True)
    made: dict[str, list[str]] = {}
    for fam, func in family_funcs().items():
        n = counts.get(fam, 0)
        if n <= 0:
            continue
        r = random.Random(f"{seed}:{fam}")
        made[fam] = func(out, n, r)
    if counts.get("multipage", 0) > 0:
        mo = multi_out or out.with_name(out.name + "-multi")
        mo.mkdir(parents=True, exist_ok=True)
        made["two-certificates"] = families.multi_certificates(
            mo, min(3, counts["multipage"]), random.Random(f"{seed}:multi")
        )
    return made


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", type=Path, default=Path("tests/fixtures/certificates"))
    ap.add_argument(
        "--count-per-family",
        type=int,
        default=None,
        help="files per family (default: " + ", ".join(f"{k} {v}" for k, v in DEFAULT_COUNTS.items()) + ")",
    )
    ap.add_argument(
        "--multi-out",
        type=Path,
        default=None,
        help="folder for PDFs holding two certificates (default: OUT-multi)",
    )
    ap.add_argument("--families", default=",".join(DEFAULT_COUNTS), help="comma-separated subset")
    a = ap.parse_args(argv)
    wanted = [f.strip() for f in a.families.split(",") if f.strip()]
    counts = {
        f: (a.count_per_family if a.count_per_family is not None else {**DEFAULT_COUNTS, **EXTRA_COUNTS}[f])
        for f in wanted
        if f in DEFAULT_COUNTS or f in EXTRA_COUNTS
    }
    t0 = time.monotonic()
    made = generate(a.out, a.seed, counts, a.multi_out)
    for fam, names in made.items():
        print(f"{fam:10s} {len(names):3d} files")
    print(f"done in {time.monotonic() - t0:.1f}s -> {a.out}")
    bad = validate_dir(a.out)
    if "two-certificates" in made:
        bad.update(validate_dir(a.multi_out or a.out.with_name(a.out.name + "-multi")))
    for f, errs in bad.items():
        print(f"INVALID {f}: {errs[:3]}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())

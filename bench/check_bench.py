"""Benchmark the check: one certificate against one set, and 10,000 certificates x 3 sets re-checked.

    .venv/bin/python bench/check_bench.py [--certificates 10000]

Targets: median single check <= 1 ms; 10,000 x 3 sets <= 10 s (one core).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from coibot.check import check_certificate
from coibot.requirements import ClientRequirements, RequirementSet, load_requirements_file

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
AS_OF = date(2026, 11, 21)


def _certificates(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Variations of the sample truth files: limits, dates, flags, holders and insureds shuffled."""
    rng = random.Random(seed)
    bases = [
        json.loads(p.read_text(encoding="utf-8")) for p in sorted((SHARED / "samples").glob("*.truth.json"))
    ]
    holders = [
        {"name": "Acme Property Management LLC", "address": "100 Main Street, Springfield, IL 62701"},
        {"name": "ACME PROPERTY MANAGEMENT, L.L.C.", "address": "100 Main St., Springfield, IL 62701-4410"},
        {"name": "Acme Property Mgmt LLC", "address": "250 Lake Avenue, Springfield, IL 62704"},
    ]
    out: list[dict[str, Any]] = []
    for i in range(n):
        cert = copy.deepcopy(bases[i % len(bases)])
        cert["insured"]["name"] = f"{cert['insured']['name']} {i}"
        cert["certificate_holder"] = dict(rng.choice(holders))
        cert["description_of_operations"] += rng.choice(
            [
                "",
                " Acme Property Management LLC is included as additional insured.",
                " Acme Property Management LLC is in-\ncluded as additional insured,"
                " primary and non-contributory.",
            ]
        )
        for p in cert["policies"]:
            p["expiration_date"] = (AS_OF + timedelta(days=rng.randint(-30, 400))).isoformat()
            for k, v in p["limits"].items():
                if isinstance(v, int):
                    p["limits"][k] = v * rng.choice([1, 2, 5])
            p["additional_insured"] = rng.random() < 0.7
            p["waiver_of_subrogation"] = rng.random() < 0.6
        out.append(cert)
    return out


def _sets(client: ClientRequirements) -> list[RequirementSet]:
    current, future = client.requirement_sets
    third = current.model_copy(
        update={
            "name": "strict",
            "minimum_insurer_rating": None,
            "description_must_include": [*current.description_must_include, "primary and non-contributory"],
        }
    )
    return [current, future, third]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--certificates", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=2000, help="single-check repetitions for the median")
    a = ap.parse_args()
    client = load_requirements_file(SHARED / "contract" / "requirements.example.yaml").clients[0]
    sets = _sets(client)
    certs = _certificates(a.certificates)

    one, rs = certs[2], sets[0]
    check_certificate(one, client, rs, AS_OF)  # warm caches
    times = []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        check_certificate(one, client, rs, AS_OF, provider="Cobalt Ridge Moving LLC")
        times.append(time.perf_counter() - t0)
    median_ms = statistics.median(times) * 1000
    print(
        f"single check (1 certificate x 1 set): median {median_ms:.3f} ms over {a.repeat} runs "
        f"(target <= 1 ms)"
    )

    t0 = time.perf_counter()
    statuses: dict[str, int] = {}
    for cert in certs:
        for s in sets:
            status = check_certificate(cert, client, s, AS_OF)["status"]
            statuses[status] = statuses.get(status, 0) + 1
    total = time.perf_counter() - t0
    n = len(certs) * len(sets)
    print(
        f"bulk re-check: {len(certs)} certificates x {len(sets)} sets = {n} checks in {total:.2f} s "
        f"({total / n * 1e6:.0f} us each; target <= 10 s) statuses {statuses}"
    )


if __name__ == "__main__":
    main()

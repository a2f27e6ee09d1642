"""Milliseconds per fillable certificate read by `form_fields.extract_from_fields`.

    .venv/bin/python bench/extract_fillable.py [FILE_OR_DIR ...] [--rounds N]

Default inputs: the fillable certificates of tests/fixtures/certificates and ../shared/samples/sample_001.pdf.
Prints the median per file, then the median over all files, split by how the values were read
(names only, or names merged with the printed page).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from coibot.extract.form_fields import extract_from_fields  # noqa: E402


def _inputs(args: list[str]) -> list[Path]:
    if not args:
        files = sorted((REPO / "tests" / "fixtures" / "certificates").glob("fillable_*.pdf"))
        sample = REPO.parent / "shared" / "samples" / "sample_001.pdf"
        return [*files, sample] if sample.exists() else files
    out: list[Path] = []
    for a in args:
        p = Path(a)
        out += sorted(p.glob("*.pdf")) if p.is_dir() else [p]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    files = _inputs(a.paths)
    if not files:
        print("no fillable PDFs found")
        return 1
    extract_from_fields(files[0])  # imports and pdfium start-up are not per-certificate costs
    medians: dict[str, list[float]] = {"form_fields": [], "mixed": [], "none": []}
    cpu_medians: list[float] = []
    for path in files:
        times = []
        cpu = []
        method = "none"
        for _ in range(a.rounds):
            t0, c0 = time.perf_counter(), time.process_time()
            out = extract_from_fields(path)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            method = (out or {}).get("source", {}).get("method") or "none"
        med = statistics.median(times)
        medians.setdefault(method, []).append(med)
        cpu_medians.append(statistics.median(cpu))
        print(f"{path.name:32} {method:12} {med:7.1f} ms  (cpu {cpu_medians[-1]:5.1f} ms)")
    every = [m for ms in medians.values() for m in ms]
    print(f"files={len(every)} rounds={a.rounds}")
    for method, ms in medians.items():
        if ms:
            print(f"  {method:12} n={len(ms):3}  median {statistics.median(ms):7.1f} ms")
    # CPU time is what the reading costs on an idle machine; wall time includes waiting for a core.
    print(f"median cpu ms per fillable certificate: {statistics.median(cpu_medians):.1f}")
    print(f"median ms per fillable certificate: {statistics.median(every):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

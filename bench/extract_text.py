"""Text-layer reader speed: median and p95 per page, next to reference timings from the same run.

    .venv/bin/python bench/extract_text.py [--corpus DIR ...] [--repeat N]

Prints, for the text-PDF samples and the corpus's text PDFs: coibot's `extract_document`
(in-process, warm), our backend alone (`pdf_text.read_pages`), pdfplumber open + extract_words, and
pypdfium2 get_text_range, with the ratios. The machine drifts ±30 % between runs: compare the
ratios, which are measured within one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coibot.extract import pdf_text  # noqa: E402
from coibot.extract.reader import extract_document  # noqa: E402


def text_pdfs(dirs: list[Path]) -> list[Path]:
    """One-page text-layer PDFs (family "text" in their truth file, or a text layer and no AcroForm)."""
    out = []
    for d in dirs:
        for p in sorted(d.glob("*.pdf")):
            truth = Path(f"{p}.truth.json")
            if truth.exists():
                family = json.loads(truth.read_text(encoding="utf-8")).get("family")
                if family == "text":
                    out.append(p)
    return out


def _pictured(path: Path) -> bool:
    with pdf_text.open_pdf(path) as doc:
        doc.read_pages()
        return bool(doc.image_pages)


def timed(fn: Callable[[Path], object], files: list[Path], repeat: int) -> list[float]:
    fn(files[0])  # warm: imports, font caches
    samples = []
    for _ in range(repeat):
        for f in files:
            t0 = time.perf_counter()
            fn(f)
            samples.append((time.perf_counter() - t0) * 1000)
    return samples


def _ours_backend(path: Path) -> object:
    with pdf_text.open_pdf(path) as doc:
        return doc.read_pages()


def _pdfplumber(path: Path) -> object:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [page.extract_words() for page in pdf.pages]


def _pdfium_text(path: Path) -> object:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        out = []
        for i in range(len(pdf)):
            page = pdf[i]
            tp = page.get_textpage()
            out.append(tp.get_text_range())
            tp.close()
            page.close()
        return out
    finally:
        pdf.close()


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", action="append", type=Path,
                    help="folders with FILE.truth.json (default: samples and the corpus)")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    dirs = a.corpus or [ROOT.parent / "shared" / "samples", ROOT / "tests" / "fixtures" / "certificates"]
    files = text_pdfs([d for d in dirs if d.is_dir()])
    if not files:
        sys.exit("no text PDFs with truth files found")
    pictured = [f for f in files if _pictured(f)]
    files = [f for f in files if f not in pictured]
    print(f"{len(files)} one-page text PDFs from {', '.join(str(d) for d in dirs)}; repeat {a.repeat}")
    rows = [
        ("coibot extract_document", lambda p: extract_document(p)),
        ("coibot pdf_text.read_pages", _ours_backend),
        ("pdfplumber open+extract_words", _pdfplumber),
        ("pypdfium2 get_text_range", _pdfium_text),
    ]
    results = {}
    for name, fn in rows:
        results[name] = timed(fn, files, a.repeat)
    print(f"{'':32}{'median ms':>10}{'p95 ms':>9}")
    for name, xs in results.items():
        print(f"{name:32}{statistics.median(xs):>10.1f}{pct(xs, 0.95):>9.1f}")
    ours = statistics.median(results["coibot extract_document"])
    plumber = statistics.median(results["pdfplumber open+extract_words"])
    gettext = statistics.median(results["pypdfium2 get_text_range"])
    print(f"ratio extract_document / pdfplumber open+extract_words = {ours / plumber:.2f}")
    print(f"ratio extract_document / pypdfium2 get_text_range     = {ours / gettext:.1f}")
    print(f"target: median extract_document <= 50 ms per page -> {'met' if ours <= 50 else 'NOT met'}")
    if pictured:
        # Forms printed as a page image under text values: their labels need OCR (seconds, not ms).
        xs = timed(lambda p: extract_document(p), pictured, 1)
        print(f"{len(pictured)} text PDFs whose form is an image (labels OCR'd): "
              f"median {statistics.median(xs):.0f} ms, max {max(xs):.0f} ms")


if __name__ == "__main__":
    main()

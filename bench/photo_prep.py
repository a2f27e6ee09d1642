"""Benchmark: what making a phone photo look like a flat scan (coibot.extract.photo) gains the reader.

    .venv/bin/python bench/photo_prep.py [--seed 99] [--count 6] [--out DIR]

Generates `--count` photos of the corpus's `photo` family with `--seed` (never 7331: that seed is
the hold-out), then runs the real reader (`coibot.extract.reader.extract_document`) on (a) each
photo as it is, with the page loader's own call of prepare_page switched off, and (b) the photo
after `prepare_page` (detect, unwarp, sharpen, flatten) saved as a PNG with its resolution, and
scores both against the truth with ../shared/tools/score.py. Prints per file and mean field
accuracy (correct / slots where truth or output has a value) and F1 before and after, and the
time preparing takes, wall and CPU (single process; Tesseract with OMP_THREAD_LIMIT=1).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

os.environ["OMP_THREAD_LIMIT"] = "1"

from PIL import Image

from coibot.errors import ExtractionError
from coibot.extract.photo import looks_like_photo, prepare_page
from coibot.extract.reader import extract_document

REPO = Path(__file__).resolve().parents[1]
SCORE_PY = REPO.parent / "shared" / "tools" / "score.py"
HOLDOUT_SEED = 7331


def load_score() -> ModuleType:
    spec = importlib.util.spec_from_file_location("coi_score", SCORE_PY)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {SCORE_PY}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def generate(out: Path, seed: int, count: int) -> list[Path]:
    """The photo family exactly as scripts/make_corpus.py --families photo makes it."""
    sys.path.insert(0, str(REPO / "scripts"))
    photos = importlib.import_module("corpus.photos")
    names: list[str] = photos.photo(out, count, random.Random(f"{seed}:photo"))
    return [out / n for n in names]


def photo_image(path: Path) -> Image.Image:
    """The picture inside a photo file (a JPEG, or the one image of a phone-scanner PDF)."""
    if path.suffix.lower() != ".pdf":
        with Image.open(path) as img:
            img.load()
            return img.copy()
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(path)
    try:
        page = doc[0]
        # The generator saves the JPEG at 72 dpi, so one pixel per point renders it at its own size.
        rendered: Image.Image = page.render(scale=1.0, grayscale=True).to_pil()
        return rendered
    finally:
        doc.close()


def _unchanged(img: Image.Image) -> tuple[Image.Image, float | None]:
    return img, None


def read(path: Path) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    try:
        docs = extract_document(path)
        pred = docs[0] if docs else {}
    except ExtractionError as exc:
        print(f"  {path.name}: {exc}", file=sys.stderr)
        pred = {}
    return pred, time.perf_counter() - started


def scores(score: ModuleType, truth: dict[str, Any], pred: dict[str, Any]) -> tuple[float, float]:
    res = score.score_doc(truth, pred)
    slots = sum(n for _, n in res["groups"].values())
    tp, fp, fn = res["tp"], res["fp"], res["fn"]
    acc = tp / slots if slots else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return acc, f1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=99)
    ap.add_argument("--count", type=int, default=6)
    ap.add_argument("--out", type=Path, default=None, help="keep the photos here (default: a temp dir)")
    a = ap.parse_args(argv)
    if a.seed == HOLDOUT_SEED:
        raise SystemExit("seed 7331 is the hold-out: never tune on it")
    score = load_score()
    with tempfile.TemporaryDirectory(prefix="coibot-photo-") as tmp:
        out = a.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        files = generate(out, a.seed, a.count)
        rows = []
        print(
            f"{'file':18} {'acc before':>10} {'acc after':>10} {'F1 before':>9} {'F1 after':>9} "
            f"{'prep s':>7} {'prep cpu':>8} {'read s before/after':>20}"
        )
        for path in files:
            truth = json.loads(path.with_name(path.name + ".truth.json").read_text())
            raw = photo_image(path)
            started, cpu = time.perf_counter(), time.process_time()
            detected = looks_like_photo(raw)
            flat, page_dpi = prepare_page(raw)
            # CPU seconds as well: other jobs on the machine inflate the wall time, not the CPU time.
            prep_s, prep_cpu = time.perf_counter() - started, time.process_time() - cpu
            dpi = page_dpi or 72.0  # a picture left as it was keeps a phone's usual header
            prepared = out / (path.stem + ".prepared.png")
            flat.save(prepared, dpi=(dpi, dpi))
            # The page loader calls prepare_page itself now: switch it off for the "before" reading.
            with mock.patch("coibot.extract.photo.prepare_page", _unchanged):
                before, t_before = read(path)
            after, t_after = read(prepared)
            acc0, f10 = scores(score, truth, before)
            acc1, f11 = scores(score, truth, after)
            rows.append((acc0, acc1, f10, f11, prep_s, prep_cpu))
            flag = "" if detected else "  (not detected as a photo)"
            print(
                f"{path.name:18} {acc0:10.3f} {acc1:10.3f} {f10:9.3f} {f11:9.3f} "
                f"{prep_s:7.2f} {prep_cpu:8.2f} {t_before:9.1f}/{t_after:<9.1f}{flag}",
                flush=True,
            )
        cols = list(zip(*rows, strict=True))
        print(
            f"{'mean':18} {statistics.mean(cols[0]):10.3f} {statistics.mean(cols[1]):10.3f} "
            f"{statistics.mean(cols[2]):9.3f} {statistics.mean(cols[3]):9.3f} "
            f"{statistics.median(cols[4]):7.2f} {statistics.median(cols[5]):7.2f} "
            f"(median prep s wall, CPU; max {max(cols[4]):.2f}, {max(cols[5]):.2f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Phone photos made to look like flat scans: page found and unwarped, light evened, scans untouched.

Photos come from the corpus generator's `photo` family with seed 99 (never 7331, the hold-out).
Straightness is measured here independently of coibot.extract.photo: the angle of the rows (and
columns) of ink in four bands of the picture, by a sheared projection profile.
"""

from __future__ import annotations

import importlib
import json
import math
import random
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageDraw, ImageFilter

from coibot.extract import ocr
from coibot.extract.images import PageImage
from coibot.extract.photo import find_page, flatten_illumination, looks_like_photo, prepare_photo, rectify
from coibot.limits import Limits

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "fixtures" / "certificates"
SEED = 99  # not 7331: the hold-out is never used to tune


def _family() -> ModuleType:
    """scripts/corpus/photos.py, imported as scripts/make_corpus.py does."""
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        return importlib.import_module("corpus.photos")
    finally:
        sys.path.remove(str(REPO / "scripts"))


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Image.Image, dict[str, Any]]]:
    """The family's first two photos: an ACORD 25 on a desk, and one cropped close to the page."""
    out = tmp_path_factory.mktemp("photos")
    names = _family().photo(out, 2, random.Random(f"{SEED}:photo"))
    loaded = []
    for name in names:
        with Image.open(out / name) as img:
            loaded.append((img.convert("L"), json.loads((out / f"{name}.truth.json").read_text())))
    return loaded


def _ink(img: Image.Image) -> npt.NDArray[np.bool_]:
    """Strokes darker than their neighbourhood's paper (works under uneven light too)."""
    factor = max(1, img.width // 850)
    small = img.reduce(factor) if factor > 1 else img
    arr = np.asarray(small, dtype=np.float32)
    paper = np.asarray(small.filter(ImageFilter.MaxFilter(9)), dtype=np.float32)
    return arr < 0.7 * paper


def _angle(ys: npt.NDArray[np.float64], xs: npt.NDArray[np.float64]) -> float:
    """Degrees by which rows of points climb: the shear that makes their row profile sharpest."""

    def sharpness(deg: float) -> float:
        pos = ys - (xs - xs.mean()) * math.tan(math.radians(deg))
        pos -= pos.min()
        row = np.floor(pos)
        idx, frac = row.astype(np.int64), pos - row
        # Split between the two nearest rows: plain rounding leaves a flat top and a biased maximum.
        counts = np.bincount(idx, weights=1 - frac, minlength=idx.max() + 2)
        counts += np.bincount(idx + 1, weights=frac, minlength=idx.max() + 2)
        return float(np.dot(counts, counts))

    best = 0.0
    for step, half in ((0.25, 10.0), (0.025, 0.3)):
        grid = np.arange(best - half, best + half + step / 2, step)
        best = float(grid[int(np.argmax([sharpness(float(a)) for a in grid]))])
    return best


def _spreads(img: Image.Image) -> tuple[float, float]:
    """Spread (max - min) of the horizontal and of the vertical lines' angles over four bands."""
    mask = _ink(img)
    h, w = mask.shape
    ys, xs = (a.astype(np.float64) for a in np.nonzero(mask))
    out = []
    for along, across, size, other in ((ys, xs, h, w), (xs, ys, w, h)):
        angles = []
        for lo in (0.1, 0.3, 0.5, 0.7):
            sel = (along >= lo * size) & (along < (lo + 0.2) * size)
            sel &= (across > 0.1 * other) & (across < 0.9 * other)
            angles.append(_angle(along[sel], across[sel]))
        out.append(max(angles) - min(angles))
    return out[0], out[1]


def _words(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"[A-Za-z0-9]{3,}", text)}


def _truth_words(truth: dict[str, Any]) -> set[str]:
    """Words of the values printed in the page's upper half: producer, insured, insurers."""
    parts = [
        truth["producer"].get("name") or "",
        truth["producer"].get("address") or "",
        truth["insured"].get("name") or "",
        truth["insured"].get("address") or "",
    ]
    parts += [i.get("name") or "" for i in truth.get("insurers") or []]
    return _words(" ".join(parts))


def _read(img: Image.Image, dpi: float) -> set[str]:
    """Words the reader's OCR step finds (ruling lines erased, sparse text, lone letters)."""
    # On a portrait canvas: the OCR step turns a landscape picture as a page lying on its side.
    canvas = Image.new("L", (img.width, round(img.width * 1.3)), 255)
    canvas.paste(img, (0, 0))
    page = ocr.ocr_page(PageImage(number=1, image=canvas, dpi=dpi), Limits())
    return _words(" ".join(w.text for w in page.words))


def test_photo_lines_come_out_straight_and_the_desk_goes(
    photos: list[tuple[Image.Image, dict[str, Any]]],
) -> None:
    for img, truth in photos:
        assert looks_like_photo(img)
        raw_h, raw_v = _spreads(img)
        # The keystone bends the columns: the measure sees it on the raw photo.
        assert raw_v > 0.5, (truth["file"], raw_h, raw_v)
        out = prepare_photo(img)
        assert out.mode == "L"
        assert abs(out.width / out.height - 8.5 / 11) < 0.01
        assert out.width == 2550  # 300 dpi, the OCR step's resolution: no second resampling
        assert not looks_like_photo(out)  # prepared once: a second pass leaves it alone
        h, v = _spreads(out)
        assert h < 0.3 and v < 0.3, (truth["file"], h, v)
        # The page fills the picture: the form's frame spans it, a paper-white ring surrounds it.
        mask = _ink(out)
        cols, rows = np.nonzero(mask.any(axis=0))[0], np.nonzero(mask.any(axis=1))[0]
        assert (cols[-1] - cols[0]) > 0.85 * mask.shape[1] and (rows[-1] - rows[0]) > 0.85 * mask.shape[0]
        arr = np.asarray(out)
        ring = np.concatenate(
            [arr[:, :30].ravel(), arr[:, -30:].ravel(), arr[:30].ravel(), arr[-30:].ravel()]
        )
        assert float(np.median(ring)) >= 200


@pytest.mark.skipif(not ocr.is_available(), reason="tesseract is not installed")
def test_prepared_photo_reads_more_of_the_truth(photos: list[tuple[Image.Image, dict[str, Any]]]) -> None:
    img, truth = photos[0]  # on a desk, lit unevenly
    wanted = _truth_words(truth)
    assert len(wanted) >= 10
    # The same part of the page in both: its upper 45%, where producer, insured and insurers are.
    xs, ys = zip(*truth["_generator"]["photo"]["corners"], strict=True)
    top, bottom = min(ys), max(ys)
    raw = img.crop(
        (max(0, min(xs)), max(0, top), min(img.width, max(xs)), round(top + 0.45 * (bottom - top)))
    )
    out = prepare_photo(img)
    flat = out.crop((0, 0, out.width, round(0.45 * out.height)))
    # The raw photo's resolution: its page drawn across the corners' width is 8.5 inches.
    before = len(wanted & _read(raw, (max(xs) - min(xs)) / 8.5))
    after = len(wanted & _read(flat, out.width / 8.5))
    assert after > before, (before, after, len(wanted))
    assert after >= 0.7 * len(wanted), (after, sorted(wanted))


@pytest.mark.parametrize("name", ["scan_003.jpg", "scan_002.png", "scan_007.jpg"])
def test_flat_scan_is_left_alone(name: str) -> None:
    with Image.open(CORPUS / name) as img:
        gray = img.convert("L")
    assert not looks_like_photo(gray)
    assert prepare_photo(gray) is gray


def _grid_page() -> Image.Image:
    """A white letter page at 100 dpi with a form-like grid of rules and text-like dashes."""
    page = Image.new("L", (850, 1100), 245)
    d = ImageDraw.Draw(page)
    for y in range(60, 1050, 70):
        d.line((40, y, 810, y), fill=20, width=2)
        for x in range(60, 780, 90):
            d.rectangle((x, y + 20, x + 50, y + 30), fill=40)
    for x in (40, 300, 560, 810):
        d.line((x, 60, x, 1040), fill=20, width=2)
    return page


def _keystoned() -> tuple[Image.Image, Image.Image]:
    """The grid page, and a photo of it on a plain desk: narrower at the top, rotated a little."""
    page = _grid_page()
    desk = Image.new("L", (1000, 1300), 90)
    quad = [(150.0, 120.0), (840.0, 140.0), (930.0, 1230.0), (60.0, 1200.0)]
    to_page = _family().perspective_coeffs(quad, [(0.0, 0.0), (850.0, 0.0), (850.0, 1100.0), (0.0, 1100.0)])
    mask = Image.new("L", page.size, 255).transform(desk.size, Image.Transform.PERSPECTIVE, to_page)
    warped = Image.composite(page.transform(desk.size, Image.Transform.PERSPECTIVE, to_page), desk, mask)
    return page, warped


def _agreement(out: Image.Image, page: Image.Image) -> float:
    back = np.asarray(out.resize(page.size, Image.Resampling.BILINEAR), dtype=np.float32)
    return float(np.corrcoef(back.ravel(), np.asarray(page, dtype=np.float32).ravel())[0, 1])


def test_rectify_undoes_a_known_keystone() -> None:
    page, warped = _keystoned()
    out = rectify(warped)
    assert abs(out.width / out.height - 8.5 / 11) < 0.01
    # Rules land where they were drawn: the two pages agree pixel for pixel (up to blur).
    assert _agreement(out, page) > 0.8
    h, v = _spreads(out)
    assert h < 0.3 and v < 0.3, (h, v)


def test_a_page_photographed_sideways_stays_a_landscape_page() -> None:
    page, warped = _keystoned()
    out = rectify(warped.transpose(Image.Transpose.ROTATE_90))
    # Not squeezed into portrait: the OCR step's orientation check turns it upright.
    assert abs(out.height / out.width - 8.5 / 11) < 0.01
    assert _agreement(out.transpose(Image.Transpose.ROTATE_270), page) > 0.8


def test_flatten_removes_a_shadow_and_keeps_thin_strokes() -> None:
    page = _grid_page()
    ys, xs = np.mgrid[0:1100, 0:850].astype(np.float32)
    light = 1.0 - 0.35 * (xs / 850) - 0.3 / (1 + np.exp(-(ys - 500) / 30))  # a gradient and a shadow edge
    arr = np.asarray(page, dtype=np.float32) * light
    lit = Image.fromarray(arr.clip(0, 255).astype(np.uint8), "L")
    flat = np.asarray(flatten_illumination(lit), dtype=np.float32)
    paper = flat[np.asarray(page) > 200]
    ink = flat[np.asarray(page) < 60]
    # Raw: the paper's level spans the ink's; flattened: paper is uniformly white, ink stays black.
    assert np.percentile(arr[np.asarray(page) > 200], 5) < 150
    assert np.percentile(paper, 5) > 220
    assert np.percentile(ink, 95) < 100


@pytest.mark.parametrize(
    "img",
    [
        Image.new("L", (1, 1), 255),
        Image.new("L", (40, 60), 200),
        Image.new("L", (800, 1000), 0),
        Image.new("L", (800, 1000), 255),
        Image.new("RGBA", (500, 600), (10, 20, 30, 0)),
        Image.new("1", (500, 600), 1),
    ],
    ids=["one-pixel", "tiny", "black", "white", "transparent", "bilevel"],
)
def test_odd_pictures_are_left_alone(img: Image.Image) -> None:
    assert not looks_like_photo(img)
    assert prepare_photo(img) is img


def test_a_blank_page_on_a_desk_comes_out_as_a_white_page() -> None:
    arr = np.full((1300, 1000), 60.0)
    arr[100:1200, 75:925] = 240  # a letter page
    ys = np.arange(1300, dtype=np.float64)[:, None]
    arr *= 1 - 0.45 / (1 + np.exp(-(ys - 650) / 25))  # a soft shadow over the lower half
    img = Image.fromarray(arr.astype(np.uint8), "L")
    assert looks_like_photo(img)
    out = np.asarray(prepare_photo(img))
    assert out.shape == (3300, 2550)
    assert float(np.percentile(out, 2)) > 200  # no desk left, no shadow edge


def test_an_a4_page_keeps_its_shape() -> None:
    page = _grid_page().resize((827, 1169))  # A4 at 100 dpi
    desk = Image.new("L", (1000, 1350), 90)
    quad = [(110.0, 100.0), (900.0, 115.0), (920.0, 1250.0), (90.0, 1240.0)]  # a mild keystone
    to_page = _family().perspective_coeffs(quad, [(0.0, 0.0), (827.0, 0.0), (827.0, 1169.0), (0.0, 1169.0)])
    mask = Image.new("L", page.size, 255).transform(desk.size, Image.Transform.PERSPECTIVE, to_page)
    warped = Image.composite(page.transform(desk.size, Image.Transform.PERSPECTIVE, to_page), desk, mask)
    out = rectify(warped)
    assert out.size == (2481, 3507)  # A4 at 300 dpi, not stretched to US Letter
    assert _agreement(out, page) > 0.8


def test_a_dark_header_bar_along_the_pages_top_edge_stays_on_the_page() -> None:
    # A page with an insurer's dark header bar (light letters in it) on a pale desk: the first
    # step up to paper from above is the bar's lower edge, but the page starts above the bar.
    desk = Image.new("L", (1000, 1300), 170)
    d = ImageDraw.Draw(desk)
    d.rectangle((100, 100, 900, 1200), fill=245)
    d.rectangle((100, 100, 900, 190), fill=60)
    for x in range(140, 700, 30):
        d.rectangle((x, 125, x + 18, 145), fill=235)
    d.line((140, 300, 860, 300), fill=20, width=2)
    corners, _ = find_page(desk)
    assert all(abs(y - 100) <= 6 for _, y in corners[:2]), corners
    # A dark desk is no bar: it goes on beyond the page's sides.
    dark = Image.new("L", (1000, 1300), 60)
    ImageDraw.Draw(dark).rectangle((100, 200, 900, 1200), fill=245)
    corners, _ = find_page(dark)
    assert all(abs(y - 200) <= 6 for _, y in corners[:2]), corners

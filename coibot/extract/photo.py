"""Phone photos of a page made to look like a flat scan: page found and unwarped, lighting evened out.

A photo shows the page on a desk (or cropped close), tilted in 3-D (keystone), rotated and lit
unevenly. Tesseract reads such a picture poorly: ruling lines and columns are not straight, and
shadows and vignetting push parts of the page below any global ink threshold. `prepare_photo`
finds the page's quadrilateral, maps it onto an upright 300 dpi page (refined with the form's
ruling lines, so a page cropped close is straightened as well) and divides out the illumination.
Flat scans are recognised by `looks_like_photo` and left alone.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageChops, ImageFilter, ImageOps

from coibot.extract.images import percentile_u8

log = logging.getLogger(__name__)

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
Point = tuple[float, float]
Line = tuple[float, float]  # c = slope * r + offset, in a side's own (row, column) frame

LETTER_IN = (8.5, 11.0)
# Paper sizes a certificate is printed on (inches, portrait); the page's own shape picks one.
PAPER_IN = {"letter": LETTER_IN, "a4": (8.27, 11.69), "legal": (8.5, 14.0)}
# How far (relative) the page's measured shape may be from a paper size's: a tilt of up to 8 degrees
# foreshortens a side by 1%, the camera's distance a little more.
_PAPER_TOLERANCE = 0.04
# Output resolution: the OCR step's own. Resampling once here, rather than once here and again when
# the OCR enlarges the page, read 0.83 of the fields instead of 0.68 on seed-99 photos.
OUT_DPI = 300.0
# Enlarging the photo's ~200 dpi to 300 needs a smooth kernel: bilinear blurs the small labels.
_RESAMPLE = Image.Resampling.BICUBIC
# Long side of the image in which the page and its lines are looked for (about 100 dpi on a page).
_WORK_LONG = 1100
# Paper level must vary at least this much (brightest / darkest background) for a photo: a scanner
# lights the page evenly, a phone's vignetting alone darkens the corners by 12% or more.
_LIGHT_RATIO = 1.12
# A border this much darker than the paper is a desk around the page.
_DESK_RATIO = 0.86
# Keystone/rotation the line refinement may correct, in degrees.
_MAX_ANGLE = 8.0


# ---------------------------------------------------------------- helpers


def _gray(img: Image.Image) -> Image.Image:
    """Grayscale; a colour photo is turned as its EXIF orientation says (the loader's are already)."""
    if img.mode == "L":
        return img
    return (ImageOps.exif_transpose(img) or img).convert("L")


def _shrink(img: Image.Image, long_side: int) -> tuple[Image.Image, float]:
    """A box-filtered copy whose long side is about `long_side`; returns it and its scale (small/full)."""
    factor = max(1, math.ceil(max(img.size) / long_side))
    small = img.reduce(factor) if factor > 1 else img
    return small, small.width / img.width


def _background(small: Image.Image) -> Image.Image:
    """The paper's brightness without the ink: a max filter wipes out strokes, a blur smooths seams."""
    size = max(3, (max(small.size) // 80) | 1)
    bg = small.filter(ImageFilter.MaxFilter(size)).filter(ImageFilter.MaxFilter(size))
    return bg.filter(ImageFilter.GaussianBlur(size))


# ---------------------------------------------------------------- detection


def looks_like_photo(img: Image.Image) -> bool:
    """A photo rather than a flat scan: a desk around the page, or uneven lighting on the paper."""
    small, _ = _shrink(_gray(img), 256)
    arr = np.asarray(small, dtype=np.uint8)
    h, w = arr.shape
    if h < 32 or w < 32:
        return False
    bg = np.asarray(_background(small), dtype=np.float32)
    core = bg[h // 5 : h - h // 5, w // 5 : w - w // 5]
    paper = float(np.percentile(core, 90))
    if paper < 60:  # a dark or blank picture: nothing to straighten
        return False
    # Paper level over the page: a scan's stays flat, a photo's falls off to its corners and shadow.
    inner = bg[h // 16 : h - h // 16, w // 16 : w - w // 16]
    light = float(np.percentile(inner, 95)) / max(float(np.percentile(inner, 5)), 1.0)
    # The outer ring: desk (or the dark side of a photo) versus paper (a scan's margin).
    ring = np.concatenate(
        [
            arr[: h // 40].ravel(),
            arr[-(h // 40) :].ravel(),
            arr[:, : w // 40].ravel(),
            arr[:, -(w // 40) :].ravel(),
        ]
    )
    border = percentile_u8(ring, 50) / paper
    verdict = light >= _LIGHT_RATIO or border <= _DESK_RATIO
    log.debug("photo test: light ratio %.2f, border/paper %.2f -> %s", light, border, verdict)
    return verdict


# ---------------------------------------------------------------- page edges


def _side_points(a: F32, paper: float, depth: float = 0.45) -> tuple[F64, F64]:
    """Where the page starts along each row, scanning from column 0 inwards (a desk-to-paper step).

    Returns (rows, columns) of the accepted edge points. A page edge is the first sharp step from
    darker to brighter with nothing as bright as paper just before it: a pale desk is only a few
    percent darker than the paper, but paper shows just before the bright side of a ruling line or
    a glyph, and a shadow's edge is soft.
    """
    h, w = a.shape
    n = max(32, int(w * depth))
    k, wide = 3, 8
    rows = np.arange(0, h, 2)
    # The first column repeated outwards: a sliver of desk only a pixel or two wide at the border
    # (a photo cropped close to the page) still reads as desk before the step.
    p = np.pad(a[rows, :n].astype(np.float64), ((0, 0), (wide, 0)), mode="edge")
    n += wide
    zero = np.zeros((p.shape[0], 1))
    cs = np.concatenate([zero, np.cumsum(p, axis=1)], axis=1)
    t = np.arange(wide, n - wide)
    after = (cs[:, t + k] - cs[:, t]) / k  # mean of p[t : t+k]
    before = (cs[:, t] - cs[:, t - k]) / k  # mean of p[t-k : t]
    # Brightest pixel of p[t-wide : t-1]: desk (even in the page's drop shadow) stays below paper.
    m2 = np.maximum(p[:, :-1], p[:, 1:])  # max of p[i : i+2]
    m4 = np.maximum(m2[:, :-2], m2[:, 2:])  # p[i : i+4]
    m7 = np.maximum(m4[:, :-3], m4[:, 3:])  # p[i : i+7] = p[t-wide : t-1] for i = t - wide
    out_max = m7[:, t - wide]
    inside = (cs[:, t + wide] - cs[:, t + 1]) / (wide - 1)
    step = after - before
    ok = (
        (step > max(8.0, 0.04 * paper))
        & (before < 0.95 * after)
        & (after > 0.45 * paper)
        & (out_max < 0.96 * inside)
    )
    has = ok.any(axis=1)
    first = np.argmax(ok, axis=1)
    # The sharpest point of the step just found (the first hit is on its rising flank).
    r_idx = np.arange(p.shape[0])[:, None]
    window = np.clip(first[:, None] + np.arange(k + 1)[None, :], 0, t.size - 1)
    best = window[r_idx[:, 0], np.argmax(step[r_idx, window], axis=1)]
    cols = t[best].astype(np.float64) - wide
    return rows[has].astype(np.float64), cols[has]


def _fit_line(r: F64, c: F64, span: int) -> Line | None:
    """A straight edge through most points (RANSAC then least squares); None when there is none."""
    if r.size < max(12, span // 40):
        return None
    rng = np.random.default_rng(0)  # fixed: the same photo always gives the same page
    i, j = rng.integers(0, r.size, 200), rng.integers(0, r.size, 200)
    dr = r[j] - r[i]
    usable = np.abs(dr) >= span * 0.1
    if not usable.any():
        return None
    i, j, dr = i[usable], j[usable], dr[usable]
    slope = (c[j] - c[i]) / dr
    steep = np.abs(slope) <= math.tan(math.radians(15))
    if not steep.any():
        return None
    i, slope = i[steep], slope[steep]
    # Every candidate line against every point at once: a (candidates x points) table.
    inliers = np.abs(c[None, :] - (c[i][:, None] + slope[:, None] * (r[None, :] - r[i][:, None]))) < 1.5
    counts = inliers.sum(axis=1)
    pick = int(np.argmax(counts))
    best, best_n = inliers[pick], int(counts[pick])
    # An edge runs along much of the side; a few collinear specks do not make one.
    covered = float(r[best].max() - r[best].min())
    if best_n < 0.25 * (span / 2) or covered < 0.4 * span:
        return None
    slope, offset = np.polyfit(r[best], c[best], 1)
    return float(slope), float(offset)


def _intersect(p: tuple[Point, Point], q: tuple[Point, Point]) -> Point | None:
    """Crossing of the lines through p and through q (image x, y)."""
    (x1, y1), (x2, y2) = p
    (x3, y3), (x4, y4) = q
    den = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
    if abs(den) < 1e-9:
        return None
    a = x1 * y2 - y1 * x2
    b = x3 * y4 - y3 * x4
    return ((a * (x3 - x4) - (x1 - x2) * b) / den, (a * (y3 - y4) - (y1 - y2) * b) / den)


def find_page(small: Image.Image) -> tuple[list[Point], int]:
    """The page's corners (TL, TR, BR, BL) in `small`'s pixels, and how many of its edges were seen.

    An edge not seen (the photo is cropped close on that side) is taken to be the image border.
    """
    a = np.asarray(small, dtype=np.float32)
    h, w = a.shape
    paper = percentile_u8(np.asarray(small, dtype=np.uint8), 90)
    # Each side is scanned as "from column 0 inwards" in its own frame, then mapped back to (x, y).
    frames: dict[str, F32] = {
        "left": a,
        "right": a[:, ::-1],
        "top": np.ascontiguousarray(a.T),
        "bottom": np.ascontiguousarray(a.T[:, ::-1]),
    }
    lines: dict[str, tuple[Point, Point]] = {}
    seen = 0
    for side, arr in frames.items():
        rows, cols = _side_points(arr, paper)
        span = arr.shape[0]
        fit = _fit_line(rows, cols, span)
        if fit is None:
            slope, offset = 0.0, 0.0
        else:
            slope, offset = fit
            seen += 1
        c0, c1 = offset + 0.5, slope * span + offset + 0.5
        if side == "left":
            lines[side] = ((c0, 0.0), (c1, float(h)))
        elif side == "right":
            lines[side] = ((w - c0, 0.0), (w - c1, float(h)))
        elif side == "top":
            lines[side] = ((0.0, c0), (float(w), c1))
        else:
            lines[side] = ((0.0, h - c0), (float(w), h - c1))
    lines["top"] = _over_header_bar(a, lines, paper)
    corners: list[Point] = []
    for s1, s2 in (("top", "left"), ("top", "right"), ("bottom", "right"), ("bottom", "left")):
        pt = _intersect(lines[s1], lines[s2])
        if pt is None:
            return [(0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))], 0
        corners.append(pt)
    if not _plausible(corners, w, h):
        log.debug("page edges give an implausible quadrilateral %s: using the whole image", corners)
        return [(0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))], 0
    return corners, seen


def _over_header_bar(a: F32, lines: dict[str, tuple[Point, Point]], paper: float) -> tuple[Point, Point]:
    """The page's top edge above a dark header bar printed along it: the edge found is the bar's
    lower one (the first step up to paper), and the bar is cut off with what it prints. The bar is
    dark right above that edge across the page, from one side line to the other and no further
    (a dark desk goes on beyond them), and the desk shows above it."""
    (_, y0), (w, y1) = lines["top"]
    (lx0, _), (lx1, h) = lines["left"]
    (rx0, _), (rx1, _) = lines["right"]
    left, right = max(lx0, lx1), min(rx0, rx1)
    if right - left < 0.5 * a.shape[1] or w <= 0:
        return lines["top"]
    dark = a < _BAR_DARK * paper
    xs = np.linspace(left + 0.1 * (right - left), right - 0.1 * (right - left), 24).astype(int)
    page_h = max(1.0, float(h) - (y0 + y1) / 2)
    longest = int(page_h * _BAR_MAX_SHARE)
    # The bar's light letters break its dark up; the desk above it is a longer light stretch.
    gap = max(3, int(page_h * _BAR_LETTERS_SHARE))
    runs = [_dark_run_up(dark[:, x], round(y0 + (y1 - y0) * x / w) - 2, longest, gap) for x in xs]
    run = int(np.median(runs))
    if run < page_h * _BAR_MIN_SHARE or sum(abs(r - run) <= 2 for r in runs) < 0.8 * len(runs):
        return lines["top"]
    # The bar ends at the side lines: beyond them, at its height, no dark.
    y_mid = round((y0 + y1) / 2) - 2 - run // 2
    left_x, right_x = lx0 + (lx1 - lx0) * y_mid / h, rx0 + (rx1 - rx0) * y_mid / h
    for x in (round(left_x) - _BEYOND_PX, round(right_x) + _BEYOND_PX):
        if 0 <= x < a.shape[1] and 0 <= y_mid < a.shape[0] and dark[y_mid, x]:
            return lines["top"]
    log.debug("a %d px dark bar along the page's top edge: the edge is above it", run)
    return (0.0, y0 - run - 2), (w, y1 - run - 2)


def _dark_run_up(column: npt.NDArray[np.bool_], start: int, longest: int, gap: int) -> int:
    """How far up from `start` a column stays dark, over light stretches shorter than `gap`; 0 when
    it is not dark there, or still dark `longest` pixels up (no bar is that tall)."""
    up = column[max(0, start - longest):max(0, start)][::-1]
    if not up.size or not up[0]:
        return 0
    where = np.flatnonzero(up)
    breaks = np.flatnonzero(np.diff(where) > gap)
    end = int(where[breaks[0]] if breaks.size else where[-1]) + 1
    return 0 if end >= longest else end


# A header bar is darker than this share of the paper's brightness, and between these shares of
# the page's height tall (0.15 in to 1.6 in on a letter page).
_BAR_DARK = 0.55
_BAR_MIN_SHARE = 0.014
_BAR_MAX_SHARE = 0.15
# A line of the bar's light letters is shorter than this share of the page's height (0.3 in).
_BAR_LETTERS_SHARE = 0.027
# Pixels beyond a side line where a bar printed on the page has ended (the edge's blur is less).
_BEYOND_PX = 6


def _plausible(q: list[Point], w: int, h: int) -> bool:
    """A convex quadrilateral covering a good part of the picture, corners near the image."""
    xs = np.array([p[0] for p in q])
    ys = np.array([p[1] for p in q])
    area = 0.5 * abs(float(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1))))
    if area < 0.25 * w * h:
        return False
    if (xs < -0.05 * w).any() or (xs > 1.05 * w).any() or (ys < -0.05 * h).any() or (ys > 1.05 * h).any():
        return False
    cross = []
    for i in range(4):
        x0, y0 = q[i]
        x1, y1 = q[(i + 1) % 4]
        x2, y2 = q[(i + 2) % 4]
        cross.append((x1 - x0) * (y2 - y1) - (y1 - y0) * (x2 - x1))
    return all(c > 0 for c in cross) or all(c < 0 for c in cross)


# ---------------------------------------------------------------- homographies


def _homography(dst: list[Point], src: list[Point]) -> F64:
    """3x3 matrix mapping output points `dst` to input points `src` (Pillow's PERSPECTIVE sense)."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    sol = np.linalg.solve(np.array(rows, dtype=np.float64), np.array(rhs, dtype=np.float64))
    return np.append(sol, 1.0).reshape(3, 3)


def _coeffs(m: F64) -> tuple[float, ...]:
    m = m / m[2, 2]
    return tuple(float(v) for v in m.ravel()[:8])


def _scale(sx: float, sy: float) -> F64:
    return np.array([[sx, 0, 0], [0, sy, 0], [0, 0, 1]], dtype=np.float64)


# ---------------------------------------------------------------- line refinement


def _ink(img: Image.Image) -> npt.NDArray[np.bool_]:
    """Dark strokes on evenly lit paper (the image is flattened first)."""
    arr = np.asarray(img, dtype=np.uint8)
    return arr < 150


def _band_angle(ys: F64, xs: F64, max_angle: float) -> tuple[float, float]:
    """Angle (degrees, y grows with x for positive) of the rows of ink, and how peaked the profile is."""
    if ys.size < 300:
        return 0.0, 0.0
    if ys.size > 30_000:
        # A fixed sample: the profile's peak needs far fewer points than a page band holds.
        keep = np.random.default_rng(1).choice(ys.size, 30_000, replace=False)
        ys, xs = ys[keep], xs[keep]
    span = int(ys.max() - ys.min()) + 1
    y0 = ys.min()
    x0 = float(xs.mean())
    lo, hi, step = -max_angle, max_angle, 0.5
    best, score0, best_score = 0.0, 0.0, 0.0
    for level in range(4):
        angles = np.arange(lo, hi + step / 2, step)
        pad = int(abs(math.tan(math.radians(max(abs(lo), abs(hi))))) * (xs.max() - xs.min())) + 2
        scores = []
        for ang in angles:
            pos = ys - y0 - (xs - x0) * math.tan(math.radians(float(ang))) + pad
            # Each point split between its two nearest rows: rounding would make the score flat over a
            # small range of angles and the search would settle at one end of it (a bias of ~0.07 deg).
            row = np.floor(pos)
            frac = pos - row
            idx = row.astype(np.int64)
            counts = np.bincount(idx, weights=1 - frac, minlength=span + 2 * pad + 2)
            counts += np.bincount(idx + 1, weights=frac, minlength=span + 2 * pad + 2)
            scores.append(float(np.dot(counts, counts)))
        i = int(np.argmax(scores))
        best, best_score = float(angles[i]), scores[i]
        if level == 0:
            score0 = float(np.median(scores))
        lo, hi, step = best - step, best + step, step / 5
    return best, best_score / max(score0, 1.0)


def _line_quad(mask: npt.NDArray[np.bool_]) -> tuple[list[Point], list[Point]] | None:
    """From the ink's line angles near each edge of an almost-upright page, a quadrilateral whose
    sides follow those lines and the rectangle it should become (None when the lines are unclear)."""
    h, w = mask.shape
    ys_i, xs_i = np.nonzero(mask)
    if ys_i.size < 2000:
        return None
    ys, xs = ys_i.astype(np.float64), xs_i.astype(np.float64)
    mx, my = 0.06, 0.06
    inner = (xs > w * mx) & (xs < w * (1 - mx)) & (ys > h * my) & (ys < h * (1 - my))
    ys, xs = ys[inner], xs[inner]
    if ys.size < 2000:
        return None
    bands: dict[str, tuple[float, float, float]] = {}  # angle, centre along the band's normal, peak
    for name, sel_axis, lo, hi in (
        ("top", ys, 0.06, 0.38),
        ("bottom", ys, 0.62, 0.94),
        ("left", xs, 0.06, 0.38),
        ("right", xs, 0.62, 0.94),
    ):
        size = h if name in ("top", "bottom") else w
        sel = (sel_axis >= lo * size) & (sel_axis < hi * size)
        if name in ("top", "bottom"):
            ang, peak = _band_angle(ys[sel], xs[sel], _MAX_ANGLE)
            centre = float(ys[sel].mean()) if sel.any() else size / 2
        else:
            # Vertical lines: the same measure on the transposed picture.
            ang, peak = _band_angle(xs[sel], ys[sel], _MAX_ANGLE)
            centre = float(xs[sel].mean()) if sel.any() else size / 2
        bands[name] = (ang, centre, peak)
    log.debug("line angles: %s", {k: (round(v[0], 2), round(v[2], 2)) for k, v in bands.items()})
    if min(bands["top"][2], bands["bottom"][2]) < 1.5:
        return None  # no clear rows of text or rules at all
    cx, cy = w / 2, h / 2
    # Vertical lines are rare on a letter; without them keep the rows' shared rotation only.
    if min(bands["left"][2], bands["right"][2]) < 1.5:
        mean = (bands["top"][0] + bands["bottom"][0]) / 2
        bands["left"] = (-mean, bands["left"][1], 0.0)
        bands["right"] = (-mean, bands["right"][1], 0.0)

    def hline(name: str) -> tuple[Point, Point]:
        ang, yc, _ = bands[name]
        t = math.tan(math.radians(ang))
        return (0.0, yc - t * cx), (float(w), yc + t * (w - cx))

    def vline(name: str) -> tuple[Point, Point]:
        ang, xc, _ = bands[name]
        t = math.tan(math.radians(ang))
        return (xc - t * cy, 0.0), (xc + t * (h - cy), float(h))

    quad: list[Point] = []
    for hn, vn in (("top", "left"), ("top", "right"), ("bottom", "right"), ("bottom", "left")):
        pt = _intersect(hline(hn), vline(vn))
        if pt is None:
            return None
        quad.append(pt)
    yt, yb = bands["top"][1], bands["bottom"][1]
    xl, xr = bands["left"][1], bands["right"][1]
    rect = [(xl, yt), (xr, yt), (xr, yb), (xl, yb)]
    # The page was already found roughly: a correction that moves a corner far is a misreading.
    if xr - xl < 0.3 * w or yb - yt < 0.3 * h:
        return None
    if any(
        math.hypot(qx - rx, qy - ry) > 0.08 * max(w, h) for (qx, qy), (rx, ry) in zip(quad, rect, strict=True)
    ):
        log.debug("line refinement moves a corner too far: %s -> %s", rect, quad)
        return None
    return quad, rect


# ---------------------------------------------------------------- public steps


def _out_size(dpi: float, landscape: bool = False, paper: tuple[float, float] = LETTER_IN) -> tuple[int, int]:
    w, h = round(paper[0] * dpi), round(paper[1] * dpi)
    return (h, w) if landscape else (w, h)


def _paper(corners: list[Point], seen: int) -> tuple[float, float]:
    """The paper size whose shape the page's has; US Letter unless all four edges were seen and the
    perspective is mild (a strong keystone makes the mean side lengths a poor measure of shape)."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = corners
    top, bottom = math.hypot(x1 - x0, y1 - y0), math.hypot(x2 - x3, y2 - y3)
    left, right = math.hypot(x3 - x0, y3 - y0), math.hypot(x2 - x1, y2 - y1)
    if min(top, bottom, left, right) <= 0:
        return LETTER_IN
    keystone = max(abs(1 - top / bottom), abs(1 - left / right))
    short, long = sorted((top + bottom, left + right))
    if seen == 4 and keystone <= 0.12:
        ratio = short / long
        name, size = min(PAPER_IN.items(), key=lambda kv: abs(kv[1][0] / kv[1][1] - ratio))
        if abs(size[0] / size[1] - ratio) <= _PAPER_TOLERANCE * ratio:
            log.debug("page shape %.3f: %s", ratio, name)
            return size
    return LETTER_IN


def _page_matrix(gray: Image.Image) -> tuple[F64, tuple[int, int], int]:
    """Matrix from the upright page (output pixels) to the photo's pixels, the output size, and
    how many page edges were seen."""
    small, f = _shrink(gray, _WORK_LONG)
    corners, seen = find_page(small)
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = corners
    page_w = math.hypot(x1 - x0, y1 - y0) + math.hypot(x2 - x3, y2 - y3)
    page_h = math.hypot(x3 - x0, y3 - y0) + math.hypot(x2 - x1, y2 - y1)
    # A page photographed sideways stays a landscape page here; the OCR step turns it upright.
    landscape = page_w > page_h
    paper = _paper(corners, seen)
    dpi = OUT_DPI
    # Work at about 100 dpi first: the line refinement needs the page upright and evenly lit.
    wdpi = 100.0
    ws = _out_size(wdpi, landscape, paper)
    try:
        m1 = _homography([(0.0, 0.0), (ws[0], 0.0), (ws[0], ws[1]), (0.0, ws[1])], corners)
    except np.linalg.LinAlgError:  # corners on one line: use the whole picture
        whole = [
            (0.0, 0.0),
            (float(small.width), 0.0),
            (float(small.width), float(small.height)),
            (0.0, float(small.height)),
        ]
        m1 = _homography([(0.0, 0.0), (ws[0], 0.0), (ws[0], ws[1]), (0.0, ws[1])], whole)
    rect_small = small.transform(
        ws, Image.Transform.PERSPECTIVE, _coeffs(m1), Image.Resampling.BILINEAR, fillcolor=255
    )
    quad = _line_quad(_ink(flatten_illumination(rect_small)))
    m = m1
    if quad is not None:
        try:
            m = m1 @ _homography(quad[1], quad[0])
        except np.linalg.LinAlgError:
            log.debug("line refinement gives a degenerate quadrilateral; page edges only")
    out = _out_size(dpi, landscape, paper)
    full = _scale(1 / f, 1 / f) @ m @ _scale(wdpi / dpi, wdpi / dpi)
    return full, out, seen


def rectify(img: Image.Image) -> Image.Image:
    """The page upright at 300 dpi (US Letter, or A4 or Legal when its edges show that shape), the desk
    cut away and the keystone undone (grayscale)."""
    gray = _gray(img)
    m, size, seen = _page_matrix(gray)
    # Photo pixels per output pixel, along the page's top edge.
    left, right = m @ np.array([0.0, 0.0, 1.0]), m @ np.array([float(size[0]), 0.0, 1.0])
    ratio = math.dist(left[:2] / left[2], right[:2] / right[2]) / size[0]
    if ratio >= 1.5:
        # A page shot (or rendered) far above 300 dpi: the transform samples without a low-pass
        # filter, so shrink first or thin strokes alias away.
        k = int(ratio)
        gray = gray.reduce(k)
        m = _scale(1 / k, 1 / k) @ m
    log.debug("rectify: %d page edges seen, output %dx%d, %.2f photo px per output px", seen, *size, ratio)
    return gray.transform(size, Image.Transform.PERSPECTIVE, _coeffs(m), _RESAMPLE, fillcolor=255)


def sharpen(img: Image.Image) -> Image.Image:
    """Undo some of a phone's blur (focus, motion, the enlargement to 300 dpi) on the unwarped page.

    The reader's field accuracy rose from 0.78 to 0.89 on 12 seed-99 photos (a badly focused one
    from 0.16 to 0.84) and from 0.82 to 0.86 on 8 seed-42 photos checked afterwards; milder
    settings (radius 1.2, 100%) gained half as much.
    """
    return img.filter(ImageFilter.UnsharpMask(radius=1.5, percent=120, threshold=2))


def flatten_illumination(img: Image.Image) -> Image.Image:
    """Grayscale with shadows, gradients and vignetting divided out; paper white, ink dark, strokes kept."""
    gray = _gray(img)
    small, _ = _shrink(gray, 256)
    bg = np.asarray(_background(small), dtype=np.float32)
    # Gain that lifts the local paper level to a common one; applied as an 8-bit multiply (fast).
    floor = max(float(bg.min()), 16.0)
    gain = np.clip(floor / np.maximum(bg, 1.0) * 255.0, 0, 255).astype(np.uint8)
    gain_img = Image.fromarray(gain, mode="L").resize(gray.size, Image.Resampling.BILINEAR)
    even = ImageChops.multiply(gray, gain_img)  # = gray * floor / bg: paper at about `floor`
    arr = np.asarray(even.reduce(4) if min(even.size) > 400 else even, dtype=np.uint8)
    paper = percentile_u8(arr, 90)
    ink = percentile_u8(arr, 0.5)
    if paper - ink < 8:
        # A blank page: nothing to stretch, only lift the paper to white.
        return even.point(lambda v: min(255, round(v * 255 / max(paper, 1.0))))
    # Stretch: ink to black, paper (and anything a little darker, e.g. JPEG noise) to white.
    white = ink + 0.92 * (paper - ink)
    lut = [
        0 if v <= ink else 255 if v >= white else round(255 * (v - ink) / (white - ink)) for v in range(256)
    ]
    return even.point(lut)


def prepare_photo(img: Image.Image) -> Image.Image:
    """A photographed page as a flat grayscale scan (upright 300 dpi page, even light); other images
    come back as they were."""
    started = time.perf_counter()
    if not looks_like_photo(img):
        return img
    out = flatten_illumination(sharpen(rectify(img)))
    log.info("photo prepared in %.2f s: %dx%d -> %dx%d", time.perf_counter() - started, *img.size, *out.size)
    return out


def prepare_page(img: Image.Image) -> tuple[Image.Image, float | None]:
    """`prepare_photo` for the page loader: the image and, when it was a photo, the resolution of the
    page it became (the photo's own declared resolution no longer applies); else None."""
    out = prepare_photo(img)
    if out is img:
        return img, None
    return out, OUT_DPI

"""Page images for OCR: loading (PDF pages, PNG/JPEG/TIFF), orientation, skew, resolution, ruling lines."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from coibot.errors import ExtractionError
from coibot.limits import Limits

log = logging.getLogger(__name__)

LETTER_IN = (8.5, 11.0)
# Resolution at which a page is rendered when its own resolution is unknown or higher.
RENDER_DPI = 300.0
MIN_DPI = 100.0
Box = tuple[float, float, float, float]  # x0, top, x1, bottom


@dataclass(slots=True)
class PageImage:
    """One page as a grayscale image; `dpi` maps its pixels to PDF points (72 per inch)."""

    number: int
    image: Image.Image
    dpi: float

    @property
    def scale(self) -> float:
        """Points per pixel."""
        return 72.0 / self.dpi

    @property
    def width_pt(self) -> float:
        return self.image.width * self.scale

    @property
    def height_pt(self) -> float:
        return self.image.height * self.scale


def guard_pixels(width: int, height: int, limits: Limits, what: str) -> None:
    """Refuse an image whose pixel count exceeds the limit, before it is decoded."""
    if width <= 0 or height <= 0:
        raise ExtractionError("corrupt_image", f"{what} has an empty size {width}x{height}")
    if width * height > limits.max_image_pixels:
        raise ExtractionError(
            "image_too_large",
            f"{what} is {width}x{height} pixels, over the limit of {limits.max_image_pixels:,}",
        )


def infer_dpi(width: int, height: int, declared: float | None) -> float:
    """The image's resolution: the declared one when the page it implies is paper-sized, else US Letter."""
    long_px, short_px = max(width, height), min(width, height)
    if declared and declared > 0:
        long_in = long_px / declared
        if 7.0 <= long_in <= 17.5:
            return float(declared)
    # Fit the image inside a US Letter page, whichever side binds.
    return max(long_px / LETTER_IN[1], short_px / LETTER_IN[0])


def _declared_dpi(img: Image.Image) -> float | None:
    dpi = img.info.get("dpi")
    if isinstance(dpi, tuple) and dpi and isinstance(dpi[0], int | float):
        return float(dpi[0])
    return None


def _to_gray(img: Image.Image) -> Image.Image:
    img = ImageOps.exif_transpose(img) or img
    if img.mode in ("RGBA", "LA", "P", "PA"):
        # Transparent areas are paper: flatten onto white before dropping colour.
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, rgba)
    return img.convert("L")


def _flatten_photo(img: Image.Image) -> tuple[Image.Image, float | None]:
    """A phone photo of a page made flat (coibot.extract.photo), with the resolution it now has."""
    try:
        from coibot.extract import photo
    except ImportError as exc:
        if exc.name != "coibot.extract.photo":
            raise
        return img, None
    return photo.prepare_page(img)


def load_image_pages(path: Path, limits: Limits) -> list[PageImage]:
    """Every page of a PNG, JPEG or (multi-page) TIFF as grayscale with its resolution."""
    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    pages: list[PageImage] = []
    try:
        with Image.open(path) as img:
            n_frames = getattr(img, "n_frames", 1)
            if n_frames > limits.max_pages:
                raise ExtractionError(
                    "too_many_pages",
                    f"{path.name} has {n_frames} pages, over the limit of {limits.max_pages}",
                )
            for i, frame in enumerate(ImageSequence.Iterator(img), start=1):
                guard_pixels(frame.width, frame.height, limits, f"{path.name} page {i}")
                declared = _declared_dpi(frame)
                gray, photo_dpi = _flatten_photo(_to_gray(frame))
                dpi = photo_dpi or infer_dpi(gray.width, gray.height, declared)
                pages.append(PageImage(number=i, image=gray, dpi=dpi))
    except ExtractionError:
        raise
    except Image.DecompressionBombError as exc:
        raise ExtractionError("image_too_large", f"{path.name}: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ExtractionError("corrupt_image", f"{path.name} cannot be decoded: {exc}") from exc
    if not pages:
        raise ExtractionError("no_pages", f"{path.name} holds no image")
    return pages


def pdf_page_dpi(page: Any, limits: Limits, label: str, target_dpi: float = RENDER_DPI) -> float:
    """Render resolution for a PDF page, after refusing embedded images over the pixel limit."""
    import pypdfium2.raw as pdfium_c

    width_pt, height_pt = page.get_size()
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3):
        px_w, px_h = obj.get_px_size()
        guard_pixels(px_w, px_h, limits, f"{label} embedded image")
    dpi = target_dpi
    area_in2 = max(width_pt * height_pt / 72.0 / 72.0, 1e-6)
    if area_in2 * dpi * dpi > limits.max_image_pixels:
        dpi = math.sqrt(limits.max_image_pixels / area_in2)
        if dpi < 50:
            raise ExtractionError(
                "page_too_large", f"{label} is {width_pt:.0f}x{height_pt:.0f} pt, too large to render"
            )
    return dpi


def render_pdf_page(
    page: Any, number: int, limits: Limits, label: str, target_dpi: float = RENDER_DPI
) -> PageImage:
    """Render one pypdfium2 page to grayscale."""
    dpi = pdf_page_dpi(page, limits, f"{label} page {number}", target_dpi)
    bitmap = page.render(scale=dpi / 72.0, grayscale=True)
    img, photo_dpi = _flatten_photo(bitmap.to_pil().convert("L"))
    return PageImage(number=number, image=img, dpi=photo_dpi or dpi)


# ---------------------------------------------------------------- analysis

U8 = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]


def histogram_percentile(histogram: Sequence[int] | npt.NDArray[np.integer[Any]], q: float) -> float:
    """A percentile of 8-bit pixels from their 256-bin histogram (np.percentile sorts: 30x slower)."""
    cumulative = np.cumsum(np.asarray(histogram, dtype=np.int64))
    return float(np.searchsorted(cumulative, q / 100.0 * cumulative[-1]))


def percentile_u8(arr: U8, q: float) -> float:
    """A percentile of 8-bit pixels."""
    return histogram_percentile(np.bincount(arr.ravel(), minlength=256), q)


def ink_mask(img: Image.Image) -> Mask:
    """Dark pixels: below a threshold halfway between the paper and the ink levels."""
    arr = np.asarray(img, dtype=np.uint8)
    # Pillow's histogram is six times faster than np.bincount, which widens every pixel to 64 bits.
    histogram = img.histogram() if img.mode == "L" else np.bincount(arr.ravel(), minlength=256)
    paper = histogram_percentile(histogram, 90)
    ink = histogram_percentile(histogram, 1)
    if paper - ink < 40:  # little ink on the page: its darkest pixels tell the ink level
        ink = float(arr.min()) if arr.size else paper
    if paper - ink < 40:  # a blank or washed-out page
        return np.zeros(arr.shape, dtype=bool)
    thr = (paper + ink) / 2
    return arr < thr


def _downscaled_mask(img: Image.Image, dpi: float, target: float) -> tuple[Mask, float]:
    factor = min(1.0, target / dpi)
    small = (
        img.resize(
            (max(1, round(img.width * factor)), max(1, round(img.height * factor))), Image.Resampling.BILINEAR
        )
        if factor < 1
        else img
    )
    return ink_mask(small), factor


def _projection_score(
    ys: npt.NDArray[np.float64], xs: npt.NDArray[np.float64], angle: float, height: int
) -> float:
    shifted = np.rint(ys - xs * math.tan(math.radians(angle))).astype(np.int64) + height
    counts = np.bincount(shifted, minlength=3 * height).astype(np.float64)
    return float(np.dot(counts, counts))


def detect_skew(img: Image.Image, dpi: float, max_angle: float = 5.0) -> float:
    """Skew in degrees (positive: the content is rotated clockwise) by a sheared row-projection profile."""
    mask, _ = _downscaled_mask(img, dpi, 100.0)
    ys_i, xs_i = np.nonzero(mask)
    if ys_i.size < 200:
        return 0.0
    if ys_i.size > 400_000:
        keep = np.random.default_rng(0).choice(ys_i.size, 400_000, replace=False)
        ys_i, xs_i = ys_i[keep], xs_i[keep]
    ys, xs = ys_i.astype(np.float64), xs_i.astype(np.float64)
    h = mask.shape[0]
    best = 0.0
    step = 0.5
    lo, hi = -max_angle, max_angle
    for _ in range(4):
        angles = np.arange(lo, hi + step / 2, step)
        scores = [_projection_score(ys, xs, float(a), h) for a in angles]
        best = float(angles[int(np.argmax(scores))])
        lo, hi, step = best - step, best + step, step / 5
    # At 100 dpi a precision finer than this is noise.
    return round(best, 2)


def deskew(page: PageImage, angle: float) -> PageImage:
    """Rotate the page (counter-clockwise by `angle` degrees) so its text rows are horizontal."""
    if abs(angle) < 0.05:
        return page
    # Bicubic: bilinear greys out the thin rules of a 150 dpi scan. Pillow's kernel (a = -0.5), as
    # OpenCV's sharper one (a = -0.75) misread more of those scans (scan corpus F1 0.985 -> 0.965).
    rotated = page.image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    return PageImage(number=page.number, image=rotated, dpi=page.dpi)


def rotate_quadrant(page: PageImage, degrees: int) -> PageImage:
    """Rotate by a multiple of 90 degrees counter-clockwise."""
    if degrees % 360 == 0:
        return page
    transpose = {
        90: Image.Transpose.ROTATE_90,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_270,
    }
    return PageImage(number=page.number, image=page.image.transpose(transpose[degrees % 360]), dpi=page.dpi)


def looks_sideways(page: PageImage) -> bool:
    """A portrait form lying on its side: wider than tall, or text rows running vertically."""
    if page.image.width > page.image.height * 1.15:
        return True
    mask, _ = _downscaled_mask(page.image, page.dpi, 50.0)
    if mask.sum() < 200:
        return False
    # Text rows leave strongly alternating ink/gap profiles across them, flat ones along them.
    rows = mask.sum(axis=1).astype(np.float64)
    cols = mask.sum(axis=0).astype(np.float64)
    row_var = float(np.var(np.diff(rows))) / max(float(rows.mean()) ** 2, 1e-9)
    col_var = float(np.var(np.diff(cols))) / max(float(cols.mean()) ** 2, 1e-9)
    return col_var > 2.5 * row_var


def resample(page: PageImage, dpi: float) -> PageImage:
    """The page at another resolution (Lanczos when shrinking, bicubic when enlarging)."""
    if abs(dpi - page.dpi) < 1:
        return page
    f = dpi / page.dpi
    size = (max(1, round(page.image.width * f)), max(1, round(page.image.height * f)))
    img = page.image.resize(size, Image.Resampling.LANCZOS if f < 1 else Image.Resampling.BICUBIC)
    return PageImage(number=page.number, image=img, dpi=dpi)


# ---------------------------------------------------------------- ruling lines


def _line_runs(mask: Mask, min_len: int, max_gap: int) -> list[tuple[int, int, int]]:
    """`_runs` along the rows of `mask`, every one of them walked."""
    # A blank margin on the left: a run starting at the border keeps its first pixels.
    mask = np.pad(mask, ((0, 0), (max_gap, 0)))
    h, w = mask.shape
    filled = mask.copy()
    for k in range(1, max_gap + 1):
        # Extend every ink pixel leftwards: breaks of up to max_gap pixels in a scanned line close.
        filled[:, :-k] |= mask[:, k:]
    padded = np.zeros((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = filled
    diff = np.diff(padded, axis=1)
    r_start, c_start = np.nonzero(diff == 1)
    _, c_end = np.nonzero(diff == -1)
    c_start = np.minimum(c_start + max_gap, c_end)  # undo the leftward extension at the run's start
    keep = np.nonzero(c_end - c_start >= min_len)[0]
    starts, ends = (c_start[keep] - max_gap).tolist(), (c_end[keep] - max_gap).tolist()
    return list(zip(r_start[keep].tolist(), starts, ends, strict=True))


def _lines_with_long_runs(mask: Mask, min_len: int, max_gap: int, axis: int) -> npt.NDArray[np.intp]:
    """Rows (axis 1) or columns (axis 0) that may hold a run of `min_len`, gaps of `max_gap` closed.

    Such a run covers a whole aligned block of half its length, which few rows of text do.
    """
    block = max(1, min_len // 2)
    filled = mask.copy()
    for k in range(1, max_gap + 1):
        if axis == 1:
            filled[:, :-k] |= mask[:, k:]
        else:
            filled[:-k] |= mask[k:]
    n = filled.shape[axis] // block * block
    if axis == 1:
        blocks = filled[:, :n].reshape(filled.shape[0], -1, block)
        inked = np.any(np.all(blocks, axis=2), axis=1)
    else:
        blocks = filled[:n].reshape(-1, block, filled.shape[1])
        inked = np.any(np.all(blocks, axis=1), axis=0)
    return np.flatnonzero(inked)


def _runs(mask: Mask, min_len: int, max_gap: int, axis: int = 1) -> list[tuple[int, int, int]]:
    """(line, start, end) of every run of ink of at least `min_len` along rows (axis 1) or columns
    (axis 0), bridging breaks of up to `max_gap` pixels."""
    # Only the few rows (columns) a ruling line crosses are walked: 5x faster on a form.
    lines = _lines_with_long_runs(mask, min_len, max_gap, axis)
    if lines.size == 0:
        return []
    sub = mask[lines] if axis == 1 else np.ascontiguousarray(mask[:, lines].T)
    return [(int(lines[i]), s, e) for i, s, e in _line_runs(sub, min_len, max_gap)]


def _merge_runs(runs: list[tuple[int, int, int]], tol: int) -> list[tuple[list[int], dict[int, int]]]:
    """Stack runs on neighbouring rows that overlap into rectangles [row0, row1, start, end].

    With each rectangle come the pixels its runs cover on each of its rows.
    """
    rects: list[tuple[list[int], dict[int, int]]] = []
    open_rects: list[tuple[list[int], dict[int, int]]] = []
    for row, start, end in sorted(runs):
        open_rects = [r for r in open_rects if row - r[0][1] <= tol]
        for r, covered in open_rects:
            overlap = min(r[3], end) - max(r[2], start)
            if overlap > 0.5 * min(r[3] - r[2], end - start):
                r[1] = row
                r[2], r[3] = min(r[2], start), max(r[3], end)
                covered[row] = covered.get(row, 0) + end - start
                break
        else:
            rect = ([row, row, start, end], {row: end - start})
            rects.append(rect)
            open_rects.append(rect)
    return rects


def _rule_bands(rect: list[int], covered: dict[int, int], thick: int) -> list[tuple[int, int]]:
    """The (row0, row1) of the rules in a stack of runs: all of it when thin, else its thin full-length
    bands (a rule touching a blot, a stamp or a redaction is still a rule; a filled area is none)."""
    row0, row1, start, end = rect
    if row1 - row0 + 1 <= thick:
        return [(row0, row1)]
    full = sorted(row for row, n in covered.items() if n >= 0.9 * (end - start))
    bands: list[tuple[int, int]] = []
    for row in full:
        if bands and row - bands[-1][1] <= 2:
            bands[-1] = (bands[-1][0], row)
        else:
            bands.append((row, row))
    return [band for band in bands if band[1] - band[0] + 1 <= thick]


def find_rules(mask: Mask, dpi: float) -> tuple[list[Box], list[Box]]:
    """Horizontal and vertical ruling lines as pixel boxes (x0, top, x1, bottom)."""
    thick = max(3, round(dpi / 50))  # lines thicker than ~1.5 pt are filled areas or strokes, not rules
    gap = max(1, round(dpi / 100))
    h_min = round(dpi * 0.35)
    v_min = round(dpi * 0.22)  # taller than the strokes of 14 pt title letters
    horizontal: list[Box] = []
    for rect, covered in _merge_runs(_runs(mask, h_min, gap, axis=1), tol=2):
        for r0, r1 in _rule_bands(rect, covered, thick):
            horizontal.append((float(rect[2]), float(r0), float(rect[3]), float(r1 + 1)))
    vertical: list[Box] = []
    for rect, covered in _merge_runs(_runs(mask, v_min, gap, axis=0), tol=2):
        for c0, c1 in _rule_bands(rect, covered, thick):
            vertical.append((float(c0), float(rect[2]), float(c1 + 1), float(rect[3])))
    return horizontal, vertical


def erase_boxes(img: Image.Image, boxes: list[Box], pad: int = 1) -> Image.Image:
    """A copy of the image with the given boxes painted white (ruling lines removed before OCR)."""
    arr = np.array(img, dtype=np.uint8)
    h, w = arr.shape
    for x0, top, x1, bottom in boxes:
        arr[
            max(0, int(top) - pad) : min(h, int(bottom) + pad), max(0, int(x0) - pad) : min(w, int(x1) + pad)
        ] = 255
    return Image.fromarray(arr, mode="L")


# A band printed dark (an insurer's header bar) is at least this tall, in inches, and this large,
# in square inches: no letter, check box or blot is.
_DARK_BAND_MIN_IN = 0.2
_DARK_BAND_MIN_AREA = 0.75
_BAND_DPI = 50.0
# Inches: the gaps between a band's white letters are narrower than this, a text line's
# between dark strokes too.
_BAND_PROBE_IN = 0.1


def dark_bands(img: Image.Image, dpi: float) -> list[Box]:
    """Pixel boxes of solid dark bands: areas dark all through (a stroke of text is not) that are
    tall and large enough to hold light text."""
    return [box for box, _ in _dark_band_masks(img, dpi)]


PixelBox = tuple[int, int, int, int]


def _dark_band_masks(img: Image.Image, dpi: float) -> list[tuple[PixelBox, Image.Image]]:
    """Each dark band's box and a mask of it (255 inside) as large as the box: on each pixel row
    the band spans from its first dark pixel to its last, light letters and all."""
    reduce = max(1, math.floor(dpi / _BAND_DPI))
    small = img.reduce(reduce) if reduce > 1 else img
    factor = small.width / img.width
    arr = np.asarray(small, dtype=np.uint8)
    paper, ink = percentile_u8(arr, 90), percentile_u8(arr, 1)
    if paper - ink < 40:
        return []
    probe = max(3, round(_BAND_PROBE_IN * dpi * factor) | 1)
    # Dark all around (an opening): text strokes, however bold, leave light pixels within reach.
    mask = _spread(_spread(arr < (paper + ink) / 2, probe, erode=True), probe, erode=False)
    out: list[tuple[PixelBox, Image.Image]] = []
    per_in = dpi * factor
    for top, bottom in true_runs(np.asarray(mask.any(axis=1))):
        for x0, x1 in true_runs(np.asarray(mask[top:bottom].any(axis=0))):
            h_in, w_in = (bottom - top) / per_in, (x1 - x0) / per_in
            if h_in < _DARK_BAND_MIN_IN or h_in * w_in < _DARK_BAND_MIN_AREA:
                continue
            part = mask[top:bottom, x0:x1]
            cols = np.arange(x1 - x0)
            first = np.where(part, cols, x1 - x0).min(axis=1, keepdims=True)
            last = np.where(part, cols, -1).max(axis=1, keepdims=True)
            inside = (cols >= first) & (cols <= last)
            spans = Image.fromarray(np.where(inside, 255, 0).astype(np.uint8), mode="L")
            box = (round(x0 / factor), round(top / factor), min(img.width, round(x1 / factor)),
                   min(img.height, round(bottom / factor)))
            out.append((box, spans.resize((box[2] - box[0], box[3] - box[1]), Image.Resampling.NEAREST)))
    return out


def _spread(mask: Mask, size: int, erode: bool) -> Mask:
    """A square erosion (True only where all of a size x size window is) or dilation of a mask."""
    out = mask.copy()
    half = size // 2
    for axis in (0, 1):
        src = out.copy()
        n = src.shape[axis]
        for shift in range(1, half + 1):
            for a, b in ((slice(shift, n), slice(0, n - shift)), (slice(0, n - shift), slice(shift, n))):
                dst = (a, slice(None)) if axis == 0 else (slice(None), a)
                nb = (b, slice(None)) if axis == 0 else (slice(None), b)
                if erode:
                    out[dst] &= src[nb]
                else:
                    out[dst] |= src[nb]
        if erode:
            # Beyond the image's edge is not dark.
            edge = [slice(None), slice(None)]
            for sl in (slice(0, half), slice(n - half, n)):
                edge[axis] = sl
                out[tuple(edge)] = False
    return out


def true_runs(flags: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Runs of True in a 1-D mask, as [start, end) pairs."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], flags.astype(np.int8), [0]))))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def light_on_dark(page: PageImage) -> PageImage:
    """The page with its dark bands inverted: light text printed on them reads as dark text on
    light (Tesseract's own inverted reading is turned off: it costs a second pass per line)."""
    bands = _dark_band_masks(page.image, page.dpi)
    if not bands:
        return page
    img = page.image.copy()
    for box, mask in bands:
        inverted = ImageOps.invert(img.crop(box))
        # The band's own colour becomes the paper's white, its letters ink black: Tesseract's
        # threshold for the page would take a grey band for ink.
        arr = np.asarray(inverted, dtype=np.uint8)[np.asarray(mask) > 0]
        ground, letters = percentile_u8(arr, 50), percentile_u8(arr, 1)
        if ground - letters >= 40:
            lut = [min(255, max(0, round((v - letters) * 255 / (ground - letters)))) for v in range(256)]
            inverted = inverted.point(lut)
        img.paste(inverted, box[:2], mask)
    log.debug("page %d: %d dark band(s) inverted", page.number, len(bands))
    return PageImage(number=page.number, image=img, dpi=page.dpi)


def ink_ratio(page: PageImage, box_pt: Box) -> float:
    """Share of dark pixels inside a box given in points (e.g. whether a checkbox is marked)."""
    s = page.dpi / 72.0
    x0, top, x1, bottom = (round(v * s) for v in box_pt)
    crop = page.image.crop((x0, top, max(x1, x0 + 1), max(bottom, top + 1)))
    arr = np.asarray(crop, dtype=np.uint8)
    return float((arr < 128).mean()) if arr.size else 0.0

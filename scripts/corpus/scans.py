"""Rasterise a certificate PDF and make it look scanned: skew, blur, noise, JPEG, ink blots."""

from __future__ import annotations

import random
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

BLOT_TARGETS = ("lim.", ".number", ".eff", ".exp")


def rasterise(pdf: bytes, dpi: int, forms: bool) -> list[Image.Image]:
    doc = pdfium.PdfDocument(pdf)
    if forms:
        doc.init_forms()
    pages = []
    for i in range(len(doc)):
        page = doc[i]
        bmp = page.render(scale=dpi / 72, may_draw_forms=forms, grayscale=True)
        pages.append(bmp.to_pil().convert("L"))
        page.close()
    doc.close()
    return pages


def noise_tile(r: random.Random, size: int = 384) -> Image.Image:
    """Deterministic noise (Pillow's effect_noise is not seedable)."""
    return Image.frombytes("L", (size, size), r.randbytes(size * size)).filter(ImageFilter.GaussianBlur(0.8))


def blot(im: Image.Image, box: tuple[float, float, float, float], dpi: int, r: random.Random) -> None:
    """Cover a value's box (points, top-left origin) with an ink blot that stays off its neighbours."""
    k = dpi / 72
    x, yt, w, h = box
    x0, y0 = int((x - 1) * k), int((yt - 1) * k)
    bw, bh = int((w + 2) * k), int((h + 2) * k)
    mask = Image.new("L", (bw, bh), 0)
    d = ImageDraw.Draw(mask)
    d.rounded_rectangle((k, k, bw - k, bh - k), radius=int(2 * k), fill=255)
    for _ in range(16):
        cx, cy = r.uniform(0, bw), r.uniform(0, bh)
        rx, ry = r.uniform(0.1, 0.3) * bh + k, r.uniform(0.25, 0.5) * bh
        d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=255)
    ink = Image.new("L", (bw, bh), r.randint(15, 45))
    im.paste(ink, (x0, y0), mask)


def degrade(im: Image.Image, r: random.Random, dpi: int) -> tuple[Image.Image, dict[str, float]]:
    angle = r.choice([-1, 1]) * r.uniform(0.3, 2.5)
    blur = r.uniform(0.35, 0.9) * dpi / 200
    contrast = r.uniform(0.8, 1.05)
    noise = r.uniform(0.02, 0.045)
    im = ImageEnhance.Contrast(im).enhance(contrast)
    im = im.filter(ImageFilter.GaussianBlur(blur))
    im = im.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=238)
    tile = noise_tile(r)
    layer = Image.new("L", im.size)
    for ty in range(0, im.size[1], tile.size[1]):
        for tx in range(0, im.size[0], tile.size[0]):
            layer.paste(tile, (tx, ty))
    im = Image.blend(im, layer, noise)
    return im, {
        "rotation_deg": round(angle, 2),
        "blur": round(blur, 2),
        "noise": round(noise, 3),
        "contrast": round(contrast, 2),
    }


def save(pages: list[Image.Image], path: Path, fmt: str, dpi: int, quality: int) -> None:
    first, rest = pages[0], pages[1:]
    if fmt == "pdf":
        first.save(
            path,
            "PDF",
            save_all=True,
            append_images=rest,
            resolution=float(dpi),
            quality=quality,
            title="scan",
            creationDate=None,
            modDate=None,
        )
    elif fmt == "jpg":
        first.save(path, "JPEG", quality=quality, dpi=(dpi, dpi), optimize=True)
    elif fmt == "png":
        # a bilevel scan keeps PNGs small
        first.point(lambda v: 255 if v > 150 else 0).convert("1").save(
            path, "PNG", dpi=(dpi, dpi), optimize=True
        )
    elif fmt == "tiff":
        bw = [p.point(lambda v: 255 if v > 150 else 0).convert("1") for p in pages]
        bw[0].save(path, "TIFF", save_all=True, append_images=bw[1:], compression="group4", dpi=(dpi, dpi))
    else:
        raise ValueError(fmt)

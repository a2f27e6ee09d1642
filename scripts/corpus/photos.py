"""The `photo` family: a certificate photographed by a phone.

The page is rendered, tilted in 3-D (a few degrees of keystone), rotated, laid on a desk or cropped
close, lit unevenly (exposure, a gradient, vignetting, a soft shadow), colour cast, blurred, given
sensor noise and saved as a JPEG (or a JPEG inside a PDF, as phone scanner apps do). Every value
stays readable except where a glare spot washes one out on purpose: that value is null in the truth
and named in `_generator.smudged`, as for ink blots on scans.
"""

from __future__ import annotations

import io
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from .acord25 import Style, draw_certificate, new_canvas
from .data import make_cert
from .families import _draw_other, write_image_truth
from .scans import BLOT_TARGETS, rasterise

MAX_BYTES = 490_000  # keep each file under ~500 KB

# (source, format, framing, glare spots); framing "desk" leaves a margin of desk around the page,
# "tight" is cropped close to the page (desk shows only in slivers at the corners)
PHOTO_KINDS: list[tuple[str, str, str, int]] = [
    ("acord", "jpg", "desk", 0),
    ("acord", "jpg", "tight", 1),
    ("fillable", "jpg", "desk", 0),
    ("other", "jpeg", "desk", 0),
    ("acord", "pdf", "tight", 0),
    ("acord", "jpg", "desk", 1),
]

DESKS = {
    "oak": (150, 106, 66),
    "walnut": (84, 58, 42),
    "grey": (118, 120, 126),
    "white": (214, 214, 208),  # a pale desk: little contrast at the page edge
    "black": (40, 40, 46),
}


def _rot(tx: float, ty: float, tz: float) -> np.ndarray:
    cx, sx = math.cos(tx), math.sin(tx)
    cy, sy = math.cos(ty), math.sin(ty)
    cz, sz = math.cos(tz), math.sin(tz)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return np.asarray(rz @ ry @ rx)


def project_page(
    w: float, h: float, tilt_x: float, tilt_y: float, rotation: float, distance: float
) -> list[tuple[float, float]]:
    """Corners (TL, TR, BR, BL) of a w x h page seen by a pinhole camera `distance` x h away."""
    rm = _rot(math.radians(tilt_x), math.radians(tilt_y), math.radians(rotation))
    f = distance * h
    out = []
    for x, y in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        px, py, pz = rm @ np.array([x, y, 0.0])
        out.append((float(f * px / (f + pz)), float(f * py / (f + pz))))
    return out


def perspective_coeffs(dst: list[tuple[float, float]], src: list[tuple[float, float]]) -> tuple[float, ...]:
    """Pillow PERSPECTIVE coefficients mapping output points `dst` to input points `src`."""
    a, b = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    sol = np.linalg.solve(np.array(a, dtype=np.float64), np.array(b, dtype=np.float64))
    return tuple(float(c) for c in sol)


def _noise(r: random.Random, w: int, h: int) -> np.ndarray:
    """Seeded uniform noise in [0, 1) (numpy's generators are not used: their streams may change)."""
    return np.frombuffer(r.randbytes(w * h), dtype=np.uint8).reshape(h, w).astype(np.float32) / 255.0


def _desk(r: random.Random, size: tuple[int, int], name: str) -> Image.Image:
    """A desk surface: a base colour with coarse grain (streaky for wood), smooth at photo scale."""
    w, h = size
    gw, gh = max(8, w // 6), max(8, h // 6)
    grain = _noise(r, gw, gh)
    if name in ("oak", "walnut"):
        grain = np.repeat(grain.mean(axis=1, keepdims=True), gw, axis=1) * 0.7 + grain * 0.3
    amp = 0.10 if name != "white" else 0.04
    base = np.array(DESKS[name], dtype=np.float32)
    low = base[None, None, :] * (1 - amp + 2 * amp * grain[:, :, None])
    img = Image.fromarray(np.clip(low, 0, 255).astype(np.uint8), "RGB")
    return img.resize(size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(4))


def _illumination(r: random.Random, size: tuple[int, int]) -> tuple[Image.Image, dict[str, Any]]:
    """A smooth light field (255 = full light): exposure, a gradient, vignetting and a soft shadow."""
    w, h = size
    lw, lh = max(16, w // 8), max(16, h // 8)
    ys, xs = np.mgrid[0:lh, 0:lw].astype(np.float32)
    u, v = xs / (lw - 1) - 0.5, ys / (lh - 1) - 0.5
    exposure = r.uniform(0.86, 1.0)
    theta = r.uniform(0, 2 * math.pi)
    grad_amp = r.uniform(0.06, 0.22)
    along = u * math.cos(theta) + v * math.sin(theta)  # -0.7..0.7
    field = exposure * (1 - grad_amp * (along + 0.71) / 1.42)
    vignette = r.uniform(0.12, 0.32)
    field *= 1 - vignette * (u * u + v * v) / 0.5
    shadow: dict[str, Any] | None = None
    if r.random() < 0.75:
        # the phone's or a hand's shadow: one side of a line darker, the edge soft
        phi = r.uniform(0, 2 * math.pi)
        offset = r.uniform(0.05, 0.35)
        depth = r.uniform(0.22, 0.4)
        soft = r.uniform(0.04, 0.1)
        d = u * math.cos(phi) + v * math.sin(phi) - offset
        field *= 1 - depth / (1 + np.exp(-d / soft))
        shadow = {
            "angle_deg": round(math.degrees(phi), 1),
            "offset": round(offset, 2),
            "depth": round(depth, 2),
        }
    field = np.clip(field, 0.45, 1.0)
    img = Image.fromarray((field * 255).astype(np.uint8), "L").resize(size, Image.Resampling.BICUBIC)
    return img, {
        "exposure": round(exposure, 2),
        "gradient": round(grad_amp, 2),
        "vignette": round(vignette, 2),
        "shadow": shadow,
        "darkest": round(float(field.min()), 2),
    }


def _glare_mask(
    size: tuple[int, int], boxes: list[tuple[float, float, float, float]], k: float
) -> Image.Image:
    """White-out over each value box (points, top-left origin), with a halo that fades off it."""
    mask = Image.new("L", size, 0)
    d = ImageDraw.Draw(mask)
    for x, yt, bw, bh in boxes:
        d.ellipse(((x - 4) * k, (yt - 5) * k, (x + bw + 4) * k, (yt + bh + 5) * k), fill=150)
    halo = mask.filter(ImageFilter.GaussianBlur(3 * k))
    core = Image.new("L", size, 0)
    dc = ImageDraw.Draw(core)
    for x, yt, bw, bh in boxes:
        dc.rounded_rectangle(
            ((x - 1) * k, (yt - 1) * k, (x + bw + 1) * k, (yt + bh + 1) * k), radius=2 * k, fill=255
        )
    return ImageChops.lighter(halo, core)


def photograph(
    page_pt: tuple[float, float],
    r: random.Random,
    framing: str,
    glare_boxes: list[tuple[float, float, float, float]],
    render: Any,
    desk_name: str = "oak",
) -> tuple[Image.Image, dict[str, Any]]:
    """Turn a flat page into a phone photo. `render(dpi)` re-renders the page at another resolution."""
    pw, ph = page_pt
    tilt_x = r.choice([-1, 1]) * r.uniform(2.0, 8.0)
    tilt_y = r.choice([-1, 1]) * r.uniform(0.0, 5.0)
    rotation = r.choice([-1, 1]) * r.uniform(0.3, 4.0)
    distance = r.uniform(1.2, 1.8)
    quad = project_page(pw, ph, tilt_x, tilt_y, rotation, distance)
    qx, qy = [p[0] for p in quad], [p[1] for p in quad]
    bw, bh = max(qx) - min(qx), max(qy) - min(qy)
    width = r.randrange(1600, 2601, 2)
    if framing == "desk":
        height = round(width * 4 / 3)
        fill = r.uniform(0.78, 0.9)
        s = min(fill * width / bw, fill * height / bh)
        ox = (width - s * bw) / 2 * (1 + r.uniform(-0.5, 0.5))
        oy = (height - s * bh) / 2 * (1 + r.uniform(-0.5, 0.5))
    else:
        margin = r.uniform(0.0, 0.015)
        s = width / (bw * (1 + 2 * margin))
        height = round(bh * s * (1 + 2 * margin))
        ox, oy = (width - s * bw) / 2, (height - s * bh) / 2
    dst = [(ox + s * (x - min(qx)), oy + s * (y - min(qy))) for x, y in quad]
    # render so the page is drawn at about the resolution it gets in the photo (no aliasing)
    dpi = max(100, min(400, round(s * 72 * 1.1)))
    page = render(dpi)
    k = dpi / 72
    src = [(0.0, 0.0), (page.width, 0.0), (page.width, page.height), (0.0, page.height)]
    coeffs = perspective_coeffs(dst, [(float(x), float(y)) for x, y in src])

    black, white = r.randint(18, 45), r.randint(228, 250)
    page = page.point(lambda p: black + p * (white - black) // 255)
    tint = r.choice([(1.0, 0.985, 0.95), (0.97, 0.98, 1.0), (1.0, 1.0, 0.98)])
    page_rgb = Image.merge("RGB", [page.point(lambda p, t=t: int(p * t)) for t in tint])
    size = (width, height)
    warped = page_rgb.transform(size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    mask = Image.new("L", page.size, 255).transform(
        size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR
    )
    desk = _desk(r, size, desk_name)
    drop = mask.filter(ImageFilter.GaussianBlur(width / 150))
    drop = ImageChops.offset(drop, round(width / 300), round(width / 200)).point(
        lambda p: 255 - p * 90 // 255
    )
    desk = ImageChops.multiply(desk, Image.merge("RGB", [drop] * 3))
    img = Image.composite(warped, desk, mask)

    light, light_params = _illumination(r, size)
    img = ImageChops.multiply(img, Image.merge("RGB", [light] * 3))
    cast = r.choice([(255, 246, 228), (240, 246, 255), (255, 252, 246), (250, 255, 248)])
    img = ImageChops.multiply(img, Image.new("RGB", size, cast))
    if glare_boxes:
        gm = _glare_mask(page.size, glare_boxes, k).transform(
            size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR
        )
        img = Image.composite(Image.new("RGB", size, (252, 252, 250)), img, gm)

    eff_dpi = s * 72  # photo pixels per inch of paper
    blur = r.uniform(0.45, 1.0) * eff_dpi / 200
    img = img.filter(ImageFilter.GaussianBlur(blur))
    focus = None
    if r.random() < 0.5:
        # depth of field: the far side of the tilted page is a little softer
        soft = img.filter(ImageFilter.GaussianBlur(blur + 0.6))
        ramp = np.linspace(0, 255, 64, dtype=np.float32)
        grad = Image.fromarray(ramp.astype(np.uint8)[:, None].repeat(4, axis=1), "L").resize(size)
        if tilt_x < 0:
            grad = grad.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        img = Image.composite(soft, img, grad)
        focus = "bottom" if tilt_x >= 0 else "top"
    sigma = r.uniform(1.5, 3.5)
    tile = _noise(r, 256, 256)
    tile = (tile - 0.5) * (sigma * 3.46)  # uniform with standard deviation sigma
    reps = (height // 256 + 1, width // 256 + 1)
    grain = np.tile(tile, reps)[:height, :width]
    arr = np.asarray(img, dtype=np.float32) + grain[:, :, None]
    img = Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "RGB")
    return img, {
        "width": width,
        "height": height,
        "framing": framing,
        "desk": desk_name,
        "tilt_x_deg": round(tilt_x, 2),
        "tilt_y_deg": round(tilt_y, 2),
        "rotation_deg": round(rotation, 2),
        "camera_distance": round(distance, 2),
        "corners": [[round(x), round(y)] for x, y in dst],
        "page_px_per_inch": round(eff_dpi),
        "blur": round(blur, 2),
        "focus_falloff": focus,
        "noise": round(sigma, 2),
        "light": light_params,
    }


def _save(img: Image.Image, path: Path, fmt: str, quality: int) -> tuple[int, tuple[int, int]]:
    """Save as a phone would (72 dpi in the header), under MAX_BYTES: lower the quality down to 60,
    then shrink the picture. Returns the quality and size used."""
    q = quality
    while True:
        buf = io.BytesIO()
        if fmt == "pdf":
            img.save(
                buf,
                "PDF",
                resolution=72.0,
                quality=q,
                title="Scanned Document",
                creationDate=None,
                modDate=None,
            )
        else:
            img.save(buf, "JPEG", quality=q, dpi=(72, 72), optimize=True)
        if buf.tell() <= MAX_BYTES:
            path.write_bytes(buf.getvalue())
            return q, img.size
        if q > 60:
            q = max(60, q - 5)
        else:
            img = img.resize((round(img.width * 0.92), round(img.height * 0.92)), Image.Resampling.LANCZOS)
            q = quality


def photo(out: Path, n: int, r: random.Random) -> list[str]:
    names = []
    for i in range(n):
        source, fmt, framing, n_glare = PHOTO_KINDS[i % len(PHOTO_KINDS)]
        buf = io.BytesIO()
        style = Style.random(r)
        c = new_canvas(buf, style if source != "other" else Style(page="letter"))  # type: ignore[arg-type]
        form, layout = "acord25", None
        boxes: dict[str, tuple[float, float, float, float]] = {}
        if source == "acord":
            cert = make_cert(r)
            placed = draw_certificate(c, cert, style)
            boxes = {k: v for k, v in placed.boxes.items() if placed.placed.get(k) == "text"}
        elif source == "fillable":
            cert = make_cert(r, other_count=r.choice([0, 1]))
            style.dx = style.dy = 0.0
            draw_certificate(c, cert, style, mode="fields", naming="acord", r=r)
        else:
            layout = r.choice(["letter", "table", "memorandum", "workers_comp"])
            cert, _font = _draw_other(c, r, layout)
            form = "other"
        if source != "other":
            c.showPage()
        page_pt = c._pagesize
        c.save()
        pdf = buf.getvalue()
        smudged: list[str] = []
        if n_glare:
            cands = sorted(k for k in boxes if any(t in k for t in BLOT_TARGETS) or k == "date")
            smudged = r.sample(cands, min(n_glare, len(cands)))

        def render(dpi: int, pdf: bytes = pdf, forms: bool = source == "fillable") -> Image.Image:
            return rasterise(pdf, dpi, forms=forms)[0]

        desk = list(DESKS)[i % len(DESKS)]
        img, params = photograph(page_pt, r, framing, [boxes[k] for k in smudged], render, desk)
        name = f"photo_{i + 1:03d}.{fmt}"
        path = out / name
        quality, saved_size = _save(img, path, fmt, r.randint(60, 80))
        params["width"], params["height"] = saved_size
        write_image_truth(path, cert, family="photo", pages=1, form=form, layout=layout, style=style,
                          smudged=smudged, kind="photo",
                          info={"from": source, "format": fmt, "jpeg_quality": quality, **params})
        names.append(name)
    return names

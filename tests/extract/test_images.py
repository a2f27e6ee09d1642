"""Page images: sniffing, loading, resolution, skew, orientation and ruling lines (no OCR here)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from coibot.errors import ExtractionError
from coibot.extract import images
from coibot.extract.images import PageImage
from coibot.extract.sniff import sniff, sniff_bytes
from coibot.limits import Limits

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"


def _png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\r\n\r\njunk%PDF-1.4", "pdf"),
        (b"\x89PNG\r\n\x1a\n....", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"II*\x00\x08\x00", "tiff"),
        (b"MM\x00*\x00\x00", "tiff"),
        (b"PK\x03\x04%PDF-1.7", "unknown"),
        (b"hello world", "unknown"),
        (b"", "unknown"),
    ],
)
def test_sniff_bytes(head: bytes, kind: str) -> None:
    assert sniff_bytes(head) == kind


def test_sniff_ignores_the_name(tmp_path: Path) -> None:
    fake = tmp_path / "scan.pdf"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", "x")
    fake.write_bytes(buf.getvalue())
    assert sniff(fake) == "unknown"
    real_png = tmp_path / "photo.jpg"
    real_png.write_bytes(_png_bytes(Image.new("L", (4, 4), 255)))
    assert sniff(real_png) == "png"


def test_sniff_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ExtractionError) as err:
        sniff(tmp_path / "gone.pdf")
    assert err.value.code == "unreadable_file"


def test_infer_dpi() -> None:
    assert images.infer_dpi(1700, 2200, 200.0) == 200.0
    # A scanner that writes 72 dpi on a 300 dpi page: the page would be 35 inches long.
    assert images.infer_dpi(2550, 3300, 72.0) == pytest.approx(300.0)
    assert images.infer_dpi(1275, 1650, None) == pytest.approx(150.0)
    # A phone photo wider than Letter's proportions: the width binds.
    assert images.infer_dpi(3000, 3000, None) == pytest.approx(3000 / 8.5)


def test_multi_page_tiff_and_declared_dpi(tmp_path: Path) -> None:
    pages = [Image.new("L", (850, 1100), 255), Image.new("RGB", (850, 1100), (255, 255, 255))]
    path = tmp_path / "two.tif"
    pages[0].save(path, save_all=True, append_images=pages[1:], dpi=(100, 100))
    loaded = images.load_image_pages(path, Limits())
    assert [p.number for p in loaded] == [1, 2]
    assert all(p.image.mode == "L" and p.dpi == pytest.approx(100.0) for p in loaded)
    assert loaded[0].width_pt == pytest.approx(612.0)
    assert loaded[0].height_pt == pytest.approx(792.0)


def test_transparent_png_is_flattened_on_white(tmp_path: Path) -> None:
    img = Image.new("RGBA", (850, 1100), (0, 0, 0, 0))
    path = tmp_path / "t.png"
    img.save(path)
    (page,) = images.load_image_pages(path, Limits())
    assert page.image.getpixel((10, 10)) == 255


def test_too_many_tiff_pages(tmp_path: Path) -> None:
    frames = [Image.new("L", (20, 20), 255) for _ in range(4)]
    path = tmp_path / "many.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with pytest.raises(ExtractionError) as err:
        images.load_image_pages(path, Limits(max_pages=3))
    assert err.value.code == "too_many_pages"


def test_pixel_limit_is_checked_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.new("L", (2000, 2000), 255).save(path)
    with pytest.raises(ExtractionError) as err:
        images.load_image_pages(path, Limits(max_image_pixels=1_000_000))
    assert err.value.code == "image_too_large"


def test_thirty_thousand_pixel_png_is_refused() -> None:
    with pytest.raises(ExtractionError) as err:
        images.load_image_pages(HOSTILE / "huge_image.png", Limits())
    assert err.value.code == "image_too_large"


def test_truncated_image_is_corrupt(tmp_path: Path) -> None:
    data = _png_bytes(Image.effect_noise((400, 400), 50).convert("L"))
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ExtractionError) as err:
        images.load_image_pages(path, Limits())
    assert err.value.code == "corrupt_image"


def test_pdf_page_with_a_huge_embedded_image_is_refused() -> None:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(HOSTILE / "huge_image.pdf")
    try:
        with pytest.raises(ExtractionError) as err:
            images.render_pdf_page(doc[0], 1, Limits(), "huge_image.pdf")
        assert err.value.code == "image_too_large"
    finally:
        doc.close()


def _form(dpi: float = 200.0) -> Image.Image:
    """A synthetic form: a frame, ruled rows, a column divider and 'text' bars in the cells."""
    w, h = round(8.5 * dpi), round(11 * dpi)
    img = Image.new("L", (w, h), 235)
    d = ImageDraw.Draw(img)
    s = dpi / 72.0
    d.rectangle((36 * s, 36 * s, 576 * s, 756 * s), outline=0, width=2)
    for i in range(1, 24):
        y = (36 + i * 30) * s
        d.line((36 * s, y, 576 * s, y), fill=0, width=2)
    d.line((300 * s, 36 * s, 300 * s, 756 * s), fill=0, width=2)
    for i in range(24):
        y = (36 + i * 30 + 12) * s
        for x0 in (45, 310):
            for k in range(6):  # words: short dark bars with gaps
                d.rectangle(((x0 + k * 38) * s, y, (x0 + k * 38 + 30) * s, y + 7 * s), fill=30)
    return img


def test_detect_skew_and_deskew() -> None:
    img = _form().rotate(-2.0, resample=Image.Resampling.BICUBIC, fillcolor=235)  # clockwise 2 degrees
    angle = images.detect_skew(img, 200.0)
    assert angle == pytest.approx(2.0, abs=0.2)
    fixed = images.deskew(PageImage(1, img, 200.0), angle)
    assert images.detect_skew(fixed.image, 200.0) == pytest.approx(0.0, abs=0.2)


def test_blank_page_has_no_skew() -> None:
    assert images.detect_skew(Image.new("L", (1700, 2200), 255), 200.0) == 0.0


def test_find_rules() -> None:
    page = PageImage(1, _form(), 200.0)
    horizontal, vertical = images.find_rules(images.ink_mask(page.image), page.dpi)
    s = page.dpi / 72.0
    # The frame's top and bottom and the 23 row rules; the bars of "text" are not rules.
    assert len(horizontal) == 25
    tops = sorted(b[1] / s for b in horizontal)
    assert tops[0] == pytest.approx(36, abs=1.5)
    assert tops[-1] == pytest.approx(756, abs=1.5)
    xs = sorted(b[0] / s for b in vertical)
    assert xs == pytest.approx([36, 300, 576], abs=1.5)
    for x0, top, x1, bottom in horizontal:
        assert (x1 - x0) / s > 200 and (bottom - top) / s < 3


@pytest.mark.parametrize("axis", [1, 0])
def test_runs_bridge_small_breaks_and_reach_the_border(axis: int) -> None:
    row = np.zeros((5, 60), dtype=bool)
    row[1, 0:20] = True  # touches the border: kept whole
    row[1, 22:40] = True  # a 2-pixel break: one run with the first
    row[3, 10:18] = True  # too short
    row[3, 50:60] = True  # too short, at the far border
    mask = row if axis == 1 else np.ascontiguousarray(row.T)
    assert images._runs(mask, 12, 2, axis=axis) == [(1, 0, 40)]
    assert images._runs(mask, 12, 1, axis=axis) == [(1, 0, 20), (1, 22, 40)]


def test_histogram_percentile_matches_numpy() -> None:
    arr = np.random.default_rng(3).integers(0, 256, size=(40, 50), dtype=np.uint8)
    for q in (1, 50, 90):
        assert images.percentile_u8(arr, q) == pytest.approx(np.percentile(arr, q), abs=1)
        from_pillow = images.histogram_percentile(Image.fromarray(arr).histogram(), q)
        assert from_pillow == images.percentile_u8(arr, q)


def test_a_rule_touching_a_blot_is_still_a_rule() -> None:
    # A redaction or ink blot drawn against a rule used to make one thick "filled area" of both.
    img = Image.new("L", (1200, 400), 255)
    draw = ImageDraw.Draw(img)
    draw.rectangle((50, 100, 1150, 102), fill=0)  # a rule, 3 px
    draw.rectangle((400, 103, 700, 140), fill=0)  # a blot right under it
    draw.rectangle((50, 250, 1150, 290), fill=0)  # a filled bar: no rule
    draw.rectangle((900, 20, 902, 380), fill=0)  # a vertical rule
    draw.rectangle((903, 300, 950, 360), fill=0)  # with a blot against it
    horizontal, vertical = images.find_rules(images.ink_mask(img), 300.0)
    assert [(round(b[1]), round(b[3])) for b in horizontal] == [(100, 103)]
    assert [(round(b[0]), round(b[2])) for b in vertical] == [(900, 903)]


def test_erase_boxes_whitens_the_rules() -> None:
    page = PageImage(1, _form(), 200.0)
    horizontal, vertical = images.find_rules(images.ink_mask(page.image), page.dpi)
    clean = images.erase_boxes(page.image, horizontal + vertical)
    again_h, again_v = images.find_rules(images.ink_mask(clean), page.dpi)
    assert again_h == [] and again_v == []


def test_sideways_and_quadrant_rotation() -> None:
    page = PageImage(1, _form(), 200.0)
    assert not images.looks_sideways(page)
    turned = images.rotate_quadrant(page, 90)
    assert turned.image.size == (page.image.height, page.image.width)
    assert images.looks_sideways(turned)
    assert images.rotate_quadrant(turned, 270).image.tobytes() == page.image.tobytes()


def test_resample_keeps_the_page_size_in_points() -> None:
    page = PageImage(1, _form(150.0), 150.0)
    up = images.resample(page, 300.0)
    assert up.dpi == 300.0
    assert up.width_pt == pytest.approx(page.width_pt, abs=0.5)


def test_ink_ratio_tells_a_marked_box() -> None:
    img = Image.new("L", (200, 200), 255)
    d = ImageDraw.Draw(img)
    d.rectangle((20, 20, 40, 40), outline=0)
    d.line((20, 20, 40, 40), fill=0, width=3)
    d.line((20, 40, 40, 20), fill=0, width=3)
    d.rectangle((100, 20, 120, 40), outline=0)
    page = PageImage(1, img, 72.0)
    assert images.ink_ratio(page, (22, 22, 38, 38)) > 0.2
    assert images.ink_ratio(page, (102, 22, 118, 38)) == 0.0


def test_a_dark_header_band_is_inverted_so_its_light_text_reads_dark_on_light() -> None:
    # 300 dpi: a 0.8 in header bar with light text, below it dark text in bold strokes, a filled
    # check box, an ink blot over a policy number and a rule; only the bar is a band.
    img = Image.new("L", (2550, 1500), 245)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 60, 2549, 300), fill=45)
    for x in range(150, 1500, 60):
        draw.rectangle((x, 140, x + 30, 220), fill=240)  # the bar's light letters
    for x in range(150, 2000, 40):
        draw.rectangle((x, 500, x + 18, 560), fill=20)  # bold dark text
    draw.rectangle((150, 700, 180, 730), fill=10)  # a filled check box
    draw.rectangle((600, 700, 1050, 740), fill=15)  # a blot over a number
    draw.rectangle((0, 900, 2549, 906), fill=0)  # a rule
    page = PageImage(number=1, image=img, dpi=300.0)
    (band,) = images.dark_bands(img, 300.0)
    x0, top, x1, bottom = band
    assert x0 <= 12 and x1 >= 2538 and abs(top - 60) <= 12 and abs(bottom - 300) <= 12
    out = np.asarray(images.light_on_dark(page).image)
    assert out[250, 1200] > 200 and out[180, 165] < 30  # the bar light, its letters dark
    assert out[530, 155] == 20 and out[720, 800] == 15  # the rest as it was
    # A page without such a band comes back as it was.
    plain = PageImage(number=1, image=img.crop((0, 400, 2550, 1500)), dpi=300.0)
    assert images.light_on_dark(plain) is plain

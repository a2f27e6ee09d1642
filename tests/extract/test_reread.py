"""Fields read again on a tight crop of a scanned page: a cell's lone letter, a checkbox (real Tesseract)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from coibot.extract import reread, tesseract
from coibot.extract.images import Box, PageImage
from coibot.extract.words import Word

pytestmark = pytest.mark.skipif(not tesseract.is_available(), reason="Tesseract is not installed")

_SERIF = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
_DPI = 300.0
_S = _DPI / 72.0
_CROPS = Path(__file__).resolve().parents[1] / "fixtures" / "scan_crops"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.truetype(str(_SERIF), size) if _SERIF.exists() else ImageFont.load_default(size=size)


@pytest.fixture(scope="module")
def page() -> PageImage:
    """An INSR LTR column (ruled at 30 and 47.6 pt) with a light serif C in one row and nothing in
    the next, and two checkboxes, one marked."""
    img = Image.new("L", (round(250 * _S), round(120 * _S)), 255)  # 250 x 120 pt
    d = ImageDraw.Draw(img)
    for x in (30.0, 47.6):
        d.line((x * _S, 0, x * _S, img.height), fill=0, width=3)
    d.text((35 * _S, 20 * _S), "C", fill=110, font=_font(round(8 * _S)))
    # ADDL INSD and SUBR WVD cells (ruled at 182.3, 198.8 and 216.6 pt), a Y in each.
    for x in (182.3, 198.8, 216.6):
        d.line((x * _S, 0, x * _S, img.height), fill=0, width=3)
    for x in (187.0, 204.0):
        d.text((x * _S, 60 * _S), "Y", fill=60, font=_font(round(8 * _S)))
    # A column's rule 0.6 pt left of a third box (marked), PER STATUTE's place.
    d.line((170.0 * _S, 5 * _S, 170.0 * _S, 50 * _S), fill=0, width=3)
    for x0, marked in ((100.0, True), (140.0, False), (170.6, True)):
        box = (x0 * _S, 20 * _S, (x0 + 7.5) * _S, 27.5 * _S)
        d.rectangle(box, outline=0, width=3)
        if marked:
            d.line((box[0] + 6, box[1] + 6, box[2] - 6, box[3] - 6), fill=0, width=5)
            d.line((box[0] + 6, box[3] - 6, box[2] - 6, box[1] + 6), fill=0, width=5)
    return PageImage(number=1, image=img, dpi=_DPI)


def test_a_cells_lone_letter_is_read_without_the_cells_rules(page: PageImage) -> None:
    word = reread.reread(page, (30.0, 15.0, 47.6, 35.0), "letter")
    assert word is not None and word.text == "C"


def test_an_empty_cell_gives_no_letter(page: PageImage) -> None:
    assert reread.reread(page, (30.0, 60.0, 47.6, 80.0), "letter") is None


def test_checkbox_judged_from_pixels(page: PageImage) -> None:
    marked = reread.reread(page, (96.0, 17.0, 110.0, 31.0), "checkbox")
    empty = reread.reread(page, (136.0, 17.0, 150.0, 31.0), "checkbox")
    assert marked is not None and marked.text == "X"
    assert empty is not None and empty.text == ""
    assert reread.reread(page, (115.0, 17.0, 135.0, 31.0), "checkbox") is None  # no box there
    beside_rule = reread.reread(page, (160.0, 12.0, 180.0, 36.0), "checkbox")
    assert beside_rule is not None and beside_rule.text == "X"


def test_a_flag_letter_is_read_in_its_own_cell(page: PageImage) -> None:
    # A page pass reads "Y | Y" across the rule as one word ("VAY."); each cell alone is a Y.
    for x0, x1 in ((182.3, 198.8), (198.8, 216.6)):
        word = reread.reread(page, (x0, 55.0, x1, 75.0), "flag")
        assert word is not None and word.text == "Y"


def test_a_bold_letter_whose_outline_looks_like_an_empty_box_is_still_read() -> None:
    # A bold D fills its cell like a check box's frame: the glyph finder leaves it out.
    bold = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
    if not bold.exists():
        pytest.skip("DejaVu Sans Bold is not installed")
    img = Image.new("L", (round(100 * _S), round(40 * _S)), 255)
    d = ImageDraw.Draw(img)
    for x in (30.0, 47.6):
        d.line((x * _S, 0, x * _S, img.height), fill=0, width=3)
    d.text((35 * _S, 15 * _S), "D", fill=20, font=ImageFont.truetype(str(bold), round(11 * _S)))
    cell = PageImage(number=1, image=img, dpi=_DPI)
    word = reread.reread(cell, (30.0, 10.0, 47.6, 35.0), "letter")
    assert word is not None and word.text == "D"


def test_a_letter_beside_a_broken_side_rule_at_the_crops_edge_is_read() -> None:
    # An INSR LTR cell cut from a 300 dpi bilevel scan: the TYPE column's rule at its right edge,
    # broken by the scan (too short a piece for the cell's rules to be erased), made one cluster
    # of itself and the D, and nothing was read.
    crop = Image.open(_CROPS / "letter_d_beside_broken_rule.png").convert("L")
    cell = PageImage(number=1, image=crop, dpi=_DPI)
    word = reread.reread(cell, (0.0, 0.0, crop.width / _S, crop.height / _S), "letter")
    assert word is not None and word.text == "D"


def _ruled_cell(letter: str, font: Path) -> PageImage:
    """An ADDL INSD cell 16.5 pt wide, ruled on all four sides (its top and bottom rules shorter
    than any rule find_rules finds), with one letter's top a point below the top rule, as the
    form prints a flag."""
    img = Image.new("L", (round(60 * _S), round(60 * _S)), 255)
    d = ImageDraw.Draw(img)
    for x in (20.0, 36.5):
        d.line((x * _S, 0, x * _S, img.height), fill=0, width=3)
    for y in (10.0, 44.5):
        d.line((20.0 * _S, y * _S, 36.5 * _S, y * _S), fill=0, width=3)
    face = ImageFont.truetype(str(font), round(9 * _S))
    d.text((25 * _S, 11.0 * _S - face.getbbox(letter)[1]), letter, fill=30, font=face)
    return PageImage(number=1, image=img, dpi=_DPI)


def test_a_flag_is_read_inside_its_cells_four_rules() -> None:
    # The crop of the cell holds its top and bottom rules: with the side rules they made one
    # frame-sized cluster, and no glyph was found in the cell at all.
    sans = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not sans.exists():
        pytest.skip("DejaVu Sans is not installed")
    for letter in ("Y", "N"):
        word = reread.reread(_ruled_cell(letter, sans), (20.0, 10.0, 36.5, 44.5), "flag")
        assert word is not None and word.text == letter


def test_a_flag_read_unsurely_under_the_whitelist_is_read_again_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Whitelisted, three copies of a plain Y often read as the word "YYY" at confidence 0: a
    # second reading, the copies set apart and read freely, gives each its own confidence.
    sans = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not sans.exists():
        pytest.skip("DejaVu Sans is not installed")
    real = tesseract.image_to_data
    calls: list[bool] = []

    def whitelist_unsure(
        img: Image.Image, psm: int, variables: dict[str, str] | None = None, **kw: float
    ) -> tesseract.WordTable:
        data = real(img, psm, variables, **kw)
        calls.append(bool(variables))
        if variables:  # what Tesseract says of "YYY" on a real scan
            data = {**data, "conf": [0.0] * len(data["conf"])}
        return data

    monkeypatch.setattr(tesseract, "image_to_data", whitelist_unsure)
    word = reread.reread(_ruled_cell("Y", sans), (20.0, 10.0, 36.5, 44.5), "flag")
    assert calls == [True, False]
    assert word is not None and word.text == "Y" and word.conf >= 0.6


# A products aggregate of a 200 dpi black-and-white TIFF (generated corpus), cropped from the
# deskewed 300 dpi page at (522, 312) pt: its box below, in the crop's points.
_AMOUNT_CROP = _CROPS / "amount_1_read_as_4.png"
_AMOUNT_BOX = (25.2, 13.68, 60.72, 22.08)


def test_a_re_read_that_changes_a_digit_needs_a_third_read_on_its_side() -> None:
    # The first reading has the digits right and a stray mark; the usual re-read says 4,500,000
    # at high confidence, a third read at another enlargement sides with the first.
    page = PageImage(number=1, image=Image.open(_AMOUNT_CROP).convert("L"), dpi=_DPI)
    first = Word("1,500,000!", *_AMOUNT_BOX, conf=0.56)
    usual = reread.reread(page, _AMOUNT_BOX, "text")
    assert usual is not None and usual.text == "4,500,000"  # what the fix is for
    (word,) = reread.reread_numbers(page, [first])
    assert word.text == "1,500,000"


def test_a_re_read_that_keeps_the_digits_takes_no_third_read(monkeypatch: pytest.MonkeyPatch) -> None:
    page = PageImage(number=1, image=Image.open(_AMOUNT_CROP).convert("L"), dpi=_DPI)
    calls: list[float] = []
    real = reread.reread

    def counting(
        page: PageImage, box: Box, kind: reread.ReadKind = "text", enlarge: float = 1.0
    ) -> Word | None:
        calls.append(enlarge)
        return real(page, box, kind, enlarge)

    monkeypatch.setattr(reread, "reread", counting)
    (word,) = reread.reread_numbers(page, [Word("4,500,000!", *_AMOUNT_BOX, conf=0.56)])
    assert calls == [1.0]
    assert word.text == "4,500,000"

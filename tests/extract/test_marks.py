"""Check boxes and lone letters judged from pixels (drawn images: no Tesseract needed)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from coibot.extract import images, marks
from coibot.extract.images import PageImage
from coibot.extract.words import Word
from coibot.limits import Limits


def test_ink_clusters_finds_lone_letters_and_marked_boxes() -> None:
    img = Image.new("L", (900, 600), 255)
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=40)
    d.text((100, 100), "C", fill=0, font=font)  # a lone insurer letter
    d.rectangle((300, 100, 340, 140), outline=0, width=3)  # an empty checkbox
    d.rectangle((500, 100, 540, 140), outline=0, width=3)  # a marked one
    d.line((504, 104, 536, 136), fill=0, width=4)
    d.line((504, 136, 536, 104), fill=0, width=4)
    d.text((700, 100), "WORD", fill=0, font=font)  # already read: excluded below
    glyphs, checked = marks.ink_clusters(images.ink_mask(img), 300.0, exclude=[(690, 90, 900, 160)])
    assert len(glyphs) == 1
    x0, top, x1, bottom = glyphs[0]
    assert 95 <= x0 < x1 <= 140 and 95 <= top < bottom <= 150
    assert len(checked) == 1 and 495 <= checked[0][0] <= 505


def test_checkbox_state() -> None:
    img = Image.new("L", (400, 200), 255)
    d = ImageDraw.Draw(img)
    d.rectangle((20, 20, 50, 50), outline=0, width=3)  # empty
    d.rectangle((120, 20, 150, 50), outline=0, width=3)  # marked
    d.line((124, 24, 146, 46), fill=0, width=4)
    d.line((124, 46, 146, 24), fill=0, width=4)
    d.ellipse((220, 20, 250, 50), outline=0, width=3)  # an O: not a box
    mask = images.ink_mask(img)
    assert marks.checkbox_state(mask, (20, 20, 51, 51), 300.0) is False
    assert marks.checkbox_state(mask, (120, 20, 151, 51), 300.0) is True
    assert marks.checkbox_state(mask, (220, 20, 251, 51), 300.0) is None


def test_a_tick_drawn_past_the_frame_still_marks_the_box() -> None:
    img = Image.new("L", (300, 200), 255)
    d = ImageDraw.Draw(img)
    d.rectangle((40, 60, 72, 92), outline=0, width=3)
    # A check mark whose long stroke runs out of the box's top right corner.
    d.line((46, 76, 54, 86), fill=0, width=5)
    d.line((54, 86, 82, 48), fill=0, width=5)
    mask = images.ink_mask(img)
    assert marks.checkbox_state(mask, (40, 46, 84, 93), 300.0) is True
    glyphs, checked = marks.ink_clusters(mask, 300.0, exclude=[])
    assert glyphs == [] and len(checked) == 1


def test_two_boxes_one_above_the_other_are_judged_apart() -> None:
    # OCCUR over CLAIMS-MADE: a few pixels apart, they merge on the coarse grid of glyph clusters.
    img = Image.new("L", (300, 300), 255)
    d = ImageDraw.Draw(img)
    d.rectangle((100, 60, 132, 92), outline=0, width=3)  # marked
    d.line((105, 65, 127, 87), fill=0, width=4)
    d.line((105, 87, 127, 65), fill=0, width=4)
    d.rectangle((100, 100, 132, 132), outline=0, width=3)  # empty, 8 px below
    glyphs, checked = marks.ink_clusters(images.ink_mask(img), 300.0, exclude=[])
    assert glyphs == []
    assert len(checked) == 1 and 98 <= checked[0][0] <= 102 and 58 <= checked[0][1] <= 62


# A bold B from a scan's INSR LTR column (300 dpi): nearly closed on four sides.
_SCANNED_B = [
    "......##########..........",
    "....##############........",
    "....################......",
    "....####.....########.....",
    "....####.........####.....",
    "....###...........####....",
    "....###...........####....",
    "....###...........####....",
    "...####...........####....",
    "...####..........####.....",
    "...######.....#######.....",
    "...#################......",
    "...################.......",
    "...#################......",
    "...#####.......######.....",
    "...####..........#####....",
    "...####...........#####...",
    "...####............####...",
    "...####............####...",
    "...####............####...",
    "...####...........#####...",
    "...####...........####....",
    "...###################....",
    "....#################.....",
    "....################......",
    "....#############.........",
    ".....##...................",
]


def test_a_bold_scanned_letter_is_no_checkbox() -> None:
    glyph = np.array([[c == "#" for c in row] for row in _SCANNED_B])
    mask = np.zeros((glyph.shape[0] + 20, glyph.shape[1] + 20), dtype=bool)
    mask[10:-10, 10:-10] = glyph
    box = (10.0, 10.0, 10.0 + glyph.shape[1], 10.0 + glyph.shape[0])
    assert marks.checkbox_state(mask, box, 300.0) is None


def _page(img: Image.Image) -> PageImage:
    return PageImage(number=1, image=img, dpi=300.0)


def _marked_box_before(text: str, at: tuple[int, int], size: int) -> Image.Image:
    """A filled check box at (20, 20)-(58, 58) pixels and `text` beside it."""
    img = Image.new("L", (400, 120), 255)
    d = ImageDraw.Draw(img)
    d.rectangle((20, 20, 58, 58), outline=0, width=3)
    d.rectangle((28, 28, 50, 50), fill=0)
    d.text(at, text, fill=0, font=ImageFont.load_default(size=size))
    return img


def test_a_filled_box_glued_to_its_small_label_is_split_from_the_word() -> None:
    # "■ OCCUR" read as one word "occur" boxed over both: the word is the box's height, its
    # letters half of it. The box is a mark before the label, the word starts after the box.
    img = _marked_box_before("OCCUR", (68, 30), 22)
    s = 72.0 / 300.0
    word = Word("occur", 20 * s, 20 * s, 150 * s, 59 * s, 0.86)
    out = marks.checkboxes_as_marks(_page(img), images.ink_mask(img), [word])
    assert [w.text for w in out] == ["X", "occur"]
    assert out[1].x0 > 58 * s


def test_a_word_as_tall_as_its_letters_keeps_its_first_letter() -> None:
    # Ink at a word's start that frames like a marked box (an E beside a column rule's remnant
    # did) is a letter when the word's other letters are as tall: nothing is split off.
    img = _marked_box_before("PL756", (64, 12), 52)
    mask = images.ink_mask(img)
    assert marks.checkbox_state(mask, (20, 20, 59, 59), 300.0) is True  # alone it would be a box
    s = 72.0 / 300.0
    word = Word("EPL756", 20 * s, 20 * s, 220 * s, 59 * s, 0.9)
    out = marks.checkboxes_as_marks(_page(img), mask, [word])
    assert [w.text for w in out] == ["EPL756"]


def test_a_row_high_box_of_the_real_form_read_as_a_word_is_its_mark() -> None:
    # The real ACORD 25's boxes are its 12 pt rows' cells: at 300 dpi a filled one is 44 px, and
    # Tesseract's word for it ("(mi)") is 53 px tall.
    img = Image.new("L", (300, 120), 255)
    d = ImageDraw.Draw(img)
    d.rectangle((20, 20, 64, 64), outline=0, width=2)
    d.rectangle((27, 27, 57, 57), fill=0)
    s = 72.0 / 300.0
    word = Word("(mi)", 15 * s, 15 * s, 68 * s, 68 * s, 0.24)
    (mark,) = marks.checkboxes_as_marks(_page(img), images.ink_mask(img), [word])
    assert mark.text == "X"


def test_ink_between_two_words_a_hair_from_each_is_no_lone_letter() -> None:
    # sample_004's "certificates @compassinsurance.com": Tesseract's box for the "@" left out the
    # sign's left arc, which read alone gave "certificatesq@". A letter on its own is still read.
    img = Image.new("L", (1200, 300), 255)
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=40)
    d.text((100, 100), "certificates", fill=0, font=font)
    d.text((410, 100), "compass", fill=0, font=font)
    d.ellipse((380, 108, 405, 145), outline=0, width=5)  # the arc: 3 px from each word's box
    d.text((1000, 100), "B", fill=0, font=font)  # an insurer letter in its column
    s = 72.0 / 300.0
    words = [Word("certificates", 100 * s, 100 * s, 377 * s, 150 * s),
             Word("compass", 408 * s, 100 * s, 590 * s, 150 * s)]
    page = _page(img)
    found = marks.lone_characters(page, images.ink_mask(img), img, words, Limits())
    assert [w.text for w in found] == ["B"]

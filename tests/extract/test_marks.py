"""Check boxes and lone letters judged from pixels (drawn images: no Tesseract needed)."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from coibot.extract import images, marks


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

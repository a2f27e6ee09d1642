"""OCR words laid out as a scan gives them, for layout tests that need no Tesseract."""

from __future__ import annotations

from coibot.extract.words import PageWords, Rule, Word

LINE_HEIGHT = 5.0  # a 7-pt line's word height in points


def scan_line(text: str, x: float, y: float, conf: float = 0.9, h: float = LINE_HEIGHT) -> list[Word]:
    """The words of `text` from x on the line whose top is y, as OCR boxes them (about 4 pt a letter)."""
    out = []
    for part in text.split():
        w = 4.0 * len(part)
        out.append(Word(part, x, y, x + w, y + h, conf))
        x += w + 3.0
    return out


def scan_page(lines: list[tuple[str, float, float]], rules: list[Rule] | None = None) -> PageWords:
    """A US Letter OCR page holding each (text, x, y) line."""
    words = [w for text, x, y in lines for w in scan_line(text, x, y)]
    return PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words, rules=rules or [])

"""Positioned words: the one shape every input backend (text layer, OCR, form fields) produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Method = Literal["text", "ocr", "form_fields"]


@dataclass(frozen=True, slots=True)
class Word:
    """One word on a page; coordinates in PDF points (1/72 in), origin at the top-left."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    conf: float = 1.0  # 0..1: OCR confidence; 1.0 for a text layer or a form field


@dataclass(frozen=True, slots=True)
class Rule:
    """A ruling line (or a thin rectangle edge) on the form, in the same coordinates as words."""

    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def horizontal(self) -> bool:
        return (self.x1 - self.x0) >= (self.bottom - self.top)


@dataclass(slots=True)
class PageWords:
    """A page as its backend saw it: size in points, its words and its ruling lines."""

    number: int  # 1-based page number within the document
    width: float
    height: float
    method: Method
    words: list[Word] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)

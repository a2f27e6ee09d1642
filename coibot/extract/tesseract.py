"""Tesseract engines: in process through tesserocr when it is installed, else the tesseract program.

Both give Tesseract's word table (the dict of lists `pytesseract.image_to_data` returns), so the OCR
backend does not care which one ran. In process is the fast one: the model is loaded once per
process, and no image file is written and no program started per call (1.5 s instead of 2.4 s for
a page, 10 ms instead of 90 ms for a small crop).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

from coibot.errors import ExtractionError
from coibot.extract.words import Word

log = logging.getLogger(__name__)

# Tesseract's OpenMP threads fight each other on small machines: 8x slower on 2 cores.
os.environ["OMP_THREAD_LIMIT"] = "1"

WordTable = dict[str, list[Any]]
_COLUMNS = ("level", "left", "top", "width", "height", "conf", "text")
_WORD_LEVEL = 5  # Tesseract's TSV level of a word
# tessedit_do_invert=0 skips a second pass over every line looking for white-on-black text.
_BASE_VARIABLES = {"tessedit_do_invert": "0"}
# Single characters that mean something on a form: check marks and Y/N flags.
_MARKS = frozenset({"X", "Y", "N"})
# Pixels: the height of a dash or a rule's fragment at 300 dpi; any letter is twice that.
_FLAT_MAX_PX = 4
# A dash between words is as flat as a rule's fragment, and may mean something ("WC - Statutory").
_DASHES = frozenset({"-", "\u2013", "\u2014"})
# Where distributions put the language data (the tesserocr wheel brings the engine, not the data).
_TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)


class Engine(Protocol):
    name: str

    def words(
        self, img: Image.Image, psm: int, variables: Mapping[str, str], dpi: float, timeout: float
    ) -> WordTable: ...


class CliEngine:
    """The tesseract program through pytesseract: a process and a model load per call."""

    name = "tesseract-cli"

    def words(
        self, img: Image.Image, psm: int, variables: Mapping[str, str], dpi: float, timeout: float
    ) -> WordTable:
        import pytesseract

        config = " ".join([f"--psm {psm}", *(f"-c {k}={v}" for k, v in variables.items())])
        if dpi:
            config += f" --dpi {round(dpi)}"
        try:
            with tempfile.TemporaryDirectory(prefix="coibot-ocr-") as tmp:
                # An uncompressed file: pytesseract's own PNG encoding costs a third of a page's time.
                source = Path(tmp) / "page.bmp"
                img.save(source, format="BMP")
                data: WordTable = pytesseract.image_to_data(
                    str(source),
                    lang="eng",
                    config=config,
                    output_type=pytesseract.Output.DICT,
                    timeout=timeout,
                )
        except RuntimeError as exc:  # pytesseract signals its own timeout so
            raise ExtractionError("timeout", f"OCR took longer than {timeout:.0f} s") from exc
        except pytesseract.TesseractNotFoundError as exc:
            raise ExtractionError("ocr_unavailable", "the tesseract program is not installed") from exc
        except pytesseract.TesseractError as exc:
            raise ExtractionError("ocr_failed", f"tesseract failed: {exc}") from exc
        return data


class InProcessEngine:
    """libtesseract through tesserocr: one loaded model per thread, reused for every call."""

    name = "tesserocr"

    def __init__(self, tessdata: str) -> None:
        self.tessdata = tessdata
        self._local = threading.local()

    def _api(self) -> Any:
        api = getattr(self._local, "api", None)
        if api is None:
            import tesserocr

            try:
                api = tesserocr.PyTessBaseAPI(path=self.tessdata, lang="eng", oem=tesserocr.OEM.LSTM_ONLY)
            except RuntimeError as exc:
                raise ExtractionError("ocr_unavailable", f"Tesseract cannot load its model: {exc}") from exc
            self._local.api = api
        return api

    def words(
        self, img: Image.Image, psm: int, variables: Mapping[str, str], dpi: float, timeout: float
    ) -> WordTable:
        import tesserocr

        api = self._api()
        api.SetPageSegMode(psm)
        for key, value in variables.items():
            api.SetVariable(key, value)
        try:
            _set_image(api, img)
            if dpi:
                api.SetSourceResolution(round(dpi))
            if not api.Recognize(timeout=round(timeout * 1000) if timeout else 0):
                raise ExtractionError("timeout", f"OCR took longer than {timeout:.0f} s")
            return _word_table(api, tesserocr)
        except RuntimeError as exc:
            raise ExtractionError("ocr_failed", f"tesseract failed: {exc}") from exc
        finally:
            # A whitelist or any other variable must not leak into the next call.
            for key in variables:
                api.SetVariable(key, _DEFAULTS.get(key, ""))
            api.Clear()


def _set_image(api: Any, img: Image.Image) -> None:
    """Hand the image to Tesseract; a grayscale one as raw bytes (SetImage encodes it: 4x slower)."""
    if img.mode == "L":
        api.SetImageBytes(img.tobytes(), img.width, img.height, 1, img.width)
    else:
        api.SetImage(img)


# Values that undo the variables the OCR backend sets per call.
_DEFAULTS = {"tessedit_do_invert": "1", "tessedit_char_whitelist": ""}


def _word_table(api: Any, tesserocr: Any) -> WordTable:
    table: WordTable = {column: [] for column in _COLUMNS}
    level = tesserocr.RIL.WORD
    iterator = api.GetIterator()
    if iterator is None:
        return table
    for word in tesserocr.iterate_level(iterator, level):
        box = word.BoundingBox(level)
        try:
            text = word.GetUTF8Text(level)
        except RuntimeError:  # tesserocr's way of saying a blob held no text
            continue
        if box is None:
            continue
        x0, y0, x1, y1 = box
        table["level"].append(_WORD_LEVEL)
        table["left"].append(x0)
        table["top"].append(y0)
        table["width"].append(x1 - x0)
        table["height"].append(y1 - y0)
        table["conf"].append(word.Confidence(level))
        table["text"].append(text)
    return table


def find_tessdata() -> str | None:
    """The folder holding eng.traineddata: $TESSDATA_PREFIX, the tesseract program's, or a usual place."""
    candidates = [os.environ.get("TESSDATA_PREFIX", ""), _program_tessdata(), *_TESSDATA_DIRS]
    for folder in candidates:
        if folder and (Path(folder) / "eng.traineddata").is_file():
            return str(Path(folder)) + "/"
    return None


def _program_tessdata() -> str:
    program = shutil.which("tesseract")
    if program is None:
        return ""
    try:
        done = subprocess.run(
            [program, "--list-langs"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    found = re.search(r'"([^"]+)"', done.stdout + done.stderr)
    return found.group(1) if found else ""


@cache
def engine() -> Engine:
    """The fastest engine this machine can run (decided once per process)."""
    if os.environ.get("COIBOT_OCR_ENGINE", "") != "cli":
        try:
            import tesserocr  # noqa: F401
        except ImportError:
            log.info("tesserocr is not installed: OCR runs the tesseract program")
        else:
            tessdata = find_tessdata()
            if tessdata is not None:
                return InProcessEngine(tessdata)
            log.warning("no eng.traineddata found (set TESSDATA_PREFIX): OCR runs the tesseract program")
    return CliEngine()


def is_available() -> bool:
    """Whether some Tesseract engine with English data can run here."""
    return shutil.which("tesseract") is not None or (isinstance(engine(), InProcessEngine))


def warm_up() -> None:
    """Load the model now (a pre-started reader child does this before its document arrives)."""
    current = engine()
    if isinstance(current, InProcessEngine):
        current._api()


def image_to_data(
    img: Image.Image, psm: int, variables: Mapping[str, str] | None = None, dpi: float = 0, timeout: float = 0
) -> WordTable:
    """Tesseract's word table for `img` with page segmentation mode `psm` and the given variables."""
    return engine().words(img, psm, {**_BASE_VARIABLES, **(variables or {})}, dpi, timeout)


def table_words(data: WordTable, scale: float, dx: float = 0.0, dy: float = 0.0) -> list[Word]:
    """Word-level rows of Tesseract's TSV, mapped from pixels to points by `scale` (points per pixel)."""
    out: list[Word] = []
    for i, text in enumerate(data["text"]):
        # Underscores and bars at a word's edge are what is left of a ruling line.
        text = str(text).strip().strip("_|")
        if not text or int(data["level"][i]) != 5:
            continue
        conf = max(0.0, min(1.0, float(data["conf"][i]) / 100.0))
        if len(text) == 2 and text[0].isupper() and text[1] == text[0].lower():
            # The LSTM doubles an isolated capital ("Cc"); a real word is never spelt so.
            text = text[0]
        if _is_speck(text, conf) or (
            text not in _DASHES and _is_flat(int(data["width"][i]), int(data["height"][i]))
        ):
            continue
        left, top = float(data["left"][i]) + dx, float(data["top"][i]) + dy
        word = Word(
            text=text,
            x0=left * scale,
            top=top * scale,
            x1=(left + float(data["width"][i])) * scale,
            bottom=(top + float(data["height"][i])) * scale,
            conf=round(conf, 3),
        )
        out.extend(_split_at_rule(word))
    return out


_RULE_INSIDE = re.compile(r"_{2,}")


def _split_at_rule(word: Word) -> list[Word]:
    """A word with a rule's remnant inside ("LTR__TYPE": two headings with a column's rule
    between them) as the words either side, each given its share of the box by its letters."""
    parts = [(m.start(), m.end()) for m in _RULE_INSIDE.finditer(word.text)]
    if not parts:
        return [word]
    per_char = (word.x1 - word.x0) / len(word.text)
    out: list[Word] = []
    start = 0
    for a, b in [*parts, (len(word.text), len(word.text))]:
        if a > start:
            out.append(Word(word.text[start:a], word.x0 + start * per_char, word.top,
                            word.x0 + a * per_char, word.bottom, word.conf))
        start = b
    return out


def _is_flat(width: int, height: int) -> bool:
    """A "word" a few pixels high and wider than that: a piece of a dashed or broken ruling line
    ("— — = —"), which no letter at the OCR resolutions is."""
    return height <= _FLAT_MAX_PX and width >= 2 * height


def _is_speck(text: str, conf: float) -> bool:
    """Noise that Tesseract read as a word: punctuation or a letter or two it has no faith in."""
    if not any(c.isalnum() for c in text):
        return conf < 0.5 and text != "$"
    return conf < 0.1 and len(text) <= 2 and text.upper() not in _MARKS

"""Entry point of the reader: one document in, one contract dict per certificate out.

The file's type comes from its magic bytes, never from its name. Each backend yields
`PageWords`; the layout readers (ACORD 25, ACORD 101, other layouts) read fields from them and
`assemble.finalize` gives every result the contract's exact shape.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coibot.errors import ExtractionError
from coibot.extract.acord25 import acord25_score, is_acord25, read_acord25
from coibot.extract.acord101 import is_acord101, merge_remarks, read_acord101, read_schedule_alone
from coibot.extract.assemble import finalize
from coibot.extract.sniff import precheck_file, sniff_bytes
from coibot.extract.words import PageWords
from coibot.limits import Limits

log = logging.getLogger(__name__)

# Fewer words than this on a page means no usable text layer.
_MIN_WORDS = 5

def _optional(module: str, name: str) -> Callable[..., Any] | None:
    """A function from a sibling backend that may not be installed yet (or at all)."""
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        # Only the module's own absence is tolerated; a broken import inside it is a bug.
        if exc.name != module:
            raise
        log.debug("optional backend %s is not available", module)
        return None
    fn = getattr(mod, name, None)
    return fn if callable(fn) else None


def _method(pages: list[PageWords], methods: dict[int, str] | None = None) -> str:
    kinds = {(methods or {}).get(p.number, p.method) for p in pages}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def extract_document(path: Path, limits: Limits | None = None) -> list[dict[str, Any]]:
    """Read every certificate in `path`; raises ExtractionError with a stable code."""
    limits = limits or Limits()
    path = Path(path)
    precheck_file(path, limits)
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
    except OSError as exc:
        raise ExtractionError("unreadable_file", f"{path.name}: {exc.strerror or exc}") from exc
    kind = sniff_bytes(head)
    if kind == "pdf":
        return _extract_pdf(path, limits)
    if kind in ("png", "jpeg", "tiff"):
        ocr_image = _optional("coibot.extract.ocr", "ocr_image")
        if ocr_image is None:
            raise ExtractionError("no_text_no_ocr", f"{path.name} is an image and OCR is not available")
        pages: list[PageWords] = ocr_image(path, limits)
        return _from_pages(path, pages, len(pages))
    raise ExtractionError("unsupported_type", f"{path.name} is neither a PDF nor a PNG/JPEG/TIFF image")


def _extract_pdf(path: Path, limits: Limits) -> list[dict[str, Any]]:
    from coibot.extract import pdf_text

    with pdf_text.open_pdf(path) as doc:
        if doc.page_count > limits.max_pages:
            raise ExtractionError(
                "too_many_pages", f"{path.name} has {doc.page_count} pages; the limit is {limits.max_pages}"
            )
        if doc.has_acroform:
            from_fields = _optional("coibot.extract.form_fields", "extract_from_fields")
            if from_fields is not None:
                result = from_fields(path)
                if isinstance(result, dict):
                    result.setdefault("source", {})
                    result["source"] = _source(path, doc.page_count, "form_fields") | {
                        k: v for k, v in result["source"].items() if k == "method" and v
                    }
                    return [finalize(result)]
        pages = doc.read_pages()
        image_pages = doc.image_pages
    methods: dict[int, str] = {}
    # A page with a handful of stray characters is a scan with a junk text layer, not a text page.
    blank = [p.number for p in pages if len(p.words) < _MIN_WORDS]
    # A form printed as a picture with only the values as text: its labels need OCR.
    pictured = [p.number for p in pages if p.number in image_pages and p.number not in blank
                and not is_acord101(p) and not is_acord25(p)]
    wanted = blank + pictured
    if wanted:
        ocr_pdf = _optional("coibot.extract.ocr", "ocr_pdf")
        if ocr_pdf is None:
            if len(blank) == len(pages):
                raise ExtractionError(
                    "no_text_no_ocr", f"{path.name} has no text layer and OCR is not available"
                )
            log.warning("%s: pages %s need OCR, which is not available", path.name, wanted)
        else:
            ocr_pages: list[PageWords] = ocr_pdf(path, limits, pages=sorted(wanted))
            by_number = {p.number: p for p in ocr_pages}
            merged = []
            for p in pages:
                o = by_number.get(p.number)
                if o is None:
                    merged.append(p)
                elif p.number in blank:
                    merged.append(o)
                else:
                    merged.append(overlay(p, o))
                    methods[p.number] = "mixed"
            pages = merged
    return _from_pages(path, pages, len(pages), methods)


def overlay(text: PageWords, ocr: PageWords) -> PageWords:
    """A text page's words plus the OCR words (the form's printed labels) that no text word covers."""
    kept = [w for w in ocr.words if not any(
        (t.x0 - 1 <= (w.x0 + w.x1) / 2 <= t.x1 + 1 and t.top - 1 <= (w.top + w.bottom) / 2 <= t.bottom + 1)
        or (w.x0 <= (t.x0 + t.x1) / 2 <= w.x1 and w.top <= (t.top + t.bottom) / 2 <= w.bottom)
        for t in text.words
    )]
    return PageWords(number=text.number, width=text.width, height=text.height, method="text",
                     words=[*text.words, *kept], rules=[*text.rules, *ocr.rules])


def _source(path: Path, page_count: int, method: str) -> dict[str, Any]:
    return {"file": path.name, "sha256": _sha256(path), "pages": page_count, "method": method}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _from_pages(path: Path, pages: list[PageWords], page_count: int,
                methods: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """Split pages into certificates, read each with the right layout reader, finalize."""
    groups: list[list[PageWords]] = []
    loose: list[PageWords] = []
    for page in pages:
        # A remarks schedule names the form it continues ("CERTIFICATE OF LIABILITY INSURANCE")
        # and prints policy keys, so it is recognised first.
        if is_acord101(page):
            if groups:
                groups[-1].append(page)
            else:
                loose.append(page)
        elif is_acord25(page):
            groups.append([page])
        elif groups:
            groups[-1].append(page)
        else:
            loose.append(page)
    results: list[dict[str, Any]] = []
    for group in groups:
        draft = read_acord25(group[0], reread=_rereader(path, group[0]))
        _merge_schedules(path, draft, group[1:])
        draft["source"] = _source(path, page_count, _method(group, methods))
        results.append(finalize(draft))
    if not groups and pages and is_acord101(pages[0]):
        alone = read_schedule_alone(pages[0])
        _merge_schedules(path, alone, pages[1:])
        alone["source"] = _source(path, page_count, _method(pages, methods))
        results.append(finalize(alone))
    elif not groups:
        read_other = _optional("coibot.extract.other_layout", "read_other")
        other = read_other(pages) if read_other is not None else None
        if not isinstance(other, dict) and pages and acord25_score(pages[0])[0] >= 5:
            # Labels garbled by a poor scan: read it as the ACORD 25 it most resembles, with a warning.
            other = read_acord25(pages[0], reread=_rereader(path, pages[0]))
            other.setdefault("warnings", []).append("few ACORD 25 labels were recognised; check every field")
        if not isinstance(other, dict):
            raise ExtractionError(
                "not_a_certificate", f"{path.name}: no certificate of insurance was recognised"
            )
        other["source"] = _source(path, page_count, _method(pages, methods))
        results.append(finalize(other))
    elif loose:
        log.info("%s: %d page(s) before the first certificate were not read", path.name, len(loose))
    return results


def _merge_schedules(path: Path, draft: dict[str, Any], pages: list[PageWords]) -> None:
    """Add to a certificate's draft the remarks schedules on the pages that follow it."""
    for extra in pages:
        if is_acord101(extra):
            merge_remarks(draft, read_acord101(extra))
        else:
            log.info("%s: page %d follows a certificate but is not a remarks schedule; not read",
                     path.name, extra.number)


def _rereader(path: Path, page: PageWords) -> Callable[[tuple[float, float, float, float], str], Any] | None:
    """The OCR backend's field re-read for a scanned page (None for text pages or without OCR)."""
    if page.method != "ocr":
        return None
    reread_field = _optional("coibot.extract.ocr", "reread_field")
    if reread_field is None:
        return None
    number = page.number

    def reread(box: tuple[float, float, float, float], kind: str) -> Any:
        return reread_field(path, number, box, kind)

    return reread


def main(argv: list[str] | None = None) -> int:
    """Print the first certificate of one file as JSON (used by the scorer and by hand)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m coibot.extract.reader FILE\n")
        return 2
    try:
        results = extract_document(Path(args[0]))
    except ExtractionError as exc:
        sys.stderr.write(f"{exc}\n")
        return exc.exit_code
    sys.stdout.write(json.dumps(results[0], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

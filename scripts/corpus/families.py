"""One function per family: each writes N files + truth into a folder and returns their names."""

from __future__ import annotations

import random
from pathlib import Path

from .acord25 import Style, draw_certificate, new_canvas, render_meta
from .common import sha256, write_truth
from .data import make_cert, truth_of


def _text_variant(r: random.Random, i: int) -> tuple[dict[str, object], Style]:
    """Spread the structural variants over the first files, then draw at random."""
    style = Style.random(r)
    kw: dict[str, object] = {}
    # deterministic coverage of the important variants across indices
    style.edition = ["2016/03", "2014/01", "2010/05", "2009/09", "2025/12"][i % 5]
    style.mark = ["X", "check", "square"][i % 3]
    style.value_font = ["Helvetica", "Times-Roman", "Courier", "Helvetica"][i % 4]
    if i % 6 == 2:
        kw["dup"] = r.choice(["general_liability", "automobile_liability"])
    if i % 7 == 3:
        kw["other_count"] = 2
    if i % 9 == 4:
        kw["n_insurers"] = 6
    if i % 11 == 5:
        kw["n_insurers"] = 0
    return kw, style


def text(out: Path, n: int, r: random.Random) -> list[str]:
    names = []
    for i in range(n):
        kw, style = _text_variant(r, i)
        cert = make_cert(r, **kw)  # type: ignore[arg-type]
        name = f"text_{i + 1:03d}.pdf"
        path = out / name
        c = new_canvas(str(path), style)
        draw_certificate(c, cert, style)
        c.showPage()
        c.save()
        truth = truth_of(
            cert,
            family="text",
            file=name,
            sha256=sha256(path),
            pages=1,
            method="text",
            generator={
                "client": None,
                "profile": "random",
                "defects": [],
                "smudged": [],
                "layout": render_meta(style),
            },
        )
        write_truth(path, truth)
        names.append(name)
    return names


# fillable: (naming, mode) per index; ACORD names, the short dotted names of the public samples,
# generic TextN / Check BoxN names, and partially flattened forms.
FILLABLE_KINDS = [
    ("acord", "fields"),
    ("generic", "fields"),
    ("acord", "partial"),
    ("dotted", "fields"),
    ("acord", "fields"),
    ("generic", "partial"),
    ("generic", "fields"),
    ("acord", "fields"),
    ("dotted", "partial"),
    ("acord", "partial"),
    ("generic", "fields"),
    ("acord", "fields"),
]


def fillable(out: Path, n: int, r: random.Random) -> list[str]:
    names = []
    for i in range(n):
        naming, mode = FILLABLE_KINDS[i % len(FILLABLE_KINDS)]
        style = Style.random(r)
        style.dx = style.dy = 0.0
        style.other_inline = False
        # the real fillable form has one row per coverage and one 'other' row
        cert = make_cert(r, other_count=r.choice([0, 1, 1]))
        name = f"fillable_{i + 1:03d}.pdf"
        path = out / name
        c = new_canvas(str(path), style)
        placed = draw_certificate(c, cert, style, mode=mode, naming=naming, r=r)
        c.showPage()
        c.save()
        n_text = sum(1 for v in placed.placed.values() if v == "text")
        method = "form_fields" if n_text == 0 else "mixed"
        truth = truth_of(
            cert,
            family="fillable",
            file=name,
            sha256=sha256(path),
            pages=1,
            method=method,
            generator={
                "client": None,
                "profile": "random",
                "defects": [],
                "smudged": [],
                "fields": {"naming": naming, "mode": mode, "printed_values": n_text},
                "layout": render_meta(style),
            },
        )
        write_truth(path, truth)
        names.append(name)
    return names

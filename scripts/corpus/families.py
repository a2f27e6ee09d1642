"""One function per family: each writes N files + truth into a folder and returns their names."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

from reportlab.pdfgen.canvas import Canvas

from .acord25 import Style, draw_certificate, draw_on_raster_form, new_canvas, render_meta
from .common import sha256, write_truth
from .data import OTHER_COVERAGES, OTHER_LABEL_SETS, Cert, Policy, make_cert, policy_number, truth_of
from .other_layouts import DRAW, LAYOUTS, Page
from .remarks import POINTERS, continuation, draw_acord101
from .scans import BLOT_TARGETS, blot, degrade, rasterise, save


def _text_variant(r: random.Random, i: int) -> tuple[dict[str, object], Style]:
    """Spread the structural variants over the first files, then draw at random."""
    style = Style.random(r)
    kw: dict[str, object] = {}
    # deterministic coverage of the important variants across indices
    style.edition = ["2016/03", "2014/01", "2010/05", "2009/09", "2025/12"][i % 5]
    style.mark = ["X", "check", "square"][i % 3]
    style.value_font = ["Helvetica", "Times-Roman", "Courier", "Helvetica"][i % 4]
    style.upper = i % 7 == 6
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
        raster = i % 10 == 8
        if raster:
            draw_on_raster_form(c, cert, style)
        else:
            draw_certificate(c, cert, style)
        c.showPage()
        c.save()
        layout = render_meta(style)
        layout["form_as_image"] = raster
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
                "layout": layout,
            },
        )
        if style.upper:
            upper_truth(truth)
        write_truth(path, truth)
        names.append(name)
    return names


def upper_truth(truth: dict[str, Any]) -> None:
    """Values as printed by an agency system that prints capitals."""
    for part in ("producer", "insured", "certificate_holder"):
        for k, v in (truth.get(part) or {}).items():
            if isinstance(v, str) and k != "phone":
                truth[part][k] = v.upper()
    if truth.get("description_of_operations"):
        truth["description_of_operations"] = truth["description_of_operations"].upper()
    for ins in truth["insurers"]:
        ins["name"] = ins["name"].upper() if ins["name"] else None
    for p in truth["policies"]:
        for k in ("carrier", "coverage_name", "policy_number"):
            if p.get(k):
                p[k] = p[k].upper()


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


def _extra_policy(r: random.Random, cert: Cert, kind: str) -> Policy:
    """A policy listed only on the remarks page (insurer taken from the page-1 table)."""
    ins = r.choice(cert.insurers) if cert.insurers else None
    base = cert.policies[0] if cert.policies else None
    eff = base.eff if base else cert.date
    exp = base.exp if base else cert.date
    if kind == "other":
        taken = {p.name for p in cert.policies}
        name = r.choice([n for n in OTHER_COVERAGES if n not in taken])
        labels = r.choice(OTHER_LABEL_SETS[:3])
        amt = r.choice([1000000, 2000000])
        lim: dict[str, int | None] = {k: (amt if k != "aggregate" else amt * 2) for _, k in labels}
        return Policy(
            "other",
            ins,
            policy_number(r, "XP"),
            eff,
            exp,
            name=name,
            limits=lim,
            labels={k: t for t, k in labels},
            ai=r.random() < 0.3,
            wos=r.random() < 0.3,
        )
    if kind == "automobile_liability":
        return Policy(
            kind,
            ins,
            policy_number(r, "HA"),
            eff,
            exp,
            limits={"combined_single_limit": r.choice([1000000, 2000000])},
            ai=r.random() < 0.5,
        )
    amt = r.choice([5000000, 10000000])
    return Policy(
        "excess_liability",
        ins,
        policy_number(r, "XS"),
        eff,
        exp,
        basis="occurrence",
        limits={"each_occurrence": amt, "aggregate": amt},
        ai=r.random() < 0.5,
    )


# (continuation paragraphs, extra policy kinds, 101 pages)
MULTIPAGE_KINDS: list[tuple[int, list[str], int]] = [
    (2, [], 1),
    (3, ["other"], 1),
    (1, ["automobile_liability"], 1),
    (0, ["other", "excess_liability"], 1),
    (2, ["other"], 1),
    (4, [], 2),
    (1, [], 1),
    (2, ["other", "automobile_liability"], 2),
]


def _cert_pages(
    c: Canvas, r: random.Random, cert: Cert, style: Style, n_cont: int, extra_kinds: list[str], n101: int
) -> tuple[str, int, list[Policy]]:
    """Draw page 1 + ACORD 101 page(s); returns (truth description, pages, extra policies)."""
    cont = continuation(r, cert, n_cont) if n_cont else []
    extras = [_extra_policy(r, cert, k) for k in extra_kinds]
    style.pointer = r.choice(POINTERS)
    draw_certificate(c, cert, style)
    c.showPage()
    pages = 1 + n101
    heading = r.random() < 0.6
    table = r.random() < 0.5
    if n101 == 1:
        draw_acord101(c, cert, style, cont, extras, 2, pages, continued_heading=heading, table=table)
        c.showPage()
    else:
        split = max(1, len(cont) // 2)
        draw_acord101(c, cert, style, cont[:split], [], 2, pages, continued_heading=heading)
        c.showPage()
        draw_acord101(c, cert, style, cont[split:], extras, 3, pages, continued_heading=False, table=table)
        c.showPage()
    return " ".join([*cert.description, *cont]).replace("\n", " "), pages, extras


def multipage(out: Path, n: int, r: random.Random) -> list[str]:
    names = []
    for i in range(n):
        n_cont, kinds, n101 = MULTIPAGE_KINDS[i % len(MULTIPAGE_KINDS)]
        style = Style.random(r)
        cert = make_cert(r, n_insurers=r.choice([2, 3, 4]), other_count=0)
        name = f"multipage_{i + 1:03d}.pdf"
        path = out / name
        c = new_canvas(str(path), style)
        desc, pages, extras = _cert_pages(c, r, cert, style, n_cont, kinds, n101)
        c.save()
        cert.policies += extras
        truth = truth_of(
            cert,
            family="multipage",
            file=name,
            sha256=sha256(path),
            pages=pages,
            method="text",
            description=desc,
            generator={
                "client": None,
                "profile": "random",
                "defects": [],
                "smudged": [],
                "remarks": {
                    "pointer": style.pointer,
                    "continuation_paragraphs": n_cont,
                    "policies_on_remarks": len(extras),
                    "acord101_pages": n101,
                },
                "layout": render_meta(style),
            },
        )
        write_truth(path, truth)
        names.append(name)
    return names


def multi_certificates(out: Path, n: int, r: random.Random) -> list[str]:
    """PDFs holding two different certificates one after the other; truth is a JSON list."""
    names = []
    for i in range(n):
        name = f"two_certificates_{i + 1:03d}.pdf"
        path = out / name
        style = Style.random(r)
        c = new_canvas(str(path), style)
        certs: list[tuple[Cert, str, int, dict[str, object]]] = []
        for k in range(2):
            cert = make_cert(r, other_count=r.choice([0, 1]))
            s2 = Style.random(r)
            s2.page = style.page
            if i % 2 == 1 and k == 0:
                desc, pages, extras = _cert_pages(c, r, cert, s2, 1, [], 1)
                cert.policies += extras
            else:
                draw_certificate(c, cert, s2)
                c.showPage()
                desc, pages = cert.description_text, 1
            certs.append((cert, desc, pages, render_meta(s2)))
        c.save()
        total = sum(p for _, _, p, _ in certs)
        docs = []
        first_page = 1
        for k, (cert, desc, pages, meta) in enumerate(certs):
            docs.append(
                truth_of(
                    cert,
                    family="multipage",
                    file=name,
                    sha256=sha256(path),
                    pages=total,
                    method="text",
                    description=desc,
                    generator={
                        "client": None,
                        "profile": "random",
                        "defects": [],
                        "smudged": [],
                        "certificate_index": k,
                        "first_page": first_page,
                        "page_count": pages,
                        "layout": meta,
                    },
                )
            )
            first_page += pages
        write_truth(path, docs)
        names.append(name)
    return names


def _draw_other(c: Canvas, r: random.Random, layout: str) -> tuple[Cert, str]:
    cert = make_cert(r, n_insurers=1, other_count=r.choice([0, 1]))
    ins = cert.insurers[0]
    ins.letter = None
    if layout == "workers_comp":
        wc = [p for p in cert.policies if p.coverage == "workers_compensation"]
        while not wc:  # the layout prints one workers' compensation policy: its truth must be one
            wc = [p for p in make_cert(r, n_insurers=1).policies if p.coverage == "workers_compensation"][:1]
        cert.policies = wc[:1]
    else:
        keep = 2 if layout == "letter" else 3
        cert.policies = r.sample(cert.policies, min(keep, len(cert.policies)))
    for p in cert.policies:
        p.insurer = ins
    carrier_addr = [
        f"{r.randint(1, 99) * 100} " + r.choice(["Insurance Plaza", "Financial Center", "Corporate Drive"]),
        r.choice(["Hartford, CT 06103", "Columbus, OH 43215", "Des Moines, IA 50309", "Omaha, NE 68102"]),
    ]
    font = r.choice(["Helvetica", "Times-Roman", "Helvetica", "Courier"])
    DRAW[layout](Page(c, font, r), cert, (ins.name, ins.naic, carrier_addr))
    c.showPage()
    return cert, font


def _fix_other_truth(truth: dict[str, Any], layout: str) -> None:
    if layout != "memorandum":
        truth["producer"] = None
    for tp in truth["policies"]:
        if tp["coverage"] == "workers_compensation":
            tp["additional_insured"] = None


def other(out: Path, n: int, r: random.Random) -> list[str]:
    """Certificates in an insurer's own layout: form 'other', no insurer letters."""
    names = []
    for i in range(n):
        layout = LAYOUTS[i % len(LAYOUTS)]
        name = f"other_{i + 1:03d}.pdf"
        path = out / name
        c = new_canvas(str(path), Style(page="letter"))
        cert, font = _draw_other(c, r, layout)
        c.save()
        truth = truth_of(
            cert,
            family="other",
            file=name,
            sha256=sha256(path),
            pages=1,
            method="text",
            form="other",
            generator={
                "client": None,
                "profile": "random",
                "defects": [],
                "smudged": [],
                "layout": {"name": layout, "font": font},
            },
        )
        _fix_other_truth(truth, layout)
        write_truth(path, truth)
        names.append(name)
    return names


# (source, dpi, format, smudged values)
SCAN_KINDS: list[tuple[str, int, str, int]] = [
    ("acord", 200, "pdf", 0),
    ("acord", 300, "png", 0),
    ("acord", 150, "jpg", 0),
    ("fillable", 200, "pdf", 0),
    ("multipage", 200, "tiff", 0),
    ("acord", 300, "pdf", 1),
    ("acord", 200, "jpg", 1),
    ("other", 200, "pdf", 0),
    ("acord", 150, "png", 0),
    ("fillable", 200, "jpg", 0),
    ("multipage", 150, "pdf", 0),
    ("acord", 200, "tiff", 2),
]
_COVERAGE_OF_KEY = {
    "gl": "general_liability",
    "auto": "automobile_liability",
    "umb": "umbrella",
    "wc": "workers_compensation",
    "oth": "other",
}
_FIELD_OF_KEY = {"number": "policy_number", "eff": "effective_date", "exp": "expiration_date"}


def _null_smudged(truth: dict[str, Any], key: str) -> None:
    """Set to null the truth value that an ink blot over `key` hides."""
    if key == "date":
        truth["certificate_date"] = None
        return
    if key == "cert.number":  # the certificate number is not part of the extraction
        return
    prefix, _, rest = key.partition(".")
    base = prefix.rstrip("0123456789")
    nth = int(prefix[len(base) :] or 1) - 1
    cov = _COVERAGE_OF_KEY[base]
    pols = [
        p
        for p in truth["policies"]
        if p["coverage"] == cov
        or (cov == "umbrella" and p["coverage"] in ("umbrella_liability", "excess_liability"))
    ]
    pol = pols[nth]
    if rest.startswith("lim."):
        pol["limits"][rest[4:]] = None
    else:
        pol[_FIELD_OF_KEY[rest]] = None


def scan_layout(i: int) -> str:
    """The insurer layout of the i-th scan (0-based) when its kind is 'other': each round of the
    kinds scans the next one, so every layout is scanned. (The offset keeps the first round's
    workers' comp layout: the checked-in corpus is unchanged.)"""
    return LAYOUTS[(i // len(SCAN_KINDS) + 3) % len(LAYOUTS)]


def scan(out: Path, n: int, r: random.Random) -> list[str]:
    names = []
    for i in range(n):
        source, dpi, fmt, n_blots = SCAN_KINDS[i % len(SCAN_KINDS)]
        buf = io.BytesIO()
        style = Style.random(r)
        style.page = "letter"
        c = new_canvas(buf, style)  # type: ignore[arg-type]
        form, method_src, desc, extras, layout = "acord25", source, None, [], None
        boxes: dict[str, tuple[float, float, float, float]] = {}
        if source == "acord":
            cert = make_cert(r)
            placed = draw_certificate(c, cert, style)
            c.showPage()
            boxes = {k: v for k, v in placed.boxes.items() if placed.placed.get(k) == "text"}
        elif source == "fillable":
            cert = make_cert(r, other_count=r.choice([0, 1]))
            style.dx = style.dy = 0.0
            draw_certificate(c, cert, style, mode="fields", naming="acord", r=r)
            c.showPage()
        elif source == "multipage":
            cert = make_cert(r, n_insurers=r.choice([2, 3]), other_count=0)
            desc, _, extras = _cert_pages(c, r, cert, style, 2, ["other"], 1)
        else:
            layout = scan_layout(i)
            cert, _font = _draw_other(c, r, layout)
            form = "other"
        c.save()
        pages = rasterise(buf.getvalue(), dpi, forms=source == "fillable")
        smudged: list[str] = []
        if n_blots:
            cands = sorted(k for k in boxes if any(t in k for t in BLOT_TARGETS) or k == "date")
            smudged = r.sample(cands, min(n_blots, len(cands)))
            for k in smudged:
                blot(pages[0], boxes[k], dpi, r)
        degraded = []
        params: dict[str, float] = {}
        for pg in pages:
            im, params = degrade(pg, r, dpi)
            degraded.append(im)
        if fmt != "tiff" and fmt != "pdf":
            degraded = degraded[:1]
        name = f"scan_{i + 1:03d}.{fmt}"
        path = out / name
        save(degraded, path, fmt, dpi, quality=r.choice([50, 55]) if dpi >= 300 else r.choice([62, 66, 70]))
        cert.policies += extras
        write_image_truth(path, cert, family="scan", pages=len(degraded), form=form, layout=layout,
                          style=style, smudged=smudged, kind="scan",
                          info={"dpi": dpi, "format": fmt, "from": method_src, **params}, description=desc)
        names.append(name)
    return names


def write_image_truth(
    path: Path,
    cert: Cert,
    *,
    family: str,
    pages: int,
    form: str,
    layout: str | None,
    style: Style,
    smudged: list[str],
    kind: str,
    info: dict[str, Any],
    description: str | None = None,
) -> None:
    """Truth of a rasterised certificate (scan or photo): values under a blot or glare are null."""
    truth = truth_of(
        cert,
        family=family,
        file=path.name,
        sha256=sha256(path),
        pages=pages,
        method="ocr",
        form=form,
        description=description,
        generator={
            "client": None,
            "profile": "random",
            "defects": [],
            "smudged": smudged,
            kind: info,
            "layout": render_meta(style) if form == "acord25" else {"name": layout},
        },
    )
    if form == "other" and layout:
        _fix_other_truth(truth, layout)
    for k in smudged:
        _null_smudged(truth, k)
    write_truth(path, truth)


# agency: (scan dpi or 0 for a text PDF, image format) per index.
AGENCY_KINDS: list[tuple[int, str]] = [
    (0, "pdf"), (300, "pdf"), (0, "pdf"), (200, "png"), (0, "pdf"), (250, "jpg"),
]


def agency(out: Path, n: int, r: random.Random) -> list[str]:
    """Certificates as agency systems print them on the real ACORD 25 (the real 2014/01 and 2016/03
    samples): row-high check boxes drawn as rules, amounts grouped by spaces, two 'other' coverages
    on one row with their limits as text ("$1 000 000 Occurrence / ..."), the insured's "Inc"
    wrapped onto the street's line. Half are text PDFs, half scans of them."""
    names = []
    for i in range(n):
        dpi, fmt = AGENCY_KINDS[i % len(AGENCY_KINDS)]
        style = Style.random(r)
        style.edition = ["2016/03", "2014/01", "2010/05"][i % 3]
        style.box_cells = True
        style.amount_spaces = i % 2 == 0
        style.other_rows = i % 4 != 3
        style.wrap_suffix = True
        style.dx = style.dy = 0.0
        if dpi:
            style.page = "letter"
        cert = make_cert(r, other_count=2 if style.other_rows else r.choice([0, 1]))
        name = f"agency_{i + 1:03d}.{fmt}"
        path = out / name
        buf = io.BytesIO()
        c = new_canvas(buf if dpi else str(path), style)  # type: ignore[arg-type]
        draw_certificate(c, cert, style)
        c.showPage()
        c.save()
        if not dpi:
            truth = truth_of(cert, family="agency", file=name, sha256=sha256(path), pages=1, method="text",
                             generator={"client": None, "profile": "random", "defects": [], "smudged": [],
                                        "layout": render_meta(style)})
            write_truth(path, truth)
            names.append(name)
            continue
        pages = rasterise(buf.getvalue(), dpi, forms=False)
        im, params = degrade(pages[0], r, dpi)
        save([im], path, fmt, dpi, quality=r.choice([50, 55]) if dpi >= 300 else r.choice([62, 66, 70]))
        write_image_truth(path, cert, family="agency", pages=1, form="acord25", layout=None, style=style,
                          smudged=[], kind="scan", info={"dpi": dpi, "format": fmt, **params})
        names.append(name)
    return names

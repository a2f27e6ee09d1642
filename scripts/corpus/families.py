"""One function per family: each writes N files + truth into a folder and returns their names."""

from __future__ import annotations

import random
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas

from .acord25 import Style, draw_certificate, new_canvas, render_meta
from .common import sha256, write_truth
from .data import OTHER_COVERAGES, OTHER_LABEL_SETS, Cert, Policy, make_cert, policy_number, truth_of
from .other_layouts import DRAW, LAYOUTS, Page
from .remarks import POINTERS, continuation, draw_acord101


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
    if n101 == 1:
        draw_acord101(c, cert, style, cont, extras, 2, pages)
        c.showPage()
    else:
        split = max(1, len(cont) // 2)
        draw_acord101(c, cert, style, cont[:split], [], 2, pages)
        c.showPage()
        draw_acord101(c, cert, style, cont[split:], extras, 3, pages, continued_heading=False)
        c.showPage()
    return " ".join([*cert.description, *cont]), pages, extras


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


def other(out: Path, n: int, r: random.Random) -> list[str]:
    """Certificates in an insurer's own layout: form 'other', no insurer letters."""
    names = []
    for i in range(n):
        layout = LAYOUTS[i % len(LAYOUTS)]
        cert = make_cert(r, n_insurers=1, other_count=r.choice([0, 1]))
        ins = cert.insurers[0]
        ins.letter = None
        if layout == "workers_comp":
            wc = [p for p in cert.policies if p.coverage == "workers_compensation"]
            if not wc:
                wc = [p for p in make_cert(r, n_insurers=1).policies if p.coverage == "workers_compensation"][
                    :1
                ]
            cert.policies = wc[:1] or cert.policies[:1]
        else:
            keep = 2 if layout == "letter" else 3
            cert.policies = r.sample(cert.policies, min(keep, len(cert.policies)))
        for p in cert.policies:
            p.insurer = ins
        carrier_addr = [
            f"{r.randint(1, 99) * 100} "
            + r.choice(["Insurance Plaza", "Financial Center", "Corporate Drive"]),
            r.choice(["Hartford, CT 06103", "Columbus, OH 43215", "Des Moines, IA 50309", "Omaha, NE 68102"]),
        ]
        name = f"other_{i + 1:03d}.pdf"
        path = out / name
        c = new_canvas(str(path), Style(page="letter"))
        font = r.choice(["Helvetica", "Times-Roman", "Helvetica", "Courier"])
        pg = Page(c, font, r)
        DRAW[layout](pg, cert, (ins.name, ins.naic, carrier_addr))
        c.showPage()
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
        if layout != "memorandum":
            truth["producer"] = None
        for tp in truth["policies"]:
            if tp["coverage"] == "workers_compensation":
                tp["additional_insured"] = None
        write_truth(path, truth)
        names.append(name)
    return names

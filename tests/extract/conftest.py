"""Fixtures for the reader's tests: a small ACORD-25-style PDF writer (reportlab) and the contract schema.

The writer draws the form's labels and ruling lines from a few knobs (page size, column shift,
check-mark style, policies) so that each test states the variant it exercises.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from reportlab.lib.pagesizes import A4, letter
from reportlab.pdfgen.canvas import Canvas

SHARED = Path(__file__).resolve().parents[3] / "shared"
SAMPLES = SHARED / "samples"
REAL = SHARED / "real"
CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "certificates"
SCHEMA = SHARED / "contract" / "certificate.schema.json"


@dataclass
class Pol:
    kind: str  # gl | auto | umbrella | excess | wc | other
    letter: str | None = "A"
    number: str = "POL-1"
    eff: str = "01/01/2026"
    exp: str = "01/01/2027"
    addl: str = ""
    subr: str = ""
    basis: str | None = "occur"  # occur | claims | None
    limits: list[tuple[str, str]] = field(default_factory=list)
    name: str = ""  # coverage name for kind "other"
    statute: bool = False
    # More lines in the same block: (letter, number, eff, exp); eff "" leaves the date out.
    more: list[tuple[str, str, str, str]] = field(default_factory=list)


@dataclass
class Cert:
    page: str = "letter"
    shift: float = 0.0  # points added to the policy-number/date/limit columns (agency variants)
    mark: str = "X"  # X | check | square
    date: str = "03/02/2026"
    insurers: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {"A": ("Alpha Mutual Insurance Co.", "12345")})
    policies: list[Pol] = field(default_factory=list)
    description: list[str] = field(default_factory=lambda: ["Re: Project 12 - roof repair."])
    holder: list[str] = field(
        default_factory=lambda: ["City of Springfield", "100 Main St", "Springfield, IL 62704"])
    remarks: list[str] | None = None  # ACORD 101 page text lines (policies as "KEY: value" lines)


class _Writer:
    def __init__(self, c: Canvas, cert: Cert) -> None:
        self.c = c
        self.cert = cert
        self.w, self.h = c._pagesize
        self.m = 28.0
        self.cw = self.w - 2 * self.m

    def y(self, top: float) -> float:
        return self.h - top

    def line(self, x0: float, t0: float, x1: float, t1: float) -> None:
        self.c.setLineWidth(0.6)
        self.c.line(x0, self.y(t0), x1, self.y(t1))

    def label(self, x: float, top: float, text: str, size: float = 5.5) -> None:
        self.c.setFont("Helvetica-Bold", size)
        self.c.drawString(x, self.y(top + size), text)

    def value(self, x: float, top: float, text: str, size: float = 8.5) -> None:
        self.c.setFont("Helvetica", size)
        self.c.drawString(x, self.y(top + size), text)

    def box(self, x: float, top: float, size: float = 6.5, on: bool = False) -> None:
        c = self.c
        c.setLineWidth(0.5)
        c.rect(x, self.y(top + size), size, size, stroke=1, fill=0)
        if not on:
            return
        if self.cert.mark == "square":
            c.rect(x + 1.2, self.y(top + size - 1.2), size - 2.4, size - 2.4, stroke=0, fill=1)
        elif self.cert.mark == "check":
            c.setFont("ZapfDingbats", size)
            c.drawString(x + 0.6, self.y(top + size - 0.8), "4")
        else:
            c.setFont("Helvetica-Bold", size + 1)
            c.drawString(x + 0.8, self.y(top + size - 0.6), "X")

    def draw(self) -> None:
        m, cw, cert = self.m, self.cw, self.cert
        mid = m + cw / 2
        self.label(m + cw * 0.3, 30, "CERTIFICATE OF LIABILITY INSURANCE", 13)
        self.label(m + cw - 90, 22, "DATE (MM/DD/YYYY)")
        self.value(m + cw - 80, 32, cert.date)
        self.line(m, 50, m + cw, 50)
        # Producer / contact / insurers / insured.
        self.label(m + 2, 52, "PRODUCER")
        for i, t in enumerate(["Acme Insurance Agency", "1 Broker Way", "Dallas, TX 75201"]):
            self.value(m + 8, 60 + i * 10, t)
        self.line(mid, 50, mid, 200)
        for i, (lab, sub, val) in enumerate([
            ("CONTACT", "NAME:", "Jane Broker"), ("PHONE", "(A/C, No, Ext):", "214.555.0100"),
            ("E-MAIL", "ADDRESS:", "certs@acme.example"),
        ]):
            top = 52 + i * 12
            self.label(mid + 2, top, lab, 4.5)
            self.label(mid + 2, top + 5, sub, 4.5)
            self.value(mid + 48, top + 2, val)
            self.line(mid, top + 12, m + cw, top + 12)
        self.label(mid + 60, 90, "INSURER(S) AFFORDING COVERAGE")
        self.label(m + cw - 40, 90, "NAIC #")
        self.line(m + cw - 50, 88, m + cw - 50, 200)
        for i, letter_ in enumerate("ABCDEF"):
            top = 100 + i * 16
            self.line(mid, top, m + cw, top)
            self.label(mid + 2, top + 4, f"INSURER {letter_} :")
            name, naic = cert.insurers.get(letter_, ("", ""))
            self.value(mid + 45, top + 3, name)
            self.value(m + cw - 42, top + 3, naic)
        self.line(m, 125, mid, 125)
        self.label(m + 2, 127, "INSURED")
        for i, t in enumerate(["Bolt Roofing LLC", "9 Elm Street", "Austin, TX 78701"]):
            self.value(m + 20, 136 + i * 10, t)
        self.line(m, 200, m + cw, 200)
        self.label(m + 2, 203, "COVERAGES")
        # Coverage table.
        s = cert.shift
        k = cw / 556.0  # columns scale with the page width (A4 is narrower than Letter)
        cols = [m + k * x for x in (0, 20, 175, 195, 215 + s, 305 + s, 355 + s, 405 + s, 556)]
        top = 215
        for x, t in zip(cols, ["INSR LTR", "TYPE OF INSURANCE", "ADDL INSD", "SUBR WVD", "POLICY NUMBER",
                               "POLICY EFF", "POLICY EXP", "LIMITS"], strict=False):
            if t in ("INSR LTR", "ADDL INSD", "SUBR WVD"):
                # Narrow columns print their heading on two lines, as the form does.
                self.label(x + 2, top + 1, t.split()[0], 4.5)
                self.label(x + 2, top + 7, t.split()[1], 4.5)
            else:
                self.label(x + 2, top + 4, t)
        self.line(m, top, m + cw, top)
        self.line(m, top + 14, m + cw, top + 14)
        y = top + 14
        for p in cert.policies:
            n_rows = max(3, len(p.limits) + (1 if p.kind == "wc" else 0))
            bottom = y + n_rows * 11 + 4
            self._block(p, cols, y, bottom)
            self.line(m, bottom, m + cw, bottom)
            y = bottom
        for x in cols:
            self.line(x, top, x, y)
        # The LIMITS cells: a label cell and an amount cell.
        self.line(cols[7] + 97 * k, top + 14, cols[7] + 97 * k, y)
        # Description and holder.
        self.label(m + 2, y + 3,
                   "DESCRIPTION OF OPERATIONS / LOCATIONS / VEHICLES (attach ACORD 101 if more space needed)")
        for i, t in enumerate(cert.description):
            self.value(m + 6, y + 12 + i * 10, t)
        y += 70
        self.line(m, y, m + cw, y)
        self.label(m + 2, y + 3, "CERTIFICATE HOLDER")
        self.label(mid + 2, y + 3, "CANCELLATION")
        self.line(m, y + 12, m + cw, y + 12)
        self.line(mid, y, mid, y + 70)
        for i, t in enumerate(cert.holder):
            self.value(m + 20, y + 20 + i * 10, t)
        self.line(m, y + 70, m + cw, y + 70)
        self.label(m, y + 76, "ACORD 25 (2016/03)", 7)

    def _block(self, p: Pol, cols: list[float], top: float, bottom: float) -> None:
        tx = cols[1] + 3
        heading = {"gl": "COMMERCIAL GENERAL LIABILITY", "auto": "AUTOMOBILE LIABILITY",
                   "wc": "WORKERS COMPENSATION", "other": p.name}.get(p.kind)
        if p.kind in ("umbrella", "excess"):
            self.box(tx, top + 3, on=p.kind == "umbrella")
            self.label(tx + 9, top + 3, "UMBRELLA LIAB")
            self.box(tx, top + 14, on=p.kind == "excess")
            self.label(tx + 9, top + 14, "EXCESS LIAB")
        elif heading:
            self.label(tx, top + 3, heading)
        if p.kind in ("gl", "umbrella", "excess"):
            bx = tx + (70 if p.kind != "gl" else 4)
            by = top + (3 if p.kind != "gl" else 14)
            self.box(bx, by, on=p.basis == "claims")
            self.label(bx + 9, by, "CLAIMS-MADE")
            self.box(bx + 50, by, on=p.basis == "occur")
            self.label(bx + 59, by, "OCCUR")
        if p.letter:
            self.value(cols[0] + 6, top + 3, p.letter)
        self.value(cols[2] + 6, top + 3, p.addl)
        self.value(cols[3] + 6, top + 3, p.subr)
        self.value(cols[4] + 3, top + 3, p.number)
        self.value(cols[5] + 3, top + 3, p.eff)
        self.value(cols[6] + 3, top + 3, p.exp)
        for i, (letter_, number, eff, exp) in enumerate(p.more, start=1):
            row = top + 3 + 11 * i
            self.value(cols[0] + 6, row, letter_)
            self.value(cols[4] + 3, row, number)
            self.value(cols[5] + 3, row, eff)
            self.value(cols[6] + 3, row, exp)
        lx, vx = cols[7] + 3, cols[8] - 3
        if p.kind == "wc":
            self.box(lx, top + 2, on=p.statute)
            self.label(lx + 9, top + 2, "PER STATUTE")
        for i, (lab, amount) in enumerate(p.limits):
            rt = top + 2 + (i + (1 if p.kind == "wc" else 0)) * 11
            self.label(lx, rt + 1, lab)
            self.c.setFont("Helvetica", 8.5)
            self.c.drawRightString(vx, self.y(rt + 9), amount)
            self.line(cols[7], rt + 11, cols[8], rt + 11)

    def remarks_page(self, lines: list[str]) -> None:
        m, cw = self.m, self.cw
        self.label(m + cw * 0.3, 40, "ADDITIONAL REMARKS SCHEDULE", 14)
        self.line(m, 70, m + cw, 70)
        self.label(m + 2, 72, "ADDITIONAL REMARKS")
        self.label(m + 2, 82, "THIS ADDITIONAL REMARKS FORM IS A SCHEDULE TO ACORD FORM,")
        self.label(m + 2, 92, "FORM NUMBER: 25   FORM TITLE: CERTIFICATE OF LIABILITY INSURANCE")
        self.line(m, 102, m + cw, 102)
        for i, t in enumerate(lines):
            self.value(m + 4, 108 + i * 11, t)
        self.line(m, self.h - 60, m + cw, self.h - 60)
        self.label(m, self.h - 55, "ACORD 101 (2008/01)", 7)


def write_cert(path: Path, cert: Cert, *, copies: int = 1) -> Path:
    c = Canvas(str(path), pagesize=A4 if cert.page == "a4" else letter, invariant=1)
    for _ in range(copies):
        w = _Writer(c, cert)
        w.draw()
        c.showPage()
        if cert.remarks is not None:
            w = _Writer(c, cert)
            w.remarks_page(cert.remarks)
            c.showPage()
    c.save()
    return path


GL_LIMITS = [("EACH OCCURRENCE", "$1,000,000"), ("DAMAGE TO RENTED PREMISES", "$100,000"),
             ("MED EXP (Any one person)", "$5,000"), ("PERSONAL & ADV INJURY", "$1,000,000"),
             ("GENERAL AGGREGATE", "$2,000,000"), ("PRODUCTS - COMP/OP AGG", "$2,000,000")]


@pytest.fixture
def make_cert(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1000))

    def make(cert: Cert, copies: int = 1) -> Path:
        return write_cert(tmp_path / f"cert_{next(counter)}.pdf", cert, copies=copies)

    return make


@pytest.fixture(scope="session")
def validate() -> Callable[[dict[str, Any]], list[str]]:
    """Errors of a document against the contract's JSON Schema (empty when valid)."""
    import jsonschema
    from referencing import Registry, Resource

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    registry = Registry().with_resources([(schema["$id"], Resource.from_contents(schema))])
    validator = jsonschema.Draft202012Validator(schema, registry=registry)

    def check(doc: dict[str, Any]) -> list[str]:
        return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]

    return check


def truth(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(f"{path}.truth.json").read_text(encoding="utf-8"))
    return data

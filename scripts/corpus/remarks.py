"""ACORD 101 "ADDITIONAL REMARKS SCHEDULE" pages that continue a certificate."""

from __future__ import annotations

import random
import zlib

from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas

from .acord25 import Style, fmt_amount, fmt_date, wrap
from .data import Cert, Policy

POINTERS = [
    "SEE ATTACHED ACORD 101",
    "See Additional Remarks Schedule attached.",
    "** SEE ATTACHED ADDITIONAL REMARKS SCHEDULE **",
    "(Continued on ACORD 101 Additional Remarks Schedule)",
]
MORE_PARAGRAPHS = [
    "The following are included as additional insureds where required by written contract: {holder}, its "
    "officers, directors, employees and agents; the property owner and the property manager of the "
    "project site.",
    "Coverage for additional insureds is primary and non-contributory with any other insurance available to "
    "the additional insureds, per CG 20 01 04 13.",
    "General liability additional insured coverage applies to ongoing operations (CG 20 10) and completed "
    "operations (CG 20 37) for a period of three years after completion of the work.",
    "Waiver of subrogation in favor of the additional insureds applies to general liability (CG 24 04), "
    "automobile liability (CA 04 44) and workers compensation (WC 00 03 13) where permitted by law.",
    "Excess/umbrella liability follows form over the general liability, automobile liability and employers "
    "liability policies listed on page 1.",
    "Project locations: {street1}; {street2}. Job numbers are listed for reference only and do not limit "
    "coverage.",
]
COVERAGE_TITLES = {
    "automobile_liability": "AUTOMOBILE LIABILITY",
    "excess_liability": "EXCESS LIABILITY",
    "umbrella_liability": "UMBRELLA LIABILITY",
    "general_liability": "COMMERCIAL GENERAL LIABILITY",
}
AUTO_LABELS = {"combined_single_limit": "Combined Single Limit"}
XS_LABELS = {"each_occurrence": "Each Occurrence", "aggregate": "Aggregate"}


def continuation(r: random.Random, cert: Cert, n: int) -> list[str]:
    paras = r.sample(MORE_PARAGRAPHS, n)
    s1 = f"{r.randint(100, 9899)} Harbor Boulevard, {cert.holder.lines[-1]}"
    s2 = f"{r.randint(100, 9899)} Commerce Drive, {cert.insured.lines[-1]}"
    return [p.format(holder=cert.holder.name, street1=s1, street2=s2) for p in paras]


def policy_lines(p: Policy, style: Style) -> list[str]:
    title = p.name if p.coverage == "other" else COVERAGE_TITLES[p.coverage]
    labels = p.labels or (AUTO_LABELS if p.coverage == "automobile_liability" else XS_LABELS)
    lim = " / ".join(f"{labels[k]} {fmt_amount(v, '$')}" for k, v in p.limits.items() if v is not None)
    ltr = p.insurer.letter if p.insurer else ""
    return [
        f"INSR LTR: {ltr}   COVERAGE: {title}",
        f"POLICY NUMBER: {p.number}   POLICY EFF: {fmt_date(p.eff, style.date_fmt)}   "
        f"POLICY EXP: {fmt_date(p.exp, style.date_fmt)}",
        f"LIMITS: {lim}",
        f"ADDL INSD: {'Y' if p.ai else 'N'}   SUBR WVD: {'Y' if p.wos else 'N'}",
    ]


def draw_acord101(
    c: Canvas,
    cert: Cert,
    style: Style,
    paragraphs: list[str],
    policies: list[Policy],
    page: int,
    of: int,
    continued_heading: bool = True,
    table: bool = False,
) -> None:
    """One ACORD 101 page with the given remark paragraphs and extra policies."""
    w, h = c._pagesize
    m = 30.0
    cw = w - 2 * m

    def y(v: float) -> float:
        return h - v

    c.setFillColor(colors.black)
    c.setFont("Helvetica-Bold", 7)
    c.drawString(m + cw * 0.45, y(40), "AGENCY CUSTOMER ID:")
    c.setFont(style.value_font, 7.5)
    c.drawString(m + cw * 0.6, y(40), f"{zlib.crc32(cert.insured.name.encode()) % 900000 + 100000:06d}")
    c.setFont("Helvetica-Bold", 7)
    c.drawString(m + cw * 0.5, y(54), "LOC #:")
    c.setFont("Helvetica-Bold", 15)
    c.drawCentredString(m + cw * 0.5, y(82), "ADDITIONAL REMARKS SCHEDULE")
    c.setFont("Helvetica-Bold", 8)
    c.drawString(m + cw * 0.82, y(80), f"Page  {page}  of  {of}")
    top = 92.0
    c.setLineWidth(0.9)
    c.rect(m, y(top + 100), cw, 100)
    half = m + cw * 0.5
    c.line(half, y(top), half, y(top + 100))

    def lab(x: float, yy: float, t: str) -> None:
        c.setFont("Helvetica-Bold", 5.5)
        c.drawString(x, y(yy), t)

    def val(x: float, yy: float, t: str) -> None:
        c.setFont(style.value_font, 8)
        c.drawString(x, y(yy), t)

    first = cert.policies[0] if cert.policies else None
    ins = first.insurer if first and first.insurer else (cert.insurers[0] if cert.insurers else None)
    lab(m + 3, top + 8, "AGENCY")
    val(m + 3, top + 19, cert.producer.name)
    c.line(m, y(top + 26), half, y(top + 26))
    lab(m + 3, top + 34, "POLICY NUMBER")
    val(m + 3, top + 45, "SEE PAGE 1" if len(cert.policies) != 1 or not first else first.number)
    c.line(m, y(top + 52), half, y(top + 52))
    lab(m + 3, top + 60, "CARRIER")
    lab(m + cw * 0.39, top + 60, "NAIC CODE")
    val(m + 3, top + 71, "SEE PAGE 1" if not ins else ins.name)
    val(m + cw * 0.39, top + 71, (ins.naic or "") if ins else "")
    c.line(m + cw * 0.38, y(top + 52), m + cw * 0.38, y(top + 100))
    lab(half + 3, top + 8, "NAMED INSURED")
    val(half + 3, top + 19, cert.insured.name)
    c.line(half, y(top + 78), m + cw, y(top + 78))
    lab(half + 3, top + 90, "EFFECTIVE DATE:")
    val(half + cw * 0.3, top + 90, fmt_date(first.eff, style.date_fmt) if first else "")
    yy = top + 108
    c.setFont("Helvetica-Bold", 8)
    c.drawString(m + 3, y(yy), "ADDITIONAL REMARKS")
    c.rect(m, y(h - 60), cw, h - 60 - yy - 4)
    c.setFont("Helvetica-Bold", 7.5)
    c.drawString(m + 5, y(yy + 14), "THIS ADDITIONAL REMARKS FORM IS A SCHEDULE TO ACORD FORM,")
    c.drawString(m + 5, y(yy + 27), "FORM NUMBER:")
    c.drawString(m + 130, y(yy + 27), "FORM TITLE:")
    c.setFont(style.value_font, 8)
    c.drawString(m + 65, y(yy + 27), "25")
    c.drawString(m + 180, y(yy + 27), "CERTIFICATE OF LIABILITY INSURANCE")
    c.setLineWidth(0.4)
    c.line(m, y(yy + 32), m + cw, y(yy + 32))
    ty = yy + 46
    size = style.desc_size + 0.5
    c.setFont(style.value_font, size)
    if paragraphs and continued_heading:
        c.setFont("Helvetica-Bold", 7.5)
        c.drawString(m + 5, y(ty), "DESCRIPTION OF OPERATIONS / LOCATIONS / VEHICLES (continued):")
        ty += 13
    for para in paragraphs:
        for line in wrap(para, style.value_font, size, cw - 14):
            c.setFont(style.value_font, size)
            c.drawString(m + 6, y(ty), line)
            ty += size * 1.25
        ty += 3
    if policies and table:
        ty += 8
        c.setFont("Helvetica-Bold", 7.5)
        c.drawString(m + 5, y(ty), "ADDITIONAL COVERAGES")
        ty += 12
        xs = [m + 6, m + 36, m + 200, m + 300, m + 360, m + 420, m + 465]
        for x, hd in zip(
            xs,
            ["LTR", "TYPE OF INSURANCE", "POLICY NUMBER", "EFF DATE", "EXP DATE", "ADDL", "SUBR"],
            strict=True,
        ):
            c.setFont("Helvetica-Bold", 6.5)
            c.drawString(x, y(ty), hd)
        c.setLineWidth(0.4)
        c.line(m + 4, y(ty + 3), m + cw - 4, y(ty + 3))
        ty += 13
        for p in policies:
            title = p.name if p.coverage == "other" else COVERAGE_TITLES[p.coverage]
            cells = [
                p.insurer.letter if p.insurer else "",
                title or "",
                p.number,
                fmt_date(p.eff, style.date_fmt),
                fmt_date(p.exp, style.date_fmt),
                "Y" if p.ai else "N",
                "Y" if p.wos else "N",
            ]
            for x, cell in zip(xs, cells, strict=True):
                c.setFont(style.value_font, size - 0.5)
                c.drawString(x, y(ty), cell or "")
            ty += size * 1.3
            c.drawString(xs[1], y(ty), policy_lines(p, style)[2].replace("LIMITS: ", "Limits: "))
            ty += size * 1.3 + 5
    elif policies:
        ty += 8
        c.setFont("Helvetica-Bold", 7.5)
        c.drawString(m + 5, y(ty), "ADDITIONAL POLICIES:")
        ty += 13
        for p in policies:
            for line in policy_lines(p, style):
                c.setFont(style.value_font, size)
                c.drawString(m + 12, y(ty), line)
                ty += size * 1.3
            ty += 6
    c.setFont("Helvetica-Bold", 7)
    c.drawString(m + 3, y(h - 50), "ACORD 101 (2008/01)")
    c.setFont("Helvetica", 5.5)
    c.drawString(
        m + cw * 0.55, y(h - 50), "This page is a reproduction in the style of the ACORD 101 layout."
    )

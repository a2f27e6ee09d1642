"""Certificates in an insurer's own layout (not ACORD): letter, table, memorandum, workers' comp."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas

from .acord25 import fmt_amount, wrap
from .data import Cert, Policy

GL_LABELS = {
    "each_occurrence": "Each Occurrence",
    "general_aggregate": "General Aggregate",
    "products_completed_operations_aggregate": "Products-Completed Operations Aggregate",
    "personal_advertising_injury": "Personal & Advertising Injury",
    "damage_to_rented_premises": "Damage to Premises Rented to You",
    "medical_expense": "Medical Expense (Any One Person)",
}
AUTO_LABELS = {
    "combined_single_limit": "Combined Single Limit (Each Accident)",
    "bodily_injury_per_person": "Bodily Injury (Each Person)",
    "bodily_injury_per_accident": "Bodily Injury (Each Accident)",
    "property_damage": "Property Damage (Each Accident)",
}
XS_LABELS = {"each_occurrence": "Each Occurrence", "aggregate": "Aggregate"}
WC_LABELS = {
    "el_each_accident": "Employers Liability - Each Accident",
    "el_disease_each_employee": "Disease - Each Employee",
    "el_disease_policy_limit": "Disease - Policy Limit",
}
TITLES = {
    "general_liability": "Commercial General Liability",
    "automobile_liability": "Business Auto Liability",
    "umbrella_liability": "Commercial Umbrella Liability",
    "excess_liability": "Excess Liability",
    "workers_compensation": "Workers Compensation and Employers Liability",
}
LAYOUTS = ["letter", "table", "memorandum", "workers_comp"]


def long_date(d: dt.date) -> str:
    return d.strftime("%B ") + str(d.day) + d.strftime(", %Y")


def limit_labels(p: Policy) -> dict[str, str]:
    if p.coverage == "other":
        return p.labels
    return {
        "general_liability": GL_LABELS,
        "automobile_liability": AUTO_LABELS,
        "umbrella_liability": XS_LABELS,
        "excess_liability": XS_LABELS,
        "workers_compensation": WC_LABELS,
    }[p.coverage]


def title(p: Policy) -> str:
    if p.coverage == "other":
        return p.name or "Other"
    t = TITLES[p.coverage]
    if p.coverage in ("general_liability", "umbrella_liability", "excess_liability") and p.basis:
        t += " - " + ("Occurrence" if p.basis == "occurrence" else "Claims-Made")
    return t


class Page:
    def __init__(self, c: Canvas, font: str, r: random.Random) -> None:
        self.c = c
        self.w, self.h = c._pagesize
        self.font = font
        self.bold = {"Helvetica": "Helvetica-Bold", "Times-Roman": "Times-Bold", "Courier": "Courier-Bold"}[
            font
        ]
        self.r = r
        self.m = 54.0
        self.y = 54.0

    def text(self, x: float, t: str, size: float = 9.5, bold: bool = False, dy: float | None = None) -> None:
        self.c.setFillColor(colors.black)
        self.c.setFont(self.bold if bold else self.font, size)
        self.c.drawString(x, self.h - self.y - size, t)
        self.y += dy if dy is not None else size * 1.35

    def center(self, t: str, size: float, bold: bool = True) -> None:
        self.c.setFillColor(colors.black)
        self.c.setFont(self.bold if bold else self.font, size)
        self.c.drawCentredString(self.w / 2, self.h - self.y - size, t)
        self.y += size * 1.4

    def para(self, t: str, size: float = 9.5, indent: float = 0.0) -> None:
        for line in wrap(t, self.font, size, self.w - 2 * self.m - indent):
            self.text(self.m + indent, line, size)
        self.y += 4

    def kv(self, k: str, v: str, size: float = 9.5, kx: float = 0.0, vx: float = 150.0) -> None:
        lines = v.split("\n")
        self.c.setFont(self.bold, size)
        self.c.drawString(self.m + kx, self.h - self.y - size, k)
        for i, line in enumerate(lines):
            self.c.setFont(self.font, size)
            self.c.drawString(self.m + vx, self.h - self.y - size - i * size * 1.3, line)
        self.y += size * 1.3 * len(lines) + 3

    def rule(self, w: float = 0.8) -> None:
        self.c.setLineWidth(w)
        self.c.line(self.m, self.h - self.y, self.w - self.m, self.h - self.y)
        self.y += 6

    def signature(self, name: str, role: str) -> None:
        self.y += 12
        p = self.c.beginPath()
        sx, sy = self.m + 10, self.h - self.y - 10
        p.moveTo(sx, sy)
        for k in range(7):
            p.curveTo(sx + 8 * k + 2, sy + 9, sx + 8 * k + 5, sy - 6, sx + 8 * k + 8, sy + 1)
        self.c.setStrokeColor(colors.Color(0.1, 0.1, 0.45))
        self.c.drawPath(p, stroke=1, fill=0)
        self.c.setStrokeColor(colors.black)
        self.y += 16
        self.c.line(self.m, self.h - self.y, self.m + 200, self.h - self.y)
        self.y += 3
        self.text(self.m, name, 9)
        self.text(self.m, role, 8.5)


def _limits_lines(p: Policy) -> list[tuple[str, str]]:
    labels = limit_labels(p)
    out = [(labels[k], fmt_amount(v, "$")) for k, v in p.limits.items() if v is not None]
    if p.coverage == "workers_compensation" and p.statutory:
        out.insert(0, ("Workers Compensation", "Statutory"))
    return out


def _period(p: Policy, style: str) -> str:
    if style == "long":
        return f"{long_date(p.eff)} to {long_date(p.exp)}"
    return f"{p.eff.strftime('%m/%d/%Y')} to {p.exp.strftime('%m/%d/%Y')}"


def letter(pg: Page, cert: Cert, carrier: tuple[str, str | None, list[str]]) -> None:
    name, naic, addr = carrier
    r = pg.r
    pg.center(name.upper(), 15)
    pg.center(" | ".join(addr), 8.5, bold=False)
    if naic:
        pg.center(f"NAIC No. {naic}", 8, bold=False)
    pg.rule(1.2)
    pg.y += 6
    pg.center("CERTIFICATE OF INSURANCE", 14)
    pg.y += 6
    pg.text(pg.m, f"Date: {long_date(cert.date)}")
    pg.y += 6
    pg.text(pg.m, "Certificate Holder:", bold=True)
    for line in [cert.holder.name, *cert.holder.lines]:
        pg.text(pg.m + 18, line)
    pg.y += 8
    pg.para(
        "This is to certify that the policies of insurance described below have been issued by the Company "
        "to the Named Insured shown and are in force on the date of this certificate. This certificate is "
        "issued as a matter of information only and does not amend, extend or alter the coverage afforded "
        "by the policies."
    )
    pg.kv("Named Insured:", "\n".join([cert.insured.name, *cert.insured.lines]))
    style = r.choice(["short", "long"])
    for p in cert.policies:
        pg.y += 4
        pg.rule(0.4)
        pg.kv("Coverage:", title(p))
        pg.kv("Policy Number:", p.number)
        pg.kv("Policy Period:", _period(p, style))
        pg.text(pg.m, "Limits of Liability:", bold=True)
        for lab, v in _limits_lines(p):
            pg.c.setFont(pg.font, 9.5)
            pg.c.drawString(pg.m + 18, pg.h - pg.y - 9.5, lab)
            pg.c.drawRightString(pg.m + 330, pg.h - pg.y - 9.5, v)
            pg.y += 12.5
        if p.coverage != "workers_compensation":
            pg.kv("Additional Insured:", "Yes" if p.ai else "No", vx=150)
        pg.kv("Waiver of Subrogation:", "Yes" if p.wos else "No", vx=150)
    pg.y += 6
    pg.text(pg.m, "Description of Operations:", bold=True)
    pg.para(cert.description_text, 9)
    pg.para(
        "Should any of the above policies be cancelled before the expiration date, notice will be delivered "
        "in accordance with the policy provisions.",
        8.5,
    )
    pg.signature(
        f"{r.choice(['J.', 'M.', 'R.', 'S.'])} {r.choice(['Whitfield', 'Okonkwo', 'Larsen', 'Ibarra'])}",
        f"Authorized Representative, {name}",
    )


def table(pg: Page, cert: Cert, carrier: tuple[str, str | None, list[str]]) -> None:
    name, naic, addr = carrier
    c = pg.c
    c.setFillColor(colors.Color(0.15, 0.25, 0.45))
    c.rect(0, pg.h - 70, pg.w, 70, stroke=0, fill=1)
    c.setFillColor(colors.white)
    c.setFont(pg.bold, 16)
    c.drawString(pg.m, pg.h - 38, name)
    c.setFont(pg.font, 8.5)
    c.drawString(pg.m, pg.h - 54, ", ".join(addr) + (f"   NAIC {naic}" if naic else ""))
    pg.y = 90
    pg.center("CERTIFICATE OF INSURANCE", 14)
    pg.text(pg.w - pg.m - 150, f"Issue Date: {cert.date.strftime('%m/%d/%Y')}", 9)
    pg.y += 4
    top = pg.y
    half = pg.w / 2
    c.setLineWidth(0.8)
    c.rect(pg.m, pg.h - top - 78, pg.w - 2 * pg.m, 78)
    c.line(half, pg.h - top, half, pg.h - top - 78)
    pg.y = top + 4
    pg.text(pg.m + 4, "INSURED", 8, bold=True)
    for line in [cert.insured.name, *cert.insured.lines]:
        pg.text(pg.m + 8, line, 9.5)
    pg.y = top + 4
    c.setFont(pg.bold, 8)
    c.drawString(half + 4, pg.h - pg.y - 8, "CERTIFICATE HOLDER")
    yy = pg.y + 11
    for line in [cert.holder.name, *cert.holder.lines]:
        c.setFont(pg.font, 9.5)
        c.drawString(half + 8, pg.h - yy - 9.5, line)
        yy += 12.8
    pg.y = top + 90
    cols = [pg.m, pg.m + 112, pg.m + 198, pg.m + 250, pg.m + 302, pg.w - pg.m]
    heads = ["COVERAGE", "POLICY NUMBER", "EFFECTIVE", "EXPIRATION", "LIMITS"]
    c.setFillColor(colors.Color(0.85, 0.88, 0.93))
    c.rect(pg.m, pg.h - pg.y - 14, pg.w - 2 * pg.m, 14, stroke=0, fill=1)
    c.setFillColor(colors.black)
    for x, hd in zip(cols, heads, strict=False):
        c.setFont(pg.bold, 7.5)
        c.drawString(x + 3, pg.h - pg.y - 10, hd)
    pg.y += 16
    for p in cert.policies:
        lines = _limits_lines(p)
        extra = []
        if p.coverage != "workers_compensation":
            extra.append("Additional Insured: " + ("Yes" if p.ai else "No"))
        extra.append("Waiver of Subrogation: " + ("Yes" if p.wos else "No"))
        rows = max(len(lines), 1) + len(extra)
        tl = wrap(title(p), pg.font, 8.5, cols[1] - cols[0] - 6)
        for i, t in enumerate(tl):
            c.setFont(pg.font, 8.5)
            c.drawString(cols[0] + 3, pg.h - pg.y - 9 - i * 10.5, t)
        c.drawString(cols[1] + 3, pg.h - pg.y - 9, p.number)
        c.drawString(cols[2] + 3, pg.h - pg.y - 9, p.eff.strftime("%m/%d/%Y"))
        c.drawString(cols[3] + 3, pg.h - pg.y - 9, p.exp.strftime("%m/%d/%Y"))
        for i, (lab, v) in enumerate(lines):
            c.setFont(pg.font, 6.8)
            c.drawString(cols[4] + 3, pg.h - pg.y - 9 - i * 10.5, lab)
            c.setFont(pg.font, 7.5)
            c.drawRightString(cols[5] - 3, pg.h - pg.y - 9 - i * 10.5, v)
        for j, t in enumerate(extra):
            c.setFont(pg.font, 7.5)
            c.drawString(cols[4] + 3, pg.h - pg.y - 9 - (len(lines) + j) * 10.5, t)
        pg.y += max(rows, len(tl)) * 10.5 + 6
        c.setLineWidth(0.3)
        c.line(pg.m, pg.h - pg.y, pg.w - pg.m, pg.h - pg.y)
        pg.y += 2
    pg.y += 10
    pg.text(pg.m, "SPECIAL PROVISIONS / DESCRIPTION OF OPERATIONS", 8.5, bold=True)
    pg.para(cert.description_text, 9)
    pg.y += 8
    pg.para(
        "This certificate is furnished as a matter of information only. It confers no rights upon the holder "
        "and does not change the coverage afforded by the policies listed above.",
        8,
    )
    pg.signature("Underwriting Services", name)


def memorandum(pg: Page, cert: Cert, carrier: tuple[str, str | None, list[str]]) -> None:
    name, naic, addr = carrier
    pg.text(pg.m, name, 13, bold=True)
    pg.text(pg.m, ", ".join(addr), 8.5)
    pg.y += 10
    pg.center("MEMORANDUM OF INSURANCE", 14)
    pg.center("Certificate of Insurance", 10, bold=False)
    pg.y += 6
    pg.kv("Date Issued:", long_date(cert.date))
    pg.kv("Issuing Company:", name + (f" (NAIC {naic})" if naic else ""))
    pg.kv("Agent / Producer:", "\n".join([cert.producer.name, *cert.producer.lines]))
    pg.kv("Agent Contact:", f"{cert.contact}   Tel. {cert.phone}   {cert.email}")
    pg.kv("Named Insured:", "\n".join([cert.insured.name, *cert.insured.lines]))
    pg.kv("Certificate Holder:", "\n".join([cert.holder.name, *cert.holder.lines]))
    pg.rule()
    for i, p in enumerate(cert.policies, 1):
        pg.text(pg.m, f"{i}. {title(p)}", 10, bold=True)
        pg.kv("Policy No.:", p.number, kx=14, vx=150)
        pg.kv("Policy Period:", _period(p, "short"), kx=14, vx=150)
        for lab, v in _limits_lines(p):
            pg.kv(lab + ":", v, 9, kx=14, vx=260)
        flags = []
        if p.coverage != "workers_compensation":
            flags.append("Additional Insured: " + ("Yes" if p.ai else "No"))
        flags.append("Waiver of Subrogation: " + ("Yes" if p.wos else "No"))
        pg.text(pg.m + 14, "    ".join(flags), 9)
        pg.y += 4
    pg.rule(0.4)
    pg.text(pg.m, "Remarks:", bold=True)
    pg.para(cert.description_text, 9)
    pg.signature(cert.contact, f"Authorized Agent of {name}")


def workers_comp(pg: Page, cert: Cert, carrier: tuple[str, str | None, list[str]]) -> None:
    name, naic, addr = carrier
    pg.center(name, 13)
    pg.center(", ".join(addr), 8.5, bold=False)
    pg.y += 8
    pg.center("CERTIFICATE OF WORKERS' COMPENSATION INSURANCE", 13)
    pg.y += 10
    pg.kv("Date:", cert.date.strftime("%m/%d/%Y"))
    pg.kv("Employer:", "\n".join([cert.insured.name, *cert.insured.lines]))
    p = cert.policies[0]
    pg.kv("Policy Number:", p.number)
    pg.kv("Policy Period:", _period(p, "short"))
    if naic:
        pg.kv("Insurer NAIC No.:", naic)
    pg.y += 6
    pg.para(
        "This is to certify that the employer named above is insured for workers' compensation and "
        "employers liability under the policy listed, subject to its terms and conditions."
    )
    pg.text(
        pg.m,
        "Coverage Part One - Workers Compensation: " + ("Statutory" if p.statutory else "See policy"),
        9.5,
    )
    pg.text(pg.m, "Coverage Part Two - Employers Liability:", 9.5, bold=True)
    for k, lab in WC_LABELS.items():
        v = p.limits.get(k)
        if v is not None:
            pg.kv(lab, fmt_amount(v, "$"), 9, kx=18, vx=260)
    pg.kv("Waiver of Subrogation:", "Yes" if p.wos else "No")
    pg.y += 8
    pg.text(pg.m, "Certificate Holder:", bold=True)
    for line in [cert.holder.name, *cert.holder.lines]:
        pg.text(pg.m + 18, line)
    pg.y += 6
    pg.text(pg.m, "Remarks:", bold=True)
    pg.para(cert.description_text, 9)
    pg.signature("Policy Services Department", name)


DRAW: dict[str, Callable[[Page, Cert, tuple[str, str | None, list[str]]], None]] = {
    "letter": letter,
    "table": table,
    "memorandum": memorandum,
    "workers_comp": workers_comp,
}

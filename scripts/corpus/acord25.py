"""Draw an ACORD-25-style certificate with reportlab: flat text, AcroForm fields, or a mix.

The layout follows the real form's boxes and labels per edition; the long boilerplate paragraphs
are our own wording. Values go through `Out`, which prints them or puts them in form fields.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from .data import Cert, Party, Policy
from .fieldnames import acord_name

ADDRESS_BLOCKS = {"producer": "Producer", "insured": "NamedInsured", "holder": "CertificateHolder"}
CITY_LINE = re.compile(r"^(?:(.*), )?([^,]+), ([A-Z]{2}) (\d{5})$")
EDITIONS = ["2009/09", "2010/05", "2014/01", "2016/03", "2025/12"]
VALUE_FONTS = ["Helvetica", "Helvetica", "Times-Roman", "Courier", "Helvetica"]

DISCLAIMER = (
    "THIS CERTIFICATE IS PROVIDED FOR INFORMATION ONLY AND GIVES THE HOLDER NO RIGHTS. IT DOES NOT CHANGE, "
    "EXTEND OR LIMIT THE COVERAGE OF THE POLICIES LISTED BELOW AND IS NOT A CONTRACT BETWEEN THE ISSUING "
    "INSURER(S), THE AUTHORIZED REPRESENTATIVE OR PRODUCER, AND THE CERTIFICATE HOLDER."
)
IMPORTANT = (
    "IMPORTANT: IF THE CERTIFICATE HOLDER IS AN ADDITIONAL INSURED, THE POLICY(IES) MUST INCLUDE OR BE "
    "ENDORSED FOR THAT STATUS. IF SUBROGATION IS WAIVED, POLICY TERMS MAY REQUIRE AN ENDORSEMENT; THIS "
    "CERTIFICATE ALONE CONFERS NO SUCH RIGHTS ON THE HOLDER."
)
COVERAGE_PARA = (
    "THE POLICIES BELOW HAVE BEEN ISSUED TO THE INSURED NAMED ABOVE FOR THE PERIODS SHOWN. WHATEVER CONTRACT "
    "OR OTHER DOCUMENT THIS CERTIFICATE RELATES TO, THE INSURANCE DESCRIBED IS SUBJECT TO ALL TERMS, "
    "EXCLUSIONS AND CONDITIONS OF THOSE POLICIES. LIMITS SHOWN MAY HAVE BEEN REDUCED BY PAID CLAIMS."
)
CANCEL = (
    "SHOULD ANY OF THE POLICIES DESCRIBED ABOVE BE CANCELLED BEFORE THEIR EXPIRATION DATE, NOTICE WILL BE "
    "DELIVERED ACCORDING TO THE POLICY PROVISIONS."
)


@dataclass
class Style:
    edition: str = "2016/03"
    page: str = "letter"
    value_font: str = "Helvetica"
    value_size: float = 8.5
    mark: str = "X"  # X | check | square
    flags: str = "YN"  # YN (Y/N), X (X/blank), Y (Y/blank)
    date_fmt: str = "mdy"  # mdy | mdyy | iso
    amount_fmt: str = "$"  # "$" -> $1,000,000 ; "" -> 1,000,000 ; "$ " -> $ 1,000,000
    dollar_col: bool = False  # the form prints "$" in its own cell
    other_inline: bool = False  # 'other' limits as one "Label $x / Label $y" text
    number_row: int = 1  # row of a block where policy number and dates print
    dx: float = 0.0
    dy: float = 0.0
    cols: list[float] = field(default_factory=list)
    desc_size: float = 8.0
    pointer: str | None = None  # "see attached" text appended to the description on page 1
    upper: bool = False  # the agency system prints every value in capitals
    # Quirks of certificates printed on the real ACORD form by agency systems (the `agency` family):
    box_cells: bool = False  # check boxes are row-high cells drawn as four separate rules
    other_rows: bool = False  # every 'other' policy on its own line of one block, limits as text
    amount_spaces: bool = False  # amounts grouped by spaces: "$1 000 000"
    wrap_suffix: bool = False  # the insured's "Inc." printed at the start of the street's line

    @classmethod
    def random(cls, r: random.Random) -> Style:
        base = [0.032, 0.276, 0.306, 0.338, 0.545, 0.627, 0.708, 0.865]
        jitter = r.choice([0.0, 0.0, 0.012, -0.01])
        cols = list(base)
        if jitter:
            cols[4] += jitter
            cols[5] += jitter * 0.6
            cols[6] += jitter * 0.3
        return cls(
            edition=r.choice(EDITIONS),
            page=r.choice(["letter"] * 4 + ["a4"]),
            value_font=r.choice(VALUE_FONTS),
            value_size=r.choice([8.0, 8.5, 9.0]),
            mark=r.choice(["X", "X", "check", "square"]),
            flags=r.choice(["YN", "X", "Y", "YN"]),
            date_fmt=r.choice(["mdy"] * 6 + ["mdyy", "iso"]),
            amount_fmt=r.choice(["$", "$", "", "$ "]),
            dollar_col=r.random() < 0.3,
            other_inline=r.random() < 0.4,
            number_row=r.choice([0, 1, 1]),
            dx=r.choice([0.0, 0.0, 2.0, -1.5, 3.0]),
            dy=r.choice([0.0, 0.0, 1.0, -1.0]),
            cols=cols,
            desc_size=r.choice([7.5, 8.0, 8.5]),
        )


def fmt_date(d: dt.date, style: str) -> str:
    if style == "mdyy":
        return f"{d.month}/{d.day}/{d.year % 100:02d}"
    if style == "iso":
        return d.isoformat()
    return d.strftime("%m/%d/%Y")


def fmt_amount(v: int, style: str) -> str:
    return f"{style}{v:,}"


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    out: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split():
            cand = f"{line} {word}".strip()
            if stringWidth(cand, font, size) <= width or not line:
                line = cand
            else:
                out.append(line)
                line = word
        out.append(line)
    return out


class Out:
    """Puts each value on the page as text, as an AcroForm field, or (partial) either."""

    def __init__(
        self,
        c: Canvas,
        height: float,
        style: Style,
        mode: str = "flat",
        naming: str = "acord",
        r: random.Random | None = None,
    ) -> None:
        self.c = c
        self.h = height
        self.s = style
        self.mode = mode  # flat | fields | partial | none (the form only)
        self.form_c: Canvas | _Null = c  # where the form's own check boxes go
        self.naming = naming  # acord | dotted | generic
        self.r = r or random.Random(0)
        self.counter = {"text": 0, "check": 0}
        self.placed: dict[str, str] = {}  # key -> "text" | "field"
        self.boxes: dict[str, tuple[float, float, float, float]] = {}  # key -> (x, y_top, w, h) in points

    def _name(self, key: str, kind: str) -> str:
        if self.naming == "dotted":
            return key
        if self.naming == "acord":
            n = acord_name(key)
            if n:
                return n
            if key.startswith(("oth.lim.", "oth.limits")):
                # the real form's 'other' row has three limit cells, lettered A-C
                k = self.counter.setdefault("oth", 0)
                self.counter["oth"] = k + 1
                return f"F[0].P1[0].OtherPolicy_CoverageLimitAmount_{'ABC'[min(k, 2)]}[0]"
        self.counter[kind] += 1
        return f"Text{self.counter[kind]}" if kind == "text" else f"Check Box{self.counter[kind]}"

    def _as_field(self) -> bool:
        if self.mode == "fields":
            return True
        if self.mode == "partial":
            return self.r.random() < 0.5
        return False

    def text(
        self,
        key: str,
        x: float,
        yt: float,
        w: float,
        value: str | None,
        *,
        size: float | None = None,
        lines: int = 1,
        lead: float | None = None,
        align: str = "left",
        max_h: float | None = None,
        mid: float | None = None,
    ) -> None:
        """Put a value with its top at yt (or centred on the row of height `mid` starting at yt)."""
        if value is None or value == "" or self.mode == "none":
            return
        if self.s.upper:
            value = value.upper()
        font = self.s.value_font
        size = size or self.s.value_size
        x += self.s.dx
        yt += self.s.dy
        rows = value.split("\n")
        if lines == 1:
            while stringWidth(value, font, size) > w and size > 5:
                size -= 0.25
        if max_h is not None:
            size = min(size, max_h / (1.15 * len(rows)))
        if mid is not None:
            yt += mid / 2 - 0.65 * size
        lead = lead or size * 1.15
        hgt = lead * max(len(rows), 1) + 2
        self.boxes[key] = (x, yt, w, hgt)
        if self._as_field():
            self.placed[key] = "field"
            if self.naming == "acord" and key in ADDRESS_BLOCKS:
                self._address_fields(ADDRESS_BLOCKS[key], x, yt, w, rows, font, size, lead)
                return
            name = self._name(key, "text")
            flags = "multiline" if len(rows) > 1 else ""
            self.c.acroForm.textfield(
                name=name,
                value=value,
                x=x,
                y=self.h - yt - hgt + 1,
                width=w,
                height=hgt,
                fontName=font,
                fontSize=size,
                borderWidth=0,
                borderColor=None,
                fillColor=None,
                textColor=colors.black,
                fieldFlags=flags,
                maxlen=4000,
                annotationFlags="print",
            )
            return
        self.placed[key] = "text"
        self.c.setFont(font, size)
        self.c.setFillColor(colors.black)
        for i, row in enumerate(rows):
            base = self.h - yt - size - i * lead
            if align == "right":
                self.c.drawRightString(x + w, base, row)
            elif align == "center":
                self.c.drawCentredString(x + w / 2, base, row)
            else:
                self.c.drawString(x, base, row)

    def _field(
        self, name: str, value: str, x: float, yt: float, w: float, h: float, font: str, size: float
    ) -> None:
        self.c.acroForm.textfield(
            name=name,
            value=value,
            x=x,
            y=self.h - yt - h,
            width=w,
            height=h,
            fontName=font,
            fontSize=size,
            borderWidth=0,
            borderColor=None,
            fillColor=None,
            textColor=colors.black,
            maxlen=4000,
            annotationFlags="print",
        )

    def _address_fields(
        self, prefix: str, x: float, yt: float, w: float, rows: list[str], font: str, size: float, lead: float
    ) -> None:
        """The real form splits a party into name, address lines, city, state and postal code."""
        name, addr = rows[0], rows[1:]
        m = CITY_LINE.match(addr[-1]) if addr else None
        lines = addr[:-1]
        if m and m.group(1):
            lines.append(m.group(1))
        p1 = "F[0].P1[0]."
        fh = lead + 1
        self._field(f"{p1}{prefix}_FullName_A[0]", name, x, yt, w, fh, font, size)
        for i, (line, which) in enumerate(zip(lines[:2], ("LineOne", "LineTwo"), strict=False)):
            self._field(
                f"{p1}{prefix}_MailingAddress_{which}_A[0]", line, x, yt + (i + 1) * lead, w, fh, font, size
            )
        if m:
            cy = yt + (min(len(lines), 2) + 1) * lead
            city, state, zipc = m.group(2), m.group(3), m.group(4)
            cw = stringWidth(city + "  ", font, size) + 4
            sw = stringWidth(state + "  ", font, size) + 4
            self._field(f"{p1}{prefix}_MailingAddress_CityName_A[0]", city, x, cy, cw, fh, font, size)
            self._field(
                f"{p1}{prefix}_MailingAddress_StateOrProvinceCode_A[0]", state, x + cw, cy, sw, fh, font, size
            )
            self._field(
                f"{p1}{prefix}_MailingAddress_PostalCode_A[0]",
                zipc,
                x + cw + sw,
                cy,
                w - cw - sw,
                fh,
                font,
                size,
            )

    def mark(self, key: str, x: float, yt: float, size: float, on: bool) -> None:
        """A check box drawn by the form at (x, yt); marks it when on."""
        c = self.c
        self.form_c.setLineWidth(0.5)
        self.form_c.setStrokeColor(colors.black)
        if self.s.box_cells:
            y0, y1 = self.h - yt - size, self.h - yt
            for x_a, y_a, x_b, y_b in ((x, y0, x + size, y0), (x, y1, x + size, y1), (x, y0, x, y1),
                                       (x + size, y0, x + size, y1)):
                self.form_c.line(x_a, y_a, x_b, y_b)
        else:
            self.form_c.rect(x, self.h - yt - size, size, size, stroke=1, fill=0)
        if self.mode == "none":
            return
        if self.mode != "flat" and (self.mode == "fields" or self.r.random() < 0.5):
            self.placed[key] = "field"
            c.acroForm.checkbox(
                name=self._name(key, "check"),
                checked=on,
                x=x + 0.5,
                y=self.h - yt - size + 0.5,
                size=size - 1,
                buttonStyle="cross",
                borderWidth=0,
                borderColor=None,
                fillColor=None,
                textColor=colors.black,
                fieldFlags="",
                annotationFlags="print",
            )
            return
        if not on:
            return
        self.placed[key] = "text"
        self.boxes[key] = (x, yt, size, size)
        if self.s.mark == "square":
            c.setFillColor(colors.black)
            c.rect(x + 1.5, self.h - yt - size + 1.5, size - 3, size - 3, stroke=0, fill=1)
        elif self.s.mark == "check":
            c.setFont("ZapfDingbats", size)
            c.drawString(x + 0.6, self.h - yt - size + 1.2, "\u2714")
        else:
            c.setFont("Helvetica-Bold", size + 1)
            c.drawCentredString(x + size / 2, self.h - yt - size + 1.2, "X")


class Acord25:
    """Draws one page of the certificate on a canvas."""

    def __init__(self, c: Canvas, cert: Cert, style: Style, out: Out) -> None:
        self.c = c
        self.cert = cert
        self.s = style
        self.o = out
        self.W, self.H = c._pagesize
        self.M = 30.0 if style.page == "letter" else 28.0
        self.CW = self.W - 2 * self.M
        self.new = style.edition in ("2016/03", "2025/12")
        self.mid = style.edition >= "2014/01"

    # -- primitives (y is measured from the top of the page)
    def Y(self, yt: float) -> float:
        return self.H - yt

    def X(self, frac: float) -> float:
        return self.M + frac * self.CW

    def line(self, x1: float, y1: float, x2: float, y2: float, w: float = 0.5) -> None:
        self.c.setLineWidth(w)
        self.c.line(x1, self.Y(y1), x2, self.Y(y2))

    def box(self, x: float, yt: float, w: float, h: float, lw: float = 0.8) -> None:
        self.c.setLineWidth(lw)
        self.c.rect(x, self.Y(yt + h), w, h, stroke=1, fill=0)

    def label(self, x: float, yt: float, text: str, size: float = 5.5, bold: bool = True) -> None:
        self.c.setFillColor(colors.black)
        self.c.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        for i, t in enumerate(text.split("\n")):
            self.c.drawString(x, self.Y(yt + size + i * size * 1.05), t)

    def para(self, x: float, yt: float, w: float, text: str, size: float, bold: bool = True) -> float:
        font = "Helvetica-Bold" if bold else "Helvetica"
        self.c.setFont(font, size)
        lines = wrap(text, font, size, w)
        for i, t in enumerate(lines):
            self.c.drawString(x, self.Y(yt + size + i * size * 1.12), t)
        return len(lines) * size * 1.12

    def v(self, s: str) -> str:
        return s

    def amt(self, v: int | None) -> str | None:
        if v is None:
            return None
        text = fmt_amount(v, "" if self.s.dollar_col else self.s.amount_fmt)
        return text.replace(",", " ") if self.s.amount_spaces else text

    def date(self, d: dt.date) -> str:
        return fmt_date(d, self.s.date_fmt)

    # -- page
    def draw(self) -> None:
        s, cert, o = self.s, self.cert, self.o
        M, CW, W = self.M, self.CW, self.W
        y = 24.0
        # header
        self.c.setFont("Helvetica-Bold", 15)
        self.c.drawCentredString(M + CW * 0.45, self.Y(y + 26), "CERTIFICATE OF LIABILITY INSURANCE")
        self.box(W - M - 95, y, 95, 30)
        self.label(W - M - 92, y + 2, "DATE (MM/DD/YYYY)", 5.5)
        o.text("date", W - M - 90, y + 13, 85, self.date(cert.date), align="center")
        y += 32
        self.box(M, y, CW, 58)
        h = self.para(M + 4, y + 3, CW - 8, DISCLAIMER, 6.6)
        self.line(M, y + h + 6, M + CW, y + h + 6)
        self.para(M + 4, y + h + 8, CW - 8, IMPORTANT, 6.6)
        y += 58
        # producer / contact / insurers / insured
        half = M + CW * 0.5
        row = 11.0
        top = y
        self.label(M + 2, y + 1, "PRODUCER")
        o.text(
            "producer",
            M + 8,
            y + 9,
            CW * 0.5 - 12,
            "\n".join([cert.producer.name, *cert.producer.lines]),
            lines=4,
            max_h=4 * row - 10,
        )
        self.label(half + 2, y + 1, "CONTACT\nNAME:", 4.8)
        o.text("producer.contact", half + 40, y + 1, CW * 0.5 - 44, cert.contact)
        self.line(half, y + row, M + CW, y + row)
        self.label(half + 2, y + row + 1, "PHONE\n(A/C, No, Ext):", 4.8)
        o.text("producer.phone", half + 40, y + row + 1, CW * 0.25 - 44, cert.phone)
        self.label(half + CW * 0.3, y + row + 1, "FAX\n(A/C, No):", 4.8)
        o.text("producer.fax", half + CW * 0.3 + 28, y + row + 1, CW * 0.2 - 30, cert.fax)
        self.line(half, y + 2 * row, M + CW, y + 2 * row)
        self.label(half + 2, y + 2 * row + 1, "E-MAIL\nADDRESS:", 4.8)
        o.text("producer.email", half + 40, y + 2 * row + 1, CW * 0.5 - 44, cert.email)
        self.line(half, y + 3 * row, M + CW, y + 3 * row)
        naic_x = M + CW * 0.9
        self.c.setFont("Helvetica-Bold", 5.2)
        self.c.drawCentredString(
            (half + naic_x) / 2, self.Y(y + 3 * row + 7), "INSURER(S) AFFORDING COVERAGE"
        )
        self.c.drawCentredString((naic_x + M + CW) / 2, self.Y(y + 3 * row + 7), "NAIC #")
        self.line(half, y + 4 * row, M + CW, y + 4 * row)
        by_letter = {i.letter: i for i in cert.insurers}
        for k, letter in enumerate("ABCDEF"):
            ry = y + (4 + k) * row
            self.label(half + 2, ry + 3, f"INSURER {letter} :", 5.2)
            ins = by_letter.get(letter)
            if ins:
                o.text(f"insurer.{letter}.name", half + 42, ry + 1, naic_x - half - 46, ins.name)
                o.text(
                    f"insurer.{letter}.naic",
                    naic_x + 3,
                    ry + 1,
                    M + CW - naic_x - 6,
                    ins.naic,
                    align="center",
                )
            self.line(half, ry + row, M + CW, ry + row)
        bottom = y + 10 * row
        self.line(naic_x, y + 3 * row, naic_x, bottom)
        self.line(M, y + 4 * row, half, y + 4 * row)
        self.label(M + 2, y + 4 * row + 1, "INSURED")
        o.text(
            "insured",
            M + 22,
            y + 4 * row + 9,
            CW * 0.5 - 26,
            "\n".join(_wrapped_suffix(cert.insured) if s.wrap_suffix
                      else [cert.insured.name, *cert.insured.lines]),
            lines=4,
            max_h=6 * row - 10,
        )
        self.box(M, top, CW, bottom - top)
        self.line(half, top, half, bottom)
        y = bottom
        # coverages bar
        self.c.setFillColor(colors.Color(0.88, 0.88, 0.88))
        self.c.rect(M, self.Y(y + 11), CW, 11, stroke=0, fill=1)
        self.c.setFillColor(colors.black)
        self.label(M + 2, y + 2.5, "COVERAGES", 7)
        self.label(M + CW * 0.28, y + 3, "CERTIFICATE NUMBER:", 6)
        o.text("cert.number", M + CW * 0.28 + 70, y + 1, 90, cert.cert_number)
        self.label(M + CW * 0.68, y + 3, "REVISION NUMBER:", 6)
        y += 11
        h = self.para(M + 4, y + 2, CW - 8, COVERAGE_PARA, 5.8, bold=False)
        y += h + 4
        # table header
        cols = [self.X(f) for f in ([0.0, *s.cols, 1.0])]
        heads = [
            "INSR\nLTR",
            "TYPE OF INSURANCE",
            "ADDL\nINSD",
            "SUBR\nWVD",
            "POLICY NUMBER",
            "POLICY EFF\n(MM/DD/YYYY)",
            "POLICY EXP\n(MM/DD/YYYY)",
            "LIMITS",
        ]
        self.line(M, y, M + CW, y, 0.8)
        for i, hd in enumerate(heads):
            xl = cols[i]
            xr = cols[i + 1] if i < 7 else M + CW
            self.c.setFont("Helvetica-Bold", 5)
            for j, t in enumerate(hd.split("\n")):
                self.c.drawCentredString((xl + xr) / 2, self.Y(y + 6 + j * 5.5), t)
        y += 14
        self.line(M, y, M + CW, y, 0.8)
        self.cols = cols
        blocks = self._blocks()
        rows_total = sum(n for _, n, _ in blocks)
        text = "\n".join(cert.description)
        if s.pointer:
            text += "\n" + s.pointer
        if s.upper:
            text = text.upper()
        dsize = s.desc_size
        while True:
            lines = wrap(text, s.value_font, dsize, CW - 16)
            need = max(62.0, 14 + len(lines) * dsize * 1.15 + 4)
            avail = self.H - 18 - need - 78 - 22 - y
            rh = min(11.5, avail / rows_total)
            if rh >= 8.0 or dsize <= 5.5:
                break
            dsize -= 0.5
        self.rh = rh
        self.vs = min(s.value_size, rh * 0.78)
        tstart = y
        for kind, n, pol in blocks:
            self._block(kind, y, n, pol)
            y += n * rh
            self.line(M, y, M + CW, y, 0.6)
        for x in cols[1:8]:
            self.line(x, tstart - 14, x, y, 0.5)
        self.box(M, tstart - 14, CW, y - tstart + 14)
        # description
        dh = max(62.0, self.H - 18 - 78 - 22 - y)
        self.box(M, y, CW, dh)
        self.label(
            M + 2,
            y + 1.5,
            "DESCRIPTION OF OPERATIONS / LOCATIONS / VEHICLES  (ACORD 101, Additional Remarks "
            "Schedule, may be attached if more space is required)",
            5,
        )
        o.text("description", M + 6, y + 10, CW - 12, "\n".join(lines), size=dsize, lines=len(lines))
        y += dh + 6
        # holder / cancellation
        self.c.setFillColor(colors.Color(0.88, 0.88, 0.88))
        self.c.rect(M, self.Y(y + 10), CW, 10, stroke=0, fill=1)
        self.c.setFillColor(colors.black)
        self.label(M + 2, y + 2, "CERTIFICATE HOLDER", 7)
        self.label(half + 2, y + 2, "CANCELLATION", 7)
        self.box(M, y, CW, 72)
        self.line(half, y, half, y + 72)
        o.text(
            "holder",
            M + 20,
            y + 18,
            CW * 0.5 - 26,
            "\n".join([cert.holder.name, *cert.holder.lines]),
            size=s.value_size + 0.5,
            lines=4,
            max_h=52,
        )
        self.para(half + 6, y + 14, CW * 0.5 - 12, CANCEL, 6.2)
        self.line(half, y + 44, M + CW, y + 44)
        self.label(half + 2, y + 45, "AUTHORIZED REPRESENTATIVE", 5)
        # signature squiggle (vector, not text)
        p = self.c.beginPath()
        sx, sy = half + CW * 0.22, self.Y(y + 64)
        p.moveTo(sx, sy)
        for k in range(8):
            p.curveTo(
                sx + 6 * k + 2, sy + 7, sx + 6 * k + 4, sy - 5, sx + 6 * k + 6, sy + (1 if k % 2 else -1)
            )
        self.c.setStrokeColor(colors.Color(0.1, 0.15, 0.5))
        self.c.drawPath(p, stroke=1, fill=0)
        self.c.setStrokeColor(colors.black)
        y += 74
        self.label(M, y + 4, f"ACORD 25 ({s.edition})", 7)
        self.label(
            M + CW * 0.55,
            y + 1,
            "This form is a reproduction in the style of the ACORD 25 layout.",
            5.5,
            bold=False,
        )

    # -- coverage blocks
    def _blocks(self) -> list[tuple[str, int, Policy | None]]:
        by: dict[str, list[Policy]] = {}
        for p in self.cert.policies:
            key = "umbrella" if p.coverage in ("umbrella_liability", "excess_liability") else p.coverage
            by.setdefault(key, []).append(p)
        out: list[tuple[str, int, Policy | None]] = []
        for kind, n in (
            ("general_liability", 7),
            ("automobile_liability", 6),
            ("umbrella", 3),
            ("workers_compensation", 4),
        ):
            pols: list[Policy | None] = list(by.get(kind, [])) or [None]
            for p in pols:
                out.append((kind, n, p))
        if self.s.other_rows and len(by.get("other", [])) > 1:
            out.append(("other_rows", len(by["other"]), None))
            return out
        for p in by.get("other", []):
            n = 1 if self.s.other_inline else max(2, len(p.limits))
            out.append(("other", n, p))
        if not by.get("other"):
            out.append(("other", 2, None))
        return out

    def _row_common(self, key: str, y: float, p: Policy, na_addl: bool = False) -> None:
        o, cols, rh = self.o, self.cols, self.rh
        ry = y + self.s.number_row * rh
        letter = p.insurer.letter if p.insurer else None
        m = self.rh
        o.text(
            f"{key}.ltr", cols[0] + 2, ry, cols[1] - cols[0] - 4, letter, align="center", mid=m, size=self.vs
        )
        if not na_addl:
            o.text(
                f"{key}.addl",
                cols[2] + 1,
                ry,
                cols[3] - cols[2] - 2,
                self._flag(p.ai),
                align="center",
                mid=m,
                size=self.vs,
            )
        o.text(
            f"{key}.subr",
            cols[3] + 1,
            ry,
            cols[4] - cols[3] - 2,
            self._flag(p.wos),
            align="center",
            mid=m,
            size=self.vs,
        )
        o.text(f"{key}.number", cols[4] + 3, ry, cols[5] - cols[4] - 5, p.number, mid=m, size=self.vs)
        o.text(
            f"{key}.eff",
            cols[5] + 2,
            ry,
            cols[6] - cols[5] - 4,
            self.date(p.eff),
            align="center",
            mid=m,
            size=self.vs,
        )
        o.text(
            f"{key}.exp",
            cols[6] + 2,
            ry,
            cols[7] - cols[6] - 4,
            self.date(p.exp),
            align="center",
            mid=m,
            size=self.vs,
        )

    def _flag(self, on: bool) -> str:
        f = self.s.flags
        if f == "YN":
            return "Y" if on else "N"
        if f == "X":
            return "X" if on else ""
        return "Y" if on else ""

    def _limits(self, key: str, y: float, rows: list[tuple[str, str | None, int | None]]) -> None:
        """rows: (label, limit key, amount)."""
        cols, rh, o = self.cols, self.rh, self.o
        lx, ax, right = cols[7], cols[8], self.M + self.CW
        dollar_w = 8 if self.s.dollar_col else 0
        for i, (lab, lk, amount) in enumerate(rows):
            ry = y + i * rh
            if lab:
                parts = lab.split("\n")
                sz = 4.6 if len(parts) > 1 else 5.0
                self.c.setFont("Helvetica", sz)
                for j, t in enumerate(parts):
                    self.c.drawString(lx + 2, self.Y(ry + sz + 0.8 + j * sz), t)
            if self.s.dollar_col:
                self.c.setFont("Helvetica", 5.5)
                self.c.drawString(ax + 2, self.Y(ry + rh - 2.5), "$")
            if lk and amount is not None:
                o.text(
                    f"{key}.lim.{lk}",
                    ax + dollar_w + 1,
                    ry,
                    right - ax - dollar_w - 4,
                    self.amt(amount),
                    align="right",
                    mid=rh,
                    size=self.vs,
                )
            if i < len(rows) - 1:
                self.line(lx, ry + rh, right, ry + rh, 0.3)
        self.line(ax, y, ax, y + len(rows) * rh, 0.3)

    def _block(self, kind: str, y: float, n: int, p: Policy | None) -> None:
        cols, rh, o = self.cols, self.rh, self.o
        tx = cols[1] + 2
        bs = rh - 1.0 if self.s.box_cells else min(7.0, rh - 3)
        nth = sum(1 for q in self.cert.policies[: self.cert.policies.index(p)] if _same(q, p)) if p else 0
        fs = 5.0 if rh > 9 else 4.4

        def lab(x: float, ry: float, t: str, bold: bool = False) -> None:
            self.c.setFont("Helvetica-Bold" if bold else "Helvetica", fs)
            parts = t.split("\n")
            for j, part in enumerate(parts):
                off = (rh - fs * len(parts)) / 2 + fs * 0.85 + j * fs
                self.c.drawString(x, self.Y(ry + off), part)

        def mk(k: str, x: float, ry: float, on: bool) -> None:
            o.mark(k, x, ry + (rh - bs) / 2, bs, on)

        if kind == "general_liability":
            key = "gl" if nth == 0 else f"gl{nth + 1}"
            first = 0 if self.mid else 1
            if not self.mid:
                lab(tx, y, "GENERAL LIABILITY", True)
            mk(f"{key}.cgl", tx, y + first * rh, p is not None)
            lab(tx + bs + 3, y + first * rh, "COMMERCIAL GENERAL LIABILITY", True)
            mk(f"{key}.claims_made", tx + 12, y + (first + 1) * rh, bool(p and p.basis == "claims_made"))
            lab(tx + 12 + bs + 3, y + (first + 1) * rh, "CLAIMS-MADE")
            ox = tx + 12 + bs + 50
            mk(f"{key}.occur", ox, y + (first + 1) * rh, bool(p and p.basis == "occurrence"))
            lab(ox + bs + 3, y + (first + 1) * rh, "OCCUR")
            if self.mid:
                for k in (2, 3):
                    self.c.rect(tx, self.Y(y + k * rh + (rh + bs) / 2), bs, bs)
                    self.line(tx + bs + 4, y + (k + 0.8) * rh, cols[2] - 4, y + (k + 0.8) * rh, 0.3)
            lab(tx, y + 4 * rh, "GEN'L AGGREGATE LIMIT APPLIES PER:")
            per = p.extra.get("agg_per") if p else None
            px = tx
            for code, text in (("POLICY", "POLICY"), ("PROJECT", "PRO-\nJECT"), ("LOC", "LOC")):
                mk(f"{key}.per.{code.lower()}", px, y + 5 * rh, per == code)
                lab(px + bs + 3, y + 5 * rh, text)
                px += 40
            if self.mid:
                mk(f"{key}.per.other", tx, y + 6 * rh, False)
                lab(tx + bs + 3, y + 6 * rh, "OTHER:")
            lim = p.limits if p else {}
            self._limits(
                key,
                y,
                [
                    ("EACH OCCURRENCE", "each_occurrence", lim.get("each_occurrence")),
                    (
                        "DAMAGE TO RENTED\nPREMISES (Ea occurrence)",
                        "damage_to_rented_premises",
                        lim.get("damage_to_rented_premises"),
                    ),
                    ("MED EXP (Any one person)", "medical_expense", lim.get("medical_expense")),
                    (
                        "PERSONAL & ADV INJURY",
                        "personal_advertising_injury",
                        lim.get("personal_advertising_injury"),
                    ),
                    ("GENERAL AGGREGATE", "general_aggregate", lim.get("general_aggregate")),
                    (
                        "PRODUCTS - COMP/OP AGG",
                        "products_completed_operations_aggregate",
                        lim.get("products_completed_operations_aggregate"),
                    ),
                    ("", None, None),
                ],
            )
            if p:
                self._row_common(key, y, p)
        elif kind == "automobile_liability":
            key = "auto" if nth == 0 else f"auto{nth + 1}"
            lab(tx, y, "AUTOMOBILE LIABILITY", True)
            autos = p.extra.get("autos", []) if p else []
            mk(f"{key}.any", tx, y + rh, "ANY" in autos)
            lab(tx + bs + 3, y + rh, "ANY AUTO")
            c2 = tx + (cols[2] - cols[1]) * 0.48
            if self.new:
                names = [
                    ("OWNED", "OWNED\nAUTOS ONLY"),
                    ("SCHEDULED", "SCHEDULED\nAUTOS"),
                    ("HIRED", "HIRED\nAUTOS ONLY"),
                    ("NONOWNED", "NON-OWNED\nAUTOS ONLY"),
                ]
            else:
                names = [
                    ("OWNED", "ALL OWNED\nAUTOS"),
                    ("SCHEDULED", "SCHEDULED\nAUTOS"),
                    ("HIRED", "HIRED AUTOS"),
                    ("NONOWNED", "NON-OWNED\nAUTOS"),
                ]
            for i, (code, text) in enumerate(names):
                ry = y + (2 + i // 2) * rh
                xx = tx if i % 2 == 0 else c2
                mk(f"{key}.{code.lower()}", xx, ry, code in autos)
                lab(xx + bs + 3, ry, text)
            lim = p.limits if p else {}
            self._limits(
                key,
                y,
                [
                    (
                        "COMBINED SINGLE LIMIT\n(Ea accident)",
                        "combined_single_limit",
                        lim.get("combined_single_limit"),
                    ),
                    (
                        "BODILY INJURY (Per person)",
                        "bodily_injury_per_person",
                        lim.get("bodily_injury_per_person"),
                    ),
                    (
                        "BODILY INJURY (Per accident)",
                        "bodily_injury_per_accident",
                        lim.get("bodily_injury_per_accident"),
                    ),
                    ("PROPERTY DAMAGE\n(Per accident)", "property_damage", lim.get("property_damage")),
                    ("", None, None),
                    ("", None, None),
                ],
            )
            if p:
                self._row_common(key, y, p)
        elif kind == "umbrella":
            key = "umb" if nth == 0 else f"umb{nth + 1}"
            mk(f"{key}.umbrella", tx, y, bool(p and p.coverage == "umbrella_liability"))
            lab(tx + bs + 3, y, "UMBRELLA LIAB", True)
            c2 = tx + (cols[2] - cols[1]) * 0.55
            mk(f"{key}.occur", c2, y, bool(p and p.basis == "occurrence"))
            lab(c2 + bs + 3, y, "OCCUR")
            mk(f"{key}.excess", tx, y + rh, bool(p and p.coverage == "excess_liability"))
            lab(tx + bs + 3, y + rh, "EXCESS LIAB", True)
            mk(f"{key}.claims_made", c2, y + rh, bool(p and p.basis == "claims_made"))
            lab(c2 + bs + 3, y + rh, "CLAIMS-MADE")
            ret = p.extra.get("retention") if p else None
            mk(f"{key}.ded", tx, y + 2 * rh, False)
            lab(tx + bs + 3, y + 2 * rh, "DED" if self.mid else "DEDUCTIBLE")
            mk(f"{key}.retention", tx + 48, y + 2 * rh, ret is not None)
            lab(tx + 48 + bs + 3, y + 2 * rh, "RETENTION $")
            if ret:
                o.text(f"{key}.retention_amount", tx + 98, y + 2 * rh + 1, 50, f"{ret:,}", size=7)
            lim = p.limits if p else {}
            self._limits(
                key,
                y,
                [
                    ("EACH OCCURRENCE", "each_occurrence", lim.get("each_occurrence")),
                    ("AGGREGATE", "aggregate", lim.get("aggregate")),
                    ("", None, None),
                ],
            )
            if p:
                self._row_common(key, y, p)
        elif kind == "workers_compensation":
            key = "wc" if nth == 0 else f"wc{nth + 1}"
            lab(tx, y, "WORKERS COMPENSATION\nAND EMPLOYERS' LIABILITY", True)
            self.c.setFont("Helvetica-Bold", 4.6)
            yn_x = cols[2] - 22
            self.c.drawString(yn_x - 2, self.Y(y + rh - 1), "Y / N")
            lab(tx, y + rh, "ANY PROPRIETOR/PARTNER/EXECUTIVE\nOFFICER/MEMBER EXCLUDED?")
            self.c.rect(yn_x, self.Y(y + rh + rh * 0.9), 14, rh * 0.85, stroke=1, fill=0)
            if p and p.extra.get("excluded"):
                o.text(
                    f"{key}.excluded", yn_x + 1, y + rh + 1.5, 12, p.extra["excluded"], size=7, align="center"
                )
            lab(tx, y + 2 * rh, "(Mandatory in NH)")
            lab(tx, y + 3 * rh, "If yes, describe under\nDESCRIPTION OF OPERATIONS below")
            self.c.setFont("Helvetica-Bold", 5)
            self.c.drawCentredString((cols[2] + cols[3]) / 2, self.Y(y + 1.5 * rh + 2), "N / A")
            # PER STATUTE / OTH-ER row
            lx = cols[7]
            mk(f"{key}.statute", lx + 3, y, bool(p and p.statutory))
            lab(lx + bs + 6, y, "PER\nSTATUTE" if self.mid else "WC STATU-\nTORY LIMITS")
            ox = lx + (cols[8] - lx) * 0.62
            mk(f"{key}.other", ox, y, bool(p and p.wc_other))
            lab(ox + bs + 3, y, "OTH-\nER")
            lim = p.limits if p else {}
            self._limits(
                key,
                y + rh,
                [
                    ("E.L. EACH ACCIDENT", "el_each_accident", lim.get("el_each_accident")),
                    (
                        "E.L. DISEASE - EA EMPLOYEE",
                        "el_disease_each_employee",
                        lim.get("el_disease_each_employee"),
                    ),
                    (
                        "E.L. DISEASE - POLICY LIMIT",
                        "el_disease_policy_limit",
                        lim.get("el_disease_policy_limit"),
                    ),
                ],
            )
            self.line(lx, y + rh, self.M + self.CW, y + rh, 0.3)
            if p:
                self._row_common(key, y, p, na_addl=True)
        elif kind == "other_rows":
            # The real sample's bottom row: "C Professional Liability ... $1 000 000 Occurrence /
            # $1 000 000 Aggregate" over "D 3rd Party Crime ...", the amount before its label.
            for i, q in enumerate(x for x in self.cert.policies if x.coverage == "other"):
                key = "oth" if i == 0 else f"oth{i + 1}"
                ry = y + i * rh
                o.text(f"{key}.type", tx, ry, cols[2] - cols[1] - 4, q.name, size=min(self.vs, 7.5), mid=rh)
                text = " / ".join(f"{self.amt(v)} {q.labels[k]}" for k, v in q.limits.items())
                width = self.M + self.CW - cols[7] - 4
                o.text(f"{key}.limits", cols[7] + 2, ry, width, text, size=6.5, mid=rh)
                saved = self.s.number_row
                self.s.number_row = 0
                self._row_common(key, ry, q)
                self.s.number_row = saved
        else:  # other
            if p is None:
                return
            key = "oth" if nth == 0 else f"oth{nth + 1}"
            o.text(f"{key}.type", tx, y, cols[2] - cols[1] - 4, p.name, size=min(self.vs, 7.5), mid=rh)
            if self.s.other_inline:
                text = " / ".join(f"{p.labels[k]} {self.amt(v)}" for k, v in p.limits.items())
                o.text(
                    f"{key}.limits", cols[7] + 2, y, self.M + self.CW - cols[7] - 4, text, size=6.5, mid=rh
                )
            else:
                rows = [(p.labels[k], k, v) for k, v in p.limits.items()]
                while len(rows) < n:
                    rows.append(("", None, None))
                self._limits(key, y, rows)
            saved = self.s.number_row
            self.s.number_row = 0
            self._row_common(key, y, p)
            self.s.number_row = saved


_SUFFIXES = ("Inc.", "LLC", "Inc", "Corp.", "Co.")


def _wrapped_suffix(party: Party) -> list[str]:
    """A party's printed lines with its company suffix moved to the street's line ("Management
    Solutions" / "Inc 914 Air Drive"), as the real sample prints them; unchanged without one."""
    head, _, last = party.name.rpartition(" ")
    if not head or last not in _SUFFIXES or not party.lines or not party.lines[0][:1].isdigit():
        return [party.name, *party.lines]
    return [head, f"{last} {party.lines[0]}", *party.lines[1:]]


def _same(a: Policy, b: Policy) -> bool:
    um = ("umbrella_liability", "excess_liability")
    return a.coverage == b.coverage or (a.coverage in um and b.coverage in um)


def new_canvas(path: str, style: Style) -> Canvas:
    size = LETTER if style.page == "letter" else A4
    c = Canvas(path, pagesize=size, invariant=1, pageCompression=1)
    c.setTitle("Certificate of Liability Insurance")
    c.setAuthor("coibot corpus generator")
    return c


def draw_certificate(
    c: Canvas,
    cert: Cert,
    style: Style,
    *,
    mode: str = "flat",
    naming: str = "acord",
    r: random.Random | None = None,
) -> Out:
    out = Out(c, c._pagesize[1], style, mode=mode, naming=naming, r=r)
    Acord25(c, cert, style, out).draw()
    return out


class _Null:
    """A canvas that draws nothing: every attribute is a no-op returning itself."""

    def __init__(self, pagesize: tuple[float, float]) -> None:
        self._pagesize = pagesize

    def __getattr__(self, name: str) -> _Null:
        return self

    def __call__(self, *args: object, **kwargs: object) -> _Null:
        return self


def draw_on_raster_form(c: Canvas, cert: Cert, style: Style, dpi: int = 150) -> Out:
    """The form as a page-size image (no label text), the values as text on top of it."""
    import io

    import pypdfium2 as pdfium
    from reportlab.lib.utils import ImageReader

    buf = io.BytesIO()
    blank = Canvas(buf, pagesize=c._pagesize, invariant=1)
    Acord25(blank, cert, style, Out(blank, c._pagesize[1], style, mode="none")).draw()
    blank.showPage()
    blank.save()
    doc = pdfium.PdfDocument(buf.getvalue())
    img = doc[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    doc.close()
    w, h = c._pagesize
    c.drawImage(ImageReader(img), 0, 0, width=w, height=h)
    out = Out(c, h, style, mode="flat")
    out.form_c = _Null(c._pagesize)
    Acord25(_Null(c._pagesize), cert, style, out).draw()  # type: ignore[arg-type]
    return out


def render_meta(style: Style) -> dict[str, Any]:
    return {
        "edition": style.edition,
        "page": style.page,
        "value_font": style.value_font,
        "mark": style.mark,
        "flags": style.flags,
        "date_fmt": style.date_fmt,
        "amount_fmt": style.amount_fmt or "plain",
        "dollar_col": style.dollar_col,
        "other_inline": style.other_inline,
        "upper": style.upper,
        "offset": [style.dx, style.dy],
        # (The agency quirks only where used: the other families' truth stays as it was.)
        **{k: True for k in ("box_cells", "other_rows", "amount_spaces", "wrap_suffix") if getattr(style, k)},
    }

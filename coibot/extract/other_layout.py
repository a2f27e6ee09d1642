"""Certificates in an insurer's own layout (not ACORD 25): facts read by their printed labels.

Carriers issue letters, memoranda and tables of their own ("Named Insured: ...", "Policy Period:
01/01/2026 to 01/01/2027", "Each Occurrence $1,000,000"). There are no insurer letters: the
carrier is named by a label or by the letterhead, and each policy is found by its coverage's name
at the start of a line (a block of label: value lines follows) or in the first column of a table
whose header names the policy number, dates and limits columns.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from coibot.extract.normalize import (
    format_phone,
    iso_date,
    join_address,
    label_key,
    normalize_name,
    parse_amount,
)
from coibot.extract.words import PageWords, Word

log = logging.getLogger(__name__)

GL = "general_liability"
AUTO = "automobile_liability"
UMBRELLA = "umbrella_liability"
EXCESS = "excess_liability"
WC = "workers_compensation"
OTHER = "other"

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    r"(?<![\d/])(?:\d{1,2}/\d{1,2}/\d{4}|\d{1,2}/\d{1,2}/\d{2}(?![\d/])|\d{1,2}-\d{1,2}-\d{4}|\d{4}-\d{2}-\d{2}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}"
    rf"|\d{{1,2}}-{_MONTH}-\d{{2,4}})",
    re.IGNORECASE,
)
_AMOUNT = re.compile(
    r"\$\s?\d+(?:\.\d+)?\s?(?:MM|M|K)\b|\$\s?\d{1,3}(?:[,\s]\d{3})+(?:\.\d{2})?|\$\s?\d+(?:\.\d{2})?"
    r"|\b\d{1,3}(?:,\d{3})+\b"
)
_NAIC = re.compile(r"NAIC(?:\s*(?:No\.?|#|Code|Number))?\s*[:#.]?\s*(\d{5})\b", re.IGNORECASE)
# Separators as printed or as a scan spaces them: "(693)  555-0184", "515.555.0199", en dashes.
_PHONE = re.compile(
    r"\(?\b\d{3}\)?\s{0,2}[.\-\u2013\u2014]?\s{0,2}\d{3}\s{0,2}[.\-\u2013\u2014\s]\s{0,2}\d{4}\b"
)
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_CITY_LINE = re.compile(r",?\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?\s*$")
_YES_NO = re.compile(
    r"^\s*[:\-]?\s*(yes|no|y|n|x|included|excluded|n/a|not\s+included|not\s+applicable|blanket|applies|"
    r"does\s+not\s+apply|none)\b",
    re.IGNORECASE,
)
_YES_WORDS = frozenset({"yes", "y", "x", "included", "blanket", "applies"})

# Coverage names, most specific first: "Workers Compensation and Employers Liability" is
# workers' compensation, "Umbrella Liability" is not general liability.
_COVERAGES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (WC, re.compile(r"workers?['\u2019`]?s?\s*comp(?:ensation)?|employers?['\u2019`]?s?\s+liability",
                    re.IGNORECASE)),
    (UMBRELLA, re.compile(r"umbrella", re.IGNORECASE)),
    (EXCESS, re.compile(r"excess\s+(?:liability|policy|coverage|umbrella)|^excess\b", re.IGNORECASE)),
    (AUTO, re.compile(r"(?:business\s+|commercial\s+)?auto(?:mobile)?\s+liability|(?:business|commercial)\s+"
                      r"auto(?:mobile)?\b|hired\s+(?:and|&)\s+non-?owned|^auto(?:mobile)?\b", re.IGNORECASE)),
    (GL, re.compile(r"(?:commercial\s+)?general\s+liability|\bCGL\b|commercial\s+general\b", re.IGNORECASE)),
    (OTHER, re.compile(
        r"professional\s+liability|errors\s*(?:and|&)\s*omissions|\bE\s*&\s*O\b|cyber|pollution|"
        r"employment\s+practices|directors\s*(?:and|&)\s*officers|\bD\s*&\s*O\b|liquor\s+liability|"
        r"inland\s+marine|contractors'?\s+equipment|builders'?\s+risk|crime|fidelity|garage\s+liability|"
        r"medical\s+malpractice|media\s+liability|product\s+recall|commercial\s+property|property\s+coverage|"
        r"installation\s+floater|fiduciary\s+liability|technology\s+(?:e\s*&\s*o|errors|liability)|"
        r"environmental\s+liability", re.IGNORECASE)),
)
# A coverage name opens a policy when it starts the line, maybe after a label or a number.
_ANCHOR_PREFIX = re.compile(
    r"^\s*(?:\d{1,2}[.)]\s*|[-•*]\s*|(?:coverage(?:\s+type)?|type\s+of\s+(?:insurance|coverage)|line\s+of\s+business|"
    r"policy\s+type|insurance)\s*:\s*|coverage\s+part\s+\w+\s*[-:]\s*)?",
    re.IGNORECASE,
)

_LIMIT_KEYS: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = {
    GL: (
        (re.compile(r"products|completed\s+op", re.I), "products_completed_operations_aggregate"),
        (re.compile(r"rented|fire\s+damage|premises", re.I), "damage_to_rented_premises"),
        (re.compile(r"med(?:ical)?\.?\s+(?:exp|pay)", re.I), "medical_expense"),
        (re.compile(r"personal|advertising", re.I), "personal_advertising_injury"),
        (re.compile(r"aggregate", re.I), "general_aggregate"),
        (re.compile(r"occurrence", re.I), "each_occurrence"),
    ),
    AUTO: (
        (re.compile(r"combined|\bCSL\b", re.I), "combined_single_limit"),
        (re.compile(r"property\s+damage", re.I), "property_damage"),
        (re.compile(r"bodily.*(?:person)", re.I), "bodily_injury_per_person"),
        (re.compile(r"bodily.*(?:accident)", re.I), "bodily_injury_per_accident"),
        (re.compile(r"each\s+accident", re.I), "combined_single_limit"),
    ),
    UMBRELLA: (
        (re.compile(r"occurrence", re.I), "each_occurrence"),
        (re.compile(r"aggregate", re.I), "aggregate"),
    ),
    WC: (
        (re.compile(r"employee", re.I), "el_disease_each_employee"),
        (re.compile(r"policy\s+limit", re.I), "el_disease_policy_limit"),
        (re.compile(r"accident", re.I), "el_each_accident"),
    ),
}
_LIMIT_KEYS[EXCESS] = _LIMIT_KEYS[UMBRELLA]

_AND_ADDRESS = r"(?:\s+(?:name\s+)?(?:and|&)\s+(?:mailing\s+)?address)?"
_L_INSURED = (rf"(?:named\s+insured(?:\(s\)|s)?|name\s+of\s+insured|insured(?:\s+name)?|employer|"
              rf"policyholder|policy\s+holder){_AND_ADDRESS}")
_L_HOLDER = rf"(?:certificate\s+holder|holder|(?:certificate\s+)?issued\s+to){_AND_ADDRESS}"
_L_PRODUCER = rf"(?:insurance\s+)?(?:agent\s*/\s*producer|producer|agent|broker(?:age)?|agency){_AND_ADDRESS}"
_L_DESC = (r"(?:special\s+provisions\s*/\s*)?description\s+of\s+operations(?:\s*/\s*[a-z ]+?)*|"
           r"special\s+provisions(?:\s*/\s*description\s+of\s+operations)?|remarks|description|"
           r"additional\s+remarks|comments|special\s+conditions")
_L_CARRIER = (r"issuing\s+company|insurer|insurance\s+company|carrier|company|underwriter|"
              r"underwritten\s+by|insuring\s+company")


def _label(pattern: str) -> re.Pattern[str]:
    """A label at the start of a line, with a colon (or alone on its line)."""
    return re.compile(rf"^\s*(?:{pattern})(?:\s*:\s*|\s*$|\s{{2,}})", re.IGNORECASE)


_RE_INSURED = _label(_L_INSURED)
_RE_HOLDER = _label(_L_HOLDER)
_RE_PRODUCER = _label(_L_PRODUCER)
_RE_DESC = _label(_L_DESC)
_RE_CARRIER = _label(_L_CARRIER)
_RE_CONTACT = re.compile(r"^\s*(?:agent\s+|producer\s+)?contact(?:\s+name)?\s*:\s*", re.IGNORECASE)
_RE_DATE_LABEL = re.compile(
    r"^\s*(?:date\s+issued|issue\s+date|issued|certificate\s+date|date\s+of\s+issue|dated|date)\s*:?\s*",
    re.IGNORECASE,
)
_DATE_LABEL_INLINE = re.compile(
    r"\b(?<!effective )(?<!expiration )(?:date\s+issued|issue\s+date|certificate\s+date|date)\s*:\s*",
    re.IGNORECASE,
)
_RE_POLICY_NO = re.compile(
    r"policy\s*(?:number|no\.?|#)\s*[:#.]?\s*([A-Z0-9][A-Z0-9\-/.]*(?: [A-Z0-9][A-Z0-9\-/.]*)*)",
    re.IGNORECASE,
)
# Words that end a policy number printed on the same line as the next label.
_NUMBER_STOP = re.compile(r"(?i)^(?:policy|period|term|eff\w*|exp\w*|from|limits?|dates?|issued|naic)$")
_RE_PERIOD = re.compile(r"policy\s+period|term|period\s+of\s+insurance", re.IGNORECASE)
_RE_AI = re.compile(r"additional\s+insured\s*[:\-]?", re.IGNORECASE)
_RE_WOS = re.compile(r"waiver\s+of\s+subrogation\s*[:\-]?", re.IGNORECASE)
# Printed text that closes a description: cancellation notice, disclaimers, signatures.
_BOILERPLATE = re.compile(
    r"^\s*(?:should\s+any|this\s+certificate\s+(?:is|does)|it\s+confers|authori[sz]ed\s+(?:representative|agent)|"
    r"cancellation\s*:?\s*$|underwriting\s+services|policy\s+services|signature|"
    r"this\s+is\s+to\s+certify|by\s*:|issued\s+by|countersigned)",
    re.IGNORECASE,
)
_BROKER = re.compile(
    r"\b(?:agency|agencies|brokers?|brokerage|agents?|advisors|consultants)\b", re.IGNORECASE
)
_TITLE = re.compile(r"certificate\s+of|memorandum\s+of\s+insurance|evidence\s+of", re.IGNORECASE)
_COMPANY = re.compile(
    r"insurance|casualty|assurance|indemnity|mutual|underwriters|surety|company|\bco\.|corporation|"
    r"specialty|reinsurance|lloyd|group|fire\b", re.IGNORECASE,
)


@dataclass(slots=True)
class _Line:
    words: list[Word]
    page: int
    top: float
    bottom: float

    @property
    def text(self) -> str:
        """The line's words; a wide gap (label and value in two columns) becomes two spaces."""
        parts: list[str] = []
        prev: Word | None = None
        for w in self.words:
            if prev is not None:
                wide = w.x0 - prev.x1 > max(8.0, (prev.bottom - prev.top) * 0.9)
                parts.append("  " if wide else " ")
            parts.append(w.text)
            prev = w
        return "".join(parts)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    def between(self, x0: float, x1: float) -> str:
        """The words whose left edge lies in [x0, x1)."""
        return " ".join(w.text for w in self.words if x0 - 1 <= w.x0 < x1 - 1)


def _lines(pages: list[PageWords]) -> list[_Line]:
    out: list[_Line] = []
    for page in pages:
        rows: list[_Line] = []
        for w in sorted(page.words, key=lambda w: (w.top + w.bottom) / 2):
            mid = (w.top + w.bottom) / 2
            # A dash or a dot is a sliver of the line's height: the line's own height sets the tolerance.
            h = max(1.0, w.bottom - w.top, (rows[-1].bottom - rows[-1].top) if rows else 0.0)
            if rows and abs(mid - (rows[-1].top + rows[-1].bottom) / 2) < h * 0.45:
                rows[-1].words.append(w)
                rows[-1].top = min(rows[-1].top, w.top)
                rows[-1].bottom = max(rows[-1].bottom, w.bottom)
            else:
                rows.append(_Line([w], page.number, w.top, w.bottom))
        for row in rows:
            row.words.sort(key=lambda w: w.x0)
        out += rows
    return out


def _dates(text: str) -> list[tuple[int, str]]:
    """(position, ISO date) of every date printed in `text`."""
    out = []
    # Columns printed without a gap ("08/20/202508/20/2026") still hold two dates.
    text = re.sub(r"(\d{4})(?=\d{1,2}/\d)", r"\1 ", text)
    for m in _DATE.finditer(text):
        iso = iso_date(m.group(0).replace("-", "/") if re.fullmatch(r"\d{1,2}-\d{1,2}-\d{4}", m.group(0))
                       else m.group(0))
        if iso:
            out.append((m.start(), iso))
    return out


def _coverage_of(text: str) -> tuple[str, re.Match[str]] | None:
    for coverage, pattern in _COVERAGES:
        m = pattern.search(text)
        if m:
            return coverage, m
    return None


def _anchor(text: str) -> tuple[str, str] | None:
    """(coverage, printed name) when a policy's coverage name opens this line."""
    if _TITLE.search(text):
        return None
    prefix = _ANCHOR_PREFIX.match(text)
    start = prefix.end() if prefix else 0
    rest = text[start:]
    found = _coverage_of(rest)
    if found is None:
        return None
    coverage, m = found
    # A heading starts with a capital ("and employers liability under..." continues a sentence).
    if not rest[:1].isupper():
        return None
    # The name must open the line (a word or two of "Commercial", "Business" may come first).
    before = rest[: m.start()]
    if len(before.split()) > 2 or _RE_AI.search(before) or ":" in before:
        return None
    if re.search(r"\$\s?\d", rest[: m.start()]):
        return None
    name = re.split(r"\s{2,}|\s+(?=policy\s*(?:no|number|#))|\s*\$", rest, maxsplit=1, flags=re.I)[0]
    name = name.split(":")[0].strip(" -:") if coverage == WC else name.strip(" -:")
    return coverage, name


def _basis(text: str) -> str | None:
    if re.search(r"claims[\s\-]*made", text, re.IGNORECASE):
        return "claims_made"
    if re.search(r"(?<!each )(?<!per )\boccurrence\b(?!\s*[:$\d])", text, re.IGNORECASE):
        return "occurrence"
    return None


def _limit_key(coverage: str, label: str) -> str | None:
    # "Limits of Liability:" / "Limits:" head a list of limits; they are not a limit's name.
    # A lone "Limit:" is itself the limit's name ("Limit: $500,000").
    lone = re.fullmatch(r"(?i)\s*(limit)\s*:?\s*", label)
    label = lone.group(1) if lone else re.sub(
        r"(?i)^\s*limits?(?:\s+of\s+(?:liability|insurance))?\s*:\s*|^\s*limits?\s+of\s+(?:liability|insurance)\s*",
        "", label,
    ).strip(" :.-\u2013")
    if not label or not re.search(r"[A-Za-z]", label):
        return None
    if coverage == OTHER:
        key = label_key(label)
        return key or None
    if re.search(r"deductible|retention|\bSIR\b|premium", label, re.IGNORECASE):
        return None
    for pattern, key in _LIMIT_KEYS.get(coverage, ()):
        if pattern.search(label):
            return key
    return None


def _clean_number(text: str) -> str | None:
    kept: list[str] = []
    for token in text.split(" "):
        if _NUMBER_STOP.match(token) or _DATE.fullmatch(token):
            break
        kept.append(token)
    return " ".join(kept).strip(" .") or None


def _bare_number(text: str) -> str | None:
    """The first token that reads as a policy number: letters and digits, not a date or an amount."""
    for token in text.split():
        token = token.strip(",;")
        shaped = len(token) >= 5 and bool(re.fullmatch(r"[A-Z0-9][A-Z0-9\-/.]+", token, re.I))
        if shaped and re.search(r"\d", token) and not token.isdigit() and not _DATE.fullmatch(token) and not (
            _AMOUNT.fullmatch(token)
        ):
            return token
    return None


def _flag(text: str, pattern: re.Pattern[str]) -> bool | None:
    m = pattern.search(text)
    if not m:
        return None
    after = _YES_NO.match(text[m.end():])
    if not after:
        return None
    return after.group(1).lower() in _YES_WORDS


@dataclass(slots=True)
class _Policy:
    coverage: str
    name: str
    lines: list[_Line] = field(default_factory=list)
    number: str | None = None
    effective: str | None = None
    expiration: str | None = None
    limits: dict[str, int] = field(default_factory=dict)
    basis: str | None = None
    ai: bool | None = None
    wos: bool | None = None
    statutory: bool = False
    carrier: str | None = None
    naic: str | None = None


def _read_limit_text(pol: _Policy, text: str) -> None:
    """Label/amount pairs of one line ("Each Occurrence $1,000,000", "$1,000,000 Each Occurrence")."""
    matches = list(_AMOUNT.finditer(text))
    if not matches:
        return
    lead = re.sub(r"(?i)limits?(?:\s+of\s+(?:liability|insurance))?\s*:", "", text[: matches[0].start()])
    # "$1,000,000 Each Occurrence / $2,000,000 Aggregate": labels follow their amounts.
    labels_after = not re.search(r"[A-Za-z]", lead)
    prev_end = 0
    for i, m in enumerate(matches):
        printed = m.group(0)
        amount = parse_amount(printed.replace(" ", ",") if re.search(r"\d \d{3}", printed) else printed)
        nxt = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        after = re.sub(r"^[\s/|;,]+", "", re.split(r"[/|;]", text[m.end() : nxt])[0])
        before = re.sub(r"^[\s/|;,]+", "", text[prev_end : m.start()])
        prev_end = m.end()
        if amount is None:
            continue
        first, second = (after, before) if labels_after else (before, after)
        # "Limit: $500,000": the only label is the word "Limit" itself.
        key = _limit_key(pol.coverage, first) or (
            _limit_key(pol.coverage, second) if not re.search(r"[A-Za-z]", first) else None
        )
        if key and key not in pol.limits:
            pol.limits[key] = amount


def _read_block_line(pol: _Policy, text: str) -> None:
    m = _RE_POLICY_NO.search(text)
    if m and pol.number is None:
        pol.number = _clean_number(m.group(1))
        text = text[: m.start()] + text[m.end():]
    dates = _dates(text)
    if dates:
        lowered = text.lower()
        for pos, iso in dates:
            ahead = lowered[max(0, pos - 25) : pos]
            # A claims-made policy's retroactive date (or any other dated remark) is not its term.
            if re.search(r"retro|issued?\b|cancel|continuity|prior\s+acts", ahead):
                continue
            ends = re.search(r"expir|\bexp\b|expires|\bto\b|until|through|[-\u2013]\s*$", ahead)
            if ends and pol.effective:
                pol.expiration = pol.expiration or iso
            elif pol.effective is None:
                pol.effective = iso
            elif pol.expiration is None:
                pol.expiration = iso
    ai = _flag(text, _RE_AI)
    if ai is not None:
        pol.ai = ai
    wos = _flag(text, _RE_WOS)
    if wos is not None:
        pol.wos = wos
    if pol.coverage == WC and re.search(r"statut", text, re.IGNORECASE):
        pol.statutory = True
    # "Coverage Basis: Occurrence", or a line that only says the form ("Claims-Made Form").
    if re.search(r"\bbasis\s*:", text, re.IGNORECASE) or re.fullmatch(
        r"(?i)\s*(?:written\s+on\s+an?\s+)?(?:occurrence|claims[\s-]*made)(?:\s+(?:form|basis|coverage))?\s*\.?",
        text,
    ):
        pol.basis = pol.basis or _basis(text)
    carrier = _RE_CARRIER.match(text)
    if carrier:
        name = re.sub(r"\(.*?\)|NAIC.*$", "", text[carrier.end():], flags=re.I).strip(" ,;")
        pol.carrier = normalize_name(name) or pol.carrier
    naic = _NAIC.search(text)
    if naic:
        pol.naic = naic.group(1)
    if not dates and (_AMOUNT.search(text) or not (_RE_AI.search(text) or _RE_WOS.search(text))):
        _read_limit_text(pol, text)


# --------------------------------------------------------------------------- parties
def _is_label_line(text: str) -> bool:
    return bool(
        _RE_INSURED.match(text) or _RE_HOLDER.match(text) or _RE_PRODUCER.match(text)
        or _desc_heading(text) is not None or _RE_CONTACT.match(text)
        or (_RE_DATE_LABEL.match(text) and _dates(text))
        or _RE_POLICY_NO.search(text) or _RE_PERIOD.match(text) or _anchor(text) or _BOILERPLATE.match(text)
        or (re.match(r"^\s*[A-Za-z /&]{2,40}:\s", text) and not re.match(r"^\s*attn", text, re.I))
    )


def _party_block(first: str, following: list[str]) -> dict[str, str | None] | None:
    """A name (on the label's line or the next) and the address lines after it."""
    lines = [first.strip()] if first.strip() else []
    for text in following:
        if len(lines) >= 6:
            break
        if _is_label_line(text) or not text.strip():
            break
        lines.append(text.strip())
        if _CITY_LINE.search(text):
            break
    if not lines:
        return None
    return {"name": normalize_name(lines[0]), "address": join_address(lines[1:]) or None}


def _following(lines: list[_Line], i: int, x0: float | None = None, x1: float | None = None) -> list[str]:
    """Text of the lines after `i`, cut to a column, until a wide vertical gap."""
    out: list[str] = []
    prev = lines[i]
    for line in lines[i + 1 : i + 8]:
        if line.page != prev.page or line.top - prev.bottom > max(8.0, (prev.bottom - prev.top) * 1.2):
            break
        out.append(line.between(x0, x1) if x0 is not None and x1 is not None else line.text)
        prev = line
    return out


# --------------------------------------------------------------------------- the reader
@dataclass(slots=True)
class _Reading:
    lines: list[_Line]
    draft: dict[str, Any] = field(default_factory=dict)
    policies: list[_Policy] = field(default_factory=list)
    consumed: set[int] = field(default_factory=set)


def _read_header(r: _Reading) -> None:
    lines = r.lines
    # Letterhead: the first lines above the title; the carrier is the first that looks like one.
    carrier: str | None = None
    for line in lines[:4]:
        text = line.text.strip()
        if _TITLE.search(text):
            break
        # A broker's letterhead ("Tall Oak Insurance Agency") is not the carrier.
        if _COMPANY.search(text) and not re.search(r"\d", text) and not _BROKER.search(text):
            carrier = normalize_name(text)
            break
    naic: str | None = None
    for idx, line in enumerate(lines):
        text = line.text
        m = _RE_CARRIER.match(text)
        if m and not _RE_POLICY_NO.search(text) and not re.match(r"^\s*insurer\s+naic", text, re.I):
            name = re.sub(r"\(.*?\)|NAIC.*$", "", text[m.end():], flags=re.I).strip(" ,;")
            if (name and not carrier) or (name and _COMPANY.search(name)):
                carrier = normalize_name(name)
            r.consumed.add(idx)
        n = _NAIC.search(text)
        if n and naic is None:
            naic = n.group(1)
        if "certificate_date" not in r.draft:
            d = _RE_DATE_LABEL.match(text)
            found = _dates(text)
            if d and found and found[0][0] <= d.end() + 2:
                r.draft["certificate_date"] = found[0][1]
    if carrier is None:
        carrier = _signature_company(lines)
    if "certificate_date" not in r.draft:
        # "Certificate No.: 118   Date Issued: 01/02/2026": the label further along the line.
        for line in lines[:20]:
            m = _DATE_LABEL_INLINE.search(line.text)
            found = _dates(line.text[m.end():]) if m else []
            if m and found and found[0][0] <= 2:
                r.draft["certificate_date"] = found[0][1]
                break
    if "certificate_date" not in r.draft:
        # A letter dated on a line of its own near the top ("March 3, 2026").
        for line in lines[:12]:
            found = _dates(line.text)
            if len(found) == 1 and not re.sub(_DATE, "", line.text).strip(" ,.:"):
                r.draft["certificate_date"] = found[0][1]
                break
            if _anchor(line.text):
                break
    r.draft["_carrier"] = carrier
    r.draft["_naic"] = naic


def _signature_company(lines: list[_Line]) -> str | None:
    """The issuing company named under the signature ("Authorized Representative, X Insurance Co.")."""
    for line in reversed(lines[-6:]):
        text = re.sub(r"(?i)^.*?\b(?:representative|agent|department|services)\b\s*(?:of|,)?\s*", "",
                      line.text).strip(" ,")
        if text and _COMPANY.search(text) and not re.search(r"\d", text) and not _BROKER.search(text):
            if _BOILERPLATE.match(text) or _desc_heading(text) is not None or len(text.split()) > 8:
                continue
            return normalize_name(text)
    return None


_PARTY_LABELS = (("producer", _L_PRODUCER), ("insured", _L_INSURED), ("certificate_holder", _L_HOLDER))


def _label_pair(line: _Line) -> tuple[tuple[str, str], float] | None:
    """((left party, right party), x of the right column) for a line of two party labels only."""
    text = line.text
    for lk, lp in _PARTY_LABELS:
        for rk, rp in _PARTY_LABELS:
            if lk == rk:
                continue
            m = re.match(rf"^\s*(?:{lp})\s*:?\s+((?:{rp}))\s*:?\s*$", text, re.IGNORECASE)
            if m:
                # The right label starts at the word where its text starts.
                first = m.group(1).split()[0].rstrip(":").casefold()
                xs = [w.x0 for w in line.words if w.text.rstrip(":").casefold() == first]
                if xs:
                    return (lk, rk), xs[-1]
    return None


def _read_parties(r: _Reading) -> None:
    lines = r.lines
    for idx, line in enumerate(lines):
        text = line.text
        # Two labels side by side ("INSURED     CERTIFICATE HOLDER"): two columns below.
        pair = _label_pair(line)
        if pair is not None:
            (left_key, right_key), split = pair
            left = _party_block("", _following(lines, idx, -1e9, split))
            right = _party_block("", _following(lines, idx, split, 1e9))
            if left:
                r.draft.setdefault(left_key, left)
            if right:
                r.draft.setdefault(right_key, right)
            continue
        for key, pattern in (("certificate_holder", _RE_HOLDER), ("producer", _RE_PRODUCER),
                             ("insured", _RE_INSURED)):
            m = pattern.match(text)
            if not m or key in r.draft:
                continue
            rest = text[m.end():]
            if key == "insured" and re.match(r"^\s*(shown|named)", rest, re.I):
                continue
            block = _party_block(rest, _following(lines, idx))
            if block:
                r.draft[key] = block
            break
        contact = _RE_CONTACT.match(text)
        if contact:
            rest = text[contact.end():]
            prod = r.draft.setdefault("producer", {"name": None, "address": None})
            email = _EMAIL.search(rest)
            phone = _PHONE.search(rest)
            cut = min([m.start() for m in (email, phone) if m] + [len(rest)])
            name = re.sub(r"(?i)\b(?:tel|phone|ph|telephone)\.?\s*:?\s*$", "", rest[:cut]).strip(" ,;")
            prod["contact_name"] = normalize_name(name)
            prod["phone"] = format_phone(phone.group(0)) if phone else prod.get("phone")
            prod["email"] = email.group(0) if email else prod.get("email")
        elif "producer" in r.draft:
            prod = r.draft["producer"]
            labelled = re.match(r"(?i)^\s*(?:phone|tel|telephone|e-?mail|fax)\b", text)
            if labelled and not prod.get("phone"):
                ph = _PHONE.search(re.split(r"(?i)\bfax\b", text)[0])
                prod["phone"] = format_phone(ph.group(0)) if ph else None
            if labelled and not prod.get("email") and (em := _EMAIL.search(text)):
                prod["email"] = em.group(0)


_HEADING_OPENERS = frozenset({"policy", "type", "type of", "date", "dates", "limits of", "insurance"})


def _read_addressee(r: _Reading) -> None:
    """A letter addressed "To: <holder>" names its certificate holder that way."""
    if "certificate_holder" in r.draft:
        return
    for idx, line in enumerate(r.lines):
        m = re.match(r"^\s*(?:to|addressee|attention|attn\.?)\s*:\s*", line.text, re.IGNORECASE)
        if m and not _dates(line.text) and line.text[m.end():].strip():
            block = _party_block(line.text[m.end():], _following(r.lines, idx))
            if block:
                r.draft["certificate_holder"] = block
            return


def _table_header(line: _Line) -> dict[str, float] | None:
    """Column starts of a policy table's header line, or None."""
    text = line.text.lower()
    if not (re.search(r"policy\s*(?:number|no|#)", text) and re.search(r"limit", text)
            and re.search(r"eff|period|dates?|term", text)):
        return None
    # Header cells: words closer than a column gap belong together ("POLICY NUMBER").
    cells: list[tuple[float, str]] = []
    prev: Word | None = None
    for w in line.words:
        # A space is ~0.25 em; header columns are set further apart than that.
        if prev is not None and w.x0 - prev.x1 <= max(4.0, (prev.bottom - prev.top) * 0.45):
            x0, t = cells[-1]
            cells[-1] = (x0, f"{t} {w.text.lower()}")
        else:
            cells.append((w.x0, w.text.lower()))
        prev = w
    # A cell that only opens a heading ("POLICY" over "NUMBER" set a little apart) joins the next.
    merged: list[tuple[float, str]] = []
    for x0, t in cells:
        if merged and merged[-1][1] in _HEADING_OPENERS:
            merged[-1] = (merged[-1][0], f"{merged[-1][1]} {t}")
        else:
            merged.append((x0, t))
    cells = merged
    cols: dict[str, float] = {}
    for i, (x0, t) in enumerate(cells):
        if re.search(r"policy\s*(?:number|no|#)|^(?:number|no\.?)$", t) and "number" not in cols:
            cols["number"] = x0
        elif re.search(r"\beff|period|dates|term", t) and "effective" not in cols:
            cols["effective"] = x0
        elif re.search(r"\bexp", t) and "expiration" not in cols:
            cols["expiration"] = x0
        elif "limit" in t and "limits" not in cols:
            cols["limits"] = x0
        elif re.search(r"insurer|company|carrier|underwriter", t) and "carrier" not in cols:
            cols["carrier"] = x0
        elif re.search(r"coverage|type|line|insurance", t) and "coverage" not in cols:
            cols["coverage"] = x0
        else:
            cols[f"_other{i}"] = x0
    if "number" not in cols or "limits" not in cols:
        return None
    cols.setdefault("coverage", min(w.x0 for w in line.words))
    return cols


def _read_table(r: _Reading, start: int, cols: dict[str, float]) -> int:
    """Rows of a policy table after its header at `start`; returns the index after the table."""
    order = sorted(cols.items(), key=lambda kv: kv[1])
    bounds = {name: (x, order[i + 1][1] if i + 1 < len(order) else 1e9) for i, (name, x) in enumerate(order)}
    # Column boundaries sit a little left of each header word: values are left-aligned under it.
    edges = {name: (lo - 4, hi - 4) for name, (lo, hi) in bounds.items()}
    current: _Policy | None = None
    idx = start + 1
    while idx < len(r.lines):
        line = r.lines[idx]
        text = line.text
        if _desc_heading(text) is not None or _BOILERPLATE.match(text) or _RE_HOLDER.match(text):
            break
        cov_text = line.between(*edges["coverage"])
        number = line.between(*edges["number"])
        rest = " ".join(line.between(*edges[k]) for k in ("effective", "expiration") if k in edges)
        # A row starts where the number column holds something with a digit (not a prose line).
        flag_line = _RE_AI.match(cov_text) or _RE_WOS.match(cov_text)
        if cov_text and re.search(r"\d", number) and not flag_line:
            found = _coverage_of(cov_text)
            current = _Policy(found[0] if found else OTHER, cov_text)
            current.number = _clean_number(number.strip()) or number.strip()
            if "carrier" in edges:
                printed = line.between(*edges["carrier"])
                naic = _NAIC.search(printed)
                current.naic = naic.group(1) if naic else None
                current.carrier = normalize_name(re.sub(r"\(.*?\)|NAIC.*$", "", printed, flags=re.I)) or None
            r.policies.append(current)
            dates = _dates(rest or text)
            if dates:
                current.effective = dates[0][1]
                if len(dates) > 1:
                    current.expiration = dates[1][1]
        elif current is not None and cov_text and not (_RE_AI.match(cov_text) or _RE_WOS.match(cov_text)):
            current.name = f"{current.name} {cov_text}"
        if current is not None:
            r.consumed.add(idx)
            current.lines.append(line)
            limits_text = line.between(*edges["limits"])
            # Columns printed without gaps run a date into the first limit label ("10/07/2025Limit").
            spill = _DATE.sub(" ", re.sub(r"(\d{4})(?=\d{1,2}/\d)", r"\1 ", rest)).strip()
            if spill and re.search(r"[A-Za-z]", spill):
                limits_text = f"{spill} {limits_text}".strip()
            for chunk in (limits_text, cov_text):
                if not chunk:
                    continue
                ai = _flag(chunk, _RE_AI)
                wos = _flag(chunk, _RE_WOS)
                if ai is not None:
                    current.ai = ai
                if wos is not None:
                    current.wos = wos
            if limits_text and not _RE_AI.search(limits_text) and not _RE_WOS.search(limits_text):
                _read_limit_text(current, limits_text)
                if current.coverage == WC and re.search(r"statut", limits_text, re.IGNORECASE):
                    current.statutory = True
        idx += 1
    for pol in r.policies:
        # A name wrapped in its column ("Commercial General" / "Liability - Occurrence").
        found = _coverage_of(pol.name)
        if found:
            pol.coverage = found[0]
        pol.basis = _basis(pol.name)
        pol.name = pol.name.strip()
    return idx


def _read_policies(r: _Reading) -> None:
    lines = r.lines
    idx = 0
    current: _Policy | None = None
    # Lines printed before their coverage's heading ("Policy Number: X" then "Coverage: Y").
    pending: list[tuple[int, _Line]] = []
    while idx < len(lines):
        line = lines[idx]
        text = line.text
        cols = _table_header(line)
        if cols:
            current = None
            pending = []
            idx = _read_table(r, idx, cols)
            continue
        if (_desc_heading(text) is not None or _RE_HOLDER.match(text) or _RE_INSURED.match(text)
                or _BOILERPLATE.match(text)):
            current = None
            pending = []
            idx += 1
            continue
        anchor = _anchor(text)
        if idx in r.consumed:
            idx += 1
            continue
        if anchor:
            coverage, name = anchor
            same = current is not None and current.coverage == coverage
            after_name = text.split(name, 1)[1] if name and name in text else ""
            nxt_text = lines[idx + 1].text if idx + 1 < len(lines) else ""
            # A second policy of one coverage brings its own number; a line of the same policy
            # ("Workers Compensation Statutory", "Employers Liability - Each Accident $500,000") does not.
            own_number = bool(_RE_POLICY_NO.search(text) or _RE_POLICY_NO.search(nxt_text)
                              or _RE_PERIOD.match(nxt_text))
            continues = same and (
                not (current is not None and (current.number or current.limits))
                or bool(_AMOUNT.search(text)) or after_name.lstrip().startswith(":") or not own_number
            )
            if continues and current is not None:
                # "Coverage Part Two - Employers Liability", "Employers Liability - Each Accident
                # $500,000", "Workers Compensation: Statutory": lines of the same policy.
                r.consumed.add(idx)
                current.lines.append(line)
                _read_block_line(current, text)
                idx += 1
                continue
            current = _Policy(coverage, name, basis=_basis(name))
            r.policies.append(current)
            r.consumed.add(idx)
            for p_idx, p_line in pending:
                r.consumed.add(p_idx)
                current.lines.append(p_line)
                _read_block_line(current, p_line.text)
            pending = []
            current.lines.append(line)
            after = text
            prefix = _ANCHOR_PREFIX.match(after)
            remainder = after[prefix.end() if prefix else 0 :].replace(name, "", 1)
            _read_block_line(current, remainder)
            if current.number is None:
                # "Commercial General Liability  GL-100200  01/01/2026  01/01/2027": an unlabelled number.
                current.number = _bare_number(remainder)
            idx += 1
            continue
        number = _RE_POLICY_NO.search(text)
        starts_next = number is not None and (current is None or (
            current.number is not None and _clean_number(number.group(1)) != current.number
        ))
        if pending or starts_next:
            # A second number in one block (or one before any heading) opens the next policy's lines.
            pending.append((idx, line))
        elif current is not None:
            r.consumed.add(idx)
            current.lines.append(line)
            _read_block_line(current, text)
        idx += 1


_DESC_IN_HEADING = re.compile(
    r"description\s+of\s+operations(?:\s*/\s*[a-z]+(?:\s+[a-z]+)?)*\s*:?", re.IGNORECASE
)


def _desc_heading(text: str) -> int | None:
    """Where the text after a description heading starts, or None when the line is not one.

    A scan may garble the heading's first words ("SPECIAL PROVISIONS S / DESCRIPTION OF
    OPERATIONS"): a short line naming "description of operations" is still the heading.
    """
    m = _RE_DESC.match(text)
    if m:
        return m.end()
    m = _DESC_IN_HEADING.search(text)
    if m and m.start() <= 40 and not _AMOUNT.search(text) and len(text[: m.start()].split()) <= 4:
        return m.end()
    return None


def _read_description(r: _Reading) -> None:
    lines = r.lines
    for idx, line in enumerate(lines):
        end = _desc_heading(line.text)
        if end is None:
            continue
        parts = [line.text[end:].strip()]
        prev = line
        r.consumed.add(idx)
        for j, nxt in enumerate(lines[idx + 1 :], start=idx + 1):
            gap = nxt.top - prev.bottom if nxt.page == prev.page else 0.0
            if gap > max(9.0, (prev.bottom - prev.top) * 1.5) or _BOILERPLATE.match(nxt.text):
                break
            if _RE_HOLDER.match(nxt.text) or _RE_INSURED.match(nxt.text) or _table_header(nxt):
                break
            parts.append(nxt.text.strip())
            r.consumed.add(j)
            prev = nxt
        text = " ".join(p for p in parts if p)
        if text:
            r.draft["description_of_operations"] = " ".join(text.split())
            return


def _skip_paragraphs(r: _Reading) -> None:
    """Disclaimer paragraphs ("This is to certify ...") name coverages in passing: not policies."""
    lines = r.lines
    idx = 0
    while idx < len(lines):
        if not _BOILERPLATE.match(lines[idx].text) or _desc_heading(lines[idx].text) is not None:
            idx += 1
            continue
        r.consumed.add(idx)
        prev = lines[idx]
        idx += 1
        while idx < len(lines):
            nxt = lines[idx]
            if nxt.page != prev.page or nxt.top - prev.bottom > max(6.0, (prev.bottom - prev.top) * 0.9):
                break
            if _anchor(nxt.text) or _RE_INSURED.match(nxt.text) or _RE_HOLDER.match(nxt.text):
                break
            r.consumed.add(idx)
            prev = nxt
            idx += 1


def _title_policy(r: _Reading) -> None:
    """A one-coverage certificate ("Certificate of Workers' Compensation Insurance") without headings."""
    if r.policies:
        return
    for line in r.lines[:8]:
        if _TITLE.search(line.text) and (found := _coverage_of(line.text)):
            pol = _Policy(found[0], found[1].group(0))
            for idx, other in enumerate(r.lines):
                if idx in r.consumed or _is_party_line(other.text):
                    continue
                _read_block_line(pol, other.text)
            if pol.number or pol.limits:
                r.policies.append(pol)
            return


def _is_party_line(text: str) -> bool:
    return bool(_RE_INSURED.match(text) or _RE_HOLDER.match(text) or _RE_PRODUCER.match(text)
                or _RE_DATE_LABEL.match(text) or _CITY_LINE.search(text))


def _document_policy_facts(r: _Reading) -> None:
    """Policy number and period printed once for a one-policy certificate (workers' comp forms)."""
    if len(r.policies) != 1:
        return
    pol = r.policies[0]
    if pol.number and pol.effective:
        return
    probe = _Policy(pol.coverage, pol.name)
    for idx, line in enumerate(r.lines):
        if idx in r.consumed:
            continue
        text = line.text
        if _RE_POLICY_NO.search(text) or _RE_PERIOD.match(text):
            _read_block_line(probe, text)
    pol.number = pol.number or probe.number
    pol.effective = pol.effective or probe.effective
    pol.expiration = pol.expiration or probe.expiration


def read_other(pages: list[PageWords]) -> dict[str, Any] | None:
    """A draft extraction (`form: other`) from a carrier's own certificate layout, or None."""
    lines = _lines(pages)
    if not lines:
        return None
    whole = " ".join(line.text for line in lines)
    if not re.search(r"insurance|insured|policy", whole, re.IGNORECASE):
        return None
    r = _Reading(lines)
    _read_header(r)
    _read_parties(r)
    _read_addressee(r)
    _read_description(r)
    _skip_paragraphs(r)
    _read_policies(r)
    _title_policy(r)
    _document_policy_facts(r)
    carrier = r.draft.pop("_carrier", None)
    naic = r.draft.pop("_naic", None)
    if not r.policies and not any(k in r.draft for k in ("insured", "certificate_holder")):
        log.info("no certificate facts in a non-ACORD layout")
        return None
    policies: list[dict[str, Any]] = []
    warnings: list[str] = []
    insurers: dict[str, dict[str, Any]] = {}
    for pol in r.policies:
        pol_carrier = pol.carrier or carrier
        pol_naic = pol.naic or (naic if pol_carrier == carrier else None)
        if pol_carrier:
            key = pol_carrier.casefold()
            insurers.setdefault(key, {"letter": None, "name": pol_carrier, "naic": pol_naic})
        entry: dict[str, Any] = {
            "coverage": pol.coverage,
            "coverage_name": pol.name if pol.coverage == OTHER else None,
            "insurer_letter": None,
            "carrier": pol_carrier,
            "naic": pol_naic,
            "policy_number": pol.number,
            "effective_date": pol.effective,
            "expiration_date": pol.expiration,
            "basis": pol.basis,
            "additional_insured": pol.ai,
            "waiver_of_subrogation": pol.wos,
            "limits": dict(pol.limits),
        }
        if pol.coverage == WC and pol.statutory:
            entry["statutory"] = True
        # A scan's words carry OCR confidence: the policy is as sure as its least sure word.
        confs = [w.conf for line in pol.lines for w in line.words]
        if confs and min(confs) < 1.0:
            entry["_conf"] = {"words": round(min(confs), 3)}
        label = pol.name or pol.coverage
        for key, what in (("policy_number", "policy number"), ("effective_date", "effective date"),
                          ("expiration_date", "expiration date")):
            if entry[key] is None:
                warnings.append(f"{label}: no {what} found")
        policies.append(entry)
    if not insurers and carrier:
        insurers[carrier.casefold()] = {"letter": None, "name": carrier, "naic": naic}
    if carrier is None:
        warnings.append("the issuing insurer was not found on the certificate")
    draft = {"form": "other", **r.draft, "insurers": list(insurers.values()), "policies": policies,
             "warnings": warnings}
    draft.setdefault("producer", None)
    return draft

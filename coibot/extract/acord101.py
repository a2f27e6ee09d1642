"""ACORD 101 Additional Remarks Schedule: the description continued, and policies listed there.

The remarks area is free text. Agency systems print the continued description first and then,
when the certificate has more policies than rows, one policy per group of "KEY: value" pairs
("INSR LTR: D  COVERAGE: ...  POLICY NUMBER: ...  LIMITS: Each Claim $2,000,000 / ...").
"""

from __future__ import annotations

import logging
import re
from typing import Any

from coibot.extract.layout import Box, Line, Page
from coibot.extract.limits_table import key_for
from coibot.extract.normalize import dates_from_garbled, fold, iso_date, normalize_name, parse_amount
from coibot.extract.parties import block_lines
from coibot.extract.words import PageWords

log = logging.getLogger(__name__)

_HEADING = re.compile(
    r"^\W*(description of operations\s*/?\s*locations\s*/?\s*vehicles|remarks)?\s*\(?continued\)?\s*:?\s*$",
    re.IGNORECASE,
)
_POLICIES_HEADING = re.compile(r"^\W*(additional|other|more)\s+(policies|coverages?)\b.*$", re.IGNORECASE)
# Keys a policy line may carry, folded, to the field they fill.
_KEYS: tuple[tuple[str, str], ...] = (
    ("insrltr", "letter"), ("insurerletter", "letter"), ("ltr", "letter"),
    ("typeofinsurance", "coverage"), ("coverage", "coverage"), ("policytype", "coverage"),
    ("policynumber", "number"), ("policyno", "number"),
    ("policyeff", "eff"), ("effectivedate", "eff"), ("effective", "eff"), ("eff", "eff"),
    ("policyexp", "exp"), ("expirationdate", "exp"), ("expiration", "exp"), ("exp", "exp"),
    ("policy", "number"),
    ("limits", "limits"), ("limit", "limits"),
    ("addlinsd", "addl"), ("additionalinsured", "addl"),
    ("subrwvd", "subr"), ("waiverofsubrogation", "subr"),
    ("insurer", "carrier"), ("carrier", "carrier"), ("naic", "naic"), ("basis", "basis"),
)
_KEY_RE = re.compile(
    r"\b(INSR\s*LTR|INSURER\s+LETTER|TYPE\s+OF\s+INSURANCE|COVERAGE|POLICY\s+TYPE|POLICY\s+(?:NUMBER|NO\.?|#)|"
    r"POLICY\s+EFF(?:ECTIVE)?(?:\s+DATE)?|EFFECTIVE(?:\s+DATE)?|POLICY\s+EXP(?:IRATION)?(?:\s+DATE)?|"
    r"EXPIRATION(?:\s+DATE)?|LIMITS?|ADDL\s*INSD|ADDITIONAL\s+INSURED|SUBR\s*WVD|WAIVER\s+OF\s+SUBROGATION|"
    r"INSURER|CARRIER|NAIC(?:\s*#|\s+CODE)?|BASIS)\s*[:;]",  # (a scan reads some colons as ";")
    re.IGNORECASE,
)
# The pointer page 1 ends with: "SEE ATTACHED ACORD 101", "(Continued on ACORD 101 Additional
# Remarks Schedule)", "** SEE ATTACHED ADDITIONAL REMARKS SCHEDULE **". Only a whole trailing
# sentence of that shape is a pointer: "see the attached contract for the scope" is wording.
_TARGET = (r"(?:acord\s*101|additional\s+remarks(?:\s+schedule)?|remarks\s+schedule|schedule|attached"
           r"|next\s+page|page\s+2)")
_POINTER = re.compile(
    r"[\s*(\[]*(?:please\s+)?(?:see|continued\s+on|cont'?d\s+on|refer\s+to)\s+(?:the\s+)?(?:attached\s+)?"
    + _TARGET + r"(?:[\s,]+(?:" + _TARGET + r"|for\s+(?:more|additional)\s+\w+))*[\s.*)\]]*$",
    re.IGNORECASE,
)


def is_acord101(page: PageWords) -> bool:
    """True when the page's title (in its top fifth) is Additional Remarks Schedule.

    An ACORD 25 names the schedule in its description label, lower down: that is not a title.
    """
    limit = page.height * 0.2
    text = "".join(fold(w.text) for w in page.words if w.top < limit)
    return "additionalremarksschedule" in text


def _remarks_region(page: Page) -> Box:
    title = page.find_first("FORM TITLE") or page.find_first("FORM NUMBER")
    heading = page.find_first("ADDITIONAL REMARKS", Box(0, page.height * 0.15, page.width, page.height))
    if title is not None:
        line = next((ln for ln in page.lines if ln.box.contains_center(title)), None)
        top = (line.box.bottom if line else title.bottom) + 0.5
    elif heading is not None:
        top = heading.bottom + 0.5
    else:
        top = page.height * 0.3
    # The remarks run to the schedule's frame (its lowest long rule) or the footer: rules inside
    # the area (under a table's heading row) do not end it.
    cell = page.cell(page.width / 2, top + 4, Box(0, top, page.width, page.height))
    long_rules = [(r.top + r.bottom) / 2 for r in page.hrules
                  if r.x1 - r.x0 >= page.width * 0.6 and (r.top + r.bottom) / 2 > top + 4]
    bottom = max(long_rules) if long_rules else page.height
    footer = page.find("ACORD 101", Box(0, top, page.width, page.height))
    if footer:
        bottom = min(bottom, footer[-1].top - 0.5)
    return Box(cell.x0, top, cell.x1, bottom)


def read_acord101(pw: PageWords) -> dict[str, Any]:
    """{"remarks": the continued text or None, "policies": [draft policies], "warnings": [...]}."""
    page = Page(pw)
    region = _remarks_region(page)
    lines = [ln for ln in page.lines_in(region) if ln.text.strip()]
    text_lines: list[str] = []
    policy_lines: list[Line] = []
    in_policies = False
    for ln in lines:
        line = ln.text.strip()
        if _POLICIES_HEADING.match(line):
            in_policies = True
            continue
        if not in_policies and (_starts_policy(line) or _table_header(page, ln) is not None):
            in_policies = True
        if in_policies:
            policy_lines.append(ln)
        elif not _HEADING.match(line):
            text_lines.append(line)
    remarks = " ".join(" ".join(text_lines).split()) or None
    warnings: list[str] = []
    policies = _table_policies(page, policy_lines, warnings)
    if policies is None:
        policies = parse_policies(" ".join(ln.text for ln in policy_lines), warnings, page.ocr)
    return {"remarks": remarks, "policies": policies, "warnings": warnings}


def read_schedule_alone(pw: PageWords) -> dict[str, Any]:
    """A remarks schedule with no certificate before it, as a draft of form "other": the agency as
    producer, the named insured, the remarks as the description, and any policies listed there.

    Its header's policy number and carrier belong to a policy of a form not sent (which coverage
    is not said), so no policy is made of them.
    """
    page = Page(pw)
    remarks = read_acord101(pw)
    warnings = ["an ACORD 101 Additional Remarks Schedule came without the certificate it continues; "
                "check it", *remarks["warnings"]]
    return {
        "form": "other",
        "certificate_date": None,
        "producer": {"name": _header_value(page, "AGENCY")},
        "insured": {"name": _header_value(page, "NAMED INSURED")},
        "insurers": [],
        "certificate_holder": None,
        "description_of_operations": remarks["remarks"],
        "policies": remarks["policies"],
        "warnings": warnings,
    }


def _header_value(page: Page, label: str) -> str | None:
    # (Isolated: AGENCY CUSTOMER ID above the frame is another label.)
    found = page.find(label, Box(0, 0, page.width, page.height * 0.35), isolated=4.0)
    if not found:
        return None
    lines = block_lines(page, found[0])
    return normalize_name(lines[0].text) if lines else None


# Column headings of a policies table on a remarks page, each with the field it fills.
_TABLE_HEADINGS: tuple[tuple[str, str], ...] = (
    ("INSR LTR", "letter"), ("LTR", "letter"), ("TYPE OF INSURANCE", "coverage"), ("COVERAGE", "coverage"),
    ("POLICY NUMBER", "number"), ("POLICY NO", "number"), ("POLICY EFF", "eff"), ("EFF DATE", "eff"),
    ("EFFECTIVE", "eff"), ("POLICY EXP", "exp"), ("EXP DATE", "exp"), ("EXPIRATION", "exp"),
    ("ADDL INSD", "addl"), ("ADDL", "addl"), ("SUBR WVD", "subr"), ("SUBR", "subr"), ("LIMITS", "limits"),
    ("INSURER", "carrier"), ("CARRIER", "carrier"), ("NAIC", "naic"),
)


def _table_header(page: Page, line: Line) -> list[tuple[float, str]] | None:
    """The columns (left edge, field) when `line` is a policies table's heading row."""
    if ":" in line.text:
        return None
    b = line.box
    area = Box(b.x0 - 1, b.top - 1, b.x1 + 1, b.bottom + 1)
    cols: dict[str, float] = {}
    taken: list[Box] = []
    for phrase, name in _TABLE_HEADINGS:
        if name in cols:
            continue
        for box in page.find(phrase, area):
            if not any(box.x0 < t.x1 and t.x0 < box.x1 for t in taken):
                cols[name] = box.x0
                taken.append(box)
                break
    if "number" not in cols or len(cols) < 4:
        return None
    return sorted((x, name) for name, x in cols.items())


def _table_policies(page: Page, lines: list[Line], warnings: list[str]) -> list[dict[str, Any]] | None:
    """Policies from a table (heading row, one row per policy, "Limits: ..." lines); None if no table."""
    header = None
    start = 0
    for i, ln in enumerate(lines):
        header = _table_header(page, ln)
        if header is not None:
            start = i + 1
            break
    if header is None:
        return None
    groups: list[dict[str, str]] = []
    for ln in lines[start:]:
        text = ln.text.strip()
        m = re.match(r"^\W*limits?\s*:?\s*", text, re.IGNORECASE)
        if m and groups:
            groups[-1]["limits"] = f"{groups[-1].get('limits', '')} {text[m.end():]}".strip()
            continue
        row: dict[str, list[str]] = {}
        for w in ln.words:
            name = header[0][1]
            for x, col in header:
                if w.x0 >= x - 3:
                    name = col
            row.setdefault(name, []).append(w.text)
        letter = row.get("letter", [])
        if len(letter) > 1 and len(letter[0]) == 1 and any(col == "coverage" for _, col in header):
            # The letter column holds one letter: the rest is the coverage's name, whose heading
            # a scan placed too far right ("LTR__TYPE OF INSURANCE" read as one word).
            row["letter"], row["coverage"] = letter[:1], letter[1:] + row.get("coverage", [])
        g = {k: " ".join(v) for k, v in row.items()}
        if g.get("number") or g.get("coverage"):
            groups.append(g)
        elif groups:
            # A wrapped cell (a long coverage name) continues the row above.
            for k, v in g.items():
                groups[-1][k] = f"{groups[-1].get(k, '')} {v}".strip()
    return [p for g in groups if (p := _policy(g, warnings, page.ocr)) is not None]


def _starts_policy(line: str) -> bool:
    keys = [fold(m.group(1)) for m in _KEY_RE.finditer(line)]
    return len(keys) >= 2 or any(k in ("insrltr", "policynumber") for k in keys)


def _field(key: str) -> str | None:
    f = fold(key)
    for frag, name in _KEYS:
        if f == frag or f.startswith(frag):
            return name
    return None


def parse_policies(text: str, warnings: list[str], ocr: bool = False) -> list[dict[str, Any]]:
    """Draft policies from "KEY: value" text; a repeated key starts the next policy."""
    matches = list(_KEY_RE.finditer(text))
    groups: list[dict[str, str]] = []
    cur: dict[str, str] = {}
    for i, m in enumerate(matches):
        name = _field(m.group(1))
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end():end].strip(" ;,|")
        if name is None:
            continue
        if name in cur:
            groups.append(cur)
            cur = {}
        cur[name] = value
    if cur:
        groups.append(cur)
    return [p for g in groups if (p := _policy(g, warnings, ocr)) is not None]


def coverage_of(name: str) -> str:
    f = fold(name)
    if "generalliab" in f or f in ("gl", "cgl"):
        return "general_liability"
    if "auto" in f and "liab" in f:
        return "automobile_liability"
    if "umbrella" in f:
        return "umbrella_liability"
    if "excess" in f:
        return "excess_liability"
    if "workerscomp" in f or "employersliab" in f:
        return "workers_compensation"
    return "other"


def _policy(g: dict[str, str], warnings: list[str], ocr: bool = False) -> dict[str, Any] | None:
    if not g.get("number") and not g.get("coverage"):
        return None
    name = normalize_name(g.get("coverage")) or ""
    kind = coverage_of(name) if name else "other"
    pol: dict[str, Any] = {"coverage": kind}
    if kind == "other":
        pol["coverage_name"] = name or None
    pol["insurer_letter"] = _letter(g.get("letter") or "", ocr)
    if g.get("carrier"):
        pol["carrier"] = normalize_name(g["carrier"])
    if g.get("naic"):
        digits = re.sub(r"\D", "", g["naic"])
        pol["naic"] = digits if len(digits) == 5 else None
    pol["policy_number"] = normalize_name(g.get("number"))
    for key, src in (("effective_date", "eff"), ("expiration_date", "exp")):
        raw = (g.get(src) or "").strip()
        pol[key] = iso_date(raw.split()[0]) if raw else None
        if raw and pol[key] is None:
            pol[key] = iso_date(raw)
    if ocr:
        pol["effective_date"], pol["expiration_date"] = dates_from_garbled(
            pol["effective_date"], pol["expiration_date"], [g.get("eff") or ""], [g.get("exp") or ""])
    for key, src in (("effective_date", "eff"), ("expiration_date", "exp")):
        raw = (g.get(src) or "").strip()
        if raw and pol[key] is None:
            warnings.append(f"remarks policy {pol['policy_number']}: {key} {raw!r} is not a date")
    for key, src in (("additional_insured", "addl"), ("waiver_of_subrogation", "subr")):
        raw = fold(g.get(src) or "")
        pol[key] = raw in ("y", "yes", "x") if src in g else False
    basis_text = " ".join(filter(None, (g.get("basis"), name))).lower()
    if kind in ("general_liability", "umbrella_liability", "excess_liability", "other"):
        if re.search(r"claims?[\s\-]*made", basis_text):
            pol["basis"] = "claims_made"
        elif re.search(r"\boccurr?(ence)?\b", basis_text):
            pol["basis"] = "occurrence"
    pol["limits"] = _limits(g.get("limits") or "", kind, warnings, ocr)
    if kind == "workers_compensation" and re.search(r"statut", g.get("limits") or "", re.IGNORECASE):
        pol["statutory"] = True
    return pol


def _letter(raw: str, ocr: bool) -> str | None:
    """The insurer letter of an "INSR LTR:" value; None unless it is one letter A-F.

    A scan may split the one printed glyph into two readings ("F F", "c D"): when those pieces
    name a single capital A-F, that is the letter.
    """
    letter = raw.strip(" .:").upper()
    if len(letter) == 1 and letter in "ABCDEF":
        return letter
    tokens = [t.strip(" .:,;|") for t in raw.split()]
    if not ocr or not 2 <= len(tokens) <= 3 or any(len(t) > 1 for t in tokens):
        return None
    capitals = {t for t in tokens if t in tuple("ABCDEF")}
    if len(capitals) == 2:
        # Pieces of one glyph: a B's stem and arms read as an E, its bowl's sliver as a B ("E B").
        # The letter is the one whose strokes hold the other's.
        capitals = {c for c in capitals if not any(c in _HELD_BY.get(o, "") for o in capitals)}
    return capitals.pop() if len(capitals) == 1 else None


# Capitals A-F whose printed strokes hold another's: an E holds an F's, a B an E's and an F's.
_HELD_BY = {"B": "EF", "E": "F"}


_LIMIT_PAIR = re.compile(r"([A-Za-z][A-Za-z .&'()/\-]*?)\s*:?\s*(\$?\s*\d[\d,. ]*\d|\$?\s*\d)")


def _limits(text: str, kind: str, warnings: list[str], ocr: bool = False) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for m in _LIMIT_PAIR.finditer(text):
        label = m.group(1).strip(" /;,-")
        # (On a scan, "$2.000.000" is commas read as dots.)
        value = parse_amount(m.group(2).replace("$", "").strip(), misread_commas=ocr)
        key = key_for(kind, label)
        if key is None or value is None:
            warnings.append(f"remarks limit {m.group(0).strip()!r} not read")
            continue
        out.setdefault(key, value)
    return out


def strip_pointer(description: str | None) -> str | None:
    """The description without its trailing "see attached ACORD 101" pointer."""
    if not description:
        return description
    out = _POINTER.sub("", description).strip()
    return out or None


def merge_remarks(draft: dict[str, Any], remarks: dict[str, Any]) -> None:
    """Append a schedule's remarks to the certificate's description and add its policies."""
    text = remarks.get("remarks")
    desc = strip_pointer(draft.get("description_of_operations"))
    if text:
        draft["description_of_operations"] = f"{desc} {text}" if desc else text
    else:
        draft["description_of_operations"] = desc
    draft.setdefault("policies", []).extend(remarks.get("policies") or [])
    draft.setdefault("warnings", []).extend(remarks.get("warnings") or [])

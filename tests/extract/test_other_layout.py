"""Certificates in an insurer's own layout: letters, blocks and tables drawn here with reportlab,
and the labelled corpus's `other` family, read by `other_layout.read_other`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen.canvas import Canvas

from coibot.extract import pdf_text
from coibot.extract.assemble import finalize
from coibot.extract.other_layout import read_other
from coibot.extract.words import PageWords, Word

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CORPUS = REPO / "tests" / "fixtures" / "certificates"


def _schema() -> Draft202012Validator:
    schema = json.loads((SHARED / "contract" / "certificate.schema.json").read_text())
    return Draft202012Validator(schema)


def _read(path: Path) -> dict[str, Any] | None:
    with pdf_text.open_pdf(path) as doc:
        pages = doc.read_pages()
    draft = read_other(pages)
    if draft is None:
        return None
    draft["source"] = {"file": path.name, "method": "text"}
    out = finalize(draft)
    errors = [e.message for e in _schema().iter_errors(out)]
    assert errors == [], errors
    return out


class _Doc:
    """A one-page PDF written line by line from the top, in points."""

    def __init__(self, path: Path, font: str = "Helvetica") -> None:
        self.c = Canvas(str(path), pagesize=LETTER, invariant=1)
        self.h = LETTER[1]
        self.y = 60.0
        self.font = font

    def line(self, text: str, x: float = 60, size: float = 10, gap: float = 14, bold: bool = False) -> None:
        bold_face = {"Helvetica": "Helvetica-Bold", "Times-Roman": "Times-Bold"}[self.font]
        self.c.setFont(bold_face if bold else self.font, size)
        self.c.drawString(x, self.h - self.y, text)
        self.y += gap

    def cells(self, items: list[tuple[float, str]], size: float = 9, gap: float = 12) -> None:
        self.c.setFont(self.font, size)
        for x, text in items:
            self.c.drawString(x, self.h - self.y, text)
        self.y += gap

    def skip(self, dy: float = 10) -> None:
        self.y += dy

    def save(self) -> None:
        self.c.showPage()
        self.c.save()


def _letter_prose(path: Path) -> None:
    """A carrier's letter: labels with colons, policies as headed paragraphs, limits after amounts."""
    d = _Doc(path, "Times-Roman")
    d.line("Harbor Light Mutual Insurance Company", size=15, gap=18, bold=True)
    d.line("41 Wharf Street, Portland, ME 04101  -  NAIC #: 26417", size=9, gap=30)
    d.line("EVIDENCE OF INSURANCE", x=230, size=13, gap=24, bold=True)
    d.line("Dated: March 9, 2026", gap=24)
    d.line("Insured: Northwind Glazing LLC")
    d.line("88 Shore Road")
    d.line("Bangor, ME 04401", gap=22)
    d.line("Producer: Lighthouse Risk Advisors")
    d.line("12 Exchange Street, Portland, ME 04101")
    d.line("Phone: 207.555.0142   E-mail: certs@lighthouse-risk.example", gap=22)
    d.line("Certificate Holder: Casco Bay Builders, Inc.")
    d.line("Attn: Risk Management")
    d.line("500 Fore Street")
    d.line("Portland, ME 04101", gap=26)
    d.line("1. Commercial General Liability (Occurrence)", bold=True)
    d.line("Policy No.: HLM-GL-300441", x=75)
    d.line("Term: 02/01/2026 - 02/01/2027", x=75)
    d.line("$1,000,000 Each Occurrence / $2,000,000 General Aggregate", x=75)
    d.line("$2,000,000 Products-Completed Operations Aggregate", x=75)
    d.line("Additional Insured: Yes    Waiver of Subrogation: Yes", x=75, gap=22)
    d.line("2. Professional Liability - Claims-Made", bold=True)
    d.line("Policy No.: HLM-PL-300442", x=75)
    d.line("Term: 02/01/2026 - 02/01/2027", x=75)
    d.line("Each Claim: $500,000", x=75)
    d.line("Aggregate: $1,000,000", x=75, gap=26)
    d.line("Description of Operations:")
    d.line("Glazing and curtain wall work at 500 Fore Street, Portland, ME. Casco Bay Builders, Inc. is an")
    d.line("additional insured as required by written contract.", gap=30)
    d.line("Should any of the above described policies be cancelled before the expiration date thereof,")
    d.line("notice will be delivered in accordance with the policy provisions.")
    d.save()


PROSE_TRUTH: dict[str, Any] = {
    "certificate_date": "2026-03-09",
    "insured": {"name": "Northwind Glazing LLC", "address": "88 Shore Road, Bangor, ME 04401"},
    "producer": {
        "name": "Lighthouse Risk Advisors",
        "address": "12 Exchange Street, Portland, ME 04101",
        "phone": "(207) 555-0142",
        "email": "certs@lighthouse-risk.example",
    },
    "certificate_holder": {
        "name": "Casco Bay Builders, Inc.",
        "address": "Attn: Risk Management, 500 Fore Street, Portland, ME 04101",
    },
    "description_of_operations": "Glazing and curtain wall work at 500 Fore Street, Portland, ME. Casco Bay "
    "Builders, Inc. is an additional insured as required by written contract.",
    "policies": [
        {
            "coverage": "general_liability",
            "policy_number": "HLM-GL-300441",
            "effective_date": "2026-02-01",
            "expiration_date": "2027-02-01",
            "basis": "occurrence",
            "additional_insured": True,
            "waiver_of_subrogation": True,
            "carrier": "Harbor Light Mutual Insurance Company",
            "naic": "26417",
            "limits": {
                "each_occurrence": 1000000,
                "general_aggregate": 2000000,
                "products_completed_operations_aggregate": 2000000,
            },
        },
        {
            "coverage": "other",
            "policy_number": "HLM-PL-300442",
            "effective_date": "2026-02-01",
            "expiration_date": "2027-02-01",
            "basis": "claims_made",
            "additional_insured": None,
            "waiver_of_subrogation": None,
            "carrier": "Harbor Light Mutual Insurance Company",
            "naic": "26417",
            "limits": {"each_claim": 500000, "aggregate": 1000000},
        },
    ],
}


def _blocks_no_colons(path: Path) -> None:
    """Label and value in two columns without colons; separate effective / expiration lines."""
    d = _Doc(path)
    d.line("PINE RIDGE CASUALTY COMPANY", size=14, gap=16, bold=True)
    d.line("Home Office: 9 Ridge Way, Helena, MT 59601", size=8, gap=26)
    d.line("CERTIFICATE OF INSURANCE", x=220, size=12, gap=26, bold=True)
    d.cells([(60, "Certificate Date"), (200, "11/14/2026")], gap=20)
    d.cells([(60, "Named Insured"), (200, "Big Sky Paving Co.")])
    d.cells([(200, "17 Airport Road")])
    d.cells([(200, "Billings, MT 59101")], gap=20)
    d.cells([(60, "Certificate Holder"), (200, "Yellowstone County")])
    d.cells([(200, "217 N 27th Street, Billings, MT 59101")], gap=24)
    d.line("Coverage: Business Auto Liability", bold=True)
    d.cells([(60, "Policy Number"), (200, "PRC-BA-77120")])
    d.cells([(60, "Effective Date"), (200, "07/01/2026")])
    d.cells([(60, "Expiration Date"), (200, "07/01/2027")])
    d.cells([(60, "Combined Single Limit"), (200, "$1,000,000")], gap=20)
    d.line("Coverage: Workers Compensation and Employers Liability", bold=True)
    d.cells([(60, "Policy Number"), (200, "PRC-WC-77121")])
    d.cells([(60, "Effective Date"), (200, "07/01/2026")])
    d.cells([(60, "Expiration Date"), (200, "07/01/2027")])
    d.cells([(60, "Workers Compensation"), (200, "Statutory Limits")])
    d.cells([(60, "E.L. Each Accident"), (200, "$500,000")])
    d.cells([(60, "E.L. Disease - Each Employee"), (200, "$500,000")])
    d.cells([(60, "E.L. Disease - Policy Limit"), (200, "$500,000")])
    d.cells([(60, "Waiver of Subrogation"), (200, "Yes")], gap=24)
    d.line("This certificate is issued as a matter of information only and confers no rights.")
    d.save()


BLOCKS_TRUTH: dict[str, Any] = {
    "certificate_date": "2026-11-14",
    "insured": {"name": "Big Sky Paving Co.", "address": "17 Airport Road, Billings, MT 59101"},
    "certificate_holder": {"name": "Yellowstone County", "address": "217 N 27th Street, Billings, MT 59101"},
    "description_of_operations": None,
    "policies": [
        {
            "coverage": "automobile_liability",
            "policy_number": "PRC-BA-77120",
            "effective_date": "2026-07-01",
            "expiration_date": "2027-07-01",
            "carrier": "PINE RIDGE CASUALTY COMPANY",
            "limits": {"combined_single_limit": 1000000},
        },
        {
            "coverage": "workers_compensation",
            "policy_number": "PRC-WC-77121",
            "effective_date": "2026-07-01",
            "expiration_date": "2027-07-01",
            "waiver_of_subrogation": True,
            "statutory": True,
            "limits": {
                "el_each_accident": 500000,
                "el_disease_each_employee": 500000,
                "el_disease_policy_limit": 500000,
            },
        },
    ],
}


def _table_period(path: Path) -> None:
    """A policy table whose period sits in one column ("01/01/2026 - 01/01/2027")."""
    d = _Doc(path)
    d.line("Summit Specialty Insurance Co.", size=14, gap=16, bold=True)
    d.line("NAIC 31120", size=8, gap=24)
    d.line("CERTIFICATE OF COVERAGE", x=220, size=12, gap=22, bold=True)
    d.line("Issue Date: 2026-06-30", gap=20)
    d.line("Insured: Alder Creek Landscaping Inc., 300 Elm Street, Boise, ID 83702", gap=14)
    d.line("Holder: City of Boise", gap=14)
    d.line("150 N Capitol Blvd, Boise, ID 83702", gap=22)
    d.cells([(40, "TYPE OF INSURANCE"), (190, "POLICY NO."), (290, "POLICY PERIOD"), (420, "LIMITS")], gap=14)
    d.cells(
        [
            (40, "Umbrella Liability"),
            (190, "SSI-UM-9001"),
            (290, "05/15/2026 - 05/15/2027"),
            (420, "Each Occurrence $5,000,000"),
        ]
    )
    d.cells([(420, "Aggregate $5,000,000")], gap=16)
    d.cells(
        [
            (40, "Pollution Liability"),
            (190, "SSI-PL-9002"),
            (290, "05/15/2026 - 05/15/2027"),
            (420, "Per Pollution Incident $1,000,000"),
        ]
    )
    d.cells([(420, "Aggregate $2,000,000")], gap=22)
    d.line("Remarks: Landscape maintenance of city parks.", gap=20)
    d.line("Authorized Representative")
    d.save()


TABLE_TRUTH: dict[str, Any] = {
    "certificate_date": "2026-06-30",
    "certificate_holder": {"name": "City of Boise", "address": "150 N Capitol Blvd, Boise, ID 83702"},
    "description_of_operations": "Landscape maintenance of city parks.",
    "policies": [
        {
            "coverage": "umbrella_liability",
            "policy_number": "SSI-UM-9001",
            "effective_date": "2026-05-15",
            "expiration_date": "2027-05-15",
            "carrier": "Summit Specialty Insurance Co.",
            "naic": "31120",
            "limits": {"each_occurrence": 5000000, "aggregate": 5000000},
        },
        {
            "coverage": "other",
            "policy_number": "SSI-PL-9002",
            "effective_date": "2026-05-15",
            "expiration_date": "2027-05-15",
            "limits": {"per_pollution_incident": 1000000, "aggregate": 2000000},
        },
    ],
}


def _broker_letter(path: Path) -> None:
    """A broker's letter: its letterhead is not a carrier; each row names its insurer and NAIC."""
    d = _Doc(path)
    d.line("Tall Oak Insurance Agency", size=14, gap=16, bold=True)
    d.line("12 Main Street, Ames, IA 50010", size=8, gap=24)
    d.line("To: Story County Facilities", gap=14)
    d.line("900 6th Street", gap=14)
    d.line("Nevada, IA 50201", gap=22)
    d.line("Date: January 21st, 2026", gap=20)
    d.line("CERTIFICATE OF INSURANCE", x=220, size=12, gap=22, bold=True)
    d.line("Named Insured and Address: Hawkeye Electric LLC", gap=14)
    d.line("77 Lincoln Way", gap=14)
    d.line("Ames, IA 50010", gap=22)
    d.cells([(40, "COVERAGE"), (170, "INSURER"), (330, "POLICY #"), (410, "TERM"), (500, "LIMITS")], gap=14)
    d.cells(
        [
            (40, "General Liability"),
            (170, "Cornbelt Mutual (NAIC 12345)"),
            (330, "CM-881"),
            (410, "03/01/2026-03/01/2027"),
            (500, "Each Occurrence $1,000,000"),
        ]
    )
    d.cells([(500, "General Aggregate $2,000,000")], gap=16)
    d.cells(
        [
            (40, "Auto Liability"),
            (170, "Loess Hills Casualty Co."),
            (330, "LH-2"),
            (410, "04/01/2026-04/01/2027"),
            (500, "Combined Single Limit $1,000,000"),
        ],
        gap=22,
    )
    d.line("Remarks: Electrical work at county buildings.", gap=20)
    d.save()


BROKER_TRUTH: dict[str, Any] = {
    "certificate_date": "2026-01-21",
    "insured": {"name": "Hawkeye Electric LLC", "address": "77 Lincoln Way, Ames, IA 50010"},
    "certificate_holder": {"name": "Story County Facilities", "address": "900 6th Street, Nevada, IA 50201"},
    "description_of_operations": "Electrical work at county buildings.",
    "policies": [
        {
            "coverage": "general_liability",
            "policy_number": "CM-881",
            "effective_date": "2026-03-01",
            "expiration_date": "2027-03-01",
            "carrier": "Cornbelt Mutual",
            "naic": "12345",
            "limits": {"each_occurrence": 1000000, "general_aggregate": 2000000},
        },
        {
            "coverage": "automobile_liability",
            "policy_number": "LH-2",
            "effective_date": "2026-04-01",
            "expiration_date": "2027-04-01",
            "carrier": "Loess Hills Casualty Co.",
            "naic": None,
            "limits": {"combined_single_limit": 1000000},
        },
    ],
}


def _caps_letter(path: Path) -> None:
    """Capital headings, a date alone under the letterhead, curly apostrophes, worded flags."""
    d = _Doc(path)
    d.line("Granite Peak Assurance Company", size=14, gap=16, bold=True)
    d.line("NAIC Code: 40404", size=8, gap=20)
    d.line("October 2, 2026", gap=22)
    d.line("CERTIFICATE OF INSURANCE", x=220, size=12, gap=22, bold=True)
    d.line("Insurance Agent: Summit Risk Partners", gap=14)
    d.line("Insured: Blue Lake Marine Services", gap=14)
    d.line("Certificate Holder: Port Authority of Duluth", gap=22)
    d.line("COMMERCIAL AUTO", bold=True)
    d.line("Policy Number: GPA-CA-1", x=75)
    d.line("Policy Period: 09/01/2026 through 09/01/2027", x=75)
    d.line("Combined Single Limit: $2,000,000", x=75)
    d.line("Additional Insured: Blanket", x=75)
    d.line("Waiver of Subrogation: Not Included", x=75, gap=22)
    d.line("WORKERS\u2019 COMPENSATION & EMPLOYER\u2019S LIABILITY", bold=True)
    d.line("Policy Number: GPA-WC-2", x=75)
    d.line("Policy Period: 09/01/2026 through 09/01/2027", x=75)
    d.line("Each Accident: $1,000,000", x=75)
    d.save()


CAPS_TRUTH: dict[str, Any] = {
    "certificate_date": "2026-10-02",
    "producer": {"name": "Summit Risk Partners"},
    "insured": {"name": "Blue Lake Marine Services"},
    "certificate_holder": {"name": "Port Authority of Duluth"},
    "policies": [
        {
            "coverage": "automobile_liability",
            "policy_number": "GPA-CA-1",
            "effective_date": "2026-09-01",
            "expiration_date": "2027-09-01",
            "additional_insured": True,
            "waiver_of_subrogation": False,
            "carrier": "Granite Peak Assurance Company",
            "naic": "40404",
            "limits": {"combined_single_limit": 2000000},
        },
        {
            "coverage": "workers_compensation",
            "policy_number": "GPA-WC-2",
            "effective_date": "2026-09-01",
            "limits": {"el_each_accident": 1000000},
        },
    ],
}


def _number_first(path: Path) -> None:
    """Each policy's number printed above its coverage heading."""
    d = _Doc(path)
    d.line("Keystone Indemnity Company", size=14, gap=24, bold=True)
    d.line("CERTIFICATE OF INSURANCE", x=220, size=12, gap=22, bold=True)
    d.line("Date: 08/08/2026", gap=14)
    d.line("Named Insured: Quarry Hill Demolition Inc.", gap=22)
    d.line("Policy Number: KIC-100")
    d.line("Coverage: Commercial General Liability")
    d.line("Policy Period: 01/01/2026 to 01/01/2027")
    d.line("Each Occurrence: $1,000,000", gap=20)
    d.line("Policy Number: KIC-200")
    d.line("Coverage: Umbrella Liability")
    d.line("Policy Period: 02/02/2026 to 02/02/2027")
    d.line("Each Occurrence: $5,000,000", gap=20)
    d.save()


NUMBER_FIRST_TRUTH: dict[str, Any] = {
    "certificate_date": "2026-08-08",
    "insured": {"name": "Quarry Hill Demolition Inc."},
    "policies": [
        {
            "coverage": "general_liability",
            "policy_number": "KIC-100",
            "effective_date": "2026-01-01",
            "limits": {"each_occurrence": 1000000},
        },
        {
            "coverage": "umbrella_liability",
            "policy_number": "KIC-200",
            "effective_date": "2026-02-02",
            "limits": {"each_occurrence": 5000000},
        },
    ],
}


def _check(out: dict[str, Any], truth: dict[str, Any]) -> None:
    for key in ("certificate_date", "description_of_operations"):
        if key in truth:
            assert out[key] == truth[key], key
    for party in ("insured", "producer", "certificate_holder"):
        for k, v in (truth.get(party) or {}).items():
            assert (out.get(party) or {}).get(k) == v, f"{party}.{k}"
    assert [p["coverage"] for p in out["policies"]] == [p["coverage"] for p in truth["policies"]]
    for got, want in zip(out["policies"], truth["policies"], strict=True):
        for k, v in want.items():
            assert got.get(k) == v, f"{want['coverage']}.{k}: {got.get(k)!r} != {v!r}"
        assert got["insurer_letter"] is None


@pytest.mark.parametrize(
    ("draw", "truth"),
    [
        (_letter_prose, PROSE_TRUTH),
        (_blocks_no_colons, BLOCKS_TRUTH),
        (_table_period, TABLE_TRUTH),
        (_broker_letter, BROKER_TRUTH),
        (_caps_letter, CAPS_TRUTH),
        (_number_first, NUMBER_FIRST_TRUTH),
    ],
    ids=[
        "letter-prose",
        "blocks-without-colons",
        "table-with-period-column",
        "broker-letter-insurer-column",
        "capitals-and-worded-flags",
        "number-above-heading",
    ],
)
def test_carrier_layouts_drawn_here(tmp_path: Path, draw: Any, truth: dict[str, Any]) -> None:
    path = tmp_path / "cert.pdf"
    draw(path)
    out = _read(path)
    assert out is not None
    assert out["form"] == "other"
    _check(out, truth)
    carriers = {p["carrier"] for p in out["policies"] if p["carrier"]}
    assert {i["name"] for i in out["insurers"]} == carriers
    assert all(i["letter"] is None for i in out["insurers"])


def test_other_coverage_keeps_its_printed_name(tmp_path: Path) -> None:
    path = tmp_path / "cert.pdf"
    _table_period(path)
    out = _read(path)
    assert out is not None
    other = out["policies"][1]
    assert other["coverage_name"] == "Pollution Liability"


def _slots(doc: dict[str, Any]) -> dict[str, Any]:
    """The scored values of an extraction, keyed by a stable path (policies by coverage+number)."""
    out: dict[str, Any] = {}
    for k in ("certificate_date", "description_of_operations", "form"):
        out[k] = doc.get(k)
    for party in ("producer", "insured", "certificate_holder"):
        for k, v in (doc.get(party) or {}).items():
            out[f"{party}.{k}"] = v
    for p in doc.get("policies") or []:
        number = re.sub(r"\s", "", p.get("policy_number") or "")
        tag = f"{p['coverage']}:{number}"
        for k in (
            "effective_date",
            "expiration_date",
            "basis",
            "additional_insured",
            "waiver_of_subrogation",
            "carrier",
            "naic",
        ):
            out[f"{tag}.{k}"] = p.get(k)
        out[f"{tag}.statutory"] = bool(p.get("statutory"))
        for k, v in (p.get("limits") or {}).items():
            out[f"{tag}.limits.{k}"] = v
    return {k: v for k, v in out.items() if v is not None}


def _norm(v: Any) -> Any:
    return " ".join(v.casefold().split()) if isinstance(v, str) else v


def test_corpus_other_family_f1() -> None:
    files = sorted(CORPUS.glob("other_*.pdf"))
    if not files:
        pytest.skip("the labelled corpus has no 'other' family yet")
    tp = fp = fn = 0
    for path in files:
        truth = json.loads(Path(f"{path}.truth.json").read_text())
        out = _read(path)
        assert out is not None, path.name
        want, got = _slots(truth), _slots(out)
        for k, v in want.items():
            if k in got and _norm(got[k]) == _norm(v):
                tp += 1
            else:
                fn += 1
        fp += sum(1 for k, v in got.items() if k not in want or _norm(want[k]) != _norm(v))
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert f1 >= 0.95, (f1, tp, fp, fn)


def _page(lines: list[str]) -> PageWords:
    words: list[Word] = []
    for i, text in enumerate(lines):
        x = 50.0
        for token in text.split():
            words.append(Word(token, x, 50 + i * 14, x + 5 * len(token), 60 + i * 14))
            x += 5 * len(token) + 4
    return PageWords(1, 612, 792, "text", words, [])


def test_not_a_certificate_is_none() -> None:
    invoice = _page(["INVOICE 1021", "Bill to: Acme Corp.", "Widgets 12 x $4.00", "Total due $48.00"])
    assert read_other([invoice]) is None
    assert read_other([PageWords(1, 612, 792, "text", [], [])]) is None
    assert read_other([]) is None


def test_value_not_printed_is_null() -> None:
    page = _page(
        [
            "Granite Peak Insurance Company",
            "CERTIFICATE OF INSURANCE",
            "Named Insured: Example Roofing LLC",
            "Coverage: Commercial General Liability",
            "Policy Number: GP-1001",
            "Each Occurrence $1,000,000",
        ]
    )
    draft = read_other([page])
    assert draft is not None
    (pol,) = draft["policies"]
    assert pol["policy_number"] == "GP-1001"
    assert pol["limits"] == {"each_occurrence": 1000000}
    # Nothing printed: no dates, no basis, no flags, no certificate date.
    assert pol["effective_date"] is None and pol["expiration_date"] is None
    assert pol["basis"] is None
    assert pol["additional_insured"] is None and pol["waiver_of_subrogation"] is None
    assert draft.get("certificate_date") is None
    assert "Commercial General Liability: no effective date found" in draft["warnings"]
    assert draft["insurers"] == [{"letter": None, "name": "Granite Peak Insurance Company", "naic": None}]


def test_scan_jitter_and_signature_carrier() -> None:
    """OCR words: a dash a sliver high stays on its line; an unreadable letterhead leaves the
    carrier to the signature block."""
    words = [
        Word("~#@%", 50, 20, 200, 40, conf=0.3),  # a logo band read as noise
        Word("CERTIFICATE", 50, 60, 120, 70),
        Word("OF", 124, 60, 136, 70),
        Word("INSURANCE", 140, 60, 200, 70),
        Word("Named", 50, 90, 80, 99),
        Word("Insured:", 83, 90, 120, 99.5),
        Word("Delta", 130, 90.6, 155, 99),
        Word("-", 158, 94, 162, 95),
        Word("Works", 165, 89.8, 195, 99.2),
        Word("Coverage:", 50, 120, 95, 129),
        Word("Commercial", 100, 120, 150, 129),
        Word("General", 153, 120, 190, 129),
        Word("Liability", 193, 120, 230, 129),
        Word("Policy", 50, 134, 80, 143),
        Word("Number:", 83, 134, 120, 143),
        Word("DG-77", 125, 134, 160, 143, conf=0.6),
        Word("Authorized", 50, 300, 100, 309),
        Word("Representative,", 103, 300, 170, 309),
        Word("Delta", 175, 300, 200, 309),
        Word("Mutual", 203, 300, 235, 309),
        Word("Insurance", 238, 300, 280, 309),
        Word("Company", 283, 300, 320, 309),
    ]
    draft = read_other([PageWords(1, 612, 792, "ocr", words, [])])
    assert draft is not None
    assert draft["insured"]["name"] == "Delta - Works"
    (pol,) = draft["policies"]
    assert (pol["coverage"], pol["policy_number"]) == ("general_liability", "DG-77")
    assert pol["carrier"] == "Delta Mutual Insurance Company"
    assert finalize(draft)["policies"][0]["confidence"] == 0.6


def test_two_party_columns_under_side_by_side_labels() -> None:
    def row(top: float, left: str, right: str) -> list[Word]:
        out: list[Word] = []
        for x0, text in ((50.0, left), (320.0, right)):
            x = x0
            for token in text.split():
                out.append(Word(token, x, top, x + 5 * len(token), top + 9))
                x += 5 * len(token) + 3
        return out

    words = [
        Word("CERTIFICATE", 200, 20, 260, 30),
        Word("OF", 263, 20, 275, 30),
        Word("INSURANCE", 278, 20, 330, 30),
    ]
    words += row(50, "PRODUCER:", "INSURED:")
    words += row(62, "Lakeside Brokers LLC", "Ferris Welding Co.")
    words += row(74, "4 Dock Road", "18 Forge Street")
    words += row(86, "Erie, PA 16501", "Meadville, PA 16335")
    words += row(120, "Coverage: Commercial General Liability", "")
    words += row(132, "Policy Number: FW-1", "")
    draft = read_other([PageWords(1, 612, 792, "text", words, [])])
    assert draft is not None
    assert draft["producer"]["name"] == "Lakeside Brokers LLC"
    assert draft["producer"]["address"] == "4 Dock Road, Erie, PA 16501"
    assert draft["insured"] == {
        "name": "Ferris Welding Co.",
        "address": "18 Forge Street, Meadville, PA 16335",
    }


def test_table_ends_at_a_garbled_description_heading() -> None:
    """A scan reads "SPECIAL PROVISIONS S / DESCRIPTION OF OPERATIONS": still the end of the table,
    and prose under it is not a policy row."""

    def row(top: float, cells: list[tuple[float, str]]) -> list[Word]:
        out: list[Word] = []
        for x0, text in cells:
            x = x0
            for token in text.split():
                out.append(Word(token, x, top, x + 4.5 * len(token), top + 8, conf=0.9))
                x += 4.5 * len(token) + 2.5
        return out

    words = row(20, [(200, "CERTIFICATE OF INSURANCE")])
    words += row(
        40, [(50, "Agent Contact:"), (120, "Ann Lee"), (160, "Tel."), (180, "(693)"), (210, "555-0184")]
    )
    words += row(
        60,
        [(50, "COVERAGE"), (170, "POLICY NUMBER"), (255, "EFFECTIVE"), (310, "EXPIRATION"), (365, "LIMITS")],
    )
    words += row(
        72,
        [
            (50, "Business Auto Liability"),
            (170, "BA-100"),
            (255, "01/01/2026"),
            (310, "01/01/2027"),
            (365, "Combined Single Limit"),
            (480, "$1,000,000"),
        ],
    )
    words += row(96, [(50, "SPECIAL PROVISIONS S / DESCRIPTION OF OPERATIONS")])
    words += row(108, [(50, "Re: Contract 12 - HVAC preventive maintenance at 2472 Washington Boulevard.")])
    draft = read_other([PageWords(1, 612, 792, "ocr", words, [])])
    assert draft is not None
    assert [p["policy_number"] for p in draft["policies"]] == ["BA-100"]
    assert draft["description_of_operations"].startswith("Re: Contract 12 - HVAC")
    assert draft["producer"]["phone"] == "(693) 555-0184"
    assert draft["producer"]["contact_name"] == "Ann Lee"


def test_certificate_date_labelled_mid_line() -> None:
    page = _page(
        [
            "Acme Insurance Company",
            "CERTIFICATE OF INSURANCE",
            "Certificate No.: 118 Date Issued: 01/02/2026",
            "Named Insured: X Co",
            "Coverage: Commercial General Liability",
            "Policy Number: A-1",
            "Effective Date: 03/03/2026",
        ]
    )
    draft = read_other([page])
    assert draft is not None
    assert draft["certificate_date"] == "2026-01-02"
    assert draft["policies"][0]["effective_date"] == "2026-03-03"


def test_retroactive_date_is_not_the_policy_term() -> None:
    page = _page(
        [
            "Acme Insurance Company",
            "CERTIFICATE OF INSURANCE",
            "Named Insured: X Co",
            "Coverage: Professional Liability - Claims-Made",
            "Policy Number: PL-1",
            "Retroactive Date: 01/01/2015",
            "Policy Period: 03/03/2026 to 03/03/2027",
            "Each Claim: $1,000,000",
        ]
    )
    draft = read_other([page])
    assert draft is not None
    (pol,) = draft["policies"]
    assert (pol["effective_date"], pol["expiration_date"]) == ("2026-03-03", "2027-03-03")
    assert (pol["coverage"], pol["coverage_name"], pol["basis"]) == (
        "other",
        "Professional Liability - Claims-Made",
        "claims_made",
    )
    assert pol["limits"] == {"each_claim": 1000000}


def test_block_with_its_own_insurer_and_a_limits_heading() -> None:
    page = _page(
        [
            "Acme Insurance Company",
            "CERTIFICATE OF INSURANCE",
            "Named Insured: X Co",
            "Type of Insurance: Cyber Liability",
            "Insurer: Beta Casualty Co. NAIC: 12345",
            "Policy Number: CY-1",
            "Effective Date: 01/01/2026 Expiration Date: 01/01/2027",
            "Limits: Each Claim $1,000,000",
            "Aggregate $2,000,000",
            "Limit: $5,000",
        ]
    )
    draft = read_other([page])
    assert draft is not None
    (pol,) = draft["policies"]
    assert (pol["coverage"], pol["coverage_name"], pol["carrier"], pol["naic"]) == (
        "other",
        "Cyber Liability",
        "Beta Casualty Co.",
        "12345",
    )
    assert (pol["policy_number"], pol["effective_date"], pol["expiration_date"]) == (
        "CY-1",
        "2026-01-01",
        "2027-01-01",
    )
    assert pol["limits"] == {"each_claim": 1000000, "aggregate": 2000000, "limit": 5000}
    assert draft["insurers"] == [{"letter": None, "name": "Beta Casualty Co.", "naic": "12345"}]


def test_basis_lines_and_short_amounts() -> None:
    page = _page(
        [
            "Acme Insurance Company",
            "CERTIFICATE OF INSURANCE",
            "Named Insured: X Co",
            "Coverage: Commercial General Liability",
            "Occurrence Form",
            "Policy Number: G-1",
            "Each Occurrence: $1M",
            "General Aggregate: $2M",
            "Coverage: Excess Liability",
            "Coverage Basis: Claims-Made",
            "Policy Number: X-1",
            "Each Occurrence $5,000,000",
        ]
    )
    draft = read_other([page])
    assert draft is not None
    gl, xs = draft["policies"]
    assert (gl["coverage"], gl["basis"], gl["limits"]) == (
        "general_liability",
        "occurrence",
        {"each_occurrence": 1000000, "general_aggregate": 2000000},
    )
    assert (xs["coverage"], xs["basis"], xs["limits"]) == (
        "excess_liability",
        "claims_made",
        {"each_occurrence": 5000000},
    )

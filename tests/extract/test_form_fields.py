"""Fillable certificates: values in AcroForm fields, read by name, by position, or both."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen.canvas import Canvas

from coibot.extract import form_fields
from coibot.extract.acord_field_names import classify
from coibot.extract.form_fields import Widget, extract_from_fields, merge, widget_words

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CORPUS = REPO / "tests" / "fixtures" / "certificates"
P1 = "F[0].P1[0]."


def _valid(out: dict[str, Any]) -> None:
    schema = json.loads((SHARED / "contract" / "certificate.schema.json").read_text())
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(out)]
    assert errors == [], errors


@dataclass
class _Field:
    name: str
    value: str | bool
    x: float
    top: float
    w: float = 120
    h: float = 10


def _form(path: Path, fields: list[_Field], printed: Sequence[tuple[float, float, str]] = ()) -> None:
    """A one-page PDF with text fields (str values) and check boxes (bool values), top-left coordinates."""
    c = Canvas(str(path), pagesize=LETTER)
    height = LETTER[1]
    c.setFont("Helvetica", 7)
    for x, top, text in printed:
        c.drawString(x, height - top - 7, text)
    for f in fields:
        y = height - f.top - f.h
        if isinstance(f.value, bool):
            c.acroForm.checkbox(name=f.name, checked=f.value, x=f.x, y=y, size=f.h, borderWidth=0)
        else:
            lines = f.value.count("\n") + 1
            c.acroForm.textfield(
                name=f.name,
                value=f.value,
                x=f.x,
                y=y,
                width=f.w,
                height=f.h * lines,
                fontSize=6,
                borderWidth=0,
                fieldFlags="multiline" if lines > 1 else "",
            )
    c.showPage()
    c.save()


def _acord_fields() -> list[_Field]:
    """ACORD 25 field names, each coverage on its own band of the page."""
    return [
        _Field(P1 + "Form_CompletionDate_A[0]", "04/02/2026", 480, 30),
        _Field(
            P1 + "Producer_FullName_A[0]",
            "Tall Oak Insurance Agency\n12 Main Street\nSuite 3\nAmes, IA 50010",
            30,
            60,
            h=9,
        ),
        _Field(P1 + "Producer_ContactPerson_FullName_A[0]", "Rita Moss", 320, 60),
        _Field(P1 + "Producer_ContactPerson_PhoneNumber_A[0]", "515.555.0199", 320, 72),
        _Field(P1 + "Producer_FaxNumber_A[0]", "515.555.0198", 450, 72),
        _Field(P1 + "Producer_ContactPerson_EmailAddress_A[0]", "rita@talloak.example", 320, 84),
        _Field(P1 + "NamedInsured_FullName_A[0]", "Prairie Roofing Co.", 30, 110),
        _Field(P1 + "NamedInsured_MailingAddress_LineOne_A[0]", "400 Elm Street", 30, 122),
        _Field(P1 + "NamedInsured_MailingAddress_CityName_A[0]", "Ames", 30, 134, w=60),
        _Field(P1 + "NamedInsured_MailingAddress_StateOrProvinceCode_A[0]", "IA", 95, 134, w=20),
        _Field(P1 + "NamedInsured_MailingAddress_PostalCode_A[0]", "50010", 120, 134, w=40),
        _Field(P1 + "Insurer_FullName_A[0]", "Cornbelt Mutual Insurance Company", 320, 110, w=180),
        _Field(P1 + "Insurer_NAICCode_A[0]", "12345", 510, 110, w=50),
        _Field(P1 + "Insurer_FullName_B[0]", "Loess Hills Casualty Co.", 320, 122, w=180),
        _Field(P1 + "Insurer_NAICCode_B[0]", "23456", 510, 122, w=50),
        # general liability band, top 200
        _Field(P1 + "GeneralLiability_InsurerLetterCode_A[0]", "A", 20, 200, w=12),
        _Field(P1 + "GeneralLiability_CoverageIndicator_A[0]", True, 40, 200, w=8, h=8),
        _Field(P1 + "GeneralLiability_OccurrenceIndicator_A[0]", True, 90, 212, w=8, h=8),
        _Field(P1 + "GeneralLiability_ClaimsMadeIndicator_A[0]", False, 50, 212, w=8, h=8),
        _Field(
            P1 + "CertificateOfInsurance_GeneralLiability_AdditionalInsuredCode_A[0]", "Y", 190, 200, w=14
        ),
        _Field(P1 + "Policy_GeneralLiability_SubrogationWaivedCode_A[0]", "", 210, 200, w=14),
        _Field(P1 + "Policy_GeneralLiability_PolicyNumberIdentifier_A[0]", "CMG 100200", 230, 200, w=100),
        _Field(P1 + "Policy_GeneralLiability_EffectiveDate_A[0]", "01/01/2026", 340, 200, w=50),
        _Field(P1 + "Policy_GeneralLiability_ExpirationDate_A[0]", "01/01/2027", 395, 200, w=50),
        _Field(P1 + "GeneralLiability_EachOccurrence_LimitAmount_A[0]", "1,000,000", 520, 200, w=60),
        _Field(P1 + "GeneralLiability_GeneralAggregate_LimitAmount_A[0]", "$2,000,000", 520, 248, w=60),
        # umbrella band, top 290: the Excess box is marked
        _Field(P1 + "ExcessUmbrella_InsurerLetterCode_A[0]", "B", 20, 290, w=12),
        _Field(P1 + "Policy_PolicyType_UmbrellaIndicator_A[0]", False, 40, 290, w=8, h=8),
        _Field(P1 + "Policy_PolicyType_ExcessIndicator_A[0]", True, 40, 302, w=8, h=8),
        _Field(P1 + "Policy_ExcessLiability_PolicyNumberIdentifier_A[0]", "LHX 7781", 230, 290, w=100),
        _Field(P1 + "Policy_ExcessLiability_EffectiveDate_A[0]", "02/15/2026", 340, 290, w=50),
        _Field(P1 + "Policy_ExcessLiability_ExpirationDate_A[0]", "02/15/2027", 395, 290, w=50),
        _Field(P1 + "ExcessUmbrella_Umbrella_EachOccurrenceAmount_A[0]", "5,000,000", 520, 290, w=60),
        _Field(P1 + "ExcessUmbrella_Umbrella_DeductibleOrRetentionAmount_A[0]", "10,000", 120, 314, w=60),
        # workers' compensation band, top 340
        _Field(P1 + "WorkersCompensationEmployersLiability_InsurerLetterCode_A[0]", "A", 20, 340, w=12),
        _Field(
            P1 + "WorkersCompensationEmployersLiability_WorkersCompensationStatutoryLimitIndicator_A[0]",
            True,
            450,
            340,
            w=8,
            h=8,
        ),
        _Field(P1 + "Policy_WorkersCompensation_SubrogationWaivedCode_A[0]", "Y", 210, 340, w=14),
        _Field(
            P1 + "Policy_WorkersCompensationAndEmployersLiability_PolicyNumberIdentifier_A[0]",
            "WC-55",
            230,
            340,
            w=100,
        ),
        _Field(
            P1 + "Policy_WorkersCompensationAndEmployersLiability_EffectiveDate_A[0]",
            "03/01/2026",
            340,
            340,
            w=50,
        ),
        _Field(
            P1 + "Policy_WorkersCompensationAndEmployersLiability_ExpirationDate_A[0]",
            "03/01/2027",
            395,
            340,
            w=50,
        ),
        _Field(
            P1 + "WorkersCompensationEmployersLiability_EmployersLiability_EachAccidentLimitAmount_A[0]",
            "500,000",
            520,
            352,
            w=60,
        ),
        # the 'other' row, top 390
        _Field(P1 + "OtherPolicy_InsurerLetterCode_A[0]", "B", 20, 390, w=12),
        _Field(
            P1 + "OtherPolicy_OtherPolicyDescription_A[0]", "Cyber Liability - Claims-Made", 40, 390, w=140
        ),
        _Field(P1 + "OtherPolicy_PolicyNumberIdentifier_A[0]", "CY-9", 230, 390, w=100),
        _Field(P1 + "OtherPolicy_PolicyEffectiveDate_A[0]", "05/05/2026", 340, 390, w=50),
        _Field(P1 + "OtherPolicy_PolicyExpirationDate_A[0]", "05/05/2027", 395, 390, w=50),
        _Field(P1 + "OtherPolicy_CoverageCode_A[0]", "Each Claim", 450, 390, w=60),
        _Field(P1 + "OtherPolicy_CoverageLimitAmount_A[0]", "$250,000", 520, 390, w=60),
        _Field(
            P1 + "CertificateOfLiabilityInsurance_ACORDForm_RemarkText_A[0]",
            "Roof replacement at 9 Oak Lane.\nHolder is additional insured.",
            30,
            440,
            w=500,
        ),
        _Field(
            P1 + "CertificateHolder_FullName_A[0]",
            "City of Ames\n515 Clark Avenue\nAmes, IA 50010",
            30,
            520,
            w=200,
        ),
    ]


def test_acord_field_names(tmp_path: Path) -> None:
    path = tmp_path / "acord-names.pdf"
    _form(path, _acord_fields())
    out = extract_from_fields(path)
    assert out is not None
    _valid(out)
    assert out["source"]["method"] == "form_fields"
    assert out["form"] == "acord25"
    assert out["certificate_date"] == "2026-04-02"
    assert out["producer"] == {
        "name": "Tall Oak Insurance Agency",
        "address": "12 Main Street, Suite 3, Ames, IA 50010",
        "contact_name": "Rita Moss",
        "phone": "(515) 555-0199",
        "email": "rita@talloak.example",
    }
    assert out["insured"] == {"name": "Prairie Roofing Co.", "address": "400 Elm Street, Ames, IA 50010"}
    assert out["certificate_holder"] == {
        "name": "City of Ames",
        "address": "515 Clark Avenue, Ames, IA 50010",
    }
    assert out["description_of_operations"] == "Roof replacement at 9 Oak Lane. Holder is additional insured."
    assert out["insurers"] == [
        {"letter": "A", "name": "Cornbelt Mutual Insurance Company", "naic": "12345"},
        {"letter": "B", "name": "Loess Hills Casualty Co.", "naic": "23456"},
    ]
    gl, xs, wc, other = out["policies"]
    assert gl["coverage"] == "general_liability"
    assert (gl["policy_number"], gl["effective_date"], gl["expiration_date"]) == (
        "CMG 100200",
        "2026-01-01",
        "2027-01-01",
    )
    assert gl["basis"] == "occurrence"
    assert gl["additional_insured"] is True and gl["waiver_of_subrogation"] is False
    assert gl["limits"] == {"each_occurrence": 1000000, "general_aggregate": 2000000}
    assert (gl["carrier"], gl["naic"]) == ("Cornbelt Mutual Insurance Company", "12345")
    # The Excess box is marked: excess, not umbrella; the retention is not a limit.
    assert xs["coverage"] == "excess_liability"
    assert xs["limits"] == {"each_occurrence": 5000000}
    assert xs["carrier"] == "Loess Hills Casualty Co."
    assert wc["coverage"] == "workers_compensation"
    assert wc["statutory"] is True and wc["waiver_of_subrogation"] is True
    assert wc["limits"] == {"el_each_accident": 500000}
    assert other["coverage"] == "other"
    assert other["coverage_name"] == "Cyber Liability - Claims-Made"
    assert other["basis"] == "claims_made"
    assert other["limits"] == {"each_claim": 250000}


def test_unlettered_names_take_the_row_they_sit_in(tmp_path: Path) -> None:
    """Older editions name row fields `Policy_PolicyNumberIdentifier_B`: the row tells the coverage."""
    fields = [f for f in _acord_fields() if "Policy_ExcessLiability" not in f.name]
    fields += [
        _Field("Policy_PolicyNumberIdentifier_B", "LHX 7781", 230, 290, w=100),
        _Field("Policy_EffectiveDate_B", "02/15/2026", 340, 290, w=50),
        _Field("Policy_ExpirationDate_B", "02/15/2027", 395, 290, w=50),
        _Field("CertificateOfInsurance_AdditionalInsuredCode_B", "X", 190, 290, w=14),
    ]
    path = tmp_path / "old-names.pdf"
    _form(path, fields)
    out = extract_from_fields(path)
    assert out is not None
    xs = next(p for p in out["policies"] if p["coverage"] == "excess_liability")
    assert (xs["policy_number"], xs["effective_date"], xs["expiration_date"]) == (
        "LHX 7781",
        "2026-02-15",
        "2027-02-15",
    )
    assert xs["additional_insured"] is True
    gl = next(p for p in out["policies"] if p["coverage"] == "general_liability")
    assert gl["policy_number"] == "CMG 100200"


def test_short_dotted_names_with_a_second_policy(tmp_path: Path) -> None:
    fields = [
        _Field("form.date", "12/01/2026", 480, 30),
        _Field("producer", "Bluff Agency\n1 River Road\nDubuque, IA 52001", 30, 60, h=9),
        _Field("insured", "Mill Creek Paving\n2 Quarry Lane\nDubuque, IA 52001", 30, 110, h=9),
        _Field("holder", "Port of Dubuque\n3 Dock Street\nDubuque, IA 52001", 30, 520, h=9),
        _Field("insurer.C.name", "Driftless Indemnity Co.", 320, 110, w=180),
        _Field("insurer.C.naic", "34567", 510, 110, w=50),
        _Field("gl.ltr", "C", 20, 200, w=12),
        _Field("gl.number", "GL-1", 230, 200, w=100),
        _Field("gl.eff", "06/01/2026", 340, 200, w=50),
        _Field("gl.exp", "06/01/2027", 395, 200, w=50),
        _Field("gl.claims_made", True, 50, 212, w=8, h=8),
        _Field("gl.lim.each_occurrence", "1,000,000", 520, 200, w=60),
        _Field("gl2.ltr", "C", 20, 250, w=12),
        _Field("gl2.number", "GL-2", 230, 250, w=100),
        _Field("gl2.eff", "06/01/2026", 340, 250, w=50),
        _Field("gl2.exp", "06/01/2027", 395, 250, w=50),
        _Field("gl2.lim.each_occurrence", "2,000,000", 520, 250, w=60),
        _Field("oth.type", "Inland Marine", 40, 390, w=140),
        _Field("oth.number", "IM-3", 230, 390, w=100),
        _Field("oth.limits", "Limit $100,000 / Deductible $1,000", 450, 390, w=140),
    ]
    path = tmp_path / "dotted.pdf"
    _form(path, fields)
    out = extract_from_fields(path)
    assert out is not None
    _valid(out)
    gls = [p for p in out["policies"] if p["coverage"] == "general_liability"]
    assert [(p["policy_number"], p["limits"]) for p in gls] == [
        ("GL-1", {"each_occurrence": 1000000}),
        ("GL-2", {"each_occurrence": 2000000}),
    ]
    assert gls[0]["basis"] == "claims_made" and gls[1]["basis"] is None
    assert {p["carrier"] for p in gls} == {"Driftless Indemnity Co."}
    other = next(p for p in out["policies"] if p["coverage"] == "other")
    assert other["limits"] == {"limit": 100000, "deductible": 1000}
    assert out["producer"]["name"] == "Bluff Agency"
    assert out["producer"]["address"] == "1 River Road, Dubuque, IA 52001"


def test_sample_001_matches_its_truth() -> None:
    pdf = SHARED / "samples" / "sample_001.pdf"
    truth = json.loads(Path(f"{pdf}.truth.json").read_text())
    out = extract_from_fields(pdf)
    assert out is not None
    _valid(out)
    for key in (
        "form",
        "certificate_date",
        "producer",
        "insured",
        "certificate_holder",
        "description_of_operations",
        "insurers",
    ):
        assert out[key] == truth[key], key
    keys = (
        "coverage",
        "coverage_name",
        "insurer_letter",
        "carrier",
        "naic",
        "policy_number",
        "effective_date",
        "expiration_date",
        "basis",
        "additional_insured",
        "waiver_of_subrogation",
        "limits",
    )
    assert [{k: p.get(k) for k in keys} for p in out["policies"]] == [
        {k: p.get(k) for k in keys} for p in truth["policies"]
    ]
    assert [bool(p.get("statutory")) for p in out["policies"]] == [
        bool(p.get("statutory")) for p in truth["policies"]
    ]


def _corpus(kind: str) -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for truth_path in sorted(CORPUS.glob("fillable_*.pdf.truth.json")):
        truth = json.loads(truth_path.read_text())
        fields = truth.get("_generator", {}).get("fields") or {}
        if f"{fields.get('naming')}/{fields.get('mode')}" == kind or fields.get("mode") == kind:
            out.append((Path(str(truth_path)[: -len(".truth.json")]), truth))
    return out


def _agreement(out: dict[str, Any], truth: dict[str, Any]) -> tuple[int, int]:
    """(equal, compared) over dates, policy numbers, limits and flags of policies paired by number."""
    equal = total = 0
    got = {re.sub(r"\s", "", p.get("policy_number") or ""): p for p in out["policies"]}
    for want in truth["policies"]:
        have = got.get(re.sub(r"\s", "", want.get("policy_number") or ""), {})
        for k in (
            "coverage",
            "effective_date",
            "expiration_date",
            "additional_insured",
            "waiver_of_subrogation",
            "insurer_letter",
        ):
            total += 1
            equal += have.get(k) == want.get(k)
        for k, v in (want.get("limits") or {}).items():
            total += 1
            equal += (have.get("limits") or {}).get(k) == v
    for k in ("certificate_date", "description_of_operations"):
        total += 1
        equal += out.get(k) == truth.get(k)
    return equal, total


@pytest.mark.parametrize("kind", ["generic/fields", "partial"])
def test_corpus_generic_names_and_partly_flattened(kind: str) -> None:
    """Generic names and partly flattened forms: fields merged with the printed page, by position."""
    files = _corpus(kind)
    if not files:
        pytest.skip(f"the labelled corpus has no {kind} fillable certificates")
    equal = total = 0
    for path, truth in files:
        out = extract_from_fields(path)
        assert out is not None, path.name
        _valid(out)
        assert out["source"]["method"] == truth["source"]["method"], path.name
        e, t = _agreement(out, truth)
        equal, total = equal + e, total + t
    assert equal / total >= 0.9, (equal, total)


def test_widgets_become_words_inside_their_rectangles() -> None:
    text = Widget(1, "Text7", "GL 100\nline two", False, False, 100, 200, 220, 220)
    box = Widget(1, "Check Box3", "Yes", True, True, 40, 300, 46, 306)
    empty = Widget(1, "Check Box4", "Off", True, False, 60, 300, 66, 306)
    words = widget_words([text, box, empty])
    assert [w.text for w in words] == ["GL", "100", "line", "two", "X"]
    for w in words[:4]:
        assert 100 <= w.x0 < w.x1 <= 220 and 200 <= w.top < w.bottom <= 220.5
    assert words[0].top < words[2].top  # the second line sits below the first
    assert (words[4].x0, words[4].top) == (40, 300)


def test_merge_fills_gaps_without_overwriting() -> None:
    by_name = {
        "certificate_date": "2026-01-02",
        "producer": {"name": "A Agency", "address": None},
        "insurers": [{"letter": "A", "name": None, "naic": "12345"}],
        "policies": [
            {
                "coverage": "general_liability",
                "policy_number": "G1",
                "effective_date": None,
                "additional_insured": None,
                "limits": {"each_occurrence": 1000000},
            }
        ],
    }
    by_position = {
        "certificate_date": "2030-01-01",
        "producer": {"name": "Wrong", "address": "1 Main St, Ames, IA 50010"},
        "insurers": [
            {"letter": "A", "name": "Alpha Mutual", "naic": "99999"},
            {"letter": "B", "name": "Beta Casualty", "naic": "22222"},
        ],
        "policies": [
            {"coverage": "general_liability", "policy_number": "G2", "effective_date": "2026-05-05"},
            {
                "coverage": "general_liability",
                "policy_number": "G1",
                "effective_date": "2026-01-01",
                "additional_insured": True,
                "limits": {"each_occurrence": 5, "general_aggregate": 2000000},
            },
        ],
    }
    out = merge(by_name, by_position)
    assert out["certificate_date"] == "2026-01-02"
    assert out["producer"] == {"name": "A Agency", "address": "1 Main St, Ames, IA 50010"}
    assert out["insurers"] == [
        {"letter": "A", "name": "Alpha Mutual", "naic": "12345"},
        {"letter": "B", "name": "Beta Casualty", "naic": "22222"},
    ]
    g1, g2 = out["policies"]
    assert g1["policy_number"] == "G1" and g1["effective_date"] == "2026-01-01"
    assert g1["additional_insured"] is True
    assert g1["limits"] == {"each_occurrence": 1000000, "general_aggregate": 2000000}
    assert g2["policy_number"] == "G2"


def test_not_a_fillable_certificate(tmp_path: Path) -> None:
    # A text PDF without an AcroForm.
    assert extract_from_fields(SHARED / "samples" / "sample_002.pdf") is None
    # A form whose fields are all empty: the text layer is the certificate.
    empty = tmp_path / "empty.pdf"
    _form(empty, [_Field("Text1", "", 30, 30), _Field("Check Box1", False, 30, 60, w=8, h=8)])
    assert extract_from_fields(empty) is None
    # Not a PDF at all, and a truncated one: no answer here, the reader reports the file.
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    assert extract_from_fields(junk) is None
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes((SHARED / "samples" / "sample_001.pdf").read_bytes()[:4000])
    assert extract_from_fields(truncated) is None


@pytest.mark.parametrize(
    ("name", "section", "attr"),
    [
        (
            P1 + "GeneralLiability_EachOccurrence_LimitAmount_A[0]",
            "general_liability",
            "limit:each_occurrence",
        ),
        (
            P1 + "Vehicle_PropertyDamage_PerAccidentLimitAmount_A[0]",
            "automobile_liability",
            "limit:property_damage",
        ),
        (
            P1 + "WorkersCompensationEmployersLiability_EmployersLiability_DiseasePolicyLimitAmount_A[0]",
            "workers_compensation",
            "limit:el_disease_policy_limit",
        ),
        (
            P1 + "Policy_WorkersCompensationAndEmployersLiability_PolicyNumberIdentifier_A[0]",
            "workers_compensation",
            "policy_number",
        ),
        (P1 + "CertificateOfInsurance_CertificateDate_A[0]", "certificate", "date"),
        (P1 + "Insurer_NAICCode_D[0]", "insurer", "naic"),
        (P1 + "OtherPolicy_OtherPolicyDescription_A[0]", "other", "coverage_name"),
        (P1 + "Producer_ContactPerson_PhoneNumber_A[0]", "producer", "phone"),
        (P1 + "CertificateOfInsurance_CertificateNumberIdentifier_A[0]", "", "ignore"),
        ("Policy_EffectiveDate_C", "", "effective_date"),
        ("wc.lim.el_disease_each_employee", "workers_compensation", "limit:el_disease_each_employee"),
        ("Text12", "", ""),
    ],
)
def test_field_names_classified_by_meaning(name: str, section: str, attr: str) -> None:
    meaning = classify(name)
    assert (meaning.section, meaning.attr) == (section, attr)


def test_merge_takes_the_continued_description() -> None:
    """Page 1's field ends with a pointer; the page reading has page 1 plus the remarks schedule."""
    by_name = {"description_of_operations": "Paving of the port road. SEE ATTACHED ACORD 101", "policies": []}
    by_position = {
        "description_of_operations": "Paving of the port road. The port is an additional insured.",
        "policies": [],
    }
    assert (
        merge(by_name, by_position)["description_of_operations"] == by_position["description_of_operations"]
    )
    # An unrelated text read from the page does not replace the fields' description.
    other = {
        "description_of_operations": "Something else entirely and much longer than the field",
        "policies": [],
    }
    assert merge(by_name, other)["description_of_operations"] == by_name["description_of_operations"]


def test_yes_no_radio_pairs(tmp_path: Path) -> None:
    """ADDL INSD / SUBR WVD as Y/N radio pairs: the chosen button's value decides, not its being on."""
    path = tmp_path / "radio.pdf"
    c = Canvas(str(path), pagesize=LETTER)
    height = LETTER[1]
    for name, value, x, top in (
        ("form.date", "01/01/2026", 480, 30),
        ("producer", "P Agency", 30, 60),
        ("insured", "I Co", 30, 110),
        ("holder", "H Co", 30, 500),
        ("gl.number", "G-1", 230, 200),
    ):
        c.acroForm.textfield(
            name=name, value=value, x=x, y=height - top - 10, width=100, height=10, fontSize=6
        )
    for name, chosen, x in (("gl.addl", "N", 190), ("gl.subr", "Y", 215)):
        for offset, value in ((0, "Y"), (10, "N")):
            c.acroForm.radio(
                name=name,
                value=value,
                selected=value == chosen,
                x=x + offset,
                y=height - 210,
                size=8,
                borderWidth=0,
            )
    c.showPage()
    c.save()
    out = extract_from_fields(path)
    assert out is not None
    (gl,) = out["policies"]
    assert (gl["policy_number"], gl["additional_insured"], gl["waiver_of_subrogation"]) == (
        "G-1",
        False,
        True,
    )


def test_fillable_carrier_letter_is_read_as_other_layout(tmp_path: Path) -> None:
    """Generic fields on a carrier's own letter: widgets join the printed labels, then the
    label-driven reader takes the page."""
    path = tmp_path / "letter-form.pdf"
    c = Canvas(str(path), pagesize=LETTER)
    height = LETTER[1]

    def label(x: float, top: float, text: str, size: float = 10, font: str = "Helvetica") -> None:
        c.setFont(font, size)
        c.drawString(x, height - top - size, text)

    def field(name: str, value: str, top: float) -> None:
        c.acroForm.textfield(
            name=name,
            value=value,
            x=160,
            y=height - top - 12,
            width=200,
            height=12,
            fontSize=10,
            borderWidth=0,
        )

    label(60, 40, "Harbor Light Mutual Insurance Company", 14, "Helvetica-Bold")
    label(220, 80, "CERTIFICATE OF INSURANCE", 12, "Helvetica-Bold")
    for top, text, name, value in (
        (110, "Date:", "Text1", "05/05/2026"),
        (130, "Named Insured:", "Text2", "Northwind Glazing LLC"),
        (150, "Certificate Holder:", "Text3", "Casco Bay Builders, Inc."),
        (198, "Policy Number:", "Text4", "HLM-GL-1"),
        (216, "Policy Period:", "Text5", "01/01/2026 to 01/01/2027"),
        (234, "Each Occurrence:", "Text6", "$1,000,000"),
    ):
        label(60, top, text)
        field(name, value, top - 1)
    label(60, 180, "Coverage: Commercial General Liability")
    c.showPage()
    c.save()
    out = extract_from_fields(path)
    assert out is not None
    _valid(out)
    assert out["form"] == "other"
    assert out["certificate_date"] == "2026-05-05"
    assert out["insured"]["name"] == "Northwind Glazing LLC"
    assert out["certificate_holder"]["name"] == "Casco Bay Builders, Inc."
    (gl,) = out["policies"]
    assert (gl["coverage"], gl["policy_number"], gl["effective_date"], gl["expiration_date"]) == (
        "general_liability",
        "HLM-GL-1",
        "2026-01-01",
        "2027-01-01",
    )
    assert gl["limits"] == {"each_occurrence": 1000000}
    assert gl["insurer_letter"] is None and gl["carrier"] == "Harbor Light Mutual Insurance Company"


def test_too_many_annotations_are_capped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A page with more widgets than any certificate has is read up to the cap, with a warning."""
    import coibot.extract.form_fields as form_fields

    monkeypatch.setattr(form_fields, "_MAX_ANNOTS", 6)
    fields = [
        _Field("form.date", "01/01/2026", 480, 30),
        _Field("insured", "Cap Test LLC", 30, 110),
        _Field("gl.number", "G-9", 230, 200),
    ] + [_Field(f"junk{i}", "x", 30, 300 + i * 12) for i in range(20)]
    path = tmp_path / "many.pdf"
    _form(path, fields)
    with caplog.at_level("WARNING", logger="coibot.extract.form_fields"):
        out = extract_from_fields(path)
    assert any("only the first 6 are read" in r.getMessage() for r in caplog.records)
    assert out is not None and out["policies"][0]["policy_number"] == "G-9"


def _xfa_pdf(fields: list[tuple[str, tuple[float, float, float, float]]], datasets: bytes) -> bytes:
    """A one-page PDF (written object by object) whose AcroForm has empty text widgets and an XFA
    datasets packet holding the values, as forms filled in an XFA viewer are saved."""
    kids = " ".join(f"{6 + i} 0 R" for i in range(len(fields)))
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots [{kids}] >>".encode(),
        f"<< /Fields [{kids}] /XFA [(datasets) 5 0 R] >>".encode(),
        b"<< /Length %d >>\nstream\n" % len(datasets) + datasets + b"\nendstream",
    ]
    for name, (x0, y0, x1, y1) in fields:
        objs.append(
            f"<< /Type /Annot /Subtype /Widget /FT /Tx /T ({name}) /Rect [{x0} {y0} {x1} {y1}] >>".encode()
        )
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


_XFA_DATA = b"""<?xml version="1.0" encoding="UTF-8"?>
<xfa:datasets xmlns:xfa="http://www.xfa.org/schema/xfa-data/1.0/"><xfa:data><F><P1>
<Form_CompletionDate_A>04/02/2026</Form_CompletionDate_A>
<Producer_FullName_A>Tall Oak Insurance Agency</Producer_FullName_A>
<NamedInsured_FullName_A>Prairie Roofing Co.</NamedInsured_FullName_A>
<CertificateHolder_FullName_A>City of Ames</CertificateHolder_FullName_A>
<Insurer_FullName_A>Cornbelt Mutual Insurance Company</Insurer_FullName_A>
<Insurer_NAICCode_A>12345</Insurer_NAICCode_A>
<GeneralLiability_InsurerLetterCode_A>A</GeneralLiability_InsurerLetterCode_A>
<GeneralLiability_OccurrenceIndicator_A>1</GeneralLiability_OccurrenceIndicator_A>
<GeneralLiability_ClaimsMadeIndicator_A>0</GeneralLiability_ClaimsMadeIndicator_A>
<Policy_GeneralLiability_PolicyNumberIdentifier_A>CMG 100200
</Policy_GeneralLiability_PolicyNumberIdentifier_A>
<Policy_GeneralLiability_EffectiveDate_A>01/01/2026</Policy_GeneralLiability_EffectiveDate_A>
<GeneralLiability_EachOccurrence_LimitAmount_A>1,000,000</GeneralLiability_EachOccurrence_LimitAmount_A>
</P1></F></xfa:data></xfa:datasets>"""


def test_values_kept_only_in_xfa_data(tmp_path: Path) -> None:
    path = tmp_path / "xfa.pdf"
    widgets = [
        (P1 + "Producer_FullName_A[0]", (30.0, 700.0, 200.0, 712.0)),
        (P1 + "Policy_GeneralLiability_PolicyNumberIdentifier_A[0]", (230.0, 500.0, 330.0, 510.0)),
    ]
    path.write_bytes(_xfa_pdf(widgets, _XFA_DATA))
    out = extract_from_fields(path)
    assert out is not None
    _valid(out)
    assert out["certificate_date"] == "2026-04-02"
    assert out["producer"]["name"] == "Tall Oak Insurance Agency"
    assert out["insured"]["name"] == "Prairie Roofing Co."
    assert out["certificate_holder"]["name"] == "City of Ames"
    (gl,) = out["policies"]
    assert (gl["policy_number"], gl["effective_date"], gl["basis"]) == (
        "CMG 100200",
        "2026-01-01",
        "occurrence",
    )
    assert gl["limits"] == {"each_occurrence": 1000000}
    assert (gl["carrier"], gl["naic"]) == ("Cornbelt Mutual Insurance Company", "12345")


def test_xfa_data_with_entities_is_refused(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>' + (
        b"<xfa:datasets xmlns:xfa='http://www.xfa.org/schema/xfa-data/1.0/'><xfa:data><F><P1>"
        b"<NamedInsured_FullName_A>&b;</NamedInsured_FullName_A></P1></F></xfa:data></xfa:datasets>"
    )
    path = tmp_path / "bomb.pdf"
    path.write_bytes(_xfa_pdf([(P1 + "NamedInsured_FullName_A[0]", (30.0, 600.0, 200.0, 612.0))], bomb))
    with caplog.at_level("WARNING", logger="coibot.extract.form_fields"):
        assert extract_from_fields(path) is None
    assert any("DTD or entities" in r.getMessage() for r in caplog.records)


def test_oversized_field_value_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "huge.pdf"
    c = Canvas(str(path), pagesize=LETTER)
    height = LETTER[1]
    for name, value, top in (
        ("insured", "Big Value LLC", 110),
        ("gl.number", "G-5", 200),
        ("description", "x" * 60000, 400),
    ):
        c.acroForm.textfield(
            name=name, value=value, x=30, y=height - top - 10, width=300, height=10, maxlen=100000
        )
    c.showPage()
    c.save()
    with caplog.at_level("WARNING", logger="coibot.extract.form_fields"):
        out = extract_from_fields(path)
    assert any("was skipped" in r.getMessage() for r in caplog.records)
    assert out is not None
    assert out["description_of_operations"] is None
    assert out["policies"][0]["policy_number"] == "G-5"


def test_a_value_printed_under_its_own_field_is_not_read_twice() -> None:
    from coibot.extract.form_fields import _printed_already
    from coibot.extract.words import Word

    field = Widget(1, "Text4", "GL-100", False, False, 100, 200, 200, 212)
    assert _printed_already(field, [Word("GL-100", 102, 201, 140, 210)])
    # A label or a different value inside the rectangle does not hide the field.
    assert not _printed_already(field, [Word("$", 101, 201, 105, 210)])
    assert not _printed_already(field, [Word("GL-999", 102, 201, 140, 210)])
    assert not _printed_already(field, [Word("GL-100", 300, 201, 340, 210)])


@pytest.mark.parametrize(
    ("name", "letter"),
    [
        ("insurer.F.name", "F"),
        ("insurer.F.naic", "F"),
        (P1 + "Insurer_FullName_F[0]", "F"),
        ("insurer.A.name", "A"),
    ],
)
def test_insurer_letter_f_is_not_form_scaffolding(name: str, letter: str) -> None:
    """ACORD paths open with "F[0]."; an "F" later in the name is insurer F."""
    meaning = classify(name)
    assert (meaning.section, meaning.index) == ("insurer", letter)


def test_an_umbrella_box_left_off_with_the_excess_mark_printed_lets_the_page_decide() -> None:
    # A partly flattened form: the EXCESS mark printed on the page, its field gone; the UMBRELLA
    # field is there, off. No box field is marked, so the printed page's reading says which.
    row = form_fields._Row(coverage="umbrella_liability", values={"policy_number": "LHX 7781"},
                           other_labels={}, other_amounts={}, kinds={}, present={"kind:umbrella"})
    by_name = {"policies": [form_fields._policy(row)]}
    merged = merge(by_name, {"policies": [{"coverage": "excess_liability", "policy_number": "LHX 7781"}]})
    assert merged["policies"][0]["coverage"] == "excess_liability"
    # A marked UMBRELLA box is not overruled by the page.
    row.kinds["umbrella"] = True
    merged = merge({"policies": [form_fields._policy(row)]},
                   {"policies": [{"coverage": "excess_liability", "policy_number": "LHX 7781"}]})
    assert merged["policies"][0]["coverage"] == "umbrella_liability"

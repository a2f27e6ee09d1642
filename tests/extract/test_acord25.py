"""The ACORD 25 layout reader on generated variants, the public samples and the real 2016/03 form."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from coibot.extract.acord25 import _holder_label, is_acord25, read_acord25
from coibot.extract.layout import Page
from coibot.extract.pdf_text import open_pdf
from coibot.extract.reader import extract_document
from coibot.extract.words import PageWords, Rule, Word
from tests.support.scan_words import scan_line

from .conftest import GL_LIMITS, REAL, SAMPLES, Cert, Pol, truth

Make = Callable[..., Path]


def _one(path: Path) -> dict[str, Any]:
    results = extract_document(path)
    assert len(results) == 1
    return results[0]


def _policy(doc: dict[str, Any], coverage: str, n: int = 0) -> dict[str, Any]:
    found = [p for p in doc["policies"] if p["coverage"] == coverage]
    assert len(found) > n, f"{coverage} #{n} missing in {doc['policies']}"
    return found[n]


def _standard() -> list[Pol]:
    return [
        Pol("gl", "A", "GL-100", addl="Y", subr="N", basis="occur", limits=GL_LIMITS),
        Pol("auto", "A", "AU-200", addl="N", subr="Y", basis=None,
            limits=[("COMBINED SINGLE LIMIT", "$1,000,000")]),
        Pol("wc", "A", "WC-300", statute=True, basis=None,
            limits=[("E.L. EACH ACCIDENT", "$500,000"), ("E.L. DISEASE - EA EMPLOYEE", "$500,000"),
                    ("E.L. DISEASE - POLICY LIMIT", "$500,000")]),
    ]


@pytest.mark.parametrize("variant", [
    {"page": "letter", "shift": 0.0, "mark": "X"},
    {"page": "a4", "shift": 0.0, "mark": "X"},
    {"page": "letter", "shift": 14.0, "mark": "X"},
    {"page": "letter", "shift": -5.0, "mark": "check"},
    {"page": "a4", "shift": 6.0, "mark": "square"},
])
def test_variants_read_the_same(make_cert: Make, variant: dict[str, Any]) -> None:
    doc = _one(make_cert(Cert(policies=_standard(), **variant)))
    assert doc["form"] == "acord25"
    assert doc["certificate_date"] == "2026-03-02"
    assert doc["producer"]["name"] == "Acme Insurance Agency"
    assert doc["producer"]["address"] == "1 Broker Way, Dallas, TX 75201"
    assert doc["producer"]["phone"] == "(214) 555-0100"
    assert doc["producer"]["email"] == "certs@acme.example"
    assert doc["producer"]["contact_name"] == "Jane Broker"
    assert doc["insured"] == {"name": "Bolt Roofing LLC", "address": "9 Elm Street, Austin, TX 78701"}
    assert doc["certificate_holder"]["address"] == "100 Main St, Springfield, IL 62704"
    gl = _policy(doc, "general_liability")
    assert gl["policy_number"] == "GL-100"
    assert gl["carrier"] == "Alpha Mutual Insurance Co." and gl["naic"] == "12345"
    assert (gl["effective_date"], gl["expiration_date"]) == ("2026-01-01", "2027-01-01")
    assert gl["basis"] == "occurrence"
    assert (gl["additional_insured"], gl["waiver_of_subrogation"]) == (True, False)
    assert gl["limits"] == {
        "each_occurrence": 1_000_000, "damage_to_rented_premises": 100_000, "medical_expense": 5_000,
        "personal_advertising_injury": 1_000_000, "general_aggregate": 2_000_000,
        "products_completed_operations_aggregate": 2_000_000,
    }
    auto = _policy(doc, "automobile_liability")
    assert auto["limits"] == {"combined_single_limit": 1_000_000}
    assert (auto["additional_insured"], auto["waiver_of_subrogation"]) == (False, True)
    wc = _policy(doc, "workers_compensation")
    assert wc["statutory"] is True
    assert wc["limits"]["el_disease_policy_limit"] == 500_000


@pytest.mark.parametrize("mark", ["X", "check", "square"])
def test_claims_made_box_and_excess_box(make_cert: Make, mark: str) -> None:
    pols = [Pol("gl", basis="claims", limits=GL_LIMITS[:1]),
            Pol("excess", number="XS-9", basis="occur", limits=[("EACH OCCURRENCE", "$5,000,000"),
                                                                 ("AGGREGATE", "$5,000,000")])]
    doc = _one(make_cert(Cert(policies=pols, mark=mark)))
    assert _policy(doc, "general_liability")["basis"] == "claims_made"
    xs = _policy(doc, "excess_liability")
    assert xs["basis"] == "occurrence"
    assert xs["limits"] == {"each_occurrence": 5_000_000, "aggregate": 5_000_000}
    assert not [p for p in doc["policies"] if p["coverage"] == "umbrella_liability"]


def test_unmarked_statute_and_unmarked_basis_are_not_guessed(make_cert: Make) -> None:
    pols = [Pol("gl", basis=None, limits=GL_LIMITS[:1]),
            Pol("wc", number="WC-1", statute=False, basis=None,
                limits=[("E.L. EACH ACCIDENT", "$1,000,000")])]
    doc = _one(make_cert(Cert(policies=pols)))
    assert _policy(doc, "general_liability")["basis"] is None
    assert "statutory" not in _policy(doc, "workers_compensation")


def test_several_gl_policies_and_carriers_by_letter(make_cert: Make) -> None:
    insurers = {"A": ("Alpha Mutual Insurance Co.", "12345"), "C": ("Gamma Casualty Company", "54321")}
    pols = [Pol("gl", "A", "GL-A1", limits=GL_LIMITS[:1]),
            Pol("gl", "C", "GL-C2", limits=[("EACH OCCURRENCE", "$2,000,000")])]
    doc = _one(make_cert(Cert(policies=pols, insurers=insurers)))
    first, second = _policy(doc, "general_liability", 0), _policy(doc, "general_liability", 1)
    assert (first["policy_number"], first["carrier"]) == ("GL-A1", "Alpha Mutual Insurance Co.")
    assert (second["policy_number"], second["carrier"], second["naic"]) == (
        "GL-C2", "Gamma Casualty Company", "54321")
    assert second["limits"]["each_occurrence"] == 2_000_000
    assert [i["letter"] for i in doc["insurers"]] == ["A", "C"]


def test_other_coverage_keeps_printed_labels(make_cert: Make) -> None:
    pols = [Pol("other", "A", "PL-7", name="Professional Liability - Claims-Made", basis=None,
                limits=[("Each Claim", "$1,000,000"), ("Aggregate", "$3,000,000")])]
    doc = _one(make_cert(Cert(policies=pols)))
    other = _policy(doc, "other")
    assert other["coverage_name"].startswith("Professional Liability")
    assert other["basis"] == "claims_made"
    assert other["limits"] == {"each_claim": 1_000_000, "aggregate": 3_000_000}


def test_unreadable_date_is_null_with_a_warning(make_cert: Make) -> None:
    pols = [Pol("gl", eff="13/45/2026", limits=GL_LIMITS[:1])]
    doc = _one(make_cert(Cert(policies=pols)))
    gl = _policy(doc, "general_liability")
    assert gl["effective_date"] is None
    assert gl["expiration_date"] == "2027-01-01"
    assert any("effective_date" in w for w in doc["warnings"])


def test_page_recognition() -> None:
    with open_pdf(SAMPLES / "sample_003.pdf") as d:
        cert = d.read_pages()[0]
    with open_pdf(REAL / "acord_101_2008_01_sample.pdf") as d:
        remarks = d.read_pages()[0]
    assert is_acord25(cert)
    assert not is_acord25(remarks)


@pytest.mark.parametrize("name", ["sample_002.pdf", "sample_003.pdf"])
def test_text_samples_match_truth(name: str) -> None:
    doc = _one(SAMPLES / name)
    want = truth(SAMPLES / name)
    for key in ("certificate_date", "producer", "insured", "insurers", "certificate_holder",
                "description_of_operations"):
        assert doc[key] == want[key], key
    fields = ("coverage", "insurer_letter", "carrier", "naic", "policy_number", "effective_date",
              "expiration_date", "basis", "additional_insured", "waiver_of_subrogation", "limits")
    got = [{k: p.get(k) for k in fields} for p in doc["policies"]]
    assert got == [{k: p.get(k) for k in fields} for p in want["policies"]]


def test_real_2016_form() -> None:
    """The real ACORD 25 (2016/03): boxes around some values, an 'other' row, no date printed."""
    with open_pdf(REAL / "acord_25_2016_03_sample.pdf") as d:
        draft = read_acord25(d.read_pages()[0])
    assert draft["certificate_date"] is None
    assert draft["producer"]["name"] == "Damon Bogich, LLC"
    assert draft["producer"]["address"] == "300 Mission St., Livonia, Mi 48152"
    assert draft["insured"]["name"] == "Lisa Gomez, LLC"
    assert draft["certificate_holder"]["address"] == "231 Reindeer Avenue, Los Angeles, CA 98776"
    assert draft["description_of_operations"] == (
        "Placeholder Description text to show how this will be extracted")
    assert [i["naic"] for i in draft["insurers"]] == ["11111", "22222", "33333", "44444", "55555", "66666"]
    kinds = [(p["coverage"], p["policy_number"], p["insurer_letter"]) for p in draft["policies"]]
    assert kinds == [("general_liability", "7843243-A", "A"), ("automobile_liability", "73 TRS 104039", "B"),
                     ("other", "7841276-A", "D")]
    assert draft["policies"][2]["coverage_name"] == "Garage Keepers Liability"
    assert draft["policies"][0]["limits"]["general_aggregate"] == 800_000
    assert draft["policies"][0]["additional_insured"] is True


def test_two_policies_in_one_block_and_a_wrapped_number(make_cert: Make) -> None:
    insurers = {"A": ("Alpha Mutual Insurance Co.", "12345"), "B": ("Beta Casualty Co.", "22222")}
    two = Pol("gl", "A", "GL-1", limits=GL_LIMITS[:2], more=[("B", "GL-2", "06/01/2026", "06/01/2027")])
    wrapped = Pol("auto", "A", "AU-123456789-", basis=None, more=[("", "0001", "", "")],
                  limits=[("COMBINED SINGLE LIMIT", "$1,000,000")])
    doc = _one(make_cert(Cert(policies=[two, wrapped], insurers=insurers)))
    gls = [p for p in doc["policies"] if p["coverage"] == "general_liability"]
    assert [(p["policy_number"], p["carrier"], p["effective_date"]) for p in gls] == [
        ("GL-1", "Alpha Mutual Insurance Co.", "2026-01-01"), ("GL-2", "Beta Casualty Co.", "2026-06-01")]
    assert gls[0]["limits"]["damage_to_rented_premises"] == 100_000
    autos = [p for p in doc["policies"] if p["coverage"] == "automobile_liability"]
    assert len(autos) == 1 and autos[0]["policy_number"] == "AU-123456789-"


def test_insurer_labels_a_scan_garbled_or_specked() -> None:
    def row(label: list[tuple[str, float]], y: float, name: str, naic: str) -> list[Word]:
        words = [Word(t, x, y, x + 4.0 * len(t), y + 5, 0.9) for t, x in label]
        return [*words, Word(name, 350, y, 440, y + 5, 0.95), Word(naic, 545, y, 567, y + 5, 0.95)]

    words = [Word("NAIC", 546, 150, 558, 155, 0.9), Word("#", 560, 150, 563, 155, 0.9),
             *row([("INSURER", 308), ("A", 337)], 162, "Granite Mutual", "10421"),
             *row([("INSURER", 308), ("B", 337)], 173, "Copper Canyon", "45078"),
             *row([("INSURER", 308), ("C", 337)], 184, "Bay State", "17450"),
             # "INSURER D:" read as one garbled word; "INSURER E" with a speck read as "t" before E.
             *row([("iwsuRERD:", 308)], 195, "Great Lakes", "22493"),
             *row([("INSURER", 308), ("t", 336.5), ("E", 339)], 206, "Prairie Fire", "23117")]
    draft = read_acord25(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words))
    assert [(i["letter"], i["naic"]) for i in draft["insurers"]] == [
        ("A", "10421"), ("B", "45078"), ("C", "17450"), ("D", "22493"), ("E", "23117")]


def test_an_unsure_naic_code_is_read_twice_more_and_two_agreeing_readings_win() -> None:
    words = [Word("NAIC", 546, 150, 558, 155, 0.9), Word("#", 560, 150, 563, 155, 0.9),
             Word("INSURER", 308, 162, 336, 167, 0.9), Word("A", 337, 162, 341, 167, 0.9),
             Word("Ohio Valley Casualty", 350, 162, 440, 167, 0.95),
             # Larger than the label and read unsurely: 28809 as 20009.
             Word("20009", 545, 159.5, 570, 169, 0.5)]
    page = PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words)

    def reader(digits: str, text: str) -> Any:
        def again(box: tuple[float, float, float, float], kind: str) -> Word | None:
            assert box[1] <= 159.5 and box[3] >= 169  # the digits' whole height
            value = {"digits": digits, "text": text}.get(kind)
            return Word(value, *box, 0.3) if value else None
        return again

    (ins,) = read_acord25(page, reread=reader("28809", "28809"))["insurers"]
    assert ins["naic"] == "28809"
    (ins,) = read_acord25(page, reread=reader("28809", "20009"))["insurers"]
    assert ins["naic"] == "20009"
    draft = read_acord25(page, reread=reader("28809", "28808"))
    assert draft["insurers"][0]["naic"] is None
    assert any("NAIC read as" in w for w in draft["warnings"])
    # Re-reads that give no code at all contradict nothing: the page's reading stands.
    (ins,) = read_acord25(page, reread=reader("", "ewe"))["insurers"]
    assert ins["naic"] == "20009"


def _header(words: list[Word], rules: list[Rule] | None = None) -> PageWords:
    title = [Word("CERTIFICATE", 125, 38.6, 230, 55.4, 0.5), Word("OF", 235, 39, 255, 50, 0.97),
             Word("LIABILITY", 259, 39, 331, 57, 0.97), Word("INSURANCE", 335, 39, 431, 55, 0.8)]
    return PageWords(number=1, width=612.0, height=792.0, method="ocr", words=title + words,
                     rules=rules or [])


def test_a_certificate_date_whose_label_was_misread_is_the_one_date_beside_the_title() -> None:
    label = [Word("“GATE", 486.7, 22.3, 503.5, 34.1, 0.66),
             Word("(MMIDOVYYYY)", 507, 22.3, 544.6, 34.1, 0.47)]
    draft = read_acord25(_header([*label, Word("2026-04-06", 517.2, 38.2, 557.8, 44.6, 0.97)]))
    assert draft["certificate_date"] == "2026-04-06"
    # Two dates there: which one is the certificate's is not known.
    two = [Word("2026-04-06", 517.2, 38.2, 557.8, 44.6, 0.97), Word("2026-05-01", 440, 45, 480, 51, 0.9)]
    draft = read_acord25(_header([*label, *two]))
    assert draft["certificate_date"] is None
    assert "certificate date label not found" in draft["warnings"]


def test_a_certificate_date_with_o_read_for_zero_and_a_large_one_read_again_to_its_cell_rule() -> None:
    label = [Word("DATE", 490.6, 27.4, 504.2, 32.2, 0.95), Word("(MM/DD/YYYY)", 506, 27.6, 545, 32.9, 0.9)]
    draft = read_acord25(_header([*label, Word("O1/30/2026", 516.7, 40.6, 553.0, 46.3, 0.59)]))
    assert draft["certificate_date"] == "2026-01-30"
    # A 14 pt date in a cell ruled at 24 and 54 pt: the page pass garbled it, the first strip cuts
    # its foot; the strip down to the cell's rule reads it (digits read apart are one number).
    cell = [Rule(486.5, 23.8, 582.2, 24.2), Rule(486.2, 53.8, 582.5, 54.2),
            Rule(486.5, 23.5, 487.2, 54.5), Rule(581.5, 23.5, 582.2, 54.2)]
    garbled = [Word("o4/t1", 513, 39.6, 534.7, 54.5, 0.26), Word("12026", 536, 40.6, 558, 53.5, 0.6)]
    page = _header([*label, *garbled], cell)

    def again(box: tuple[float, float, float, float], kind: str) -> Word | None:
        assert kind == "date"
        return Word("04/1 1/2026" if box[3] > 52 else "04/11/202", *box, 0.85)

    assert read_acord25(page, reread=again)["certificate_date"] == "2026-04-11"


def test_a_certificate_date_with_misread_separators_and_one_read_again_clear_of_its_label() -> None:
    label = [Word("DATE", 490.1, 22.3, 504.5, 34.1, 0.96),
             Word("(MM/DOIYYYY)", 506.4, 22.3, 546.7, 33.8, 0.25)]
    draft = read_acord25(_header([*label, Word("06°17", 514.8, 39.6, 532.6, 45.1, 0.86),
                                  Word("2026", 534.2, 39.6, 551.0, 45.1, 0.29)]))
    assert draft["certificate_date"] == "2026-06-17"
    # "/07/" lost by the page pass; the strip read again starts below the label's feet, which
    # at the top of a one-line crop make Tesseract read nothing.
    page = _header([*label, Word("06!", 507.1, 41.5, 520.6, 47.3, 0.61),
                    Word("2026", 539.3, 41.5, 559.2, 47.3, 0.97)])

    def again(box: tuple[float, float, float, float], kind: str) -> Word | None:
        return Word("06/07/2026", *box, 0.62) if box[1] > 34.1 + 1 else None

    assert read_acord25(page, reread=again)["certificate_date"] == "2026-06-07"


def test_insurer_labels_placed_by_their_feet_and_a_lost_one_by_the_pitch() -> None:
    def row(label: list[tuple[str, float, float]], y: float, name: list[tuple[str, float]],
            naic: str) -> list[Word]:
        words = [Word(t, x, y - above, x + 4.0 * len(t), y + 4.5, 0.9) for t, x, above in label]
        words += [Word(t, x, y, x + 4.5 * len(t), y + 5, c) for t, x, c in name]
        return [*words, *([Word(naic, 545, y, 567, y + 5, 0.95)] if naic else [])]

    names = [("oO:", 338.0, 0.6), ("Ohio", 347.0, 0.93), ("Valley", 366.0, 0.95), ("i", 392.0, 0.9),
             ("Casualty", 396.0, 0.96), ("C", 434.0, 0.42), ("Company", 440.0, 0.87)]
    words = [Word("NAIC", 546, 150, 558, 155, 0.9), Word("#", 560, 150, 563, 155, 0.9),
             # "INSURER A :" not read at all.
             *row([], 162, names, "28809"),
             # B read as 6: its letter comes from its place.
             *row([("INSURER", 308, 0), ("6", 334, 0)], 173,
                  [("Granite", 347.0, 0.96), ("Mutual", 390.0, 0.9)], "10421"),
             *row([("INSURER", 308, 0)], 184, [], ""),
             # A speck above D's label makes its box 4 pt taller: its foot still keeps the pitch.
             *row([("INSURER", 306, 4), ("D", 334, 0)], 195, [], ""),
             *row([("INSURER", 308, 0), ("E", 334, 0)], 206, [], ""),
             # A broken rule under F read as scraps of letters.
             *row([("INSURER", 308, 0), ("F", 334, 0)], 217,
                  [("es", 456.0, 0.19), ("Le", 472.0, 0.4), ("ee", 483.0, 0.34)], "")]
    draft = read_acord25(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words))
    assert [(i["letter"], i["name"], i["naic"]) for i in draft["insurers"]] == [
        ("A", "Ohio Valley Casualty Company", "28809"), ("B", "Granite Mutual", "10421")]


def test_the_holder_heading_is_not_the_same_words_in_the_description() -> None:
    # The heading misread by a letter; the description's prose spells "certificate holder" right.
    words = [*scan_line("The certificate holder is included as additional insured", 34.0, 563.0),
             *scan_line("CERTIFICATE HOLDEP", 30.0, 730.0), *scan_line("CANCELLATION", 300.0, 730.0),
             *scan_line("Harper & Vance General Contractors", 40.0, 745.0)]
    page = Page(PageWords(number=1, width=612.0, height=842.0, method="ocr", words=words))
    label = _holder_label(page)
    assert label is not None and label.top == 730.0


def test_the_holder_heading_is_read_past_a_speck_and_never_from_prose() -> None:
    prose = scan_line("holder is included as additional insured on a primary basis", 34.0, 563.0)
    heading = [*scan_line("CERTIFICATE", 30.0, 730.0), Word("t", 75.5, 731.0, 77.0, 734.0, 0.3),
               *scan_line("HOLDER", 78.0, 730.0), *scan_line("CANCELLATION", 300.0, 730.0)]
    # "The certificate" ends one line of the description, "holder is included" starts the next.
    words = [*scan_line("additional insured per written contract. The certificate", 34.0, 553.0), *prose]
    page = Page(PageWords(number=1, width=612.0, height=842.0, method="ocr", words=[*words, *heading]))
    label = _holder_label(page)
    assert label is not None and label.top == 730.0
    # The heading lost altogether: the prose is not taken for it.
    sentence = scan_line("the certificate holder is included as additional insured", 34.0, 563.0)
    page = Page(PageWords(number=1, width=612.0, height=842.0, method="ocr", words=sentence))
    assert _holder_label(page) is None

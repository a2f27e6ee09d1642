"""Party blocks and the producer's contact cells: what a scan misreads in them."""

from __future__ import annotations

import pytest

from coibot.extract.layout import Box, Page
from coibot.extract.parties import (
    _name_and_address_lines,
    contact_without_label,
    email_by_names,
    email_tld,
    email_without_at,
    read_contact,
    read_party,
    without_label,
)
from coibot.extract.words import PageWords, Rule, Word
from tests.support.scan_words import scan_line


def test_an_emails_misread_letters_are_put_back_from_the_names_beside_it() -> None:
    agency, contact = "Stonebridge Insurance Services", "Grace Fitzgerald"
    # A g read as a or q (its tail lost), a y read as v, rn run together into m.
    assert email_by_names("afitzqerald@stonebridaerisk.com", [agency, contact]) == (
        "gfitzgerald@stonebridgerisk.com")
    assert email_by_names("certs@kevstoneins.com", ["Keystone Insurance Agency", None]) == (
        "certs@keystoneins.com")
    assert email_by_names("jhemandez@acme.com", ["Acme Risk", "Juan Hernandez"]) == "jhernandez@acme.com"
    # A j's tail lost; an l read as a capital I (the address is lowercased) or as a 1.
    assert email_by_names("imoreno@copperfield.com", ["Copperfield", "James Moreno"]) == (
        "jmoreno@copperfield.com")
    assert email_by_names("Ischneider@stone.com", ["Stone", "Luis Schneider"]) == "lschneider@stone.com"
    assert email_by_names("1schneider@stone.com", ["Stone", "Luis Schneider"]) == "lschneider@stone.com"


def test_an_email_that_does_not_spell_the_names_is_left_alone() -> None:
    # Letters the names do not explain, or a name misread itself (q read as a): nothing changes.
    assert email_by_names("certs@northgateins.com", ["Northgate Insurance", "Sam Lindavist"]) == (
        "certs@northgateins.com")
    assert email_by_names("slindqvist@northgate.com", ["Northgate", "Samuel Lindavist"]) == (
        "slindqvist@northgate.com")
    assert email_by_names("Info@Apex.com", ["Agex Partners", None]) == "Info@Apex.com"
    # An i the names print as an i stays, and so does one whose capital I the scan read as an l.
    assert email_by_names("iris.lee@acme.com", ["Acme", "Iris Lee"]) == "iris.lee@acme.com"
    assert email_by_names("certs@ironwoodrisk.com", ["lronwood Insurance Brokers", "James Alvarez"]) == (
        "certs@ironwoodrisk.com")


def _holder_page(heading: bool) -> tuple[Page, Box]:
    # The bottom of a photographed ACORD 25 whose rule between CERTIFICATE HOLDER and
    # CANCELLATION was lost: nothing but the words tells the two blocks apart.
    words = scan_line("CERTIFICATE HOLDER", 30.0, 684.0)
    if heading:
        words += scan_line("CANCELLATION", 312.0, 684.0)
    clause = ["SHOULD ANY OF THE ABOVE DESCRIBED POLICIES BE CANCELLED BEFORE",
              "THE EXPIRATION DATE THEREOF, NOTICE WILL BE DELIVERED IN",
              "ACCORDANCE WITH THE POLICY PROVISIONS."]
    holder = ["Riverbend Medical Center", "7094 Market Street", "Boise, ID 83702"]
    for i, text in enumerate(clause):
        words += scan_line(text, 312.0, 696.0 + 10.0 * i)
    for i, text in enumerate(holder):
        words += scan_line(text, 40.0, 700.0 + 12.0 * i)
    page = Page(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words))
    label = page.find("CERTIFICATE HOLDER")[0]
    return page, label


@pytest.mark.parametrize("heading", [True, False], ids=["cancellation-heading", "clause-only"])
def test_the_holder_block_ends_before_the_cancellation_clause_without_a_rule(heading: bool) -> None:
    page, label = _holder_page(heading)
    party = read_party(page, label, [], "certificate holder")
    assert party == {"name": "Riverbend Medical Center", "address": "7094 Market Street, Boise, ID 83702"}


def test_a_label_stretched_up_by_a_stray_mark_still_finds_its_cells_rules() -> None:
    # A photo read PRODUCER as '‘PRODUCER': the quote stretches the label's box up past the top
    # of the rule between the producer's block and the contact cells beside it.
    words = [Word("‘PRODUCER", 30.2, 110.6, 62.9, 123.1, 0.43)]
    for i, text in enumerate(["Westfall Insurance Brokers, LLC", "5891 Airport Road", "Denver, CO 80202"]):
        words += scan_line(text, 38.0, 124.5 + 10.0 * i)
    words += scan_line("Priya Schneider", 440.0, 124.5) + scan_line("(900) 555-0161", 440.0, 135.0)
    rules = [Rule(29.0, 113.0, 583.0, 114.0), Rule(29.0, 157.7, 306.0, 158.0),
             Rule(29.0, 55.0, 30.0, 224.0), Rule(306.0, 120.5, 306.5, 189.0)]
    page = Page(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words, rules=rules))
    party = read_party(page, page.find("PRODUCER")[0], [], "producer")
    assert party == {"name": "Westfall Insurance Brokers, LLC",
                     "address": "5891 Airport Road, Denver, CO 80202"}


def test_a_block_ends_at_the_next_blocks_label_misread_by_a_letter() -> None:
    # No rule under the producer's block (a photo lost it): INSURED, read as NSURED, opens the next.
    words = [Word("PRODUCER", 30.0, 110.0, 62.0, 115.0, 0.9)]
    for i, text in enumerate(["Bluestem Insurance Agency, Inc.", "3137 Mill Pond Road", "Savannah, GA 31401",
                              "NSURED", "Maple Leaf HVAC Services", "8134 Corporate Circle"]):
        words += scan_line(text, 38.0 if text != "NSURED" else 30.0, 120.0 + 10.0 * i)
    page = Page(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words))
    party = read_party(page, page.find("PRODUCER")[0], [], "producer")
    assert party == {"name": "Bluestem Insurance Agency, Inc.",
                     "address": "3137 Mill Pond Road, Savannah, GA 31401"}


def test_a_scanned_addresss_misread_dot_com_is_put_right() -> None:
    assert email_tld("certs@lakeshorerisk.cam") == "certs@lakeshorerisk.com"
    assert email_tld("certs@lakeshorerisk.corn") == "certs@lakeshorerisk.com"
    # Real endings, and a dot before the @, stay.
    assert email_tld("certs@lakeshore.co") == "certs@lakeshore.co"
    assert email_tld("certs@lakeshore.org") == "certs@lakeshore.org"
    assert email_tld("jo.cam@lakeshore.com") == "jo.cam@lakeshore.com"


@pytest.mark.parametrize(("printed", "want"), [("(570)555-O108", "(570) 555-0108"),
                                               ("(570) 555-0l08", "(570) 555-0108"),
                                               ("(570) 555-0108", "(570) 555-0108"),
                                               ("Oi. SSSs0TTr7:", None)])
def test_a_scanned_phones_letter_for_a_digit_is_put_right(printed: str, want: str | None) -> None:
    words = [Word("PRODUCER", 30.0, 110.0, 62.0, 115.0, 0.9), *scan_line("CONTACT", 308.0, 116.0),
             *scan_line("PHONE", 308.0, 127.0), *scan_line(printed, 346.0, 127.0)]
    page = Page(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words))
    assert read_contact(page, [], page.find("PRODUCER")[0])["phone"] == want


@pytest.mark.parametrize(("printed", "want"), [("Ben@yourcompany com", "Ben@yourcompany.com"),
                                               ("certs@agency.co us", "certs@agency.co.us"),
                                               ("Ben@yourcompany", None)])
def test_an_address_whose_last_dot_was_lost_in_printing_keeps_it(printed: str, want: str | None) -> None:
    # The real 2014/01 sample prints "Ben@yourcompany com".
    words = [Word("PRODUCER", 30.0, 110.0, 62.0, 115.0), Word("E-MAIL", 308.0, 127.0, 330.0, 132.0),
             *scan_line(printed, 346.0, 127.0, conf=1.0)]
    page = Page(PageWords(number=1, width=612.0, height=792.0, method="text", words=words))
    assert read_contact(page, [], page.find("PRODUCER")[0])["email"] == want


@pytest.mark.parametrize(("read", "contact", "want"), [
    # The @ left a gap, or was read as a quote, a colon and a letter, a dash and a letter.
    ("mobrien keystonerisk.com", "Maria O'Brien", "mobrien@keystonerisk.com"),
    ("pokafor\u201ckeystonerisk.com", "Priya Okafor", "pokafor@keystonerisk.com"),
    ("certs:rkeystoneinsurance.com Nets", "Luis Alvarez", "certs@keystoneinsurance.com"),
    ("tkowalski-skeystonerisk.com", "Tomasz Kowalski", "tkowalski@keystonerisk.com"),
    # Read as a letter: only a name before it tells where the address's name ends.
    ("rduboistkeystonerisk.com", "Robert Dubois", "rdubois@keystonerisk.com"),
    ("certsukeystoneinsurance.com", "Priya Alvarez", None),
    # No host, a host that is not the agency's, two hosts: nothing to go by.
    ("Hannah Bennett", "Hannah Bennett", None),
    ("cers ninecrestrisk.com", "Robert Dubois", None),
    ("rduboistacmerisk.com", "Robert Dubois", None),
    ("certs.keystone.com keystonerisk.com x", "Robert Dubois", None),
])
def test_a_scanned_address_whose_at_was_lost_gets_it_back(read: str, contact: str, want: str | None) -> None:
    assert email_without_at(read, "Keystone Risk Partners", contact) == want


def test_the_email_cell_read_without_its_at_is_still_the_address() -> None:
    words = [Word("PRODUCER", 30.0, 110.0, 62.0, 115.0, 0.9),
             *scan_line("Keystone Risk Partners", 38.0, 120.0),
             *scan_line("CONTACT", 308.0, 116.0), *scan_line("Maria Lopez", 346.0, 116.0),
             *scan_line("E-MAIL", 308.0, 138.0), *scan_line("mlopez keystonerisk.com", 346.0, 138.0)]
    page = Page(PageWords(number=1, width=612.0, height=792.0, method="ocr", words=words))
    warnings: list[str] = []
    contact = read_contact(page, warnings, page.find("PRODUCER")[0], "Keystone Risk Partners")
    assert contact["email"] == "mlopez@keystonerisk.com"
    assert warnings == []


@pytest.mark.parametrize(("read", "want"), [
    ("E-MAJLcerts@harborviewinsurance.com", "certs@harborviewinsurance.com"),
    ("-MAILcerts@harborviewins.com", "certs@harborviewins.com"),
    ("ILcerts@copperfieldrisk.com", "certs@copperfieldrisk.com"),
    ("E-MAIL@harborviewinsurance.com", None),
    ("mail@agency.com", "mail@agency.com"),
    ("Hecerts@agency.com", "Hecerts@agency.com"),
])
def test_a_scanned_address_loses_what_it_took_from_its_label(read: str, want: str | None) -> None:
    assert without_label(read) == want


@pytest.mark.parametrize(("read", "email", "want"), [
    ("NAMES Fatima Alvarez", "certs@x.com", "Fatima Alvarez"),
    ("me Aisha Patel", "certs@x.com", "Aisha Patel"),
    ("See Robert Patel", "rpatel@x.com", "Robert Patel"),
    ("eu ACH Hannah Walsh", "hwalsh@x.com", "Hannah Walsh"),
    # Nothing says a first word is a speck: it stays.
    ("See Robert Patel", "certs@x.com", "See Robert Patel"),
    ("Mary Ann Smith", "msmith@x.com", "Mary Ann Smith"),
])
def test_a_scanned_contact_name_loses_the_words_read_before_it(read: str, email: str, want: str) -> None:
    assert contact_without_label(read, email) == want


@pytest.mark.parametrize(("lines", "name", "address"), [
    # The real 2014/01 sample's blocks, as its printer wrapped them.
    (["YourCompany.com An", "Network Member", "22 Gore Corner Road Suite 1H", "Mana NJ 07726"],
     "YourCompany.com An Network Member", ["22 Gore Corner Road Suite 1H", "Mana NJ 07726"]),
    (["Management Solutions", "Inc 914 Air Drive", "Clive IA 50325"],
     "Management Solutions Inc", ["914 Air Drive", "Clive IA 50325"]),
    (["Source,Inc. 8 Three", "Cho Rd. Suite 14", "Richmond VA 23228"],
     "Source,Inc.", ["8 Three", "Cho Rd. Suite 14", "Richmond VA 23228"]),
    # Names printed whole stay whole.
    (["Granite State Janitorial Services LLC", "5460 Mill Pond Road", "Boise, ID 83702"],
     "Granite State Janitorial Services LLC", ["5460 Mill Pond Road", "Boise, ID 83702"]),
    (["Smith & Sons Roofing", "Attn: Certificates", "12 Main St"],
     "Smith & Sons Roofing", ["Attn: Certificates", "12 Main St"]),
    (["Harbor Co", "DBA Harbor Paving", "1 Dock St"], "Harbor Co DBA Harbor Paving", ["1 Dock St"]),
])
def test_a_name_and_address_wrapped_across_each_others_lines_are_parted(
        lines: list[str], name: str, address: list[str]) -> None:
    assert _name_and_address_lines(lines) == (name, address)

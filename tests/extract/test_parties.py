"""Party blocks and the producer's contact cells: what a scan misreads in them."""

from __future__ import annotations

from coibot.extract.parties import email_by_names


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
    # An i the names print as an i stays.
    assert email_by_names("iris.lee@acme.com", ["Acme", "Iris Lee"]) == "iris.lee@acme.com"

"""Fictional companies, people and policies for the corpus; every draw comes from one seeded Random."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

STREETS = [
    "Main Street",
    "Market Street",
    "Industrial Parkway",
    "Corporate Circle",
    "Riverside Drive",
    "Harbor Boulevard",
    "Airport Road",
    "Commerce Drive",
    "Lakeview Avenue",
    "Elm Street",
    "Washington Boulevard",
    "Oak Hollow Lane",
    "Technology Way",
    "Mill Pond Road",
    "Granite Court",
]
CITIES = [
    ("Springfield", "IL", "62704"),
    ("Dayton", "OH", "45402"),
    ("Fresno", "CA", "93721"),
    ("Tulsa", "OK", "74103"),
    ("Raleigh", "NC", "27601"),
    ("Worcester", "MA", "01608"),
    ("Denver", "CO", "80202"),
    ("Nashville", "TN", "37203"),
    ("Boise", "ID", "83702"),
    ("Richmond", "VA", "23219"),
    ("Madison", "WI", "53703"),
    ("Spokane", "WA", "99201"),
    ("Albany", "NY", "12207"),
    ("Savannah", "GA", "31401"),
    ("Omaha", "NE", "68102"),
]
AGENCY_A = [
    "Harborview",
    "Northgate",
    "Bluestem",
    "Keystone",
    "Summit Ridge",
    "Copperfield",
    "Lakeshore",
    "Pinecrest",
    "Meridian",
    "Stonebridge",
    "Westfall",
    "Ironwood",
]
AGENCY_B = [
    "Insurance Agency, Inc.",
    "Insurance Brokers, LLC",
    "Risk Partners",
    "Insurance Services",
    "Insurance Group",
    "& Associates Insurance",
    "Brokerage Corp.",
]
INSURED_A = [
    "Bramble",
    "Redstone",
    "Quarry Hill",
    "Tidewater",
    "Lone Pine",
    "Maple Leaf",
    "Falcon Crest",
    "Silverline",
    "Cedar Point",
    "Granite State",
    "Prairie Wind",
    "Blue Heron",
    "Oakmont",
]
INSURED_B = [
    "Electrical Contractors, Inc.",
    "Roofing LLC",
    "Paving Co.",
    "Plumbing & Heating Corp.",
    "Landscape Services, LLC",
    "Demolition Inc.",
    "HVAC Services",
    "Painting Company",
    "Concrete Works, Inc.",
    "Janitorial Services LLC",
    "Fire Protection Co.",
    "Data Cabling Inc.",
]
CARRIERS = [
    ("Granite Mutual Insurance Company", "10421"),
    ("Prairie Fire & Casualty Co.", "23117"),
    ("Northern Lights Indemnity Company", "31862"),
    ("Bay State Assurance Corporation", "17450"),
    ("Red Cedar Specialty Insurance Co.", "40213"),
    ("Ohio Valley Casualty Company", "28809"),
    ("Atlantic Shoal Insurance Company", "19736"),
    ("Sierra Crest Underwriters, Inc.", "36621"),
    ("Heartland Workers Mutual", "12956"),
    ("Copper Canyon Insurance Company", "45078"),
    ("Great Lakes Surety & Casualty Co.", "22493"),
    ("Evergreen National Insurance Company", "33184"),
]
FIRST = [
    "Maria",
    "James",
    "Priya",
    "Daniel",
    "Olivia",
    "Kwame",
    "Hannah",
    "Luis",
    "Grace",
    "Tomasz",
    "Aisha",
    "Robert",
    "Mei",
    "Connor",
    "Fatima",
    "Samuel",
]
LAST = [
    "Alvarez",
    "Bennett",
    "Chen",
    "Dubois",
    "Okafor",
    "Fitzgerald",
    "Nakamura",
    "Kowalski",
    "Rossi",
    "Haddad",
    "Lindqvist",
    "Moreno",
    "O'Brien",
    "Patel",
    "Schneider",
    "Walsh",
]
HOLDERS = [
    "City of {city}",
    "{city} Unified School District",
    "Parkside Property Holdings, LLC",
    "Riverbend Medical Center",
    "Crescent Logistics Partners",
    "Harper & Vance General Contractors",
    "County of {county}",
    "Brightwater Apartments Owner LLC",
    "Keller Commercial Realty Trust",
    "State University Facilities Management",
]
COUNTIES = ["Marion", "Franklin", "Jefferson", "Clark", "Madison", "Lincoln"]
WORK = [
    "roof replacement",
    "electrical tenant improvements",
    "parking lot resurfacing",
    "HVAC preventive maintenance",
    "janitorial services",
    "fire sprinkler inspection",
    "site demolition",
    "landscape maintenance",
    "interior painting",
    "low-voltage cabling",
]
OTHER_COVERAGES = [
    "Professional Liability",
    "Cyber Liability",
    "Pollution Liability",
    "Employment Practices Liability",
    "Inland Marine",
    "Contractors Equipment",
    "Errors & Omissions",
]
OTHER_LABEL_SETS = [
    [("Each Claim", "each_claim"), ("Aggregate", "aggregate")],
    [("Per Claim", "per_claim"), ("Aggregate", "aggregate")],
    [("Each Occurrence", "each_occurrence"), ("Aggregate", "aggregate")],
    [("Limit", "limit")],
    [("Each Claim", "each_claim"), ("Aggregate", "aggregate"), ("Retention", "retention")],
]
ENDORSEMENTS = [
    "The certificate holder is included as additional insured on a primary and non-contributory basis "
    "with respect to general liability per form CG 20 10 04 13 and CG 20 37 04 13 "
    "when required by written contract.",
    "Additional insured status applies per CG 20 01 "
    "(Primary and Noncontributory - Other Insurance Condition).",
    "Waiver of subrogation applies in favor of the certificate holder with respect to general liability, "
    "automobile liability and workers compensation where required by written contract.",
    "Umbrella policy follows form over general liability, automobile liability and employers liability.",
    "Thirty (30) days notice of cancellation will be given, except ten (10) days for non-payment of premium.",
    "Blanket additional insured per CA 20 48 applies to automobile liability.",
]


def iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


@dataclass
class Party:
    name: str
    lines: list[str]  # printed address lines

    @property
    def address(self) -> str:
        return ", ".join(self.lines)


@dataclass
class Insurer:
    letter: str | None
    name: str
    naic: str | None


@dataclass
class Policy:
    coverage: str
    insurer: Insurer | None
    number: str
    eff: dt.date
    exp: dt.date
    basis: str | None = None
    ai: bool = False
    wos: bool = False
    statutory: bool = False
    wc_other: bool = False
    name: str | None = None  # coverage_name for 'other'
    limits: dict[str, int | None] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # printed label per limit key ('other')
    extra: dict[str, Any] = field(default_factory=dict)  # layout hints (auto boxes, aggregate per, ...)


@dataclass
class Cert:
    date: dt.date
    producer: Party
    contact: str
    phone: str
    fax: str | None
    email: str
    insured: Party
    insurers: list[Insurer]
    holder: Party
    description: list[str]  # paragraphs, printed one after the other
    policies: list[Policy]
    cert_number: str

    @property
    def description_text(self) -> str:
        return " ".join(self.description).replace("\n", " ")


def _street(r: random.Random) -> str:
    return f"{r.randint(100, 9899)} {r.choice(STREETS)}"


def _city_line(r: random.Random) -> str:
    c, s, z = r.choice(CITIES)
    return f"{c}, {s} {z}"


def address_lines(r: random.Random, suite: float = 0.25) -> list[str]:
    lines = [_street(r)]
    if r.random() < suite:
        lines.append(f"Suite {r.randint(1, 19) * 100 + r.randint(0, 50)}")
    lines.append(_city_line(r))
    return lines


def phone(r: random.Random) -> tuple[str, str]:
    """(printed, truth) phone with a 555-01xx fictional number."""
    area = r.randint(201, 989)
    tail = f"{r.randint(100, 199):04d}"
    truth = f"({area}) 555-{tail}"
    printed = r.choice([truth, f"{area}-555-{tail}", f"{area}.555.{tail}", f"({area})555-{tail}"])
    return printed, truth


def money(amount: int) -> int:
    return amount


def policy_number(r: random.Random, prefix: str) -> str:
    style = r.randrange(5)
    if style == 0:
        return f"{prefix}{r.randint(1000000, 9999999)}"
    if style == 1:
        return f"{prefix} {r.randint(100000, 999999)}-{r.randint(10, 99)}"
    if style == 2:
        letters = "".join(r.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
        return f"{letters}-{r.randint(100, 999)}-{r.randint(100000, 999999)}"
    if style == 3:
        return f"{r.randint(10, 99)}{prefix}{r.randint(100000, 999999)}"
    return f"{prefix}-{r.randint(2025, 2026)}-{r.randint(10000, 99999)}"


def make_cert(
    r: random.Random,
    *,
    n_insurers: int | None = None,
    other_count: int | None = None,
    dup: str | None = None,
    with_letters: bool = True,
) -> Cert:
    """A random certificate. dup: a coverage to list twice; other_count: number of 'other' rows."""
    cdate = dt.date(2026, 1, 5) + dt.timedelta(days=r.randint(0, 320))
    pname = f"{r.choice(AGENCY_A)} {r.choice(AGENCY_B)}"
    producer = Party(pname, address_lines(r))
    contact = f"{r.choice(FIRST)} {r.choice(LAST)}"
    ph_printed, _ = phone(r)
    fax = phone(r)[0] if r.random() < 0.6 else None
    domain = pname.split()[0].lower() + r.choice(["ins.com", "risk.com", "insurance.com"])
    email = r.choice(
        [f"certs@{domain}", f"{contact.split()[0][0].lower()}{contact.split()[1].lower()}@{domain}"]
    )
    email = email.replace("'", "")
    insured = Party(f"{r.choice(INSURED_A)} {r.choice(INSURED_B)}", address_lines(r, 0.15))
    if n_insurers is None:
        n_insurers = r.choice([1, 2, 2, 3, 3, 4, 5, 6])
    pool = r.sample(CARRIERS, max(n_insurers, 1))
    if with_letters:
        letters = sorted(r.sample("ABCDEF", n_insurers)) if r.random() < 0.35 else list("ABCDEF"[:n_insurers])
    else:
        letters = [None] * n_insurers  # type: ignore[list-item]
    insurers = [
        Insurer(letters[i], pool[i][0], pool[i][1] if r.random() < 0.92 else None) for i in range(n_insurers)
    ]

    def pick_ins() -> Insurer | None:
        return r.choice(insurers) if insurers else None

    start = cdate - dt.timedelta(days=r.randint(10, 300))

    def period() -> tuple[dt.date, dt.date]:
        eff = start if r.random() < 0.7 else cdate - dt.timedelta(days=r.randint(0, 360))
        try:
            exp = eff.replace(year=eff.year + 1)
        except ValueError:
            exp = eff + dt.timedelta(days=365)
        return eff, exp

    policies: list[Policy] = []
    kinds: list[str] = []
    if r.random() < 0.9:
        kinds.append("general_liability")
    if r.random() < 0.75:
        kinds.append("automobile_liability")
    if r.random() < 0.5:
        kinds.append(r.choice(["umbrella_liability", "excess_liability"]))
    if r.random() < 0.7:
        kinds.append("workers_compensation")
    if dup:
        kinds.insert(kinds.index(dup) + 1 if dup in kinds else len(kinds), dup)
        if kinds.count(dup) < 2:
            kinds.append(dup)
    if not kinds:
        kinds.append("general_liability")
    n_other = other_count if other_count is not None else r.choice([0, 0, 0, 1, 1, 2])
    kinds += ["other"] * n_other
    used_other: list[str] = []
    for k in kinds:
        eff, exp = period()
        ins = pick_ins()
        if k == "general_liability":
            occ = r.choice([500000, 1000000, 1000000, 2000000])
            agg = occ * r.choice([2, 2, 3])
            lim: dict[str, int | None] = {
                "each_occurrence": occ,
                "damage_to_rented_premises": r.choice([50000, 100000, 300000, 500000]),
                "medical_expense": r.choice([5000, 10000, 15000]),
                "personal_advertising_injury": occ,
                "general_aggregate": agg,
                "products_completed_operations_aggregate": agg,
            }
            if r.random() < 0.15:
                lim.pop("damage_to_rented_premises")
                lim.pop("medical_expense")
            p = Policy(
                k,
                ins,
                policy_number(r, r.choice(["CGL", "GL", "BOP", "CPP"])),
                eff,
                exp,
                basis=r.choice(["occurrence"] * 4 + ["claims_made", None]),
                ai=r.random() < 0.55,
                wos=r.random() < 0.45,
                limits=lim,
            )
            p.extra["agg_per"] = r.choice(["POLICY", "POLICY", "PROJECT", "LOC", None])
        elif k == "automobile_liability":
            if r.random() < 0.8:
                lim = {"combined_single_limit": r.choice([500000, 1000000, 1000000, 2000000])}
            else:
                lim = {
                    "bodily_injury_per_person": r.choice([250000, 500000]),
                    "bodily_injury_per_accident": r.choice([500000, 1000000]),
                    "property_damage": r.choice([100000, 250000]),
                }
            p = Policy(
                k,
                ins,
                policy_number(r, r.choice(["BA", "CA", "AUT"])),
                eff,
                exp,
                ai=r.random() < 0.4,
                wos=r.random() < 0.35,
                limits=lim,
            )
            p.extra["autos"] = r.choice(
                [["ANY"], ["ANY"], ["SCHEDULED", "HIRED", "NONOWNED"], ["OWNED", "HIRED", "NONOWNED"]]
            )
        elif k in ("umbrella_liability", "excess_liability"):
            amt = r.choice([1000000, 2000000, 5000000, 10000000])
            p = Policy(
                k,
                ins,
                policy_number(r, r.choice(["UMB", "XS", "CUP"])),
                eff,
                exp,
                basis=r.choice(["occurrence", "occurrence", "claims_made"]),
                ai=r.random() < 0.3,
                wos=r.random() < 0.3,
                limits={"each_occurrence": amt, "aggregate": amt},
            )
            p.extra["retention"] = r.choice([None, None, 10000, 0])
        elif k == "workers_compensation":
            el = r.choice([(500000, 500000, 500000), (1000000, 1000000, 1000000), (100000, 500000, 100000)])
            p = Policy(
                k,
                ins,
                policy_number(r, r.choice(["WC", "WCA"])),
                eff,
                exp,
                wos=r.random() < 0.5,
                statutory=r.random() < 0.85,
                limits={
                    "el_each_accident": el[0],
                    "el_disease_each_employee": el[1],
                    "el_disease_policy_limit": el[2],
                },
            )
            p.wc_other = not p.statutory and r.random() < 0.5
            p.extra["excluded"] = r.choice(["N", "N", "Y", ""])
        else:
            name = r.choice([c for c in OTHER_COVERAGES if c not in used_other])
            used_other.append(name)
            basis = None
            if (
                name
                in (
                    "Professional Liability",
                    "Cyber Liability",
                    "Errors & Omissions",
                    "Employment Practices Liability",
                    "Pollution Liability",
                )
                and r.random() < 0.5
            ):
                basis = r.choice(["claims_made", "occurrence"])
                name = name + (" - Claims-Made" if basis == "claims_made" else " - Occurrence")
            labels = r.choice(OTHER_LABEL_SETS)
            if name.startswith(("Inland", "Contractors")):
                labels = r.choice([[("Limit", "limit")], [("Limit", "limit"), ("Deductible", "deductible")]])
            amt = r.choice([250000, 500000, 1000000, 2000000])
            lim = {}
            lab = {}
            for text, key in labels:
                v = amt
                if key == "aggregate":
                    v = amt * r.choice([1, 2])
                elif key in ("retention", "deductible"):
                    v = r.choice([1000, 2500, 5000, 25000])
                lim[key] = v
                lab[key] = text
            p = Policy(
                "other",
                ins,
                policy_number(r, r.choice(["PL", "CYB", "POL", "EPL", "IM"])),
                eff,
                exp,
                basis=basis,
                ai=r.random() < 0.15,
                wos=r.random() < 0.15,
                name=name,
                limits=lim,
                labels=lab,
            )
        policies.append(p)

    hc, hs, hz = r.choice(CITIES)
    hname = r.choice(HOLDERS).format(city=hc, county=r.choice(COUNTIES))
    n_lines = r.choice([2, 3, 3, 3, 4])
    if n_lines == 2:
        hlines = [f"{_street(r)}, {hc}, {hs} {hz}"]
    elif n_lines == 3:
        hlines = [_street(r), f"{hc}, {hs} {hz}"]
    else:
        extra = r.choice(
            [
                "Attn: Risk Management",
                "c/o Facilities Department",
                "Attn: Contracts Administrator",
                f"Suite {r.randint(2, 9)}00",
            ]
        )
        street = _street(r)
        hlines = [street, extra] if extra.startswith("Suite") else [extra, street]
        hlines.append(f"{hc}, {hs} {hz}")
    holder = Party(hname, hlines)

    desc = [
        f"Re: {r.choice(['Project', 'Contract', 'Job', 'PO'])} #{r.randint(10000, 99999)} - "
        f"{r.choice(WORK)} at {_street(r)}, {_city_line(r)}."
    ]
    for e in r.sample(ENDORSEMENTS, r.choice([0, 1, 1, 2, 3])):
        desc.append(e.replace("the certificate holder", hname) if r.random() < 0.4 else e)
    if r.random() < 0.25:
        # a list printed one name per line
        others = r.sample([h for h in HOLDERS if "{" not in h and h != hname], 2)
        desc.append("\n".join(["Additional Insureds:", hname, *others]))
    return Cert(
        cdate,
        producer,
        contact,
        ph_printed,
        fax,
        email,
        insured,
        insurers,
        holder,
        desc,
        policies,
        cert_number=r.choice(
            ["", f"{r.randint(10000, 99999)}", f"CN-{r.randint(1000, 9999)}-{r.randint(10, 99)}"]
        ),
    )


def truth_of(
    c: Cert,
    *,
    family: str,
    file: str,
    sha256: str,
    pages: int,
    method: str,
    form: str = "acord25",
    generator: dict[str, Any] | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """The contract-shaped truth of a certificate, plus family and _generator."""
    _, phone_truth = c.phone, _phone_truth(c.phone)
    pols = []
    for p in c.policies:
        d: dict[str, Any] = {
            "coverage": p.coverage,
            "coverage_name": p.name if p.coverage == "other" else None,
            "insurer_letter": p.insurer.letter if p.insurer else None,
            "carrier": p.insurer.name if p.insurer else None,
            "naic": p.insurer.naic if p.insurer else None,
            "policy_number": p.number,
            "effective_date": iso(p.eff),
            "expiration_date": iso(p.exp),
            "basis": p.basis,
            "additional_insured": p.ai,
            "waiver_of_subrogation": p.wos,
            "limits": dict(p.limits),
        }
        if p.coverage == "workers_compensation" and p.statutory:
            d["statutory"] = True
        pols.append(d)
    return {
        "family": family,
        "source": {"file": file, "sha256": sha256, "pages": pages, "method": method},
        "form": form,
        "certificate_date": iso(c.date),
        "producer": {
            "name": c.producer.name,
            "address": c.producer.address,
            "contact_name": c.contact,
            "phone": phone_truth,
            "email": c.email,
        }
        if c.producer.name
        else None,
        "insured": {"name": c.insured.name, "address": c.insured.address},
        "insurers": [{"letter": i.letter, "name": i.name, "naic": i.naic} for i in c.insurers],
        "certificate_holder": {"name": c.holder.name, "address": c.holder.address},
        "description_of_operations": description if description is not None else c.description_text,
        "policies": pols,
        "warnings": [],
        "_generator": generator or {},
    }


def _phone_truth(printed: str) -> str | None:
    digits = "".join(ch for ch in printed if ch.isdigit())
    if len(digits) != 10:
        return None
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"

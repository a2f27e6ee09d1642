"""What a fillable certificate's form field holds, read from the field's name.

Agency systems fill ACORD 25 with ACORD's own names
(`F[0].P1[0].GeneralLiability_EachOccurrence_LimitAmount_A[0]`, `Insurer_NAICCode_B[0]`,
`Policy_GeneralLiability_PolicyNumberIdentifier_A[0]` or, on older editions, a bare
`Policy_PolicyNumberIdentifier_B[0]`); other generators use short dotted names
(`gl.lim.each_occurrence`, `insurer.A.naic`). Rather than one table per edition, a name is cut
into lower-case words and matched by meaning, so spellings we have not seen still read. A name
that tells nothing (`Text12`) classifies as unknown and is left to the field's position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Coverage sections of the ACORD 25 table, in the contract's words.
GL = "general_liability"
AUTO = "automobile_liability"
UMBRELLA = "umbrella_liability"
WC = "workers_compensation"
OTHER = "other"
COVERAGE_SECTIONS = (GL, AUTO, UMBRELLA, WC, OTHER)

IGNORE = "ignore"

# Path components that only structure the form (XFA subforms, pages), never meaning.
_SCAFFOLD = re.compile(r"(?i)f|p\d+|page\d*|form\d*|topmostsubform|#?subform\d*|#pageset|body|main")


@dataclass(frozen=True, slots=True)
class FieldMeaning:
    """Where a field's value goes: `section` ("" when the name does not say), `attr`, `index`."""

    section: str
    attr: str
    index: str = ""  # insurer letter, or the pair index of an "other" limit label/amount
    row: int = 0  # a second policy of one coverage ("gl2.number") is row 1


_UNKNOWN = FieldMeaning("", "")


def name_tokens(name: str) -> list[str]:
    """Lower-case words of a field name: camel case, underscores, dots and digits split."""
    s = re.sub(r"\[\d*\]", "", name)
    parts = [p for p in s.split(".") if p]
    # Only the leading path ("F[0].P1[0]." or "form1[0].#subform[0].") is scaffolding: a later
    # "F" is insurer F in "insurer.F.name".
    while len(parts) > 1 and _SCAFFOLD.fullmatch(parts[0]):
        parts.pop(0)
    words: list[str] = []
    for part in parts:
        p = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", part)
        p = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", p)
        p = re.sub(r"([A-Za-z])(\d)", r"\1 \2", p)
        words += [w for w in re.split(r"[^a-z0-9]+", p.lower()) if w]
    return words


def _has(text: str, *phrases: str) -> bool:
    return any(f" {p} " in text for p in phrases)


def _section_of(tokens: list[str], text: str) -> str:
    first = tokens[0] if tokens else ""
    if _has(text, "workers", "wc", "employers liability", "workers compensation"):
        return WC
    if _has(text, "umbrella", "excess", "umb", "excess liability"):
        return UMBRELLA
    if _has(text, "vehicle", "automobile", "auto", "autos", "al"):
        return AUTO
    if _has(text, "general liability", "gl", "cgl", "commercial general"):
        return GL
    if _has(text, "other policy", "oth") or first == "other":
        return OTHER
    return ""


_SHORT_SECTIONS = frozenset({"gl", "cgl", "auto", "al", "umb", "umbrella", "excess", "wc", "oth", "other"})


def _row_index(tokens: list[str]) -> int:
    """1 for "gl2.number" (a second general liability policy), else 0."""
    for i, t in enumerate(tokens[:-1]):
        if t in _SHORT_SECTIONS and tokens[i + 1].isdigit():
            return max(0, int(tokens[i + 1]) - 1)
    return 0


def _letter(tokens: list[str]) -> str:
    letters = [t for t in tokens if len(t) == 1 and t in "abcdef"]
    return letters[-1].upper() if letters else ""


def _pair_index(tokens: list[str]) -> str:
    for t in reversed(tokens):
        if t.isdigit() or (len(t) == 1 and t.isalpha()):
            return t.upper()
    return "0"


def _check_attr(section: str, tokens: list[str], text: str) -> str:
    if _has(text, "claims made", "claims", "cm"):
        return "basis:claims_made"
    if _has(text, "occurrence indicator", "occur", "occurrence", "occ"):
        return "basis:occurrence"
    if section == UMBRELLA:
        if _has(text, "deductible", "retention", "ded"):
            return IGNORE
        kinds = [t for t in tokens if t in ("umbrella", "excess")]
        # "ExcessUmbrella_UmbrellaIndicator": the last word names the box.
        if kinds:
            return "kind:" + kinds[-1]
        return IGNORE
    if section == WC and _has(text, "statute", "statutory", "per statute"):
        return "statutory"
    if _has(text, "additional insured", "addl", "ai"):
        return "additional_insured"
    if _has(text, "subrogation", "subr", "wvd", "wos"):
        return "waiver_of_subrogation"
    return IGNORE


_GL_LIMITS = (
    (("applies", "applies to", "per policy", "per project", "per location"), IGNORE),
    (("products", "completed", "prod"), "products_completed_operations_aggregate"),
    (("rented", "fire damage", "damage to rented"), "damage_to_rented_premises"),
    (("medical", "med"), "medical_expense"),
    (("personal", "advertising", "adv"), "personal_advertising_injury"),
    (("general aggregate", "gen agg", "aggregate", "agg"), "general_aggregate"),
    (("each occurrence", "occurrence", "occ"), "each_occurrence"),
)
_AUTO_LIMITS = (
    (("combined single", "csl", "combined"), "combined_single_limit"),
    (("property damage", "pd"), "property_damage"),
    (("per person", "bi person", "bodily injury person"), "bodily_injury_per_person"),
    (("per accident", "bi accident", "bodily injury accident"), "bodily_injury_per_accident"),
)
_UMBRELLA_LIMITS = (
    (("deductible", "retention", "ded"), IGNORE),
    (("each occurrence", "occurrence", "occ"), "each_occurrence"),
    (("aggregate", "agg"), "aggregate"),
)
_WC_LIMITS = (
    (("each employee", "ea employee", "employee"), "el_disease_each_employee"),
    (("disease policy", "policy limit"), "el_disease_policy_limit"),
    (("each accident", "accident"), "el_each_accident"),
)
_LIMITS = {GL: _GL_LIMITS, AUTO: _AUTO_LIMITS, UMBRELLA: _UMBRELLA_LIMITS, WC: _WC_LIMITS}


def _policy_attr(section: str, tokens: list[str], text: str) -> str:
    """A text field of a policy row (section may be "" when only the position will tell)."""
    if _has(text, "letter", "ltr", "insurer letter"):
        return "letter"
    if _has(text, "additional insured", "addl", "add insd", "ai"):
        return "additional_insured"
    if _has(text, "subrogation", "subr", "wvd", "wos"):
        return "waiver_of_subrogation"
    if _has(text, "effective", "eff"):
        return "effective_date"
    if _has(text, "expiration", "exp", "expiry"):
        return "expiration_date"
    meaningful = [t for t in tokens if len(t) > 1 and not t.isdigit()]
    # "gl.policy": a row's bare "policy" field is its number; "disease policy limit" is a limit.
    names_number = _has(text, "policy number", "number", "policy no", "num", "polno")
    is_limit = _has(text, "limit", "amount", "lim", "disease")
    if (names_number or meaningful[-1:] == ["policy"]) and not is_limit:
        return "policy_number"
    if _has(text, "excluded", "persons excluded"):
        return IGNORE
    if section == OTHER:
        if "lim" in tokens[:-1]:
            # "oth.lim.each_claim": the limit's own key follows.
            rest = tokens[tokens.index("lim") + 1 :]
            return "limit:" + "_".join(rest)
        if _has(text, "limits"):
            return "other_inline"
        if _has(text, "label", "coverage code", "code", "limit description"):
            return "other_label"
        if _has(text, "limit", "amount", "lim", "limit amount"):
            return "other_amount"
        if _has(text, "description", "type", "coverage", "name", "desc"):
            return "coverage_name"
        return IGNORE
    table = _LIMITS.get(section)
    if table is None:
        return ""
    for phrases, key in table:
        if _has(text, *phrases):
            return key if key == IGNORE else "limit:" + key
    if _has(text, "other", "description", "symbol"):
        return IGNORE
    return ""


@lru_cache(maxsize=8192)
def classify(name: str, *, is_check: bool = False) -> FieldMeaning:
    """The meaning of a form field named `name`; section "" / attr "" when the name is silent."""
    tokens = name_tokens(name)
    if not tokens:
        return _UNKNOWN
    text = " " + " ".join(tokens) + " "
    # ACORD names every box "...Indicator": a box even when the form made it a text field.
    is_check = is_check or "indicator" in tokens
    if _has(text, "signature", "authorized representative", "revision", "certificate number", "fax",
            "cert number", "certificate no", "rev"):
        return FieldMeaning("", IGNORE)
    if "insurer" in tokens and not _has(text, "letter", "ltr", "producer", "naic code letter"):
        if _has(text, "naic"):
            return FieldMeaning("insurer", "naic", _letter(tokens))
        if _has(text, "name", "full name", "insurer"):
            return FieldMeaning("insurer", "name", _letter(tokens))
    section = _section_of(tokens, text)
    if section:
        attr = _check_attr(section, tokens, text) if is_check else _policy_attr(section, tokens, text)
        row = _row_index(tokens)
        if attr in ("other_label", "other_amount"):
            return FieldMeaning(section, attr, _pair_index(tokens), row)
        return FieldMeaning(section, attr or IGNORE, "", row)
    if "producer" in tokens or "agency" in tokens or "agent" in tokens:
        return FieldMeaning("producer", _party_attr(tokens, text, producer=True))
    if "holder" in tokens:
        return FieldMeaning("holder", _party_attr(tokens, text, producer=False))
    if "insured" in tokens and not _has(text, "additional insured", "addl"):
        return FieldMeaning("insured", _party_attr(tokens, text, producer=False))
    if _has(text, "remark", "remarks", "description", "desc", "operations"):
        return FieldMeaning("description", "text")
    if _has(text, "completion date", "certificate date", "form date", "date", "issue date") and not _has(
        text, "effective", "expiration", "eff", "exp"
    ):
        return FieldMeaning("certificate", "date")
    attr = _check_attr("", tokens, text) if is_check else _policy_attr("", tokens, text)
    # A silent name ("Text12", "Check Box3") is left to the field's position on the page.
    return FieldMeaning("", "" if attr == IGNORE else attr)


def _party_attr(tokens: list[str], text: str, *, producer: bool) -> str:
    if producer:
        if _has(text, "contact", "contact person", "contact name") and _has(text, "phone", "telephone"):
            return "phone"
        if _has(text, "contact", "contact person", "contact name") and _has(text, "email", "mail"):
            return "email"
        if _has(text, "contact", "contact person", "contact name"):
            return "contact_name"
        if _has(text, "phone", "telephone", "tel"):
            return "phone"
        if _has(text, "email", "e mail", "mail"):
            return "email"
    if _has(text, "line one", "line 1", "address 1", "street", "line1", "addr 1"):
        return "line1"
    if _has(text, "line two", "line 2", "address 2", "line2", "addr 2"):
        return "line2"
    if _has(text, "city", "city name"):
        return "city"
    if _has(text, "state", "province", "state or province code"):
        return "state"
    if _has(text, "postal", "zip", "postal code"):
        return "postal"
    if _has(text, "address", "addr", "mailing address"):
        return "address"
    if _has(text, "full name", "name"):
        return "name"
    # A bare "producer" / "insured" / "holder" field holds the whole printed block.
    if len(tokens) <= 2:
        return "block"
    return IGNORE

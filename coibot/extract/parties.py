"""Name-and-address blocks (producer, insured, certificate holder) and the producer's contact cells."""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz.fuzz import ratio

from coibot.extract.layout import Box, Line, Page, make_lines
from coibot.extract.normalize import fold, format_phone, join_address, normalize_name
from coibot.extract.words import Word

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# Lines of a block that carry contact details rather than the address (older editions and
# agency variants print them inside the producer block).
_CONTACT_LINE = re.compile(r"^(phone|ph|tel|telephone|fax|e-?mail|contact)\b[\s.:#]*", re.IGNORECASE)
_FOOTER = re.compile(r"^(acord\s*25|©|\(c\)|the acord name)", re.IGNORECASE)
# The form's own headings right below the party blocks (folded).
_NEXT_SECTION = re.compile(r"^coverages|certificatenumber|thepoliciesbelowhave|^revisionnumber")
_PHONE_LOOKALIKES = str.maketrans("OolI|", "00111")
_PHONE = re.compile(r"\(?\d{3}\)?[\s.\-]*\d{3}[\s.\-]*\d{4}(?:\s*(?:ext\.?|x)\s*\d+)?", re.IGNORECASE)


def _outside(w: Word, label: Box) -> bool:
    cx, cy = (w.x0 + w.x1) / 2, (w.top + w.bottom) / 2
    return not (label.x0 - 0.5 <= cx <= label.x1 + 0.5 and label.top - 0.5 <= cy <= label.bottom + 0.5)


# Labels of the blocks below another (INSURED under PRODUCER): a line that is one of them alone,
# even misread by a letter ("NSURED"), opens that block.
_BLOCK_LABELS = ("insured", "certificateholder")
_LABEL_FUZZY = 85.0


def _is_other_label(folded: str, own: str) -> bool:
    """Whether a block's line (folded) is another block's label: the block ends there."""
    return any(lbl != own and ratio(folded, lbl) >= _LABEL_FUZZY for lbl in _BLOCK_LABELS)


# Headings that open the next block on a label's own row (CANCELLATION beside CERTIFICATE HOLDER,
# CONTACT beside PRODUCER, INSURER beside INSURED).
_NEIGHBOUR_HEADINGS = ("cancellation", "contact", "insurer")


def _before_next_heading(page: Page, label: Box, cell: Box) -> Box:
    """The cell ended before the next block's heading on the label's row, or before the
    cancellation clause ("SHOULD ANY OF THE ABOVE ...") starting on the next: a photo may have
    lost the rule between the two, and that clause is no part of the holder's address."""
    row = Box(label.x1 + 10, label.top - 2, cell.x1, label.bottom + 2)
    xs = [w.x0 for w in page.words_in(row) if fold(w.text).startswith(_NEIGHBOUR_HEADINGS)]
    below = Box(row.x0, row.top, row.x1, label.bottom + 2 * label.height + 2)
    xs += [w.x0 for w in page.words_in(below) if fold(w.text) == "should"]
    return Box(cell.x0, cell.top, min(xs) - 2, cell.bottom) if xs else cell


def block_lines(page: Page, label: Box, fallback: Box | None = None) -> list[Line]:
    """The text lines of the cell a label heads (or of the cell right below it)."""
    min_len = page.width * 0.2
    # The label's foot, not its middle: a stray mark read into the label (a quote before
    # PRODUCER) stretches it up, over the top of the cell's side rules.
    inside = max(label.cy, label.bottom - 2)
    cell = _before_next_heading(page, label, page.cell(label.cx, inside, fallback, min_len=min_len))
    # Other headings printed on the label's own line (CANCELLATION beside CERTIFICATE HOLDER)
    # are not the block's content: the content starts below the label.
    words = [w for w in page.words_in(cell) if (w.top + w.bottom) / 2 > label.bottom]
    if not any(fold(w.text) for w in words):
        below = page.cell(label.cx, cell.bottom + 3, fallback, min_len=min_len)
        if below.top >= cell.bottom - 1 and below.bottom - below.top < page.height * 0.4:
            words = page.words_in(below)
    lines = make_lines(words, gap=40.0)
    return [ln for ln in lines if fold(ln.text) and not _FOOTER.match(ln.text.strip())]


def read_party(page: Page, label: Box | None, warnings: list[str], what: str) -> dict[str, Any] | None:
    """{"name", "address"} (plus "phone"/"email" when printed in the block) from a labelled block."""
    if label is None:
        warnings.append(f"{what} block not found")
        return None
    lines = block_lines(page, label)
    label_fold = fold(" ".join(w.text for w in page.words_in(label)))
    # A line's text outside the block's column (e.g. the contact cells on the same row) is not ours.
    body: list[str] = []
    extra: dict[str, Any] = {}
    for ln in lines:
        text = ln.text.strip()
        folded = fold(text)
        if _NEXT_SECTION.search(folded) or (label_fold and _is_other_label(folded, label_fold)):
            break  # a scan's lost ruling line: the form's next section is no part of the block
        m = _CONTACT_LINE.match(text)
        if m:
            email = _EMAIL.search(text)
            if email:
                extra.setdefault("email", email.group(0))
            elif _PHONE.search(text) and m.group(1).lower() not in ("fax",):
                extra.setdefault("phone", format_phone(_PHONE.search(text).group(0)))  # type: ignore[union-attr]
            elif m.group(1).lower() == "contact":
                extra.setdefault("contact_name", normalize_name(text[m.end():]))
            continue
        if _EMAIL.fullmatch(text):
            extra.setdefault("email", text)
            continue
        body.append(text)
    if not body:
        warnings.append(f"{what} block is empty")
        return {"name": None, "address": None, **extra}
    first, rest = _name_and_address_lines(body)
    name = normalize_name(first)
    return {"name": name, "address": join_address(rest) or None, **extra}


# A company's suffix: where a name printed on one line with the start of its address ends.
_SUFFIX = r"(?:inc|llc|l\.l\.c|ltd|corp|co|lp|llp|pc|pllc)\.?"
# "Source, Inc. 8 Three": the name's line, then the street.
_NAME_THEN_STREET = re.compile(rf"^(.*?\b{_SUFFIX})\s+(\d.*)$", re.IGNORECASE)
# "Inc 914 Air Drive": the name's suffix, then the street.
_SUFFIX_THEN_STREET = re.compile(rf"^({_SUFFIX})[,\s]+(\d.*)$", re.IGNORECASE)
# A line that goes on with the name above it ("DBA ...").
_NAME_GOES_ON = re.compile(r"^(dba|d/b/a|aka|a/k/a|&)\b", re.IGNORECASE)
# A name line ending on a word that cannot end a name ("YourCompany.com An" / "Network Member").
_DANGLING = re.compile(r"(?:\b(?:an|the|of|and|for)|&)$", re.IGNORECASE)


def _name_and_address_lines(body: list[str]) -> tuple[str, list[str]]:
    """A block's name and its address lines, where the printer wrapped them across each other."""
    name, rest = body[0], body[1:]
    # "DBA ..." / "c/o ..." lines continue the name rather than start the address; so does the line
    # after a name cut after "An" or "&".
    while rest and (_NAME_GOES_ON.match(rest[0]) or _DANGLING.search(name)):
        name = f"{name} {rest.pop(0)}"
    # "Source, Inc. 8 Three" / "Cho Rd.": the street starts after the suffix, on the name's line;
    # "Management Solutions" / "Inc 914 Air Drive": the suffix wrapped onto the street's line.
    m = _NAME_THEN_STREET.match(name)
    if m:
        name, rest = m.group(1), [m.group(2), *rest]
    m = _SUFFIX_THEN_STREET.match(rest[0]) if rest else None
    if m:
        name, rest = f"{name} {m.group(1)}", [m.group(2), *rest[1:]]
    return name, rest


def _value_right_of(page: Page, labels: list[Box], stop: float | None) -> tuple[str | None, float]:
    """Words to the right of a (possibly two-line) label, within its cell and before `stop`."""
    lab = labels[0]
    for b in labels[1:]:
        lab = lab.union(b)
    fb = Box(lab.x0 - 1, lab.top - 2.5, stop if stop is not None else page.width, lab.bottom + 2.5)
    cell = page.cell(lab.x1 + 1, lab.cy, fb)
    right = min(cell.x1, stop) if stop is not None else cell.x1
    top, bottom = max(cell.top, lab.top - 4), min(cell.bottom, lab.bottom + 4)
    words = [w for w in page.words_in(Box(lab.x1 - 0.5, top, right, bottom)) if w.x0 >= lab.x1 - 0.5]
    if not words:
        return None, 1.0
    text = " ".join(ln.text for ln in make_lines(words))
    return text.strip() or None, min(w.conf for w in words)


def read_contact(page: Page, warnings: list[str], producer: Box | None = None,
                 agency: str | None = None) -> dict[str, Any]:
    """The producer's CONTACT NAME, PHONE and E-MAIL cells (2009/09 and later editions).

    `agency` (the producer's name) tells where a scanned address's domain starts when its @ was
    misread."""
    # The contact cells start on the PRODUCER label's row, below the disclaimer paragraphs.
    top = producer.top - 6 if producer is not None else 0.0
    bottom = producer.top + 60 if producer is not None else page.height * 0.4
    area = Box(page.width * 0.3, top, page.width, bottom)
    out: dict[str, Any] = {"contact_name": None, "phone": None, "email": None}
    fax = page.find_first("FAX", area)
    contact = page.find_first("CONTACT", area)
    if contact is not None:
        name = page.find_first("NAME", Box(contact.x0 - 3, contact.top, contact.x1 + 25, contact.bottom + 12))
        text, _ = _value_right_of(page, [contact, *([name] if name else [])], None)
        out["contact_name"] = normalize_name(text)
    phone = page.find_first("PHONE", area)
    if phone is not None:
        near = Box(phone.x0 - 3, phone.top, phone.x1 + 40, phone.bottom + 12)
        sub = page.find_first("(A/C, No, Ext)", near)
        stop = fax.x0 - 1 if fax is not None and fax.x0 > phone.x1 and abs(fax.cy - phone.cy) < 8 else None
        text, _ = _value_right_of(page, [phone, *([sub] if sub else [])], stop)
        if text:
            m = _PHONE.search(text)
            if m is None and page.ocr:
                # A scan's O for a 0, l for a 1 ("(570)555-O108").
                m = _PHONE.search(text.translate(_PHONE_LOOKALIKES))
            if m is None and page.ocr:
                # Ten digits are not to be made up from "Oi. SSSs0TTr7:".
                warnings.append(f"producer phone {text!r} not readable; check it")
            else:
                out["phone"] = format_phone(m.group(0) if m else text)
    email = page.find_first("E-MAIL", area) or page.find_first("EMAIL", area)
    if email is not None:
        sub = page.find_first("ADDRESS", Box(email.x0 - 3, email.top, email.x1 + 25, email.bottom + 12))
        text, _ = _value_right_of(page, [email, *([sub] if sub else [])], None)
        if text:
            m = _EMAIL.search(_LOST_DOT.sub(r"\1.\2", text).replace(" ", ""))
            out["email"] = m.group(0) if m else None
            if m is None and page.ocr:
                out["email"] = email_without_at(text, agency, out["contact_name"])
            if out["email"] is None:
                warnings.append(f"producer e-mail {text!r} is not an address")
    if page.ocr and producer is not None and not all(out.values()):
        _contact_by_shape(page, producer, out)
    return out


def _value_start(words: list[Word], i: int) -> float:
    """Where the value holding words[i] starts: "certs" "@agency.com" is one e-mail in two words."""
    w = words[i]
    if w.text.startswith("@") and i > 0 and w.x0 - words[i - 1].x1 < 5:
        return words[i - 1].x0
    return w.x0


def _contact_by_shape(page: Page, producer: Box, out: dict[str, Any]) -> None:
    """On a scan whose small labels were lost: the contact cells' values known by their shape.

    The cells sit right of the producer block, from the PRODUCER row down to the insurers'
    heading; an address with "@" is the e-mail, the first ten-digit number the phone (the fax
    prints to its right), a line of two to four words without digits on the first row the name.
    """
    heading = page.find_first("INSURER(S) AFFORDING COVERAGE") or page.find_first("AFFORDING COVERAGE")
    bottom = heading.top - 1 if heading is not None and heading.top > producer.bottom else producer.top + 50
    left = page.cell(producer.cx, producer.cy, min_len=page.width * 0.2).x1
    if left <= producer.x1:
        left = page.width * 0.5
    lines = page.lines_in(Box(left, producer.top - 3, page.width, bottom), gap=30.0)
    for ln in lines:
        text = ln.text
        if out["email"] is None and (m := _EMAIL.search(text.replace(" ", ""))):
            out["email"] = m.group(0)
        elif out["phone"] is None and (m := _PHONE.search(text)):
            out["phone"] = format_phone(m.group(0))
    # The values start at one x (right of the small labels): what lies left of it is a label.
    starts = [_value_start(ln.words, i) for ln in lines for i, w in enumerate(ln.words)
              if "@" in w.text or _PHONE.search(w.text)
              or (i + 1 < len(ln.words) and _PHONE.search(f"{w.text} {ln.words[i + 1].text}"))]
    value_x = min(starts) - 2 if starts else left
    first = lines[0] if lines else None
    if out["contact_name"] is None and first is not None and abs(first.box.cy - producer.cy) < 6:
        words = [w.text for w in first.words if w.x0 >= value_x]
        text = " ".join(words)
        if 2 <= len(words) <= 4 and not any(ch.isdigit() or ch == "@" for ch in text):
            out["contact_name"] = normalize_name(text)


# Letters a scan misreads in an e-mail's small type, as (read, printed): a g loses its tail
# ("northaate", "fitzqerald"), a y its stem ("kevstone"), rn runs together ("hemandez"), a j
# loses its tail ("imoreno"), an l reads as a capital I or a 1 ("Ischneider", "1schneider").
_EMAIL_MISREADS = (("a", "g"), ("q", "g"), ("v", "y"), ("m", "rn"), ("i", "j"), ("i", "l"), ("1", "l"))
_MAX_EMAIL_FIXES = 2


def _name_tokens(names: list[str | None]) -> set[str]:
    """What addresses are made of: the names' words, two or three of them run together, and a
    person's initial before a later word ("gfitzgerald"), lower case."""
    tokens: set[str] = set()
    for name in names:
        words = [_capital_i(w).lower() for w in re.findall(r"[A-Za-z]+", name or "")]
        tokens |= {w for w in words if len(w) >= 4}
        for n in (2, 3):
            tokens |= {"".join(words[i:i + n]) for i in range(len(words) - n + 1)}
        if len(words) >= 2:
            tokens |= {words[0][0] + w for w in words[1:] if len(w) >= 3}
    return tokens


# Endings agencies' addresses have.
_ENDINGS = ("com", "net", "org", "edu", "gov", "biz", "info", "us")
# What a scan makes of them: ".com" read as ".cam", ".corn" (rn for m), ".c0m", ".con" or ".cem";
# ".net" as ".nat"; ".org" as ".0rg".
_TLD_MISREADS = {
    "cam": "com", "corn": "com", "c0m": "com", "con": "com", "cem": "com", "nat": "net", "0rg": "org",
}
# An address whose last dot was lost in printing ("Ben@yourcompany com"): a space before a common
# ending there is that dot.
_LOST_DOT = re.compile(rf"(@[\w.\-]*\w)\s+({'|'.join(_ENDINGS)})\b", re.IGNORECASE)
# An address's parts, without the @: what may stand before it, and a host with a common ending
# (or one of its usual misreads, which email_tld puts right).
_LOCAL = re.compile(r"[\w.+'-]*\w")
_HOST = re.compile(r"[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:" + "|".join((*_ENDINGS, *_TLD_MISREADS)) + ")")
_HOST_END = re.compile(_HOST.pattern + "$")
# Characters a scan makes of an @: none, one or two ("certs:rcopperfield", "tkowalski-skeystone").
_AT_READ_AS = (1, 2, 0)


def email_without_at(text: str, agency: str | None, contact: str | None) -> str | None:
    """A scanned address whose @ was lost, put back; None when where it stood cannot be told.

    The host must start with the agency's name (a garbled host, "ninecrestrisk.com" for
    pinecrestrisk.com, is no address to write to). Two words, the second that host
    ("mobrien keystonerisk.com"), are the two sides of the @. In one word, what the scan made of
    the @ before the host is taken out when it holds a character no address has there
    ("pokafor\u201csummitrisk.com"), or when what is left before it spells the contact's name
    ("rduboiststonebridgerisk.com").
    """
    words = text.split()
    hosts, people = _name_tokens([agency]), _name_tokens([contact])

    def agencys(host: str) -> bool:
        return _HOST.fullmatch(host) is not None and any(_spelled(host, 0, t) is not None for t in hosts)

    if len(words) == 2 and _LOCAL.fullmatch(words[0]) and agencys(words[1].lower()):
        return f"{words[0]}@{words[1]}"
    # A speck read as a word beside the address ("certs:rcopperfieldinsurance.com Nets").
    hosted = [w for w in words if _HOST_END.search(w.lower())]
    if len(hosted) != 1:
        return None
    word = hosted[0]
    low = word.lower()
    start = next((i for i in range(2, len(low)) if agencys(low[i:])), None)
    if start is None:
        return None
    for k in _AT_READ_AS:
        local, read = word[:start - k], word[start - k:start]
        if not _LOCAL.fullmatch(local):
            continue
        named = any(_spelled(local.lower(), 0, t) == len(local) for t in people)
        if named or (read and not read.isalnum()):
            return f"{local}@{word[start:]}"
    return None


def email_by_names(email: str, names: list[str | None]) -> str:
    """A scanned e-mail's misread letters put back from the names printed beside it.

    Addresses are made of the agency's and the contact's names ("certs@northgateins.com",
    "gfitzgerald@..."): a part of the address that spells one of those names but for letters a
    scan typically misreads (read as `a` where the name prints `g`, ...) is that name. Only that
    direction is corrected, so a name misread the same way leaves a correct address alone.
    """
    tokens = _name_tokens(names)
    out = email.lower()
    for token in sorted(tokens, key=len, reverse=True):
        i = 0
        while i < len(out):
            end = _spelled(out, i, token)
            if end is not None and out[i:end] != token:
                out = out[:i] + token + out[end:]
                i += len(token)
            else:
                i += 1
    return out if out != email.lower() else email


# The label's capitals glued to a scanned address ("E-MAJLcerts@", "-MAILcerts@", "ILcerts@").
_LABEL_HEAD = re.compile(r"^([A-Z\-]+)(?=[a-z0-9])")


def without_label(email: str) -> str | None:
    """A scanned address without what it took from its E-MAIL label: a head of capitals that
    ends the word "EMAIL" (a letter may be misread) before a lower-case name; None when the
    whole name is the label in capitals ("E-MAIL@agency.com")."""
    local, _, domain = email.partition("@")
    if local.isupper() and len(fold(local)) == len("email") and _is_mail_label(local):
        return None
    m = _LABEL_HEAD.match(local)
    if m is None or not _is_mail_label(m.group(1)):
        return email
    return f"{local[m.end():]}@{domain}"


def _is_mail_label(text: str) -> bool:
    """Whether `text` is the end of "EMAIL" (two letters or more), one letter misread at most."""
    f = fold(text)
    if len(f) < 2 or len(f) > 5:
        return False
    tail = "email"[-len(f):]
    return sum(a != b for a, b in zip(f, tail, strict=True)) <= (1 if len(f) >= 4 else 0)


# What a scan makes of the CONTACT NAME label's words when they run into the name.
_NAME_LABEL_WORDS = frozenset({"name", "names", "contact", "contactname", "nam", "ame"})


def contact_without_label(name: str, email: str | None) -> str | None:
    """A scanned contact name without the words its label left before it ("NAMES Fatima
    Alvarez"), a word in lower case before the name ("me Aisha Patel"), or the specks read there
    ("See Robert Patel") when the e-mail beside it spells the name from a later word: "rpatel@"
    is Robert Patel's, by his initial and surname or his first name."""
    words = name.split()
    # A given name is capitalised: a word in lower case before two more is a speck's reading.
    while len(words) > 1 and (fold(words[0]) in _NAME_LABEL_WORDS
                              or (len(words) > 2 and words[0][0].islower())):
        words = words[1:]
    local = re.sub(r"[^a-z]", "", (email or "").partition("@")[0].lower())
    if local and len(words) > 2:
        folded = [fold(w) for w in words]

        def spells(k: int) -> bool:
            first, last = folded[k], folded[-1]
            return len(first) >= 2 and (local == first[0] + last or local.startswith(first))

        start = next((k for k in range(len(words) - 1) if spells(k)), 0)
        words = words[start:]
    return " ".join(words) or None


def email_tld(email: str) -> str:
    """A scanned address's misread ".com" (".cam", ".corn", ...) put right; other endings stay."""
    head, dot, tld = email.rpartition(".")
    fixed = _TLD_MISREADS.get(tld.casefold()) if dot and "@" in head else None
    return f"{head}.{fixed}" if fixed else email


def _capital_i(word: str) -> str:
    """A name's word as printed: one starting with a lower-case l ("lronwood") is a capital I the
    scan misread (names print capitalised), and must not make a correct address misspell it."""
    return "I" + word[1:] if len(word) > 1 and word[0] == "l" else word


def _spelled(text: str, i: int, token: str) -> int | None:
    """End of `token` spelled in `text` from `i`, allowing a few of the scan's usual misreads."""
    p, k, fixes = i, 0, 0
    while k < len(token):
        if p >= len(text):
            return None
        if text[p] == token[k]:
            p, k = p + 1, k + 1
            continue
        fix = next((printed for read, printed in _EMAIL_MISREADS
                    if text[p] == read and token.startswith(printed, k)), None)
        if fix is None:
            return None
        p, k, fixes = p + 1, k + len(fix), fixes + 1
    return p if fixes <= _MAX_EMAIL_FIXES else None

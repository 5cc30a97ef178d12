"""Making untrusted text safe to stand in a reply's headers: subject, addresses, Message-IDs.

Everything a reply's headers carry that came from the incoming mail (its subject, its
From/Reply-To address, its Message-ID and References) is attacker-controlled. This
module's single job is to turn such text into header values that cannot break out of
their header: no CR/LF or other control characters, no RFC 2047 encoded words that
the stdlib would decode back into line breaks, bounded lengths, and addresses that are
exactly one plain `local@domain`. Each function returns None (or a fallback) instead
of a value it cannot vouch for.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from email import policy
from email.errors import MessageError
from email.header import Header
from email.headerregistry import Address as HeaderAddress
from email.utils import getaddresses, parseaddr

from parsers.message import idna_domain

MAX_SUBJECT_CHARS = 200
"""Long enough for any real subject; short enough that nobody hides a letter in it."""
MAX_REFERENCES_CHARS = 900
"""RFC 5322 §3.6.4 lets a responder trim References; keep it well inside one screen."""
MAX_MESSAGE_ID_CHARS = 250

_BREAKING = frozenset({"Cc", "Zl", "Zp"})
"""Controls (CR, LF, NUL, ESC …) and line/paragraph separators: they become a space."""
_INVISIBLE = frozenset({"Cf", "Cs", "Co", "Cn"})
"""Format (bidi overrides, zero-width), surrogate, private and unassigned: they go."""
_SPACES = re.compile(r"\s+")
_RE_PREFIX = re.compile(r"^(?:re\s*:\s*)+", re.IGNORECASE)
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]{{1,59}})")
_MESSAGE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]+>")
"""`<…>` around printable ASCII other than `<`, `>` and space."""
_ADDRESS_LIKE = re.compile(r"[^\s<>,;:\"()\[\]\\]+@[^\s<>,;:\"()\[\]\\]+")


def printable(text: str) -> str:
    """The text on one line: controls become spaces, invisible characters go, spaces collapse."""
    cleaned = "".join(
        " " if category in _BREAKING else "" if category in _INVISIBLE else char
        for char, category in ((char, unicodedata.category(char)) for char in text)
    )
    return _SPACES.sub(" ", cleaned).strip()


def _as_header_reads_it(name: str, value: str) -> str:
    """What the stdlib's header machinery makes of `value` (it decodes encoded words)."""
    return str(policy.SMTP.header_factory(name, value))


def clean_subject(subject: str, *, fallback: str, max_chars: int = MAX_SUBJECT_CHARS) -> str:
    """A one-line `Re:` subject that reads back unchanged once set as a header.

    The stdlib decodes `=?utf-8?q?…=0D=0A…?=` on assignment, so a subject is decoded
    until nothing changes (an encoded word inside an encoded word is decoded too) and
    cleaned after every round; what still will not settle falls back to `fallback`.
    """
    value = printable(subject)
    for _ in range(4):
        try:
            decoded = printable(_as_header_reads_it("subject", value))
        except (ValueError, MessageError):
            return fallback
        if decoded == value:
            break
        value = decoded
    else:
        return fallback
    value = _RE_PREFIX.sub("", value)
    if not value:
        return fallback
    value = f"Re: {value}"
    if len(value) > max_chars:
        cut = value[: max_chars - 1]
        cut = cut.rsplit(" ", 1)[0] if " " in cut[len(cut) // 2 :] else cut
        value = f"{cut.rstrip()}…"
    try:
        settled = _as_header_reads_it("subject", value) == value
    except (ValueError, MessageError):
        settled = False
    return value if settled else fallback


def encoded_subject(subject: str) -> str:
    """The subject as a folded, RFC 2047-encoded raw header value (set with `set_raw`).

    `email.header.Header` folds it: the SMTP policy's own folder drops or doubles the
    space between encoded words of long non-ASCII subjects (CPython 3.11), while
    Header's encoded words read back exactly. `subject` must be `clean_subject`'s.
    """
    charset = "us-ascii" if subject.isascii() else "utf-8"
    return Header(subject, charset, header_name="Subject").encode(linesep="\r\n")


def plain_address(email: str) -> str | None:
    """`local@domain` when `email` is exactly one deliverable address, else None.

    Strict on purpose: an ASCII dot-atom local part (no quoted strings, no `=?`), a
    dotted host name (an internationalised one is sent as IDNA), RFC 5321 lengths. A
    person whose address fails here gets no automatic reply; a caseworker still reads
    the mail.
    """
    if not email or any(char.isspace() for char in email) or printable(email) != email:
        return None
    if len(email) > 254 or email.count("@") != 1:
        return None
    local, domain = email.split("@")
    if len(local) > 64 or "=?" in local or not _DOT_ATOM.fullmatch(local):
        return None
    encoded = idna_domain(domain)
    if encoded is None:
        return None
    domain = encoded
    if len(domain) > 253 or not _HOSTNAME.fullmatch(domain):
        return None
    address = f"{local}@{domain}"
    try:
        checked = HeaderAddress(addr_spec=address)
    except (ValueError, MessageError):
        return None
    if checked.addr_spec != address or parseaddr(address) != ("", address):
        return None
    return address


def addresses_named(values: Iterable[str]) -> frozenset[str]:
    """Every distinct `x@y` that stands anywhere in the header values, lowercased.

    Counted on the decoded text on purpose, display names included: an address hidden in
    an encoded-word name (`=?utf-8?q?evil=40x.no=2C_?= <kari@…>` decodes to a comma
    list) or in a quoted one (`"evil@x.no, Kari" <kari@…>`) counts as a second address.
    """
    return frozenset(match.lower() for value in values for match in _ADDRESS_LIKE.findall(value))


def own_address(from_address: str) -> HeaderAddress:
    """The bot's From (`mikrodata@ssb.no` or `SSB Mikrodata <mikrodata@ssb.no>`), checked.

    This is configuration, not mail: a bad value is a programming error and raises.
    """
    pairs = getaddresses([from_address])
    name, email = pairs[0] if len(pairs) == 1 else ("", "")
    address = plain_address(email)
    if address is None or printable(name) != name or "=?" in name:
        raise ValueError(f"from_address is not one plain address: {from_address!r}")
    return HeaderAddress(display_name=name, addr_spec=address)


def clean_message_id(value: str | None) -> str | None:
    """`<id>` when `value` is one well-formed Message-ID that no header will decode."""
    if value is None:
        return None
    value = value.strip()
    if len(value) > MAX_MESSAGE_ID_CHARS or "=?" in value or not _MESSAGE_ID.fullmatch(value):
        return None
    return value


def references_header(
    references: Iterable[str], message_id: str, *, max_chars: int = MAX_REFERENCES_CHARS
) -> str:
    """The thread's References plus the mail's own Message-ID, trimmed in the middle.

    RFC 5322: keep the first (the thread's root) and the most recent; unusable ids drop.
    """
    ids: list[str] = []
    for reference in (*references, message_id):
        cleaned = clean_message_id(reference)
        if cleaned is not None and cleaned not in ids:
            ids.append(cleaned)
    if message_id in ids:  # the mail's own id is always last
        ids.remove(message_id)
        ids.append(message_id)
    while len(ids) > 2 and len(" ".join(ids)) > max_chars:
        del ids[1]
    while len(ids) > 1 and len(" ".join(ids)) > max_chars:
        del ids[0]
    return " ".join(ids)


def is_valid_domain(domain: str) -> bool:
    """A dotted ASCII host name, as `make_msgid(domain=…)` needs."""
    return len(domain) <= 253 and _HOSTNAME.fullmatch(domain) is not None

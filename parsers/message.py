"""The parsed mail: plain, immutable values that every later stage reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Address:
    name: str
    email: str


def idna_domain(domain: str) -> str | None:
    """The host name as it travels in SMTP (`bærum.kommune.no` → `xn--brum-voa.kommune.no`);
    None when it cannot be encoded."""
    domain = domain.rstrip(".")
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def canonical_address(email: str) -> str:
    """`local@domain` lower-cased with the domain in IDNA: one spelling per mailbox, the
    one replies are sent to (`kari@bærum.kommune.no` → `kari@xn--brum-voa.kommune.no`)."""
    local, at, domain = email.strip().lower().rpartition("@")
    if not at:
        return email.strip().lower()
    return f"{local}@{idna_domain(domain) or domain.rstrip('.')}"


@dataclass(frozen=True)
class RawAttachment:
    """One attachment's decoded bytes, as found in the MIME tree (or inside winmail.dat)."""

    filename: str
    """Safe display name: no directories, control or bidi characters; never empty."""
    content_type: str
    payload: bytes
    inline: bool = False
    content_id: str = ""
    """The part's Content-ID, without angle brackets, lower-cased ("" when it has none)."""
    shown_in_html: bool = False
    """An HTML body of the mail shows it by `cid:` (a logo, or a pasted picture)."""
    origin: str = "mail"
    """Where it was found: `mail`, `forwarded` (inside message/rfc822) or `tnef`."""


@dataclass(frozen=True)
class MailText:
    """The body split by who wrote it: the sender's new words are what we classify."""

    new: str
    quoted: str = ""
    """Earlier mails in the thread (reply history)."""
    forwarded: str = ""
    """Mail the sender forwarded, inline or as message/rfc822: often the real content."""
    signature: str = ""
    html_only: bool = False


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    subject: str
    sender: Address | None
    recipients: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    date: datetime | None
    in_reply_to: str | None
    references: tuple[str, ...]
    headers: tuple[tuple[str, str], ...]
    """Every header, decoded, in order; names as written."""
    content_type: str
    text: MailText
    attachments: tuple[RawAttachment, ...]
    defects: tuple[str, ...] = field(default=())
    """What the parser had to repair or skip; shown on the ticket."""

    def header(self, name: str) -> str | None:
        """First value of a header, case-insensitively, or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def header_names(self) -> frozenset[str]:
        return frozenset(key.lower() for key, _ in self.headers)

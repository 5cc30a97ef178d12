"""The notice a caseworker gets when someone else assigns them tickets: a short internal
mail, composed here and sent through the outbox like every mail the bot sends.

It is not a reply. It goes to the caseworker's own address (never to a sender of the
case: the caller checks), answers no mail (no `In-Reply-To`), and says only what the
caseworker needs to find the work: the ticket and case references, who assigned them and
a link to each ticket when the pages' public address is set. Nothing the applicant wrote
is in it, so no personal data leaves the case system this way. `Auto-Submitted:
auto-generated` keeps out-of-office replies away; the Message-ID is the bot's own, so the
loop guard knows it if it ever comes back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Final

from bot.loop_guard import OWN_ID_MARK
from bot.replies.headers import encoded_subject, is_valid_domain, own_address, plain_address
from bot.replies.render import ACTION_HEADER, TICKET_HEADER

NOTICE_ACTION: Final = "assignment_notice"
"""`outbox.action` (and `X-Mikrobot-Action`) of an assignment notice."""
MAX_LISTED: Final = 100
_TICKET_REFERENCE: Final = re.compile(r"MB-\d{6,9}")
_CASE_REFERENCE: Final = re.compile(r"\d{2}/\d{5}")
_USER_NAME: Final = re.compile(r"[A-Za-z0-9._@-]{1,120}")


@dataclass(frozen=True)
class AssignedTicket:
    """One ticket a notice names."""

    reference: str
    case_reference: str | None
    url: str | None
    """The ticket's page (`public_url/tickets/<id>`), or None when the address is unset."""


def _line(ticket: AssignedTicket) -> str:
    reference = ticket.case_reference
    case = f" ({reference})" if reference and _CASE_REFERENCE.fullmatch(reference) else ""
    link = f"  {ticket.url}" if ticket.url else ""
    return f"- {ticket.reference}{case}{link}"


def notice_body(tickets: Sequence[AssignedTicket], assigned_by: str) -> str:
    """The notice's text, in bokmål with English below (the pages' two languages)."""
    lines = "\n".join(_line(t) for t in tickets[:MAX_LISTED])
    more = len(tickets) - MAX_LISTED
    if more > 0:
        lines += f"\n- … (+{more})"
    if len(tickets) == 1:
        nb, en = "Denne saken er tildelt deg", "This ticket is assigned to you"
    else:
        nb, en = (
            f"Disse {len(tickets)} sakene er tildelt deg",
            f"These {len(tickets)} tickets are assigned to you",
        )
    return (
        f"{nb} av {assigned_by} i mikrobot:\n\n{lines}\n\n"
        "Dette er et internt varsel. Ikke svar på denne e-posten.\n\n"
        f"{en} by {assigned_by} in mikrobot (see above).\n"
        "This is an internal notice. Do not reply to this mail.\n"
    )


def assignment_notice(
    tickets: Sequence[AssignedTicket],
    *,
    recipient: str,
    assigned_by: str,
    from_address: str,
    message_id_domain: str,
    now: datetime,
) -> EmailMessage:
    """The notice to `recipient` (a caseworker) that `assigned_by` gave them `tickets`.

    Raises ValueError on anything that must not stand in the mail: an address that is not
    one plain address, a ticket reference or user name of another form, a naive `now`. A
    case reference of another form than SSB's `25/01234` is left out.
    """
    address = plain_address(recipient)
    if address is None:
        raise ValueError(f"the assignee's address is not one plain address: {recipient!r}")
    if not tickets:
        raise ValueError("a notice names at least one ticket")
    for ticket in tickets:
        if not _TICKET_REFERENCE.fullmatch(ticket.reference):
            raise ValueError(f"not a ticket reference: {ticket.reference!r}")
    if not _USER_NAME.fullmatch(assigned_by):
        raise ValueError(f"not a user name: {assigned_by!r}")
    if not is_valid_domain(message_id_domain):
        raise ValueError(f"message_id_domain is not a host name: {message_id_domain!r}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    first = tickets[0].reference
    subject = (
        f"Tildelt deg: {first}"
        if len(tickets) == 1
        else f"Tildelt deg: {len(tickets)} saker ({first} …)"
    )
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = own_address(from_address)
    message["To"] = address
    message.set_raw("Subject", encoded_subject(subject))
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring=OWN_ID_MARK, domain=message_id_domain)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message[TICKET_HEADER] = first
    message[ACTION_HEADER] = NOTICE_ACTION
    message.set_content(
        notice_body(tickets, assigned_by), subtype="plain", charset="utf-8", cte="quoted-printable"
    )
    message["Content-Language"] = "nb, en"
    return message

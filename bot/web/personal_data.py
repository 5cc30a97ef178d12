"""Personal data on the caseworkers' pages (issue #11): where a mail held national ID
numbers, which of its files are set apart, and who may download them.

The rule is decided here, in pure functions, and the app only applies it: a caseworker
never gets the bytes of a file that holds IDs (nor the raw mail that carries them); an
admin does after giving a reason, and that download is written to the ticket's history
(`record_download`, the one function here that touches the store). When it cannot be
told which attachment held the numbers — the subject or the text did, or a `where` names
a file that is not one of the mail's attachments (a member of a zip, a forwarded mail's
file) — every attachment of the mail counts as holding them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from bot.store import Store
from bot.store.models import Mail, Ticket, TicketEvent
from bot.store.personal_data import holds_personal_data as held_personal_data
from parsers.national_id import mask_national_ids

DOWNLOADED: Final = "personal_data_downloaded"
"""The history event of an admin's download of a file that holds national IDs."""
REASON_MIN_CHARS: Final = 5
REASON_MAX_CHARS: Final = 500
_ATTACHMENT: Final = "attachment:"


@dataclass(frozen=True)
class Place:
    """One `personal_data` entry of a verdict, as the page names it."""

    where: str
    """`subject`, `body` or `attachment`."""
    filename: str | None
    """The attachment's name (masked), for `attachment`."""
    count: int


@dataclass(frozen=True)
class MailPersonalData:
    """What the ticket's flag says about one mail that held national IDs."""

    mail_id: int
    subject: str
    places: tuple[Place, ...]
    deleted_at: datetime | None


class Access(StrEnum):
    """What a download request gets."""

    ALLOWED = "allowed"
    """The bytes: the file holds no IDs, or an admin gave a reason."""
    REASON_NEEDED = "reason_needed"
    """An admin without a (long enough) reason: the form that asks for one."""
    REFUSED = "refused"
    """A caseworker, for a file that holds IDs: a page that says why, never the bytes."""
    DELETED = "deleted"
    """The mail's personal data were deleted: nothing is left to download."""


def places(verdict: Mapping[str, Any]) -> tuple[Place, ...]:
    """The verdict's `personal_data` entries, every name masked (the bot masks them when
    it files the mail; masking again costs nothing and covers mail filed before that)."""
    found = []
    for entry in verdict.get("personal_data") or ():
        where = str(entry.get("where", ""))
        count = int(entry.get("count") or 0)
        if where.startswith(_ATTACHMENT):
            name = mask_national_ids(where.removeprefix(_ATTACHMENT))
            found.append(Place("attachment", name, count))
        else:
            found.append(Place(where if where in ("subject", "body") else "body", None, count))
    return tuple(found)


def holds_personal_data(mail: Mail) -> bool:
    """The mail held national IDs (the store's one rule, `bot.store.personal_data`)."""
    return held_personal_data(mail.personal_data, mail.verdict)


def flag_of(mail: Mail) -> MailPersonalData:
    """What the ticket's flag says about `mail` (one that `holds_personal_data`)."""
    return MailPersonalData(
        mail.id,
        mask_national_ids(mail.subject),
        places(mail.verdict),
        mail.personal_data_deleted_at,
    )


def protected_attachments(verdict: Mapping[str, Any], filenames: Sequence[str]) -> frozenset[int]:
    """Indexes (as `parse_mail` numbers the attachments) of the files that hold IDs.

    Only attachments the verdict names, when every place it names is such an attachment;
    otherwise all of them (the subject or text held IDs, or it cannot be told which file).
    """
    found = places(verdict)
    if not found:
        return frozenset()
    masked = [mask_national_ids(name) for name in filenames]
    named = {p.filename for p in found if p.where == "attachment"}
    every = frozenset(range(len(filenames)))
    if any(p.where != "attachment" for p in found) or not named <= set(masked):
        return every
    return frozenset(i for i, name in enumerate(masked) if name in named)


def download_access(
    *, holds_ids: bool, deleted: bool, is_admin: bool, reason: str | None
) -> Access:
    """The access rule for one file of a mail (an attachment or the raw mail).

    `reason` is None for a plain GET (no form sent), else what the admin typed.
    """
    if deleted and holds_ids:
        return Access.DELETED
    if not holds_ids:
        return Access.ALLOWED
    if not is_admin:
        return Access.REFUSED
    if reason is None or len(reason.strip()) < REASON_MIN_CHARS:
        return Access.REASON_NEEDED
    return Access.ALLOWED


def record_download(
    store: Store, ticket_id: int, mail_id: int, user: str, filename: str, reason: str
) -> None:
    """Write the admin's download to the ticket's history: who, why and which file."""
    with store.session() as session, session.begin():
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise LookupError(ticket_id)
        session.add(
            TicketEvent(
                ticket_id=ticket_id,
                actor=user,
                action=DOWNLOADED,
                detail={
                    "mail_id": mail_id,
                    "file": mask_national_ids(filename),
                    "reason": mask_national_ids(reason.strip()[:REASON_MAX_CHARS]),
                },
            )
        )

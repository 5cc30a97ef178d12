"""A case thread's state, mail by mail: pure functions, no database.

A case keeps the category of its latest decisive mail (an application thread becomes a
signed-offer thread when the offer comes back); what it has received adds up over all
its mails, so a DPIA sent a day later completes the application it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.requirements import Requirement, applicable, missing_items
from bot.verdict import Category, ItemNote, Verdict


class TicketStatus(StrEnum):
    NEW = "new"
    """Filed, for a caseworker to read (questions and anything the bot cannot judge)."""
    WAITING_FOR_APPLICANT = "waiting_for_applicant"
    """Something required is missing; the applicant has been asked for it."""
    READY = "ready"
    """Everything the rules require is there: ready for the caseworker's assessment."""
    CLOSED = "closed"


@dataclass(frozen=True)
class CaseState:
    category: Category
    provided: frozenset[str]
    conditions: frozenset[str]
    missing: tuple[str, ...]
    status: TicketStatus
    to_check: tuple[str, ...] = ()


def next_case_state(
    previous: CaseState | None, verdict: Verdict, requirements: tuple[Requirement, ...]
) -> CaseState:
    """The case after this mail joined it (or the new case this mail opens).

    What the thread holds adds up over its mails; the conditions (identifying variables
    requested …) are re-decided by the newest mail that carries a form or a variable list,
    so a corrected form clears a condition an earlier one raised. Items the bot could not
    judge stay "to check" until a later mail provides them.
    """
    if previous is None or verdict.category is not Category.OTHER:
        category = verdict.category
    else:
        category = previous.category  # a question in an application thread stays an application
    if (
        previous is not None
        and previous.category is Category.NEW_APPLICATION
        and category is Category.CHANGE_REQUEST
        and previous.status is not TicketStatus.CLOSED
    ):
        # There is no decision yet to change: more variables or a new list sent for an open
        # application are part of that application.
        category = Category.NEW_APPLICATION
    provided = frozenset(verdict.provided) | (previous.provided if previous else frozenset())
    conditions = frozenset(verdict.conditions)
    if previous is not None and not verdict.decides_conditions:
        conditions |= previous.conditions
    missing = missing_items(category, provided, conditions, requirements)
    to_check = set(verdict.to_check) | {
        code
        for code in (previous.to_check if previous else ())
        if not _settled_by(code, verdict, requirements)
    }
    to_check &= {r.code for r in applicable(category, conditions, requirements)}
    missing = tuple(c for c in missing if c not in to_check)
    status = case_status(category, missing, previous.status if previous else None)
    return CaseState(category, provided, conditions, missing, status, tuple(sorted(to_check)))


def _settled_by(code: str, verdict: Verdict, requirements: tuple[Requirement, ...]) -> bool:
    """A later mail brings, readable this time, what an earlier one left to check."""
    if code in verdict.to_check:
        return False
    return any(r.code == code and r.satisfied_by & set(verdict.provided) for r in requirements)


def case_status(
    category: Category, missing: tuple[str, ...], previous: TicketStatus | None
) -> TicketStatus:
    """The one status rule: waiting while something is missing, ready when nothing is;
    `other` stays as it was (new for a caseworker to read), a closed case stays closed
    only until a mail reopens it."""
    if category is Category.OTHER:
        return previous if previous and previous is not TicketStatus.CLOSED else TicketStatus.NEW
    return TicketStatus.WAITING_FOR_APPLICANT if missing else TicketStatus.READY


@dataclass(frozen=True)
class CaseFacts:
    """What the case knows when the mail has joined it: read from the store, passed in."""

    ticket_reference: str
    case_reference: str | None
    category: Category
    """The case's category after this mail (a question in an application thread stays one)."""
    missing: tuple[str, ...]
    """What the case as a whole still lacks, over all its mails."""
    to_check: tuple[str, ...] = ()
    notes: tuple[ItemNote, ...] = ()
    sender_in_thread: bool = True
    """The sender opened the case or wrote in it before; False for a stranger."""
    already_answered: bool = False
    """The same mail (Message-ID or bytes) was filed before: it had its reply then."""
    before_cutoff: bool = False
    """It arrived before the reply cut-off (a backlog from before the first start)."""
    replies_to_sender_today: int = 0
    replies_this_hour: int = 0
    language: str | None = None
    """The language the sender wrote in earlier in the case: a one-line follow-up ("Her er
    DPIA-en.") is too short to tell, and is answered as the case was."""

    @classmethod
    def of_single_mail(cls, verdict: Verdict, ticket_reference: str) -> CaseFacts:
        """The case a mail opens on its own (previews of one mail, `triage`, tests)."""
        return cls(
            ticket_reference=ticket_reference,
            case_reference=verdict.fields.case_reference,
            category=verdict.category,
            missing=verdict.missing,
            to_check=verdict.to_check,
            notes=verdict.notes,
        )

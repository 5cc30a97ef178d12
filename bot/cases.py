"""A case thread's state, mail by mail: pure functions, no database.

A case keeps the category of its latest decisive mail (an application thread becomes a
signed-offer thread when the offer comes back); what it has received adds up over all
its mails, so a DPIA sent a day later completes the application it belongs to.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from bot.requirements import Requirement, missing_items
from bot.verdict import Category, Reply, ReplyAction, Verdict


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


def next_case_state(
    previous: CaseState | None, verdict: Verdict, requirements: tuple[Requirement, ...]
) -> CaseState:
    """The case after this mail joined it (or the new case this mail opens)."""
    if previous is None or verdict.category is not Category.OTHER:
        category = verdict.category
    else:
        category = previous.category  # a question in an application thread stays an application
    provided = frozenset(verdict.provided) | (previous.provided if previous else frozenset())
    conditions = frozenset(verdict.conditions) | (previous.conditions if previous else frozenset())
    missing = missing_items(category, provided, conditions, requirements)
    if category is Category.OTHER:
        status = (
            previous.status
            if previous and previous.status is not TicketStatus.CLOSED
            else TicketStatus.NEW
        )
    elif missing:
        status = TicketStatus.WAITING_FOR_APPLICANT
    else:
        status = TicketStatus.READY
    return CaseState(category, provided, conditions, missing, status)


def reply_for_case(verdict: Verdict, state: CaseState) -> Verdict:
    """The verdict as the reply should speak of it: the case's missing items, not the mail's.

    The applicant who sends the missing DPIA in a second mail hears that the case is
    complete, not that the second mail lacks a form.
    """
    if verdict.reply.action is ReplyAction.NONE:
        return verdict
    action = ReplyAction.REQUEST_MISSING if state.missing else ReplyAction.ACKNOWLEDGE
    reply = Reply(action, verdict.reply.language, verdict.reply.subject)
    return dataclasses.replace(verdict, category=state.category, missing=state.missing, reply=reply)


def limit_to_thread(
    verdict: Verdict, *, thread_case_reference: str | None, sender_in_thread: bool
) -> Verdict:
    """The verdict cut down to what this reply may say: this thread's data, nothing else.

    The case reference is the thread's (the ticket's), not whatever reference the mail's
    text or quoted history named. A sender who has not written in the thread before (it
    named someone else's case reference, or answered a reply forwarded to it) hears only
    a receipt: what the case has or lacks belongs to the applicant, and anybody can type
    a case reference. A caseworker still reads the mail.
    """
    fields = dataclasses.replace(verdict.fields, case_reference=thread_case_reference)
    limited = dataclasses.replace(verdict, fields=fields)
    if sender_in_thread or verdict.reply.action is ReplyAction.NONE:
        return limited
    receipt = Reply(ReplyAction.ACKNOWLEDGE, verdict.reply.language, verdict.reply.subject)
    return dataclasses.replace(
        limited, category=Category.OTHER, missing=(), provided=(), conditions=(), reply=receipt
    )

"""A case thread's state adds up its mails: category, what was received, what is missing."""

from __future__ import annotations

import dataclasses

from bot.cases import TicketStatus, next_case_state, reply_for_case
from bot.requirements import load_requirements
from bot.triage import decide_reply
from bot.verdict import Category, Reply, ReplyAction, Verdict
from parsers.fields import Fields

REQUIREMENTS = load_requirements()


def verdict(
    category: Category, provided: tuple[str, ...] = (), conditions: tuple[str, ...] = ()
) -> Verdict:
    return Verdict(
        file="x.eml", message_id=None, category=category, confidence=0.9, language="nb",
        auto_generated=False, fields=Fields(), attachments=(), missing=(),
        reply=Reply(ReplyAction.ACKNOWLEDGE, "nb", "Re: x"), provided=provided, conditions=conditions,
    )  # fmt: skip


def test_items_received_in_later_mails_complete_the_case() -> None:
    first = next_case_state(
        None, verdict(Category.NEW_APPLICATION, ("application_form", "script")), REQUIREMENTS
    )
    assert first.missing == ("dpia",) and first.status is TicketStatus.WAITING_FOR_APPLICANT
    second = next_case_state(first, verdict(Category.OTHER, ("dpia",)), REQUIREMENTS)
    assert second.category is Category.NEW_APPLICATION
    assert second.missing == () and second.status is TicketStatus.READY


def test_a_condition_raised_earlier_still_needs_its_justification_later() -> None:
    first = next_case_state(
        None,
        verdict(
            Category.NEW_APPLICATION,
            ("application_form", "variable_list", "dpia"),
            ("identifying_variables_requested",),
        ),
        REQUIREMENTS,
    )
    assert first.missing == ("identifying_variables_justification",)
    second = next_case_state(
        first, verdict(Category.OTHER, ("identifying_variables_justification",)), REQUIREMENTS
    )
    assert second.missing == ()


def test_the_thread_takes_the_category_of_its_latest_decisive_mail() -> None:
    application = next_case_state(None, verdict(Category.NEW_APPLICATION), REQUIREMENTS)
    offer = next_case_state(
        application,
        verdict(Category.SIGNED_OFFER, ("signed_offer", "field:case_reference")),
        REQUIREMENTS,
    )
    assert offer.category is Category.SIGNED_OFFER and offer.missing == ()


def test_a_new_mail_reopens_a_closed_case() -> None:
    closed = dataclasses.replace(
        next_case_state(None, verdict(Category.OTHER), REQUIREMENTS), status=TicketStatus.CLOSED
    )
    assert next_case_state(closed, verdict(Category.OTHER), REQUIREMENTS).status is TicketStatus.NEW


def test_the_reply_speaks_of_the_case_not_of_the_single_mail() -> None:
    state = next_case_state(
        None,
        verdict(Category.NEW_APPLICATION, ("application_form", "script", "dpia")),
        REQUIREMENTS,
    )
    mail_alone = dataclasses.replace(
        verdict(Category.NEW_APPLICATION, ("dpia",)),
        missing=("application_form", "variable_list"),
        reply=decide_reply("Re: x", "nb", False, ("application_form", "variable_list")),
    )
    reply = reply_for_case(mail_alone, state)
    assert reply.missing == () and reply.reply.action is ReplyAction.ACKNOWLEDGE


def test_machine_mail_stays_unanswered_whatever_the_case_needs() -> None:
    state = next_case_state(None, verdict(Category.NEW_APPLICATION), REQUIREMENTS)
    silent = dataclasses.replace(
        verdict(Category.OTHER), reply=Reply(ReplyAction.NONE, "nb", "Re: x")
    )
    assert reply_for_case(silent, state).reply.action is ReplyAction.NONE

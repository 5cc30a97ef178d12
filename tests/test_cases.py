"""A case thread's state adds up its mails: category, what was received, what is missing."""

from __future__ import annotations

import dataclasses

from bot.cases import TicketStatus, next_case_state
from bot.requirements import load_requirements
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


def test_a_corrected_form_clears_a_condition_an_earlier_form_raised() -> None:
    first = next_case_state(
        None,
        dataclasses.replace(
            verdict(
                Category.NEW_APPLICATION,
                ("application_form", "variable_list", "dpia"),
                ("identifying_variables_requested",),
            ),
            decides_conditions=True,
        ),
        REQUIREMENTS,
    )
    assert first.missing == ("identifying_variables_justification",)
    corrected = dataclasses.replace(
        verdict(Category.OTHER, ("application_form",)), decides_conditions=True
    )
    assert next_case_state(first, corrected, REQUIREMENTS).missing == ()


def test_a_mail_without_form_or_list_keeps_the_conditions_it_does_not_decide() -> None:
    first = next_case_state(
        None,
        verdict(
            Category.NEW_APPLICATION,
            ("application_form", "variable_list", "dpia"),
            ("identifying_variables_requested",),
        ),
        REQUIREMENTS,
    )
    question = next_case_state(first, verdict(Category.OTHER), REQUIREMENTS)
    assert question.missing == ("identifying_variables_justification",)


def test_an_item_the_bot_could_not_judge_is_to_check_not_missing() -> None:
    unclear = dataclasses.replace(
        verdict(Category.SIGNED_OFFER, ("field:case_reference",)), to_check=("signed_offer",)
    )
    state = next_case_state(None, unclear, REQUIREMENTS)
    assert state.missing == () and state.to_check == ("signed_offer",)
    signed = next_case_state(state, verdict(Category.SIGNED_OFFER, ("signed_offer",)), REQUIREMENTS)
    assert signed.to_check == () and signed.missing == ()


def test_a_change_to_an_application_not_yet_decided_stays_part_of_the_application() -> None:
    application = next_case_state(
        None, verdict(Category.NEW_APPLICATION, ("application_form", "dpia")), REQUIREMENTS
    )
    more = next_case_state(
        application, verdict(Category.CHANGE_REQUEST, ("variable_list",)), REQUIREMENTS
    )
    assert more.category is Category.NEW_APPLICATION and more.missing == ()
    closed = dataclasses.replace(application, status=TicketStatus.CLOSED)
    later = next_case_state(
        closed, verdict(Category.CHANGE_REQUEST, ("variable_list",)), REQUIREMENTS
    )
    assert later.category is Category.CHANGE_REQUEST

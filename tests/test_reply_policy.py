"""The one reply decision: whether to reply, to whom, in which written standard, with what."""

from __future__ import annotations

import dataclasses

from bot.cases import CaseFacts
from bot.language_decisions import LanguageDecisions, load_language_decisions
from bot.reply_policy import NoReply, ReplyLimits, ReplyPlan, plan, verdict_reply
from bot.triage import TriageContext, triage
from bot.verdict import Category, ItemNote, NoteReason, ReplyAction, Verdict
from parsers.fields import Fields
from parsers.mail import parse_mail
from tests.conftest import make_mail

MAIL = parse_mail(make_mail("Vedlagt er søknaden vår.", subject="Søknad om mikrodata"))
LIMITS = ReplyLimits("mikrodata@ssb.no", "ssb.no", max_replies_per_sender_per_day=5,
                     max_replies_per_hour=100)  # fmt: skip


def verdict(
    category: Category = Category.NEW_APPLICATION,
    missing: tuple[str, ...] = (),
    language: str = "nb",
    auto_generated: bool = False,
    organization_number: str | None = None,
) -> Verdict:
    return Verdict(
        file="x.eml", message_id=MAIL.message_id, category=category, confidence=0.9,
        language=language, auto_generated=auto_generated,
        fields=Fields(organization_number=organization_number), attachments=(), missing=missing,
        reply=verdict_reply(MAIL.subject, language, auto_generated, missing),
    )  # fmt: skip


def facts(v: Verdict, **changes: object) -> CaseFacts:
    return dataclasses.replace(CaseFacts.of_single_mail(v, "MB-000007"), **changes)  # type: ignore[arg-type]


def planned(v: Verdict, case: CaseFacts, limits: ReplyLimits = LIMITS) -> ReplyPlan:
    decided = plan(v, MAIL, case, limits)
    assert isinstance(decided, ReplyPlan), decided
    return decided


def test_machine_made_mail_gets_no_reply_whatever_the_case_lacks() -> None:
    v = verdict(missing=("dpia",), auto_generated=True)
    assert isinstance(plan(v, MAIL, facts(v), LIMITS), NoReply)


def test_a_second_delivery_and_a_backlog_mail_get_no_reply() -> None:
    v = verdict()
    assert plan(v, MAIL, facts(v, already_answered=True), LIMITS) == NoReply(
        "the same mail was delivered before and answered then"
    )
    assert plan(v, MAIL, facts(v, before_cutoff=True), LIMITS) == NoReply(
        "arrived before the reply cut-off"
    )


def test_the_reply_lists_what_the_case_lacks_not_what_the_one_mail_lacks() -> None:
    v = verdict(Category.OTHER, missing=())
    case = facts(v, category=Category.NEW_APPLICATION, missing=("variable_list",))
    reply = planned(v, case)
    assert reply.action is ReplyAction.REQUEST_MISSING and reply.missing == ("variable_list",)
    assert reply.category is Category.NEW_APPLICATION and reply.template == "request_missing"


def test_a_complete_case_is_acknowledged_and_other_mail_gets_a_receipt() -> None:
    v = verdict(Category.OTHER, missing=())
    assert planned(v, facts(v, category=Category.NEW_APPLICATION)).template == "acknowledge"
    assert planned(v, facts(v)).template == "receipt"


def test_a_stranger_naming_someone_elses_case_hears_only_a_receipt() -> None:
    v = verdict(Category.SIGNED_OFFER, missing=("signed_offer",))
    reply = planned(v, facts(v, sender_in_thread=False, case_reference="24/01872"))
    assert reply.template == "receipt" and reply.missing == ()
    assert reply.action is ReplyAction.ACKNOWLEDGE


def test_what_the_bot_could_not_judge_is_not_asked_for() -> None:
    v = verdict(Category.SIGNED_OFFER, missing=())
    reply = planned(v, facts(v, to_check=("signed_offer",)))
    assert reply.action is ReplyAction.ACKNOWLEDGE and reply.missing == ()


def test_a_note_travels_with_its_missing_item_only() -> None:
    v = verdict(Category.SIGNED_OFFER, missing=("signed_offer",))
    notes = (
        ItemNote("signed_offer", NoteReason.NOT_SIGNED, "tilbud.pdf"),
        ItemNote("dpia", NoteReason.NOT_ATTACHED, "skjema.pdf"),
    )
    reply = planned(v, facts(v, notes=notes))
    assert reply.notes == notes[:1]


def test_nynorsk_mail_is_answered_in_nynorsk_and_english_in_english() -> None:
    assert planned(verdict(language="nn"), facts(verdict(language="nn"))).language == "nn"
    assert planned(verdict(language="en"), facts(verdict(language="en"))).language == "en"
    assert planned(verdict(language="nb"), facts(verdict(language="nb"))).language == "nb"


def test_a_body_whose_language_decision_is_nynorsk_gets_nynorsk_even_when_writing_bokmal() -> None:
    decisions = LanguageDecisions({"944183779": "Møre og Romsdal fylkeskommune"}, {})
    limits = dataclasses.replace(LIMITS, language_decisions=decisions)
    v = verdict(organization_number="944183779")
    reply = planned(v, facts(v), limits)
    assert reply.language == "nn" and "Møre og Romsdal" in reply.language_reason
    by_domain = LanguageDecisions({}, {"volda.kommune.no": "Volda kommune"})
    sender = parse_mail(make_mail("Søknad.", sender="Per <per@helse.volda.kommune.no>"))
    decided = plan(verdict(), sender, facts(verdict()), dataclasses.replace(
        LIMITS, language_decisions=by_domain))  # fmt: skip
    assert isinstance(decided, ReplyPlan) and decided.language == "nn"


def test_the_shipped_language_decisions_name_their_bodies() -> None:
    decisions = load_language_decisions()
    assert decisions.by_organization_number or decisions.by_domain
    assert decisions.nynorsk_body(None, "post@vlfk.no") == decisions.by_domain["vlfk.no"]


def test_rate_limits_stop_automatic_replies_but_not_a_caseworkers_request() -> None:
    v = verdict(missing=("dpia",))
    busy = facts(v, replies_to_sender_today=5)
    assert isinstance(plan(v, MAIL, busy, LIMITS), NoReply)
    assert isinstance(plan(v, MAIL, busy, LIMITS, manual=True), ReplyPlan)
    assert isinstance(plan(v, MAIL, facts(v, replies_this_hour=100), LIMITS), NoReply)


def test_a_caseworkers_request_needs_something_missing() -> None:
    v = verdict()
    assert isinstance(plan(v, MAIL, facts(v), LIMITS, manual=True), NoReply)


def test_the_reply_goes_to_from_never_to_reply_to() -> None:
    raw = make_mail("Søknad.", headers={"Reply-To": "victim@example.org"})
    mail = parse_mail(raw)
    decided = plan(verdict(), mail, facts(verdict()), LIMITS)
    assert isinstance(decided, ReplyPlan) and decided.recipient == "kari.nordmann@bergen.kommune.no"


def test_a_one_line_follow_up_is_answered_in_the_language_the_case_was_written_in() -> None:
    short = parse_mail(make_mail("Her er DPIA-en.", subject="Re: Søknad"))
    v = verdict(Category.OTHER, language="en")
    decided = plan(v, short, facts(v, language="nb"), LIMITS)
    assert isinstance(decided, ReplyPlan) and decided.language == "nb"
    assert "short follow-up" in decided.language_reason
    long_english = parse_mail(make_mail("Please find attached the DPIA. " * 4))
    decided = plan(v, long_english, facts(v, language="nb"), LIMITS)
    assert isinstance(decided, ReplyPlan) and decided.language == "en"


def test_the_contract_line_and_the_sent_reply_agree_on_nynorsk_for_a_nynorsk_body(
    context: TriageContext,
) -> None:
    raw = make_mail(
        "Vedlagt er søknaden vår om tilgang til mikrodata, med skjema og variabellister.",
        sender="Per Hansen <per.hansen@volda.kommune.no>",
    )
    v = triage(raw, "x", context)
    assert v.language == "nb" and v.reply.language == "nn"
    decided = plan(v, parse_mail(raw), facts(v), dataclasses.replace(
        LIMITS, language_decisions=load_language_decisions()))  # fmt: skip
    assert isinstance(decided, ReplyPlan) and decided.language == v.reply.language


def test_a_strangers_receipt_names_no_case_reference_they_did_not_type() -> None:
    v = verdict(Category.OTHER)
    reply = planned(v, facts(v, sender_in_thread=False, case_reference="24/01872"))
    assert reply.case_reference is None and reply.ticket_reference == "MB-000007"

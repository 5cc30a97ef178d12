"""Whether to reply, to whom and with what: the one place the bot decides it.

`plan(verdict, mail, case, limits)` is a pure function of plain data. The worker (the
automatic reply), the caseworkers' pages and `mikrobot reply-preview` (the preview) and a
caseworker's "send the missing-items reply again" all call it, and all hand its plan to
the one composer (`bot.replies.render.compose`), so a preview is the reply that would go.

What it weighs, in order: the verdict's own action (machine-made mail gets nothing), the
same mail delivered twice, the reply cut-off (a backlog from before the first start), who
may receive a reply at all (the mail's From, one plain address, not ourselves), whether
the sender is the case's own applicant (a stranger who names someone else's case hears
only a receipt), the case's missing items (the thread's, not the one mail's), the written
standard to answer in, and last the rate limits. Then who lets the reply go: the bot at
once, or a caseworker first (`reply_mode`, `hold_reason`). A caseworker's reminder is
refused within `resend_guard_minutes` of the case's previous reply (`reminder_wait`).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from bot.cases import CaseFacts
from bot.language_decisions import LanguageDecisions
from bot.replies.headers import addresses_named, clean_message_id, plain_address
from bot.verdict import Category, ItemNote, Reply, ReplyAction, Verdict
from parsers.message import ParsedMail

REPLY_LANGUAGES: Final = ("nb", "nn", "en")
"""Written standards with a full set of reply templates."""
DEFAULT_LANGUAGE: Final = "nb"
SHORT_TEXT_CHARS: Final = 80
"""Below this much new text a mail's language is a guess; a case's earlier mail decides."""
FALLBACK_SUBJECT: Final = {
    "nb": "Henvendelse til SSB mikrodata",
    "nn": "Førespurnad til SSB mikrodata",
    "en": "Your message to SSB",
}
REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|sv|aw|vs|fw|fwd|vb)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)


class ReplyMode(StrEnum):
    """Who lets an automatic reply go (the setting `reply_mode`)."""

    AUTO = "auto"
    """The bot sends every reply it decides on."""
    REVIEW = "review"
    """Every automatic reply waits for a caseworker to approve, edit or discard it: how an
    agency pilots a bot."""
    REVIEW_UNCERTAIN = "review_uncertain"
    """Only the replies that ask for missing items, or answer a verdict less confident than
    `review_confidence`, wait; receipts for confident verdicts go at once."""


class HoldReason(StrEnum):
    """Why an automatic reply waits for a caseworker (stored with the waiting reply)."""

    EVERY_REPLY = "every_reply"
    REQUESTS_MISSING = "requests_missing"
    LOW_CONFIDENCE = "low_confidence"


@dataclass(frozen=True)
class ReplyLimits:
    """The settings the decision needs, and nothing else."""

    own_address: str
    message_id_domain: str
    max_replies_per_sender_per_day: int = 5
    max_replies_per_hour: int | None = None
    language_decisions: LanguageDecisions = field(default_factory=LanguageDecisions)
    reply_mode: ReplyMode = ReplyMode.AUTO
    review_confidence: float = 0.8
    """`review_uncertain`: a verdict below this confidence has its reply approved first."""


@dataclass(frozen=True)
class ReplyPlan:
    """Everything the reply will say and where it goes; the composer only writes it out."""

    recipient: str
    action: ReplyAction
    template: str
    """`acknowledge`, `receipt` (for `other` and strangers) or `request_missing`."""
    language: str
    subject: str
    """Without the `Re: ` the composer adds (it cleans the mail's text for a header)."""
    category: Category
    case_reference: str | None
    ticket_reference: str
    missing: tuple[str, ...] = ()
    notes: tuple[ItemNote, ...] = ()
    parent_message_id: str | None = None
    references: tuple[str, ...] = ()
    language_reason: str = ""
    """Why this written standard: the mail's own, or the body's language decision."""
    personal_data: tuple[str, ...] = ()
    """Where the mail held national ID numbers (`subject`, `body`, `attachment:<name>`):
    the reply says such data must not come by e-mail and has been set apart."""
    hold: HoldReason | None = None
    """Why this automatic reply waits for a caseworker's approval (`reply_mode`); None: it
    goes as it is. A reply a caseworker asked for never waits: a person already decided."""


@dataclass(frozen=True)
class NoReply:
    """Why the bot stays silent about a mail, in words for the ticket's history."""

    reason: str


def plan(
    verdict: Verdict,
    mail: ParsedMail,
    case: CaseFacts,
    limits: ReplyLimits,
    *,
    manual: bool = False,
) -> ReplyPlan | NoReply:
    """The reply to send for `verdict` in `case`, or why none is sent.

    `manual` is a caseworker asking for the missing-items reply again: the cut-off and a
    second delivery do not stop it, but it must have something to ask for.
    """
    if verdict.reply.action is ReplyAction.NONE or verdict.auto_generated:
        return NoReply("the mail is machine-made (auto-reply, bounce or list)")
    if not manual and case.already_answered:
        return NoReply("the same mail was delivered before and answered then")
    if not manual and case.before_cutoff:
        return NoReply("arrived before the reply cut-off")
    recipient = recipient_of(mail, limits)
    if isinstance(recipient, NoReply):
        return recipient
    written = verdict
    if (
        case.language in REPLY_LANGUAGES
        and case.language != verdict.language
        and len(mail.text.new.strip()) < SHORT_TEXT_CHARS
    ):
        written = dataclasses.replace(verdict, language=case.language)  # too short to tell
    language, language_reason = reply_language(written, mail, limits.language_decisions)
    if written is not verdict and not language_reason.startswith("språkvedtak"):
        language_reason = f"a short follow-up: the case's first mail is written in {language}"
    if case.sender_in_thread:
        category, missing = case.category, case.missing
    else:
        category, missing = Category.OTHER, ()
    if manual and not missing:
        return NoReply("nothing is missing: there is no missing-items reply to send")
    if missing:
        action, template = ReplyAction.REQUEST_MISSING, "request_missing"
    else:
        action = ReplyAction.ACKNOWLEDGE
        template = "receipt" if category is Category.OTHER else "acknowledge"
    if not manual:
        limited = _over_limit(case, limits, recipient)
        if limited is not None:
            return limited
    parent = clean_message_id(mail.message_id)
    hold = None if manual else hold_reason(action, verdict.confidence, limits)
    return ReplyPlan(
        recipient=recipient,
        action=action,
        template=template,
        language=language,
        subject=REPLY_PREFIX.sub("", verdict.reply.subject).strip() or FALLBACK_SUBJECT[language],
        category=category,
        # A stranger typed a ticket or case number: the receipt names no more than they typed.
        case_reference=case.case_reference if case.sender_in_thread else None,
        ticket_reference=case.ticket_reference,
        missing=missing,
        notes=tuple(n for n in case.notes if n.code in missing) if missing else (),
        parent_message_id=parent,
        references=tuple(mail.references),
        language_reason=language_reason,
        personal_data=tuple(p.where for p in verdict.personal_data),
        hold=hold,
    )


def hold_reason(action: ReplyAction, confidence: float, limits: ReplyLimits) -> HoldReason | None:
    """Whether an automatic reply with `action`, to a verdict this confident, waits for a
    caseworker under `limits.reply_mode` — and why. None: the bot sends it."""
    if limits.reply_mode == ReplyMode.REVIEW:
        return HoldReason.EVERY_REPLY
    if limits.reply_mode == ReplyMode.REVIEW_UNCERTAIN:
        if action is ReplyAction.REQUEST_MISSING:
            return HoldReason.REQUESTS_MISSING
        if confidence < limits.review_confidence:
            return HoldReason.LOW_CONFIDENCE
    return None


def reminder_wait(
    previous_reply_at: datetime | None, now: datetime, guard: timedelta
) -> datetime | None:
    """When a caseworker's "send the missing-items reply again" may go, if not now.

    Two clicks used to send two identical reminders: a reminder within `guard` of the
    case's previous reply (the bot's or a person's, queued, waiting or sent) is refused
    until the returned time. None: it may go now.
    """
    if previous_reply_at is None or guard <= timedelta(0):
        return None
    allowed = previous_reply_at + guard
    return allowed if now < allowed else None


def verdict_reply(
    subject: str, language: str, auto_generated: bool, missing: tuple[str, ...]
) -> Reply:
    """The contract's `reply` for one mail on its own: none to machines, the missing list
    if anything is missing, a receipt otherwise. (`plan` decides what a case's reply is.)"""
    if auto_generated:
        action = ReplyAction.NONE
    elif missing:
        action = ReplyAction.REQUEST_MISSING
    else:
        action = ReplyAction.ACKNOWLEDGE
    reply_language = language if language in REPLY_LANGUAGES else DEFAULT_LANGUAGE
    base = REPLY_PREFIX.sub("", subject).strip()
    return Reply(action, reply_language, f"Re: {base or FALLBACK_SUBJECT[reply_language]}")


def recipient_of(mail: ParsedMail, limits: ReplyLimits) -> str | NoReply:
    """The one address a reply may go to: the mail's From. Never Reply-To, never the body.

    Why not Reply-To, which RFC 5322 says a reply should go to: nothing vouches for it.
    SSB's mail gateway checks the From domain (SPF, DKIM and DMARC align on From), but a
    Reply-To is whatever the writer typed, so a forger could send one mail with
    `Reply-To: victim@…` and have SSB's own server mail the victim. SSB's applicants
    write from their own address, so From loses nothing for them; a person who really
    wants the answer elsewhere says so, and a caseworker reads it. The From header must
    name exactly one address (display names included, see `addresses_named`): a list,
    a second From, or an address hidden in an encoded name gets no automatic reply.
    """
    if mail.sender is None:
        return NoReply("the mail has no sender address")
    if mail.sender.email.strip().lower() == limits.own_address.lower():
        return NoReply("the mail comes from the bot's own address")
    if (mail.message_id or "").lower().endswith(f"@{limits.message_id_domain.lower()}>"):
        return NoReply("the mail carries a Message-ID of the bot's own domain")
    if len(addresses_named(value for name, value in mail.headers if name.lower() == "from")) > 1:
        return NoReply("the From header names more than one address")
    address = plain_address(mail.sender.email.strip())
    if address is None:
        return NoReply("the From address is not one plain, valid address")
    return address


def reply_language(
    verdict: Verdict, mail: ParsedMail, decisions: LanguageDecisions
) -> tuple[str, str]:
    """The written standard to answer `verdict`'s mail in, and why (`written_standard`)."""
    sender = mail.sender.email if mail.sender else None
    return written_standard(verdict.language, verdict.fields.organization_number, sender, decisions)


def written_standard(
    language: str, organization_number: str | None, sender: str | None, decisions: LanguageDecisions
) -> tuple[str, str]:
    """The written standard to answer in, and why.

    Språklova: a state body answers in the standard the person used, and a municipality or
    county whose language decision is nynorsk gets nynorsk. English mail gets English.
    """
    answer = language if language in REPLY_LANGUAGES else DEFAULT_LANGUAGE
    if answer == "nb":
        body = decisions.nynorsk_body(organization_number, sender)
        if body is not None:
            return "nn", f"språkvedtak: {body}"
    return answer, f"the mail is written in {language}"


def _over_limit(case: CaseFacts, limits: ReplyLimits, recipient: str) -> NoReply | None:
    if case.replies_to_sender_today >= limits.max_replies_per_sender_per_day:
        return NoReply(
            f"rate limit: {limits.max_replies_per_sender_per_day} replies a day to {recipient}"
        )
    if limits.max_replies_per_hour is not None and (
        case.replies_this_hour >= limits.max_replies_per_hour
    ):
        return NoReply(f"overall rate limit: {limits.max_replies_per_hour} replies an hour")
    return None

"""The reply as every path makes it: settings → `reply_policy.plan` → `render.compose`.

The worker's automatic reply, the ticket page's preview, `mikrobot reply-preview` and a
caseworker's "send the missing-items reply again" all come through `answer`, so what a
preview shows is what would be sent. The worker's `Answerer(review=True)` also applies the
plan's `hold` (`reply_mode`): such a reply is queued to wait for a caseworker. Rate-limit
counts and the case's state come from the store as `CaseFacts`; nothing here touches the
database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

from bot.cases import CaseFacts
from bot.language_decisions import load_language_decisions
from bot.replies.render import compose
from bot.reply_policy import HoldReason, NoReply, ReplyLimits, plan
from bot.settings import Settings
from bot.store.repository import HeldReply
from bot.verdict import Verdict
from parsers.message import ParsedMail


def reply_limits(settings: Settings) -> ReplyLimits:
    return ReplyLimits(
        own_address=settings.from_address,
        message_id_domain=settings.message_id_domain,
        max_replies_per_sender_per_day=settings.max_replies_per_sender_per_day,
        max_replies_per_hour=settings.max_replies_per_hour,
        language_decisions=load_language_decisions(),
        reply_mode=settings.reply_mode,
        review_confidence=settings.review_confidence,
    )


@dataclass(frozen=True)
class Answerer:
    """`answer(verdict, mail, facts)` with the settings bound: the store's reply builder."""

    settings: Settings
    manual: bool = False
    now: datetime | None = None
    """Fixed time and Message-ID make a preview comparable byte for byte with a send."""
    message_id: str | None = None
    review: bool = False
    """The worker's automatic reply: a plan that must wait for a caseworker (`hold`) comes
    back as `HeldReply`. Previews and a caseworker's own requests leave it False."""

    def __call__(
        self, verdict: Verdict, mail: ParsedMail, facts: CaseFacts
    ) -> EmailMessage | HeldReply | str:
        made = self._made(verdict, mail, facts)
        if isinstance(made, str):
            return made
        message, hold = made
        if self.review and hold is not None:
            return HeldReply(message, hold.value)
        return message

    def reply(self, verdict: Verdict, mail: ParsedMail, facts: CaseFacts) -> EmailMessage | str:
        """The reply itself (or why there is none), whoever lets it go: previews, drafts."""
        made = self._made(verdict, mail, facts)
        return made if isinstance(made, str) else made[0]

    def _made(
        self, verdict: Verdict, mail: ParsedMail, facts: CaseFacts
    ) -> tuple[EmailMessage, HoldReason | None] | str:
        decided = plan(verdict, mail, facts, reply_limits(self.settings), manual=self.manual)
        if isinstance(decided, NoReply):
            return decided.reason
        message = compose(
            decided,
            from_address=self.settings.from_address,
            message_id_domain=self.settings.message_id_domain,
            now=self.now or datetime.now(UTC),
            message_id=self.message_id,
        )
        return message, decided.hold

"""The reply as every path makes it: settings → `reply_policy.plan` → `render.compose`.

The worker's automatic reply, the ticket page's preview, `mikrobot reply-preview` and a
caseworker's "send the missing-items reply again" all come through `answer`, so what a
preview shows is what would be sent. Rate-limit counts and the case's state come from
the store as `CaseFacts`; nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

from bot.cases import CaseFacts
from bot.language_decisions import load_language_decisions
from bot.replies.render import compose
from bot.reply_policy import NoReply, ReplyLimits, plan
from bot.settings import Settings
from bot.verdict import Verdict
from parsers.message import ParsedMail


def reply_limits(settings: Settings) -> ReplyLimits:
    return ReplyLimits(
        own_address=settings.from_address,
        message_id_domain=settings.message_id_domain,
        max_replies_per_sender_per_day=settings.max_replies_per_sender_per_day,
        max_replies_per_hour=settings.max_replies_per_hour,
        language_decisions=load_language_decisions(),
    )


@dataclass(frozen=True)
class Answerer:
    """`answer(verdict, mail, facts)` with the settings bound: the store's reply builder."""

    settings: Settings
    manual: bool = False
    now: datetime | None = None
    """Fixed time and Message-ID make a preview comparable byte for byte with a send."""
    message_id: str | None = None

    def __call__(self, verdict: Verdict, mail: ParsedMail, facts: CaseFacts) -> EmailMessage | str:
        decided = plan(verdict, mail, facts, reply_limits(self.settings), manual=self.manual)
        if isinstance(decided, NoReply):
            return decided.reason
        return compose(
            decided,
            from_address=self.settings.from_address,
            message_id_domain=self.settings.message_id_domain,
            now=self.now or datetime.now(UTC),
            message_id=self.message_id,
        )

"""The running bot: source → triage → store → move → deliver, one mail at a time.

Each mail is filed (ticket, history and reply in one transaction) before it is moved
out of the inbox, so a crash at any point loses nothing: a mail still in the inbox is
filed again only if its source key is unknown, and a queued reply is sent after a
restart. This module is the only one that knows every stage; none of them know it.
"""

from __future__ import annotations

import email
import email.policy
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from types import FrameType

from bot.replies.render import render_reply
from bot.replies.senders import PermanentDeliveryError, Sender, TemporaryDeliveryError
from bot.settings import Settings
from bot.sources import MailSource, SourceMail
from bot.store import Store
from bot.triage import TriageContext, triage_with_mail
from bot.verdict import Verdict
from parsers.message import ParsedMail

log = logging.getLogger(__name__)


@dataclass
class RunStats:
    fetched: int = 0
    filed: int = 0
    duplicates: int = 0
    replies_sent: int = 0
    replies_failed: int = 0
    by_category: dict[str, int] = field(default_factory=dict)


@dataclass
class Service:
    settings: Settings
    context: TriageContext
    source: MailSource
    store: Store
    sender: Sender
    stats: RunStats = field(default_factory=RunStats)
    on_filed: Callable[[SourceMail, Verdict], None] | None = None
    """Called after each mail is filed (progress display)."""
    _stopping: bool = False

    def stop(self) -> None:
        """Finish the mail in hand, then stop (safe from a signal handler)."""
        self._stopping = True
        self.source.stop()
        self.sender.stop()

    def run(self, *, once: bool = False) -> RunStats:
        """Process what is waiting; unless `once`, then wait for more until stopped."""
        if self._stopping:
            return self.stats
        self.deliver_replies()  # replies queued before a crash go out first
        while not self._stopping:
            while self.process_waiting_mail() and not self._stopping:
                pass
            self.deliver_replies()
            if once or self._stopping:
                break
            self.source.wait_for_mail(self.settings.wait_timeout)
        return self.stats

    def process_waiting_mail(self, batch: int = 100) -> int:
        """File every mail the source holds now; returns how many were taken."""
        mails = self.source.fetch_new(limit=batch)
        for mail in mails:
            if self._stopping:
                break
            self.stats.fetched += 1
            category = self.store.filed_category(mail.key)
            if category is not None:
                self.stats.duplicates += 1  # filed before a crash, not yet moved
            else:
                category = self._file(mail)
            self.source.mark_done(mail, category)
        return len(mails)

    def _file(self, mail: SourceMail) -> str:
        verdict, parsed = triage_with_mail(mail.raw, mail.key, self.context)
        filed = self.store.file_mail(
            raw=mail.raw,
            source_key=mail.key,
            received_at=mail.received_at,
            verdict=verdict,
            mail=parsed,
            requirements=self.context.requirements,
            build_reply=self._build_reply,
            max_replies_per_sender_per_day=self.settings.max_replies_per_sender_per_day,
        )
        self.stats.filed += 1
        category = verdict.category.value
        self.stats.by_category[category] = self.stats.by_category.get(category, 0) + 1
        log.info(
            "filed mail=%s ticket=%s category=%s missing=%s reply=%s",
            mail.key, filed.ticket_id, category, ",".join(verdict.missing) or "-",
            "queued" if filed.outbox_id else (filed.reply_skipped or "none"),
        )  # fmt: skip
        if self.on_filed is not None:
            self.on_filed(mail, verdict)
        return category

    def _build_reply(
        self, verdict: Verdict, mail: ParsedMail, ticket_reference: str
    ) -> EmailMessage | None:
        return render_reply(
            verdict,
            mail,
            ticket_reference=ticket_reference,
            from_address=self.settings.from_address,
            message_id_domain=self.settings.message_id_domain,
            now=datetime.now(UTC),
        )

    def deliver_replies(self) -> None:
        """Send queued replies; a temporary failure leaves the rest for the next round."""
        for pending in self.store.pending_replies():
            message = email.message_from_bytes(pending.raw, policy=email.policy.SMTP)
            assert isinstance(message, EmailMessage)
            try:
                self.sender.send(message)
            except TemporaryDeliveryError as error:
                self.store.mark_failed(pending.id, str(error), permanent=False)
                log.warning("reply %s not sent yet: %s", pending.message_id, error)
                return
            except PermanentDeliveryError as error:
                self.store.mark_failed(pending.id, str(error), permanent=True)
                self.stats.replies_failed += 1
                log.error("reply %s rejected: %s", pending.message_id, error)
                continue
            self.store.mark_sent(pending.id)
            self.stats.replies_sent += 1


class StopOnSignals:
    """SIGTERM and SIGINT stop the service after the mail in hand.

    Installed before anything slow starts (loading the model takes a second), so a stop
    that arrives early is remembered and honoured as soon as the service exists.
    """

    def __init__(self) -> None:
        self.requested = False
        self._service: Service | None = None
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)

    def attach(self, service: Service) -> None:
        self._service = service
        if self.requested:
            service.stop()

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        log.warning("signal %s: stopping after the mail in hand", signal.Signals(signum).name)
        self.requested = True
        if self._service is not None:
            self._service.stop()


def open_service(settings: Settings, context: TriageContext) -> Service:
    """Wire the configured source, store and sender (the database is migrated on open)."""
    from bot.replies.senders import sender_from_url
    from bot.sources import open_source

    token = settings.oauth2_token.get_secret_value() if settings.oauth2_token else None
    source = open_source(
        settings.source,
        done_action=settings.done_action,
        folder_template=settings.folder_template,
        poll_interval=settings.poll_interval,
        oauth2_token=token,
        idle=settings.idle,
    )
    store = Store.open(settings.database, settings.raw_mail_dir)
    return Service(settings, context, source, store, sender_from_url(settings.smtp))

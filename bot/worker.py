"""Queue → triage → ticket → reply: what every triage worker does, in any process.

A worker claims a queued mail, triages it, files it (ticket, history and reply in one
transaction) and delivers the replies waiting in the outbox. Any number of workers may
run against one PostgreSQL database; each claim and each send is taken by exactly one.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from bot.context import ContextWatch
from bot.personal_data import ids_in_unread_mail
from bot.replies.senders import PermanentDeliveryError, Sender, TemporaryDeliveryError
from bot.replying import Answerer
from bot.settings import Settings
from bot.store import PendingReply, Store, queue
from bot.store.models import as_utc
from bot.store.queue import ClaimedMail
from bot.triage import TriageContext, error_verdict, triage_for_filing
from bot.verdict import Verdict
from parsers.attachments import AttachmentText
from parsers.attachments.isolation import warm_up
from parsers.mail import parse_mail

log = logging.getLogger(__name__)

SEND_IN_PROGRESS_FOR = 180.0
"""Seconds an SMTP attempt may still be running in another worker: longer than the
sender's own retry deadline (120 s). Before that, a marked reply is left alone."""


@dataclass
class WorkStats:
    filed: int = 0
    replies_sent: int = 0
    replies_failed: int = 0
    by_category: dict[str, int] = field(default_factory=dict)


@dataclass
class Worker:
    settings: Settings
    context: TriageContext
    store: Store
    sender: Sender
    name: str
    stats: WorkStats = field(default_factory=WorkStats)
    on_filed: Callable[[str, Verdict], None] | None = None
    """Called with the source key and verdict after each mail is filed (progress display)."""
    stopping: Callable[[], bool] = lambda: False
    watch: ContextWatch | None = None
    """Where an admin's new model version or rules are noticed (between mails)."""

    def warm_up(self) -> None:
        """Start the extraction worker before claiming mail, so a claim is held for the
        mail's own work only — not for a process start a kill could interrupt."""
        warm_up(self.context.extraction_limits)

    def work_waiting(self, between: Callable[[], None] | None = None) -> int:
        """File queued mails until none is left (or a stop is asked); returns how many.

        New mail is claimed before backlog (`queue.claim`); when the next mail to file is
        backlog, the replies filed so far are sent first, so an applicant's reply never
        waits for a first import's filing. Between new mails filing goes on and the replies
        follow (the caller sends them): filing never waits on a slow relay, and after one
        round the relay refused, not again in this call. `between` runs after each mail
        (the one-process service takes newly arrived mail into the queue there).
        """
        done = 0
        unsent = False
        relay_ok = True
        while not self.stopping():
            if self.watch is not None and (changed := self.watch.changed()) is not None:
                self.context = changed
            claimed = queue.claim(self.store, self.name, stale_after=self._stale_after)
            if not claimed:
                break
            for mail in claimed:
                if unsent and relay_ok and not mail.may_reply:
                    relay_ok, unsent = self.deliver_replies(), False
                unsent |= self._file(mail)
                done += 1
            if between is not None:
                between()
        return done

    @property
    def _stale_after(self) -> timedelta:
        return timedelta(seconds=self.settings.claim_timeout)

    def _file(self, claimed: ClaimedMail) -> bool:
        """Triage and file one claimed mail; True when a reply to it waits in the outbox."""
        texts: tuple[AttachmentText, ...] = ()
        if claimed.attempts > self.settings.max_attempts:
            verdict = error_verdict(
                claimed.source_key,
                f"not triaged: the worker stopped {claimed.attempts - 1} times on this mail",
            )
            parsed = parse_mail(b"", self.context.mail_limits)
            # Not parsed (parsing is what failed), but still set apart if its bytes show IDs.
            verdict = dataclasses.replace(verdict, personal_data=ids_in_unread_mail(claimed.raw))
            log.error("mail=%s given up after %d claims; filed unread",
                      claimed.source_key, claimed.attempts - 1)  # fmt: skip
        else:
            verdict, parsed, texts = triage_for_filing(
                claimed.raw, claimed.source_key, self.context
            )
        filed = self.store.file_mail(
            raw=claimed.raw,
            source_key=claimed.source_key,
            received_at=claimed.received_at,
            verdict=verdict,
            mail=parsed,
            requirements=self.context.requirements,
            build_reply=Answerer(self.settings, review=True),
            may_reply=claimed.may_reply,
            attachment_texts=texts,
        )
        category = verdict.category.value
        queue.mark_filed(self.store, claimed.id, category, error=verdict.error)
        if filed.duplicate:
            return False  # filed by a worker that died before marking the queue
        self.stats.filed += 1
        self.stats.by_category[category] = self.stats.by_category.get(category, 0) + 1
        log.info(
            "filed mail=%s ticket=%s category=%s missing=%s reply=%s",
            claimed.source_key, filed.ticket_id, category, ",".join(verdict.missing) or "-",
            "queued" if filed.outbox_id else (filed.reply_skipped or "none"),
        )  # fmt: skip
        if self.on_filed is not None:
            self.on_filed(claimed.source_key, verdict)
        return filed.outbox_id is not None

    def deliver_replies(self) -> bool:
        """Send queued replies; a temporary failure leaves the rest for the next round
        (and gives False: the relay is unavailable).

        Each attempt is claimed and recorded before it starts (`sending_since`), so one
        worker sends each reply. A reply whose attempt a crash cut short is sent again only
        when it provably did not go out: the sender says so (a file is not there), or no
        copy came back through the inbox within `delivery_copy_wait`.
        """
        after = 0
        while batch := self.store.pending_replies(after=after):
            for pending in batch:
                if self.stopping():
                    return True
                if not self._deliver(pending):
                    return False
                after = pending.id
        return True

    def _deliver(self, pending: PendingReply) -> bool:
        """Send one queued reply; False when the relay is unavailable (stop this round)."""
        if pending.sending_since is not None and not self._may_send_again(pending):
            return True  # still waiting for its copy: the next round decides
        if not queue.claim_for_sending(self.store, pending.id, pending.sending_since):
            return True  # another worker is sending it
        message = email.message_from_bytes(pending.raw, policy=email.policy.SMTP)
        assert isinstance(message, EmailMessage)
        try:
            self.sender.send(message)
        except TemporaryDeliveryError as error:
            self.store.mark_failed(pending.id, str(error), permanent=False)
            log.warning("reply %s not sent yet: %s", pending.message_id, error)
            return False
        except PermanentDeliveryError as error:
            self.store.mark_failed(pending.id, str(error), permanent=True)
            self.stats.replies_failed += 1
            log.error("reply %s rejected: %s", pending.message_id, error)
            return True
        self.store.mark_sent(pending.id)
        self.stats.replies_sent += 1
        return True

    def _may_send_again(self, pending: PendingReply) -> bool:
        """Decide for a reply whose last attempt was cut off: did it go out or not?"""
        assert pending.sending_since is not None
        delivered = self.sender.delivered(pending.message_id)
        if delivered:
            self.store.mark_sent(pending.id)
            log.info("reply %s was delivered before the interruption", pending.message_id)
            return False
        if delivered is False:
            return True  # the medium shows it is not there (and writing it twice is harmless)
        waited = (datetime.now(UTC) - as_utc(pending.sending_since)).total_seconds()
        if self.settings.delivery_copy:
            if waited < self.settings.delivery_copy_wait:
                log.debug("reply %s: attempt cut off %.0f s ago; waiting for its copy",
                          pending.message_id, waited)  # fmt: skip
                return False
            log.warning("reply %s: no copy came back; sending it again", pending.message_id)
        else:
            if waited < SEND_IN_PROGRESS_FOR:
                return False  # another worker may still be in its retries
            log.warning(
                "reply %s: attempt cut off and delivery cannot be checked; sending it again"
                " (set delivery_copy to confirm by the relay's copy)",
                pending.message_id,
            )
        return True

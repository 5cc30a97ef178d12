"""What an operator watches: counts and ages read from the ticket database.

Everything comes from the database, not from one process's memory, so any process — the
fetcher, a standby, `mikrobot status` on a laptop — reports the same figures for the
whole deployment, across restarts and machines. The fetch age (time since the last good
fetch) is the alarm: a stalled fetcher or an expired OAuth2 token shows as a growing age
instead of a quiet inbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bot.store import Store
from bot.store.models import InboundMail, InboundState, Mail, MailboxState, OutboxMessage, as_utc
from bot.store.models import utc_now as now_utc
from bot.store.personal_data import waiting_for_deletion

DEFAULT_PERSONAL_DATA_HELD_FOR = timedelta(hours=72)


@dataclass(frozen=True)
class MailboxHealth:
    mailbox: str
    fetcher: str | None
    fetch_age: float | None
    """Seconds since the last fetch that succeeded; None before the first."""
    heartbeat_age: float | None
    last_error: str | None


@dataclass(frozen=True)
class Status:
    fetched: int
    queued: int
    oldest_queued_age: float | None
    triaged: dict[str, int]
    errors: int
    """Mails filed with an error on them (a parser failed, or a mail that kept stopping workers)."""
    replies: dict[str, int]
    """Outbox rows by status: pending, sent, failed."""
    replies_confirmed: int
    mailboxes: tuple[MailboxHealth, ...]
    personal_data_mails: int = 0
    """Mails filed with national ID numbers in them (issue #11)."""
    personal_data_waiting: int = 0
    """Of those, the mails whose personal data is still held (not deleted yet)."""
    personal_data_oldest_due: datetime | None = None
    """When the retention rule deletes the oldest of them."""
    mailbox_deletions_pending: int = 0
    """Copies in the mailbox still to delete (queued, or failed and retried)."""

    def stale(self, after: float) -> list[MailboxHealth]:
        """Mailboxes whose last good fetch is older than `after` seconds (or never happened)."""
        return [m for m in self.mailboxes if m.fetch_age is None or m.fetch_age > after]


def _age(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else max(0.0, (now - as_utc(moment)).total_seconds())


def read_status(
    store: Store,
    now: datetime | None = None,
    *,
    personal_data_held_for: timedelta = DEFAULT_PERSONAL_DATA_HELD_FOR,
) -> Status:
    now = now or now_utc()
    waiting = waiting_for_deletion(store, held_for=personal_data_held_for)
    with store.session() as session:
        personal_data_mails = (
            session.scalar(select(func.count(Mail.id)).where(Mail.personal_data.is_(True))) or 0
        )
        fetched = session.scalar(select(func.count(InboundMail.id))) or 0
        queued, oldest = session.execute(
            select(func.count(InboundMail.id), func.min(InboundMail.fetched_at)).where(
                InboundMail.state == InboundState.QUEUED.value
            )
        ).one()
        triaged = dict(
            session.execute(
                select(InboundMail.category, func.count(InboundMail.id))
                .where(InboundMail.state == InboundState.FILED.value)
                .group_by(InboundMail.category)
            ).all()
        )
        errors = session.scalar(select(func.count(Mail.id)).where(Mail.error.is_not(None))) or 0
        replies = dict(
            session.execute(
                select(OutboxMessage.status, func.count(OutboxMessage.id)).group_by(
                    OutboxMessage.status
                )
            ).all()
        )
        confirmed = (
            session.scalar(
                select(func.count(OutboxMessage.id)).where(OutboxMessage.confirmed_at.is_not(None))
            )
            or 0
        )
        mailboxes = tuple(
            MailboxHealth(
                row.mailbox,
                row.fetcher,
                _age(row.last_fetch_at, now),
                _age(row.heartbeat_at, now),
                row.last_error,
            )
            for row in session.scalars(select(MailboxState).order_by(MailboxState.mailbox))
        )
    return Status(
        fetched=int(fetched),
        queued=int(queued or 0),
        oldest_queued_age=_age(oldest, now),
        triaged={str(k): int(v) for k, v in triaged.items()},
        errors=int(errors),
        replies={str(k): int(v) for k, v in replies.items()},
        replies_confirmed=int(confirmed),
        mailboxes=mailboxes,
        personal_data_mails=int(personal_data_mails),
        personal_data_waiting=waiting.mails,
        personal_data_oldest_due=waiting.oldest_due,
        mailbox_deletions_pending=waiting.mailbox_copies,
    )


class StoreCollector(Collector):
    """Prometheus metrics, read from the database at each scrape."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        status = read_status(self.store)
        yield CounterMetricFamily(
            "mikrobot_mails_fetched", "Mails taken from the inbox into the queue.", status.fetched
        )
        triaged = CounterMetricFamily(
            "mikrobot_mails_triaged", "Mails triaged and filed, by category.", labels=["category"]
        )
        for category, count in sorted(status.triaged.items()):
            triaged.add_metric([category], count)
        yield triaged
        yield CounterMetricFamily(
            "mikrobot_mail_errors", "Mails filed with an error for a person.", status.errors
        )
        yield CounterMetricFamily(
            "mikrobot_replies_sent", "Replies handed to the relay.", status.replies.get("sent", 0)
        )
        yield CounterMetricFamily(
            "mikrobot_replies_failed",
            "Replies the relay rejected for good.",
            status.replies.get("failed", 0),
        )
        yield CounterMetricFamily(
            "mikrobot_replies_confirmed",
            "Replies whose copy came back through the inbox.",
            status.replies_confirmed,
        )
        yield CounterMetricFamily(
            "mikrobot_personal_data_mails",
            "Mails filed with national ID numbers in them (set apart, deleted on time).",
            status.personal_data_mails,
        )
        yield GaugeMetricFamily(
            "mikrobot_replies_pending",
            "Replies waiting to be sent.",
            status.replies.get("pending", 0),
        )
        yield GaugeMetricFamily(
            "mikrobot_queue_depth", "Mails fetched and not yet filed.", status.queued
        )
        yield GaugeMetricFamily(
            "mikrobot_queue_oldest_age_seconds",
            "Age of the oldest mail waiting for a worker (0 when none waits).",
            status.oldest_queued_age or 0.0,
        )
        fetch_age = GaugeMetricFamily(
            "mikrobot_fetch_age_seconds",
            "Seconds since the last successful fetch, per mailbox: alert when it grows.",
            labels=["mailbox"],
        )
        for mailbox in status.mailboxes:
            age = mailbox.fetch_age if mailbox.fetch_age is not None else float("inf")
            fetch_age.add_metric([mailbox.mailbox], age)
        yield fetch_age


def serve_metrics(store: Store, address: str) -> None:
    """Serve `/metrics` on `host:port` from a background thread (prometheus_client's server)."""
    host, _, port = address.rpartition(":")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store))
    start_http_server(int(port), addr=host or "127.0.0.1", registry=registry)


def format_status(status: Status, *, stale_after: float) -> str:
    """`mikrobot status`: the same figures as `/metrics`, for a person."""
    lines = [
        f"mails fetched      {status.fetched}",
        f"waiting in queue   {status.queued}"
        + (f" (oldest {status.oldest_queued_age:.0f} s)" if status.oldest_queued_age else ""),
        "triaged            "
        + (", ".join(f"{k} {v}" for k, v in sorted(status.triaged.items())) or "none"),
        f"filed with errors  {status.errors}",
        f"replies            sent {status.replies.get('sent', 0)}, "
        f"pending {status.replies.get('pending', 0)}, failed {status.replies.get('failed', 0)}, "
        f"confirmed by copy {status.replies_confirmed}",
    ]
    due = status.personal_data_oldest_due
    lines.append(
        f"personal data      {status.personal_data_mails} mail(s) filed with it, "
        f"{status.personal_data_waiting} waiting for deletion"
        + (f" (oldest due {due.isoformat(timespec='seconds')})" if due else "")
        + f", mailbox copies to delete {status.mailbox_deletions_pending}"
    )
    stale = {m.mailbox for m in status.stale(stale_after)}
    for mailbox in status.mailboxes:
        age = "never" if mailbox.fetch_age is None else f"{mailbox.fetch_age:.0f} s ago"
        mark = "  STALE" if mailbox.mailbox in stale else ""
        lines.append(f"mailbox            {mailbox.mailbox}: last good fetch {age}, "
                     f"fetcher {mailbox.fetcher or '-'}{mark}")  # fmt: skip
        if mailbox.last_error:
            lines.append(f"                   last error: {mailbox.last_error}")
    return "\n".join(lines)

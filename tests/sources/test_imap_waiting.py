"""Waiting for mail against a real Dovecot: IDLE, polling, stop(), and a server restart."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.sources.conftest import imap_url
from tests.sources.dovecot import HOST, make_message

GENEROUS = 10.0
"""Upper bound asserted for anything expected within a second or two: CI machines stall."""


class Waiter:
    """Runs `wait_for_mail` in a thread, timing how long it took to return."""

    def __init__(self, wait: Callable[[float], bool], timeout: float) -> None:
        self.result: bool | None = None
        self.error: BaseException | None = None
        self.returned_at = 0.0
        self._thread = threading.Thread(target=self._run, args=(wait, timeout), daemon=True)
        self._thread.start()

    def _run(self, wait: Callable[[float], bool], timeout: float) -> None:
        try:
            self.result = wait(timeout)
        except BaseException as error:
            self.error = error
        self.returned_at = time.monotonic()

    def join(self) -> Any:
        self._thread.join(GENEROUS * 2)
        assert not self._thread.is_alive(), "wait_for_mail did not return"
        if self.error is not None:
            raise self.error
        return self.result


def test_idle_wakes_within_seconds_of_an_append_from_another_connection(
    dovecot, account, open_imap, record_property
):
    source = open_imap()
    assert source.fetch_new() == []
    waiter = Waiter(source.wait_for_mail, 60)
    time.sleep(0.5)  # let it reach IDLE

    appended_at = time.monotonic()
    dovecot.append(account, make_message("Søknad"))
    assert waiter.join() is True
    latency = waiter.returned_at - appended_at

    record_property("idle_latency_seconds", round(latency, 3))
    print(f"IDLE latency: {latency * 1000:.0f} ms")
    assert latency < GENEROUS
    assert len(source.fetch_new()) == 1


def test_wait_returns_at_once_when_mail_arrived_after_the_last_fetch(dovecot, account, open_imap):
    source = open_imap()
    assert source.fetch_new() == []
    dovecot.append(account, make_message("Søknad"))  # between fetch and wait: no IDLE news
    started = time.monotonic()
    assert source.wait_for_mail(30) is True
    assert time.monotonic() - started < GENEROUS


def test_wait_returns_at_once_while_mail_beyond_the_fetch_limit_waits(dovecot, account, open_imap):
    for n in range(3):
        dovecot.append(account, make_message(f"Søknad {n}"))
    source = open_imap()
    assert len(source.fetch_new(limit=2)) == 2
    assert source.wait_for_mail(30) is True


def test_wait_times_out_with_false_when_nothing_arrives(dovecot, account, open_imap):
    dovecot.append(account, make_message("Allerede hentet"))
    source = open_imap()
    source.fetch_new()  # handed out but never marked done: not news
    started = time.monotonic()
    assert source.wait_for_mail(1.5) is False
    assert 1.4 < time.monotonic() - started < GENEROUS


@pytest.mark.parametrize("how", ["idle disabled", "server without IDLE"])
def test_polling_finds_new_mail_when_idle_is_not_used(dovecot, account, open_imap, how):
    if how == "idle disabled":
        source = open_imap(idle=False, poll_interval=0.3)
    else:
        if dovecot.limited_port is None:
            pytest.skip("127.0.0.2 cannot be bound here")
        url = imap_url(account, dovecot.limited_port, host="127.0.0.2")
        source = open_imap(url, poll_interval=0.3)
    assert source.fetch_new() == []
    waiter = Waiter(source.wait_for_mail, 30)
    time.sleep(0.5)
    dovecot.append(account, make_message("Søknad"))
    assert waiter.join() is True
    assert len(source.fetch_new()) == 1


@pytest.mark.parametrize("idle", [True, False], ids=["idle", "polling"])
def test_stop_interrupts_a_long_wait_within_two_seconds(account, open_imap, idle):
    source = open_imap(idle=idle, poll_interval=30)
    source.fetch_new()
    waiter = Waiter(source.wait_for_mail, 60)
    time.sleep(0.5)

    stopped_at = time.monotonic()
    source.stop()
    assert waiter.join() is False
    assert waiter.returned_at - stopped_at < 2.0
    assert source.wait_for_mail(60) is False  # stopped stays stopped


def test_source_reconnects_after_a_server_restart_and_fetches_later_mail(
    dovecot, account, open_imap, caplog
):
    caplog.set_level(logging.INFO, logger="bot.sources")
    source = open_imap()
    dovecot.append(account, make_message("Før omstart"))
    [before] = source.fetch_new()
    source.mark_done(before, "other")
    waiter = Waiter(source.wait_for_mail, 60)
    time.sleep(0.5)

    dovecot.stop()  # connections drop; reconnects are refused until it is back
    time.sleep(1.0)
    dovecot.start()
    uid = dovecot.append(account, make_message("Etter omstart"))

    assert waiter.join() is True
    [after] = source.fetch_new()
    assert after.uid == uid
    assert after.uidvalidity == before.uidvalidity
    source.mark_done(after, "other")
    assert source.fetch_new() == []
    lost = [r for r in caplog.records if "reconnecting with back-off" in r.getMessage()]
    restored = [r for r in caplog.records if "connection restored" in r.getMessage()]
    assert (len(lost), len(restored)) == (1, 1)
    assert lost[0].levelno == logging.WARNING


def test_fetch_new_on_a_connection_the_server_dropped_reconnects_and_carries_on(
    dovecot, account, open_imap, caplog
):
    caplog.set_level(logging.INFO, logger="bot.sources")
    source = open_imap()
    first = dovecot.append(account, make_message("Før omstart"))
    assert [mail.uid for mail in source.fetch_new()] == [first]

    dovecot.stop()
    dovecot.start()
    second = dovecot.append(account, make_message("Etter omstart"))

    assert [mail.uid for mail in source.fetch_new()] == [first, second]
    assert "connection restored" in caplog.text


class CountingClient:
    """Wraps the real imapclient connection to count IDLE commands."""

    def __init__(self, client: Any, counts: dict[str, int]) -> None:
        self._client = client
        self._counts = counts

    def idle(self) -> Any:
        self._counts["idle"] += 1
        return self._client.idle()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_idle_is_renewed_before_the_servers_thirty_minute_limit(dovecot, account, monkeypatch):
    from bot.sources import imap
    from bot.sources.imap_connection import create_client
    from bot.sources.imap_endpoint import ImapEndpoint

    monkeypatch.setattr(imap, "IDLE_RENEW_SECONDS", 0.5)
    counts = {"idle": 0}

    def factory(*args: Any, **kwargs: Any) -> CountingClient:
        return CountingClient(create_client(*args, **kwargs), counts)

    endpoint = ImapEndpoint(
        HOST, dovecot.imap_port, account.user, account.password, security="plain"
    )
    source = imap.ImapSource(endpoint, factory=factory)
    try:
        assert source.wait_for_mail(2.2) is False
    finally:
        source.close()
    assert counts["idle"] >= 4


def test_stop_during_a_reconnect_back_off_ends_the_wait_with_false(dovecot, account, open_imap):
    from bot.sources import Backoff

    source = open_imap(backoff=Backoff(initial=30, cap=30))
    source.fetch_new()
    waiter = Waiter(source.wait_for_mail, 60)
    time.sleep(0.5)
    dovecot.stop()  # the IDLE connection drops; the next try is 30 s away
    try:
        time.sleep(1.0)
        stopped_at = time.monotonic()
        source.stop()
        assert waiter.join() is False
        assert waiter.returned_at - stopped_at < 2.0
    finally:
        dovecot.start()

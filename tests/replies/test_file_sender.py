"""FileSender: one `.eml` per Message-ID, written atomically, never twice."""

from __future__ import annotations

import os
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from bot.replies.senders import FileSender, PermanentDeliveryError, TemporaryDeliveryError, eml_name
from tests.replies.support import parsed, render, verdict


def reply() -> EmailMessage:
    mail = parsed()
    message = render(verdict(mail, missing=("dpia",)), mail)
    assert message is not None
    return message


def test_a_reply_is_written_as_the_bytes_smtp_would_carry(tmp_path: Path) -> None:
    message = reply()
    FileSender(tmp_path / "var" / "outbox").send(message)
    files = list((tmp_path / "var" / "outbox").iterdir())
    assert [f.name for f in files] == [eml_name(message["Message-ID"])]
    assert files[0].read_bytes() == message.as_bytes(policy=policy.SMTP)
    back = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert back["Message-ID"] == message["Message-ID"]


def test_the_same_message_id_twice_leaves_one_file_with_the_first_bytes(tmp_path: Path) -> None:
    sender = FileSender(tmp_path)
    first = reply()
    sender.send(first)
    second = reply()
    del second["Message-ID"]
    second["Message-ID"] = first["Message-ID"]
    second.replace_header("X-Mikrobot-Ticket", "MB-999")
    sender.send(second)
    files = list(tmp_path.iterdir())
    assert len(files) == 1
    assert files[0].read_bytes() == first.as_bytes(policy=policy.SMTP)


def test_a_failed_write_leaves_neither_a_partial_file_nor_a_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(TemporaryDeliveryError, match="No space"):
        FileSender(tmp_path).send(reply())
    assert list(tmp_path.iterdir()) == []


def test_a_message_without_message_id_is_refused(tmp_path: Path) -> None:
    message = reply()
    del message["Message-ID"]
    with pytest.raises(PermanentDeliveryError):
        FileSender(tmp_path).send(message)


@pytest.mark.parametrize(
    ("message_id", "prefix"),
    [
        ("<1741.2.3@mikrobot.ssb.no>", "1741.2.3@mikrobot.ssb.no.eml"),
        ("<../../etc/passwd@x>", "_.._etc_passwd@x-"),
        ("<a/b@x>", "a_b@x-"),
        ("<.hidden@x>", "hidden@x-"),
    ],
)
def test_file_names_are_safe_and_distinct(message_id: str, prefix: str) -> None:
    name = eml_name(message_id)
    assert name.startswith(prefix) and name.endswith(".eml")
    assert "/" not in name and not name.startswith(".")
    assert eml_name("<a_b@x>") != eml_name("<a/b@x>")

"""IMAP source against a real Dovecot: what fetch_new returns and where mark_done puts it."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.sources import SourceMail
from tests.sources.conftest import imap_url
from tests.sources.dovecot import HOST, Account, DovecotServer, make_message

OSLO_WINTER = dt.timezone(dt.timedelta(hours=1))


def folder_counts(dovecot: DovecotServer, account: Account) -> dict[str, int]:
    """Messages per selectable folder, seen from another connection."""
    with dovecot.admin(account) as client:
        counts = {}
        for flags, _delimiter, name in client.list_folders():
            if b"\\Noselect" not in flags:
                counts[name] = client.folder_status(name, ["MESSAGES"])[b"MESSAGES"]
        return counts


def test_fetch_new_returns_appended_mail_with_uid_uidvalidity_internaldate_and_exact_bytes(
    dovecot, account, open_imap
):
    raw = make_message("Søknad om tilgang til mikrodata")
    when = dt.datetime(2025, 3, 3, 9, 15, 42, tzinfo=OSLO_WINTER)
    uid = dovecot.append(account, raw, when=when)
    with dovecot.admin(account) as client:
        uidvalidity = client.select_folder("INBOX")[b"UIDVALIDITY"]

    [mail] = open_imap().fetch_new()

    assert mail.raw == raw
    assert (mail.uid, mail.uidvalidity, mail.folder) == (uid, uidvalidity, "INBOX")
    assert mail.key == f"imap:{HOST}/INBOX:{uidvalidity}:{uid}"
    assert mail.received_at == when
    assert mail.received_at.tzinfo == dt.UTC


def test_fetch_new_does_not_mark_mail_read(dovecot, account, open_imap):
    dovecot.append(account, make_message("Endring i prosjekt"))
    open_imap().fetch_new()
    with dovecot.admin(account) as client:
        client.select_folder("INBOX")
        assert client.search(["UNSEEN"]) != []


def test_fetch_new_returns_oldest_uid_first_and_honours_limit(dovecot, account, open_imap):
    uids = [dovecot.append(account, make_message(f"Søknad {n}")) for n in range(5)]
    source = open_imap()
    assert [mail.uid for mail in source.fetch_new(limit=3)] == uids[:3]
    assert [mail.uid for mail in source.fetch_new()] == uids


def test_mark_done_moves_mail_to_its_category_folder_and_deletes_nothing(
    dovecot, account, open_imap
):
    raw = make_message("Søknad om tilgang")
    dovecot.append(account, raw)
    source = open_imap()
    [mail] = source.fetch_new()

    source.mark_done(mail, "new_application")

    with dovecot.admin(account) as client:
        delimiter = client.list_folders("", "")[0][1].decode()
        target = f"Triaged{delimiter}new_application"
        client.select_folder(target)
        [moved_uid] = client.search(["ALL"])
        moved = client.fetch([moved_uid], ["BODY.PEEK[]"])[moved_uid][b"BODY[]"]
        assert target in [name for _f, _d, name in client.list_sub_folders()]
    assert moved == raw
    assert folder_counts(dovecot, account) == {"INBOX": 0, target: 1}
    assert source.fetch_new() == []


def test_mark_done_twice_is_not_an_error(dovecot, account, open_imap):
    dovecot.append(account, make_message("Signert tilbud"))
    source = open_imap()
    [mail] = source.fetch_new()
    source.mark_done(mail, "signed_offer")
    source.mark_done(mail, "signed_offer")
    assert sum(folder_counts(dovecot, account).values()) == 1


def test_flag_mode_leaves_mail_in_place_marked_seen_and_done(dovecot, account, open_imap):
    uid = dovecot.append(account, make_message("Bekreftelse på sletting"))
    source = open_imap(done_action="flag")
    [mail] = source.fetch_new()

    source.mark_done(mail, "deletion_confirmation")

    assert source.fetch_new() == []
    with dovecot.admin(account) as client:
        client.select_folder("INBOX")
        flags = client.get_flags([uid])[uid]
    assert set(flags) >= {b"\\Seen", b"$MikrobotDone"}
    assert folder_counts(dovecot, account) == {"INBOX": 1}


def test_configured_folder_with_a_space_and_custom_template(dovecot, account, open_imap):
    with dovecot.admin(account) as client:
        client.create_folder("Microdata inbox")
    dovecot.append(account, make_message("Søknad"), folder="Microdata inbox")
    url = imap_url(account, dovecot.imap_port, folder="Microdata inbox")
    source = open_imap(url, folder_template="Done/{category}")

    [mail] = source.fetch_new()
    assert mail.folder == "Microdata inbox"
    source.mark_done(mail, "other")

    counts = folder_counts(dovecot, account)
    assert counts["Microdata inbox"] == 0
    assert sum(count for name, count in counts.items() if name.endswith("other")) == 1


def test_server_without_move_gets_copy_delete_and_uid_expunge_of_that_mail_only(
    dovecot, account, open_imap
):
    if dovecot.limited_port is None:
        pytest.skip("127.0.0.2 cannot be bound here")
    done_by_someone_else = dovecot.append(account, make_message("Slettet av saksbehandler"))
    with dovecot.admin(account) as client:  # \Deleted but not expunged by a person
        client.select_folder("INBOX")
        client.add_flags([done_by_someone_else], [b"\\Deleted"])
    dovecot.append(account, make_message("Søknad"))
    url = imap_url(account, dovecot.limited_port, host="127.0.0.2")
    source = open_imap(url)

    [mail] = source.fetch_new()  # the \Deleted one is not waiting
    source.mark_done(mail, "new_application")

    with dovecot.admin(account) as client:
        client.select_folder("INBOX")
        assert client.search(["ALL"]) == [done_by_someone_else]
    assert sum(folder_counts(dovecot, account).values()) == 2


def test_mark_done_after_uidvalidity_changed_leaves_mail_for_a_fresh_fetch(
    dovecot, account, open_imap
):
    dovecot.append(account, make_message("Søknad"))
    source = open_imap()
    [mail] = source.fetch_new()
    stale = SourceMail(
        key=mail.key.replace(f":{mail.uidvalidity}:", ":1:"),
        raw=mail.raw,
        folder=mail.folder,
        uidvalidity=1,
        uid=mail.uid,
        received_at=mail.received_at,
    )
    source.mark_done(stale, "new_application")
    assert folder_counts(dovecot, account) == {"INBOX": 1}


def test_mark_done_refuses_mail_from_another_source(dovecot, account, open_imap):
    foreign = SourceMail("maildir:/tmp/x:123", b"", "INBOX", None, None, None)
    with pytest.raises(ValueError, match="did not come from"):
        open_imap().mark_done(foreign, "other")


def test_mark_done_refuses_a_category_that_is_not_a_simple_name(dovecot, account, open_imap):
    dovecot.append(account, make_message("Søknad"))
    source = open_imap()
    [mail] = source.fetch_new()
    with pytest.raises(ValueError, match="cannot name a folder"):
        source.mark_done(mail, "../INBOX")

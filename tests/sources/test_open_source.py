"""`MIKROBOT_SOURCE` parsing: IMAP URLs (percent-encoding, TLS modes, ports) or a Maildir path."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sources import MailSource, SourceMail, category_folder, open_source
from bot.sources.imap import ImapSource
from bot.sources.imap_endpoint import ImapEndpoint, parse_imap_url
from bot.sources.maildir import MaildirSource


def test_imap_url_with_percent_encoded_password_and_folder_with_space():
    endpoint = parse_imap_url(
        "imap://kari%40ssb.no:p%40ss%3Aw%2Frd%20%25@mail.ssb.no:1143/Mikrodata%20inn"
    )
    assert endpoint == ImapEndpoint(
        host="mail.ssb.no",
        port=1143,
        username="kari@ssb.no",
        password="p@ss:w/rd %",
        folder="Mikrodata inn",
        security="plain",
    )


def test_imaps_url_defaults_to_port_993_implicit_tls_and_inbox():
    endpoint = parse_imap_url("imaps://bot:secret@imap.ssb.no")
    assert endpoint is not None
    assert (endpoint.port, endpoint.security, endpoint.folder) == (993, "tls", "INBOX")


def test_imap_url_defaults_to_port_143_and_starttls_is_an_option():
    plain = parse_imap_url("imap://bot:secret@imap.ssb.no/INBOX")
    upgraded = parse_imap_url("IMAP://bot:secret@imap.ssb.no/INBOX?starttls=1")
    assert plain is not None and upgraded is not None
    assert (plain.port, plain.security) == (143, "plain")
    assert (upgraded.port, upgraded.security) == (143, "starttls")


def test_nested_folder_keeps_slash_as_the_hierarchy_separator():
    endpoint = parse_imap_url("imaps://bot:pw@imap.ssb.no/Shared/Mikrodata")
    assert endpoint is not None and endpoint.folder == "Shared/Mikrodata"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("imaps://imap.ssb.no/INBOX", "no user name"),
        ("imaps://bot:pw@/INBOX", "no host"),
        ("imaps://bot:pw@imap.ssb.no/INBOX?starttls=1", "TLS already"),
        ("imap://bot:pw@imap.ssb.no/INBOX?startls=1", "unknown option"),
        ("imap://bot:pw@imap.ssb.no/INBOX?starttls=maybe", "must be 1 or 0"),
        ("imap://bot:hemmelig/ord@imap.ssb.no/INBOX", "percent-encode"),
    ],
)
def test_malformed_imap_urls_are_refused_without_quoting_the_password(url, message):
    with pytest.raises(ValueError, match=message) as raised:
        parse_imap_url(url)
    assert "hemmelig" not in str(raised.value) and ":pw" not in str(raised.value)


def test_password_is_kept_out_of_repr_and_str():
    endpoint = parse_imap_url("imaps://bot:hemmelig@imap.ssb.no/INBOX")
    source = open_source("imaps://bot:hemmelig@imap.ssb.no/INBOX")
    shown = repr(endpoint) + str(endpoint) + repr(source)
    assert "hemmelig" not in shown
    assert str(endpoint) == "imaps://bot@imap.ssb.no:993/INBOX"


@given(
    user=st.text(min_size=1, max_size=20),
    password=st.text(max_size=20),
    folder=st.text(min_size=1, max_size=20).filter(lambda f: f.strip("/") == f and "//" not in f),
)
def test_any_user_password_and_folder_survive_percent_encoding(user, password, folder):
    url = f"imaps://{quote(user, safe='')}:{quote(password, safe='')}@h.example/{quote(folder)}"
    endpoint = parse_imap_url(url)
    assert endpoint is not None
    assert (endpoint.username, endpoint.password, endpoint.folder) == (user, password, folder)


@pytest.mark.parametrize(
    "path", ["/var/mail/mikrodata", "relative/Maildir", "~/Maildir", "C:\\mail", "imapdir"]
)
def test_anything_but_an_imap_url_is_a_maildir_path(path):
    assert parse_imap_url(path) is None


def test_open_source_makes_a_maildir_source_for_a_path(tmp_path):
    source = open_source(str(tmp_path / "Maildir"))
    assert isinstance(source, MaildirSource)
    assert isinstance(source, MailSource)
    assert (tmp_path / "Maildir" / "new").is_dir()


def test_open_source_makes_a_lazy_imap_source_without_connecting():
    source = open_source("imaps://bot:pw@imap.invalid/INBOX")  # .invalid never resolves
    assert isinstance(source, ImapSource)
    assert isinstance(source, MailSource)
    source.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"done_action": "delete"}, "done_action"),
        ({"folder_template": "Triaged"}, "category"),
        ({"poll_interval": 0}, "poll_interval"),
    ],
)
def test_open_source_refuses_bad_options(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        open_source(str(tmp_path / "Maildir"), **options)


def test_category_folder_fills_the_template_and_refuses_path_tricks():
    assert category_folder("Triaged/{category}", "new_application") == "Triaged/new_application"
    for category in ("", "../x", "a/b", "a.b", "ny søknad"):
        with pytest.raises(ValueError):
            category_folder("Triaged/{category}", category)


def test_source_mail_requires_utc_and_keeps_the_bytes_out_of_repr():
    oslo = dt.timezone(dt.timedelta(hours=1))
    with pytest.raises(ValueError, match="UTC"):
        SourceMail("k", b"", "INBOX", None, None, dt.datetime(2025, 3, 3, tzinfo=oslo))
    with pytest.raises(ValueError, match="UTC"):
        SourceMail("k", b"", "INBOX", None, None, dt.datetime(2025, 3, 3))
    mail = SourceMail("k", b"Subject: secret body", "INBOX", None, None, None)
    assert "secret body" not in repr(mail)

"""`mikrobot reindex` on SQLite and PostgreSQL: mail filed before the full-text index
(migration 0012 gave it only its subject and sender) is found by its text and attachments
after a reindex; national IDs stay masked; a second run changes nothing; mail whose
personal data was deleted, or whose raw bytes are gone, is never indexed."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main as cli
from bot.reindex import ReindexReport, reader, reindex
from bot.settings import Limits
from bot.store import Store
from bot.store.models import Mail, MailText
from bot.store.personal_data import delete_personal_data
from bot.triage import TriageContext
from tests.conftest import make_mail
from tests.store.test_search import FNR, VARIABLE_LIST, file_mail, found

READ = reader(Limits())


def as_before_the_index(store: Store) -> None:
    """What migration 0012 left of mail filed before it: its subject and sender only."""
    with store.session() as session, session.begin():
        for text in session.scalars(select(MailText)):
            text.body = ""
            text.attachments = ""


def stored_words(store: Store) -> list[tuple[int, int, str, str, str, str]]:
    with store.session() as session:
        return [
            (t.mail_id, t.ticket_id, t.subject, t.sender, t.body, t.attachments)
            for t in session.scalars(select(MailText).order_by(MailText.mail_id))
        ]


def test_a_reindex_finds_old_mail_by_its_text_and_attachments_and_a_second_run_changes_nothing(
    store: Store, context: TriageContext
) -> None:
    with_list = make_mail(
        f"Hei,\n\nvedlagt er variabellisten vår. Fødselsnummer {FNR}.\n",
        subject="Variabelliste",
        attachments=[VARIABLE_LIST],
    )
    question = make_mail("Hei, hvor lang er behandlingstiden?", subject="Spørsmål", sender="a@b.no")
    tickets = [
        file_mail(store, context, raw, f"maildir:{n}")
        for n, raw in enumerate((with_list, question))
    ]
    third = file_mail(
        store, context, make_mail("Takk for svaret om tilgang.", subject="Takk"), "maildir:9"
    )
    filed = stored_words(store)
    as_before_the_index(store)
    assert found(store, "barnehagedekning") == set()
    assert found(store, "behandlingstiden") == set()
    assert found(store, "variabelliste") == {tickets[0]}  # the subject was there

    seen: list[tuple[int, int]] = []
    report = reindex(store, READ, batch=2, progress=lambda r: seen.append((r.done, r.last_mail)))
    assert (report.total, report.indexed, report.unreadable) == (3, 3, 0)
    assert [done for done, _ in seen] == [2, 3]  # a line a batch
    assert found(store, "barnehagedekning") == {tickets[0]}  # the attachment's text
    assert found(store, "behandlingstiden") == {tickets[1]}  # the mail's text
    assert found(store, FNR) == set()
    assert stored_words(store) == filed  # the same words filing stored
    assert all(FNR not in " ".join(row[2:]) for row in stored_words(store))

    again = reindex(store, READ)
    assert again.indexed == 3 and stored_words(store) == filed
    later = reindex(store, READ, after=seen[0][1])  # on from a stopped run's last line
    assert (later.total, later.indexed) == (1, 1) and stored_words(store) == filed
    assert found(store, "svaret") == {third}


def test_mail_whose_personal_data_was_deleted_or_whose_bytes_are_gone_is_not_indexed(
    store: Store, context: TriageContext
) -> None:
    deleted = file_mail(
        store, context, make_mail(f"Deltakerlisten:\n{FNR}\n", subject="Liste"), "maildir:1"
    )
    delete_personal_data(store, deleted, actor="kari", reason="ikke lov på e-post")
    gone = file_mail(
        store, context, make_mail("Prosjektet er avsluttet.", subject="Slutt"), "maildir:2"
    )
    with store.session() as session:
        mail = session.scalars(select(Mail).where(Mail.ticket_id == gone)).one()
        store.raw_mail.path_for(mail.sha256).unlink()

    report = reindex(store, READ)
    assert (report.indexed, report.unreadable, report.personal_data_deleted) == (0, 1, 1)
    assert found(store, "deltakerlisten") == set() and found(store, "liste") == set()
    assert found(store, "avsluttet") == set()
    with store.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(MailText)) == 0


def test_the_cli_reindexes_with_progress(tmp_path: Path, context: TriageContext) -> None:
    url = f"sqlite:///{tmp_path / 'mikrobot.db'}"
    store = Store.open(url, tmp_path / "mail")
    try:
        ticket = file_mail(
            store, context, make_mail("Vi trenger barnehagedata.", subject="Data"), "maildir:1"
        )
        as_before_the_index(store)
        env = {"MIKROBOT_DATABASE": url, "MIKROBOT_RAW_MAIL_DIR": str(tmp_path / "mail")}
        result = CliRunner().invoke(cli, ["reindex", "--batch", "1"], env=env)
        assert result.exit_code == 0, result.output
        assert "reindex: 1/1 mails, up to mail 1" in result.output
        assert "indexed 1 of 1 mails" in result.output
        assert found(store, "barnehagedata") == {ticket}
    finally:
        store.engine.dispose()


def test_a_report_counts_what_was_done() -> None:
    report = ReindexReport(10, indexed=7, unreadable=2, personal_data_deleted=1)
    assert report.done == 10
    assert report.summary().startswith("indexed 7 of 10 mails; 2 unreadable")

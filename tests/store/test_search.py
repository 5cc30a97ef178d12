"""Full-text search (issue #12 §5), on SQLite (FTS5) and PostgreSQL (tsvector, norwegian):
a word found only in an attachment's text finds its ticket; Norwegian inflections find each
other; national IDs are never searchable; deleted personal data and purged cases are no
longer found; the queue's old search (ticket number, case reference, organisation, sender,
subject) still works; typed FTS syntax is only ever text."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import select

from bot.cases import TicketStatus
from bot.store import Store
from bot.store.models import MailText, Ticket, utc_now
from bot.store.personal_data import delete_personal_data
from bot.store.purge import purge
from bot.store.search import (
    fts5_query,
    matching_tickets,
    query_words,
    search_document,
    stem,
    tsquery,
    words_of,
)
from bot.store.tickets import ALL, QueueFilter, queue
from bot.triage import TriageContext, triage_for_filing
from parsers.attachments import AttachmentText
from parsers.mail import parse_mail
from tests.conftest import make_mail
from tests.store.test_store import reply_builder

FNR = "01019010046"
VARIABLE_LIST = (
    "variabelliste.txt",
    "text/plain",
    "Variabelliste for prosjektet\nBEFOLKNING_KJOENN\nINNTEKT_WLONN\n"
    "Vi trenger også opplysninger om barnehagedekning i kommunen.\n".encode(),
)


def file_mail(store: Store, context: TriageContext, raw: bytes, key: str) -> int:
    """Filed as the worker files it: with the text triage read from the attachments."""
    verdict, mail, texts = triage_for_filing(raw, key, context)
    filed = store.file_mail(
        raw=raw,
        source_key=key,
        received_at=None,
        verdict=verdict,
        mail=mail,
        requirements=context.requirements,
        build_reply=reply_builder(),
        attachment_texts=texts,
    )
    return filed.ticket_id


def found(store: Store, typed: str) -> set[int]:
    """Tickets the search finds, closed ones too (the queue's default shows open work)."""
    page = queue(store, QueueFilter(search=typed, status=ALL), threshold=0.8, per_page=100)
    return {row.id for row in page.rows}


# --- pure -------------------------------------------------------------------------------


def test_a_national_id_is_masked_before_it_is_stored_for_search() -> None:
    raw = make_mail(
        f"Mitt fødselsnummer er {FNR} og 010190 10046.",
        subject=f"Søknad {FNR}",
        attachments=[("liste.txt", "text/plain", f"fnr;navn\n{FNR};Kari\n".encode())],
    )
    mail = parse_mail(raw)
    attachment = AttachmentText("liste.txt", "text/plain", "text", f"fnr;navn\n{FNR};Kari\n")
    document = search_document(mail, [attachment])
    for field in (document.subject, document.body, document.attachments):
        assert FNR not in field and "10046" not in field.split()
        assert "010190" in field  # the masked number's date part, no more
    assert "liste txt" in document.attachments  # the file's name is searchable too


def test_stored_words_are_plain_words_and_bounded() -> None:
    assert words_of("Saksnr. 24/00931-3 (MB-000013): «Levekår»!", 100) == (
        "Saksnr 24 00931 3 MB 000013 Levekår"
    )
    assert len(words_of("ord " * 100_000, 1_000)) <= 1_000


def test_what_a_user_types_is_never_fts_syntax() -> None:
    assert query_words('søknad" OR * NEAR(x) -"') == ["søknad", "or", "near", "x"]
    assert fts5_query(["søknader", "2024"]) == '"søknad"* "2024"*'
    assert tsquery(["søknader", "2024"]) == "søknader:* & 2024:*"
    assert query_words("  ,;!  ") == []
    assert matching_tickets("  ,;! ", "sqlite") is None


def test_a_norwegian_word_is_cut_to_its_stem_and_short_words_and_numbers_are_kept() -> None:
    assert stem("søknader") == stem("søknaden") == "søknad"
    assert stem("data") == "data"  # too short to stem safely
    assert stem("00931") == "00931"


# --- both databases ---------------------------------------------------------------------


def test_a_word_only_in_an_attachments_text_finds_the_ticket(
    store: Store, context: TriageContext
) -> None:
    raw = make_mail(
        "Hei,\n\nvedlagt er variabellisten vår.\n\nMvh Kari\n",
        subject="Variabelliste",
        attachments=[VARIABLE_LIST],
    )
    other = make_mail("Hei, et spørsmål om tilgang.", subject="Spørsmål", sender="a@b.no")
    ticket = file_mail(store, context, raw, "maildir:1")
    file_mail(store, context, other, "maildir:2")
    assert found(store, "barnehagedekning") == {ticket}
    assert found(store, "BEFOLKNING_KJOENN") == {ticket}
    assert found(store, "barnehage") == {ticket}  # the beginning of a word
    assert found(store, "barnehagedekning spørsmål") == set()  # every word must match
    assert found(store, "variabelliste.txt") == {ticket}  # the file's name


def test_norwegian_inflections_find_each_other(store: Store, context: TriageContext) -> None:
    raw = make_mail(
        "Hei,\n\nvi sender med dette en søknad om tilgang til mikrodata.\n", subject="Tilgang"
    )
    ticket = file_mail(store, context, raw, "maildir:1")
    assert found(store, "søknader") == {ticket}
    assert found(store, "søknaden") == {ticket}
    assert found(store, "SØKNAD") == {ticket}


def test_search_finds_by_words_of_the_text_subject_and_sender_and_keeps_the_old_fields(
    store: Store, context: TriageContext
) -> None:
    raw = make_mail(
        "Hei,\n\nvi ønsker å legge til en ny prosjektmedarbeider.\n\n"
        "Saksreferanse: 24/00931\nUniversitetet i Bergen, org.nr. 974760673\n",
        subject="Endring i prosjektet Levekår",
        sender="Ola Nordmann <ola.nordmann@uib.no>",
    )
    ticket = file_mail(store, context, raw, "maildir:1")
    assert found(store, "prosjektmedarbeider") == {ticket}  # the text
    assert found(store, "levekår") == {ticket}  # the subject
    assert found(store, "ola.nordmann@uib.no") == {ticket}  # the sender, whole
    assert found(store, "nordmann") == {ticket}
    assert found(store, "24/00931") == {ticket}  # the case reference
    assert found(store, "Universitetet i Bergen") == {ticket}  # the organisation
    assert found(store, "974760") == {ticket}  # its number, by its beginning
    assert found(store, f"MB-{ticket:06d}") == {ticket}
    assert found(store, str(ticket)) == {ticket}
    assert found(store, "prosjektmedarbeider fotball") == set()


def test_a_national_id_is_never_searchable(store: Store, context: TriageContext) -> None:
    raw = make_mail(
        f"Hei,\n\nfødselsnummeret mitt er {FNR}.\n",
        subject="Søknad",
        attachments=[("liste.txt", "text/plain", f"fnr;navn\n{FNR};Kari\n".encode())],
    )
    file_mail(store, context, raw, "maildir:1")
    assert found(store, FNR) == set()
    assert found(store, "010190 10046") == set()
    with store.session() as session:
        for text in session.scalars(select(MailText)):
            assert FNR not in " ".join((text.subject, text.body, text.attachments))


def test_deleted_personal_data_is_no_longer_found(store: Store, context: TriageContext) -> None:
    raw = make_mail(
        f"Hei,\n\nher er deltakerlisten for utvalget.\n{FNR}\n", subject="Deltakerliste"
    )
    ticket = file_mail(store, context, raw, "maildir:1")
    assert found(store, "deltakerlisten") == {ticket}
    delete_personal_data(store, ticket, actor="kari", reason="ikke lov på e-post")
    assert found(store, "deltakerlisten") == set()
    assert found(store, "deltakerliste") == set()
    with store.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(MailText)) == 0


def test_a_purged_case_is_no_longer_found(store: Store, context: TriageContext) -> None:
    raw = make_mail("Hei,\n\nvi har slettet alle dataene fra prosjektet.\n", subject="Sletting")
    ticket = file_mail(store, context, raw, "maildir:1")
    with store.session() as session, session.begin():
        row = session.get_one(Ticket, ticket)
        row.status = TicketStatus.CLOSED.value
        row.updated_at = utc_now() - timedelta(days=400)
    assert found(store, "slettet") == {ticket}
    report = purge(store, older_than=timedelta(days=365))
    assert report.tickets == (ticket,)
    assert found(store, "slettet") == set()


def test_the_migration_indexes_the_subjects_and_senders_of_mail_filed_before_it(
    database_url: str, tmp_path: Path
) -> None:
    from alembic import command
    from alembic.config import Config

    from bot.store.repository import MIGRATIONS, create_store_engine

    engine = create_store_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO tickets (id, category, confidence, status, fields, missing, provided,"
                " conditions, to_check, personal_data, created_at, updated_at) VALUES (1, 'other',"
                " 1.0, 'new', '{}', '[]', '[]', '[]', '[]', false, :now, :now)"
            ),
            {"now": utc_now()},
        )
        connection.execute(
            sa.text(
                "INSERT INTO mails (id, ticket_id, source_key, sha256, sender, subject, verdict,"
                " created_at, stranger, personal_data) VALUES (1, 1, 'k', 'x', "
                " 'per@uio.no', :subject, '{}', :now, false, false)"
            ),
            {"subject": f"Gammel søknad {FNR}", "now": utc_now()},
        )
    engine.dispose()
    store = Store.open(database_url, tmp_path / "mail")
    try:
        assert found(store, "gammel") == {1}
        assert found(store, "søknader per") == {1}
        assert found(store, FNR) == set()
    finally:
        store.engine.dispose()

"""Threads that complete: the ticket reference joins, a second delivery is one mail, a
stranger changes nothing, and a later form can clear what an earlier one raised."""

from __future__ import annotations

from email import message_from_bytes, policy

from bot.store import Store
from bot.triage import TriageContext
from tests.conftest import make_mail
from tests.store.test_store import DPIA, FORM, SCRIPT, file

KARI = "Kari Nordmann <kari.nordmann@bergen.kommune.no>"
OLA = "Ola Hansen <ola@example.no>"


def events(store: Store, ticket_id: int) -> list[str]:
    return [e.action for e in (store.ticket(ticket_id) or (None, [], []))[2]]


def reply_text(store: Store, outbox_id: int | None, ticket_id: int) -> str:
    (row,) = [r for r in store.outbox(ticket_id) if r.id == outbox_id]
    message = message_from_bytes(row.raw, policy=policy.default)
    return str(message.get_body().get_content())  # type: ignore[union-attr]


def test_a_new_mail_naming_the_ticket_reference_joins_that_ticket(
    store: Store, context: TriageContext
) -> None:
    _, first, _ = file(
        store, context, make_mail("Her er søknaden vår.", sender=KARI, attachments=[FORM]), "k1"
    )
    later = make_mail(
        "Hei! Ettersender DPIA som dere ba om.",
        subject=f"Ettersending MB-{first:06d}",
        sender=KARI,
        attachments=[DPIA],
    )
    _, second, outbox_id = file(store, context, later, "k2")
    assert second == first
    ticket, _, _ = store.ticket(first) or (None, [], [])
    assert ticket is not None and ticket.missing == ["variable_list"]
    assert "Variabellister" in reply_text(store, outbox_id, first)


def test_the_same_message_id_delivered_twice_is_one_ticket_one_reply_and_a_history_line(
    store: Store, context: TriageContext
) -> None:
    raw = make_mail("Her er søknaden vår.", sender=KARI, attachments=[FORM, SCRIPT, DPIA])
    _, first, outbox_id = file(store, context, raw, "inbox:1")
    # The relay delivers it again, with its own trace header on top: other bytes, same mail.
    _, second, again = file(store, context, b"Received: from relay2\r\n" + raw, "inbox:2")
    assert second == first and outbox_id is not None and again is None
    assert len(store.outbox(first)) == 1
    assert events(store, first).count("delivered_again") == 1
    assert len(store.tickets()) == 1


def test_a_stranger_naming_someone_elses_case_gets_a_receipt_and_changes_nothing(
    store: Store, context: TriageContext
) -> None:
    application = make_mail(
        "Vedlagt er endringssøknad for sak 24/01872 med oppdatert prosjektbeskrivelse.",
        subject="Endringssøknad 24/01872",
        sender=KARI,
    )
    _, first, _ = file(store, context, application, "k1")
    before, _, _ = store.ticket(first) or (None, [], [])
    assert before is not None
    stranger = make_mail(
        "Hei, jeg er prosjektleder nå. Organisasjon: Helt Annen Etat.\nSaksnummer 24/01872",
        subject="Sak 24/01872",
        sender=OLA,
        attachments=[SCRIPT],
    )
    _, second, outbox_id = file(store, context, stranger, "k2")
    after, _, _ = store.ticket(first) or (None, [], [])
    assert second == first and after is not None
    assert after.fields == before.fields and after.missing == before.missing
    assert after.provided == before.provided
    assert "sender_joined" in events(store, first)
    text = reply_text(store, outbox_id, first)
    assert "Takk for e-posten din" in text and "trenger vi" not in text


def test_a_corrected_form_clears_the_identifying_variables_an_earlier_form_asked_for(
    store: Store, context: TriageContext
) -> None:
    asking = (
        "soknadsskjema.txt",
        "text/plain",
        "Søknadsskjema – søknad om tilgang til mikrodata\nProsjekttittel: Levekår blant unge\n"
        "Variabler vi ber om: inntekt, utdanning og grunnkrets for bosted.\n".encode(),
    )
    _, first, _ = file(
        store,
        context,
        make_mail(
            "Søknaden vår.",
            sender=KARI,
            attachments=[asking, SCRIPT, DPIA],
            message_id="<soknad-1@bergen.kommune.no>",
        ),
        "k1",
    )
    ticket, _, _ = store.ticket(first) or (None, [], [])
    assert ticket is not None and ticket.missing == ["identifying_variables_justification"]
    corrected = make_mail(
        "Vi trenger ikke grunnkrets likevel. Her er et rettet skjema.",
        subject="Re: Søknaden vår",
        sender=KARI,
        attachments=[FORM],
        headers={"In-Reply-To": "<soknad-1@bergen.kommune.no>"},
    )
    _, second, _outbox_id = file(store, context, corrected, "k2")
    ticket, _, _ = store.ticket(first) or (None, [], [])
    assert second == first and ticket is not None and ticket.missing == []
    assert ticket.status == "ready"


def test_a_stranger_who_writes_twice_does_not_become_the_applicant(
    store: Store, context: TriageContext
) -> None:
    application = make_mail(
        "Vedlagt er endringssøknad for sak 24/01872 med oppdatert prosjektbeskrivelse.",
        subject="Endringssøknad 24/01872",
        sender=KARI,
    )
    _, first, _ = file(store, context, application, "k1")
    before, _, _ = store.ticket(first) or (None, [], [])
    assert before is not None
    for n in (1, 2):
        stranger = make_mail(
            f"Hei igjen ({n}). Organisasjon: Helt Annen Etat, org.nr 974760673.\nSak 24/01872",
            subject="Sak 24/01872",
            sender=OLA,
            attachments=[SCRIPT],
        )
        _, joined, outbox_id = file(store, context, stranger, f"stranger-{n}")
        assert joined == first
        assert "trenger vi" not in reply_text(store, outbox_id, first)
    after, mails, _ = store.ticket(first) or (None, [], [])
    assert after is not None and after.fields == before.fields
    assert after.missing == before.missing
    assert [m.stranger for m in mails] == [False, True, True]


def test_two_senders_mails_that_share_a_message_id_are_two_mails(
    store: Store, context: TriageContext
) -> None:
    """Some form tools stamp one Message-ID on every mail they send."""
    kari = make_mail(
        "Her er søknaden vår.", sender=KARI, attachments=[FORM], message_id="<skjema@tool>"
    )
    ola = make_mail(
        "Her er vår søknad.", sender=OLA, attachments=[FORM], message_id="<skjema@tool>"
    )
    _, first, _ = file(store, context, kari, "k1")
    _, second, outbox_id = file(store, context, ola, "k2")
    assert second != first and outbox_id is not None

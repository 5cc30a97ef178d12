"""The pages' words in Norwegian bokmål (the default) and English, and Norwegian dates.

Keys are English identifiers; a missing key shows itself (`[key]`) instead of breaking a
page, and a test checks both languages have the same keys. Missing-item titles come
from the reply templates' `missing_items.toml`, so the page and the reply say the same.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.replies.render import load_templates
from bot.store.models import as_utc

LANGUAGES: Final = ("nb", "en")
DEFAULT_LANGUAGE: Final = "nb"

try:
    OSLO = ZoneInfo("Europe/Oslo")
except ZoneInfoNotFoundError:  # pragma: no cover - a system without tzdata
    OSLO = ZoneInfo("UTC")

LABELS: Final[dict[str, dict[str, str]]] = {
    "nb": {
        "app_name": "mikrobot – saksbehandling",
        "skip_to_content": "Hopp til innholdet",
        "queue": "Innboks",
        "admin": "Administrasjon",
        "log_in": "Logg inn",
        "log_out": "Logg ut",
        "user_name": "Brukernavn",
        "password": "Passord",
        "login_failed": "Feil brukernavn eller passord.",
        "login_expired": "Skjemaet var utløpt. Prøv igjen.",
        "logged_in_as": "Innlogget som",
        "switch_language": "English",
        "category": "Kategori",
        "all_categories": "Alle kategorier",
        "status": "Status",
        "all_statuses": "Alle statuser",
        "assigned_to": "Saksbehandler",
        "anyone": "Alle",
        "nobody": "Ingen",
        "me": "Meg",
        "has_missing": "Har mangler",
        "low_confidence": "Lav sikkerhet",
        "search": "Søk",
        "search_hint": "Saksnummer, organisasjon, avsender eller emne",
        "filter": "Vis",
        "reset": "Nullstill",
        "ticket": "Sak",
        "case_reference": "Saksnummer",
        "confidence": "Sikkerhet",
        "organisation": "Organisasjon",
        "sender": "Avsender",
        "subject": "Emne",
        "missing": "Mangler",
        "updated": "Oppdatert",
        "mails": "E-poster",
        "no_tickets": "Ingen saker passer til filteret.",
        "page_of": "Side {page} av {pages}",
        "previous": "Forrige",
        "next": "Neste",
        "verdict": "Vurdering",
        "why": "Hvorfor",
        "rules_hit": "Regler og ord som slo til",
        "model_scores": "Modellens vurdering",
        "attachment_kinds": "Vedleggstyper",
        "sources": "Hvor det ble funnet",
        "to_check": "Å sjekke",
        "to_check_help": (
            "Dette kunne ikke boten vurdere (dårlig skann, fil som ikke kunne åpnes)."
            " Søkeren er ikke bedt om det."
        ),
        "none": "Ingen",
        "fields": "Felter",
        "save": "Lagre",
        "missing_items": "Manglende dokumentasjon",
        "nothing_missing": "Ingenting mangler.",
        "mark_received": "Mottatt",
        "mark_not_needed": "Ikke nødvendig",
        "actions": "Handlinger",
        "assign_to_me": "Ta saken",
        "change_category": "Endre kategori",
        "change": "Endre",
        "resend_missing": "Send purring om mangler igjen",
        "close": "Lukk saken",
        "reopen": "Gjenåpne saken",
        "attachments": "Vedlegg",
        "kind": "Type",
        "download": "Last ned",
        "thread": "E-poster i saken",
        "from": "Fra",
        "received": "Mottatt",
        "quoted_text": "Sitert tekst",
        "forwarded_text": "Videresendt tekst",
        "html_version": "HTML-versjon (renset, uten bilder og skript)",
        "replies_sent": "Svar",
        "reply_to_be_sent": "Svaret som ville blitt sendt nå",
        "no_replies": "Ingen svar er sendt.",
        "recipient": "Mottaker",
        "history": "Historikk",
        "when": "Når",
        "who": "Hvem",
        "what": "Hva",
        "details": "Detaljer",
        "error": "Feil",
        "not_found": "Fant ikke siden.",
        "forbidden": "Du har ikke tilgang til denne siden.",
        "bad_request": "Forespørselen ble avvist.",
        "done_assigned": "Saken er din.",
        "done_category": "Kategorien er endret, og rettelsen er lagret for neste trening.",
        "done_field": "Feltet er lagret.",
        "done_item": "Mangellisten er oppdatert.",
        "done_resent": "Purringen er lagt i utboksen.",
        "done_closed": "Saken er lukket.",
        "done_reopened": "Saken er gjenåpnet.",
        "classifier": "Klassifisereren",
        "evaluation_missing": "Ingen evaluering funnet i {path}. Kjør: {command}",
        "precision": "Presisjon",
        "recall": "Treffsikkerhet (recall)",
        "support": "Antall",
        "macro_f1": "Makro-F1",
        "confusion": "Forvekslingsmatrise (rad: fasit, kolonne: vurdering)",
        "corrections_waiting": "Rettelser som venter på trening",
        "corrections_help": "Eksporter og tren: {command}",
        "no_corrections": "Ingen rettelser venter.",
        "corrected_by": "Rettet av",
        "previous_category": "Fra",
        "new_category": "Til",
        "rules_file": "Regelfilen",
        "users": "Brukere",
        "role": "Rolle",
        "active": "Aktiv",
        "last_login": "Sist innlogget",
        "yes": "Ja",
        "no": "Nei",
        "cat_new_application": "Ny søknad",
        "cat_change_request": "Endringssøknad",
        "cat_signed_offer": "Signert tilbud",
        "cat_deletion_confirmation": "Bekreftet sletting",
        "cat_other": "Annet",
        "status_new": "Ny",
        "status_waiting_for_applicant": "Venter på søker",
        "status_ready": "Klar til behandling",
        "status_closed": "Lukket",
        "role_caseworker": "Saksbehandler",
        "role_admin": "Administrator",
        "reply_pending": "I kø",
        "reply_sent": "Sendt",
        "reply_failed": "Avvist",
        "ev_opened": "Sak opprettet",
        "ev_mail_received": "E-post mottatt",
        "ev_reply_queued": "Svar lagt i utboksen",
        "ev_reply_sent": "Svar sendt",
        "ev_reply_failed": "Svar avvist",
        "ev_reply_skipped": "Svar ikke sendt",
        "ev_assigned": "Tildelt",
        "ev_category_changed": "Kategori endret",
        "ev_field_changed": "Felt endret",
        "ev_item_received": "Mangel mottatt",
        "ev_item_not_needed": "Mangel ikke nødvendig",
        "ev_reply_requeued": "Purring lagt i utboksen",
        "ev_closed": "Lukket",
        "ev_reopened": "Gjenåpnet",
        "field_case_reference": "Saksnummer",
        "field_organization_number": "Organisasjonsnummer",
        "field_organization_name": "Organisasjon",
        "field_contact_name": "Kontaktperson",
        "field_contact_email": "Kontaktens e-post",
        "field_project_title": "Prosjekttittel",
        "field_signed_date": "Signert dato",
        "field_deletion_date": "Slettedato",
        "pd_flag": "Personopplysninger mottatt på e-post",
        "pd_flag_help": (
            "Boten fant fødselsnummer eller D-nummer. Slike data skal ikke sendes på e-post;"
            " filene som holder dem er satt til side, og saksbehandlere kan ikke laste dem ned."
        ),
        "pd_where_subject": "Emnefeltet",
        "pd_where_body": "E-postteksten",
        "pd_where_attachment": "Vedlegget {name}",
        "pd_deleted": "Slettet {when}",
        "pd_not_deleted": "Ikke slettet ennå",
        "pd_badge": "Personopplysninger",
        "pd_filter": "Personopplysninger mottatt",
        "pd_holds_ids": "Inneholder fødselsnummer",
        "pd_refused": (
            "Denne filen inneholder personopplysninger (fødselsnummer). Saksbehandlere kan ikke"
            " laste den ned. En administrator kan, med en begrunnelse som skrives i sakens"
            " historikk."
        ),
        "pd_reason_help": (
            "Filen inneholder personopplysninger (fødselsnummer). Oppgi hvorfor du laster den"
            " ned: hvem du er, hvorfor og hvilken fil skrives i sakens historikk."
        ),
        "pd_reason": "Begrunnelse",
        "pd_reason_needed": "Skriv en begrunnelse (minst 5 tegn).",
        "pd_download_logged": "Last ned og loggfør",
        "pd_gone": (
            "Personopplysningene i denne e-posten er slettet ({when})."
            " Det finnes ingenting å laste ned."
        ),
        "pd_file": "Fil",
        "pd_back": "Tilbake til saken",
        "download_raw": "Last ned e-posten (.eml)",
        "ev_personal_data_downloaded": "Personopplysninger lastet ned",
        "ev_personal_data_deleted": "Personopplysninger slettet",
        "ev_mailbox_copy_deleted": "Kopien i postkassen slettet",
        "ev_mailbox_copy_deletion_failed": "Kopien i postkassen ble ikke slettet (prøver igjen)",
        "pd_delete": "Slett personopplysningene",
        "pd_delete_help": (
            "Sletter e-postene med fødselsnummer: råfilen, vedleggene og tekstene i boten,"
            " og kopien i postkassen. Saken, feltene og historikken beholdes."
        ),
        "done_pd_deleted": "Personopplysningene er slettet; kopien i postkassen slettes nå.",
        # --- open work first, plural forms, errors (issue #12)
        "tickets_total.one": "{count} sak",
        "tickets_total.other": "{count} saker",
        "evaluation_of.one": "Evaluert på {count} e-post (testsettet), {when}",
        "evaluation_of.other": "Evaluert på {count} e-poster (testsettet), {when}",
        "pd_count.one": "{count} fødselsnummer",
        "pd_count.other": "{count} fødselsnummer",
        "age_days.one": "{count} dag",
        "age_days.other": "{count} dager",
        "age_hours.one": "{count} time",
        "age_hours.other": "{count} timer",
        "age_minutes.one": "{count} minutt",
        "age_minutes.other": "{count} minutter",
        "age_now": "Under ett minutt",
        "open_tickets": "Åpne saker",
        "received_age": "Mottatt",
        "overdue": "Forsinket",
        "overdue_only": "Bare forsinkede",
        "overdue_help": "Åpne saker mottatt for mer enn {days} dager siden",
        "sort_by": "Sorter etter {column}",
        "sorted_ascending": "stigende",
        "sorted_descending": "synkende",
        "method_not_allowed": "Siden kan ikke brukes slik.",
        "invalid_request": "Adressen har en ugyldig verdi: {fields}.",
        # --- notes, assignment, bulk, shortcuts (issue #12)
        "notes": "Interne notater",
        "note_new": "Nytt notat",
        "note_help": (
            "Bare for saksbehandlere: notatet står i historikken og sendes aldri til søkeren."
            " Fødselsnumre lagres ikke (de maskeres). Høyst 4000 tegn."
        ),
        "note_add": "Lagre notatet",
        "done_note": "Notatet er lagret.",
        "ev_note": "Notat",
        "assign_to": "Tildel til",
        "assign": "Tildel",
        "unassign": "Fjern tildelingen",
        "done_assigned_other": "Saken er tildelt.",
        "done_unassigned": "Ingen har saken nå.",
        "ev_unassigned": "Tildeling fjernet",
        "next_ticket": "Neste sak",
        "done_no_next": "Det er ingen andre åpne saker som er dine eller ikke tildelt.",
        "shortcuts": "Hurtigtaster",
        "shortcuts_caption": "Hurtigtaster (ikke mens du skriver i et felt)",
        "key_j_k": "Innboks: neste / forrige sak",
        "key_enter": "Innboks: åpne den valgte saken",
        "key_x": "Innboks: merk den valgte saken",
        "key_n": "Sak: neste sak",
        "key_c": "Sak: skriv svar",
        "key_help": "Vis eller skjul denne listen",
        "key_escape": "Lukk listen",
        "bulk_legend": "Merkede saker",
        "bulk_pick": "Merk {ticket}",
        "bulk_pick_all": "Merk alle på siden",
        "bulk_close": "Lukk merkede saker",
        "bulk_close_confirm": "Lukke de merkede sakene?",
        "bulk_result": "Masseendring",
        "bulk_outcome": "Resultat",
        "bulk_changed": "Endret",
        "bulk_unchanged": "Uendret (allerede slik)",
        "bulk_summary_assign": "{changed} av {total} saker tildelt {value}.",
        "bulk_summary_close": "{changed} av {total} saker lukket.",
        "bulk_summary_category": "{changed} av {total} saker flyttet til {value}.",
        "bulk_failed": "{failed} kunne ikke endres; se under.",
        "bulk_back": "Tilbake til innboksen",
        # --- compose and approve (issue #12, part 1)
        "review_title": "Til godkjenning",
        "review_mode_auto": (
            "Boten sender svarene selv (reply_mode = auto). Her står bare svar som ventet"
            " før innstillingen ble endret."
        ),
        "review_mode_review": (
            "Alle automatiske svar venter her til en saksbehandler godkjenner dem."
        ),
        "review_mode_review_uncertain": (
            "Svar som ber om manglende dokumenter, og svar på vurderinger med sikkerhet under"
            " {confidence}, venter her til en saksbehandler godkjenner dem."
        ),
        "review_empty": "Ingen svar venter på godkjenning.",
        "review_why": "Venter fordi",
        "review_since": "venter siden {when}",
        "review_approve": "Godkjenn og send",
        "review_edit": "Rediger",
        "review_discard": "Forkast",
        "review_discard_reason": "Begrunnelse (valgfri)",
        "hold_every_reply": "Alle svar godkjennes før de sendes.",
        "hold_requests_missing": "Svaret ber søkeren om manglende dokumenter.",
        "hold_low_confidence": "Boten er usikker på vurderingen.",
        "reply_held": "Venter på godkjenning",
        "reply_discarded": "Forkastet",
        "reply_decided_sent": "Sendt av {who}",
        "reply_decided_discarded": "Forkastet av {who}",
        "compose_title": "Skriv svar",
        "compose_edit_title": "Rediger svaret som venter",
        "compose_edit_draft": "Rediger og send svaret",
        "compose_blank": "Skriv eget svar",
        "compose_use_draft": "Bruk botens utkast",
        "compose_to": "Til",
        "compose_answers": "Svar på",
        "compose_locked": (
            "Mottaker og tråd er låst: svaret går til avsenderen av e-posten det svarer på,"
            " i samme tråd."
        ),
        "compose_body": "Tekst",
        "compose_send": "Send svaret",
        "compose_send_edited": "Send det redigerte svaret",
        "compose_cancel": "Avbryt",
        "compose_waiting_notice": "Et automatisk svar i denne saken venter på godkjenning.",
        "done_written": "Svaret er lagt i utboksen og sendes straks.",
        "done_approved": "Svaret er godkjent og sendes straks.",
        "done_edited": "Det redigerte svaret er lagt i utboksen og sendes straks.",
        "done_discarded": "Svaret er forkastet og sendes ikke.",
        "ev_reply_held": "Svar venter på godkjenning",
        "ev_reply_written": "Svar skrevet og sendt",
        "ev_reply_approved": "Svar godkjent",
        "ev_reply_edited": "Svar redigert og sendt",
        "ev_reply_discarded": "Svar forkastet",
        "reply_refused_too_soon": (
            "Purringen ble ikke sendt: saken fikk et svar {previous}. En ny purring kan sendes"
            " fra {allowed}."
        ),
        "reply_refused_empty": "Svaret har ingen tekst.",
        "reply_refused_too_long": "Svaret er for langt (mer enn {limit} tegn).",
        "reply_refused_national_id": (
            "Svaret inneholder et fødselsnummer eller D-nummer. Slike opplysninger sendes"
            " aldri på e-post: ta det ut."
        ),
        "reply_refused_form_expired": "Skjemaet er ikke gyldig lenger. Last siden på nytt.",
        "reply_refused_no_reply": "Denne saken kan ikke besvares herfra: {reason}",
        "reply_refused_not_waiting": (
            "Svaret venter ikke lenger på godkjenning: det er {status} ({who})."
        ),
    },
    "en": {
        "app_name": "mikrobot – casework",
        "skip_to_content": "Skip to content",
        "queue": "Queue",
        "admin": "Administration",
        "log_in": "Log in",
        "log_out": "Log out",
        "user_name": "User name",
        "password": "Password",
        "login_failed": "Wrong user name or password.",
        "login_expired": "The form had expired. Please try again.",
        "logged_in_as": "Logged in as",
        "switch_language": "Norsk",
        "category": "Category",
        "all_categories": "All categories",
        "status": "Status",
        "all_statuses": "All statuses",
        "assigned_to": "Caseworker",
        "anyone": "Anyone",
        "nobody": "Nobody",
        "me": "Me",
        "has_missing": "Has missing items",
        "low_confidence": "Low confidence",
        "search": "Search",
        "search_hint": "Case reference, organisation, sender or subject",
        "filter": "Show",
        "reset": "Reset",
        "ticket": "Ticket",
        "case_reference": "Case reference",
        "confidence": "Confidence",
        "organisation": "Organisation",
        "sender": "Sender",
        "subject": "Subject",
        "missing": "Missing",
        "updated": "Updated",
        "mails": "Mails",
        "no_tickets": "No tickets match the filter.",
        "page_of": "Page {page} of {pages}",
        "previous": "Previous",
        "next": "Next",
        "verdict": "Verdict",
        "why": "Why",
        "rules_hit": "Rules and words that decided it",
        "model_scores": "The model's scores",
        "attachment_kinds": "Attachment kinds",
        "sources": "Where it was found",
        "to_check": "To check",
        "to_check_help": (
            "The bot could not judge these (a poor scan, a file it could not open)."
            " The applicant was not asked for them."
        ),
        "none": "None",
        "fields": "Fields",
        "save": "Save",
        "missing_items": "Missing items",
        "nothing_missing": "Nothing is missing.",
        "mark_received": "Received",
        "mark_not_needed": "Not needed",
        "actions": "Actions",
        "assign_to_me": "Assign to me",
        "change_category": "Change category",
        "change": "Change",
        "resend_missing": "Send the missing-items reply again",
        "close": "Close the ticket",
        "reopen": "Reopen the ticket",
        "attachments": "Attachments",
        "kind": "Kind",
        "download": "Download",
        "thread": "Mails in the case",
        "from": "From",
        "received": "Received",
        "quoted_text": "Quoted text",
        "forwarded_text": "Forwarded text",
        "html_version": "HTML version (sanitised, without images and scripts)",
        "replies_sent": "Replies",
        "reply_to_be_sent": "The reply that would be sent now",
        "no_replies": "No replies sent.",
        "recipient": "Recipient",
        "history": "History",
        "when": "When",
        "who": "Who",
        "what": "What",
        "details": "Details",
        "error": "Error",
        "not_found": "Page not found.",
        "forbidden": "You do not have access to this page.",
        "bad_request": "The request was refused.",
        "done_assigned": "The ticket is yours.",
        "done_category": "The category is changed, and the correction is kept for training.",
        "done_field": "The field is saved.",
        "done_item": "The missing items are updated.",
        "done_resent": "The reminder is queued in the outbox.",
        "done_closed": "The ticket is closed.",
        "done_reopened": "The ticket is reopened.",
        "classifier": "The classifier",
        "evaluation_missing": "No evaluation found at {path}. Run: {command}",
        "precision": "Precision",
        "recall": "Recall",
        "support": "Mails",
        "macro_f1": "Macro-F1",
        "confusion": "Confusion matrix (row: label, column: verdict)",
        "corrections_waiting": "Corrections waiting for training",
        "corrections_help": "Export and train: {command}",
        "no_corrections": "No corrections are waiting.",
        "corrected_by": "Corrected by",
        "previous_category": "From",
        "new_category": "To",
        "rules_file": "The rules file",
        "users": "Users",
        "role": "Role",
        "active": "Active",
        "last_login": "Last login",
        "yes": "Yes",
        "no": "No",
        "cat_new_application": "New application",
        "cat_change_request": "Change request",
        "cat_signed_offer": "Signed offer",
        "cat_deletion_confirmation": "Deletion confirmation",
        "cat_other": "Other",
        "status_new": "New",
        "status_waiting_for_applicant": "Waiting for applicant",
        "status_ready": "Ready for assessment",
        "status_closed": "Closed",
        "role_caseworker": "Caseworker",
        "role_admin": "Administrator",
        "reply_pending": "Queued",
        "reply_sent": "Sent",
        "reply_failed": "Rejected",
        "ev_opened": "Ticket opened",
        "ev_mail_received": "Mail received",
        "ev_reply_queued": "Reply queued",
        "ev_reply_sent": "Reply sent",
        "ev_reply_failed": "Reply rejected",
        "ev_reply_skipped": "Reply not sent",
        "ev_assigned": "Assigned",
        "ev_category_changed": "Category changed",
        "ev_field_changed": "Field changed",
        "ev_item_received": "Missing item received",
        "ev_item_not_needed": "Missing item not needed",
        "ev_reply_requeued": "Reminder queued",
        "ev_closed": "Closed",
        "ev_reopened": "Reopened",
        "field_case_reference": "Case reference",
        "field_organization_number": "Organisation number",
        "field_organization_name": "Organisation",
        "field_contact_name": "Contact person",
        "field_contact_email": "Contact's e-mail",
        "field_project_title": "Project title",
        "field_signed_date": "Signed on",
        "field_deletion_date": "Deleted on",
        "pd_flag": "Personal data received by e-mail",
        "pd_flag_help": (
            "The bot found national ID numbers or D-numbers. Such data must not be sent by"
            " e-mail; the files that hold them are set apart, and caseworkers cannot download"
            " them."
        ),
        "pd_where_subject": "The subject",
        "pd_where_body": "The mail's text",
        "pd_where_attachment": "The attachment {name}",
        "pd_deleted": "Deleted {when}",
        "pd_not_deleted": "Not deleted yet",
        "pd_badge": "Personal data",
        "pd_filter": "Personal data received",
        "pd_holds_ids": "Holds national ID numbers",
        "pd_refused": (
            "This file holds personal data (national ID numbers). Caseworkers cannot download"
            " it. An administrator can, giving a reason that is written to the ticket's"
            " history."
        ),
        "pd_reason_help": (
            "The file holds personal data (national ID numbers). Say why you download it:"
            " who you are, why and which file are written to the ticket's history."
        ),
        "pd_reason": "Reason",
        "pd_reason_needed": "Give a reason (at least 5 characters).",
        "pd_download_logged": "Download and log it",
        "pd_gone": (
            "The personal data of this mail were deleted ({when}). There is nothing left to"
            " download."
        ),
        "pd_file": "File",
        "pd_back": "Back to the ticket",
        "download_raw": "Download the mail (.eml)",
        "ev_personal_data_downloaded": "Personal data downloaded",
        "ev_personal_data_deleted": "Personal data deleted",
        "ev_mailbox_copy_deleted": "Copy in the mailbox deleted",
        "ev_mailbox_copy_deletion_failed": "Copy in the mailbox not deleted (retrying)",
        "pd_delete": "Delete the personal data",
        "pd_delete_help": (
            "Deletes the mails with national ID numbers: the raw file, the attachments and"
            " texts in the bot, and the copy in the mailbox. The ticket, its fields and its"
            " history are kept."
        ),
        "done_pd_deleted": "The personal data is deleted; the copy in the mailbox goes next.",
        # --- open work first, plural forms, errors (issue #12)
        "tickets_total.one": "{count} ticket",
        "tickets_total.other": "{count} tickets",
        "evaluation_of.one": "Evaluated on {count} mail (the test split), {when}",
        "evaluation_of.other": "Evaluated on {count} mails (the test split), {when}",
        "pd_count.one": "{count} national ID number",
        "pd_count.other": "{count} national ID numbers",
        "age_days.one": "{count} day",
        "age_days.other": "{count} days",
        "age_hours.one": "{count} hour",
        "age_hours.other": "{count} hours",
        "age_minutes.one": "{count} minute",
        "age_minutes.other": "{count} minutes",
        "age_now": "Less than a minute",
        "open_tickets": "Open tickets",
        "received_age": "Received",
        "overdue": "Overdue",
        "overdue_only": "Overdue only",
        "overdue_help": "Open tickets received more than {days} days ago",
        "sort_by": "Sort by {column}",
        "sorted_ascending": "ascending",
        "sorted_descending": "descending",
        "method_not_allowed": "This page cannot be used that way.",
        "invalid_request": "The address has an invalid value: {fields}.",
        # --- notes, assignment, bulk, shortcuts (issue #12)
        "notes": "Internal notes",
        "note_new": "New note",
        "note_help": (
            "For caseworkers only: the note stands in the history and is never sent to the"
            " applicant. National ID numbers are not kept (they are masked). At most 4000"
            " characters."
        ),
        "note_add": "Save the note",
        "done_note": "The note is saved.",
        "ev_note": "Note",
        "assign_to": "Assign to",
        "assign": "Assign",
        "unassign": "Unassign",
        "done_assigned_other": "The ticket is assigned.",
        "done_unassigned": "Nobody has the ticket now.",
        "ev_unassigned": "Unassigned",
        "next_ticket": "Next ticket",
        "done_no_next": "There is no other open ticket that is yours or unassigned.",
        "shortcuts": "Shortcuts",
        "shortcuts_caption": "Keyboard shortcuts (not while typing in a field)",
        "key_j_k": "Queue: next / previous ticket",
        "key_enter": "Queue: open the selected ticket",
        "key_x": "Queue: tick the selected ticket",
        "key_n": "Ticket: next ticket",
        "key_c": "Ticket: write a reply",
        "key_help": "Show or hide this list",
        "key_escape": "Close the list",
        "bulk_legend": "Ticked tickets",
        "bulk_pick": "Tick {ticket}",
        "bulk_pick_all": "Tick all on this page",
        "bulk_close": "Close ticked tickets",
        "bulk_close_confirm": "Close the ticked tickets?",
        "bulk_result": "Bulk change",
        "bulk_outcome": "Outcome",
        "bulk_changed": "Changed",
        "bulk_unchanged": "Unchanged (already so)",
        "bulk_summary_assign": "{changed} of {total} tickets assigned to {value}.",
        "bulk_summary_close": "{changed} of {total} tickets closed.",
        "bulk_summary_category": "{changed} of {total} tickets moved to {value}.",
        "bulk_failed": "{failed} could not be changed; see below.",
        "bulk_back": "Back to the queue",
        # --- compose and approve (issue #12, part 1)
        "review_title": "Awaiting approval",
        "review_mode_auto": (
            "The bot sends its replies itself (reply_mode = auto). Only replies that waited"
            " before the setting changed are listed here."
        ),
        "review_mode_review": "Every automatic reply waits here until a caseworker approves it.",
        "review_mode_review_uncertain": (
            "Replies that ask for missing documents, and replies to verdicts with a confidence"
            " below {confidence}, wait here until a caseworker approves them."
        ),
        "review_empty": "No replies are awaiting approval.",
        "review_why": "Waiting because",
        "review_since": "waiting since {when}",
        "review_approve": "Approve and send",
        "review_edit": "Edit",
        "review_discard": "Discard",
        "review_discard_reason": "Reason (optional)",
        "hold_every_reply": "Every reply is approved before it is sent.",
        "hold_requests_missing": "The reply asks the applicant for missing documents.",
        "hold_low_confidence": "The bot is unsure of its verdict.",
        "reply_held": "Awaiting approval",
        "reply_discarded": "Discarded",
        "reply_decided_sent": "Sent by {who}",
        "reply_decided_discarded": "Discarded by {who}",
        "compose_title": "Write a reply",
        "compose_edit_title": "Edit the waiting reply",
        "compose_edit_draft": "Edit and send the reply",
        "compose_blank": "Write your own reply",
        "compose_use_draft": "Use the bot's draft",
        "compose_to": "To",
        "compose_answers": "In reply to",
        "compose_locked": (
            "Recipient and thread are fixed: the reply goes to the sender of the mail it"
            " answers, in the same thread."
        ),
        "compose_body": "Text",
        "compose_send": "Send the reply",
        "compose_send_edited": "Send the edited reply",
        "compose_cancel": "Cancel",
        "compose_waiting_notice": "An automatic reply in this case is awaiting approval.",
        "done_written": "The reply is in the outbox and goes out shortly.",
        "done_approved": "The reply is approved and goes out shortly.",
        "done_edited": "The edited reply is in the outbox and goes out shortly.",
        "done_discarded": "The reply is discarded and will not be sent.",
        "ev_reply_held": "Reply awaiting approval",
        "ev_reply_written": "Reply written and sent",
        "ev_reply_approved": "Reply approved",
        "ev_reply_edited": "Reply edited and sent",
        "ev_reply_discarded": "Reply discarded",
        "reply_refused_too_soon": (
            "The reminder was not sent: the case had a reply {previous}. Another reminder can"
            " be sent from {allowed}."
        ),
        "reply_refused_empty": "The reply has no text.",
        "reply_refused_too_long": "The reply is too long (more than {limit} characters).",
        "reply_refused_national_id": (
            "The reply holds a national ID or D number. Such data is never sent by e-mail:"
            " take it out."
        ),
        "reply_refused_form_expired": "The form is no longer valid. Reload the page.",
        "reply_refused_no_reply": "This case cannot be answered from here: {reason}",
        "reply_refused_not_waiting": (
            "The reply is no longer awaiting approval: it is {status} ({who})."
        ),
    },
}


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


PluralForm = Literal["one", "other"]


def plural_form(language: str, count: int) -> PluralForm:
    """The CLDR plural category of a whole number: bokmål ("1 sak", "2 saker", "0 saker")
    and English ("1 ticket", "0 tickets") both say `one` for exactly 1, `other` else."""
    del language  # the same rule for both page languages (and for nynorsk)
    return "one" if count == 1 else "other"


def age_in_units(age: timedelta) -> tuple[str, int]:
    """How long a ticket has waited, in the largest whole unit a caseworker reads: whole
    days from one day on, whole hours from one hour on, minutes below that (`now` under a
    minute). Always rounded down: a ticket is "2 dager" until it has waited three."""
    seconds = max(0, int(age.total_seconds()))
    if seconds >= 86_400:
        return "days", seconds // 86_400
    if seconds >= 3_600:
        return "hours", seconds // 3_600
    if seconds >= 60:
        return "minutes", seconds // 60
    return "now", 0


class Translator:
    """The words of one language, as the templates call them: `t("key", name=value)`."""

    def __init__(self, language: str) -> None:
        self.language = language_of(language)
        self._labels = LABELS[self.language]

    def __call__(self, key: str, **values: object) -> str:
        """The label `key` with its `{placeholders}` filled. A label written in plural forms
        (`key.one`, `key.other`) takes the form of its `count`: t("tickets_total", count=1)."""
        text = self._labels.get(key)
        count = values.get("count")
        if text is None and isinstance(count, int):
            text = self._labels.get(f"{key}.{plural_form(self.language, count)}")
        if text is None:
            return f"[{key}]"
        return text.format(**values) if values else text

    def age(self, age: timedelta) -> str:
        """A ticket's age in words: "3 dager", "1 dag", "5 timer"; "1 day", "5 hours"."""
        unit, count = age_in_units(age)
        return self("age_now") if unit == "now" else self(f"age_{unit}", count=count)

    def optional(self, prefix: str, key: str) -> str:
        """A label for a value from the data (a category, status, event); the value itself
        when there is none, so a new kind of event still shows."""
        return self._labels.get(f"{prefix}{key}", key)

    def missing_item(self, code: str) -> str:
        items = load_templates().missing_items[self.language]
        item = items.get(code)
        return item.title if item else code


def local_time(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return as_utc(moment).astimezone(OSLO)


def format_datetime(moment: datetime | None) -> str:
    """Norwegian style in both languages (the caseworkers are in Oslo): 27.11.2026 16:05."""
    local = local_time(moment)
    return "" if local is None else local.strftime("%d.%m.%Y %H:%M")


def format_date(moment: datetime | None) -> str:
    local = local_time(moment)
    return "" if local is None else local.strftime("%d.%m.%Y")


def format_percent(value: float, language: str) -> str:
    """0.873 → "87 %" (Norwegian puts a space before %); English "87%"."""
    number = round(value * 100)
    return f"{number}\u00a0%" if language == "nb" else f"{number}%"


def format_decimal(value: float, language: str) -> str:
    """0.950 → "0,950" in Norwegian, "0.950" in English."""
    text = f"{value:.3f}"
    return text.replace(".", ",") if language == "nb" else text

"""The pages' words in Norwegian bokmål (the default) and English, and Norwegian dates.

Keys are English identifiers; a missing key shows itself (`[key]`) instead of breaking a
page, and a test checks both languages have the same keys. Missing-item titles come
from the reply templates' `missing_items.toml`, so the page and the reply say the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
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
        "tickets_total": "{total} saker",
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
        "evaluation_of": "Evaluert på {mails} e-poster (testsettet), {when}",
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
        "pd_count": "{count} fødselsnummer",
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
        # --- login and accounts (issue #12, part 7)
        "login_wait": "For mange mislykkede innlogginger. Vent {wait} før du prøver igjen.",
        "login_locked": (
            "For mange mislykkede innlogginger: innloggingen er sperret i {wait}. Prøv igjen"
            " senere, eller be en administrator om et nytt passord."
        ),
        "account": "Min konto",
        "change_password": "Bytt passord",
        "current_password": "Nåværende passord",
        "new_password": "Nytt passord",
        "new_password_again": "Gjenta det nye passordet",
        "password_again": "Gjenta passordet",
        "password_rule": (
            "Minst {min} tegn, og ikke lett å gjette. Tre eller fire ord som ikke hører sammen,"
            " er både sterkt og lett å huske."
        ),
        "password_change_ends_sessions": (
            "Når du bytter passord, blir du logget ut alle andre steder du er innlogget."
        ),
        "done_password_changed": "Passordet er byttet. Du er logget ut alle andre steder.",
        "manage_users": "Legg til, deaktiver og gi nytt passord til brukere",
        "add_user": "Legg til bruker",
        "add_user_help": (
            "Gi passordet til den nye brukeren på en trygg måte (ikke i e-post), og be dem bytte"
            " det under «Min konto»."
        ),
        "disable": "Deaktiver",
        "enable": "Aktiver",
        "disable_user": "Deaktiver {name}",
        "enable_user": "Aktiver {name}",
        "confirm_disable": "Deaktivere {name}? Brukeren blir logget ut overalt.",
        "user_disabled": "Deaktivert",
        "reset_password": "Gi nytt passord",
        "new_password_for": "Nytt passord for {name}",
        "you": "(deg)",
        "never": "aldri",
        "done_user_added": "Brukeren {name} er lagt til.",
        "done_user_disabled": "{name} er deaktivert og logget ut overalt.",
        "done_user_enabled": "{name} er aktivert igjen.",
        "done_user_reset": (
            "{name} har fått nytt passord og er logget ut overalt. Gi passordet videre på en"
            " trygg måte, og be om at det byttes."
        ),
        "account_bad_name": (
            "Et brukernavn har 1–120 tegn: bokstavene a–z, sifre, punktum, «_», «@» eller «-»."
        ),
        "account_bad_role": "Ukjent rolle.",
        "account_exists": "Det finnes allerede en bruker med det navnet.",
        "account_unknown": "Brukeren finnes ikke.",
        "account_last_admin": (
            "Dette er den siste aktive administratoren. Legg til eller aktiver en annen"
            " administrator først."
        ),
        "account_own_account": "Du kan ikke deaktivere din egen bruker.",
        "account_own_password": "Ditt eget passord bytter du under «Min konto».",
        "account_wrong_password": "Det nåværende passordet er feil.",
        "account_same_password": "Det nye passordet er det samme som det gamle.",
        "account_mismatch": "De to passordene er ikke like.",
        "account_password_too_short": "Passordet må ha minst {min} tegn.",
        "account_password_too_long": "Passordet kan ha høyst {max} tegn.",
        "account_password_only_digits": "Et passord med bare sifre er gjettet på et øyeblikk.",
        "account_password_sequence": (
            "En rekke (abcd…, 1234…) eller et mønster som gjentas, er gjettet på et øyeblikk."
        ),
        "account_password_name": "Passordet kan ikke være brukernavnet.",
        "account_password_guessable": (
            "Passordet er for lett å gjette (et vanlig passord, ord eller mønster). Bruk tre"
            " eller fire ord som ikke hører sammen."
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
        "tickets_total": "{total} tickets",
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
        "evaluation_of": "Evaluated on {mails} mails (the test split), {when}",
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
        "pd_count": "{count} national ID numbers",
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
        # --- login and accounts (issue #12, part 7)
        "login_wait": "Too many failed logins. Wait {wait} before you try again.",
        "login_locked": (
            "Too many failed logins: logging in is locked for {wait}. Try again later, or ask"
            " an administrator for a new password."
        ),
        "account": "My account",
        "change_password": "Change password",
        "current_password": "Current password",
        "new_password": "New password",
        "new_password_again": "Repeat the new password",
        "password_again": "Repeat the password",
        "password_rule": (
            "At least {min} characters, and not easy to guess. Three or four words that do not"
            " belong together are both strong and easy to remember."
        ),
        "password_change_ends_sessions": (
            "When you change your password, you are logged out everywhere else."
        ),
        "done_password_changed": "Your password is changed. You are logged out everywhere else.",
        "manage_users": "Add, disable and reset users",
        "add_user": "Add a user",
        "add_user_help": (
            "Give the new user the password in a safe way (not by e-mail), and ask them to"
            " change it under “My account”."
        ),
        "disable": "Disable",
        "enable": "Enable",
        "disable_user": "Disable {name}",
        "enable_user": "Enable {name}",
        "confirm_disable": "Disable {name}? The user is logged out everywhere.",
        "user_disabled": "Disabled",
        "reset_password": "Set a new password",
        "new_password_for": "New password for {name}",
        "you": "(you)",
        "never": "never",
        "done_user_added": "The user {name} is added.",
        "done_user_disabled": "{name} is disabled and logged out everywhere.",
        "done_user_enabled": "{name} is enabled again.",
        "done_user_reset": (
            "{name} has a new password and is logged out everywhere. Pass the password on in a"
            " safe way, and ask them to change it."
        ),
        "account_bad_name": (
            "A user name has 1–120 characters: the letters a–z, digits, '.', '_', '@' or '-'."
        ),
        "account_bad_role": "Unknown role.",
        "account_exists": "There is already a user with that name.",
        "account_unknown": "There is no such user.",
        "account_last_admin": (
            "This is the last active administrator. Add or enable another administrator first."
        ),
        "account_own_account": "You cannot disable your own user.",
        "account_own_password": "You change your own password under “My account”.",
        "account_wrong_password": "The current password is wrong.",
        "account_same_password": "The new password is the same as the old one.",
        "account_mismatch": "The two passwords are not the same.",
        "account_password_too_short": "The password must have at least {min} characters.",
        "account_password_too_long": "The password can have at most {max} characters.",
        "account_password_only_digits": "A password of digits only is guessed in no time.",
        "account_password_sequence": (
            "A sequence (abcd…, 1234…) or a repeated pattern is guessed in no time."
        ),
        "account_password_name": "The password must not be the user name.",
        "account_password_guessable": (
            "The password is too easy to guess (a common password, word or pattern). Use three"
            " or four words that do not belong together."
        ),
    },
}


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


class Translator:
    """The words of one language, as the templates call them: `t("key", name=value)`."""

    def __init__(self, language: str) -> None:
        self.language = language_of(language)
        self._labels = LABELS[self.language]

    def __call__(self, key: str, **values: object) -> str:
        text = self._labels.get(key)
        if text is None:
            return f"[{key}]"
        return text.format(**values) if values else text

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

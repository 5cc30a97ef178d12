"""The pages' words in Norwegian bokmål (the default), nynorsk and English, and Norwegian
dates.

Keys are English identifiers; a missing key shows itself (`[key]`) instead of breaking a
page, and a test checks bokmål and English have the same keys. Nynorsk may lag behind: a
key it lacks shows bokmål's words (`FALLBACK`), never `[key]`. Missing-item titles come
from the reply templates' `missing_items.toml`, so the page and the reply say the same.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.replies.render import load_templates
from bot.store.models import as_utc

LANGUAGES: Final = ("nb", "nn", "en")
LANGUAGE_NAMES: Final = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}
"""Each language named in itself, for the switch between them."""
FALLBACK: Final = {"nn": "nb"}
"""A key a language lacks is shown in this one: nynorsk words are added after bokmål's."""
DEFAULT_LANGUAGE: Final = "nb"
NORWEGIAN: Final = frozenset({"nb", "nn"})

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
        "low_confidence": "Lav treffsikkerhet",
        "search": "Søk",
        "search_hint": "Saksnummer, organisasjon, avsender eller emne",
        "filter": "Vis",
        "reset": "Nullstill",
        "ticket": "Sak",
        "case_reference": "Saksnummer",
        "confidence": "Treffsikkerhet",
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
        "recall": "Gjenfinning (recall)",
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
        "key_c": "Sak: skriv svar. Svarskjema: gå til svarteksten",
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
            "Svar som ber om manglende dokumenter, og svar på vurderinger med treffsikkerhet under"
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
        # --- admins tune from the web, and words for people (issue #12)
        "model_versions": "Modellversjoner",
        "model_active_is": "Boten bruker modellversjon {name}.",
        "model_active_builtin": (
            "Boten bruker den medfølgende modellen ({path}); ingen versjon er tatt i bruk ennå."
        ),
        "model_takes_effect": (
            "En versjon du tar i bruk, gjelder fra boten (mikrobot run) starter på nytt, og med en"
            " gang i regeltesten her."
        ),
        "model_figures_on": "Tallene er målt på det holdt-ut settet: {held_out}",
        "model_version": "Versjon",
        "model_trained": "Trent",
        "model_data": "Treningsdata",
        "accuracy": "Andel riktige",
        "model_is_active": "I bruk",
        "model_data_counts": "{mails} e-poster, av dem {corrections} rettelser",
        "model_data_builtin": "Den medfølgende modellen",
        "model_held_out_mails": "målt på {mails} e-poster",
        "model_override_worse": "Ta i bruk selv om den scorer dårligere enn den som er i bruk",
        "model_override_not_comparable": (
            "Ta i bruk selv om tallene ikke kan sammenlignes (målt på et annet sett)"
        ),
        "model_activate": "Ta i bruk",
        "no_model_versions": "Ingen modellversjoner ennå. Tren en ny modell nedenfor.",
        "model_rollback": "Rull tilbake til {name}",
        "retrain": "Tren på nytt",
        "retrain_help": (
            "Trener en ny modellversjon på de merkede e-postene og saksbehandlernes rettelser, i"
            " bakgrunnen. Den nye versjonen tas ikke i bruk før du velger det."
        ),
        "retrain_start": "Start trening",
        "job_running": "Trening pågår",
        "job_done": "Treningen er ferdig",
        "job_failed": "Treningen feilet",
        "job_none": "Ingen trening",
        "step_starting": "starter",
        "step_reading": "leser e-poster",
        "step_training": "trener modellen",
        "step_calibrating": "kalibrerer treffsikkerheten",
        "step_evaluating": "måler på det holdt-ut settet",
        "step_saving": "lagrer versjonen",
        "step_done": "ferdig",
        "job_started": "startet av {who} {when}",
        "refresh": "Oppdater",
        "job_new_version": "Ny versjon: {name}",
        "done_activated": "Modellversjonen er tatt i bruk.",
        "done_rolled_back": "Rullet tilbake til forrige versjon.",
        "done_retrain_started": "Treningen er startet. Fremdriften vises her.",
        "done_rules_saved": (
            "Regelfilen er lagret, og den forrige er tatt vare på som sikkerhetskopi."
        ),
        "err_no_version": "Fant ikke modellversjonen.",
        "err_already_active": "{name} er allerede i bruk.",
        "err_model_worse": (
            "{name} scorer dårligere enn {active}, som er i bruk. Kryss av for å ta den i bruk"
            " likevel."
        ),
        "err_model_not_comparable": (
            "Tallene for {name} er målt på et annet sett enn for {active} og kan ikke sammenlignes."
            " Kryss av for å ta den i bruk likevel."
        ),
        "err_no_rollback": "Det finnes ingen tidligere versjon å rulle tilbake til.",
        "err_retrain_busy": "En trening pågår allerede. Vent til den er ferdig.",
        "audit_log": "Endringslogg for administrasjon",
        "audit_export": "Last ned som CSV",
        "audit_empty": "Ingen endringer ennå.",
        "audit_rules_saved": "Regelfilen lagret",
        "audit_model_activated": "Modellversjon tatt i bruk",
        "audit_model_rolled_back": "Rullet tilbake til modellversjon",
        "audit_model_registered": "Medfølgende modell registrert",
        "audit_retrain_started": "Trening startet",
        "audit_retrain_finished": "Trening ferdig",
        "audit_retrain_failed": "Trening feilet",
        "audit_key_version": "versjon",
        "audit_key_previous": "forrige",
        "audit_key_macro_f1": "makro-F1",
        "audit_key_accuracy": "andel riktige",
        "audit_key_override": "tross dårligere tall",
        "audit_key_job": "jobb",
        "audit_key_error": "feil",
        "audit_key_file": "fil",
        "audit_key_sha256": "SHA-256",
        "audit_key_previous_sha256": "forrige SHA-256",
        "audit_key_backup": "sikkerhetskopi",
        "audit_key_backtest_mails": "testet på",
        "audit_key_backtest_changed": "endret",
        "audit_user_added": "Bruker lagt til",
        "audit_user_disabled": "Bruker deaktivert",
        "audit_user_enabled": "Bruker aktivert",
        "audit_user_password_reset": "Nytt passord satt av administrator",
        "audit_user_role_changed": "Rolle endret",
        "audit_user_email_set": "E-postadresse for varsler endret",
        "audit_password_changed": "Eget passord byttet",
        "audit_login_unlocked": "Innloggingssperre opphevet",
        "audit_key_user": "bruker",
        "audit_key_role": "rolle",
        "audit_key_email": "e-post",
        "audit_key_sessions_ended": "innlogginger avsluttet",
        "audit_key_account": "brukernavn",
        "audit_key_address": "adresse",
        "login_locks": "Sperrede innlogginger",
        "no_login_locks": "Ingen brukernavn eller adresser er sperret nå.",
        "login_locks_help": (
            "For mange feil passord sperrer et brukernavn eller en adresse en stund."
            " Opphev sperren når du vet hvem som prøvde; det føres i endringsloggen."
        ),
        "lock_kind": "Gjelder",
        "lock_key": "Brukernavn eller adresse",
        "lock_left": "Sperret i",
        "lock_kind_account": "Brukernavn",
        "lock_kind_address": "Adresse",
        "unlock": "Opphev sperren",
        "unlock_named": "Opphev sperren for {name}",
        "done_login_unlocked": "Sperren for {name} er opphevet.",
        "account_bad_unlock": "Oppgi brukernavnet eller adressen som skal låses opp.",
        "refused_other": "Handlingen kunne ikke utføres. Last siden på nytt og prøv igjen.",
        "refused_no_ticket": "Saken finnes ikke.",
        "refused_note_empty": "Notatet er tomt.",
        "refused_note_too_long": "Et notat kan ha høyst {limit} tegn (dette har {given}).",
        "refused_not_active_user": "{name} er ikke en aktiv saksbehandler.",
        "refused_unknown_category": "Ukjent kategori.",
        "refused_unknown_resolution": "Velg om det som mangler er mottatt eller ikke trengs.",
        "refused_not_missing": "Dette mangler ikke lenger i saken.",
        "refused_nothing_missing": "Ingenting mangler i saken, så det er ingen påminnelse å sende.",
        "refused_no_answerable_mail": (
            "Ingen e-post i saken kan besvares (maskinsendt eller uten avsender)."
        ),
        "refused_not_composed": "Påminnelsen kunne ikke lages. Skriv svaret selv.",
        "refused_answered_mail_deleted": (
            "E-posten påminnelsen skulle svare på, er slettet (personopplysningene er "
            "fjernet). Skriv til søkeren selv."
        ),
        "refused_no_reminder": "Boten sender ikke påminnelse i denne saken. Skriv svaret selv.",
        "refused_none_selected": "Ingen saker er valgt.",
        "refused_too_many_selected": "Du kan velge høyst {limit} saker om gangen ({given} valgt).",
        "refused_unknown_bulk_action": "Ukjent handling.",
        "refused_deletion_reason": "Skriv en begrunnelse for slettingen (minst {limit} tegn).",
        "refused_nothing_to_delete": "Saken har ingen personopplysninger som ikke er slettet.",
        "rules_edit": "Rediger regelfilen",
        "rules_edit_help": (
            "Endre reglene og trykk «Test». Teksten sjekkes slik boten leser den, og prøves på de"
            " {limit} nyeste e-postene. Du kan lagre først når testen av akkurat denne teksten har"
            " gått gjennom."
        ),
        "rules_takes_effect": "Boten bruker de nye reglene fra den starter på nytt.",
        "rules_not_tested": (
            "Teksten er endret siden testen (eller ikke testet). Test den før du lagrer."
        ),
        "rules_invalid": "Regelfilen kan ikke brukes",
        "rules_line": "Linje {line}",
        "backtest": "Regeltest på mottatte e-poster",
        "backtest_summary": (
            "Prøvd på {tried} e-poster: {changed} ville fått en annen kategori eller andre mangler."
        ),
        "backtest_unreadable": "{count} kunne ikke leses (slettet).",
        "backtest_failed": "{count} feilet under vurderingen.",
        "unchanged": "uendret",
        "rules_test": "Test",
        "rules_save": "Lagre regelfilen",
        "rules_save_help": "Lagrer teksten som ble testet; den forrige filen tas vare på.",
        "confidence_help": "Hvor sikker boten er på at kategorien er riktig",
        "show_codes": "Vis kodene",
        "nothing": "ingenting",
        "place_subject": "emnefeltet",
        "place_text": "e-postteksten",
        "place_forwarded": "den videresendte teksten",
        "place_attachment": "et vedlegg",
        "hit_keyword": "Ordene «{phrase}» i {place}",
        "hit_unless": "«{phrase}» i {place} telte ikke: setningen sier noe annet",
        "hit_question": (
            "«{phrase}» står i et spørsmål i {place}: avsenderen spør, men ber ikke om noe"
        ),
        "hit_intent": "En setning i {place} sier hva avsenderen vil: {category}",
        "hit_question_intent": "Avsenderen spør om {category} i {place}, men ber ikke om det",
        "hit_attachment": "Vedlagt: {kind}",
        "hit_asks": "Avsenderen stiller et spørsmål i e-postteksten",
        "hit_threshold": (
            "Boten var for usikker på «{category}» (under {threshold}), så en saksbehandler avgjør"
        ),
        "hit_defect": "E-posten følger ikke standarden helt ({defect})",
        "hit_header": "E-posten er merket som automatisk ({header})",
        "hit_content_type": "E-posten er en automatisk melding ({type})",
        "hit_sender": "Sendt fra en systemadresse ({sender})",
        "hit_auto_subject": "Emnet begynner som et automatisk svar («{prefix}»)",
        "hit_follow_up": "Svar i sak {reference} som bare sender det som manglet",
        "kind_application_form": "søknadsskjema",
        "kind_variable_list": "variabelliste",
        "kind_dpia": "personvernkonsekvensvurdering (DPIA)",
        "kind_dpia_exemption": "begrunnelse for at DPIA ikke trengs",
        "kind_documentation": "dokumentasjon",
        "kind_signed_offer": "signert tilbud",
        "kind_script": "skript",
        "kind_identifying_variables_justification": "begrunnelse for identifiserende variabler",
        "kind_purpose_limitation": "formålsbegrensning",
        "kind_other": "annet",
        "action_none": "Ikke besvart",
        "action_acknowledge": "Kvittering",
        "action_request_missing": "Ber om det som mangler",
        "action_request_missing_again": "Purring på det som mangler",
        "detail_category": "Kategori",
        "detail_missing": "Mangler",
        "detail_to_check": "Å sjekke",
        "detail_previous": "Før",
        "detail_to": "Til",
        "detail_field": "Felt",
        "detail_value": "Ny verdi",
        "detail_item": "Gjelder",
        "detail_reason": "Grunn",
        "detail_error": "Feil",
        "detail_sender": "Avsender",
        "detail_recovered": "Levert før et avbrudd, bekreftet etterpå",
        "ev_sender_joined": "Ny avsender i saken",
        "ev_spoofed_own_address": "E-post som utga seg for å være fra boten",
        "ev_reply_confirmed": "Svaret er bekreftet levert",
        "ev_delivered_again": "Samme e-post levert på nytt",
        "field_not_saved": "{field} ble ikke lagret.",
        "err_field_case_reference": "Saksnummeret skal ha formen ÅÅ/NNNNN, for eksempel 24/01234.",
        "err_field_organization_number": (
            "Organisasjonsnummeret skal ha ni sifre, for eksempel 971526920."
        ),
        "err_field_date": "Skriv datoen som DD.MM.ÅÅÅÅ eller ÅÅÅÅ-MM-DD, for eksempel 31.12.2026.",
        "err_field_no_such_date": "«{value}» er ingen dato som finnes i kalenderen.",
        "err_field_email": "Skriv en gyldig e-postadresse, for eksempel navn@eksempel.no.",
        "err_field_unknown": "Ukjent felt.",
        "backtest_running": "Prøver reglene på de {limit} nyeste e-postene …",
        "backtest_stopped": "Testen stoppet. Trykk «Test» igjen.",
        "rules_run_gone": (
            "Fant ikke testen (boten er startet på nytt, eller en nyere test tok over). Test igjen."
        ),
        "detail_file": "Fil",
        "detail_mailbox_copies": "Kopier i postkassen",
        "detail_next_attempt_at": "Neste forsøk",
        # --- attachment preview and full-text search (issue #12, parts 4 and 5)
        "preview": "Forhåndsvis",
        "preview_title": "Forhåndsvisning",
        "preview_all_pages": "Vis alle sidene",
        "preview_first_page": "Første side av {name}",
        "preview_page_alt": "Side {page} av {total}",
        "preview_pages": "{count} side(r)",
        "preview_pages_shown": (
            "Viser de første {shown} av {total} sidene; last ned filen for å se resten."
        ),
        "preview_not_for_personal_data": "Ingen forhåndsvisning: filen har fødselsnumre.",
        "preview_personal_data": "Denne filen har fødselsnumre og forhåndsvises ikke for noen.",
        "preview_gone": (
            "Personopplysningene i denne e-posten er slettet; filen finnes ikke lenger."
        ),
        "preview_unsupported": (
            "Filen kan ikke forhåndsvises: bare PDF og bilder (PNG, JPEG, GIF, TIFF, WebP) "
            "kan vises. Last den ned for å åpne den."
        ),
        "preview_encrypted": "Filen kan ikke forhåndsvises: den er kryptert (passordbeskyttet).",
        "preview_damaged": "Filen kan ikke forhåndsvises: den er skadet eller ufullstendig.",
        "preview_too_large": "Filen kan ikke forhåndsvises: den er for stor.",
        "preview_no_such_page": "Denne siden finnes ikke i forhåndsvisningen.",
        "preview_timed_out": (
            "Forhåndsvisningen tok for lang tid og ble stoppet. Prøv igjen, eller last ned filen."
        ),
        "preview_failed": "Forhåndsvisningen mislyktes. Prøv igjen, eller last ned filen.",
        "search_hint_text": (
            "Ord fra emne, tekst eller vedlegg, saksnummer, organisasjon eller avsender"
        ),
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
        "key_c": "Ticket: write a reply. Composer: go to the reply's text",
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
        # --- admins tune from the web, and words for people (issue #12)
        "model_versions": "Model versions",
        "model_active_is": "The bot uses model version {name}.",
        "model_active_builtin": (
            "The bot uses the bundled model ({path}); no version has been activated yet."
        ),
        "model_takes_effect": (
            "A version you activate applies from the bot's next start (mikrobot run), and at once"
            " in the rules test here."
        ),
        "model_figures_on": "Figures measured on the held-out set: {held_out}",
        "model_version": "Version",
        "model_trained": "Trained",
        "model_data": "Training data",
        "accuracy": "Accuracy",
        "model_is_active": "Active",
        "model_data_counts": "{mails} mails, {corrections} of them corrections",
        "model_data_builtin": "The bundled model",
        "model_held_out_mails": "measured on {mails} mails",
        "model_override_worse": "Activate although it scores worse than the active one",
        "model_override_not_comparable": (
            "Activate although the figures do not compare (measured on another set)"
        ),
        "model_activate": "Activate",
        "no_model_versions": "No model versions yet. Train a new model below.",
        "model_rollback": "Roll back to {name}",
        "retrain": "Retrain",
        "retrain_help": (
            "Trains a new model version on the labelled mails and the caseworkers' corrections, in"
            " the background. The new version is not used until you activate it."
        ),
        "retrain_start": "Start training",
        "job_running": "Training in progress",
        "job_done": "Training finished",
        "job_failed": "Training failed",
        "job_none": "No training",
        "step_starting": "starting",
        "step_reading": "reading mails",
        "step_training": "training the model",
        "step_calibrating": "calibrating the confidence",
        "step_evaluating": "measuring on the held-out set",
        "step_saving": "saving the version",
        "step_done": "done",
        "job_started": "started by {who} {when}",
        "refresh": "Refresh",
        "job_new_version": "New version: {name}",
        "done_activated": "The model version is active.",
        "done_rolled_back": "Rolled back to the previous version.",
        "done_retrain_started": "Training has started. Its progress shows here.",
        "done_rules_saved": "The rules file is saved, and the previous one is kept as a backup.",
        "err_no_version": "No such model version.",
        "err_already_active": "{name} is already active.",
        "err_model_worse": (
            "{name} scores worse than {active}, the active version. Tick the box to activate it"
            " anyway."
        ),
        "err_model_not_comparable": (
            "The figures of {name} were measured on another set than those of {active} and do not"
            " compare. Tick the box to activate it anyway."
        ),
        "err_no_rollback": "There is no earlier version to roll back to.",
        "err_retrain_busy": "A training is already running. Wait until it has finished.",
        "audit_log": "Audit log of admin changes",
        "audit_export": "Download as CSV",
        "audit_empty": "No changes yet.",
        "audit_rules_saved": "Rules file saved",
        "audit_model_activated": "Model version activated",
        "audit_model_rolled_back": "Rolled back to model version",
        "audit_model_registered": "Bundled model registered",
        "audit_retrain_started": "Training started",
        "audit_retrain_finished": "Training finished",
        "audit_retrain_failed": "Training failed",
        "audit_key_version": "version",
        "audit_key_previous": "previous",
        "audit_key_macro_f1": "macro-F1",
        "audit_key_accuracy": "accuracy",
        "audit_key_override": "despite worse figures",
        "audit_key_job": "job",
        "audit_key_error": "error",
        "audit_key_file": "file",
        "audit_key_sha256": "SHA-256",
        "audit_key_previous_sha256": "previous SHA-256",
        "audit_key_backup": "backup",
        "audit_key_backtest_mails": "tested on",
        "audit_key_backtest_changed": "changed",
        "audit_user_added": "User added",
        "audit_user_disabled": "User disabled",
        "audit_user_enabled": "User enabled",
        "audit_user_password_reset": "New password set by an admin",
        "audit_user_role_changed": "Role changed",
        "audit_user_email_set": "Notice address changed",
        "audit_password_changed": "Own password changed",
        "audit_login_unlocked": "Login lock lifted",
        "audit_key_user": "user",
        "audit_key_role": "role",
        "audit_key_email": "e-mail",
        "audit_key_sessions_ended": "sessions ended",
        "audit_key_account": "user name",
        "audit_key_address": "address",
        "login_locks": "Locked logins",
        "no_login_locks": "No user name or address is locked now.",
        "login_locks_help": (
            "Too many wrong passwords lock a user name or an address for a while."
            " Lift the lock when you know who tried; it is recorded in the audit log."
        ),
        "lock_kind": "Applies to",
        "lock_key": "User name or address",
        "lock_left": "Locked for",
        "lock_kind_account": "User name",
        "lock_kind_address": "Address",
        "unlock": "Lift the lock",
        "unlock_named": "Lift the lock of {name}",
        "done_login_unlocked": "The lock of {name} is lifted.",
        "account_bad_unlock": "Name the user name or address to unlock.",
        "refused_other": "The action could not be done. Reload the page and try again.",
        "refused_no_ticket": "There is no such ticket.",
        "refused_note_empty": "The note is empty.",
        "refused_note_too_long": "A note has at most {limit} characters (this one has {given}).",
        "refused_not_active_user": "{name} is not an active caseworker.",
        "refused_unknown_category": "Unknown category.",
        "refused_unknown_resolution": (
            "Choose whether the missing item was received or is not needed."
        ),
        "refused_not_missing": "This is no longer missing in the case.",
        "refused_nothing_missing": (
            "Nothing is missing in the case, so there is no reminder to send."
        ),
        "refused_no_answerable_mail": (
            "No mail in the case may be answered (machine-made or without a sender)."
        ),
        "refused_not_composed": "The reminder could not be written. Write the reply yourself.",
        "refused_answered_mail_deleted": (
            "The mail the reminder would answer is deleted (its personal data was "
            "removed). Write to the applicant yourself."
        ),
        "refused_no_reminder": "The bot sends no reminder in this case. Write the reply yourself.",
        "refused_none_selected": "No tickets are selected.",
        "refused_too_many_selected": "At most {limit} tickets at a time ({given} selected).",
        "refused_unknown_bulk_action": "Unknown action.",
        "refused_deletion_reason": "Give a reason for the deletion (at least {limit} characters).",
        "refused_nothing_to_delete": "The case holds no personal data that is not deleted.",
        "rules_edit": "Edit the rules file",
        "rules_edit_help": (
            "Change the rules and press “Test”. The text is checked the way the bot reads it, and"
            " tried on the {limit} newest mails. You can save only once a test of exactly this text"
            " has passed."
        ),
        "rules_takes_effect": "The bot uses the new rules from its next start.",
        "rules_not_tested": (
            "The text has changed since the test (or was not tested). Test it before saving."
        ),
        "rules_invalid": "The rules file cannot be used",
        "rules_line": "Line {line}",
        "backtest": "Rules test on filed mails",
        "backtest_summary": (
            "Tried on {tried} mails: {changed} would get another category or other missing items."
        ),
        "backtest_unreadable": "{count} could not be read (deleted).",
        "backtest_failed": "{count} failed in triage.",
        "unchanged": "unchanged",
        "rules_test": "Test",
        "rules_save": "Save the rules file",
        "rules_save_help": "Saves the tested text; the previous file is kept.",
        "confidence_help": "How sure the bot is that the category is right",
        "show_codes": "Show the codes",
        "nothing": "nothing",
        "place_subject": "the subject",
        "place_text": "the mail's text",
        "place_forwarded": "the forwarded text",
        "place_attachment": "an attachment",
        "hit_keyword": "The words “{phrase}” in {place}",
        "hit_unless": "“{phrase}” in {place} did not count: the sentence says something else",
        "hit_question": (
            "“{phrase}” is in a question in {place}: the sender asks, but does not request anything"
        ),
        "hit_intent": "A sentence in {place} says what the sender wants: {category}",
        "hit_question_intent": (
            "The sender asks about {category} in {place}, but does not request it"
        ),
        "hit_attachment": "Attached: {kind}",
        "hit_asks": "The sender asks a question in the mail's text",
        "hit_threshold": (
            "The bot was too unsure of “{category}” (below {threshold}), so a caseworker decides"
        ),
        "hit_defect": "The mail does not quite follow the standard ({defect})",
        "hit_header": "The mail is marked as automatic ({header})",
        "hit_content_type": "The mail is an automatic message ({type})",
        "hit_sender": "Sent from a system address ({sender})",
        "hit_auto_subject": "The subject starts like an automatic reply (“{prefix}”)",
        "hit_follow_up": "A reply in case {reference} that only sends what was missing",
        "kind_application_form": "application form",
        "kind_variable_list": "variable list",
        "kind_dpia": "data protection impact assessment (DPIA)",
        "kind_dpia_exemption": "reason why no DPIA is needed",
        "kind_documentation": "documentation",
        "kind_signed_offer": "signed offer",
        "kind_script": "script",
        "kind_identifying_variables_justification": "justification for identifying variables",
        "kind_purpose_limitation": "purpose limitation",
        "kind_other": "other",
        "action_none": "Not answered",
        "action_acknowledge": "Receipt",
        "action_request_missing": "Asks for what is missing",
        "action_request_missing_again": "Reminder of what is missing",
        "detail_category": "Category",
        "detail_missing": "Missing",
        "detail_to_check": "To check",
        "detail_previous": "Before",
        "detail_to": "To",
        "detail_field": "Field",
        "detail_value": "New value",
        "detail_item": "Item",
        "detail_reason": "Reason",
        "detail_error": "Error",
        "detail_sender": "Sender",
        "detail_recovered": "Delivered before an interruption, confirmed afterwards",
        "ev_sender_joined": "New sender in the case",
        "ev_spoofed_own_address": "Mail pretending to come from the bot",
        "ev_reply_confirmed": "The reply's delivery is confirmed",
        "ev_delivered_again": "The same mail delivered again",
        "field_not_saved": "{field} was not saved.",
        "err_field_case_reference": "A case reference has the form YY/NNNNN, for example 24/01234.",
        "err_field_organization_number": (
            "An organisation number has nine digits, for example 971526920."
        ),
        "err_field_date": "Write the date as DD.MM.YYYY or YYYY-MM-DD, for example 31.12.2026.",
        "err_field_no_such_date": "“{value}” is not a date in the calendar.",
        "err_field_email": "Write a valid e-mail address, for example name@example.org.",
        "err_field_unknown": "Unknown field.",
        "backtest_running": "Trying the rules on the {limit} newest mails …",
        "backtest_stopped": "The test stopped. Press “Test” again.",
        "rules_run_gone": (
            "The test is gone (the server restarted, or a newer test took over). Test again."
        ),
        "detail_file": "File",
        "detail_mailbox_copies": "Copies in the mailbox",
        "detail_next_attempt_at": "Next attempt",
        # --- attachment preview and full-text search (issue #12, parts 4 and 5)
        "preview": "Preview",
        "preview_title": "Preview",
        "preview_all_pages": "Show all pages",
        "preview_first_page": "First page of {name}",
        "preview_page_alt": "Page {page} of {total}",
        "preview_pages": "{count} page(s)",
        "preview_pages_shown": (
            "Showing the first {shown} of {total} pages; download the file to see the rest."
        ),
        "preview_not_for_personal_data": "No preview: the file holds national ID numbers.",
        "preview_personal_data": "This file holds national ID numbers and is previewed to nobody.",
        "preview_gone": "The personal data of this mail were deleted; the file is gone.",
        "preview_unsupported": (
            "This file cannot be previewed: only PDF and images (PNG, JPEG, GIF, TIFF, "
            "WebP) can. Download it to open it."
        ),
        "preview_encrypted": "This file cannot be previewed: it is encrypted (password-protected).",
        "preview_damaged": "This file cannot be previewed: it is damaged or incomplete.",
        "preview_too_large": "This file cannot be previewed: it is too large.",
        "preview_no_such_page": "The preview has no such page.",
        "preview_timed_out": (
            "The preview took too long and was stopped. Try again, or download the file."
        ),
        "preview_failed": "The preview failed. Try again, or download the file.",
        "search_hint_text": (
            "Words from subject, text or attachments, case reference, organisation or sender"
        ),
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
    # Nynorsk: every key of bokmål's at the time it was added; a key added to bokmål
    # later shows bokmål's words until it is translated here (`FALLBACK`).
    "nn": {
        "app_name": "mikrobot – saksbehandling",
        "skip_to_content": "Hopp til innhaldet",
        "queue": "Innboks",
        "admin": "Administrasjon",
        "log_in": "Logg inn",
        "log_out": "Logg ut",
        "user_name": "Brukarnamn",
        "password": "Passord",
        "login_failed": "Feil brukarnamn eller passord.",
        "login_expired": "Skjemaet var gått ut. Prøv igjen.",
        "logged_in_as": "Innlogga som",
        "switch_language": "English",
        "category": "Kategori",
        "all_categories": "Alle kategoriar",
        "status": "Status",
        "all_statuses": "Alle statusar",
        "assigned_to": "Saksbehandlar",
        "anyone": "Alle",
        "nobody": "Ingen",
        "me": "Meg",
        "has_missing": "Har manglar",
        "low_confidence": "Låg treffsikkerheit",
        "search": "Søk",
        "search_hint": "Saksnummer, organisasjon, avsendar eller emne",
        "filter": "Vis",
        "reset": "Nullstill",
        "ticket": "Sak",
        "case_reference": "Saksnummer",
        "confidence": "Treffsikkerheit",
        "organisation": "Organisasjon",
        "sender": "Avsendar",
        "subject": "Emne",
        "missing": "Manglar",
        "updated": "Oppdatert",
        "mails": "E-postar",
        "no_tickets": "Ingen saker passar til filteret.",
        "page_of": "Side {page} av {pages}",
        "previous": "Førre",
        "next": "Neste",
        "tickets_total.one": "{count} sak",
        "tickets_total.other": "{count} saker",
        "verdict": "Vurdering",
        "why": "Kvifor",
        "rules_hit": "Reglar og ord som slo til",
        "model_scores": "Vurderinga til modellen",
        "attachment_kinds": "Vedleggstypar",
        "sources": "Kvar det vart funne",
        "to_check": "Å sjekke",
        "to_check_help": (
            "Dette kunne ikkje boten vurdere (dårleg skann, fil som ikkje kunne opnast). Søkjaren"
            " er ikkje beden om det."
        ),
        "none": "Ingen",
        "fields": "Felt",
        "save": "Lagre",
        "missing_items": "Manglande dokumentasjon",
        "nothing_missing": "Ingenting manglar.",
        "mark_received": "Motteke",
        "mark_not_needed": "Ikkje naudsynt",
        "actions": "Handlingar",
        "assign_to_me": "Ta saka",
        "change_category": "Endre kategori",
        "change": "Endre",
        "resend_missing": "Send purring om manglar igjen",
        "close": "Lukk saka",
        "reopen": "Opne saka igjen",
        "attachments": "Vedlegg",
        "kind": "Type",
        "download": "Last ned",
        "thread": "E-postar i saka",
        "from": "Frå",
        "received": "Motteke",
        "quoted_text": "Sitert tekst",
        "forwarded_text": "Vidaresend tekst",
        "html_version": "HTML-versjon (reinska, utan bilete og skript)",
        "replies_sent": "Svar",
        "reply_to_be_sent": "Svaret som ville vorte sendt no",
        "no_replies": "Ingen svar er sende.",
        "recipient": "Mottakar",
        "history": "Historikk",
        "when": "Når",
        "who": "Kven",
        "what": "Kva",
        "details": "Detaljar",
        "error": "Feil",
        "not_found": "Fann ikkje sida.",
        "forbidden": "Du har ikkje tilgang til denne sida.",
        "bad_request": "Førespurnaden vart avvist.",
        "done_assigned": "Saka er di.",
        "done_category": "Kategorien er endra, og rettinga er lagra til neste trening.",
        "done_field": "Feltet er lagra.",
        "done_item": "Manglelista er oppdatert.",
        "done_resent": "Purringa er lagd i utboksen.",
        "done_closed": "Saka er lukka.",
        "done_reopened": "Saka er opna igjen.",
        "classifier": "Klassifiseraren",
        "evaluation_missing": "Inga evaluering funnen i {path}. Køyr: {command}",
        "evaluation_of.one": "Evaluert på {count} e-post (testsettet), {when}",
        "evaluation_of.other": "Evaluert på {count} e-postar (testsettet), {when}",
        "precision": "Presisjon",
        "recall": "Gjenfinning (recall)",
        "support": "Tal",
        "macro_f1": "Makro-F1",
        "confusion": "Forvekslingsmatrise (rad: fasit, kolonne: vurdering)",
        "corrections_waiting": "Rettingar som ventar på trening",
        "corrections_help": "Eksporter og tren: {command}",
        "no_corrections": "Ingen rettingar ventar.",
        "corrected_by": "Retta av",
        "previous_category": "Frå",
        "new_category": "Til",
        "rules_file": "Regelfila",
        "users": "Brukarar",
        "role": "Rolle",
        "active": "Aktiv",
        "last_login": "Sist innlogga",
        "yes": "Ja",
        "no": "Nei",
        "cat_new_application": "Ny søknad",
        "cat_change_request": "Endringssøknad",
        "cat_signed_offer": "Signert tilbod",
        "cat_deletion_confirmation": "Stadfesta sletting",
        "cat_other": "Anna",
        "status_new": "Ny",
        "status_waiting_for_applicant": "Ventar på søkjar",
        "status_ready": "Klar til behandling",
        "status_closed": "Lukka",
        "role_caseworker": "Saksbehandlar",
        "role_admin": "Administrator",
        "reply_pending": "I kø",
        "reply_sent": "Sendt",
        "reply_failed": "Avvist",
        "ev_opened": "Sak oppretta",
        "ev_mail_received": "E-post motteken",
        "ev_reply_queued": "Svar lagt i utboksen",
        "ev_reply_sent": "Svar sendt",
        "ev_reply_failed": "Svar avvist",
        "ev_reply_skipped": "Svar ikkje sendt",
        "ev_assigned": "Tildelt",
        "ev_category_changed": "Kategori endra",
        "ev_field_changed": "Felt endra",
        "ev_item_received": "Mangel motteken",
        "ev_item_not_needed": "Mangel ikkje naudsynt",
        "ev_reply_requeued": "Purring lagd i utboksen",
        "ev_closed": "Lukka",
        "ev_reopened": "Opna igjen",
        "field_case_reference": "Saksnummer",
        "field_organization_number": "Organisasjonsnummer",
        "field_organization_name": "Organisasjon",
        "field_contact_name": "Kontaktperson",
        "field_contact_email": "E-posten til kontaktpersonen",
        "field_project_title": "Prosjekttittel",
        "field_signed_date": "Signert dato",
        "field_deletion_date": "Slettedato",
        "pd_flag": "Personopplysningar mottekne på e-post",
        "pd_flag_help": (
            "Boten fann fødselsnummer eller D-nummer. Slike data skal ikkje sendast på e-post;"
            " filene som held dei, er sette til side, og saksbehandlarar kan ikkje laste dei ned."
        ),
        "pd_where_subject": "Emnefeltet",
        "pd_where_body": "E-postteksten",
        "pd_where_attachment": "Vedlegget {name}",
        "pd_count.one": "{count} fødselsnummer",
        "pd_count.other": "{count} fødselsnummer",
        "pd_deleted": "Sletta {when}",
        "pd_not_deleted": "Ikkje sletta enno",
        "pd_badge": "Personopplysningar",
        "pd_filter": "Personopplysningar mottekne",
        "pd_holds_ids": "Inneheld fødselsnummer",
        "pd_refused": (
            "Denne fila inneheld personopplysningar (fødselsnummer). Saksbehandlarar kan ikkje"
            " laste henne ned. Ein administrator kan, med ei grunngjeving som vert skriven i"
            " historikken til saka."
        ),
        "pd_reason_help": (
            "Fila inneheld personopplysningar (fødselsnummer). Skriv kvifor du lastar henne ned:"
            " kven du er, kvifor og kva fil vert skrive i historikken til saka."
        ),
        "pd_reason": "Grunngjeving",
        "pd_reason_needed": "Skriv ei grunngjeving (minst 5 teikn).",
        "pd_download_logged": "Last ned og loggfør",
        "pd_gone": (
            "Personopplysningane i denne e-posten er sletta ({when}). Det finst ingenting å laste"
            " ned."
        ),
        "pd_file": "Fil",
        "pd_back": "Tilbake til saka",
        "download_raw": "Last ned e-posten (.eml)",
        "ev_personal_data_downloaded": "Personopplysningar lasta ned",
        "ev_personal_data_deleted": "Personopplysningar sletta",
        "ev_mailbox_copy_deleted": "Kopien i postkassa sletta",
        "ev_mailbox_copy_deletion_failed": "Kopien i postkassa vart ikkje sletta (prøver igjen)",
        "pd_delete": "Slett personopplysningane",
        "pd_delete_help": (
            "Slettar e-postane med fødselsnummer: råfila, vedlegga og tekstane i boten, og kopien i"
            " postkassa. Saka, felta og historikken vert behaldne."
        ),
        "done_pd_deleted": "Personopplysningane er sletta; kopien i postkassa vert sletta no.",
        # --- admins tune from the web, and words for people (issue #12)
        "model_versions": "Modellversjonar",
        "model_active_is": "Boten brukar modellversjon {name}.",
        "model_active_builtin": (
            "Boten brukar den medfølgjande modellen ({path}); ingen versjon er teken i bruk enno."
        ),
        "model_takes_effect": (
            "Ein versjon du tek i bruk, gjeld frå boten (mikrobot run) startar på nytt, og med ein"
            " gong i regeltesten her."
        ),
        "model_figures_on": "Tala er målte på det haldne-ute settet: {held_out}",
        "model_version": "Versjon",
        "model_trained": "Trena",
        "model_data": "Treningsdata",
        "accuracy": "Del rette",
        "model_is_active": "I bruk",
        "model_data_counts": "{mails} e-postar, av dei {corrections} rettingar",
        "model_data_builtin": "Den medfølgjande modellen",
        "model_held_out_mails": "målt på {mails} e-postar",
        "model_override_worse": "Ta i bruk sjølv om han skårar dårlegare enn den som er i bruk",
        "model_override_not_comparable": (
            "Ta i bruk sjølv om tala ikkje kan samanliknast (målte på eit anna sett)"
        ),
        "model_activate": "Ta i bruk",
        "no_model_versions": "Ingen modellversjonar enno. Tren ein ny modell nedanfor.",
        "model_rollback": "Rull tilbake til {name}",
        "retrain": "Tren på nytt",
        "retrain_help": (
            "Trenar ein ny modellversjon på dei merkte e-postane og rettingane til"
            " saksbehandlarane, i bakgrunnen. Den nye versjonen vert ikkje teken i bruk før du vel"
            " det."
        ),
        "retrain_start": "Start trening",
        "job_running": "Trening pågår",
        "job_done": "Treninga er ferdig",
        "job_failed": "Treninga feila",
        "job_none": "Inga trening",
        "step_starting": "startar",
        "step_reading": "les e-postar",
        "step_training": "trenar modellen",
        "step_calibrating": "kalibrerer treffsikkerheita",
        "step_evaluating": "måler på det haldne-ute settet",
        "step_saving": "lagrar versjonen",
        "step_done": "ferdig",
        "job_started": "starta av {who} {when}",
        "refresh": "Oppdater",
        "job_new_version": "Ny versjon: {name}",
        "done_activated": "Modellversjonen er teken i bruk.",
        "done_rolled_back": "Rulla tilbake til førre versjon.",
        "done_retrain_started": "Treninga er starta. Framdrifta visest her.",
        "done_rules_saved": "Regelfila er lagra, og den førre er teken vare på som tryggleikskopi.",
        "err_no_version": "Fann ikkje modellversjonen.",
        "err_already_active": "{name} er alt i bruk.",
        "err_model_worse": (
            "{name} skårar dårlegare enn {active}, som er i bruk. Kryss av for å ta han i bruk"
            " likevel."
        ),
        "err_model_not_comparable": (
            "Tala for {name} er målte på eit anna sett enn for {active} og kan ikkje samanliknast."
            " Kryss av for å ta han i bruk likevel."
        ),
        "err_no_rollback": "Det finst inga tidlegare versjon å rulle tilbake til.",
        "err_retrain_busy": "Ei trening pågår alt. Vent til ho er ferdig.",
        "audit_log": "Endringslogg for administrasjon",
        "audit_export": "Last ned som CSV",
        "audit_empty": "Ingen endringar enno.",
        "audit_rules_saved": "Regelfila lagra",
        "audit_model_activated": "Modellversjon teken i bruk",
        "audit_model_rolled_back": "Rulla tilbake til modellversjon",
        "audit_model_registered": "Medfølgjande modell registrert",
        "audit_retrain_started": "Trening starta",
        "audit_retrain_finished": "Trening ferdig",
        "audit_retrain_failed": "Trening feila",
        "audit_key_version": "versjon",
        "audit_key_previous": "førre",
        "audit_key_macro_f1": "makro-F1",
        "audit_key_accuracy": "del rette",
        "audit_key_override": "trass dårlegare tal",
        "audit_key_job": "jobb",
        "audit_key_error": "feil",
        "audit_key_file": "fil",
        "audit_key_sha256": "SHA-256",
        "audit_key_previous_sha256": "førre SHA-256",
        "audit_key_backup": "tryggleikskopi",
        "audit_key_backtest_mails": "testa på",
        "audit_key_backtest_changed": "endra",
        "audit_user_added": "Brukar lagd til",
        "audit_user_disabled": "Brukar deaktivert",
        "audit_user_enabled": "Brukar aktivert",
        "audit_user_password_reset": "Nytt passord sett av administrator",
        "audit_user_role_changed": "Rolle endra",
        "audit_user_email_set": "E-postadresse for varsel endra",
        "audit_password_changed": "Eige passord bytt",
        "audit_login_unlocked": "Innloggingssperre oppheva",
        "audit_key_user": "brukar",
        "audit_key_sessions_ended": "innloggingar avslutta",
        "audit_key_account": "brukarnamn",
        "login_locks": "Sperra innloggingar",
        "no_login_locks": "Ingen brukarnamn eller adresser er sperra no.",
        "login_locks_help": (
            "For mange feil passord sperrar eit brukarnamn eller ei adresse ei stund."
            " Opphev sperra når du veit kven som prøvde; det blir ført i endringsloggen."
        ),
        "lock_key": "Brukarnamn eller adresse",
        "lock_kind_account": "Brukarnamn",
        "unlock": "Opphev sperra",
        "unlock_named": "Opphev sperra for {name}",
        "done_login_unlocked": "Sperra for {name} er oppheva.",
        "account_bad_unlock": "Oppgi brukarnamnet eller adressa som skal låsast opp.",
        "refused_other": "Handlinga kunne ikkje utførast. Last sida på nytt og prøv igjen.",
        "refused_no_ticket": "Saka finst ikkje.",
        "refused_note_empty": "Notatet er tomt.",
        "refused_note_too_long": "Eit notat kan ha høgst {limit} teikn (dette har {given}).",
        "refused_not_active_user": "{name} er ikkje ein aktiv saksbehandlar.",
        "refused_unknown_category": "Ukjend kategori.",
        "refused_unknown_resolution": "Vel om det som manglar er motteke eller ikkje trengst.",
        "refused_not_missing": "Dette manglar ikkje lenger i saka.",
        "refused_nothing_missing": "Ingenting manglar i saka, så det er inga påminning å sende.",
        "refused_no_answerable_mail": (
            "Ingen e-post i saka kan svarast på (maskinsend eller utan avsendar)."
        ),
        "refused_not_composed": "Påminninga kunne ikkje lagast. Skriv svaret sjølv.",
        "refused_answered_mail_deleted": (
            "E-posten påminninga skulle svare på, er sletta (personopplysningane er "
            "fjerna). Skriv til søkjaren sjølv."
        ),
        "refused_no_reminder": "Boten sender ikkje påminning i denne saka. Skriv svaret sjølv.",
        "refused_none_selected": "Ingen saker er valde.",
        "refused_too_many_selected": "Du kan velje høgst {limit} saker om gongen ({given} valde).",
        "refused_unknown_bulk_action": "Ukjend handling.",
        "refused_deletion_reason": "Skriv ei grunngiving for slettinga (minst {limit} teikn).",
        "refused_nothing_to_delete": "Saka har ingen personopplysningar som ikkje er sletta.",
        "rules_edit": "Rediger regelfila",
        "rules_edit_help": (
            "Endra reglane og trykk «Test». Teksten vert sjekka slik boten les han, og prøvd på dei"
            " {limit} nyaste e-postane. Du kan lagre først når testen av akkurat denne teksten har"
            " gått gjennom."
        ),
        "rules_takes_effect": "Boten brukar dei nye reglane frå han startar på nytt.",
        "rules_not_tested": (
            "Teksten er endra sidan testen (eller ikkje testa). Test han før du lagrar."
        ),
        "rules_invalid": "Regelfila kan ikkje brukast",
        "rules_line": "Linje {line}",
        "backtest": "Regeltest på arkiverte e-postar",
        "backtest_summary": (
            "Prøvd på {tried} e-postar: {changed} ville fått ein annan kategori eller andre"
            " manglar."
        ),
        "backtest_unreadable": "{count} kunne ikkje lesast (sletta).",
        "backtest_failed": "{count} feila under vurderinga.",
        "unchanged": "uendra",
        "rules_test": "Test",
        "rules_save": "Lagre regelfila",
        "rules_save_help": "Lagrar teksten som vart testa; den førre fila vert teken vare på.",
        "confidence_help": "Kor sikker boten er på at kategorien er rett",
        "show_codes": "Vis kodane",
        "nothing": "ingenting",
        "place_subject": "emnefeltet",
        "place_text": "e-postteksten",
        "place_forwarded": "den vidaresende teksten",
        "place_attachment": "eit vedlegg",
        "hit_keyword": "Orda «{phrase}» i {place}",
        "hit_unless": "«{phrase}» i {place} talde ikkje: setninga seier noko anna",
        "hit_question": (
            "«{phrase}» står i eit spørsmål i {place}: avsendaren spør, men ber ikkje om noko"
        ),
        "hit_intent": "Ei setning i {place} seier kva avsendaren vil: {category}",
        "hit_question_intent": "Avsendaren spør om {category} i {place}, men ber ikkje om det",
        "hit_attachment": "Vedlagt: {kind}",
        "hit_asks": "Avsendaren stiller eit spørsmål i e-postteksten",
        "hit_threshold": (
            "Boten var for usikker på «{category}» (under {threshold}), så ein saksbehandlar avgjer"
        ),
        "hit_defect": "E-posten følgjer ikkje standarden heilt ({defect})",
        "hit_header": "E-posten er merkt som automatisk ({header})",
        "hit_content_type": "E-posten er ei automatisk melding ({type})",
        "hit_sender": "Send frå ei systemadresse ({sender})",
        "hit_auto_subject": "Emnet byrjar som eit automatisk svar («{prefix}»)",
        "hit_follow_up": "Svar i sak {reference} som berre sender det som mangla",
        "kind_application_form": "søknadsskjema",
        "kind_variable_list": "variabelliste",
        "kind_dpia": "personvernkonsekvensvurdering (DPIA)",
        "kind_dpia_exemption": "grunngjeving for at DPIA ikkje trengst",
        "kind_documentation": "dokumentasjon",
        "kind_signed_offer": "signert tilbod",
        "kind_script": "skript",
        "kind_identifying_variables_justification": "grunngjeving for identifiserande variablar",
        "kind_purpose_limitation": "føremålsavgrensing",
        "kind_other": "anna",
        "action_none": "Ikkje svart",
        "action_acknowledge": "Kvittering",
        "action_request_missing": "Ber om det som manglar",
        "action_request_missing_again": "Purring på det som manglar",
        "detail_category": "Kategori",
        "detail_missing": "Manglar",
        "detail_to_check": "Å sjekke",
        "detail_previous": "Før",
        "detail_to": "Til",
        "detail_field": "Felt",
        "detail_value": "Ny verdi",
        "detail_item": "Gjeld",
        "detail_reason": "Grunn",
        "detail_error": "Feil",
        "detail_sender": "Avsendar",
        "detail_recovered": "Levert før eit avbrot, stadfesta etterpå",
        "ev_sender_joined": "Ny avsendar i saka",
        "ev_spoofed_own_address": "E-post som gav seg ut for å vere frå boten",
        "ev_reply_confirmed": "Svaret er stadfesta levert",
        "ev_delivered_again": "Same e-post levert på nytt",
        "field_not_saved": "{field} vart ikkje lagra.",
        "err_field_case_reference": "Saksnummeret skal ha forma ÅÅ/NNNNN, til dømes 24/01234.",
        "err_field_organization_number": (
            "Organisasjonsnummeret skal ha ni siffer, til dømes 971526920."
        ),
        "err_field_date": "Skriv datoen som DD.MM.ÅÅÅÅ eller ÅÅÅÅ-MM-DD, til dømes 31.12.2026.",
        "err_field_no_such_date": "«{value}» er ingen dato som finst i kalenderen.",
        "err_field_email": "Skriv ei gyldig e-postadresse, til dømes namn@døme.no.",
        "err_field_unknown": "Ukjent felt.",
        "backtest_running": "Prøver reglane på dei {limit} nyaste e-postane …",
        "backtest_stopped": "Testen stoppa. Trykk «Test» igjen.",
        "rules_run_gone": (
            "Fann ikkje testen (boten er starta på nytt, eller ein nyare test tok over)."
            " Test igjen."
        ),
        "detail_file": "Fil",
        "detail_mailbox_copies": "Kopiar i postkassa",
        "detail_next_attempt_at": "Neste forsøk",
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
        fallback = FALLBACK.get(self.language)
        self._labels = (
            {**LABELS[fallback], **LABELS[self.language]} if fallback else LABELS[self.language]
        )

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
    return f"{number}\u00a0%" if language in NORWEGIAN else f"{number}%"


def format_decimal(value: float, language: str) -> str:
    """0.950 → "0,950" in Norwegian, "0.950" in English."""
    text = f"{value:.3f}"
    return text.replace(".", ",") if language in NORWEGIAN else text

"""Category slips (issue 10): acts in passing or promised, phone mails, changes called
"a new application", applications for something other than data.

Each mail here was invented for this check set; none is copied from a corpus. They run
through the whole pipeline with the committed rules and model, as production does."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from bot.triage import TriageContext, triage
from bot.verdict import Category
from tests.conftest import make_mail

Attachment = tuple[str, str, bytes]

OFFER: Attachment = (
    "tilbud_signert.txt",
    "text/plain",
    "Tilbud om leveranse av mikrodata, saksnummer 25/00312\n"
    "Pris: 38 000 kr eks. mva. Leveringstid: 8 uker.\n"
    "Vi aksepterer tilbudet og vilkårene.\n"
    "Sted og dato: Bergen, 3. mars 2025\nUnderskrift: Kari Nordmann\n".encode(),
)
PHONE_SCAN: Attachment = (
    "IMG_2231.txt",
    "text/plain",
    "Offer for delivery of microdata, case no. 24/00567\nPrice: NOK 52 000 excl. VAT\n"
    "Delivery time: 10 weeks. We accept the terms and conditions.\n"
    "Place and date: Tromsø, 12 May 2025   Signature: Ola Berg\n".encode(),
)
FORM: Attachment = (
    "soknadsskjema.txt",
    "text/plain",
    "Søknadsskjema – søknad om tilgang til mikrodata\nProsjekttittel: Levekår blant unge\n"
    "Behandlingsansvarlig: Bergen kommune\nKontaktperson: Kari Nordmann\n".encode(),
)
VARIABLES: Attachment = (
    "variabelliste.txt",
    "text/plain",
    "Variabelliste\nVariabelnavn;Kortnavn;Årganger\nInntekt;INNTEKT_WLONN;2019-2023\n".encode(),
)
CV: Attachment = (
    "CV_Nora_Lie.txt",
    "text/plain",
    b"Curriculum vitae\nNora Lie\nMaster of statistics\n",
)


class Slip(NamedTuple):
    subject: str
    body: str
    attachments: tuple[Attachment, ...]
    category: Category


SLIPS = {
    # An act promised for later, or mentioned in passing: not the act itself.
    "signed offer promised for tomorrow (nb)": Slip(
        "Tilbud 25/00312",
        "Hei!\n\nTakk for tilbudet. Vi sender signert tilbud i morgen, når rådmannen har "
        "skrevet under.\n\nHilsen Kari",
        (),
        Category.OTHER,
    ),
    "signed offer promised for next week (en)": Slip(
        "Re: Offer 24/00567",
        "Thank you for the offer. We will send the signed offer next week, once our "
        "director is back from leave.\n\nBest regards,\nOla",
        (),
        Category.OTHER,
    ),
    "complaint mentioning the signed offer sent earlier (nb)": Slip(
        "Leveranse i sak 23/01234",
        "Vi sendte signert tilbud for tre uker siden, men har fortsatt ikke fått dataene. "
        "Dette forsinker prosjektet vårt. Kan dere gi oss en dato for leveransen?\n\nMvh Per",
        (),
        Category.OTHER,
    ),
    "complaint mentioning the signed offer returned in February (en)": Slip(
        "Delivery delayed",
        "We returned the signed offer on 2 February, and the data have still not been "
        "delivered. This is holding up our whole project. Please let us know what is "
        "happening.\n\nRegards,\nAnne Dahl",
        (),
        Category.OTHER,
    ),
    "signed offer to be sent after the board meeting (nn)": Slip(
        "Tilbod om data",
        "Hei. Me sender signert tilbod etter styremøtet neste veke.\n\nHelsing Synnøve",
        (),
        Category.OTHER,
    ),
    "deletion promised at project end": Slip(
        "Prosjektslutt",
        "Prosjektet avsluttes i desember, og vi kommer til å slette dataene da. "
        "Bekreftelse på sletting sendes etterpå.\n\nVennlig hilsen Lise",
        (),
        Category.OTHER,
    ),
    # One line from a phone: the attachment decides.
    "phone mail with a signed offer attached": Slip(
        "Signert",
        "Sendt fra min iPhone",
        (OFFER,),
        Category.SIGNED_OFFER,
    ),
    "phone mail with a photographed offer (en)": Slip(
        "Fwd:",
        "Sent from my iPhone",
        (PHONE_SCAN,),
        Category.SIGNED_OFFER,
    ),
    "phone mail with the form and variable list": Slip(
        "",
        "Her kommer det.\n\nSendt fra min Samsung Galaxy-smarttelefon.",
        (FORM, VARIABLES),
        Category.NEW_APPLICATION,
    ),
    "one word from a phone answering the offer": Slip(
        "SV: Tilbud om mikrodata 25/00871",
        "Signert.\n\nSendt fra min iPad",
        (OFFER,),
        Category.SIGNED_OFFER,
    ),
    # A change to an existing decision called "a new application".
    "new application to extend decision (nb)": Slip(
        "Ny søknad om utvidelse av vedtak 23/01234",
        "Hei,\n\nvi søker om å få lagt til to nye variabler i prosjektet. Oppdatert "
        "variabelliste er vedlagt.\n\nMvh Tone",
        (VARIABLES,),
        Category.CHANGE_REQUEST,
    ),
    "new application to add variables (en)": Slip(
        "New application",
        "This is a new application to add variables to our project (your ref. 24/00567). "
        "The updated variable list is attached.\n\nKind regards,\nEmma",
        (VARIABLES,),
        Category.CHANGE_REQUEST,
    ),
    "new application for longer period (nb)": Slip(
        "Ny søknad – sak 22/04417",
        "Vi sender ny søknad om forlengelse av prosjektperioden til utgangen av 2027, "
        "da datainnsamlingen har tatt lengre tid enn planlagt.\n\nHilsen Jon",
        (),
        Category.CHANGE_REQUEST,
    ),
    "new application for more years (nn)": Slip(
        "Ny søknad til vedtak 24/00110",
        "Me sender ny søknad fordi me treng fleire årgangar av inntektsdata i prosjektet "
        "vårt.\n\nHelsing Ragnhild",
        (),
        Category.CHANGE_REQUEST,
    ),
    # Applications for something other than data.
    "job application (nb)": Slip(
        "Søknad på stilling som rådgiver",
        "Jeg søker herved på stillingen som rådgiver i seksjon for mikrodata. CV og "
        "vitnemål er vedlagt.\n\nVennlig hilsen Nora Lie",
        (CV,),
        Category.OTHER,
    ),
    "internship application (en)": Slip(
        "Application for summer internship",
        "I would like to apply for the summer internship in your microdata team. Please "
        "find my CV attached.\n\nBest wishes,\nLiam",
        (CV,),
        Category.OTHER,
    ),
    "grant application (nb)": Slip(
        "Søknad om midler",
        "Vi søker om forskningsmidler til et prosjekt om arbeidsmarkedet og ønsker en "
        "støtteerklæring fra SSB til søknaden.\n\nMvh Tor",
        (),
        Category.OTHER,
    ),
    "course application (nb)": Slip(
        "Søknad om plass på kurs",
        "Jeg søker om plass på kurset i bruk av microdata.no 12. mars.\n\nHilsen Eli",
        (),
        Category.OTHER,
    ),
    "complaint about an offer sent weeks ago (blind5)": Slip(
        "Ingen svar etter signert tilbud – sak 24/02001",
        "Hei,\n\nVi sendte signert tilbud for sak 24/02001 for tre uker siden og har ikke fått "
        "noen beskjed om leveringstid. Kan noen gi oss en status?\n\nHilsen Geir",
        (),
        Category.OTHER,
    ),
    "no reply to the signed offer, in English": Slip(
        "No reply after signed offer 25/00312",
        "Hello,\n\nWe returned the signed offer on 3 March and have had no response since. "
        "Could you tell us when the data will be delivered?\n\nBest, Ann",
        (),
        Category.OTHER,
    ),
    "a change form, a list and a DPIA (blind6)": Slip(
        "Endring i prosjekt",
        "Hei,\n\nVedlagt endringsskjema, oppdatert variabelliste og revidert DPIA.\n\nMvh Marit",
        (FORM, VARIABLES),
        Category.CHANGE_REQUEST,
    ),
    # Controls: the acts themselves stay what they are.
    "signed offer returned (control)": Slip(
        "Signert tilbud 25/00312",
        "Hei,\n\nvedlagt er signert tilbud i retur.\n\nMvh Kari",
        (OFFER,),
        Category.SIGNED_OFFER,
    ),
    "application for access (control)": Slip(
        "Søknad om tilgang til mikrodata",
        "Vedlagt følger vår søknad om tilgang til mikrodata med variabelliste.",
        (FORM, VARIABLES),
        Category.NEW_APPLICATION,
    ),
}


@pytest.mark.parametrize("name", list(SLIPS))
def test_each_slip_mail_gets_its_category(name: str, context: TriageContext) -> None:
    slip = SLIPS[name]
    raw = make_mail(slip.body, subject=slip.subject, attachments=list(slip.attachments))
    verdict = triage(raw, f"{name}.eml", context)
    assert verdict.category is slip.category, (verdict.confidence, verdict.evidence.rules)

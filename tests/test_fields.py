"""Field extraction: case references, organisation numbers, dates, names and titles."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers.fields import (
    DELETED_WORDS,
    SIGNED_WORDS,
    Author,
    Source,
    find_case_reference,
    find_contact,
    find_dated_event,
    find_organization_name,
    find_organization_number,
    find_project_title,
    find_ticket_references,
    has_ssb_letterhead,
    is_valid_organization_number,
    normalize_case_reference,
    normalize_organization_number,
    person_name,
)


def one(text: str) -> tuple[Source, ...]:
    return (Source("text", text),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Deres ref.: 24/01872-3", "24/01872"),
        ("Deres ref. 2024/1872", "24/01872"),
        ("saksnummer 23/4511", "23/04511"),
        ("Saksreferanse: 22/00917-12", "22/00917"),
        ("case no. 24/3310", "24/03310"),
        ("Your reference: 2025/118-2", "25/00118"),
        ("ref 25/118", "25/00118"),
        ("Vi viser til sak 24/01872 og sender endringssøknad.", "24/01872"),
        ("Se 24/01872-3 i arkivet.", "24/01872"),  # SSB's own shape needs no label
        ("Dykkar ref.: 2023/998", "23/00998"),
    ],
)
def test_case_reference_is_found_and_normalized(text: str, expected: str) -> None:
    assert find_case_reference(one(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Møtet er 24/12 kl. 10.",
        "Skoleåret 2024/25 begynner snart.",
        "Telefon 22 00 48 00, dato 12/03/2025.",
        "Forhold 1/2 av utvalget.",
        "Ingen referanse her.",
    ],
)
def test_dates_fractions_and_years_are_not_case_references(text: str) -> None:
    assert find_case_reference(one(text)) is None


def test_newest_source_wins_over_quoted_history() -> None:
    sources = (
        Source("text", "Gjelder deres ref. 25/00042"),
        Source("quoted", "Vår ref.: 24/01872-3", author=Author.OTHERS),
    )
    assert find_case_reference(sources) == "25/00042"


@given(
    year=st.integers(min_value=0, max_value=99),
    sequence=st.integers(min_value=1, max_value=99_999),
    document=st.one_of(st.none(), st.integers(min_value=1, max_value=999)),
    four_digit=st.booleans(),
)
def test_any_written_case_reference_normalizes_to_yy_slash_five_digits(
    year: int, sequence: int, document: int | None, four_digit: bool
) -> None:
    written_year = f"20{year:02d}" if four_digit else f"{year:02d}"
    suffix = f"-{document}" if document is not None else ""
    text = f"Saksnummer: {written_year}/{sequence}{suffix}"
    assert find_case_reference(one(text)) == f"{year:02d}/{sequence:05d}"


@given(st.text(max_size=200))
def test_case_reference_search_never_raises_and_always_has_contract_shape(text: str) -> None:
    found = find_case_reference(one(text))
    assert found is None or (
        len(found) == 8 and found[2] == "/" and found.replace("/", "").isdigit()
    )


def test_case_reference_normalization_rejects_impossible_numbers() -> None:
    assert normalize_case_reference("2024", "0") is None
    assert normalize_case_reference("2024", "123456") is None
    assert normalize_case_reference("1824", "12") is None


def _with_check_digit(first_eight: str) -> str | None:
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    remainder = sum(int(d) * w for d, w in zip(first_eight, weights, strict=True)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return None if check == 10 else first_eight + str(check)


@given(st.from_regex(r"[89]\d{7}", fullmatch=True))
def test_organization_numbers_with_a_right_check_digit_are_valid(first_eight: str) -> None:
    number = _with_check_digit(first_eight)
    if number is None:
        assert not any(is_valid_organization_number(first_eight + str(d)) for d in range(10))
        return
    assert is_valid_organization_number(number)
    wrong = first_eight + str((int(number[-1]) + 1) % 10)
    assert not is_valid_organization_number(wrong)
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
    assert normalize_organization_number(spaced) == number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Org.nr. 974 760 673", "974760673"),
        ("organisasjonsnummer: NO 974760673 MVA", "974760673"),
        ("Oslo kommune (orgnr 974760673)", "974760673"),
        ("Organisation number: 974 760 673", "974760673"),
        ("Org.nr. 974 760 674", None),  # wrong check digit: not given
        ("Ring 974 760 673 om noe", "974760673"),  # unlabelled, valid, starts with 9
        ("Konto 1234.56.78903", None),
    ],
)
def test_organization_number_is_found_only_when_mod11_valid(
    text: str, expected: str | None
) -> None:
    assert find_organization_number(one(text)) == expected


def test_ssbs_own_organization_number_is_never_the_applicants() -> None:
    sources = one("Statistisk sentralbyrå, org.nr. 971 526 920. Søker: org.nr. 974 760 673")
    assert find_organization_number(sources, frozenset({"971526920"})) == "974760673"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Signert tilbud, Bergen 12.03.2025", "2025-03-12"),
        ("Sted og dato: Oslo, 3. mars 2025\nUnderskrift: Kari", "2025-03-03"),
        ("Signed on March 12, 2025 by the director.", "2025-03-12"),
        ("Dato for signering: 2025-03-12", "2025-03-12"),
        ("Vi signerer når vi har fått svar.", None),
    ],
)
def test_signed_date_is_the_date_next_to_the_signature(text: str, expected: str | None) -> None:
    assert find_dated_event(one(text), SIGNED_WORDS) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dataene ble slettet 14.02.2025.", "2025-02-14"),
        ("Vi stadfestar at dataa vart sletta 1. april 2025.", "2025-04-01"),
        ("The data were deleted on 2 May 2025.", "2025-05-02"),
        ("Sletting skjer 31.13.2025", None),  # no such date
    ],
)
def test_deletion_date_is_read_in_norwegian_and_english(text: str, expected: str | None) -> None:
    assert find_dated_event(one(text), DELETED_WORDS) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Virksomhet: Bergen kommune\nKontaktperson: Kari", "Bergen kommune"),
        ("Organisasjon | Helsedirektoratet", "Helsedirektoratet"),
        ("Med vennlig hilsen\nOla\nTrøndelag fylkeskommune", "Trøndelag fylkeskommune"),
        ("Best regards,\nAnna\nUniversity of Bergen", "University of Bergen"),
        ("Hilsen Per, Universitetet i Tromsø", "Universitetet i Tromsø"),
        ("Vennleg helsing\nRiksrevisjonen", "Riksrevisjonen"),
        ("Helsing\nKari\nSeksjon for helsetenesteforsking\nHelse Førde HF", "Helse Førde HF"),
        ("Mvh\nOla\nHelse Møre og Romsdal HF", "Helse Møre og Romsdal HF"),
        ("Beste helsing\nVoss herad", "Voss herad"),
    ],
)
def test_organization_name_from_labels_or_known_shapes(text: str, expected: str) -> None:
    assert find_organization_name(one(text), one(text)) == expected


def test_signature_names_the_applicant_before_bodies_named_in_the_text() -> None:
    text = Source("text", "Analysene flyttes til TSD ved Universitetet i Oslo.")
    signature = Source("signature", "Sindre Tangen\nProfessor\nUniversitetet i Bergen")
    assert find_organization_name((text,), (signature, text)) == "Universitetet i Bergen"


def test_a_pdf_label_without_colon_is_not_part_of_the_name() -> None:
    assert find_organization_name((), one("Institusjon Drammen kommune")) == "Drammen kommune"


@pytest.mark.parametrize(
    ("display", "expected"),
    [
        ("Stein Myklebust, Professor", "Stein Myklebust"),
        ("Nordmann, Kari", "Kari Nordmann"),
        ("Utredningsseksjonen", None),
        ("Seksjon for analyse", None),
        ("Kari Nordmann", "Kari Nordmann"),
        ("Dr. Kari Nordmann, rådgiver, Avdeling for analyse", "Kari Nordmann"),
        ("KONSTANTINOU Dimitra (ESTAT)", "Dimitra Konstantinou"),
        ("IQBAL Sana", "Sana Iqbal"),
    ],
)
def test_display_names_become_person_names(display: str, expected: str | None) -> None:
    assert person_name(display) == expected


def test_contact_person_wins_over_project_leader() -> None:
    form = one("Prosjektleder | Tor Hagen\nKontaktperson | Bjørg Helland")
    assert find_contact(form, None, None)[0] == "Bjørg Helland"


def test_named_contact_person_wins_over_the_sender() -> None:
    sources = one("Kontaktperson: Ola Hansen, ola.hansen@nav.no")
    assert find_contact(sources, "Kari", "kari@nav.no") == ("Ola Hansen", "ola.hansen@nav.no")


def test_sender_is_the_contact_unless_a_machine_sent_it() -> None:
    assert find_contact(one("Hei"), "Kari Nordmann", "kari@nav.no") == (
        "Kari Nordmann",
        "kari@nav.no",
    )
    assert find_contact(one("x"), "Mail Delivery", "MAILER-DAEMON@nav.no") == (None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Prosjekttittel: Levekår blant unge i Oslo", "Levekår blant unge i Oslo"),
        ("Project title | Income mobility in Norway", "Income mobility in Norway"),
        ("for prosjektet «Helse og arbeid 2025»", "Helse og arbeid 2025"),
        ("Namn på prosjektet: Busetjing i distrikta", "Busetjing i distrikta"),
        ("extend our project 'Commuting and labour markets' (case", "Commuting and labour markets"),
        (
            "Updated project description\nHealth and work after 50\nVersion 2",
            "Health and work after 50",
        ),
        ("1. Prosjekttittel: Utenforskap blant unge voksne", "Utenforskap blant unge voksne"),
        ("Project: Shift work and sickness absence", "Shift work and sickness absence"),
        (
            "til doktorgradsprosjektet mitt ved OsloMet, «Nabolag og psykisk helse».",
            "Nabolag og psykisk helse",
        ),
        ("Vi sendte søknad i mars (saksnr 24/05512, «Ulikhet i helse»).", "Ulikhet i helse"),
        (
            "Case no. 22/01234 – Regional differences in early retirement\n",
            "Regional differences in early retirement",
        ),
    ],
)
def test_project_title_is_taken_from_labels_or_quotes(text: str, expected: str) -> None:
    assert find_project_title(one(text)) == expected


def test_senders_own_archive_number_is_not_ssbs_case_reference() -> None:
    own = (Source("text", "Vår ref.: 2024/9305\nDeres ref.: 24/01872-3"),)
    assert find_case_reference(own) == "24/01872"
    assert find_case_reference((Source("text", "Vår ref.: 24/09305-1"),)) is None


def test_the_senders_archive_number_in_the_subject_does_not_beat_deres_ref_in_the_body() -> None:
    sources = (
        Source("subject", "25/00098-7 Aksept av tilbud"),
        Source("text", "Vår referanse: 25/00098-7\nDeres referanse: 25/01123-6"),
    )
    assert find_case_reference(sources) == "25/01123"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Elements-referanse: 2025/1442-3\nSSB saksref.: 22/03310", "22/03310"),
        ("the project (SSB case 21/4410) has been closed", "21/04410"),
        ("Journalpost 2025/881\nDeres ref: 24/00123-5", "24/00123"),
    ],
)
def test_a_number_labelled_as_ssbs_case_wins_over_other_labels_in_the_same_text(
    text: str, expected: str
) -> None:
    assert find_case_reference(one(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Denne e-posten er sendt fra IMDis arkivsystem Elements.\nElements-referanse: 2025/4102-6",
        "Saka er arkivert hjå oss i ePhorte under saksnr. 2019/2231 (Helse Bergen).",
        "Our case number in P360 is 2024/555.",
        "Saka er registrert i vårt arkiv som sak 2023/7781.",
    ],
)
def test_a_number_filed_in_the_senders_own_archive_is_not_ssbs_case(text: str) -> None:
    assert find_case_reference(one(text)) is None
    assert find_case_reference(one(text + "\nDeres ref.: 24/01872-3")) == "24/01872"


def test_our_case_with_ssb_is_still_ssbs_case() -> None:
    assert find_case_reference(one("Regarding our case 24/1872 with you")) == "24/01872"


def test_vaar_ref_in_ssbs_quoted_letter_is_ssbs_case_reference() -> None:
    quoted = (Source("quoted", "Vår ref.: 24/01872-3", author=Author.OTHERS),)
    assert find_case_reference(quoted) == "24/01872"


def test_the_senders_vaar_ref_is_ssbs_case_when_ssbs_returned_letter_says_so() -> None:
    """ "Vedlagt signert tilbud, vår ref. 24/01872": many senders call the shared case
    "ours"; the offer's own letterhead (SSB's "Vår ref.") settles whose number it is."""
    sources = (
        Source("text", "Vedlagt signert tilbud, vår ref. 24/01872."),
        Source("Tilbud.pdf", "Vår ref. 24/01872-3\nDeres ref. 2024/777", Author.SSB_LETTER),
    )
    assert find_case_reference(sources) == "24/01872"
    assert find_case_reference(sources[:1]) is None


def test_only_a_letter_headed_by_ssb_is_ssbs_letter() -> None:
    assert has_ssb_letterhead("Statistisk sentralbyrå\nSeksjon for mikrodata\nVår ref. 24/1")
    # A covering letter addressed to SSB: the sender's letterhead comes first.
    assert not has_ssb_letterhead("Helsedirektoratet\nStatistisk sentralbyrå\nv/ Henrik Aas")


def test_the_applicants_number_in_ssbs_letter_is_never_ssbs_case() -> None:
    letter = (Source("Tilbud.pdf", "Deres ref. 24/00777\nTilbud om levering", Author.SSB_LETTER),)
    assert find_case_reference(letter) is None


@pytest.mark.parametrize(
    "text", ["(arkivsak 2023/6423-3)", "Opprinnelig vedtak: 23/390.", "SSBs saksnummer | 2023/1340"]
)
def test_archive_case_and_decision_labels_name_the_case(text: str) -> None:
    assert find_case_reference(one(text)) is not None


@given(
    year=st.integers(min_value=0, max_value=99),
    sequence=st.integers(min_value=1, max_value=99_999),
    spacing=st.sampled_from(["/", " / ", "/ ", " /"]),
    label=st.sampled_from(["Deres ref.:", "Saksnummer", "case no.", "Dykkar ref:", "Sak"]),
    noise=st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=40),
)
def test_case_reference_normalization_ignores_spacing_and_surrounding_words(
    year: int, sequence: int, spacing: str, label: str, noise: str
) -> None:
    text = f"{noise}\n{label} {year:02d}{spacing}{sequence}\n{noise}"
    assert find_case_reference(one(text)) == f"{year:02d}/{sequence:05d}"


@given(
    year=st.text("0123456789", min_size=1, max_size=6),
    sequence=st.text("0123456789", min_size=1, max_size=8),
)
def test_case_reference_normalization_of_any_digit_runs_is_none_or_contract_shaped(
    year: str, sequence: str
) -> None:
    result = normalize_case_reference(year, sequence)
    assert result is None or (len(result) == 8 and result[2] == "/")


@given(
    first_eight=st.from_regex(r"[89]\d{7}", fullmatch=True),
    layout=st.sampled_from(
        ["{a}{b}{c}", "{a} {b} {c}", "NO {a}{b}{c} MVA", "{a}\u00a0{b}\u00a0{c}"]
    ),
)
def test_organization_number_normalizes_from_every_common_layout(
    first_eight: str, layout: str
) -> None:
    number = _with_check_digit(first_eight)
    if number is None:
        return
    written = layout.format(a=number[:3], b=number[3:6], c=number[6:])
    assert find_organization_number(one(f"Org.nr.: {written}")) == number


@given(st.text(max_size=300))
def test_organization_number_search_returns_only_valid_nine_digit_numbers(text: str) -> None:
    found = find_organization_number(one(text))
    assert found is None or (len(found) == 9 and is_valid_organization_number(found))


@pytest.mark.parametrize(
    ("subject", "first_lines", "expected"),
    [
        ("Endringer prosjekt 22/4417", "", "22/04417"),
        ("SV: slettet 25/871", "", "25/00871"),
        ("Spørsmål", "Gjelder 23/1190\n\nHei, ...", "23/01190"),
        ("Rapport for 12/2024", "", None),  # a month and a year
        ("Møte uke 45/2024", "", None),  # a week and a year
        ("Se side 14/120 i vedlegget", "", None),
        ("Endringer prosjekt nr 22/4417", "", "22/04417"),
        ("Spørsmål", "Hei,\nvi lurer på noe.\nTakk.\n\nReferanse nederst: 23/1190", None),
    ],
)
def test_a_bare_short_reference_in_the_subject_or_first_lines_is_ssbs_case(
    subject: str, first_lines: str, expected: str | None
) -> None:
    sources = (Source("subject", subject), Source("text", first_lines))
    assert find_case_reference(sources) == expected


def test_the_senders_own_archive_number_stays_excluded_even_in_the_subject() -> None:
    sources = (
        Source("subject", "24/4417 Aksept av tilbud"),
        Source("text", "Vår ref.: 24/4417\nDeres ref.: 24/01872-3"),
    )
    assert find_case_reference(sources) == "24/01872"


def test_the_bots_ticket_reference_is_found_wherever_it_is_typed() -> None:
    assert find_ticket_references(("Ettersending MB-000013", "> Referanse: MB-000002")) == (
        "MB-000013",
        "MB-000002",
    )
    assert find_ticket_references(("sak MB 000013 og XMB-000014, MB-0000145",)) == ("MB-000013",)
    assert find_ticket_references(("Referanse: mb-000013.",)) == ("MB-000013",)


def test_ticket_references_past_a_million_are_found() -> None:
    from parsers.fields import find_ticket_references

    assert find_ticket_references(("Ettersending MB-1234567", "sak MB-000042")) == (
        "MB-1234567",
        "MB-000042",
    )


def test_a_number_the_sender_calls_ssbs_case_is_ssbs_though_a_subject_calls_it_ours() -> None:
    """threads4 t23: "Confirmation of deletion – our ref 2021/7788", and in the certificate
    "SSB case reference: 2021/7788-15"."""
    sources = (
        Source("subject", "Confirmation of deletion – our ref 2021/7788"),
        Source("text", "Please find attached the signed confirmation."),
        Source("Deletion certificate.pdf", "SSB case reference: 2021/7788-15"),
    )
    assert find_case_reference(sources) == "21/07788"


def test_our_ref_that_says_it_is_your_case_number_is_ssbs_case() -> None:
    """blind6 0024: "Our ref (your case number): 22/00931", and "our ref 22/00931" in the
    subject: the sender's words for SSB's number, not its own archive's."""
    sources = (
        Source("subject", "Extension of project period - our ref 22/00931"),
        Source("text", "Dear caseworker,\n\nOur ref (your case number): 22/00931\n"),
    )
    assert find_case_reference(sources) == "22/00931"

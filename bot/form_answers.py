"""Requirement decisions from a form's answers, not from the words of its questions.

A form's question about especially identifying variables names "grunnkrets, postnummer,
fødselsdato" in its label; read as prose, that label looks like a request. Here only the
answer counts: "Nei", "Ingen", "Ikke aktuelt", "N/A", "No", "None", "–", an empty field or
an unticked box mean no (the words: `[form_answers]` in `bot/data/rules.toml`). Pure
functions over `FormField`s (`parsers/forms.py` reads them); every decision says where it
came from, for `Evidence.sources`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from bot.rules import FormAnswerWords, Signals
from parsers.attachments import FormField

CONDITION = "condition:identifying_variables_requested"
MAIL_BODY = "mail body"
"""`FormSource.where` of a form typed into the mail itself."""
MIN_JUSTIFICATION_WORDS = 4
"""A justification field holding fewer words ("Ja", "OK") justifies nothing."""
MIN_REASON_WORDS = 12
"""A justification answer this long is a reason even without a reason word."""
MIN_FIELDS_FOR_A_FORM = 3
"""A file with this many fields (or one recognised question) is read as answers."""
_QUOTE_CHARS = 60

_NAMING_CUES = frozenset(
    {"begrunnelse", "begrunner", "begrunnet", "grunngjeving", "grunngjev", "justification",
     "justify", "justified"}
)  # fmt: skip
"""Cue words that name a justification without giving one ("see the attached justification")."""
_VARIABLE_NAME_WORDS = 4
"""A label of at most this many words naming an identifying variable is that variable's row."""


class Answer(Enum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Question(Enum):
    IDENTIFYING = "identifying"
    """Asks whether especially identifying variables are wanted."""
    VARIABLE = "variable"
    """Names one identifying variable (a row of a variable table, a box to tick)."""
    JUSTIFICATION = "justification"
    """Asks why identifying variables are needed."""
    DPIA = "dpia"
    OTHER = "other"


@dataclass(frozen=True)
class FormReading:
    """What the answers of one mail's forms (and a form typed in its body) decide."""

    requested: bool = False
    """Especially identifying variables are asked for (a yes answer, a ticked box)."""
    justified: bool = False
    """The form itself justifies them (a filled justification field or answer)."""
    dpia_exemption: bool = False
    """A written "DPIA not needed because …" answer."""
    dpia_claimed_in: str | None = None
    """The file whose answer says the DPIA is attached ("Vedlagt", a ticked box)."""
    forms_read: frozenset[str] = frozenset()
    """Files read as answers: their prose no longer raises the identifying condition."""
    question_labels: tuple[str, ...] = ()
    """Labels of recognised questions: blanked before any prose is read."""
    sources: tuple[tuple[str, str], ...] = ()


def normalized_label(label: str) -> str:
    """Field names as words: "sarligIdentifiserende_variabler" → "sarlig identifiserende
    variabler"."""
    label = re.sub(r"(?<=[a-zæøå])(?=[A-ZÆØÅ])", " ", label)
    return " ".join(re.sub(r"[_.]+", " ", label).split())


def question_of(field: FormField, signals: Signals, words: FormAnswerWords) -> Question:
    """Which of the requirement questions the field's label asks, if any."""
    label = normalized_label(field.label)
    names_variable = signals.identifying_variables.any(label)
    identifying = names_variable or words.identifying_question.any(label)
    if identifying and words.justification_question.any(label):
        return Question.JUSTIFICATION
    if words.dpia_question.any(label) and not identifying:
        return Question.DPIA
    if words.identifying_question.any(label):
        return Question.IDENTIFYING
    if names_variable:
        short = len(label.split(" | ")[0].split()) <= _VARIABLE_NAME_WORDS
        if short and not label.rstrip().endswith("?"):
            return Question.VARIABLE
        return Question.IDENTIFYING
    return Question.OTHER


def answer_of(field: FormField, words: FormAnswerWords) -> Answer:
    """Yes, no, or a free text that is neither; an empty field or unticked box is no."""
    value = " ".join(field.value.split())
    if field.checked is False:
        return Answer.NO
    if field.checked is True:
        return Answer.NO if words.no.match(value) else Answer.YES
    if words.both_options.match(value) or value.endswith("?"):
        return Answer.UNKNOWN  # the options printed, nothing chosen; or the next question
    if not value or words.no.match(value):
        return Answer.NO
    if words.yes.match(value):
        return Answer.YES
    return Answer.UNKNOWN


def where(field: FormField, file: str) -> str:
    """Where an answer was read, e.g. "form answer 'Nei' to 'Særlig …' in Søknad.pdf, page 2"."""
    kind = {
        True: "ticked box",
        False: "unticked box",
        None: "form answer",
    }[field.checked]
    value = field.value or "(empty)"
    page = f", page {field.page}" if field.page else ""
    return f"{kind} {_quote(value)} to {_quote(field.label)} in {file}{page}"


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return f"'{text if len(text) <= _QUOTE_CHARS else text[: _QUOTE_CHARS - 1] + '…'}'"


def _asks_identifying(
    field: FormField, question: Question, signals: Signals, words: FormAnswerWords
) -> Answer:
    """Whether this one answer asks for especially identifying variables."""
    answer = answer_of(field, words)
    value_names = signals.identifying_variables.any(field.value)
    if question is Question.IDENTIFYING:
        if answer is Answer.UNKNOWN:
            # "Grunnkrets og postnummer" answers yes; "Se variabelliste" defers to the list;
            # "Grunnkrets: Nei. Postnummer: Nei" names them only to say no to each.
            if not value_names:
                return Answer.UNKNOWN
            return _answer_per_variable(field.value, signals, words)
        if (
            field.checked
            and answer is Answer.YES
            and not (value_names or words.yes.match(field.value))
        ):
            # a ticked box under the question that names something else ("Kommune")
            return Answer.NO if field.value.strip() else Answer.YES
        return answer
    if question is Question.VARIABLE:
        return Answer.YES if answer is Answer.YES else Answer.NO
    if question is Question.JUSTIFICATION and value_names and answer is not Answer.NO:
        return Answer.YES  # "Especially identifying variables – justification: grunnkrets"
    if (
        question is Question.OTHER
        and value_names
        and answer is not Answer.NO
        and question_of(FormField(field.value, ""), signals, words)
        in (Question.OTHER, Question.VARIABLE)  # not the next question read as this answer
    ):
        return Answer.YES  # "Variabler: kjønn, alder, postnummer"; a ticked "Grunnkrets"
    return Answer.UNKNOWN


_ITEM_BREAK = re.compile(r"[.;,\n]+")
_NAME_AND_ANSWER = re.compile(r"^(?P<name>[^:=–—(]*?)\s*[:=–—(]\s*(?P<answer>.*)$")


def _answer_per_variable(value: str, signals: Signals, words: FormAnswerWords) -> Answer:
    """An answer that goes through the variables one by one ("Grunnkrets: Nei. Postnummer:
    Ja"): yes when one named variable is not answered no, no when every one is."""
    for item in _ITEM_BREAK.split(value):
        if not signals.identifying_variables.any(item):
            continue
        parts = _NAME_AND_ANSWER.match(item.strip())
        named_then_no = (
            parts is not None
            and signals.identifying_variables.any(parts["name"])
            and words.no.match(parts["answer"].strip())
        )
        if not named_then_no:
            return Answer.YES
    return Answer.NO


@dataclass(frozen=True)
class FormSource:
    """One file's (or the body's) fields, and what its answers may decide."""

    where: str
    """The file name, or `MAIL_BODY`, for provenance."""
    fields: Sequence[FormField]
    may_request: bool
    """Only the application form and the body can ask for identifying variables."""
    may_justify: bool = True
    """A variable list describes its variables ("må begrunnes"): it never justifies them."""


def read_form_answers(
    forms: Iterable[FormSource], signals: Signals, words: FormAnswerWords
) -> FormReading:
    """Decisions from the answers of every form in one mail, with their provenance."""
    requested = justified = exemption = False
    claimed_in: str | None = None
    forms_read: set[str] = set()
    labels: list[str] = []
    sources: list[tuple[str, str]] = []
    for source in forms:
        file, fields, may_request = source.where, source.fields, source.may_request
        questions = [(field, question_of(field, signals, words)) for field in fields]
        recognised = [q for _f, q in questions if q is not Question.OTHER]
        if may_request and (recognised or len(fields) >= MIN_FIELDS_FOR_A_FORM):
            forms_read.add(file)
        for field, question in questions:
            if _label_is_a_question(field, question, words):
                labels.append(field.label)
            if may_request:
                asks = _asks_identifying(field, question, signals, words)
                if asks is Answer.YES:
                    requested = True
                    sources.append((CONDITION, f"requested: {where(field, file)}"))
                elif asks is Answer.NO and question is not Question.OTHER:
                    sources.append((CONDITION, f"not requested: {where(field, file)}"))
            if source.may_justify and _justifies(
                field, question, signals, words, in_body=file == MAIL_BODY
            ):
                justified = True
                sources.append(("provided:identifying_justification", where(field, file)))
            if question is Question.DPIA:
                if _exempts_dpia(field, signals, words):
                    exemption = True
                    sources.append(("provided:dpia_exemption", where(field, file)))
                elif _claims_attached(field, words):
                    claimed_in = claimed_in or file
                    sources.append(("claimed:dpia", f"attached, says {where(field, file)}"))
            elif (
                source.may_justify
                and field.checked is None
                and signals.dpia_exemption.found(field.value)
            ):
                exemption = True
                sources.append(("provided:dpia_exemption", where(field, file)))
    return FormReading(
        requested=requested,
        justified=justified,
        dpia_exemption=exemption,
        dpia_claimed_in=claimed_in,
        forms_read=frozenset(forms_read),
        question_labels=tuple(dict.fromkeys(label for label in labels if label.strip())),
        sources=tuple(dict.fromkeys(sources)),
    )


def _label_is_a_question(field: FormField, question: Question, words: FormAnswerWords) -> bool:
    """Whether the label's words are a question, to be blanked in the prose: always for the
    justification, DPIA and "identifying variables" questions; a label that only names a
    variable ("Grunnkrets: …") only when a yes or no answers it."""
    if question in (Question.JUSTIFICATION, Question.DPIA):
        return True
    if question is Question.IDENTIFYING and words.identifying_question.any(field.label):
        return True
    return question is not Question.OTHER and answer_of(field, words) is not Answer.UNKNOWN


def _justifies(
    field: FormField,
    question: Question,
    signals: Signals,
    words: FormAnswerWords,
    *,
    in_body: bool = False,
) -> bool:
    """A filled justification field, or any answer that gives a reason for the variables.

    In the mail's own text the heading is the sender's ("Begrunnelse for grunnkrets: Avstand
    mellom bosted og …"), and only the first line of what follows is the field's answer:
    a few words there are the start of the reason, not a list of what is wanted."""
    if field.checked is not None or answer_of(field, words) is Answer.NO:
        return False
    value = field.value
    if words.later.any(value):
        return False  # "Begrunnelse ettersendes": promised, not given
    # "See attached justification": the word names a justification elsewhere, it gives none.
    reasons = set(signals.identifying_justification.cues.hits(value)) - _NAMING_CUES
    if words.attached.any(value) and not reasons:
        return False  # "Se vedlagt begrunnelse": the attachment is the justification
    if question is Question.JUSTIFICATION:
        # A reason, not a list of what is wanted ("Grunnkrets, see script"): a reason word
        # ("fordi", "for å", "because") or a sentence of some length.
        count = len(value.split())
        reason = signals.identifying_justification.cues.any(value)
        if in_body and count >= MIN_JUSTIFICATION_WORDS:
            return True
        return (reason and count >= MIN_JUSTIFICATION_WORDS) or count >= MIN_REASON_WORDS
    return signals.identifying_justification.found(value)


def _exempts_dpia(field: FormField, signals: Signals, words: FormAnswerWords) -> bool:
    """A written reason why no DPIA is needed, or a ticked "not needed" box."""
    value = field.value
    if field.checked is False or words.instructions.any(value) or words.later.any(value):
        return False  # the question's own instruction, or a DPIA still to come
    if signals.dpia_exemption.unless is not None and signals.dpia_exemption.unless.any(value):
        return False  # "trolig ikke behov": a guess, no decision
    if signals.dpia_exemption.cues.any(value) or signals.dpia_exemption.found(value):
        return True
    if field.checked is True:
        return False
    label = normalized_label(field.label)
    reasoned = len(value.split()) >= MIN_JUSTIFICATION_WORDS
    if answer_of(field, words) is Answer.NO:
        # "Nei, fordi …" to "Er DPIA nødvendig?"
        return reasoned and words.needed_question.any(label)
    if words.yes.match(value) or words.attached.any(value) or words.later.any(value):
        return False
    # "Begrunnelse for at DPIA ikke er nødvendig: Datasettet er pseudonymisert, …"
    return reasoned and (
        words.justification_question.any(label) or words.needed_question.any(label)
    )


def _claims_attached(field: FormField, words: FormAnswerWords) -> bool:
    """The DPIA answer says it is attached: "Vedlagt", "Ja, DPIA er vedlagt", a ticked box."""
    if answer_of(field, words) is Answer.NO or words.later.any(field.value):
        return False
    return words.attached.any(field.value)


def without_instructions(text: str, words: FormAnswerWords) -> str:
    """Prose minus the form's printed instructions ("legg ved DPIA eller en begrunnelse for
    hvorfor DPIA ikke er nødvendig"), conditional labels ("Hvis ja: begrunnelse") and option
    menus ("Ja, vedlagt / Nei, ikke nødvendig"), which name what they ask for without giving
    it."""
    return "\n".join(
        words.option_menu.sub(" ", line)
        for line in text.split("\n")
        if not words.instructions.any(line) and not words.is_conditional_label(line.strip())
    )


def written_between_fields(text: str, fields: Iterable[FormField]) -> str:
    """A form's lines that hold none of its fields' labels: what the applicant wrote under a
    heading ("Viss ja: grunngjeving for behovet", then the reason on the lines below), which
    no question → answer pair caught."""
    fields = list(fields)
    labels = [f.label for f in fields if len(f.label) >= 3]
    # Field text with its line breaks gone: a label or answer wrapped over lines is read there.
    read = " ".join(" ".join(f"{f.label} {f.value}".split()) for f in fields)

    def part_of_a_field(line: str) -> bool:
        words = " ".join(line.split())
        return any(label in line for label in labels) or (len(words) >= 3 and words in read)

    return "\n".join(line for line in text.split("\n") if not part_of_a_field(line))


def without_labels(text: str, labels: Iterable[str]) -> str:
    """The text with every recognised question's label blanked: words in a label are never
    a request, nor a justification."""
    for label in sorted(set(labels), key=len, reverse=True):
        if len(label) >= 3:
            text = text.replace(label, " ")
    return text

"""Is the returned offer really signed? The `signed_offer` requirement, decided from content.

An offer judged `signed_offer` by its kind is only an offer; whether it is signed is what
its acceptance block holds (`parsers/attachments/signature.py`). This module turns the
mail's attachments and its text into one decision: signed (present), not signed or not
attached (missing, with the reason the reply gives), or a scan too poor to judge (for the
caseworker to check; the applicant is never asked for what the bot cannot see). Pure: no
I/O, the same inputs always give the same decision.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.rules import OfferMail
from bot.verdict import AttachmentKind, ItemNote, NoteReason
from parsers.attachments import Acceptance, AttachmentText
from parsers.attachments.logos import looks_like_logo
from parsers.attachments.signature import acceptance_from_text

CODE = "signed_offer"

POOR_OCR_CHARS = 80
"""A scan whose OCR gives fewer characters than this shows nothing the bot can judge."""

_DATED = re.compile(r"dated [^,]+")
"""The date OCR read, as `read_acceptance` words it in its evidence."""


class OfferStatus(StrEnum):
    SIGNED = "signed"
    NOT_SIGNED = "not_signed"
    NOT_ATTACHED = "not_attached"
    TO_CHECK = "to_check"
    NO_OFFER = "no_offer"
    """No offer attached and the mail does not claim one: the plain "missing" of the rules."""


@dataclass(frozen=True)
class OfferFile:
    """One attachment as the decision needs it: what it is, what it holds, how it came."""

    attachment: AttachmentText
    kind: AttachmentKind
    inline: bool = False
    size: int = 0


@dataclass(frozen=True)
class OfferCheck:
    """The `signed_offer` decision and what the verdict shows for it."""

    status: OfferStatus
    notes: tuple[ItemNote, ...] = ()
    to_check: tuple[str, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()

    def applied_to(self, present: set[str]) -> set[str]:
        """`present` with `signed_offer` kept only when it is signed or to check (a poor scan
        is not asked for again; the caseworker checks it)."""
        if self.status in (OfferStatus.SIGNED, OfferStatus.TO_CHECK):
            return present | {CODE}
        return present - {CODE}


def is_logo(file: OfferFile) -> bool:
    """A signature logo (`parsers/attachments/logos.py`): never a signed offer."""
    return looks_like_logo(file.attachment, file.size, file.inline)


def claims_attached(mail_text: str, words: OfferMail) -> str | None:
    """The sentence in which the sender says the signed offer is attached (`words`), or None."""
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", mail_text):
        said = words.attached.search(sentence) and words.offer.search(sentence)
        if said and not words.not_yet.search(sentence):
            return sentence.strip()[:160]
    return None


def check_signed_offer(files: Sequence[OfferFile], mail_text: str, words: OfferMail) -> OfferCheck:
    """The `signed_offer` requirement from the attachments judged offers and the sender's text.

    Signed when any offer's acceptance block has a signature and a date; not signed when the
    offers' blocks are blank, dated only, signed only or hold an empty signature field; to
    check when the only offers are scans too poor to judge; not attached when the text says
    the offer is attached and none is (a logo never counts).
    """
    offers = [f for f in files if f.kind is AttachmentKind.SIGNED_OFFER and not is_logo(f)]
    offers = [f for f in offers if f.attachment.error is None]
    judged = [(f, _judge(f)) for f in offers]
    for file, (status, evidence) in judged:
        if status is OfferStatus.SIGNED:
            return OfferCheck(status, sources=((CODE, _source(evidence, file)),))
    unsure = [(f, e) for f, (s, e) in judged if s is OfferStatus.TO_CHECK]
    if unsure:
        return OfferCheck(
            OfferStatus.TO_CHECK,
            notes=tuple(
                ItemNote(CODE, NoteReason.POOR_SCAN, f.attachment.filename) for f, _ in unsure
            ),
            to_check=(CODE,),
            sources=tuple((CODE, _source(e, f)) for f, e in unsure),
        )
    if judged:
        return OfferCheck(
            OfferStatus.NOT_SIGNED,
            notes=tuple(
                ItemNote(CODE, NoteReason.NOT_SIGNED, f.attachment.filename) for f, _ in judged
            ),
            sources=tuple((CODE, _source(e, f)) for f, (_s, e) in judged),
        )
    claim = claims_attached(mail_text, words)
    if claim is not None and not any(
        f.attachment.error is not None and f.kind is AttachmentKind.SIGNED_OFFER for f in files
    ):
        logos = [f.attachment.filename for f in files if is_logo(f)]
        seen = f"; only {', '.join(logos)} (a logo) is attached" if logos else ""
        return OfferCheck(
            OfferStatus.NOT_ATTACHED,
            notes=(ItemNote(CODE, NoteReason.NOT_ATTACHED),),
            sources=((CODE, f"the mail says '{claim}', but no offer is attached{seen}"),),
        )
    return OfferCheck(OfferStatus.NO_OFFER)


def _judge(file: OfferFile) -> tuple[OfferStatus, str]:
    """One offer: signed, not signed, or (a scan) to check; with the evidence."""
    attachment = file.attachment
    scan = attachment.scanned or attachment.format == "image"
    acceptance = attachment.acceptance
    if acceptance is None and scan and attachment.text.strip():
        acceptance = acceptance_from_text(attachment.text, ocr=True)
    if scan:
        return _judge_scan(attachment, acceptance)
    if acceptance is None or not acceptance.found:
        # Content says offer but no acceptance block was found: nothing to hold against it.
        return (
            OfferStatus.SIGNED,
            "judged a signed offer by its content (no acceptance block found)",
        )
    if acceptance.signature == "name_only":
        # A typed name beside an empty signature line: the caseworker judges, nobody is asked.
        return OfferStatus.TO_CHECK, acceptance.evidence
    if acceptance.signature and acceptance.dated:
        return OfferStatus.SIGNED, acceptance.evidence
    return OfferStatus.NOT_SIGNED, acceptance.evidence


def _judge_scan(
    attachment: AttachmentText, acceptance: Acceptance | None
) -> tuple[OfferStatus, str]:
    """A scan counts as signed when the OCR shows a date and a name or handwriting in the
    block, or the page image shows ink beside the signature label (and the date's, or OCR
    read a date); not signed when the block OCR read is blank and so is the image beside
    its date and signature labels; otherwise a person must look (OCR never reads every pen
    signature, and the ink says only that something is there)."""
    if len(attachment.text.strip()) < POOR_OCR_CHARS:
        return OfferStatus.TO_CHECK, "scan too poor to read (OCR found almost no text)"
    if acceptance is None or not acceptance.found:
        return (
            OfferStatus.TO_CHECK,
            "scan read by OCR, but no acceptance block could be found on it",
        )
    if acceptance.signature and acceptance.dated:
        return OfferStatus.SIGNED, f"scan: {acceptance.evidence}"
    ink = acceptance.ink
    if ink is not None:
        on = f" on page {ink.page}" if ink.page else ""
        signs, dates = ink.named("signature"), ink.named("date")
        signed, dated = ink.inked("signature"), ink.inked("date")
        if signed and (dated or acceptance.dated):
            beside = _quoted(signs + (dates if dated else []))
            read = _DATED.search(acceptance.evidence)
            when = f", {read.group(0)}" if read and not dated else ""
            return OfferStatus.SIGNED, f"scan: handwriting beside {beside}{on}{when}"
        blank = acceptance.signature is None and not acceptance.dated and not ink.anywhere
        if blank and signed is False and dated is False:
            return (
                OfferStatus.NOT_SIGNED,
                f"scan: acceptance block{on} blank (no ink beside {_quoted(dates + signs)})",
            )
    return OfferStatus.TO_CHECK, f"scan: {acceptance.evidence} (OCR may miss handwriting)"


def _quoted(labels: Sequence[str]) -> str:
    return ", ".join(f"'{label}'" for label in dict.fromkeys(labels))


def _source(evidence: str, file: OfferFile) -> str:
    """The evidence with the file named: "… on page 2 of tilbud.pdf …" or "… in tilbud.pdf"."""
    name = file.attachment.filename
    page = re.search(r" on page \d+", evidence)
    if page:
        return f"{evidence[: page.end()]} of {name}{evidence[page.end() :]}"
    return f"{evidence} in {name}"


def offer_files(
    attachments: Iterable[AttachmentText],
    kinds: Iterable[AttachmentKind],
    inline: Iterable[bool],
    sizes: Iterable[int],
) -> tuple[OfferFile, ...]:
    """Zip the mail's parallel attachment facts into `OfferFile`s."""
    return tuple(
        OfferFile(a, k, i, s) for a, k, i, s in zip(attachments, kinds, inline, sizes, strict=False)
    )

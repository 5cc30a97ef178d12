"""Stage: personal data sent by mail — found, counted by place, and masked for every later stage.

SSB's rules say data about persons never comes by e-mail (files go through the secure
file-transfer area, when a caseworker asks). This stage runs right after parsing: it scans
the subject and the body (own, quoted and forwarded text, HTML tables as text) for
national ID numbers, takes the counts the extraction workers made for each attachment
(`AttachmentText.national_ids`, files inside zips and forwarded mails included), and hands
on a mail whose texts and headers show the numbers only masked (`010190*****`). Every
later stage — fields, classifier, evidence, the stored subject, the reply's subject, logs —
therefore sees no number to echo. The raw bytes are untouched: they are what gets deleted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot.verdict import PersonalData, PersonalDataKind
from parsers.attachments import AttachmentText
from parsers.message import ParsedMail
from parsers.national_id import mask_national_ids, scan

SUBJECT = "subject"
BODY = "body"
ATTACHMENT = "attachment:"


def set_apart(
    mail: ParsedMail, attachments: Sequence[AttachmentText] = ()
) -> tuple[ParsedMail, tuple[AttachmentText, ...], tuple[PersonalData, ...]]:
    """The mail and its attachments' texts with every national ID masked, and where IDs
    were found (the contract's `personal_data`: subject, body, then each attachment)."""
    subject = scan(mail.subject)
    text = mail.text
    new, quoted, forwarded, signature = (
        scan(part) for part in (text.new, text.quoted, text.forwarded, text.signature)
    )
    body_found = new.found | quoted.found | forwarded.found | signature.found
    found: dict[str, int] = {}
    if subject.found:
        found[SUBJECT] = subject.count
    if body_found:
        found[BODY] = len(body_found)
    for attachment in attachments:
        for filename, count in attachment.national_ids:
            where = ATTACHMENT + filename  # masked by the extraction worker
            found[where] = found.get(where, 0) + count  # two files of one name: one place
    masked = dataclasses.replace(
        mail,
        subject=subject.masked,
        text=dataclasses.replace(
            text,
            new=new.masked,
            quoted=quoted.masked,
            forwarded=forwarded.masked,
            signature=signature.masked,
        ),
        headers=tuple((key, mask_national_ids(value)) for key, value in mail.headers),
        sender=mail.sender
        and dataclasses.replace(mail.sender, name=mask_national_ids(mail.sender.name)),
        attachments=tuple(
            dataclasses.replace(a, filename=mask_national_ids(a.filename)) for a in mail.attachments
        ),
    )
    return (
        masked,
        tuple(_named_safely(a) for a in attachments),
        tuple(
            PersonalData(PersonalDataKind.NATIONAL_ID_NUMBER, where, count)
            for where, count in found.items()
        ),
    )


def _named_safely(attachment: AttachmentText) -> AttachmentText:
    """A file the worker could not read still has its name masked ("01019012345.pdf")."""
    name = mask_national_ids(attachment.filename)
    return (
        attachment
        if name == attachment.filename
        else dataclasses.replace(attachment, filename=name)
    )


def ids_in_unread_mail(raw: bytes) -> tuple[PersonalData, ...]:
    """For a mail the bot gave up parsing: national IDs its bytes show as they are (plain
    text, not base64), counted as the body's. Imprecise, but the mail is set apart and
    deleted on time rather than kept whole because nobody could read it."""
    found = scan(raw.decode("latin-1"), mask=False)
    return (
        (PersonalData(PersonalDataKind.NATIONAL_ID_NUMBER, BODY, found.count),)
        if found.count
        else ()
    )

"""The values that flow out of triage: what a mail is, what it holds, what is missing.

These mirror `../shared/triage-contract.md` one to one; `Verdict.to_json()` is the
contract's line. Nothing here does I/O or knows how a verdict was reached.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from parsers.fields import Fields
from parsers.national_id import mask_national_ids


class Category(StrEnum):
    NEW_APPLICATION = "new_application"
    CHANGE_REQUEST = "change_request"
    SIGNED_OFFER = "signed_offer"
    DELETION_CONFIRMATION = "deletion_confirmation"
    OTHER = "other"


class AttachmentKind(StrEnum):
    APPLICATION_FORM = "application_form"
    VARIABLE_LIST = "variable_list"
    DPIA = "dpia"
    DPIA_EXEMPTION = "dpia_exemption"
    DOCUMENTATION = "documentation"
    SIGNED_OFFER = "signed_offer"
    SCRIPT = "script"
    IDENTIFYING_VARIABLES_JUSTIFICATION = "identifying_variables_justification"
    PURPOSE_LIMITATION = "purpose_limitation"
    OTHER = "other"


class ReplyAction(StrEnum):
    NONE = "none"
    ACKNOWLEDGE = "acknowledge"
    REQUEST_MISSING = "request_missing"


Language = str
"""`nb`, `nn` or `en` (ISO 639-1 codes of the written language)."""


@dataclass(frozen=True)
class AttachmentVerdict:
    filename: str
    content_type: str
    kind: AttachmentKind
    pages: int | None
    text_chars: int
    error: str | None = None
    scanned: bool = False


@dataclass(frozen=True)
class Reply:
    action: ReplyAction
    language: Language
    subject: str


class NoteReason(StrEnum):
    """Why an item is missing or cannot be judged, beyond "it is not there": the reply says
    what is wrong in words the applicant can act on (`templates/missing_items.toml`)."""

    NOT_SIGNED = "not_signed"
    """The offer came back, but its acceptance block is not dated and signed."""
    NOT_ATTACHED = "not_attached"
    """The mail or the form says the document is attached, and it is not."""
    UNREADABLE = "unreadable"
    """An attachment that could not be opened (encrypted, corrupt): asked for again."""
    POOR_SCAN = "poor_scan"
    """A scan the bot could not read well enough to judge: for the caseworker to check."""


@dataclass(frozen=True)
class ItemNote:
    """One missing or to-check item with the reason and the file it concerns."""

    code: str
    reason: NoteReason
    filename: str | None = None


class PersonalDataKind(StrEnum):
    NATIONAL_ID_NUMBER = "national_id_number"
    """A Norwegian fødselsnummer or D-number (`parsers/national_id.py`)."""


@dataclass(frozen=True)
class PersonalData:
    """Personal data found in one place of the mail: the contract's `personal_data` entry.

    Never the numbers themselves: only how many distinct ones, and where (`subject`,
    `body` or `attachment:<filename>`), so nothing downstream can echo them.
    """

    kind: PersonalDataKind
    where: str
    count: int


@dataclass(frozen=True)
class Evidence:
    """Why the verdict is what it is, in words a caseworker can check."""

    rules: tuple[str, ...] = ()
    """Rule hits, e.g. `keyword:endringssøknad`, `header:auto-submitted`."""
    model: dict[str, float] = field(default_factory=dict)
    """The statistical classifier's score per category."""
    attachment_kinds: tuple[str, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()
    """Provenance: (what, where) for every field and requirement decision, e.g.
    ("organization_number", "form field 'Organisasjonsnummer' in Søknad.pdf, page 1")."""


@dataclass(frozen=True)
class Verdict:
    file: str
    message_id: str | None
    category: Category
    confidence: float
    language: Language
    auto_generated: bool
    fields: Fields
    attachments: tuple[AttachmentVerdict, ...]
    missing: tuple[str, ...]
    reply: Reply
    evidence: Evidence = field(default_factory=Evidence)
    error: str | None = None
    provided: tuple[str, ...] = ()
    """What this mail supplies toward requirements (kinds, `text:…`, `field:…`): a case
    adds these up over all its mails to know what is still missing."""
    conditions: tuple[str, ...] = ()
    """Requirement conditions this mail triggers (e.g. `identifying_variables_requested`)."""
    decides_conditions: bool = False
    """The mail carries a form or variable list, so its conditions replace the case's
    (a corrected form can clear a condition an earlier one raised)."""
    to_check: tuple[str, ...] = ()
    """Requirement codes the bot could not judge (a poor scan, an unreadable file): marked
    for the caseworker, never asked of the applicant."""
    notes: tuple[ItemNote, ...] = ()
    """Why particular items are missing or to check (see `NoteReason`)."""
    ticket_references: tuple[str, ...] = ()
    """The bot's own ticket references (`MB-000123`) the mail quotes: it joins that ticket."""
    personal_data: tuple[PersonalData, ...] = ()
    """National ID numbers found in the mail, by place: the mail is set apart and the
    reply says such data must not come by e-mail (issue #11)."""

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON object (plus `evidence`, and `error` when there is one)."""
        line: dict[str, Any] = {
            "file": self.file,
            "message_id": self.message_id,
            "category": self.category.value,
            "confidence": round(self.confidence, 4),
            "language": self.language,
            "auto_generated": self.auto_generated,
            "fields": asdict(self.fields),
            "attachments": [
                {
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "kind": a.kind.value,
                    "pages": a.pages,
                    "text_chars": a.text_chars,
                    **({"error": a.error} if a.error else {}),
                    **({"scanned": True} if a.scanned else {}),
                }
                for a in self.attachments
            ],
            "missing": list(self.missing),
            "personal_data": [
                {"kind": p.kind.value, "where": p.where, "count": p.count}
                for p in self.personal_data
            ],
            "reply": {
                "action": self.reply.action.value,
                "language": self.reply.language,
                "subject": self.reply.subject,
            },
            "evidence": {
                "rules": list(self.evidence.rules),
                "model": {k: round(v, 4) for k, v in self.evidence.model.items()},
                "attachment_kinds": list(self.evidence.attachment_kinds),
                "sources": [list(pair) for pair in self.evidence.sources],
            },
        }
        line["provided"] = list(self.provided)
        line["conditions"] = list(self.conditions)
        line["decides_conditions"] = self.decides_conditions
        line["to_check"] = list(self.to_check)
        line["ticket_references"] = list(self.ticket_references)
        line["notes"] = [
            {"code": n.code, "reason": n.reason.value, "filename": n.filename} for n in self.notes
        ]
        if self.error is not None:
            line["error"] = self.error
        # Triage masks national IDs as it reads (`bot/personal_data.py`); this is the
        # backstop for any text a later change forgets (an exception's words, say). The
        # Message-ID stays as sent: it threads the reply.
        return {
            key: value if key == "message_id" else _masked(value) for key, value in line.items()
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Verdict:
        """A verdict again from its `to_json()` line (stored with each mail), so nothing
        reads a stored verdict as a string-keyed dict. Keys older lines lack get defaults."""
        field_values = data.get("fields") or {}
        reply = data.get("reply") or {}
        evidence = data.get("evidence") or {}
        return cls(
            file=str(data.get("file") or ""),
            message_id=data.get("message_id"),
            category=Category(data.get("category") or Category.OTHER.value),
            confidence=float(data.get("confidence") or 0.0),
            language=str(data.get("language") or "nb"),
            auto_generated=bool(data.get("auto_generated")),
            fields=Fields(**{f.name: field_values.get(f.name) for f in fields(Fields)}),
            attachments=tuple(
                AttachmentVerdict(
                    filename=str(a.get("filename") or ""),
                    content_type=str(a.get("content_type") or ""),
                    kind=AttachmentKind(a.get("kind") or AttachmentKind.OTHER.value),
                    pages=a.get("pages"),
                    text_chars=int(a.get("text_chars") or 0),
                    error=a.get("error"),
                    scanned=bool(a.get("scanned")),
                )
                for a in data.get("attachments") or ()
            ),
            missing=tuple(data.get("missing") or ()),
            reply=Reply(
                ReplyAction(reply.get("action") or ReplyAction.NONE.value),
                str(reply.get("language") or "nb"),
                str(reply.get("subject") or ""),
            ),
            evidence=Evidence(
                rules=tuple(evidence.get("rules") or ()),
                model={str(k): float(v) for k, v in (evidence.get("model") or {}).items()},
                attachment_kinds=tuple(evidence.get("attachment_kinds") or ()),
                sources=tuple(
                    (str(pair[0]), str(pair[1])) for pair in evidence.get("sources") or ()
                ),
            ),
            error=data.get("error"),
            provided=tuple(data.get("provided") or ()),
            conditions=tuple(data.get("conditions") or ()),
            decides_conditions=bool(data.get("decides_conditions")),
            to_check=tuple(data.get("to_check") or ()),
            ticket_references=tuple(data.get("ticket_references") or ()),
            personal_data=tuple(
                PersonalData(PersonalDataKind(p["kind"]), str(p["where"]), int(p["count"]))
                for p in data.get("personal_data") or ()
            ),
            notes=tuple(
                ItemNote(str(n["code"]), NoteReason(n["reason"]), n.get("filename"))
                for n in data.get("notes") or ()
            ),
        )


def _masked(value: Any) -> Any:
    """`value` with every string in it passed through `mask_national_ids`."""
    if isinstance(value, str):
        return mask_national_ids(value)
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    return value

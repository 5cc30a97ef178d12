"""The values that flow out of triage: what a mail is, what it holds, what is missing.

These mirror `../shared/triage-contract.md` one to one; `Verdict.to_json()` is the
contract's line. Nothing here does I/O or knows how a verdict was reached.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from parsers.fields import Fields


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


@dataclass(frozen=True)
class Evidence:
    """Why the verdict is what it is, in words a caseworker can check."""

    rules: tuple[str, ...] = ()
    """Rule hits, e.g. `keyword:endringssøknad`, `header:auto-submitted`."""
    model: dict[str, float] = field(default_factory=dict)
    """The statistical classifier's score per category."""
    attachment_kinds: tuple[str, ...] = ()


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
            "reply": {
                "action": self.reply.action.value,
                "language": self.reply.language,
                "subject": self.reply.subject,
            },
            "evidence": {
                "rules": list(self.evidence.rules),
                "model": {k: round(v, 4) for k, v in self.evidence.model.items()},
                "attachment_kinds": list(self.evidence.attachment_kinds),
            },
        }
        line["provided"] = list(self.provided)
        line["conditions"] = list(self.conditions)
        if self.error is not None:
            line["error"] = self.error
        return line

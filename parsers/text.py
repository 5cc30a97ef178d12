"""Body text clean-up: HTML to text, and telling new words from quoted history.

No library splits Norwegian replies (mail-parser-reply knows Danish and Swedish
"skrev", not Norwegian Outlook's "Fra:/Sendt:" blocks), so the markers are here,
for bokmål, nynorsk and English mail clients.
"""

from __future__ import annotations

import re

import html2text

from parsers.message import MailText

_REPLY_HEADER = re.compile(
    r"""^\s*(?:
        -{2,}\s*(?:original\s+message|opprinnelig\s+melding|opphavleg\s+melding)\s*-{2,}
      | .{0,250}\b(?:wrote|skrev|skreiv)\b.{0,150}:
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_FORWARD_HEADER = re.compile(
    r"^\s*-{2,}\s*(?:forwarded\s+message|videresendt\s+melding|vidaresendt\s+melding"
    r"|begin\s+forwarded\s+message|original\s+message\s+follows)\s*-{2,}\s*$"
    r"|^\s*(?:begin\s+forwarded\s+message)\s*:\s*$",
    re.IGNORECASE,
)
# Outlook writes the quoted mail's headers as a block: "Fra: … / Sendt: … / Til: … / Emne: …".
_OUTLOOK_FROM = re.compile(r"^\s*\**\s*(?:from|fra|frå)\s*:\**\s*\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\**\s*(?:sent|sendt|date|dato|to|til|subject|emne|cc)\s*:", re.IGNORECASE
)
_SIGNATURE_DELIMITER = re.compile(r"^--\s?$")
_CLOSING = re.compile(
    r"^\s*(?:med\s+vennlig\s+hilsen|vennlig\s+hilsen|mvh\.?|hilsen|beste\s+hilsen"
    r"|med\s+venleg\s+helsing|venleg\s+helsing|helsing|kind\s+regards|best\s+regards"
    r"|regards|best\s+wishes|sincerely|yours\s+sincerely|cheers)\s*,?\s*$",
    re.IGNORECASE,
)
_QUOTE_PREFIX = re.compile(r"^\s*>")
_MAX_SIGNATURE_LINES = 12


def html_to_text(html: str) -> str:
    """HTML to readable text; blockquotes keep their `>` so quoted history is still seen."""
    converter = html2text.HTML2Text()
    converter.ignore_links = True
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.body_width = 0
    converter.unicode_snob = True
    try:
        return str(converter.handle(html))
    except Exception:  # html2text is not hardened against every broken document
        return re.sub(r"<[^>]*>", " ", html)


def _is_outlook_header(lines: list[str], index: int) -> bool:
    if not _OUTLOOK_FROM.match(lines[index]):
        return False
    following = [line for line in lines[index + 1 : index + 6] if line.strip()]
    return sum(1 for line in following[:4] if _OUTLOOK_NEXT.match(line)) >= 2


def split_body(body: str, *, html_only: bool = False) -> MailText:
    """Split a plain-text body into new text, quoted history, forwarded mail and signature."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = len(lines)
    cut_kind = "quoted"
    for index, line in enumerate(lines):
        if _FORWARD_HEADER.match(line):
            cut, cut_kind = index, "forwarded"
            break
        if _REPLY_HEADER.match(line) or _is_outlook_header(lines, index):
            cut = index
            break
        if _QUOTE_PREFIX.match(line):
            # A block of ">" lines ends the new text; inline answers below it are rare.
            cut = index
            break
    head, tail = lines[:cut], lines[cut:]
    new_lines, signature = _split_signature(head)
    tail_text = "\n".join(tail).strip()
    return MailText(
        new="\n".join(new_lines).strip(),
        quoted=tail_text if cut_kind == "quoted" else "",
        forwarded=tail_text if cut_kind == "forwarded" else "",
        signature=signature,
        html_only=html_only,
    )


def _split_signature(lines: list[str]) -> tuple[list[str], str]:
    """The signature is after `-- `, or after a closing like "Med vennlig hilsen" near the end."""
    for index in range(len(lines) - 1, -1, -1):
        if _SIGNATURE_DELIMITER.match(lines[index]):
            return lines[:index], "\n".join(lines[index + 1 :]).strip()
    content = [i for i, line in enumerate(lines) if line.strip()]
    for index in reversed(content[-(_MAX_SIGNATURE_LINES + 1) :]):
        if _CLOSING.match(lines[index]):
            return lines[: index + 1], "\n".join(lines[index + 1 :]).strip()
    return lines, ""


def strip_quote_prefixes(text: str) -> str:
    """Quoted history without its `>` markers, for searching case references in it."""
    return "\n".join(re.sub(r"^(?:\s*>)+ ?", "", line) for line in text.split("\n"))

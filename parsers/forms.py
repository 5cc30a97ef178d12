"""Question → answer pairs read from a form's text lines, shared by every extractor and the body.

This module's single job is the pure reading of lines and glyphs: table rows
("question | answer", as the PDF and DOCX extractors write them), "Label: value" lines, a
question line followed by its answer, and checkbox glyphs (☒ ☐ ☑ ✓ [x] [ ] (X) ( ), "Ja ☒
Nei ☐", an "X" in a table cell). It only says what the form holds; what an answer means is
decided in `bot.form_answers`. Bounded: at most `MAX_FIELDS` fields, lines cut to
`MAX_LINE_CHARS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from parsers.attachments import FormField

MAX_FIELDS = 500
MAX_LINE_CHARS = 2_000
MAX_LABEL_WORDS = 16
"""A "label" longer than this before a colon is a sentence, not a question."""

CHECKED_GLYPHS = ("☒", "☑", "✓", "✔", "✗", "✘", "■", "⊠")
UNCHECKED_GLYPHS = ("☐", "□", "❑", "❏")
# [x] [X] [✓] (x) (X) are ticked; [ ] [] ( ) () are not. Tokens, in either order to their label.
_GLYPHS = "".join(CHECKED_GLYPHS + UNCHECKED_GLYPHS)
_BOX = re.compile(r"\[\s*[xX✓✔]\s*\]|\(\s*[xX✓✔]\s*\)|\[\s*\]|\(\s*\)|[" + _GLYPHS + "]")
TICK_CELLS = frozenset({"x", "✓", "✔", "☒", "☑", "[x]", "(x)", "⊠", "■"})
"""A table cell that holds only one of these is a ticked box."""
_EMPTY_BOX_CELLS = frozenset({"☐", "□", "[ ]", "[]", "( )", "()", "❑", "❏"})
_LABEL_LINE = re.compile(r"^(?P<label>[^:|]{1,160}?)\s*:\s*(?P<value>.*)$")
_NOT_A_LABEL = re.compile(
    r"^(?:https?|mailto|ftp|tel|kl|kl\.|cid)$|^\d{1,2}$|[<>@/\\]$|^(?:re|sv|fw|fwd|vs|aw)$",
    re.IGNORECASE,
)


def is_checked_box(token: str) -> bool:
    """A ticked box glyph or token ("☒", "[x]", "(X)", "✓")."""
    token = token.strip()
    return bool(token) and (token[0] in CHECKED_GLYPHS or bool(re.search(r"[xX✓✔]", token)))


def _is_label(label: str) -> bool:
    """Text before a colon that reads as a field's name, not a URL, time or sentence."""
    label = label.strip()
    if not label or not any(c.isalpha() for c in label) or _NOT_A_LABEL.search(label):
        return False
    return len(label.split()) <= MAX_LABEL_WORDS and not label.endswith((".", ","))


def _is_label_line(match: re.Match[str]) -> bool:
    """A "Label: value" line, not a URL ("https://…") or a time ("kl. 10:30")."""
    label, value = match.group("label"), match.group("value")
    if value.startswith("//") or (label[-1:].isdigit() and value[:1].isdigit()):
        return False
    return _is_label(label)


def _boxes(text: str) -> list[tuple[str, bool]] | None:
    """("box label", ticked) pairs of a line of boxes, or None when it has no box.

    The glyph stands before its label ("☒ Grunnkrets ☐ Postnummer") unless the line ends
    with one ("Ja ☒ Nei ☐"), then after it.
    """
    tokens = list(_BOX.finditer(text))
    if not tokens:
        return None
    pieces = []
    if text[tokens[-1].end() :].strip() or not text[: tokens[0].start()].strip():
        # glyph first: each label runs from its glyph to the next glyph
        if text[: tokens[0].start()].strip():
            return None  # words before the first box and after the last: a sentence
        for index, token in enumerate(tokens):
            end = tokens[index + 1].start() if index + 1 < len(tokens) else len(text)
            pieces.append((_clean(text[token.end() : end]), is_checked_box(token.group())))
    else:
        start = 0
        for token in tokens:
            pieces.append((_clean(text[start : token.start()]), is_checked_box(token.group())))
            start = token.end()
    return pieces


def _clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split()).strip(" :;,|")


def read_row(cells: list[str], page: int | None = None) -> list[FormField]:
    """A row of a table: question cell → answer cell; a lone tick or empty box is a checkbox.

    Extractors that still have the cells call this directly: an empty answer cell then
    stays an empty answer (a "a | b" text line loses trailing empty cells)."""
    cells = [_clean(c) for c in cells]
    marks = [c for c in cells[1:] if c.lower() in TICK_CELLS or c in _EMPTY_BOX_CELLS]
    words = [c for c in cells if c and c.lower() not in TICK_CELLS and c not in _EMPTY_BOX_CELLS]
    if not words:
        return []
    if marks:
        checked = any(m.lower() in TICK_CELLS for m in marks)
        label = " | ".join(words)
        return [FormField(label, "X" if checked else "", checked, "checkbox", page)]
    label, rest = cells[0], cells[1:]
    if not label:
        return []
    value = " | ".join(c for c in rest if c)
    boxes = _boxes(value)
    if boxes is not None:
        return [FormField(label, text, ticked, "checkbox", page) for text, ticked in boxes]
    return [FormField(label.rstrip(":").strip(), value, None, "table", page)]


def read_lines(
    lines: Iterable[str], page: int | None = None, *, answer_lines: bool = True
) -> list[FormField]:
    """The fields in a sequence of text lines (one page, a body, a text file).

    `answer_lines`: a question line ("…?") takes the next line as its answer; off for a
    mail body, where a question is usually the sender's own.
    """
    fields: list[FormField] = []
    question: str | None = None
    """The line above a list of boxes, or a question waiting for its answer line."""
    pending: str | None = None
    for raw in lines:
        if len(fields) >= MAX_FIELDS:
            break
        line = raw[:MAX_LINE_CHARS].strip()
        if not line:
            if pending is not None:
                fields.append(FormField(pending, "", None, "line", page))
            pending = None
            continue
        if " | " in line:
            fields.extend(read_row(line.split(" | "), page))
            pending = question = None
            continue
        match = _LABEL_LINE.match(line)
        if match and not _is_label_line(match):
            match = None
        boxes = _boxes(line)
        if match:
            label = _clean(match.group("label"))
            inner = _boxes(match.group("value"))
            if inner is not None:
                fields.extend(
                    FormField(label, text, ticked, "checkbox", page) for text, ticked in inner
                )
                pending, question = None, label
                continue
        if boxes is not None:
            context = pending or question or ""
            fields.extend(
                FormField(context or text, text, ticked, "checkbox", page)
                for text, ticked in boxes
                if text or context
            )
            question = context or question
            pending = None
            continue
        if pending is not None:
            fields.append(FormField(pending, _clean(line), None, "line", page))
            pending = None
            question = None
            continue
        if match:
            label, value = _clean(match.group("label")), _clean(match.group("value"))
            if value:
                fields.append(FormField(label, value, None, "line", page))
                question = None
            else:
                pending = question = label
            continue
        if answer_lines and line.endswith("?") and len(line.split()) <= 2 * MAX_LABEL_WORDS:
            pending = question = _clean(line)
            continue
        question = _clean(line) if len(line.split()) <= 2 * MAX_LABEL_WORDS else None
    if pending is not None and len(fields) < MAX_FIELDS:
        fields.append(FormField(pending, "", None, "line", page))
    return fields[:MAX_FIELDS]


def read_text(text: str, page: int | None = None, *, answer_lines: bool = True) -> list[FormField]:
    """`read_lines` over a text's lines."""
    return read_lines(text.split("\n"), page, answer_lines=answer_lines)


def merge(*groups: Iterable[FormField]) -> tuple[FormField, ...]:
    """The fields of several readings in order, each (label, value, checked) once."""
    seen: set[tuple[str, str, bool | None]] = set()
    merged: list[FormField] = []
    for group in groups:
        for field in group:
            key = (field.label.casefold(), field.value.casefold(), field.checked)
            if key in seen or len(merged) >= MAX_FIELDS:
                continue
            seen.add(key)
            merged.append(field)
    return tuple(merged)

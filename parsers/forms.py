"""Question → answer pairs read from a form's text lines, shared by every extractor and the body.

This module's single job is the pure reading of lines and glyphs: table rows
("question | answer", as the PDF and DOCX extractors write them), "Label: value" lines, a
question line followed by its answer, and checkbox glyphs (☒ ☐ ☑ ✓ [x] [ ] (X) ( ), "Ja ☒
Nei ☐", an "X" in a table cell). Tables with a column of marks ("Ja | " then
"Nei | X" below the question) are read as the option the mark stands by, and a row of
options over a row of boxes as a grid (`read_table`); a question wrapped over lines keeps
its first lines. It only says what the form holds; what an answer means is decided in
`bot.form_answers`. Bounded: at most `MAX_FIELDS` fields, lines cut to `MAX_LINE_CHARS`.
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


_SENTENCE_END = re.compile(r"[a-zæøå]{3}[.!?]\s+[A-ZÆØÅ]")
"""A full stop inside the text before a colon ("… for bostedsadresse. Postnummer er …"):
prose that happens to hold a colon, not a field's name ("f.eks. grunnkrets" is no end)."""
_ANSWER_FIRST = re.compile(r"^(?:ja|jo|nei|yes|no)\s*,", re.IGNORECASE)
""""Ja, vi søker om postnummer …: …" is an answer written out, not a label."""


def _is_label(label: str) -> bool:
    """Text before a colon that reads as a field's name, not a URL, time or sentence."""
    label = label.strip()
    if not label or not any(c.isalpha() for c in label) or _NOT_A_LABEL.search(label):
        return False
    if _SENTENCE_END.search(label) or _ANSWER_FIRST.match(label):
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


_BULLET = re.compile(r"^(?:[*•\-–]|\d{1,2}[.)])\s+")
"""A list item's mark before a label ("* Namn på prosjektet: …", "3) Formål: …")."""


def _clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split()).strip(" :;,|")


def _clean_label(text: str) -> str:
    return _BULLET.sub("", _clean(text))


_GLUED_QUESTION = re.compile(
    r"(?<=[a-zæøå,)]) (?=(?:Har|Er|Skal|Søkes|Søkjes|Vil|Kan|Blir|Vert|Kva|Hva|Hvilke|Korleis"
    r"|Hvordan|Does|Is|Will|Are|Do|Has|Have|What|Which|How)\s)"
)
"""A question that starts inside a label ("… fødselsdato eller Har virksomheten andre
oppgaver …?"): a PDF table whose wrapped cells were cut into rows glued two labels."""


def _last_question(label: str) -> str:
    """The question the answer beside a label belongs to: the last one glued into it."""
    if not label.endswith("?"):
        return label
    starts = [m.end() for m in _GLUED_QUESTION.finditer(label)]
    return label[starts[-1] :] if starts else label


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
    return [FormField(_last_question(label.rstrip(":").strip()), value, None, "table", page)]


MAX_OPTION_WORDS = 6
"""An option printed beside a mark cell ("Nei, ikke nødvendig (begrunn under)") is short."""
MAX_OPTION_CHARS = 60


_IF_YES = r"(?:hvis|viss|om|dersom|if)\s+(?:ja|yes|nei|no)"
"""The condition a form prints before a follow-up question ("Hvis ja", "If yes")."""
_CONDITION_LEAD = re.compile(rf"^{_IF_YES}$", re.IGNORECASE)


def _conditional_label(label: str, value: str) -> tuple[str, str]:
    """ "Hvis ja: hvilke variabler og begrunnelse: grunnkrets" — the label runs to the second
    colon when the first only states the condition ("Hvis ja")."""
    head, colon, rest = value.partition(":")
    if _CONDITION_LEAD.match(label) and colon and _is_label(head):
        return f"{label}: {_clean(head)}", _clean(rest)
    return label, value


def _is_mark(cell: str) -> bool:
    return cell.lower() in TICK_CELLS or cell in _EMPTY_BOX_CELLS


def _is_option(cell: str) -> bool:
    return (
        bool(cell)
        and not _is_mark(cell)
        and len(cell) <= MAX_OPTION_CHARS
        and len(cell.split()) <= MAX_OPTION_WORDS
        and not cell.endswith("?")
    )


def _option_cells(cells: list[str]) -> tuple[str, str, str | None] | None:
    """(question, option, mark) of a row shaped "question | option | mark".

    The question cell is empty (merged) or absent in the rows below the first; the mark
    cell may be empty (an unticked option), and is None where the row's text lost its
    empty last cell ("Søkes det om …? | Ja")."""
    if len(cells) >= 3 and not any(cells[3:]):
        question, option, mark = cells[0], cells[1], cells[2]
        if mark == "" or _is_mark(mark):
            return (question, option, mark) if _is_option(option) else None
        return None
    if len(cells) == 2 and (cells[1] == "" or _is_mark(cells[1])) and _is_option(cells[0]):
        return "", cells[0], cells[1]
    if len(cells) == 2 and cells[0].endswith("?") and _is_option(cells[1]):
        return cells[0], cells[1], None
    return None


MAX_WRAPPED_LINES = 4
_QUESTION_THEN_INSTRUCTION = re.compile(rf"\?\s+{_IF_YES}\b[^?]{{0,80}}\.?$", re.IGNORECASE)
"""A question that ends its line with the form's instruction ("…dødsdato? Hvis ja, legg
ved begrunnelse."): the answer is still on the next line."""


def _wrapped_above(line: str, plain: list[str]) -> list[str]:
    """The first lines of a question a PDF wrapped ("Søkjer de om særleg identifiserande
    variablar (t.d. grunnkrets," above "eller dødsdato)?"): a question line that starts in
    lower case continues the lines above it, back to the one that starts the sentence."""
    if not line[:1].islower():
        return []
    for back in range(1, min(len(plain), MAX_WRAPPED_LINES) + 1):
        first = plain[-back][:1]
        if first.isupper() or first.isdigit():
            return plain[-back:]
        if not (first.islower() or first == "("):
            return []
    return []


def _option_grid(
    header: list[str], marks: list[str], question: str | None, page: int | None
) -> list[FormField] | None:
    """A row of printed options ("Ja | Nei") over a row of boxes ("Svar | ☐ | ☒"): each
    option ticked as the box below it."""
    boxes = [c for c in marks if _is_mark(c)]
    words = [c for c in marks if c and not _is_mark(c)]
    if len(header) < 2 or len(boxes) != len(header) or len(words) > 1:
        return None
    if not all(_is_option(c) for c in header):
        return None
    own = words[0] if words else ""
    # A row's own question wins; a bare "Svar" row takes the question printed above.
    label = own if len(own.split()) > 2 else (question or own or " | ".join(header))
    return [
        FormField(label, option, box.lower() in TICK_CELLS, "checkbox", page)
        for option, box in zip(header, boxes, strict=True)
    ]


def read_table(
    rows: Iterable[list[str]], page: int | None = None, question_above: str | None = None
) -> list[FormField]:
    """The fields of one table, its rows as cells.

    In a table with a column of marks, options stand in rows of their own under their
    question ("Søkes det om …? | Ja | ", then " | Nei | X"): each becomes a checkbox of
    that question, ticked where the mark is, so the "Ja" printed beside the question is
    not its answer. Other rows are read one by one (`read_row`).
    """
    table = [[_clean(c) for c in cells] for cells in rows]
    has_marks = any(_is_mark(c) for cells in table for c in cells[1:] if c)
    shapes = [_option_cells(cells) if has_marks else None for cells in table]
    fields: list[FormField] = []
    question: str | None = None
    grids: dict[int, list[FormField]] = {}
    """A grid's fields, under the index of its header row: read in document order."""
    grid_rows: set[int] = set()
    for index in range(len(table) - 1):
        if index in grid_rows:
            continue
        header = [c for c in table[index] if c]
        row = index + 1
        # The header's options stand over every row of boxes below it ("Kobling | ☒ | ☐").
        while row < len(table) and (grid := _option_grid(header, table[row], question_above, page)):
            grids.setdefault(index, []).extend(grid)
            grid_rows |= {index, row}
            question_above = None  # the question above belongs to the first row only
            row += 1
    for index, (cells, shape) in enumerate(zip(table, shapes, strict=True)):
        if index in grid_rows:
            fields.extend(grids.get(index, ()))
            continue
        if shape is not None:
            asked, option, mark = shape
            below = shapes[index + 1] if index + 1 < len(shapes) else None
            continued = below is not None and not below[0] and below[2] is not None
            if asked and (bool(mark) or continued):
                question = asked
            elif asked or mark is None:
                question = None
            if question is not None:
                checked = (mark or "").lower() in TICK_CELLS
                fields.append(FormField(question, option, checked, "checkbox", page))
                continue
        question = None
        fields.extend(read_row(cells, page))
    return fields


_ROW_SEPARATOR = re.compile(r"\s*\|\s*")
_IS_ROW = re.compile(r"\s\||\|\s|\|$")
"""A table row in text: " | " between cells (extractors), "a| b|" (an HTML table as text)."""
_RULE_LINE = re.compile(r"^[\s|:\-–—]+$")
"""A table's header rule ("---|---"): part of the table, no row."""


def read_lines(
    lines: Iterable[str], page: int | None = None, *, answer_lines: bool = True
) -> list[FormField]:
    """The fields in a sequence of text lines (one page, a body, a text file).

    `answer_lines`: a question line ("…?") takes the next line as its answer; off for a
    mail body, where a question is usually the sender's own. Consecutive table rows are
    read together (`read_table`).
    """
    fields: list[FormField] = []
    question: str | None = None
    """The line above a list of boxes, or a question waiting for its answer line."""
    pending: str | None = None
    table: list[list[str]] = []
    plain: list[str] = []
    """The lines just above that no field took: a wrapped question's first lines."""
    table_question: str | None = None
    for raw in lines:
        if len(fields) >= MAX_FIELDS:
            break
        line = raw[:MAX_LINE_CHARS].strip()
        above, plain = plain, []
        if table and line and _RULE_LINE.match(line):
            continue
        if "|" in line and _IS_ROW.search(line) and not _RULE_LINE.match(line):
            cells = _ROW_SEPARATOR.split(line)
            if any(cells):
                if not table:
                    table_question = pending or question
                table.append(cells)
                pending = question = None
                continue
        if table:
            fields.extend(read_table(table, page, table_question))
            table = []
        if not line:
            if pending is not None:
                fields.append(FormField(pending, "", None, "line", page))
            pending = None
            continue
        match = _LABEL_LINE.match(line)
        if match and not _is_label_line(match):
            match = None
        boxes = _boxes(line)
        if match:
            label = _clean_label(match.group("label"))
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
            label, value = _clean_label(match.group("label")), _clean(match.group("value"))
            label, value = _conditional_label(label, value)
            if value:
                fields.append(FormField(label, value, None, "line", page))
                question = None
            else:
                pending = question = label
            continue
        if (
            answer_lines
            and (line.endswith("?") or _QUESTION_THEN_INSTRUCTION.search(line))
            and len(line.split()) <= 2 * MAX_LABEL_WORDS
        ):
            pending = question = _clean(" ".join((*_wrapped_above(line, above), line)))
            continue
        question = _clean(line) if len(line.split()) <= 2 * MAX_LABEL_WORDS else None
        plain = [*above[-MAX_WRAPPED_LINES:], line]
    if table:
        fields.extend(read_table(table, page, table_question))
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

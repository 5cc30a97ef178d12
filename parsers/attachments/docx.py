"""DOCX attachments: body paragraphs and tables in reading order, then headers and footers.

This module's single job is turning a Word package into bounded text. After the shared
zip-bomb guard the parts are read straight from the zip and parsed with lxml without DTDs,
entities or network (`safe_xml`); the main document is found through the package
relationships, and its headers and footers through its own. The text comes from a small walk
over the WordprocessingML of each part, which (unlike python-docx's `Paragraph.text`) keeps
content controls (`w:sdt`), tracked insertions and smart tags — exactly where filled-in Word
application forms keep their answers. Table rows become "cell | cell"
lines, nested tables follow their row, merged cells are not repeated, and legacy form
check boxes show as ☒/☐.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from parsers.attachments import AttachmentText, ExtractionLimits, FormField
from parsers.attachments.common import (
    Deadline,
    TextBudget,
    clean_text,
    describe_error,
    join_cells,
    package_relations,
    safe_xml,
)
from parsers.attachments.signature import docx_acceptance
from parsers.attachments.zipguard import zip_damage, zip_problem
from parsers.forms import merge, read_table, read_text

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_P, _TBL, _TR, _TC = f"{_W}p", f"{_W}tbl", f"{_W}tr", f"{_W}tc"
_T, _SDT, _SDT_CONTENT = f"{_W}t", f"{_W}sdt", f"{_W}sdtContent"
_WRAPPERS = {_SDT, _SDT_CONTENT, f"{_W}customXml", f"{_W}ins", f"{_W}moveTo", f"{_W}smartTag"}
_INLINE_TEXT = {f"{_W}tab": "\t", f"{_W}ptab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n"}
_INLINE_TEXT[f"{_W}noBreakHyphen"] = "-"
# Not reading text: properties, deleted runs, field codes, duplicate fallback renderings.
_SKIP = {f"{_W}{name}" for name in ("rPr", "pPr", "tblPr", "tcPr", "sdtPr", "del", "moveFrom")}
_SKIP |= {f"{_W}instrText", f"{_W}delText", _MC_FALLBACK}
_CHECKBOX = f"{_W}checkBox"
MAX_TABLE_DEPTH = 16
_W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
_SDT_PR = f"{_W}sdtPr"
MAX_CONTROLS = 500


class _BudgetSpentError(Exception):
    """Raised inside the walk when the character budget or the deadline runs out."""


class _Writer:
    def __init__(self, budget: TextBudget, deadline: Deadline) -> None:
        self.budget = budget
        self.deadline = deadline
        self.tables: list[list[list[str]]] = []
        """Each table's rows as cells, empty ones kept: the form's questions and answers."""
        self._rows = 0

    def table(self) -> list[list[str]]:
        """A new table's list of rows (nested tables are tables of their own)."""
        rows: list[list[str]] = []
        self.tables.append(rows)
        return rows

    def row(self, rows: list[list[str]], cells: list[str]) -> None:
        if self._rows < MAX_CONTROLS:
            self._rows += 1
            rows.append(cells)

    def line(self, text: str) -> None:
        text = clean_text(text).strip()
        if not text:
            return
        if self.deadline.expired() or not self.budget.add(text):
            self.budget.truncated = True
            raise _BudgetSpentError


class _Collector(_Writer):
    """Gathers lines in a list instead of the budget (headers and footers get de-duplicated)."""

    def __init__(self, deadline: Deadline) -> None:
        super().__init__(TextBudget(0), deadline)
        self.lines: list[str] = []

    def line(self, text: str) -> None:
        text = clean_text(text).strip()
        if text and len(self.lines) < 10_000:
            self.lines.append(text)


def _is_checked(checkbox: Any) -> bool:
    for name in ("checked", "default"):
        mark = checkbox.find(f"{_W}{name}")
        if mark is not None:
            return mark.get(f"{_W}val", "1") not in ("0", "false", "off")
    return False


def _control_box(sdt: Any) -> bool | None:
    """A checkbox content control's state (`w14:checkbox/w14:checked`); None for other kinds."""
    box = sdt.find(f"{_SDT_PR}/{_W14}checkbox")
    if box is None:
        return None
    mark = box.find(f"{_W14}checked")
    return mark is not None and mark.get(f"{_W14}val", "1") in ("1", "true", "on")


def _shows_placeholder(sdt: Any) -> bool:
    return sdt.find(f"{_SDT_PR}/{_W}showingPlcHdr") is not None


def _control_fields(root: Any) -> list[FormField]:
    """Named content controls (`w:sdt` with an alias or tag) as fields: plain text and
    checkboxes. Unnamed ones are read with the line or table row they stand in."""
    fields: list[FormField] = []
    for sdt in root.iter(_SDT):
        if len(fields) >= MAX_CONTROLS:
            break
        properties = sdt.find(_SDT_PR)
        if properties is None:
            continue
        names = (properties.find(f"{_W}alias"), properties.find(f"{_W}tag"))
        label = next((n.get(f"{_W}val", "").strip() for n in names if n is not None), "")
        if not label:
            continue
        box = _control_box(sdt)
        if box is not None:
            fields.append(FormField(label, label, box, "content_control"))
            continue
        parts: list[str] = []
        content = sdt.find(_SDT_CONTENT)
        if content is not None and not _shows_placeholder(sdt):
            _inline(content, parts)
        value = " ".join(clean_text("".join(parts)).split())
        rest = value[len(label) :]
        if value.casefold().startswith(label.casefold()) and (not rest or rest[0] in " :–-"):
            # A control around the whole line repeats its own name: "Name: answer" → "answer"
            # (but "Navnesen Kari" under the name "Navn" stays whole).
            value = rest.lstrip(" :–-")
        fields.append(FormField(label, value, None, "content_control"))
    return fields


def _inline(element: Any, parts: list[str]) -> None:
    """Text of a paragraph's runs, hyperlinks, content controls, fields and text boxes."""
    for child in element:
        tag = child.tag
        if tag == _T:
            parts.append(child.text or "")
        elif tag in _INLINE_TEXT:
            parts.append(_INLINE_TEXT[tag])
        elif tag == _CHECKBOX:
            parts.append("☒ " if _is_checked(child) else "☐ ")
        elif tag == _SDT and _control_box(child) is not None:
            parts.append("☒ " if _control_box(child) else "☐ ")  # w14 content-control box
        elif tag == _SDT and _shows_placeholder(child):
            continue  # "Klikk eller trykk her for å skrive inn tekst." is no answer
        elif tag in _SKIP or not isinstance(tag, str):
            continue
        else:
            if tag == _P and parts:  # a paragraph inside a text box: keep it apart
                parts.append("\n")
            _inline(child, parts)


def _paragraph(p: Any) -> str:
    parts: list[str] = []
    _inline(p, parts)
    return "".join(parts)


def _children(element: Any, wanted: str) -> Iterator[Any]:
    """Children tagged `wanted`, looking through content-control and revision wrappers."""
    for child in element:
        if child.tag == wanted:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _children(child, wanted)


def _cell_content(cell: Any, texts: list[str], tables: list[Any]) -> None:
    for child in cell:
        if child.tag == _P:
            texts.append(" ".join(_paragraph(child).split()))
        elif child.tag == _TBL:
            tables.append(child)
        elif child.tag in _WRAPPERS:
            _cell_content(child, texts, tables)


def _is_merged_continuation(cell: Any) -> bool:
    merge = cell.find(f"{_W}tcPr/{_W}vMerge")
    return merge is not None and merge.get(f"{_W}val", "continue") == "continue"


def _table(table: Any, out: _Writer, depth: int) -> None:
    if depth > MAX_TABLE_DEPTH:
        return
    rows = out.table()
    for row in _children(table, _TR):
        cells: list[str] = []
        nested: list[Any] = []
        for cell in _children(row, _TC):
            if _is_merged_continuation(cell):
                cells.append("")
                continue
            texts: list[str] = []
            _cell_content(cell, texts, nested)
            cells.append(" ".join(text for text in texts if text))
        out.row(rows, cells)
        out.line(join_cells(cells))
        for inner in nested:
            _table(inner, out, depth + 1)


def _blocks(container: Any, out: _Writer) -> None:
    for child in container:
        if child.tag == _P:
            for line in _paragraph(child).split("\n"):
                out.line(" ".join(line.split()))  # tabs and runs of spaces: one space
        elif child.tag == _TBL:
            _table(child, out, 1)
        elif child.tag in _WRAPPERS:
            _blocks(child, out)


_OFFICE_DOCUMENT = "/officeDocument"
_HEADER, _FOOTER = "/header", "/footer"
_DEFAULT_MAIN = "word/document.xml"


def _main_part(archive: zipfile.ZipFile) -> str:
    """The main document's member name, as the package relationships give it."""
    for _id, reltype, target in package_relations(archive, ""):
        if reltype.endswith(_OFFICE_DOCUMENT):
            return target
    return _DEFAULT_MAIN


def _header_footer_parts(archive: zipfile.ZipFile, main: str) -> list[str]:
    """Header parts, then footer parts, each once and in name order."""
    found = {
        (reltype.endswith(_FOOTER), target)
        for _id, reltype, target in package_relations(archive, main)
        if reltype.endswith((_HEADER, _FOOTER))
    }
    return [target for _is_footer, target in sorted(found)]


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    """A part's bytes; KeyError names the part (zipfile's own message is a sentence)."""
    try:
        return archive.read(name)
    except KeyError:
        raise KeyError(name) from None


def _open_error(exc: Exception) -> str:
    damage = zip_damage(exc, "DOCX")
    if damage:
        return damage
    if isinstance(exc, KeyError):
        missing = exc.args[0] if exc.args else exc
        return f"not a valid DOCX (missing part: {missing})"
    if type(exc).__name__ == "XMLSyntaxError":  # lxml has no stubs here; match by name
        return f"damaged DOCX: broken XML ({exc})"
    return f"not a valid DOCX ({describe_error(exc)})"


def extract_docx(
    filename: str,
    content_type: str,
    payload: bytes,
    limits: ExtractionLimits,
    deadline: Deadline,
) -> AttachmentText:
    """Body text (paragraphs, tables, content controls), then headers and footers."""
    problem = zip_problem(payload, limits, "DOCX")
    if problem:
        return AttachmentText(filename, content_type, "docx", "", error=problem)
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
        main = _main_part(archive)
        root = safe_xml(_member(archive, main))
    except Exception as exc:  # zipfile/lxml raise KeyError, zlib.error, XMLSyntaxError…
        return AttachmentText(filename, content_type, "docx", "", error=_open_error(exc))
    budget = TextBudget(limits.max_chars)
    out = _Writer(budget, deadline)
    error: str | None = None
    acceptance = None
    controls: list[FormField] = []
    try:
        body = root.find(f"{_W}body")
        _blocks(body if body is not None else root, out)
        acceptance = docx_acceptance(body if body is not None else root)
        controls = _control_fields(body if body is not None else root)
        # Sections repeat the same header and footer text: print each line once.
        seen: set[str] = set()
        for part in _header_footer_parts(archive, main):
            collector = _Collector(deadline)
            _blocks(safe_xml(_member(archive, part)), collector)
            for line in collector.lines:
                if line not in seen:
                    seen.add(line)
                    out.line(line)
    except _BudgetSpentError:
        pass
    except Exception as exc:  # keep the text read so far, say why the rest is missing
        error = zip_damage(exc, "DOCX") or f"damaged DOCX: {describe_error(exc)}"
    finally:
        archive.close()
    return AttachmentText(
        filename=filename,
        content_type=content_type,
        format="docx",
        text=budget.text(),
        truncated=budget.truncated,
        error=error,
        acceptance=acceptance,
        form_fields=merge(  # parsers/forms.py
            controls, (f for rows in out.tables for f in read_table(rows)), read_text(budget.text())
        ),
    )

"""XLSX attachments: one "cell | cell" line per non-empty row, and the rows an applicant ticked.

This module's single job is reading a workbook's worksheets, in workbook order, within
`max_cells`, `max_chars` and `max_seconds`, after the shared zip-bomb guard. The parts are
read straight from the zip: shared strings and styles parsed whole, each sheet streamed row by
row (lxml `iterparse`), all without DTDs, entities or network. Values read as openpyxl reads
them with `data_only`: shared and inline strings, cached formula results, numbers (dates by
their number format), booleans and error codes. SSB's variable lists have a tick column
("Bestilles", "Ønskes", "Kryss", …) where the applicant marks wanted variables with
X/Ja/1/✓; those rows are returned in `selected_rows`. A sharedStrings part that the package
promises but lacks reads as empty.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from parsers.attachments import AttachmentText, ExtractionLimits
from parsers.attachments.common import (
    Deadline,
    TextBudget,
    clean_text,
    describe_error,
    join_cells,
    package_relations,
    safe_xml,
)
from parsers.attachments.zipguard import zip_damage, zip_problem

HEADER_ROWS = 10
"""The tick column's header must be within the first rows of a sheet."""
_TICK_HEADER_WORDS = (
    "bestilles bestill bestilling ønskes ønsket ønsker valgt velg kryss x selected select order"
    " requested"
)
TICK_HEADERS = frozenset(_TICK_HEADER_WORDS.split(" "))
TICK_MARKS = frozenset({"x", "xx", "ja", "j", "yes", "y", "1", "true", "✓", "✔", "☑", "☒"})
NO_MARKS = frozenset({"nei", "n", "no", "0", "false", "-", "–", "☐", "ikke"})
_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_ROW, _CELL, _VALUE, _INLINE = f"{_S}row", f"{_S}c", f"{_S}v", f"{_S}is"
_T, _RUN = f"{_S}t", f"{_S}r"
_CONTENT_TYPES = "[Content_Types].xml"
_COLUMN = re.compile(r"([A-Za-z]{1,3})")
_WINDOWS_EPOCH = datetime(1899, 12, 30)
_MAC_EPOCH = datetime(1904, 1, 1)
_DATE_BUILTINS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47})
_TIMEDELTA_BUILTINS = frozenset({46})
# openpyxl's test for a date format: ignore quoted text and [locale]/[colour] brackets.
_FORMAT_NOISE = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_CODE = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_TIMEDELTA_CODE = re.compile(
    r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.IGNORECASE
)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return " ".join(clean_text(str(value)).split())


def _header_rank(cell: str) -> int:
    """3: a tick-column name; 2: starts with one ("Bestilles (X)"); 1: a bare "x" header."""
    text = cell.strip().strip(":?*.").strip().lower()
    if text in TICK_HEADERS:
        return 1 if text == "x" else 3
    words = re.findall(r"\w+", text)
    return 2 if words and words[0] != "x" and words[0] in TICK_HEADERS else 0


def _looks_like_header_row(cells: list[str]) -> bool:
    """A bare "x" is only a header beside at least two other words ("Variabel", "Navn")."""
    words = [cell for cell in cells if re.search(r"[^\W\d_]{2}", cell)]
    return len([word for word in words if word.strip().lower() not in TICK_MARKS]) >= 2


class _TickColumn:
    """Finds the tick column among a sheet's first rows, then collects the ticked rows.

    A column only counts as a tick column if its values below the header look like ticks:
    marks, blanks or "no" answers. That keeps a data column that happens to be called "x"
    (coordinates, a merged-cell demo) from turning every "1" into an order.
    """

    def __init__(self) -> None:
        self.column: int | None = None
        self._rank = 0
        self._selected: list[str] = []
        self._foreign = 0
        self._buffer: list[tuple[list[str], str]] = []
        self._decided = False

    def feed(self, cells: list[str], line: str) -> None:
        if self._decided:
            self._check(cells, line)
            return
        self._buffer.append((cells, line))
        if len(self._buffer) >= HEADER_ROWS:
            self._decide()

    def _decide(self) -> None:
        self._decided = True
        best = (0, 0, 0)  # rank, row, column
        for row, (cells, _line) in enumerate(self._buffer):
            if sum(1 for cell in cells if cell.strip()) < 2:
                continue  # a title or an instruction above the table ("Kryss av for …")
            for column, cell in enumerate(cells):
                rank = _header_rank(cell)
                if rank == 1 and not _looks_like_header_row(cells):
                    rank = 0
                if rank > best[0]:
                    best = (rank, row, column)
        self._rank, self.column = best[0], (best[2] if best[0] else None)
        if self.column is not None:
            for cells, line in self._buffer[best[1] + 1 :]:
                self._check(cells, line)
        self._buffer = []

    def _check(self, cells: list[str], line: str) -> None:
        column = self.column
        if column is None or column >= len(cells) or not cells[column].strip():
            return
        value = cells[column].strip().lower()
        if value in TICK_MARKS:
            self._selected.append(line)
        elif value not in NO_MARKS:
            self._foreign += 1

    def selected(self) -> list[str]:
        """The ticked rows, or none when the column turned out not to hold ticks."""
        if not self._decided:
            self._decide()
        tolerated = 0 if self._rank == 1 else len(self._selected)  # a bare "x" must be clean
        return self._selected if self._foreign <= tolerated else []


class _Workbook:
    """The parts of a workbook the text needs: sheet names and members, strings, date styles."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        if _CONTENT_TYPES not in archive.NameToInfo:
            raise KeyError(_CONTENT_TYPES)
        main = next(
            (
                t
                for _, kind, t in package_relations(archive, "")
                if kind.endswith("/officeDocument")
            ),
            "xl/workbook.xml",
        )
        root = safe_xml(_member(archive, main))
        relations: dict[str, list[str]] = {}
        by_id: dict[str, tuple[str, str]] = {}
        for rel_id, kind, target in package_relations(archive, main):
            relations.setdefault(kind.rsplit("/", 1)[-1], []).append(target)
            by_id[rel_id] = (kind, target)
        self.epoch = _WINDOWS_EPOCH
        properties = root.find(f"{_S}workbookPr")
        if properties is not None and properties.get("date1904") in ("1", "true"):
            self.epoch = _MAC_EPOCH
        self.sheets: list[tuple[str, str]] = []
        for sheet in root.iter(f"{_S}sheet"):
            kind, target = by_id.get(sheet.get(_R_ID) or "", ("", ""))
            if kind.endswith("/worksheet") and target in archive.NameToInfo:
                self.sheets.append((sheet.get("name") or "", target))
        strings = relations.get("sharedStrings", ["xl/sharedStrings.xml"])[0]
        self.strings = _shared_strings(archive, strings)
        styles = relations.get("styles", ["xl/styles.xml"])[0]
        self.date_styles, self.timedelta_styles = _date_styles(archive, styles)


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        raise KeyError(name) from None


def _rich_text(element: Any) -> str:
    """A string item's text: plain `t` and the runs' `t`, not phonetic guides."""
    parts = []
    for child in element:
        if child.tag == _T:
            parts.append(child.text or "")
        elif child.tag == _RUN:
            parts.append(child.findtext(_T) or "")
    return "".join(parts)


def _shared_strings(archive: zipfile.ZipFile, name: str) -> list[str]:
    try:
        root = safe_xml(archive.read(name))
    except KeyError:  # promised by the package but missing: openpyxl alone raises here
        return []
    return [_rich_text(item).replace("x005F_", "") for item in root.iter(f"{_S}si")]


def _date_styles(archive: zipfile.ZipFile, name: str) -> tuple[frozenset[int], frozenset[int]]:
    """Indices of the cell styles whose number format shows a date/time, and a duration."""
    try:
        root = safe_xml(archive.read(name))
    except KeyError:
        return frozenset(), frozenset()
    custom = {
        _int(fmt.get("numFmtId")): fmt.get("formatCode") or ""
        for fmt in root.iterfind(f"{_S}numFmts/{_S}numFmt")
    }
    dates, durations = set(), set()
    for index, xf in enumerate(root.iterfind(f"{_S}cellXfs/{_S}xf")):
        number = _int(xf.get("numFmtId"))
        if number in custom:
            code = custom[number].split(";")[0]
            if _DATE_CODE.search(_FORMAT_NOISE.sub("", code)):
                dates.add(index)
            if _TIMEDELTA_CODE.search(code):
                durations.add(index)
        else:
            if number in _DATE_BUILTINS:
                dates.add(index)
            if number in _TIMEDELTA_BUILTINS:
                durations.add(index)
    return frozenset(dates), frozenset(durations)


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return -1


def _column(reference: str) -> int:
    match = _COLUMN.match(reference)
    if not match:
        return 0
    number = 0
    for letter in match.group(1).upper():
        number = number * 26 + ord(letter) - 64
    return number


def _from_excel(value: float, epoch: datetime, duration: bool) -> Any:
    """openpyxl's `from_excel`: an Excel serial number as a datetime, time or timedelta."""
    if duration:
        span = timedelta(days=value)
        if span.microseconds:
            span = timedelta(
                seconds=span.total_seconds() // 1, microseconds=round(span.microseconds, -3)
            )
        return span
    day, fraction = divmod(value, 1)
    diff = timedelta(milliseconds=round(fraction * 86_400_000))
    if 0 <= value < 1 and diff.days == 0:
        minutes, seconds = divmod(diff.seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return time(hours, minutes, seconds, diff.microseconds)
    if 0 < value < 60 and epoch == _WINDOWS_EPOCH:
        day += 1
    return epoch + timedelta(days=day) + diff


def _value(cell: Any, book: _Workbook) -> Any:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(_INLINE)
        return None if inline is None else _rich_text(inline)
    value = cell.findtext(_VALUE) or None
    if value is None:
        return None
    if kind == "n":
        number: float | int = (
            float(value) if "." in value or "E" in value or "e" in value else int(value)
        )
        style = _int(cell.get("s"))
        if style in book.date_styles:
            try:
                return _from_excel(number, book.epoch, style in book.timedelta_styles)
            except (OverflowError, ValueError):
                return "#VALUE!"
        return number
    if kind == "s":
        return book.strings[int(value)]
    if kind == "b":
        return bool(int(value))
    if kind == "d":
        return datetime.fromisoformat(value.rstrip("Z"))
    return value  # "str" (a formula's text), "e" (an error code)


def _rows(archive: zipfile.ZipFile, member: str, book: _Workbook) -> Iterator[list[str]]:
    """Each row's cell texts, column A first; rows the sheet skips come as empty lists."""
    counter = 0
    with archive.open(member) as stream:
        parsed = etree.iterparse(
            stream,
            events=("end",),
            tag=_ROW,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
        )
        for _event, row in parsed:
            number = _int(row.get("r")) if row.get("r") else counter + 1
            if number <= counter:  # out of order: openpyxl skips such a row too
                row.clear()
                continue
            while counter + 1 < number:
                counter += 1
                yield []
            counter = number
            cells: dict[int, Any] = {}
            column = 0
            for cell in row.iterchildren(_CELL):
                reference = cell.get("r")
                column = _column(reference) if reference else column + 1
                cells[column] = _value(cell, book)
            row.clear()
            while row.getprevious() is not None:
                del row.getparent()[0]
            width = column
            yield [_cell_text(cells.get(index)) for index in range(1, width + 1)]


def _open_error(exc: Exception) -> str:
    damage = zip_damage(exc, "XLSX")
    if damage:
        return damage
    if isinstance(exc, KeyError):
        missing = exc.args[0] if exc.args else exc
        return f"not a valid XLSX (missing part: {missing})"
    if type(exc).__name__ == "XMLSyntaxError":  # lxml has no stubs here; match by name
        return f"damaged XLSX: broken XML ({exc})"
    return f"damaged XLSX: {describe_error(exc)}"


def extract_xlsx(
    filename: str,
    content_type: str,
    payload: bytes,
    limits: ExtractionLimits,
    deadline: Deadline,
) -> AttachmentText:
    """Rows of every worksheet in order, each sheet headed by "# <sheet name>"."""
    problem = zip_problem(payload, limits, "XLSX")
    if problem:
        return AttachmentText(filename, content_type, "xlsx", "", error=problem)
    archive = zipfile.ZipFile(io.BytesIO(payload))
    try:
        book = _Workbook(archive)
    except Exception as exc:  # zipfile/lxml raise KeyError, zlib.error, XMLSyntaxError…
        archive.close()
        return AttachmentText(filename, content_type, "xlsx", "", error=_open_error(exc))
    budget = TextBudget(limits.max_chars)
    selected: list[str] = []
    truncated = False
    error: str | None = None
    cells_read = 0
    try:
        for title, member in book.sheets:
            if not budget.add(f"# {title}"):
                break
            ticks = _TickColumn()
            for cells in _rows(archive, member, book):
                cells_read += max(1, len(cells))
                if cells_read > limits.max_cells or deadline.expired():
                    truncated = True
                    break
                line = join_cells(cells)
                ticks.feed(cells, line)
                if line and not budget.add(line):
                    break
            selected.extend(ticks.selected())
            if truncated or budget.truncated:
                break
    except Exception as exc:  # keep what was read; say why the rest is missing
        error = zip_damage(exc, "XLSX") or f"damaged XLSX: {describe_error(exc)}"
    finally:
        archive.close()
    return AttachmentText(
        filename=filename,
        content_type=content_type,
        format="xlsx",
        text=budget.text(),
        truncated=truncated or budget.truncated,
        selected_rows=tuple(selected),
        error=error,
    )

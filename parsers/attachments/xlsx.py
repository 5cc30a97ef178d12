"""XLSX attachments: one "cell | cell" line per non-empty row, and the rows an applicant ticked.

This module's single job is reading a workbook with openpyxl in streaming (read-only) mode
within `max_cells`, `max_chars` and `max_seconds`, after the shared zip-bomb guard. SSB's
variable lists have a tick column ("Bestilles", "Ønskes", "Kryss", …) where the applicant
marks wanted variables with X/Ja/1/✓; those rows are returned in `selected_rows`. Workbooks
whose [Content_Types].xml promises a sharedStrings part the zip lacks (openpyxl raises
KeyError) are repaired by appending an empty one, which costs no recompression.
"""

from __future__ import annotations

import io
import re
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from parsers.attachments import AttachmentText, ExtractionLimits
from parsers.attachments.common import (
    Deadline,
    TextBudget,
    clean_text,
    describe_error,
    join_cells,
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
_MISSING_MEMBER = re.compile(r"There is no item named '([^']+)' in the archive")
_EMPTY_SST = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    b' count="0" uniqueCount="0"/>'
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


class _UnsizedWorksheet(ReadOnlyWorksheet):
    """A read-only sheet that skips openpyxl's size probe at load time.

    openpyxl 3.1.5 looks for `<dimension>` with end events only, so for a sheet without
    one (openpyxl's own write-only mode writes none) it parses the whole sheet inside
    `load_workbook`, before any of our limits can act: about 1 s per 300,000 cells. We call
    `reset_dimensions()` anyway, so the probe's answer is never used.
    """

    def _get_size(self) -> None:
        return None


_SWAP_LOCK = threading.Lock()


@contextmanager
def _without_size_probe() -> Iterator[None]:
    import openpyxl.reader.excel as excel_reader

    with _SWAP_LOCK:
        original = getattr(excel_reader, "ReadOnlyWorksheet", None)
        if original is not ReadOnlyWorksheet:  # a different openpyxl layout: leave it alone
            yield
            return
        setattr(excel_reader, "ReadOnlyWorksheet", _UnsizedWorksheet)  # noqa: B010
        try:
            yield
        finally:
            setattr(excel_reader, "ReadOnlyWorksheet", original)  # noqa: B010


def _open_workbook(stream: io.BytesIO) -> Any:
    with _without_size_probe():
        return openpyxl.load_workbook(stream, read_only=True, data_only=True, keep_links=False)


def _load(payload: bytes) -> Any:
    """openpyxl's streaming reader, with the missing-sharedStrings repair retried once."""
    try:
        return _open_workbook(io.BytesIO(payload))
    except KeyError as exc:
        match = _MISSING_MEMBER.search(str(exc))
        if not match or not match.group(1).lower().endswith("sharedstrings.xml"):
            raise
        repaired = io.BytesIO(payload)
        with zipfile.ZipFile(repaired, "a") as archive:
            archive.writestr(match.group(1), _EMPTY_SST)
        repaired.seek(0)
        return _open_workbook(repaired)


def _open_error(exc: Exception) -> str:
    damage = zip_damage(exc, "XLSX")
    if damage:
        return damage
    if isinstance(exc, KeyError):
        match = _MISSING_MEMBER.search(str(exc))
        missing = match.group(1) if match else str(exc)
        return f"not a valid XLSX (missing part: {missing})"
    if isinstance(exc, InvalidFileException):
        return f"not a valid XLSX ({exc})"
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
    try:
        workbook = _load(payload)
    except Exception as exc:  # openpyxl raises KeyError, ValueError, XML errors…
        return AttachmentText(filename, content_type, "xlsx", "", error=_open_error(exc))
    budget = TextBudget(limits.max_chars)
    selected: list[str] = []
    truncated = False
    error: str | None = None
    cells_read = 0
    try:
        for sheet in workbook.worksheets:
            if not budget.add(f"# {sheet.title}"):
                break
            ticks = _TickColumn()
            sheet.reset_dimensions()  # trust the rows, not a declared A1:XFD1048576
            for row in sheet.iter_rows(values_only=True):
                cells_read += max(1, len(row))
                if cells_read > limits.max_cells or deadline.expired():
                    truncated = True
                    break
                cells = [_cell_text(value) for value in row]
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
        workbook.close()
    return AttachmentText(
        filename=filename,
        content_type=content_type,
        format="xlsx",
        text=budget.text(),
        truncated=truncated or budget.truncated,
        selected_rows=tuple(selected),
        error=error,
    )

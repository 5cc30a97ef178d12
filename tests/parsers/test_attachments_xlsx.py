"""XLSX extraction: row lines, ticked variable rows, limits, bombs and broken workbooks."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from parsers.attachments import AttachmentText, ExtractionLimits, extract_attachment

LIMITS = ExtractionLimits()
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read(payload: bytes, limits: ExtractionLimits = LIMITS, name: str = "v.xlsx") -> AttachmentText:
    return extract_attachment(name, XLSX_TYPE, payload, limits)


def workbook_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


VARIABLE_LIST: list[list[object]] = [
    ["Variabelliste – søknad om mikrodata"],
    [],
    ["Variabelnavn", "Beskrivelse", "Bestilles"],
    ["BEFOLKNING_KJOENN", "Kjønn", "X"],
    ["BEFOLKNING_FOEDSELS_AAR_MND", "Fødselsår og måned", None],
    ["INNTEKT_WLONN", "Lønnsinntekt", "x"],
    ["INNTEKT_BRUTTOFORM", "Bruttoformue", "nei"],
    ["NUDB_BU", "Utdanningsnivå", "Ja"],
    ["ARBLONN_ARB_ARBTID", "Arbeidstid", 1],
    ["SIVSTANDFDT_SIVSTAND", "Sivilstand", "✓"],
    ["BOSATT_KOMMUNE", "Bostedskommune", "yes"],
    ["REGSYS_ARB_NACE", "Næring", ""],
]


def test_rows_become_pipe_lines_under_sheet_headings() -> None:
    result = read(workbook_bytes({"Første": [["a", 1, 2.5], [None, "b"]], "Andre": [["c"]]}))
    assert result.format == "xlsx" and result.error is None
    assert result.text.splitlines() == ["# Første", "a | 1 | 2.5", "b", "# Andre", "c"]


def test_ticked_rows_of_variable_list_are_selected() -> None:
    result = read(workbook_bytes({"Variabler": VARIABLE_LIST}))
    assert result.selected_rows == (
        "BEFOLKNING_KJOENN | Kjønn | X",
        "INNTEKT_WLONN | Lønnsinntekt | x",
        "NUDB_BU | Utdanningsnivå | Ja",
        "ARBLONN_ARB_ARBTID | Arbeidstid | 1",
        "SIVSTANDFDT_SIVSTAND | Sivilstand | ✓",
        "BOSATT_KOMMUNE | Bostedskommune | yes",
    )


@pytest.mark.parametrize("header", ["Ønskes", "KRYSS AV", "Bestilles (sett X)", "Selected", "X"])
def test_tick_column_is_found_by_any_of_its_names(header: str) -> None:
    rows: list[list[object]] = [
        ["Variabel", "Beskrivelse", header],
        ["a", "A-tekst", "X"],
        ["b", "B", None],
    ]
    assert read(workbook_bytes({"Ark1": rows})).selected_rows == ("a | A-tekst | X",)


def test_data_column_named_x_is_not_mistaken_for_ticks() -> None:
    rows: list[list[object]] = [["x", "y"]]
    rows.extend([n, n * n] for n in range(10))
    assert read(workbook_bytes({"Data": rows})).selected_rows == ()


def test_sheet_without_tick_column_selects_nothing() -> None:
    rows: list[list[object]] = [["Navn", "Verdi"], ["a", "X"], ["b", "1"]]
    assert read(workbook_bytes({"Ark1": rows})).selected_rows == ()


@pytest.fixture(scope="module")
def hundred_thousand_rows() -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Rader")
    sheet.append(["id", "variabel", "bestilles"])
    for number in range(100_000):
        sheet.append([number, f"VAR_{number}", "X" if number % 10 == 0 else None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_hundred_thousand_rows_truncate_at_max_cells(hundred_thousand_rows: bytes) -> None:
    """The sheet is streamed and cut at `max_cells` (its speed is in BENCHMARKS.md)."""
    limits = ExtractionLimits(max_cells=30_000, max_chars=10_000_000)
    result = read(hundred_thousand_rows, limits)
    assert result.truncated and result.error is None
    lines = result.text.splitlines()
    # Rows are 2-3 cells wide (openpyxl drops a trailing empty cell), so ~14,000 rows fit.
    assert "10000 | VAR_10000 | X" in lines and "20000 | VAR_20000 | X" not in lines
    assert result.selected_rows == tuple(line for line in lines[2:] if line.endswith(" | X"))


def test_hundred_thousand_rows_with_default_limits_stay_bounded(
    hundred_thousand_rows: bytes,
) -> None:
    result = read(hundred_thousand_rows)
    assert result.truncated
    assert len(result.text) <= LIMITS.max_chars


def test_zero_time_limit_truncates_xlsx_instead_of_hanging(hundred_thousand_rows: bytes) -> None:
    result = read(hundred_thousand_rows, ExtractionLimits(max_seconds=0.0))
    assert result.truncated
    assert result.text.count("\n") < 1_000, "the spent budget did not stop the rows"


def test_zip_bomb_xlsx_is_refused_without_inflating_it(
    make_zip: Callable[[dict[str, bytes | int]], bytes],
) -> None:
    bomb = make_zip(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": 64 << 20,
        }
    )
    tracemalloc.start()
    result = read(bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16 << 20, f"{peak >> 20} MB allocated: the bomb was inflated"
    assert result.format == "xlsx"
    assert result.error is not None and "zip bomb" in result.error


def test_inline_string_workbook_without_shared_strings_is_read(corpora: Path) -> None:
    payload = (corpora / "xlsx/xlsx2csv/formatted_inline_string.xlsx").read_bytes()
    result = read(payload)  # openpyxl 3.1.5 alone raises KeyError on this file
    assert result.error is None
    assert "Regular Bold" in result.text


def test_zero_byte_xlsx_gives_error(corpora: Path) -> None:
    result = read((corpora / "xlsx/openpyxl/reader/null_file.xlsx").read_bytes(), name="n.xlsx")
    assert result.format == "xlsx"
    assert result.error == "empty file (0 bytes)"


def test_zip_without_content_types_gives_error(corpora: Path) -> None:
    result = read((corpora / "xlsx/openpyxl/reader/null_archive.xlsx").read_bytes())
    assert result.format == "xlsx"
    assert result.error == "not a valid XLSX (missing part: [Content_Types].xml)"


def test_xlsx_that_is_not_a_zip_gives_error() -> None:
    result = read(b"\x00\x01\x02 not a workbook")
    assert result.error == "not a valid XLSX (not a zip file)"


def test_workbook_with_1024_sheets_lists_every_sheet(corpora: Path) -> None:
    result = read((corpora / "xlsx/openpyxl/reader/bigfoot.xlsx").read_bytes())
    assert result.error is None
    assert sum(line.startswith("# ") for line in result.text.splitlines()) == 1024


def test_an_instruction_above_the_table_is_not_taken_for_the_tick_column() -> None:
    """blind6: "Kryss av for variablene som ønskes" stood alone above the header row, and its
    first word made the variable names' column the tick column: nothing was ticked."""
    rows: list[list[object]] = [
        ["Variabelliste – Befolkning"],
        ["Kryss av for variablene som ønskes"],
        ["Variabelnavn", "Kortnavn", "Beskrivelse", "Bestilles (X)"],
        ["Kjønn", "kjoenn", "Personens kjønn", "X"],
        ["Grunnkrets", "grunnkrets", "Grunnkrets per 1.1.", None],
        ["Postnummer", "postnr", "Postnummer for bostedsadresse", "X"],
    ]
    result = read(workbook_bytes({"Befolkning": rows}))
    assert result.selected_rows == (
        "Kjønn | kjoenn | Personens kjønn | X",
        "Postnummer | postnr | Postnummer for bostedsadresse | X",
    )

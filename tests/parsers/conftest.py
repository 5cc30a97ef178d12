"""Shared fixtures for the attachment-extractor tests: the public corpora and file factories.

The corpora live outside the repo (`../shared/corpora/` next to it, or wherever
MIKROBOT_SHARED_CORPORA points). Without them a developer's run skips those tests, while CI
(CI=true) fails, so a missing copy can never turn into a silently green build.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import shared_corpora_dir
from tests.hostile.inputs import pdf_from_objects, zip_bytes

CORPUS_SUFFIXES = (".pdf", ".docx", ".xlsx", ".xlsm")


@pytest.fixture(scope="session")
def corpora(shared_corpora: Path) -> Path:
    """Root of the public test corpora; skips (or, on CI, fails) when it is missing."""
    return shared_corpora


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `corpus_document` with every PDF/DOCX/XLSX in the corpora."""
    if "corpus_document" not in metafunc.fixturenames:
        return
    root = shared_corpora_dir()
    files = (
        sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in CORPUS_SUFFIXES)
        if root.is_dir()
        else []
    )
    # One placeholder keeps the test visible; the `corpora` fixture then skips or fails it.
    params = [str(p.relative_to(root)) for p in files] or ["<corpora missing>"]
    metafunc.parametrize("corpus_document", params)


@pytest.fixture
def make_text_pdf() -> Callable[..., bytes]:
    """A text PDF made with fpdf2: `pages` pages of Norwegian prose, optional ruled table."""

    def make(pages: int = 15, table_on_page: int | None = None) -> bytes:
        from fpdf import FPDF

        pdf = FPDF()
        pdf.set_font("Helvetica", size=11)
        for number in range(1, pages + 1):
            pdf.add_page()
            if number == table_on_page:
                with pdf.table() as table:
                    for cells in (
                        ("Variabel", "Beskrivelse", "Bestilles"),
                        ("kjonn", "Kjønn", "X"),
                    ):
                        row = table.row()
                        for cell in cells:
                            row.cell(cell)
            sentence = "Søknad om tilgang til mikrodata fra SSB for forskningsprosjektet. "
            pdf.multi_cell(0, 5, f"Side {number}. " + sentence * 30)
        return bytes(pdf.output())

    return make


@pytest.fixture
def make_zip() -> Callable[[dict[str, bytes | int]], bytes]:
    """A zip in memory; an int value means that many zero bytes, deflated (a bomb)."""
    return zip_bytes


def _pdf_text_string(text: str) -> bytes:
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


@pytest.fixture
def make_form_pdf() -> Callable[[], bytes]:
    """A one-page fillable PDF written by hand: text, nested and check-box fields."""

    def make() -> bytes:
        content = b"BT /F1 14 Tf 72 760 Td (Soknadsskjema mikrodata) Tj ET"
        widget = b"/Type /Annot /Subtype /Widget /P 3 0 R /Rect [72 600 300 620]"
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 5 0 R 6 0 R 7 0 R] >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 8 0 R"
            b" /Resources << /Font << /F1 9 0 R >> >> /Annots [4 0 R 6 0 R 7 0 R 10 0 R] >>",
            b"<< /FT /Tx /T (prosjekttittel) /V "
            + _pdf_text_string("Helse og arbeid blant unge i Tromsø")
            + b" "
            + widget
            + b" >>",
            b"<< /T (soker) /Kids [10 0 R] >>",
            b"<< /FT /Btn /T (samtykke) /V /Yes " + widget + b" >>",
            b"<< /FT /Btn /T (purring) /V /Off " + widget + b" >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /FT /Tx /T (navn) /Parent 5 0 R /V (Kari Nordmann) " + widget + b" >>",
        ]
        return pdf_from_objects(objects)

    return make

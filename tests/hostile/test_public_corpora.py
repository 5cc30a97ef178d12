"""Every file of the public corpora, through the whole pipeline: no exception escapes, every
mail gets a verdict and a ticket, the broken files show their error, memory stays bounded."""

from __future__ import annotations

from pathlib import Path

from bot.triage import TriageContext
from tests.hostile.corpus_report import corpus_files, run_corpus


def test_every_public_corpus_file_becomes_a_ticket_and_nothing_crashes(
    shared_corpora: Path, context: TriageContext, tmp_path: Path
) -> None:
    report = run_corpus(shared_corpora, tmp_path, context)
    assert report.files == len(corpus_files(shared_corpora)) >= 375
    assert report.crashes == []
    assert report.unfiled == []
    assert report.filed == report.mails >= report.files
    assert sum(report.replies.values()) == report.filed  # a reply decision for every mail
    # The damaged and encrypted documents show why on their ticket.
    assert report.errors["pdf/pdfplumber/password-example.pdf"] == [
        "password-example.pdf: encrypted PDF: no password"
    ]
    assert any("0 bytes" in e for e in report.errors["xlsx/openpyxl/reader/null_file.xlsx"])
    assert report.mails_with_errors >= 15
    # Memory: the test process stays far below the extraction workers' own 1 GB cap.
    assert report.rss_end_mb - report.rss_start_mb < 400
    assert report.peak_rss_mb < 1_500

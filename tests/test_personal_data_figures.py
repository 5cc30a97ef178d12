"""Issue #11's targets on both personal-data sets: every mail that holds national IDs is
found, `where` is right for at least 95 %, and no mail without any is flagged.

`fixtures/personal_data` is generated (≥ 30 mails with IDs in every place, ≥ 30 decoys a
naive 11-digit search would flag); `fixtures/handwritten/personal_data` was written by a
helper who read only the contract and the issue's "Why". (The other corpora hold no
personal data: their reports in `test_classifier.py` and `test_handwritten_replies.py`
pin that they raise no alarm.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluate import Report, evaluate, labelled_mail, read_labels
from bot.triage import TriageContext, triage_safely
from tests.conftest import REPO

SETS = {
    "generated": REPO / "fixtures" / "personal_data" / "labels.jsonl",
    "handwritten": REPO / "fixtures" / "handwritten" / "personal_data" / "labels.jsonl",
}


def scored(labels: Path, context: TriageContext, split: str | None = None) -> Report:
    return evaluate(
        (label, triage_safely(labelled_mail(labels, label).read_bytes(), label.file, context))
        for label in read_labels(labels, split)
    )


@pytest.fixture(scope="module", params=sorted(SETS))
def report(request: pytest.FixtureRequest, rules_only_context: TriageContext) -> Report:
    return scored(SETS[request.param], rules_only_context)


def test_every_mail_with_national_ids_is_found_and_none_without(report: Report) -> None:
    figures = report.personal_data_figures()
    assert report.personal_data_mails >= 20
    assert report.mails - report.personal_data_mails >= 14
    assert figures["found"] == 1.0, report.to_text(40)
    assert figures["false_alarms"] == 0, report.to_text(40)


def test_where_the_ids_were_is_right(report: Report) -> None:
    figures = report.personal_data_figures()
    assert figures["where_right"] >= 0.95, report.to_text(40)
    assert figures["counts_right"] >= 0.95, report.to_text(40)

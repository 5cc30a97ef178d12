"""The replies on the hand-written forms, offers and threads (issue #10) do not slip back.

These sets were written by helpers who read only the contract, SSB's pages and the
issue's "Why". The floors are a little under the figures in the README's Accuracy table
(not the issue's targets, which are not all met yet): a change that makes the bot ask
complete mails for things again, or break a thread, fails here.
"""

from __future__ import annotations

import pytest

from bot.evaluate import Report, evaluate, labelled_mail, read_labels
from bot.thread_evaluation import _opened_or_joined, evaluate_threads
from bot.triage import TriageContext, triage_safely
from tests.conftest import REPO

SETS = {
    # set: (false-request rate at most, reply action right at least, missing right at least)
    "forms": (0.13, 0.90, 0.88),
    "offers": (0.03, 0.90, 0.92),
}


@pytest.fixture(scope="module", params=sorted(SETS))
def report(request: pytest.FixtureRequest, context: TriageContext) -> tuple[str, Report]:
    labels = REPO / "fixtures" / "handwritten" / request.param / "labels.jsonl"
    pairs = [
        (label, triage_safely(labelled_mail(labels, label).read_bytes(), label.file, context))
        for label in read_labels(labels)
    ]
    return request.param, evaluate(pairs)


def test_complete_mails_are_seldom_asked_for_anything(report: tuple[str, Report]) -> None:
    name, scored = report
    figures = scored.to_json()
    assert figures["false_request_rate"] <= SETS[name][0], scored.to_text(30)
    assert figures["reply_action_accuracy"] >= SETS[name][1], scored.to_text(30)
    assert figures["missing_accuracy"] >= SETS[name][2], scored.to_text(30)


def test_mail_without_personal_data_raises_no_alarm(report: tuple[str, Report]) -> None:
    _, scored = report
    assert scored.personal_data_false_alarms == 0, scored.to_text(20)


def test_confidence_means_what_it_says_on_mail_nobody_tuned_on(report: tuple[str, Report]) -> None:
    _, scored = report
    assert scored.calibration_error() <= 0.05, scored.to_text(0)


def test_multi_mail_cases_complete_with_the_right_reply_at_each_step(
    context: TriageContext,
) -> None:
    replayed = evaluate_threads(
        REPO / "fixtures" / "handwritten" / "threads" / "threads.jsonl", context
    )
    assert replayed.threads == 28
    assert replayed.threads_right >= 25, replayed.to_text(10)
    assert replayed.steps_right >= 68, replayed.to_text(10)


def test_a_thread_label_may_name_the_ticket_a_mail_opens_or_say_new() -> None:
    """threads4's writer labelled an opening mail with the reference it gets; older sets say
    `new`. Both read the same: the first mention of a reference opens that ticket."""
    assert _opened_or_joined(["new", "MB-000001", "new", "MB-000002"]) == [
        "new", "MB-000001", "new", "MB-000002",
    ]  # fmt: skip
    assert _opened_or_joined(["MB-000001", "MB-000002", "MB-000001"]) == [
        "new", "new", "MB-000001",
    ]  # fmt: skip

"""Who lets a reply go (`reply_mode`), decided with the reply itself: the waiting rule per
mode, and the guard against a reminder sent twice."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from bot.reply_policy import (
    HoldReason,
    ReplyLimits,
    ReplyMode,
    ReplyPlan,
    hold_reason,
    plan,
    reminder_wait,
)
from bot.verdict import Category, ReplyAction
from tests.test_reply_policy import LIMITS, MAIL, facts, verdict

ASK, RECEIPT = ReplyAction.REQUEST_MISSING, ReplyAction.ACKNOWLEDGE


def limits(mode: ReplyMode, confidence: float = 0.8) -> ReplyLimits:
    return dataclasses.replace(LIMITS, reply_mode=mode, review_confidence=confidence)


@pytest.mark.parametrize(
    ("mode", "action", "confidence", "expected"),
    [
        (ReplyMode.AUTO, ASK, 0.10, None),
        (ReplyMode.AUTO, RECEIPT, 0.99, None),
        (ReplyMode.REVIEW, RECEIPT, 0.99, HoldReason.EVERY_REPLY),
        (ReplyMode.REVIEW, ASK, 0.10, HoldReason.EVERY_REPLY),
        (ReplyMode.REVIEW_UNCERTAIN, ASK, 0.99, HoldReason.REQUESTS_MISSING),
        (ReplyMode.REVIEW_UNCERTAIN, RECEIPT, 0.79, HoldReason.LOW_CONFIDENCE),
        (ReplyMode.REVIEW_UNCERTAIN, RECEIPT, 0.80, None),
        (ReplyMode.REVIEW_UNCERTAIN, RECEIPT, 0.99, None),
    ],
)
def test_the_waiting_rule_per_mode(
    mode: ReplyMode, action: ReplyAction, confidence: float, expected: HoldReason | None
) -> None:
    assert hold_reason(action, confidence, limits(mode)) is expected


def test_the_plan_carries_the_waiting_rule_for_its_own_action_and_verdict() -> None:
    asking = verdict(missing=("dpia",))
    decided = plan(asking, MAIL, facts(asking), limits(ReplyMode.REVIEW_UNCERTAIN))
    assert isinstance(decided, ReplyPlan) and decided.hold is HoldReason.REQUESTS_MISSING

    unsure = dataclasses.replace(verdict(Category.SIGNED_OFFER), confidence=0.55)
    decided = plan(unsure, MAIL, facts(unsure), limits(ReplyMode.REVIEW_UNCERTAIN, 0.6))
    assert isinstance(decided, ReplyPlan) and decided.hold is HoldReason.LOW_CONFIDENCE
    decided = plan(unsure, MAIL, facts(unsure), limits(ReplyMode.REVIEW_UNCERTAIN, 0.5))
    assert isinstance(decided, ReplyPlan) and decided.hold is None


def test_a_reply_a_caseworker_asked_for_never_waits() -> None:
    asking = verdict(missing=("dpia",))
    decided = plan(asking, MAIL, facts(asking), limits(ReplyMode.REVIEW), manual=True)
    assert isinstance(decided, ReplyPlan) and decided.hold is None


def test_waiting_changes_who_sends_the_reply_not_what_it_says() -> None:
    asking = verdict(missing=("dpia",))
    held = plan(asking, MAIL, facts(asking), limits(ReplyMode.REVIEW))
    sent = plan(asking, MAIL, facts(asking), limits(ReplyMode.AUTO))
    assert isinstance(held, ReplyPlan) and isinstance(sent, ReplyPlan)
    assert dataclasses.replace(held, hold=None) == sent


NOW = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)


def test_a_reminder_waits_out_the_guard_after_the_cases_previous_reply() -> None:
    guard = timedelta(minutes=60)
    assert reminder_wait(None, NOW, guard) is None
    assert reminder_wait(NOW - timedelta(minutes=5), NOW, guard) == NOW + timedelta(minutes=55)
    assert reminder_wait(NOW - timedelta(minutes=60), NOW, guard) is None
    assert reminder_wait(NOW - timedelta(minutes=5), NOW, timedelta(0)) is None

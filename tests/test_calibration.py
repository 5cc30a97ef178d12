"""Calibrated confidence: the combined score rescaled so that it means what it says, the
threshold read on that scale, and `evaluate` reporting how far it is off (ECE)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.classify import ClassifierInput, classify
from bot.classify.calibration import (
    CALIBRATION_FILE,
    Calibration,
    expected_calibration_error,
    fit_temperature,
    load_calibration,
    reliability_table,
    save_calibration,
    temperature_scaled,
)
from bot.classify.model import DEFAULT_MODEL_DIR, TextClassifier
from bot.evaluate import Label, Report
from bot.rules import load_rules
from bot.triage import error_verdict
from bot.verdict import Category, Verdict

C = Category


def _scores(**values: float) -> dict[Category, float]:
    return {Category(k): v for k, v in values.items()}


def test_temperature_below_one_sharpens_the_scores_and_keeps_their_order() -> None:
    raw = _scores(new_application=0.6, change_request=0.3, other=0.1)
    sharp = temperature_scaled(raw, 0.5)
    assert sum(sharp.values()) == pytest.approx(1.0)
    assert sharp[C.NEW_APPLICATION] > 0.6
    assert sorted(raw, key=raw.__getitem__) == sorted(raw, key=sharp.__getitem__)
    assert temperature_scaled(raw, 1.0)[C.NEW_APPLICATION] == pytest.approx(0.6, abs=1e-4)


def test_the_fitted_temperature_sharpens_scores_that_are_always_right() -> None:
    rows = [(_scores(signed_offer=0.7, other=0.3), C.SIGNED_OFFER)] * 19
    rows.append((_scores(signed_offer=0.7, other=0.3), C.OTHER))
    temperature = fit_temperature(rows)
    assert temperature < 1.0
    # Right 19 times in 20: the calibrated confidence says 0.95.
    assert temperature_scaled(rows[0][0], temperature)[C.SIGNED_OFFER] == pytest.approx(
        0.95, abs=0.01
    )


def test_the_fitted_temperature_softens_scores_that_are_too_sure() -> None:
    rows = [(_scores(signed_offer=0.95, other=0.05), C.SIGNED_OFFER)] * 6
    rows += [(_scores(signed_offer=0.95, other=0.05), C.OTHER)] * 4
    assert fit_temperature(rows) > 1.0


def test_the_reliability_table_has_ten_equal_bins_and_one_lands_in_the_last() -> None:
    table = reliability_table([(0.05, False), (0.95, True), (1.0, True), (0.95, False)])
    assert len(table) == 10
    assert [b.count for b in table] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 3]
    assert table[9].mean_confidence == pytest.approx(0.9667, abs=1e-3)
    assert table[9].accuracy == pytest.approx(2 / 3)


def test_ece_is_the_count_weighted_gap_between_confidence_and_accuracy() -> None:
    perfect = [(0.75, True)] * 3 + [(0.75, False)]
    assert expected_calibration_error(reliability_table(perfect)) == pytest.approx(0.0)
    # Half the mails at 0.9 but all wrong (gap 0.9), half at 0.3 and right (gap 0.7).
    off = [(0.9, False), (0.3, True)]
    assert expected_calibration_error(reliability_table(off)) == pytest.approx(0.8)
    assert expected_calibration_error(reliability_table([])) == 0.0


def test_a_calibration_is_saved_beside_the_model_and_loaded_back(tmp_path: Path) -> None:
    assert load_calibration(tmp_path) is None
    save_calibration(Calibration(0.42, 300, ("dev",)), tmp_path)
    assert load_calibration(tmp_path) == Calibration(0.42, 300, ("dev",))


def test_a_calibration_file_with_another_method_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / CALIBRATION_FILE).write_text(json.dumps({"method": "isotonic"}))
    with pytest.raises(ValueError, match="isotonic"):
        load_calibration(tmp_path)


def test_the_committed_model_carries_its_calibration() -> None:
    calibration = load_calibration(DEFAULT_MODEL_DIR)
    assert calibration is not None and calibration.fitted_on >= 300
    assert 0.05 <= calibration.temperature <= 5.0


class _Doc(SimpleNamespace):
    cats: dict[str, float]


def _model(cats: dict[str, float], temperature: float | None) -> TextClassifier:
    """A stand-in model that always says `cats`; the calibration is the real one."""
    calibration = Calibration(temperature) if temperature is not None else None
    return TextClassifier(lambda _text: _Doc(cats=cats), calibration)


UNSURE = {"new_application": 0.4, "change_request": 0.3, "signed_offer": 0.1,
          "deletion_confirmation": 0.1, "other": 0.1}  # fmt: skip
NO_WORDS = ClassifierInput("Hei", "Se vedlegg.", "", "", ())


def test_the_confidence_is_the_calibrated_score() -> None:
    raw = classify(NO_WORDS, load_rules(), _model(UNSURE, None))
    sharp = classify(NO_WORDS, load_rules(), _model(UNSURE, 0.3))
    assert raw.scores[C.NEW_APPLICATION] == pytest.approx(0.4)
    assert sharp.confidence == pytest.approx(
        temperature_scaled(_scores(**UNSURE), 0.3)[C.NEW_APPLICATION]
    )
    assert sharp.confidence > load_rules().classifier.threshold > 0.4


def test_the_threshold_is_read_on_the_calibrated_value() -> None:
    """Uncalibrated 0.4 is below the threshold and becomes `other`; calibrated, the same
    model's scores clear it and the category stands."""
    assert classify(NO_WORDS, load_rules(), _model(UNSURE, None)).category is C.OTHER
    assert classify(NO_WORDS, load_rules(), _model(UNSURE, 0.3)).category is C.NEW_APPLICATION


def test_below_the_threshold_the_confidence_is_that_of_other() -> None:
    result = classify(NO_WORDS, load_rules(), _model(UNSURE, 1.0))
    assert result.category is C.OTHER
    assert result.confidence == pytest.approx(result.scores[C.OTHER])


def _verdict(category: Category, confidence: float) -> Verdict:
    return replace(error_verdict("x.eml", "test"), category=category, confidence=confidence)


def test_evaluate_prints_the_calibration_error_and_the_reliability_table() -> None:
    report = Report()
    label = Label("x.eml", "signed_offer", "nb", False, {}, (), "test")
    report.add(label, _verdict(C.SIGNED_OFFER, 0.95))
    report.add(label, _verdict(C.OTHER, 0.55))
    assert report.calibration_error() == pytest.approx((0.05 + 0.55) / 2)
    text = report.to_text()
    assert "calibration error (ECE, 10 bins): 0.300" in text
    assert "0.9–1.0" in text and "0.5–0.6" in text
    data = report.to_json()
    assert data["calibration_error"] == pytest.approx(0.3)
    assert [b["count"] for b in data["reliability"]] == [0, 0, 0, 0, 0, 1, 0, 0, 0, 1]

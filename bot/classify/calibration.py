"""Calibrated confidence: the combined score rescaled so that 0.8 means right 8 times in 10.

The combined score (model and rules, `bot.classify`) ranks the categories well but its size
says little: on hand-written mail it was right 98 % of the time at a mean score of 0.80. One
temperature `T`, fitted on labelled mail neither the model nor the rules were tuned on, turns
scores `s` into `s^(1/T)`, normalised. It keeps the order of the categories, so it changes
which mails fall below the threshold, never which category wins. The temperature is data
beside the model (`calibration.json`), written by `mikrobot train` / `mikrobot calibrate`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.verdict import Category

if TYPE_CHECKING:
    from bot.classify.keywords import ClassifierInput
    from bot.classify.model import TextClassifier
    from bot.rules import Rules

CALIBRATION_FILE = "calibration.json"
RELIABILITY_BINS = 10
_FLOOR = 1e-6
"""A category the rules and model both gave nothing still gets a little: log(0) has no scale."""
_T_RANGE = (0.05, 5.0)


@dataclass(frozen=True)
class Calibration:
    """Temperature scaling of the combined score; `fitted_on` mails, for the record."""

    temperature: float
    fitted_on: int = 0
    held_out: tuple[str, ...] = ()
    """What the fit was made on (e.g. "fixtures train split, 5-fold", "handwritten/dev")."""

    def apply(self, scores: dict[Category, float]) -> dict[Category, float]:
        return temperature_scaled(scores, self.temperature)

    def to_json(self) -> dict[str, object]:
        return {
            "method": "temperature",
            "temperature": self.temperature,
            "fitted_on": self.fitted_on,
            "held_out": list(self.held_out),
        }


def temperature_scaled(scores: dict[Category, float], temperature: float) -> dict[Category, float]:
    """`s^(1/T)` normalised over every category (a category missing from `scores` has 0)."""
    logits = {c: math.log(max(scores.get(c, 0.0), _FLOOR)) / temperature for c in Category}
    top = max(logits.values())
    weights = {c: math.exp(v - top) for c, v in logits.items()}
    total = sum(weights.values())
    return {c: w / total for c, w in weights.items()}


def negative_log_likelihood(
    rows: Sequence[tuple[dict[Category, float], Category]], temperature: float
) -> float:
    """Mean −log p(label) after scaling: what a good temperature makes small."""
    return -sum(
        math.log(max(temperature_scaled(s, temperature)[label], 1e-12)) for s, label in rows
    ) / max(len(rows), 1)


def fit_temperature(rows: Sequence[tuple[dict[Category, float], Category]]) -> float:
    """The temperature with the least negative log-likelihood on `rows` (held-out scores and
    their labels): a coarse log-spaced grid, then golden-section search around its best."""
    if not rows:
        raise ValueError("no held-out mail to calibrate on")
    lo, hi = (math.log(t) for t in _T_RANGE)
    grid = [lo + (hi - lo) * i / 60 for i in range(61)]
    best = min(range(len(grid)), key=lambda i: negative_log_likelihood(rows, math.exp(grid[i])))
    a, b = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(40):
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        if negative_log_likelihood(rows, math.exp(c)) <= negative_log_likelihood(rows, math.exp(d)):
            b = d
        else:
            a = c
    return round(math.exp((a + b) / 2), 4)


def load_calibration(model_dir: Path) -> Calibration | None:
    """The calibration saved beside a model, or None (then the raw score is reported)."""
    path = model_dir / CALIBRATION_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("method") != "temperature":
        raise ValueError(f"{path}: unknown calibration method {data.get('method')!r}")
    temperature = float(data["temperature"])
    if not _T_RANGE[0] <= temperature <= _T_RANGE[1]:
        raise ValueError(f"{path}: temperature {temperature} outside {_T_RANGE}")
    return Calibration(temperature, int(data.get("fitted_on", 0)), tuple(data.get("held_out", ())))


def save_calibration(calibration: Calibration, model_dir: Path) -> Path:
    path = model_dir / CALIBRATION_FILE
    path.write_text(json.dumps(calibration.to_json(), indent=2) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    mean_confidence: float
    accuracy: float


def reliability_table(
    points: Iterable[tuple[float, bool]], bins: int = RELIABILITY_BINS
) -> list[ReliabilityBin]:
    """Confidence against accuracy in `bins` equal-width bins over [0, 1] (1.0 in the last)."""
    grouped: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for confidence, right in points:
        grouped[min(bins - 1, max(0, int(confidence * bins)))].append((confidence, right))
    return [
        ReliabilityBin(
            low=i / bins,
            high=(i + 1) / bins,
            count=len(group),
            mean_confidence=sum(c for c, _ in group) / len(group) if group else 0.0,
            accuracy=sum(r for _, r in group) / len(group) if group else 0.0,
        )
        for i, group in enumerate(grouped)
    ]


def expected_calibration_error(table: Sequence[ReliabilityBin]) -> float:
    """Σ over bins of (share of mails) × |mean confidence − accuracy|."""
    total = sum(b.count for b in table)
    if not total:
        return 0.0
    return sum(b.count / total * abs(b.mean_confidence - b.accuracy) for b in table)


Row = tuple[dict[Category, float], Category]
Example = tuple["ClassifierInput", Category]


def scored_rows(
    examples: Iterable[Example], rules: Rules, model: TextClassifier | None
) -> list[Row]:
    """The uncalibrated combined score of each example, with its label."""
    from bot.classify import classify

    bare = model.without_calibration() if model is not None else None
    return [(classify(inputs, rules, bare).scores, label) for inputs, label in examples]


def out_of_fold_rows(
    examples: Sequence[Example], rules: Rules, *, folds: int = 5, epochs: int, seed: int = 0
) -> list[Row]:
    """Each example scored by a model trained without it (`folds` models, every `folds`-th
    example held out in turn): held-out scores from the training split itself."""
    from bot.classify.model import train_classifier

    rows: list[Row] = []
    for fold in range(folds):
        kept = [e for i, e in enumerate(examples) if i % folds != fold]
        held = [e for i, e in enumerate(examples) if i % folds == fold]
        model = train_classifier(kept, epochs=epochs, seed=seed)
        rows += scored_rows(held, rules, model)
    return rows


def fit_calibration(
    training: Sequence[Example],
    held_out: Sequence[Example],
    rules: Rules,
    model: TextClassifier,
    *,
    epochs: int,
    folds: int = 5,
    names: tuple[str, ...] = (),
) -> Calibration:
    """The temperature for `model`: fitted on `training` scored out of fold (the model saw
    them, fold models did not) and on `held_out` scored by `model` itself."""
    rows = out_of_fold_rows(training, rules, folds=folds, epochs=epochs)
    rows += scored_rows(held_out, rules, model)
    return Calibration(fit_temperature(rows), len(rows), names)

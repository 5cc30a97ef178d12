"""Classification: rules an admin tunes, combined with a trained spaCy model.

The final score per category is a weighted mean of the model's probabilities and the
rules' normalised scores. The rules' share grows with the evidence they found, up to
`rule_weight` at `rule_full_score` (rules file): a word in passing leaves the model to
judge, a subject and an attached form together nearly decide. The score is then
calibrated with the temperature saved beside the model (`calibration.py`), so the
confidence is the chance the verdict is right, and the threshold is read on that scale
(without a model, the rules' own share is taken as it is). Below the threshold the
verdict is `other`, so that a caseworker, not the bot, decides; its confidence is then the
calibrated score of `other`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.classify.keywords import ClassifierInput, keyword_scores
from bot.classify.model import TextClassifier
from bot.rules import Rules
from bot.verdict import Category


@dataclass(frozen=True)
class Classification:
    category: Category
    confidence: float
    scores: dict[Category, float]
    model_scores: dict[Category, float]
    rule_hits: tuple[str, ...]


def classify(inputs: ClassifierInput, rules: Rules, model: TextClassifier | None) -> Classification:
    rule_scores, hits = keyword_scores(inputs, rules)
    rule_total = sum(rule_scores.values())
    rule_probs = {c: rule_scores.get(c, 0.0) / rule_total for c in Category} if rule_total else {}
    model_probs = model.predict(inputs) if model is not None else {}

    if model_probs and rule_probs:
        settings = rules.classifier
        weight = settings.rule_weight * min(1.0, rule_total / settings.rule_full_score)
        scores = {
            c: (1 - weight) * model_probs.get(c, 0.0) + weight * rule_probs[c] for c in Category
        }
    elif model_probs:
        scores = dict(model_probs)
    elif rule_probs:
        scores = rule_probs
    else:
        scores = {c: float(c is Category.OTHER) for c in Category}

    if model is not None and model.calibration is not None:
        scores = model.calibration.apply(scores)
    best = max(Category, key=lambda c: (scores.get(c, 0.0), c is Category.OTHER))
    confidence = scores.get(best, 0.0)
    if confidence < rules.classifier.threshold:
        hits.append(f"threshold:{best.value}<{rules.classifier.threshold}")
        best = Category.OTHER
        confidence = scores.get(Category.OTHER, 0.0)
    return Classification(best, confidence, scores, model_probs, tuple(hits))


__all__ = ["Classification", "ClassifierInput", "classify"]

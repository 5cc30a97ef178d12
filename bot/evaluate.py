"""Accuracy on labelled mail: what `mikrobot evaluate` prints and the admin page shows.

Labels are `fixtures/labels.jsonl` (one contract-shaped object per mail, with a
`split`); the test split is never seen by `mikrobot train`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.classify.calibration import (
    ReliabilityBin,
    expected_calibration_error,
    reliability_table,
)
from bot.verdict import Category, ReplyAction, Verdict

CATEGORIES = tuple(c.value for c in Category)
FIELD_NAMES = (
    "case_reference",
    "organization_number",
    "organization_name",
    "contact_name",
    "contact_email",
    "project_title",
    "signed_date",
    "deletion_date",
)


@dataclass(frozen=True)
class Label:
    file: str
    category: str
    language: str
    auto_generated: bool
    fields: dict[str, str | None]
    missing: tuple[str, ...]
    split: str
    reply_action: str = ""
    """`none`, `acknowledge` or `request_missing`: the label's, or the contract's rule."""
    personal_data: frozenset[tuple[str, int]] = frozenset()
    """(where, count) of each `personal_data` entry; labels without the key hold none."""


def contract_reply_action(auto_generated: bool, missing: tuple[str, ...]) -> str:
    """The contract's `reply.action` for a mail with these labels."""
    if auto_generated:
        return "none"
    return "request_missing" if missing else "acknowledge"


def labelled_mail(labels: Path, label: Label) -> Path:
    """A label's mail: its path is relative to the project root, the nearest folder above
    the labels file that holds it (`fixtures/labels.jsonl`, `fixtures/handwritten/x/…`)."""
    for folder in labels.resolve().parents:
        if (folder / label.file).is_file():
            return folder / label.file
    raise FileNotFoundError(f"{label.file}: no such mail in any folder above {labels}")


def read_labels(path: Path, split: str | None = None) -> Iterator[Label]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            thread = json.loads(line)
            # A thread set (`threads.jsonl`) labels each of its mails like a labels file.
            for item in thread.get("steps") or [thread]:
                if split is not None and item.get("split", thread.get("split", "test")) != split:
                    continue
                yield _label(item, thread.get("split", "test"), in_thread=item is not thread)


def _label(item: dict[str, Any], split: str, *, in_thread: bool) -> Label:
    """A thread step's `reply_action` is the case's reply; the mail alone is scored by the
    contract's rule on its own `missing`."""
    return Label(
        file=item["file"],
        category=item["category"],
        language=item["language"],
        auto_generated=bool(item["auto_generated"]),
        fields=dict(item["fields"]),
        missing=tuple(item["missing"]),
        split=item.get("split", split),
        reply_action=(None if in_thread else item.get("reply_action"))
        or contract_reply_action(bool(item["auto_generated"]), tuple(item["missing"])),
        personal_data=frozenset(
            (str(p["where"]), int(p["count"])) for p in item.get("personal_data") or ()
        ),
    )


@dataclass
class Report:
    """Every figure `evaluate` reports; `to_json()` for machines, `to_text()` for people."""

    mails: int = 0
    confusion: dict[str, Counter[str]] = field(
        default_factory=lambda: {c: Counter() for c in CATEGORIES}
    )
    auto_total: int = 0
    auto_found: int = 0
    field_total: Counter[str] = field(default_factory=Counter)
    field_right: Counter[str] = field(default_factory=Counter)
    missing_total: int = 0
    missing_right: int = 0
    language_right: int = 0
    reply_right: int = 0
    complete_mails: int = 0
    """Mails that a person answers with a plain receipt: nothing is missing, not machine-made."""
    complete_asked: int = 0
    """Of those, how many the bot asked for something (false requests)."""
    asked_while_present: Counter[str] = field(default_factory=Counter)
    """Per code: how often the bot asked for it while the mail had it."""
    errors: list[str] = field(default_factory=list)
    confidences: list[tuple[float, bool]] = field(default_factory=list)
    """Per mail: the verdict's confidence, and whether its category was right."""
    personal_data_mails: int = 0
    """Mails whose label holds personal data."""
    personal_data_found: int = 0
    """Of those, how many the bot flagged at all (the mail is set apart)."""
    personal_data_where_right: int = 0
    """Of those, how many with exactly the label's places."""
    personal_data_counts_right: int = 0
    """Of those, how many with exactly the label's places and counts."""
    personal_data_false_alarms: int = 0
    """Mails without personal data that the bot flagged."""

    def add(self, label: Label, verdict: Verdict) -> None:
        self.mails += 1
        self._add_personal_data(label, verdict)
        self.confusion[label.category][verdict.category.value] += 1
        self.confidences.append((verdict.confidence, verdict.category.value == label.category))
        if label.auto_generated:
            self.auto_total += 1
            self.auto_found += verdict.auto_generated
        got = verdict.to_json()["fields"]
        for name in FIELD_NAMES:
            want = label.fields.get(name)
            if want is not None:
                self.field_total[name] += 1
                self.field_right[name] += _same(got.get(name), want)
        self.language_right += verdict.language == label.language
        self.reply_right += verdict.reply.action.value == label.reply_action
        asks = verdict.reply.action is ReplyAction.REQUEST_MISSING
        if label.reply_action == "acknowledge":
            self.complete_mails += 1
            self.complete_asked += asks
        if asks and verdict.category.value == label.category:
            for code in set(verdict.missing) - set(label.missing):
                self.asked_while_present[code] += 1
        if verdict.category.value == label.category:
            self.missing_total += 1
            if tuple(verdict.missing) == tuple(sorted(label.missing)):
                self.missing_right += 1
            else:
                self.errors.append(
                    f"{label.file}: missing {list(verdict.missing)}, label {list(label.missing)}"
                )
        else:
            self.errors.append(f"{label.file}: {verdict.category.value}, label {label.category}")

    def _add_personal_data(self, label: Label, verdict: Verdict) -> None:
        got = {(p.where, p.count) for p in verdict.personal_data}
        if not label.personal_data:
            if got:
                self.personal_data_false_alarms += 1
                self.errors.append(f"{label.file}: personal data {sorted(got)}, label none")
            return
        self.personal_data_mails += 1
        self.personal_data_found += bool(got)
        where_right = {w for w, _ in got} == {w for w, _ in label.personal_data}
        self.personal_data_where_right += where_right
        self.personal_data_counts_right += got == label.personal_data
        if got != label.personal_data:
            self.errors.append(
                f"{label.file}: personal data {sorted(got)}, label {sorted(label.personal_data)}"
            )

    def personal_data_figures(self) -> dict[str, float | int]:
        """Found, `where` and counts exactly right (of mails that hold personal data), and
        false alarms (mails without any that the bot flagged)."""
        total = self.personal_data_mails
        clean = self.mails - total
        return {
            "mails": total,
            "found": self.personal_data_found / total if total else 1.0,
            "where_right": self.personal_data_where_right / total if total else 1.0,
            "counts_right": self.personal_data_counts_right / total if total else 1.0,
            "false_alarms": self.personal_data_false_alarms,
            "false_alarm_rate": self.personal_data_false_alarms / clean if clean else 0.0,
        }

    def per_category(self) -> dict[str, dict[str, float]]:
        result = {}
        for c in CATEGORIES:
            tp = self.confusion[c][c]
            predicted = sum(self.confusion[t][c] for t in CATEGORIES)
            actual = sum(self.confusion[c].values())
            precision = tp / predicted if predicted else 0.0
            recall = tp / actual if actual else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            result[c] = {"precision": precision, "recall": recall, "f1": f1, "support": actual}
        return result

    def macro_f1(self) -> float:
        scores = [v["f1"] for v in self.per_category().values() if v["support"]]
        return sum(scores) / len(scores) if scores else 0.0

    def reliability(self) -> list[ReliabilityBin]:
        """Confidence against accuracy in ten equal-width bins."""
        return reliability_table(self.confidences)

    def calibration_error(self) -> float:
        """Expected calibration error (ECE) over the ten bins: 0 when confidence means what
        it says."""
        return expected_calibration_error(self.reliability())

    def field_accuracy(self) -> dict[str, float]:
        return {
            n: self.field_right[n] / self.field_total[n] for n in FIELD_NAMES if self.field_total[n]
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "mails": self.mails,
            "macro_f1": self.macro_f1(),
            "per_category": self.per_category(),
            "confusion": {c: dict(self.confusion[c]) for c in CATEGORIES},
            "auto_generated_recall": self.auto_found / self.auto_total if self.auto_total else 1.0,
            "field_accuracy": self.field_accuracy(),
            "missing_accuracy": self.missing_right / self.missing_total
            if self.missing_total
            else 0.0,
            "language_accuracy": self.language_right / self.mails if self.mails else 0.0,
            "reply_action_accuracy": self.reply_right / self.mails if self.mails else 0.0,
            "false_request_rate": self.complete_asked / self.complete_mails
            if self.complete_mails
            else 0.0,
            "complete_mails": self.complete_mails,
            "asked_while_present": dict(sorted(self.asked_while_present.items())),
            "calibration_error": self.calibration_error(),
            "personal_data": self.personal_data_figures(),
            "reliability": [
                {
                    "bin": [b.low, b.high],
                    "count": b.count,
                    "mean_confidence": b.mean_confidence,
                    "accuracy": b.accuracy,
                }
                for b in self.reliability()
            ],
        }

    def to_text(self, show_errors: int = 0) -> str:
        data = self.to_json()
        lines = [
            f"mails: {self.mails}",
            "",
            f"{'category':<24}{'precision':>10}{'recall':>8}{'F1':>8}{'n':>6}",
        ]
        for c, v in data["per_category"].items():
            lines.append(
                f"{c:<24}{v['precision']:>10.3f}{v['recall']:>8.3f}{v['f1']:>8.3f}{v['support']:>6}"
            )
        lines += [
            "",
            f"macro-F1: {data['macro_f1']:.3f}",
            "",
            "confusion (row: label, column: verdict)",
        ]
        short = [c[:8] for c in CATEGORIES]
        lines.append(" " * 24 + "".join(f"{s:>10}" for s in short))
        for c in CATEGORIES:
            lines.append(f"{c:<24}" + "".join(f"{self.confusion[c][p]:>10}" for p in CATEGORIES))
        lines += [
            "",
            f"auto-generated recognised: {self.auto_found}/{self.auto_total}",
            "missing exactly right (correctly classified): "
            f"{self.missing_right}/{self.missing_total} = {data['missing_accuracy']:.3f}",
            f"language right: {self.language_right}/{self.mails} = {data['language_accuracy']:.3f}",
            f"reply action right: {self.reply_right}/{self.mails} = "
            f"{data['reply_action_accuracy']:.3f}",
            f"false requests (complete mails asked for anything): {self.complete_asked}/"
            f"{self.complete_mails} = {data['false_request_rate']:.3f}",
            "asked for while the mail had it: "
            + (", ".join(f"{c} {n}" for c, n in data["asked_while_present"].items()) or "none"),
            "",
            *self._personal_data_lines(),
            "",
            "field exactly right (mails whose label has the field):",
        ]
        for name in FIELD_NAMES:
            if self.field_total[name]:
                lines.append(
                    f"  {name:<22}{self.field_right[name]:>5}/{self.field_total[name]:<5}"
                    f"{self.field_right[name] / self.field_total[name]:.3f}"
                )
        lines += ["", *self._calibration_lines()]
        if show_errors:
            lines += ["", f"first {show_errors} disagreements:", *self.errors[:show_errors]]
        return "\n".join(lines)

    def _personal_data_lines(self) -> list[str]:
        figures = self.personal_data_figures()
        total = self.personal_data_mails
        return [
            f"personal data: {total} mail(s) hold some",
            f"  found: {self.personal_data_found}/{total} = {figures['found']:.3f}",
            f"  where exactly right: {self.personal_data_where_right}/{total} = "
            f"{figures['where_right']:.3f}",
            f"  counts exactly right: {self.personal_data_counts_right}/{total} = "
            f"{figures['counts_right']:.3f}",
            f"  false alarms: {self.personal_data_false_alarms}/{self.mails - total} mail(s) "
            "without any",
        ]

    def _calibration_lines(self) -> list[str]:
        lines = [
            f"calibration error (ECE, 10 bins): {self.calibration_error():.3f}",
            f"  {'confidence':<12}{'n':>6}{'mean conf.':>12}{'accuracy':>10}",
        ]
        for b in self.reliability():
            if b.count:
                lines.append(
                    f"  {f'{b.low:.1f}–{b.high:.1f}':<12}{b.count:>6}"
                    f"{b.mean_confidence:>12.3f}{b.accuracy:>10.3f}"
                )
        return lines


def _same(got: object, want: str) -> bool:
    if isinstance(got, str):
        return " ".join(got.split()).casefold() == " ".join(want.split()).casefold()
    return False


def evaluate(pairs: Iterable[tuple[Label, Verdict]]) -> Report:
    report = Report()
    for label, verdict in pairs:
        report.add(label, verdict)
    return report

"""The classifier's figures for the admin page: `mikrobot evaluate --json`, read from a file.

Evaluating triages every test mail (OCR included), far too slow for a page view, so the
admin runs `mikrobot evaluate --json > var/evaluation.json` after training and the page
shows that file. The confusion matrix is drawn as SVG on the server: a picture that
needs no script and no third-party library.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from bot.evaluate import CATEGORIES


@dataclass(frozen=True)
class Evaluation:
    report: dict[str, Any]
    written_at: datetime

    @property
    def mails(self) -> int:
        return int(self.report.get("mails", 0))

    @property
    def per_category(self) -> dict[str, dict[str, float]]:
        value = self.report.get("per_category")
        return value if isinstance(value, dict) else {}

    @property
    def confusion(self) -> dict[str, dict[str, int]]:
        value = self.report.get("confusion")
        return value if isinstance(value, dict) else {}


def read_evaluation(path: Path) -> Evaluation | None:
    """The newest report, or None when there is none (or it is not a report)."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except (OSError, ValueError):
        return None
    return Evaluation(report, written) if isinstance(report, dict) else None


def confusion_svg(confusion: dict[str, dict[str, int]], labels: dict[str, str]) -> str:
    """Rows are the labels, columns the verdicts; darker is more mails, the diagonal blue."""
    cell, left, top = 64, 190, 120
    size_x = left + cell * len(CATEGORIES) + 10
    size_y = top + cell * len(CATEGORIES) + 10
    largest = max((n for row in confusion.values() for n in row.values()), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_x}" height="{size_y}" '
        f'viewBox="0 0 {size_x} {size_y}" font-family="sans-serif" font-size="13" '
        'role="img">'
    ]
    for j, predicted in enumerate(CATEGORIES):
        x = left + j * cell + cell / 2
        parts.append(
            f'<text x="{x}" y="{top - 8}" transform="rotate(-35 {x} {top - 8})">'
            f"{escape(labels.get(predicted, predicted))}</text>"
        )
    for i, actual in enumerate(CATEGORIES):
        y = top + i * cell
        parts.append(
            f'<text x="{left - 8}" y="{y + cell / 2 + 4}" text-anchor="end">'
            f"{escape(labels.get(actual, actual))}</text>"
        )
        for j, predicted in enumerate(CATEGORIES):
            count = int(confusion.get(actual, {}).get(predicted, 0))
            share = count / largest
            hue = 210 if i == j else 5
            light = 97 - round(share * 55)
            x = left + j * cell
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                f'fill="hsl({hue},70%,{light}%)"/>'
                f'<text x="{x + cell / 2 - 1}" y="{y + cell / 2 + 4}" text-anchor="middle" '
                f'fill="{"#fff" if light < 60 else "#111"}">{count}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)

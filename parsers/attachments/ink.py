"""Ink on a scanned acceptance block: was anything written beside its labels?

OCR reads a form's printed labels well and a pen badly: a blank "Underskrift" line and one
with a signature OCR cannot read can give the same text. The page image tells them apart.
`measure_ink` finds the block's labels among Tesseract's word boxes (the vocabulary of
`signature.py`) and counts dark pixels where the answers go: right of each label on its
line (for a signature also the space up to the label above, where pens sweep over the
line), or under a label that heads a row of labels (a table's header). The printed labels,
the ruled lines and table borders (also when the scan is a little tilted) are taken out
first; scanner dust does not count.

Pure: the page image (already rendered for OCR) and its word boxes in, a `BlockInk` out.
Bounded: only the block's crop of the page is looked at, with a few arrays of its size.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from parsers.attachments import BlockInk, InkRole, LabelInk
from parsers.attachments.signature import label_spans

INK_SHARE = 0.002
"""Dark share of an answer area above which something was written there (a signature
gives 0.006-0.03, a blank line with its rule taken out 0)."""
INK_MIN_PIXELS = 0.08
"""... and at least this many dark pixels, in squared label heights (a dot is not a date)."""
_DARK = 0.6
"""A pixel darker than this share of the paper's brightness is ink."""
_MIN_PAPER = 110
"""Paper darker than this (0-255) is a photo too dark to judge."""
_ABOVE_LABEL = 12.0
"""Label heights above the lowest signature label that still belong to its block."""
_BELOW_LABEL = 12.0
_PRINTED_CONF = 80.0
_MAX_CROP_PIXELS = 4_000_000
"""A larger block is measured scaled down to this: memory stays bounded on any photo."""
_LEADERS = re.compile(r"^[._…·:‥]+$")
"""A word OCR made of a dotted or underscored answer line: printed, not written."""


@dataclass(frozen=True)
class Word:
    """One word Tesseract found: its text, box (pixels, y down), confidence and line."""

    text: str
    left: int
    top: int
    right: int
    bottom: int
    conf: float
    line: tuple[int, int, int]
    """(block, paragraph, line) as Tesseract numbered them."""


@dataclass(frozen=True)
class _Label:
    text: str
    role: InkRole
    left: int
    top: int
    right: int
    bottom: int

    @property
    def height(self) -> int:
        return self.bottom - self.top


def parse_tsv(tsv: str) -> list[Word]:
    """The words of Tesseract's TSV output (`image_to_data`); rows that do not parse are
    skipped."""
    words: list[Word] = []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        try:
            left, top, width, height = (int(cell) for cell in cells[6:10])
            conf = float(cells[10])
            line = (int(cells[2]), int(cells[3]), int(cells[4]))
        except ValueError:
            continue
        words.append(Word(cells[11].strip(), left, top, left + width, top + height, conf, line))
    return words


def _role(label: str) -> InkRole:
    lowered = label.lower()
    if re.search(r"underskrift|signatur|signature", lowered):
        return "signature"
    if re.search(r"dato|date", lowered):
        return "date"
    if re.search(r"navn|namn|name", lowered):
        return "name"
    return "other"


def find_labels(words: Sequence[Word]) -> list[_Label]:
    """The block labels OCR found, each with its box: a label must open its line (after
    table rules such as '|'); further labels on that line count too."""
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    labels: list[_Label] = []
    for line_words in lines.values():
        text = ""
        starts: list[int] = []
        for word in line_words:
            if text:
                text += " "
            starts.append(len(text))
            text += word.text
        spans = label_spans(text)
        if not spans or any(char.isalnum() for char in text[: spans[0][0]]):
            continue
        for start, end, _label in spans:
            box = _span_box(line_words, starts, start, end)
            if box is not None:
                printed = text[start:end].strip(" :.")
                labels.append(_Label(printed, _role(printed), *box))
    return labels


def _span_box(
    words: Sequence[Word], starts: Sequence[int], start: int, end: int
) -> tuple[int, int, int, int] | None:
    """The box of the characters start..end of a line, cutting a word they share with an
    answer ("Underskrift:Kari") in proportion to its characters."""
    boxes: list[tuple[int, int, int, int]] = []
    for word, first in zip(words, starts, strict=True):
        last = first + len(word.text)
        if last <= start or first >= end:
            continue
        width = word.right - word.left
        left = word.left + width * max(0, start - first) // len(word.text)
        right = word.right - width * max(0, last - end) // len(word.text)
        boxes.append((left, word.top, right, word.bottom))
    if not boxes:
        return None
    return (
        min(box[0] for box in boxes),
        min(box[1] for box in boxes),
        max(box[2] for box in boxes),
        max(box[3] for box in boxes),
    )


def measure_ink(image: Any, words: Sequence[Word], page: int | None = None) -> BlockInk | None:
    """Ink beside the acceptance block's labels on a page image (PIL, any mode); None when
    the page has no signature label, or the image is too dark to tell ink from paper."""
    labels = find_labels(words)
    signs = [label for label in labels if label.role == "signature"]
    if not signs:
        return None
    anchor = max(signs, key=lambda label: label.bottom)
    reach = max(anchor.height, int(np.median([label.height for label in labels])))
    labels = [
        label
        for label in labels
        if label.top >= anchor.top - _ABOVE_LABEL * reach
        and label.bottom <= anchor.bottom + _BELOW_LABEL * reach
    ]
    height = max(8, int(np.median([label.height for label in labels])))
    width, page_height = image.size
    printed = [w for w in words if w.conf >= 60 and sum(c.isalnum() for c in w.text) >= 2]
    text_right = max((w.right for w in printed), default=width)
    right = min(width, max(text_right, max(label.right for label in labels)) + height // 2)
    left = max(0, min(label.left for label in labels) - height)
    top = max(0, min(label.top for label in labels) - 2 * height)
    bottom = min(page_height, max(label.bottom for label in labels) + 3 * height)
    if right - left < 4 * height or bottom - top < 2 * height:
        return None
    crop = image.convert("L").crop((left, top, right, bottom))
    scale = min(1.0, math.sqrt(_MAX_CROP_PIXELS / (crop.width * crop.height)))
    if scale < 1.0:  # a phone photo of 50 megapixels: its block at a scanner's resolution
        crop = crop.resize((max(1, int(crop.width * scale)), max(1, int(crop.height * scale))))
    pen = max(4, int(height * scale))

    def at(x0: int, y0: int, x1: int, y1: int) -> tuple[int, int, int, int]:
        """A page box in the crop's pixels."""
        return (
            int((x0 - left) * scale),
            int((y0 - top) * scale),
            int((x1 - left) * scale),
            int((y1 - top) * scale),
        )

    gray = np.asarray(crop, dtype=np.uint8)
    paper = float(np.percentile(gray, 90))
    if paper < _MIN_PAPER:
        return None
    dark = gray < paper * _DARK
    dark &= ~_rules(dark, 2 * pen, axis=1)
    dark &= ~_rules(dark, int(2.5 * pen), axis=0)
    first_top = min(label.top for label in labels)
    sure = Counter(word.line for word in words if word.conf >= _PRINTED_CONF)
    for word in words:
        prose = word.bottom < first_top and sure[word.line] >= 3  # a printed sentence above
        if prose or _LEADERS.match(word.text):
            _clear(dark, at(word.left, word.top, word.right, word.bottom), 1)
    for label in labels:
        _clear(dark, at(label.left, label.top, label.right, label.bottom), max(2, pen // 6))
    ink = _strokes(dark, pen)

    def inked(box: tuple[int, int, int, int], share: float = INK_SHARE) -> bool:
        x0, y0, x1, y1 = at(*box)
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(ink.shape[1], x1), min(ink.shape[0], y1)
        if x1 - x0 < pen or y1 - y0 < pen // 2:
            return False
        count = int(ink[y0:y1, x0:x1].sum())
        area = (x1 - x0) * (y1 - y0)
        return count >= INK_MIN_PIXELS * pen * pen and count >= share * area

    found = tuple(
        LabelInk(
            label.text,
            label.role,
            any(inked(box) for box in _answer_areas(label, labels, right, height)),
        )
        for label in sorted(labels, key=lambda label: (label.top, label.left))
    )
    anywhere = inked((left, top, right, bottom), share=0.0)  # any ink at all
    return BlockInk(found, anywhere or any(label.ink for label in found), page)


def _answer_areas(
    label: _Label, labels: Sequence[_Label], right: int, height: int
) -> list[tuple[int, int, int, int]]:
    """Where the answer to `label` goes (left, top, right, bottom): right of it on its line
    (a signature reaches higher, over the line above it), and under it when the label heads
    a row of labels (a table's header)."""
    middle = (label.top + label.bottom) // 2
    row = [
        other
        for other in labels
        if other is not label and other.top - height // 2 <= middle <= other.bottom + height // 2
    ]
    after = [other.left for other in row if other.left > label.right]
    end = min(after) - height // 4 if after else right
    rise = int(3.5 * height) if label.role == "signature" else int(0.8 * height)
    above = [other.bottom + 2 for other in labels if other.bottom <= label.top + height // 5]
    floor = [other.top for other in labels if other.top >= label.bottom - height // 5]
    top = max([label.top - rise, *above])
    lower = label.bottom + (height // 2 if label.role == "signature" else height // 3)
    areas = [(label.right + height // 4, top, end, min([lower, *floor]))]
    if row:
        band_end = min([label.bottom + 3 * height, *(t - 2 for t in floor if t > label.bottom)])
        areas.append((label.left - height // 4, label.bottom + 2, end, band_end))
    return areas


def _clear(mask: Any, box: tuple[int, int, int, int], pad: int) -> None:
    x0, y0, x1, y1 = box
    rows, cols = mask.shape
    mask[
        max(0, y0 - pad) : max(0, min(rows, y1 + pad)),
        max(0, x0 - pad) : max(0, min(cols, x1 + pad)),
    ] = False


def _runs(mask: Any, length: int, axis: int) -> Any:
    """The pixels of `mask` in an unbroken run of at least `length` along `axis` (1: rows,
    0: columns): ruled lines and table borders, not pen strokes."""
    grid = mask if axis == 1 else mask.T
    count = grid.shape[1]
    if length <= 1 or length > count:
        return np.zeros_like(mask)
    sums = np.zeros((grid.shape[0], count + 1), dtype=np.int32)
    np.cumsum(grid, axis=1, out=sums[:, 1:])
    full = (sums[:, length:] - sums[:, :-length]) == length  # a full window starts at j
    starts = np.zeros((grid.shape[0], full.shape[1] + 1), dtype=np.int32)
    np.cumsum(full, axis=1, out=starts[:, 1:])
    index = np.arange(count)
    high = np.minimum(index, count - length) + 1
    low = np.maximum(index - length + 1, 0)
    covered = (starts[:, high] - starts[:, low]) > 0
    return covered if axis == 1 else covered.T


def _strokes(dark: Any, pen: int) -> Any:
    """The dark pixels that belong to strokes, not to dust: two pixels thick at least, and
    running on through the cells (a fifth of a label high) next to theirs."""
    thick = np.zeros_like(dark)
    thick[:-1, :-1] = dark[:-1, :-1] & dark[1:, :-1] & dark[:-1, 1:] & dark[1:, 1:]
    size = max(3, pen // 5)
    rows, cols = thick.shape[0] // size, thick.shape[1] // size
    if rows < 3 or cols < 3:
        return thick
    cells = thick[: rows * size, : cols * size].reshape(rows, size, cols, size).sum(axis=(1, 3))
    on = cells >= size
    around = np.zeros((rows + 2, cols + 2), dtype=np.int32)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            if dy != 1 or dx != 1:
                around[dy : dy + rows, dx : dx + cols] += on
    kept = on & (around[1:-1, 1:-1] > 0)
    strokes = np.zeros_like(dark)
    strokes[: rows * size, : cols * size] = thick[: rows * size, : cols * size] & np.kron(
        kept, np.ones((size, size), dtype=bool)
    )
    return strokes


def _rules(dark: Any, length: int, axis: int) -> Any:
    """The pixels of ruled lines along `axis` (1: across, 0: down): runs of at least `length`
    once the scan's gaps (three pixels) and tilt (a pixel's step) are bridged, and their
    soft edges."""
    bridged = _grow(_grow(dark, 1 - axis, 1), axis, 3)
    return dark & _grow(_runs(bridged, length, axis), 1 - axis, 1)


def _grow(mask: Any, axis: int, by: int) -> Any:
    """`mask` `by` pixels wider each way along `axis` (0: up and down, 1: sideways)."""
    grown = mask.copy()
    for step in range(1, by + 1):
        if axis == 0:
            grown[step:] |= mask[:-step]
            grown[:-step] |= mask[step:]
        else:
            grown[:, step:] |= mask[:, :-step]
            grown[:, :-step] |= mask[:, step:]
    return grown

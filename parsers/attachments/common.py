"""Small pieces every extractor shares: a character budget, a deadline and error wording.

This module's single job is to make "bounded and never raises" cheap to get right in each
extractor: `TextBudget` collects lines until `max_chars`, `Deadline` answers "is the budget spent?",
`clean_text` strips control characters the libraries leave behind, and `describe_error`
turns a library exception into one short line for `AttachmentText.error`. For the Office
packages, `safe_xml` parses a part with no DTD, no entity expansion and no network, and
`package_relations` lists a part's internal relationships.
"""

from __future__ import annotations

import os
import posixpath
import re
import time
import zipfile
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_MAX_ERROR_CHARS = 160


class TextBudget:
    """Collects text lines and stops at `max_chars`, remembering that it had to stop."""

    def __init__(self, max_chars: int) -> None:
        self._max_chars = max(0, max_chars)
        self._parts: list[str] = []
        self._used = 0
        self.truncated = False

    def add(self, line: str) -> bool:
        """Append one line (a newline is added); False once the budget is spent."""
        if self.truncated:
            return False
        needed = len(line) + (1 if self._parts else 0)
        room = self._max_chars - self._used
        if needed > room:
            self.truncated = True
            if room > 1:
                self._parts.append(line[: room - (1 if self._parts else 0)])
                self._used = self._max_chars
            return False
        self._parts.append(line)
        self._used += needed
        return True

    def text(self) -> str:
        return "\n".join(self._parts)


_LOAD_SLACK = 4.0
"""How much longer than its CPU budget a child process (Tesseract) may take in wall-clock
time: a loaded two-core server gives it a quarter of a core."""


def _cpu_seconds() -> float:
    """CPU time of this process (every thread: OCR reads pages in threads) plus the child
    processes it has waited for (Tesseract). An isolated extraction worker does nothing
    else, so this is the attachment's own cost."""
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


class Deadline:
    """The work one attachment may cost, checked between pages, rows or blocks.

    Counted in CPU seconds, not wall-clock seconds: on a loaded server the same attachment
    still gets the same text, so a verdict never depends on what else the machine was doing
    (a CI run once lost an OCR'd offer to a wall-clock limit). Wall-clock time is bounded
    as well, at `wall_seconds`, for waits that burn no CPU; an isolated worker's hard kill
    (`ExtractionLimits.kill_after_seconds`) stays the last word.
    """

    def __init__(self, seconds: float, wall_seconds: float) -> None:
        self._cpu_end = _cpu_seconds() + max(0.0, seconds)
        self._wall_end = time.monotonic() + max(0.0, wall_seconds)

    def expired(self) -> bool:
        return _cpu_seconds() >= self._cpu_end or time.monotonic() >= self._wall_end

    def remaining(self) -> float:
        """CPU seconds left (0 once the wall-clock bound has passed)."""
        if time.monotonic() >= self._wall_end:
            return 0.0
        return max(0.0, self._cpu_end - _cpu_seconds())

    def child_timeout(self) -> float:
        """Wall-clock seconds a child process may run: the CPU left, stretched for a loaded
        machine, within the wall-clock bound."""
        wall_left = self._wall_end - time.monotonic()
        return max(0.0, min(wall_left, _LOAD_SLACK * self.remaining()))


def join_cells(cells: list[str]) -> str:
    """A table row as 'a | b |  | d': inner empty cells keep their place, outer ones go."""
    filled = [index for index, cell in enumerate(cells) if cell]
    return " | ".join(cells[filled[0] : filled[-1] + 1]) if filled else ""


def clean_text(text: str) -> str:
    """Normalise line ends and drop control characters (NUL, form feed, PDFium markers)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARS.sub("", text)


def describe_error(exc: BaseException) -> str:
    """One short line naming the exception, for reasons no extractor anticipated."""
    message = " ".join(str(exc).split()) or "no details"
    line = f"{type(exc).__name__}: {message}"
    if len(line) > _MAX_ERROR_CHARS:
        line = line[: _MAX_ERROR_CHARS - 1] + "…"
    return line


def megabytes(size: int, *, limit: bool = False) -> str:
    """Decimal megabytes as the limit messages show them: "31.2 MB", a limit as "30 MB"."""
    value = size / 1_000_000
    return f"{value:g} MB" if limit else f"{value:.1f} MB"


_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def safe_xml(data: bytes) -> Any:
    """Parse a part from a sender's package: no DTD loaded, no entity resolved, no network.

    Entity references stay unexpanded nodes (lxml `_Entity`, whose tag is not a string), so
    neither `SYSTEM` entities (local files, URLs) nor nested ones ("billion laughs") ever
    produce text. Raises lxml's XMLSyntaxError on broken XML.
    """
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    return etree.fromstring(data, parser)


def package_relations(archive: zipfile.ZipFile, part: str) -> list[tuple[str, str, str]]:
    """(id, relationship type, zip member name) of `part`'s internal relationships, in order.

    External targets (remote templates, linked images) are left out: nothing is fetched.
    A part without a relationships member has none.
    """
    folder, _, name = part.rpartition("/")
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    try:
        root = safe_xml(archive.read(rels))
    except KeyError:
        return []
    relations = []
    for relation in root.iter(_RELATIONSHIP):
        target = relation.get("Target") or ""
        if relation.get("TargetMode") == "External" or not target:
            continue
        path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
        relations.append(
            (relation.get("Id") or "", relation.get("Type") or "", posixpath.normpath(path))
        )
    return relations

"""What a mail of each category must contain, and which of it is missing.

The rules are data (`bot/data/requirements.toml`); this module only evaluates them
against what triage found: attachment kinds, signals in the text, extracted fields.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.verdict import Category

DEFAULT_REQUIREMENTS_FILE = Path(__file__).parent / "data" / "requirements.toml"
IDENTIFYING = "identifying_variables_requested"
"""The one condition: the mail asks for especially identifying variables."""
CONDITIONS = frozenset({IDENTIFYING})


@dataclass(frozen=True)
class Requirement:
    category: Category
    code: str
    satisfied_by: frozenset[str]
    when: str | None = None


def file_version(path: Path) -> tuple[int, int]:
    """(modified, size) of a data file: what the loaders' caches are keyed by, so a file an
    admin saves while the bot runs is read again (`bot.context.ContextWatch`)."""
    found = path.stat()
    return found.st_mtime_ns, found.st_size


def load_requirements(path: Path = DEFAULT_REQUIREMENTS_FILE) -> tuple[Requirement, ...]:
    """Read and check the requirements file (cached while the file is unchanged)."""
    return _requirements_of(path, *file_version(path))


@cache
def _requirements_of(path: Path, _modified: int, _size: int) -> tuple[Requirement, ...]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    requirements = []
    for item in data["requirement"]:
        when = item.get("when")
        if when is not None and when not in CONDITIONS:
            raise ValueError(f"{path}: unknown condition {when!r} for {item['code']}")
        requirements.append(
            Requirement(
                Category(item["category"]), item["code"], frozenset(item["satisfied_by"]), when
            )
        )
    return tuple(requirements)


def missing_items(
    category: Category,
    present: frozenset[str],
    conditions: frozenset[str],
    requirements: tuple[Requirement, ...],
) -> tuple[str, ...]:
    """Sorted codes the category requires that nothing in `present` satisfies."""
    missing = {
        r.code
        for r in applicable(category, conditions, requirements)
        if not (r.satisfied_by & present)
    }
    return tuple(sorted(missing))


def applicable(
    category: Category, conditions: frozenset[str], requirements: tuple[Requirement, ...]
) -> tuple[Requirement, ...]:
    """The requirements of `category` whose condition (if any) holds."""
    return tuple(
        r
        for r in requirements
        if r.category is category and (r.when is None or r.when in conditions)
    )

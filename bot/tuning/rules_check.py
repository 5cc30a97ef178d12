"""A changed rules file, checked and tried before it is saved.

`check_rules` reads the text with the same loader the bot starts with (`rules_from_text`)
and turns what goes wrong into problems an admin can find: a message and, where it can be
told, the line. `backtest` triages the newest filed mails from their stored bytes twice —
with the rules in force and with the new text — and lists the mails whose category or
missing items would change. Each mail is parsed and its attachments extracted once; only
what the rules decide is done twice. `save_rules` writes the file atomically and keeps the
one it replaces beside it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.durable import write_atomically
from bot.rules import Rules, rules_from_text
from bot.store import Store
from bot.store.tuning import recent_mails
from bot.triage import TriageContext, judge, read_mail, with_rules
from bot.verdict import Verdict

log = logging.getLogger(__name__)
_AT_LINE = re.compile(r"at line (\d+)")
_QUOTED = re.compile(r"'([^']{1,200})'")


@dataclass(frozen=True)
class RulesProblem:
    message: str
    line: int | None = None


def line_of(text: str, needle: str) -> int | None:
    """The 1-based line where `needle` first stands in `text` as a quoted TOML string (or,
    failing that, anywhere)."""
    for candidate in (f'"{needle}"', f"'{needle}'", needle):
        index = text.find(candidate)
        if index >= 0:
            return text.count("\n", 0, index) + 1
    return None


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def check_rules(text: str) -> tuple[Rules | None, list[RulesProblem]]:
    """The rules this text holds, or the problems that keep the bot from loading it."""
    try:
        return rules_from_text(text), []
    except tomllib.TOMLDecodeError as error:
        found = _AT_LINE.search(str(error))
        return None, [RulesProblem(f"TOML: {error}", int(found.group(1)) if found else None)]
    except KeyError as error:
        name = str(error.args[0]) if error.args else "?"
        return None, [RulesProblem(f"a section or key is missing: {name}", line_of(text, name))]
    except re.error as error:
        return None, _pattern_problems(text, error)
    except (ValueError, TypeError, AttributeError) as error:
        quoted = _QUOTED.search(str(error))
        line = line_of(text, quoted.group(1)) if quoted else None
        return None, [RulesProblem(f"{type(error).__name__}: {error}", line)]


def _pattern_problems(text: str, error: re.error) -> list[RulesProblem]:
    """Every string in the file that is not a valid regular expression, with its line; the
    loader's own message when none stands out on its own."""
    data = tomllib.loads(text)
    problems = []
    for value in dict.fromkeys(_strings(data)):
        try:
            re.compile(value)
        except re.error as own:
            problems.append(
                RulesProblem(f"regular expression {value!r}: {own}", line_of(text, value))
            )
    return problems or [RulesProblem(f"regular expression: {error}")]


# --- the backtest ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One filed mail whose verdict the new rules would change."""

    ticket_id: int
    mail_id: int
    subject: str
    category_before: str
    category_after: str
    missing_before: tuple[str, ...]
    missing_after: tuple[str, ...]

    @property
    def category_changed(self) -> bool:
        return self.category_before != self.category_after

    @property
    def missing_added(self) -> tuple[str, ...]:
        return tuple(c for c in self.missing_after if c not in self.missing_before)

    @property
    def missing_removed(self) -> tuple[str, ...]:
        return tuple(c for c in self.missing_before if c not in self.missing_after)


@dataclass(frozen=True)
class Backtest:
    tried: int
    changes: tuple[Change, ...]
    unreadable: int = 0
    """Mails whose bytes are gone (purged, personal data deleted)."""
    failed: int = 0
    """Mails on which triage crashed (with the rules in force or the new ones)."""


def difference(
    ticket_id: int, mail_id: int, subject: str, before: Verdict, after: Verdict
) -> Change | None:
    """The change between two verdicts on one mail, or None when category and missing items
    stay the same."""
    if before.category == after.category and before.missing == after.missing:
        return None
    return Change(
        ticket_id,
        mail_id,
        subject,
        before.category.value,
        after.category.value,
        tuple(before.missing),
        tuple(after.missing),
    )


def backtest(
    store: Store,
    now: TriageContext,
    new_rules: Rules,
    limit: int,
    *,
    progress: Callable[[int, int], None] = lambda done, total: None,
    stopped: Callable[[], bool] = lambda: False,
) -> Backtest:
    """The newest `limit` filed mails (not second deliveries) triaged with `now`'s rules and
    with `new_rules`, the same model for both. `progress(done, total)` after each mail;
    `stopped()` ends the run early (BacktestStoppedError)."""
    changed, tried, unreadable, failed = [], 0, 0, 0
    proposed = dataclasses.replace(now, rules=new_rules)
    mails = recent_mails(store, limit)
    for index, mail in enumerate(mails):
        if stopped():
            raise BacktestStoppedError(f"stopped after {index} of {len(mails)} mails")
        progress(index, len(mails))
        try:
            raw = store.raw_mail.get(mail.sha256)
        except OSError:
            unreadable += 1
            continue
        tried += 1
        try:
            read = read_mail(raw, now)
            before = judge(read, mail.source_key, now)
            after = judge(with_rules(read, new_rules), mail.source_key, proposed)
        except Exception:
            log.exception("backtest: mail %s could not be triaged", mail.id)
            failed += 1
            continue
        change = difference(mail.ticket_id, mail.id, mail.subject, before, after)
        if change is not None:
            changed.append(change)
    progress(len(mails), len(mails))
    return Backtest(tried, tuple(changed), unreadable, failed)


class BacktestStoppedError(Exception):
    """A backtest given up (a newer test of the same rules page replaced it)."""


# --- saving ---------------------------------------------------------------------------------


def save_rules(path: Path, text: str, now: datetime | None = None) -> Path | None:
    """Write `text` to the rules file atomically (a crash leaves the old file or the new
    one), keeping the file it replaces as `<name>.<UTC time>.bak` beside it. Returns that
    backup's path (None when there was no file). The file keeps its permissions."""
    stamp = f"{(now or datetime.now(UTC)).astimezone(UTC):%Y%m%dT%H%M%SZ}"
    backup = None
    mode = None
    if path.exists():
        mode = path.stat().st_mode & 0o777
        backup = path.with_name(f"{path.name}.{stamp}.bak")
        write_atomically(backup, path.read_bytes())
    write_atomically(path, text.encode("utf-8"))
    if mode is not None:
        os.chmod(path, mode)
    return backup

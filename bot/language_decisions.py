"""Public bodies whose language decision (språkvedtak) is nynorsk: they get SSB's letters in
nynorsk even when the person who wrote used bokmål (språklova § 15 and
språkvedtaksforskrifta). The list is data an admin keeps, `bot/data/language_decisions.toml`,
matched by organisation number or by the sender's mail domain.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DEFAULT_FILE = Path(__file__).parent / "data" / "language_decisions.toml"


@dataclass(frozen=True)
class LanguageDecisions:
    """Nynorsk bodies by organisation number and by mail domain (lower case)."""

    by_organization_number: dict[str, str] = field(default_factory=dict)
    by_domain: dict[str, str] = field(default_factory=dict)

    def nynorsk_body(self, organization_number: str | None, sender: str | None) -> str | None:
        """The name of the nynorsk body the mail comes from, or None."""
        if organization_number and organization_number in self.by_organization_number:
            return self.by_organization_number[organization_number]
        domain = (sender or "").rpartition("@")[2].strip().lower()
        while domain:
            if domain in self.by_domain:
                return self.by_domain[domain]
            _, _, domain = domain.partition(".")  # seksjon.volda.kommune.no → volda.kommune.no
            if domain.count(".") < 1:
                break
        return None


@cache
def load_language_decisions(path: Path = DEFAULT_FILE) -> LanguageDecisions:
    """Read the list; every entry names the body and at least a number or a domain."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    by_number: dict[str, str] = {}
    by_domain: dict[str, str] = {}
    for entry in data.get("body", []):
        name = str(entry["name"])
        if str(entry.get("standard", "nynorsk")).lower() != "nynorsk":
            continue
        numbers = entry.get("organization_numbers") or (
            [entry["organization_number"]] if entry.get("organization_number") else []
        )
        domains = entry.get("domains") or ([entry["domain"]] if entry.get("domain") else [])
        if not numbers and not domains:
            raise ValueError(f"{path}: {name} needs an organisation number or a domain")
        for number in numbers:
            by_number[str(number).replace(" ", "")] = name
        for domain in domains:
            by_domain[str(domain).strip().lower()] = name
    return LanguageDecisions(by_number, by_domain)

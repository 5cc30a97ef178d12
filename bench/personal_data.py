"""The personal-data scan (issue #11): a 20 MB CSV costs one pass over its text.

Three timings over the same text: the floor, a plain `re.finditer(r"\\d{11}")` that only
finds eleven-digit runs; `parsers.national_id.scan`, which in its one pass also validates
each distinct number, applies the account/KID context rule and writes the masked text;
and the whole extraction of the file as the bot does it (decode, bounded text, the count
over all of it, masking).
"""

from __future__ import annotations

import random
import re
from typing import Any

from bench.common import best_of, log

FIRST = (3, 7, 6, 1, 8, 9, 4, 5, 2)
SECOND = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _valid_ids(count: int, seed: int = 6) -> list[str]:
    chance = random.Random(seed)
    found: list[str] = []
    while len(found) < count:
        date = f"{chance.randint(1, 28):02d}{chance.randint(1, 12):02d}{chance.randint(0, 99):02d}"
        digits = [int(c) for c in f"{date}{chance.randint(0, 999):03d}"]
        first = (11 - sum(w * d for w, d in zip(FIRST, digits, strict=False)) % 11) % 11
        second = (11 - sum(w * d for w, d in zip(SECOND, [*digits, first], strict=False)) % 11) % 11
        if first < 10 and second < 10:
            found.append("".join(map(str, digits)) + f"{first}{second}")
    return found


def csv_text(megabytes: int) -> str:
    """A register extract: fødselsnummer, municipality, amounts, a free-text column."""
    ids = _valid_ids(50_000)
    chance = random.Random(7)
    rows = ["fodselsnummer;kommunenr;inntekt;trygd;merknad"]
    size = len(rows[0])
    while size < megabytes * 1_000_000:
        row = (
            f"{chance.choice(ids)};{chance.randint(301, 5444):04d};{chance.randint(0, 2_000_000)};"
            f"{chance.randint(0, 300_000)};kontrollert {chance.randint(2015, 2024)}"
        )
        rows.append(row)
        size += len(row) + 1
    return "\n".join(rows)


def run(quick: bool) -> dict[str, Any]:
    from parsers.attachments import ExtractionLimits, extract_attachment
    from parsers.national_id import scan

    megabytes = 2 if quick else 20
    repeat = 2 if quick else 3
    text = csv_text(megabytes)
    payload = text.encode("utf-8")
    eleven = re.compile(r"\d{11}")

    def floor() -> int:
        return sum(1 for _ in eleven.finditer(text))

    found = scan(text)
    limits = ExtractionLimits(max_bytes=200_000_000, max_seconds=600)
    extracted = extract_attachment("uttrekk.csv", "text/csv", payload, limits)
    floor_s = best_of(repeat, floor)
    scan_s = best_of(repeat, lambda: scan(text))
    extract_s = best_of(repeat, lambda: extract_attachment("u.csv", "text/csv", payload, limits))
    result = {
        "megabytes": len(payload) / 1e6,
        "rows": text.count("\n"),
        "distinct_ids": found.count,
        "extraction_count": extracted.national_ids,
        "floor_seconds": floor_s,
        "scan_seconds": scan_s,
        "extract_seconds": extract_s,
        "scan_over_floor": scan_s / floor_s,
        "extract_over_floor": extract_s / floor_s,
    }
    log(
        f"personal data: {result['megabytes']:.0f} MB CSV, {found.count} distinct IDs; floor "
        f"{floor_s:.2f} s, scan {scan_s:.2f} s ({scan_s / floor_s:.1f}×), whole extraction "
        f"{extract_s:.2f} s ({extract_s / floor_s:.1f}×)"
    )
    return result

"""National ID numbers in one attachment: counted over the whole file, masked in what is kept.

This module's single job is to run `parsers.national_id.scan` over everything an
extractor read of a file — its text (for a CSV or TXT the whole decoded file, not only the
part kept under `max_chars`), its form answers and ticked rows — and hand back the
`AttachmentText` with every number masked and the distinct count recorded. It runs inside
the extraction worker, so the numbers never leave it: only masked text and counts do.
"""

from __future__ import annotations

import dataclasses

from parsers.attachments import AttachmentText
from parsers.national_id import mask_national_ids, scan


def set_apart(result: AttachmentText, payload: bytes) -> AttachmentText:
    """`result` with IDs masked, and `national_ids` set to the distinct count (if any)."""
    # Excel drops an ID's leading zero, in the workbook and in a CSV it saves.
    zero_lost = result.format == "xlsx" or result.filename.lower().endswith((".csv", ".tsv"))
    text = scan(result.text, lost_leading_zero=zero_lost)
    answers = [
        (scan(f.label, lost_leading_zero=zero_lost), scan(f.value, lost_leading_zero=zero_lost))
        for f in result.form_fields
    ]
    rows = [scan(row, lost_leading_zero=zero_lost) for row in result.selected_rows]
    # An answer is read after its question: "Kontonummer: 1507…" is an account, not an ID.
    in_context = [
        scan(f"{f.label}: {f.value}", lost_leading_zero=zero_lost) for f in result.form_fields
    ]
    name = scan(result.filename)  # "01019012345_utvalg.csv" happens: the name counts too
    found = set(text.found | name.found).union(*(a.found for a in in_context))
    if result.format == "text" and result.truncated:  # cut at max_chars: count all of it
        from parsers.attachments.text import decode

        whole = decode(payload, len(payload))[0]
        found |= scan(whole, lost_leading_zero=zero_lost, mask=False).found
    acceptance = result.acceptance  # its evidence quotes a line ("Signert av … <fnr>")
    if acceptance is not None:
        acceptance = dataclasses.replace(
            acceptance, evidence=mask_national_ids(acceptance.evidence)
        )
    changed = (
        text.masked != result.text
        or name.masked != result.filename
        or acceptance != result.acceptance
        or any(
            label.masked != f.label or value.masked != f.value
            for f, (label, value) in zip(result.form_fields, answers, strict=True)
        )
    )
    if not found and not changed and not result.error:
        return result
    return dataclasses.replace(
        result,
        filename=name.masked,
        text=text.masked,
        form_fields=tuple(
            dataclasses.replace(f, label=label.masked, value=value.masked)
            for f, (label, value) in zip(result.form_fields, answers, strict=True)
        ),
        selected_rows=tuple(r.masked for r in rows),
        acceptance=acceptance,
        error=mask_national_ids(result.error) if result.error else None,
        national_ids=((name.masked, len(found)),) if found else (),
    )

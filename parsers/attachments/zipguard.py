"""Zip-bomb guard for Office Open XML files (DOCX and XLSX are zip packages).

This module's single job is to look at a zip's central directory, before the DOCX or XLSX
reader decompresses anything, and refuse packages that would expand far beyond what a real
application document needs. The declared sizes can be trusted as upper bounds because
CPython's `zipfile` never inflates a member past its declared `file_size` (it stops there
and fails the CRC check), and both readers take members through `zipfile`.

Chosen limits (one place, documented here):

* total uncompressed size at most ``EXPANSION_LIMIT`` × ``limits.max_bytes`` (300 MB with the
  default 30 MB) — XML compresses about 5-20×, so a real package stays far below this;
* any member larger than ``RATIO_FLOOR_BYTES`` (1 MB) may not compress better than
  ``MAX_RATIO`` (100:1) — real XML in the corpora tops out near 45:1, a run of zeros is ~1000:1;
* at most ``MAX_MEMBERS`` entries (a 1,024-sheet workbook has about 1,030).
"""

from __future__ import annotations

import io
import zipfile
import zlib

from parsers.attachments import ExtractionLimits
from parsers.attachments.common import describe_error, megabytes

EXPANSION_LIMIT = 10
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 1_000_000
MAX_MEMBERS = 10_000


def zip_problem(payload: bytes, limits: ExtractionLimits, kind: str) -> str | None:
    """Why this package must not be opened (an error line naming `kind`), or None if safe."""
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        return f"not a valid {kind} (not a zip file)"
    except Exception as exc:  # e.g. NotImplementedError for a garbled version field
        return f"damaged {kind}: unreadable zip directory ({describe_error(exc)})"
    if len(members) > MAX_MEMBERS:
        return f"refused {kind}: {len(members)} zip entries > {MAX_MEMBERS} limit"
    budget = EXPANSION_LIMIT * limits.max_bytes
    total = 0
    for member in members:
        total += member.file_size
        if total > budget:
            return (
                f"refused {kind} (zip bomb?): expands to over {megabytes(total)}"
                f" > {megabytes(budget, limit=True)} limit"
            )
        packed = max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR_BYTES and member.file_size / packed > MAX_RATIO:
            return (
                f"refused {kind} (zip bomb?): {member.filename} expands"
                f" {member.file_size // packed}:1 to {megabytes(member.file_size)}"
            )
    return None


def zip_damage(exc: BaseException, kind: str) -> str | None:
    """An error line when `exc` means corrupt zip data inside the package, else None."""
    if isinstance(exc, zlib.error | zipfile.BadZipFile | NotImplementedError | EOFError):
        return f"damaged {kind}: corrupt zip data ({describe_error(exc)})"
    return None

"""Logging set-up shared by every mikrobot process: one format, and no national ID in any line.

A log line may quote a subject, a file name or an exception's text, and any of them can
hold a national ID number someone sent by mistake. The formatter masks the finished line
(traceback included), so no call site has to remember to.
"""

from __future__ import annotations

import logging
import sys

from parsers.national_id import mask_national_ids


class MaskingFormatter(logging.Formatter):
    """A formatter whose output shows national IDs only masked (`010190*****`)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_national_ids(super().format(record))


def configure_logging(level: int, format: str) -> None:
    """Log to stderr at `level` through the masking formatter (like `logging.basicConfig`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(MaskingFormatter(format))
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(handler)
        root.setLevel(level)

"""Attachment previews for the ticket page: which files get one, their bounds, and a cache.

A preview is a PNG made by the isolated extraction worker from a PDF page or an image
(`parsers/attachments/preview.py`); the web process never decodes the file itself and never
serves the original bytes inline. The personal-data rule of downloads holds here too, and
more strictly: a file that holds national IDs is previewed to nobody, admin or not (an
admin downloads it with a reason, logged; a preview is not logged, so it is not offered).

Rendered pages are cached on disk (`web.preview_cache_dir`), keyed by the file's SHA-256,
the page and the bounds, so a second look costs a file read. The cache only ever holds
pages of files without national IDs, and an entry older than `web.preview_cache_hours` is
deleted (checked at most every few minutes, when a page is written), so pages of a mail
that is purged or deleted do not outlive it by more than that.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bot.settings import Settings
from parsers.attachments.isolation import render_preview_isolated
from parsers.attachments.preview import (
    PreviewFailure,
    PreviewImage,
    PreviewLimits,
    PreviewProblem,
    PreviewResult,
)

log = logging.getLogger(__name__)
PRUNE_EVERY_SECONDS: Final = 300.0
MAX_CONCURRENT_RENDERS: Final = 2


def preview_limits(settings: Settings) -> PreviewLimits:
    """The bounds of one preview, from the web settings and the attachment limits."""
    web, limits = settings.web, settings.limits
    return PreviewLimits(
        max_pages=web.preview_pages,
        max_width=web.preview_max_width,
        max_height=web.preview_max_height,
        max_pixels=web.preview_max_pixels,
        max_bytes=limits.max_attachment_bytes,
        max_memory_mb=limits.max_worker_memory_mb,
        kill_after_seconds=limits.kill_extraction_after_seconds,
    )


def cache_dir(settings: Settings) -> Path:
    """`web.preview_cache_dir`, or `previews/` beside the raw mail folder."""
    return settings.web.preview_cache_dir or settings.raw_mail_dir.parent / "previews"


@dataclass(frozen=True)
class CachedPage:
    """Where one page's PNG lives in the cache, and its sidecar with the page counts."""

    png: Path
    meta: Path


class PreviewCache:
    """Rendered pages on disk: written atomically, read back whole, pruned by age."""

    def __init__(self, root: Path, max_age_hours: float) -> None:
        self.root = root
        self.max_age_seconds = max_age_hours * 3600
        self._lock = threading.Lock()
        self._pruned_at = 0.0

    def place(self, digest: str, page: int, limits: PreviewLimits) -> CachedPage:
        bounds = hashlib.sha256(limits.key().encode()).hexdigest()[:12]
        stem = self.root / digest[:2] / f"{digest}-{bounds}-{page}"
        return CachedPage(stem.with_suffix(".png"), stem.with_suffix(".json"))

    def get(self, digest: str, page: int, limits: PreviewLimits) -> PreviewImage | None:
        if self.max_age_seconds <= 0:
            return None
        where = self.place(digest, page, limits)
        try:
            if time.time() - where.png.stat().st_mtime > self.max_age_seconds:
                return None
            meta = json.loads(where.meta.read_text(encoding="utf-8"))
            png = where.png.read_bytes()
            return PreviewImage(
                png,
                page,
                int(meta["pages"]),
                int(meta["total_pages"]),
                int(meta["width"]),
                int(meta["height"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent, half-written by a crash, or from an older layout

    def put(self, digest: str, image: PreviewImage, limits: PreviewLimits) -> None:
        """Store a page (a failure to write is logged: the page was still served)."""
        if self.max_age_seconds <= 0:
            return
        where = self.place(digest, image.page, limits)
        meta = {
            "pages": image.pages,
            "total_pages": image.total_pages,
            "width": image.width,
            "height": image.height,
        }
        try:
            where.png.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(where.meta, json.dumps(meta).encode())
            _write_atomically(where.png, image.png)
        except OSError:
            log.warning("could not cache a preview page in %s", where.png.parent, exc_info=True)
        self.prune()

    def prune(self, *, now: float | None = None, force: bool = False) -> int:
        """Delete entries older than the cache's age; returns how many files went."""
        now = time.time() if now is None else now
        with self._lock:
            if not force and now - self._pruned_at < PRUNE_EVERY_SECONDS:
                return 0
            self._pruned_at = now
        removed = 0
        if not self.root.is_dir():
            return 0
        for folder in self.root.iterdir():
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                try:
                    if now - path.stat().st_mtime > self.max_age_seconds:
                        path.unlink()
                        removed += 1
                except OSError:
                    continue  # another process pruned it first
        return removed


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    temporary.write_bytes(data)
    os.replace(temporary, path)


@dataclass(frozen=True)
class Previewer:
    """Renders pages in the isolated worker, through the cache, at most
    `MAX_CONCURRENT_RENDERS` at a time (each takes a worker with its own memory limit; the
    web server's threads must not start one each)."""

    limits: PreviewLimits
    cache: PreviewCache
    renders: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(MAX_CONCURRENT_RENDERS)
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> Previewer:
        return cls(
            preview_limits(settings),
            PreviewCache(cache_dir(settings), settings.web.preview_cache_hours),
        )

    def page(self, payload: bytes, page: int) -> PreviewResult:
        """Page `page` (1-based) of the file as PNG, or why not; never raises."""
        digest = hashlib.sha256(payload).hexdigest()
        cached = self.cache.get(digest, page, self.limits)
        if cached is not None:
            return cached
        if not self.renders.acquire(timeout=self.limits.kill_after_seconds):
            return PreviewFailure(PreviewProblem.TIMED_OUT, "every preview worker was busy")
        try:
            result = render_preview_isolated(payload, page, self.limits)
        finally:
            self.renders.release()
        if isinstance(result, PreviewImage):
            self.cache.put(digest, result, self.limits)
        else:
            log.info("no preview of page %d: %s %s", page, result.problem, result.detail)
        return result

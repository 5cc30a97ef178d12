"""One page of an attachment as a PNG for people to look at: bounded, re-encoded, never raises.

A caseworker wants to see a scanned offer or an application form without downloading it.
The original bytes are never shown inline (a PDF viewer or an image decoder in the browser
is a large attack surface, and an SVG or HTML "image" is active content), so a preview is
always a fresh PNG made here from pixels only:

- a PDF page is rendered by PDFium (pypdfium2) at a scale that keeps the image within
  `max_width` × `max_height` and `max_pixels`;
- an image (PNG, JPEG, GIF, TIFF, WebP; Pillow opens no other format here) is decoded,
  turned upright by its EXIF orientation, shrunk to the same bounds and written as PNG
  without its metadata. A TIFF's pages are pages; a GIF shows its first frame.

Only the first `max_pages` pages can be previewed, a file over `max_bytes` or an image over
`max_source_pixels` (a decompression bomb) is refused before decoding, and any failure of
the libraries becomes a `PreviewFailure` with a `PreviewProblem` the page explains in
words. This module is pure (bytes in, bytes out); the bot runs it in the isolated
extraction worker (`isolation.render_preview_isolated`), never in the web process.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps

PreviewFormat = Literal["pdf", "image"]
IMAGE_FORMATS: Final = ("PNG", "JPEG", "GIF", "TIFF", "WEBP")
"""The Pillow decoders a preview may use; everything else (SVG, EPS, PSD …) is refused."""
_MAGIC: Final = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF87a", "image"),
    (b"GIF89a", "image"),
    (b"II*\x00", "image"),
    (b"MM\x00*", "image"),
)


class PreviewProblem(StrEnum):
    """Why a page cannot be shown; the web page says it in words."""

    UNSUPPORTED = "unsupported"
    """Not a PDF or one of `IMAGE_FORMATS` (by its bytes, whatever its name says)."""
    ENCRYPTED = "encrypted"
    DAMAGED = "damaged"
    TOO_LARGE = "too_large"
    """Over `max_bytes`, or an image over `max_source_pixels`."""
    NO_SUCH_PAGE = "no_such_page"
    """A page the file does not have, or beyond `max_pages`."""
    TIMED_OUT = "timed_out"
    FAILED = "failed"
    """The worker crashed or ran out of memory."""


@dataclass(frozen=True)
class PreviewLimits:
    """Bounds on one preview; the bot builds these from its settings."""

    max_pages: int = 10
    """Only pages 1 … max_pages can be previewed."""
    max_width: int = 1400
    max_height: int = 2000
    max_pixels: int = 2_000_000
    """Pixels of one rendered page (about A4 at 120 dpi)."""
    max_scale: float = 2.0
    """A PDF page is never drawn larger than 144 dpi, however small it is."""
    max_bytes: int = 30_000_000
    max_source_pixels: int = 60_000_000
    """An image larger than this is not decoded at all (a decompression bomb)."""
    max_memory_mb: int = 1024
    """Address-space limit of the worker that renders."""
    kill_after_seconds: float = 20.0
    """Wall-clock limit of one page, enforced from outside the worker."""

    def key(self) -> str:
        """What the image depends on besides the file and page (a cache key part)."""
        return (
            f"{self.max_width}x{self.max_height}-{self.max_pixels}-{self.max_scale:g}"
            f"-{self.max_source_pixels}"
        )


@dataclass(frozen=True)
class PreviewImage:
    png: bytes
    page: int
    """1-based."""
    pages: int
    """Pages that can be previewed: the file's pages, at most `max_pages`."""
    total_pages: int
    """The file's own page count."""
    width: int
    height: int


@dataclass(frozen=True)
class PreviewFailure:
    problem: PreviewProblem
    detail: str = ""
    """A short technical note for the log, never shown to the caseworker as the message."""


PreviewResult = PreviewImage | PreviewFailure


def preview_format(payload: bytes) -> PreviewFormat | None:
    """What the bytes are, for a preview: a PDF, an image Pillow may open, or neither."""
    head = payload[:16]
    if b"%PDF-" in payload[:1024]:
        return "pdf"
    for magic, found in _MAGIC:
        if head.startswith(magic):
            return "pdf" if found == "pdf" else "image"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image"
    return None


def fit_scale(width_pt: float, height_pt: float, limits: PreviewLimits) -> float:
    """The largest scale (pixels per PDF point) at which the page stays within every bound."""
    if width_pt <= 0 or height_pt <= 0:
        return 0.0
    scale = min(
        limits.max_scale,
        limits.max_width / width_pt,
        limits.max_height / height_pt,
        math.sqrt(limits.max_pixels / (width_pt * height_pt)),
    )
    # PDFium rounds a bitmap's sides up: leave room for a pixel on each.
    while scale > 0 and _pixels(width_pt, height_pt, scale) > limits.max_pixels:
        scale *= 0.999
    return scale


def _pixels(width_pt: float, height_pt: float, scale: float) -> int:
    return math.ceil(width_pt * scale) * math.ceil(height_pt * scale)


def fit_size(width: int, height: int, limits: PreviewLimits) -> tuple[int, int]:
    """An image's size shrunk (never enlarged) to fit every bound, keeping its shape."""
    scale = min(
        1.0,
        limits.max_width / max(width, 1),
        limits.max_height / max(height, 1),
        math.sqrt(limits.max_pixels / max(width * height, 1)),
    )
    return max(1, int(width * scale)), max(1, int(height * scale))


def render_preview(payload: bytes, page: int, limits: PreviewLimits) -> PreviewResult:
    """Page `page` (1-based) of the file as PNG, within `limits`; never raises."""
    if len(payload) > limits.max_bytes:
        return PreviewFailure(PreviewProblem.TOO_LARGE, f"{len(payload)} bytes")
    if page < 1 or page > limits.max_pages:
        return PreviewFailure(PreviewProblem.NO_SUCH_PAGE, f"page {page}")
    found = preview_format(payload)
    if found is None:
        return PreviewFailure(PreviewProblem.UNSUPPORTED)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # library warnings must not become errors here
            if found == "pdf":
                return _render_pdf(payload, page, limits)
            return _render_image(payload, page, limits)
    except MemoryError:
        return PreviewFailure(PreviewProblem.FAILED, "out of memory")
    except Image.DecompressionBombError as error:  # Pillow's own bound, above ours
        return PreviewFailure(PreviewProblem.TOO_LARGE, str(error)[:200])
    except Exception as error:  # a library's own failure on hostile bytes
        return PreviewFailure(PreviewProblem.DAMAGED, f"{type(error).__name__}: {error}"[:200])


def _render_pdf(payload: bytes, page: int, limits: PreviewLimits) -> PreviewResult:
    try:
        document = pdfium.PdfDocument(payload, password=None)  # the empty password, as pdf.py
    except pdfium.PdfiumError as error:
        code = getattr(error, "err_code", None)
        encrypted = code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY)
        problem = PreviewProblem.ENCRYPTED if encrypted else PreviewProblem.DAMAGED
        return PreviewFailure(problem, str(error)[:200])
    try:
        total = len(document)
        if total == 0:
            return PreviewFailure(PreviewProblem.DAMAGED, "no pages")
        if page > total:
            return PreviewFailure(PreviewProblem.NO_SUCH_PAGE, f"page {page} of {total}")
        pdf_page = document[page - 1]
        try:
            width_pt, height_pt = pdf_page.get_size()
            scale = fit_scale(width_pt, height_pt, limits)
            if scale <= 0:
                return PreviewFailure(PreviewProblem.DAMAGED, "page without size")
            bitmap = pdf_page.render(scale=scale, may_draw_forms=True)
            try:
                image = bitmap.to_pil()
                png = _png(image)
                width, height = image.size
            finally:
                bitmap.close()
        finally:
            pdf_page.close()
    finally:
        document.close()
    return PreviewImage(png, page, min(total, limits.max_pages), total, width, height)


def _render_image(payload: bytes, page: int, limits: PreviewLimits) -> PreviewResult:
    with Image.open(io.BytesIO(payload), formats=list(IMAGE_FORMATS)) as image:
        width, height = image.size
        if width * height > limits.max_source_pixels:
            return PreviewFailure(PreviewProblem.TOO_LARGE, f"{width}x{height}")
        # A TIFF's pages are pages; a GIF's or WebP's frames are an animation: one page.
        total = _tiff_pages(image, limits.max_pages) if image.format == "TIFF" else 1
        if page > total:
            return PreviewFailure(PreviewProblem.NO_SUCH_PAGE, f"page {page} of {total}")
        image.seek(page - 1)
        target = fit_size(*image.size, limits)
        if image.format == "JPEG":
            image.draft("RGB", target)  # decode at a fraction of the size where it can
        upright = ImageOps.exif_transpose(image)
        if upright.width * upright.height > limits.max_source_pixels:
            return PreviewFailure(PreviewProblem.TOO_LARGE, f"{upright.width}x{upright.height}")
        pixels = _displayable(upright)
        pixels.thumbnail(fit_size(*pixels.size, limits), Image.Resampling.LANCZOS)
        return PreviewImage(_png(pixels), page, total, total, pixels.width, pixels.height)


def _tiff_pages(image: Image.Image, cap: int) -> int:
    """A TIFF's page count, counted no further than `cap` (a file may claim thousands)."""
    count = 0
    try:
        while count < cap:
            image.seek(count)
            count += 1
    except EOFError:
        pass
    image.seek(0)
    return max(count, 1)


def _displayable(image: Image.Image) -> Image.Image:
    """The image in a mode PNG keeps as people see it (no CMYK, 16-bit or float modes)."""
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image.copy()
    if image.mode == "P":
        return image.convert("RGBA")
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return image.point(lambda value: value / 256).convert("L")
    return image.convert("RGB")


def _png(image: Image.Image) -> bytes:
    """Pixels only: no text chunks, EXIF or ICC profile carried over from the source."""
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()

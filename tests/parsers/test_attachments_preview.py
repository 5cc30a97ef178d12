"""Attachment previews, pure: a PDF page or an image in, a bounded PNG of pixels out, and a
named problem (never an exception) for what cannot be drawn (issue #12 §4)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from fpdf import FPDF
from PIL import Image

from parsers.attachments.isolation import render_preview_isolated
from parsers.attachments.preview import (
    PreviewFailure,
    PreviewImage,
    PreviewLimits,
    PreviewProblem,
    fit_scale,
    preview_format,
    render_preview,
)

LIMITS = PreviewLimits()


def pdf_of(pages: int, *, size: tuple[float, float] = (210, 297)) -> bytes:
    pdf = FPDF(unit="mm", format=size)
    pdf.set_font("helvetica", size=20)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(text=f"Side {number}")
    return bytes(pdf.output())


def image_of(mode: str, size: tuple[int, int], fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "red" if mode in ("RGB", "RGBA") else 128).save(out, fmt, **options)
    return out.getvalue()


def decoded(result: object) -> Image.Image:
    assert isinstance(result, PreviewImage), result
    image = Image.open(io.BytesIO(result.png))
    assert image.format == "PNG"
    assert image.size == (result.width, result.height)
    return image


def test_a_pdf_page_is_drawn_as_a_png_within_the_width_height_and_pixel_bounds() -> None:
    result = render_preview(pdf_of(3), 2, LIMITS)
    image = decoded(result)
    assert isinstance(result, PreviewImage)
    assert (result.page, result.pages, result.total_pages) == (2, 3, 3)
    assert image.width <= LIMITS.max_width and image.height <= LIMITS.max_height
    assert image.width * image.height <= LIMITS.max_pixels
    assert image.width > 800  # an A4 page is drawn large enough to read
    assert image.getextrema() != ((255, 255),) * len(image.getbands())  # something is drawn


def test_a_huge_pdf_page_is_scaled_down_and_a_tiny_one_is_not_blown_up() -> None:
    huge = decoded(render_preview(pdf_of(1, size=(5000, 5000)), 1, LIMITS))
    assert huge.width * huge.height <= LIMITS.max_pixels
    tiny = decoded(render_preview(pdf_of(1, size=(20, 10)), 1, LIMITS))
    points = 20 / 25.4 * 72
    assert tiny.width <= round(points * LIMITS.max_scale) + 1


def test_only_the_first_max_pages_of_a_long_pdf_can_be_previewed() -> None:
    long = pdf_of(12)
    first = render_preview(long, 1, LIMITS)
    assert isinstance(first, PreviewImage)
    assert (first.pages, first.total_pages) == (10, 12)
    assert isinstance(render_preview(long, 10, LIMITS), PreviewImage)
    beyond = render_preview(long, 11, LIMITS)
    assert isinstance(beyond, PreviewFailure) and beyond.problem is PreviewProblem.NO_SUCH_PAGE
    missing = render_preview(pdf_of(2), 3, LIMITS)
    assert isinstance(missing, PreviewFailure) and missing.problem is PreviewProblem.NO_SUCH_PAGE
    zero = render_preview(long, 0, LIMITS)
    assert isinstance(zero, PreviewFailure) and zero.problem is PreviewProblem.NO_SUCH_PAGE


def test_an_encrypted_pdf_is_named_encrypted() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="hemmelig")
    pdf.set_encryption(owner_password="eier", user_password="bruker")
    result = render_preview(bytes(pdf.output()), 1, LIMITS)
    assert isinstance(result, PreviewFailure) and result.problem is PreviewProblem.ENCRYPTED


@pytest.mark.parametrize(
    "payload",
    [
        pdf_of(2)[:400],  # truncated
        b"%PDF-1.7\n" + bytes(range(256)) * 40,  # a header and noise
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>",
    ],
    ids=["truncated", "noise", "no-pages"],
)
def test_a_damaged_pdf_is_named_damaged_and_never_raises(payload: bytes) -> None:
    result = render_preview(payload, 1, LIMITS)
    assert isinstance(result, PreviewFailure) and result.problem is PreviewProblem.DAMAGED


@pytest.mark.parametrize(
    ("mode", "fmt", "options"),
    [
        ("RGB", "JPEG", {}),
        ("RGBA", "PNG", {}),
        ("P", "GIF", {}),
        ("CMYK", "TIFF", {"compression": "tiff_lzw"}),
        ("I;16", "PNG", {}),
        ("RGB", "WEBP", {}),
    ],
)
def test_every_image_kind_is_re_encoded_as_a_bounded_png(
    mode: str, fmt: str, options: dict[str, object]
) -> None:
    image = decoded(render_preview(image_of(mode, (1600, 2400), fmt, **options), 1, LIMITS))
    assert image.width <= LIMITS.max_width and image.height <= LIMITS.max_height
    assert image.width * image.height <= LIMITS.max_pixels
    assert image.mode in ("RGB", "RGBA", "L", "LA")
    assert abs(image.width / image.height - 1600 / 2400) < 0.01  # the shape is kept


def test_a_small_image_is_not_enlarged_and_its_metadata_is_not_carried_over() -> None:
    exif = Image.Exif()
    exif[0x010E] = "Kari Nordmann, fnr i bildeteksten"  # ImageDescription
    source = image_of("RGB", (300, 200), "JPEG", exif=exif.tobytes())
    result = render_preview(source, 1, LIMITS)
    image = decoded(result)
    assert image.size == (300, 200)
    assert not image.getexif() and not image.info.get("exif")
    assert b"Kari" not in result.png if isinstance(result, PreviewImage) else False


def test_a_photo_is_turned_upright_by_its_exif_orientation() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    source = image_of("RGB", (400, 200), "JPEG", exif=exif.tobytes())
    assert decoded(render_preview(source, 1, LIMITS)).size == (200, 400)


def test_a_tiffs_pages_are_pages_and_a_gifs_frames_are_one_page() -> None:
    out = io.BytesIO()
    frames = [Image.new("L", (100, 100), shade) for shade in (0, 128, 255)]
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:])
    second = render_preview(out.getvalue(), 2, LIMITS)
    assert isinstance(second, PreviewImage) and (second.pages, second.total_pages) == (3, 3)
    assert decoded(second).getpixel((50, 50)) == 128
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:])
    one = render_preview(gif.getvalue(), 1, LIMITS)
    assert isinstance(one, PreviewImage) and one.pages == 1
    assert isinstance(render_preview(gif.getvalue(), 2, LIMITS), PreviewFailure)


def png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a size no pixel data backs: a decompression bomb's shape."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )


@pytest.mark.parametrize("size", [(100_000, 100_000), (8_000, 8_000)])
def test_an_image_over_the_source_pixel_bound_is_refused_before_decoding(
    size: tuple[int, int],
) -> None:
    result = render_preview(png_header_claiming(*size), 1, LIMITS)
    assert isinstance(result, PreviewFailure) and result.problem is PreviewProblem.TOO_LARGE


def test_a_file_over_the_byte_bound_is_refused() -> None:
    result = render_preview(pdf_of(1), 1, PreviewLimits(max_bytes=100))
    assert isinstance(result, PreviewFailure) and result.problem is PreviewProblem.TOO_LARGE


@pytest.mark.parametrize(
    "payload",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"<html><script>alert(1)</script></html>",
        b"BM" + b"\x00" * 60,  # BMP: a format Pillow could read, but previews do not
        b"PK\x03\x04" + b"\x00" * 60,
    ],
    ids=["svg", "html", "bmp", "zip"],
)
def test_what_is_not_a_pdf_or_an_allowed_image_is_unsupported_whatever_its_name(
    payload: bytes,
) -> None:
    assert preview_format(payload) is None
    result = render_preview(payload, 1, LIMITS)
    assert isinstance(result, PreviewFailure) and result.problem is PreviewProblem.UNSUPPORTED


def test_the_scale_keeps_every_bound() -> None:
    scale = fit_scale(595, 842, LIMITS)  # A4 in points
    assert 595 * scale <= LIMITS.max_width and 842 * scale <= LIMITS.max_height
    assert (595 * scale) * (842 * scale) <= LIMITS.max_pixels + 1
    assert fit_scale(0, 842, LIMITS) == 0.0


def test_the_isolated_worker_renders_the_same_page() -> None:
    payload = pdf_of(2)
    isolated = render_preview_isolated(payload, 2, LIMITS)
    assert isinstance(isolated, PreviewImage)
    assert isolated.png == render_preview(payload, 2, LIMITS).png  # type: ignore[union-attr]


def test_a_page_that_takes_too_long_is_stopped_by_the_worker_and_named() -> None:
    slow = PreviewLimits(kill_after_seconds=0.001)
    result = render_preview_isolated(pdf_of(1, size=(2000, 2000)), 1, slow)
    assert isinstance(result, PreviewFailure) and result.problem is PreviewProblem.TIMED_OUT

"""Ink in a scanned acceptance block: a blank "Underskrift" line and one with a pen
signature the OCR cannot read give the same text, but not the same pixels.

The pages are drawn here with Pillow: SSB's acceptance block (labels, ruled answer lines,
or a table), blank or with a scribble where a pen signs. The pure tests give `measure_ink`
the word boxes Pillow drew; the OCR tests send the page through Tesseract as an image-only
PDF or a photo, as a scanner or a phone would.
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw, ImageFont

from parsers.attachments import BlockInk, ExtractionLimits, extract_attachment
from parsers.attachments.ink import Word, measure_ink, parse_tsv
from tests.conftest import image_only_pdf

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
WIDTH, HEIGHT = 1240, 1754  # A4 at 150 dpi
HEAD = (
    "Statistisk sentralbyrå",
    "Vår ref. 25/01234-3   Side 2",
    "Aksept av tilbud",
    "Sak 25/01234-3 – «Levekår og flytting i Bergen»",
    "Bergen kommune aksepterer tilbudet og vilkårene for tilgang til mikrodata.",
)
LABELS = ("Sted/dato:", "Underskrift:", "Navn med blokkbokstaver:", "Stilling:")
ANSWER_X = 470
"""Where the ruled answer lines start (right of the longest label)."""


def scribble(draw: ImageDraw.ImageDraw, x: int, y: int, width: int = 300) -> None:
    """A pen signature: loops along a line, as no OCR reads them."""
    points = [
        (x + step + 18 * math.cos(step / 9), y - 18 - 16 * math.sin(step / 9))
        for step in range(0, width, 2)
    ]
    draw.line(points, fill=25, width=3)


def acceptance_page(*, signed: bool = False, dated: bool = False) -> tuple[Image.Image, list[Word]]:
    """SSB's acceptance page, blank or with pen loops beside 'Underskrift' (`signed`) and
    'Sted/dato' (`dated`), and the word boxes of its printed text."""
    page = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 26)
    words: list[Word] = []

    def text(x: int, y: int, line: str, number: int) -> None:
        draw.text((x, y), line, font=font, fill=0)
        cursor = x
        for word in line.split():
            left, top, right, bottom = draw.textbbox((cursor, y), word, font=font)
            words.append(Word(word, left, top, right, bottom, 95.0, (number, 1, 1)))
            cursor = right + int(draw.textlength(" ", font=font))

    for number, line in enumerate(HEAD):
        text(120, 120 + 50 * number, line, number)
    for number, label in enumerate(LABELS):
        y = 520 + 100 * number
        text(120, y, label, 10 + number)
        draw.line([(ANSWER_X, y + 30), (1120, y + 31)], fill=40, width=2)
    if dated:
        scribble(draw, ANSWER_X + 20, 520 + 28, 220)
    if signed:
        scribble(draw, ANSWER_X + 20, 620 + 28)
    return page, words


def ink_of(page: Image.Image, words: list[Word]) -> dict[str, bool]:
    found = measure_ink(page, words)
    assert found is not None
    return {label.label: label.ink for label in found.labels}


def test_blank_block_has_no_ink_beside_any_label() -> None:
    page, words = acceptance_page()
    found = measure_ink(page, words)
    assert found is not None and not found.anywhere
    assert [(label.label, label.role, label.ink) for label in found.labels] == [
        ("Sted/dato", "date", False),
        ("Underskrift", "signature", False),
        ("Navn med blokkbokstaver", "name", False),
        ("Stilling", "other", False),
    ]


def test_pen_loops_beside_underskrift_are_ink_there_and_only_there() -> None:
    page, words = acceptance_page(signed=True)
    assert ink_of(page, words) == {
        "Sted/dato": False,
        "Underskrift": True,
        "Navn med blokkbokstaver": False,
        "Stilling": False,
    }
    page, words = acceptance_page(signed=True, dated=True)
    assert ink_of(page, words)["Sted/dato"] is True


def test_a_signature_swept_above_its_line_still_counts_for_underskrift() -> None:
    """Pens sign over the line, up into the space under the label above (0005's photo)."""
    page, words = acceptance_page()
    scribble(ImageDraw.Draw(page), ANSWER_X + 20, 600)  # loops between the two rows
    assert ink_of(page, words)["Underskrift"] is True
    assert ink_of(page, words)["Sted/dato"] is False


def test_ruled_lines_table_borders_and_scanner_dust_are_not_ink() -> None:
    page, words = acceptance_page()
    draw = ImageDraw.Draw(page)
    for y in (500, 600, 700, 800, 900):  # a table round the block
        draw.line([(100, y), (1140, y)], fill=0, width=3)
    for x in (100, ANSWER_X - 20, 1140):
        draw.line([(x, 500), (x, 900)], fill=0, width=3)
    for n in range(400):  # dust: single dark pixels
        page.putpixel((480 + (n * 37) % 640, 520 + (n * 53) % 380), 0)
    found = measure_ink(page, words)
    assert found is not None and not found.anywhere


def test_a_skewed_scan_keeps_its_lines_out_of_the_ink() -> None:
    page, words = acceptance_page()
    tilted = page.rotate(0.6, fillcolor=255, resample=Image.Resampling.BICUBIC)
    found = measure_ink(tilted, words)
    assert found is not None and not found.anywhere
    signed, words = acceptance_page(signed=True)
    tilted = signed.rotate(0.6, fillcolor=255, resample=Image.Resampling.BICUBIC)
    assert ink_of(tilted, words)["Underskrift"] is True


def test_a_page_without_a_signature_label_is_not_measured() -> None:
    page, words = acceptance_page()
    kept = [word for word in words if not word.text.startswith("Underskrift")]
    assert measure_ink(page, kept) is None


def test_tesseract_tsv_words_keep_their_boxes_and_lines() -> None:
    tsv = (
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
        "4\t1\t5\t1\t1\t0\t175\t555\t651\t111\t-1\t\n"
        "5\t1\t5\t1\t1\t1\t175\t559\t130\t42\t90.8\tSted/dato:\n"
        "5\t1\t5\t1\t1\t2\t576\t557\t20\t25\t93.2\tB\n"
        "5\t1\t5\t1\t1\t3\t599\t564\t91\t102\tx\tbroken\n"
    )
    assert parse_tsv(tsv) == [
        Word("Sted/dato:", 175, 559, 305, 601, 90.8, (5, 1, 1)),
        Word("B", 576, 557, 596, 582, 93.2, (5, 1, 1)),
    ]


scan_pdf = image_only_pdf


def scanned_ink(page: Image.Image) -> BlockInk:
    result = extract_attachment(
        "scan001.pdf", "application/pdf", scan_pdf(page), ExtractionLimits()
    )
    assert result.scanned and result.ocr and result.acceptance is not None
    assert result.acceptance.ink is not None
    return result.acceptance.ink


def test_ocr_of_a_blank_scanned_block_measures_no_ink() -> None:
    ink = scanned_ink(acceptance_page()[0])
    assert ink.page == 1 and not ink.anywhere
    assert ink.inked("signature") is False and ink.inked("date") is False


def test_ocr_of_a_scanned_block_with_a_pen_signature_measures_its_ink() -> None:
    ink = scanned_ink(acceptance_page(signed=True)[0])
    assert ink.inked("signature") is True and ink.inked("date") is False
    assert ink.named("signature") == ["Underskrift"]


def test_photo_of_a_signed_block_measures_its_ink() -> None:
    page = acceptance_page(signed=True, dated=True)[0]
    photo = Image.new("L", (WIDTH + 200, HEIGHT + 200), 120)  # the desk round the sheet
    photo.paste(page.rotate(-1.0, fillcolor=255, expand=False), (100, 100))
    jpeg = io.BytesIO()
    photo.save(jpeg, format="JPEG", quality=70)
    result = extract_attachment("IMG_0042.jpg", "image/jpeg", jpeg.getvalue(), ExtractionLimits())
    assert result.acceptance is not None and result.acceptance.ink is not None
    assert result.acceptance.ink.page is None
    assert result.acceptance.ink.inked("signature") is True
    assert result.acceptance.ink.inked("date") is True

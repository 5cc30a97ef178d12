"""Signature logos are not read by OCR; a photographed page is, inline in the HTML or not."""

from __future__ import annotations

import io
from email.message import EmailMessage

from PIL import Image, ImageDraw

from bot.offer_check import OfferFile, is_logo
from bot.verdict import AttachmentKind
from parsers.attachments import ExtractionLimits
from parsers.attachments.isolation import read_attachment
from parsers.mail import parse_mail
from tests.conftest import REPO

LIMITS = ExtractionLimits()
OUTLOOK_LOGO_MAIL = REPO / "fixtures" / "handwritten" / "offers" / "mail" / "0001.eml"


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _logo() -> bytes:
    """A company logo as Outlook embeds it: 220×60, a few hundred bytes to a few KB."""
    image = Image.new("RGB", (220, 60), "white")
    ImageDraw.Draw(image).text((10, 12), "Bergen kommune", fill=(0, 60, 130), font_size=28)
    return _png(image)


def _photographed_page() -> bytes:
    """A phone photo of a signed acceptance page (greyish paper, JPEG, ~1 megapixel)."""
    page = Image.new("L", (1000, 1400), 235)
    draw = ImageDraw.Draw(page)
    lines = ["Aksept av tilbud om mikrodata", "Saksnummer 24/01872", "Sted og dato: Bergen"]
    for row, line in enumerate(lines):
        draw.text((80, 120 + row * 90), line, fill=20, font_size=44)
    draw.line([(120, 520), (480, 470), (700, 540)], fill=30, width=6)  # the signature
    out = io.BytesIO()
    page.save(out, format="JPEG", quality=85)
    return out.getvalue()


def outlook_mail(photo_inline: bool) -> bytes:
    """Outlook's shape: multipart/related with the HTML, and each picture it shows by cid."""
    message = EmailMessage()
    message["From"] = "Kari Nordmann <kari.nordmann@bergen.kommune.no>"
    message["To"] = "mikrodata@ssb.no"
    message["Subject"] = "Signert tilbud"
    message.set_content("Vedlagt er signert tilbud.\n\nMed vennlig hilsen\nKari")
    photo_tag = '<p><img src="cid:image002.jpg@01DB34F2.7A9C1E60"></p>' if photo_inline else ""
    message.add_alternative(
        "<html><body><p>Vedlagt er signert tilbud.</p>"
        f"{photo_tag}<p>Med vennlig hilsen<br>Kari</p>"
        '<p><img width="220" height="60" src="cid:image001.png@01DB34F2.7A9C1E60"></p>'
        "</body></html>",
        subtype="html",
    )
    html = message.get_payload()[1]  # type: ignore[index]
    html.add_related(
        _logo(),
        "image",
        "png",
        cid="<image001.png@01DB34F2.7A9C1E60>",
        filename="image001.png",
        disposition="inline",
    )
    if photo_inline:
        html.add_related(
            _photographed_page(),
            "image",
            "jpeg",
            cid="<image002.jpg@01DB34F2.7A9C1E60>",
            filename="image002.jpg",
            disposition="inline",
        )
    else:
        message.add_attachment(_photographed_page(), "image", "jpeg", filename="IMG_2041.jpg")
    return message.as_bytes()


def test_an_outlook_logo_is_not_read_by_ocr_and_the_photographed_page_is() -> None:
    for inline in (True, False):
        mail = parse_mail(outlook_mail(photo_inline=inline))
        logo, photo = sorted(mail.attachments, key=lambda a: len(a.payload))
        assert logo.filename == "image001.png" and logo.shown_in_html

        read_logo = read_attachment(logo, LIMITS)
        assert read_logo.logo and not read_logo.ocr and read_logo.text == ""

        read_photo = read_attachment(photo, LIMITS)
        assert photo.shown_in_html is inline
        assert not read_photo.logo and read_photo.ocr, f"photo inline={inline}"
        assert "24/01872" in read_photo.text


def test_the_same_image_not_shown_by_the_html_is_read() -> None:
    mail = parse_mail(outlook_mail(photo_inline=False))
    logo = next(a for a in mail.attachments if a.filename == "image001.png")
    import dataclasses

    loose = dataclasses.replace(logo, shown_in_html=False)
    read = read_attachment(loose, LIMITS)
    assert not read.logo and read.ocr, "only a picture the HTML shows can be a logo"


def test_an_inline_picture_large_in_pixels_and_bytes_is_no_logo_by_the_thresholds() -> None:
    mail = parse_mail(outlook_mail(photo_inline=True))
    photo = next(a for a in mail.attachments if a.filename == "image002.jpg")
    roomy = ExtractionLimits(logo_max_bytes=len(photo.payload) + 1)
    assert read_attachment(photo, roomy).logo, "under the byte threshold: a logo"
    assert not read_attachment(photo, LIMITS).logo


def test_a_logo_set_apart_before_ocr_is_never_a_signed_offer() -> None:
    mail = parse_mail(OUTLOOK_LOGO_MAIL.read_bytes())
    logo = next(a for a in mail.attachments if a.filename == "image001.png")
    read = read_attachment(logo, LIMITS)
    assert read.logo
    file = OfferFile(read, AttachmentKind.SIGNED_OFFER, inline=True, size=len(logo.payload))
    assert is_logo(file)

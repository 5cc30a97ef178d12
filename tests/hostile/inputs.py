"""Hostile inputs, generated at test time (none is committed): bombs, monster PDFs, rogue XML,
and mail that breaks every rule of MIME. Each function says what it builds and how big."""

from __future__ import annotations

import base64
import io
import zipfile
import zlib

# --- zip packages (DOCX and XLSX are zips) ---------------------------------------------------


def zip_bytes(members: dict[str, bytes | int]) -> bytes:
    """A deflated zip in memory; an int value is that many zero bytes, streamed (a bomb)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            if isinstance(content, bytes):
                archive.writestr(name, content)
                continue
            with archive.open(name, "w") as member:
                chunk = bytes(1 << 20)
                for _ in range(content >> 20):
                    member.write(chunk)
    return buffer.getvalue()


_CONTENT_TYPES_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    b"</Types>"
)
_PACKAGE_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
    b"</Relationships>"
)
_W_NS = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_bomb(megabytes: int = 512) -> bytes:
    """A DOCX whose document.xml inflates to `megabytes` of zeros (the file is ~0.1 % of it)."""
    return zip_bytes(
        {
            "[Content_Types].xml": _CONTENT_TYPES_XML,
            "_rels/.rels": _PACKAGE_RELS,
            "word/document.xml": megabytes << 20,
        }
    )


def xlsx_bomb(megabytes: int = 512) -> bytes:
    """An XLSX whose first sheet inflates to `megabytes` of zeros."""
    return zip_bytes(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": megabytes << 20,
        }
    )


def docx_with(document_xml: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal valid DOCX around `document_xml` (plus any extra parts, e.g. settings rels)."""
    return zip_bytes(
        {
            "[Content_Types].xml": _CONTENT_TYPES_XML,
            "_rels/.rels": _PACKAGE_RELS,
            "word/document.xml": document_xml,
            **(extra or {}),
        }
    )


def docx_xxe(file_url: str, http_url: str) -> bytes:
    """A DOCX whose body declares external entities (a local file, a URL) and uses them."""
    document = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b"<!DOCTYPE w:document [\n"
        b'  <!ENTITY local SYSTEM "' + file_url.encode() + b'">\n'
        b'  <!ENTITY remote SYSTEM "' + http_url.encode() + b'">\n'
        b"]>\n"
        b'<w:document xmlns:w="' + _W_NS + b'"><w:body>'
        b"<w:p><w:r><w:t>Prosjektbeskrivelse</w:t></w:r></w:p>"
        b"<w:p><w:r><w:t>&local;</w:t></w:r></w:p>"
        b"<w:p><w:r><w:t>&remote;</w:t></w:r></w:p>"
        b"</w:body></w:document>"
    )
    return docx_with(document)


def docx_remote_template(url: str) -> bytes:
    """A DOCX whose settings attach a template from `url` (Word would fetch it on open)."""
    document = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<w:document xmlns:w="' + _W_NS + b'"><w:body>'
        b"<w:p><w:r><w:t>Soknad med mal</w:t></w:r></w:p></w:body></w:document>"
    )
    document_rels = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/>'
        b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="'
        + url.encode()
        + b'/image.png" TargetMode="External"/>'
        b"</Relationships>"
    )
    settings = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<w:settings xmlns:w="' + _W_NS + b'" '
        b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        b'<w:attachedTemplate r:id="rId1"/></w:settings>'
    )
    settings_rels = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="'
        + url.encode()
        + b'/template.dotm" TargetMode="External"/>'
        b"</Relationships>"
    )
    return docx_with(
        document,
        {
            "word/_rels/document.xml.rels": document_rels,
            "word/settings.xml": settings,
            "word/_rels/settings.xml.rels": settings_rels,
        },
    )


def xlsx_xxe(file_url: str, http_url: str) -> bytes:
    """An XLSX whose shared strings declare external entities and use them in cell A1/A2."""
    workbook = (
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        b'<sheets><sheet name="Ark1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    rels = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        b"</Relationships>"
    )
    strings = (
        b'<?xml version="1.0"?>\n<!DOCTYPE sst [\n'
        b'  <!ENTITY local SYSTEM "' + file_url.encode() + b'">\n'
        b'  <!ENTITY remote SYSTEM "' + http_url.encode() + b'">\n]>\n'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>&local;</t></si><si><t>&remote;</t></si><si><t>Variabel</t></si></sst>"
    )
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="s"><v>2</v></c><c r="B1" t="s"><v>0</v></c>'
        b'<c r="C1" t="s"><v>1</v></c></row></sheetData></worksheet>'
    )
    types = (
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        b'<Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        b"</Types>"
    )
    package_rels = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        b"</Relationships>"
    )
    return zip_bytes(
        {
            "[Content_Types].xml": types,
            "_rels/.rels": package_rels,
            "xl/workbook.xml": workbook,
            "xl/_rels/workbook.xml.rels": rels,
            "xl/sharedStrings.xml": strings,
            "xl/worksheets/sheet1.xml": sheet,
        }
    )


# --- PDFs, written object by object ----------------------------------------------------------

_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_PAGE = (
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R"
    b" /Resources << /Font << /F1 %d 0 R >> >> >>"
)


def pdf_from_objects(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A PDF with a correct xref table; object 1 is the catalogue."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer_extra,
        xref,
    )
    return bytes(out)


def stream(data: bytes, *, deflate: bool = False) -> bytes:
    if deflate:
        data = zlib.compress(data, 9)
        return (
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
        )
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def pdf_many_pages(pages: int = 5_000) -> bytes:
    """`pages` pages sharing one small content stream (~150 bytes a page)."""
    kids = b" ".join(b"%d 0 R" % (5 + n) for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        stream(b"BT /F1 12 Tf 72 700 Td (Side med tekst) Tj ET"),
        _FONT,
    ]
    objects += [_PAGE % (3, 4)] * pages
    return pdf_from_objects(objects)


def pdf_huge_content_stream(megabytes: int) -> bytes:
    """One page whose content stream inflates to `megabytes` MB of text operators (~0.3 %)."""
    operator = b"BT /F1 12 Tf 72 700 Td (x) Tj ET\n"
    chunk = operator * ((1 << 20) // len(operator))
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(chunk) for _ in range(megabytes)) + compressor.flush()
    content = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            _PAGE % (4, 5),
            content,
            _FONT,
        ]
    )


def pdf_deeply_nested(depth: int = 100_000) -> bytes:
    """Arrays and dictionaries nested `depth` deep, in the catalogue and in a form field."""
    arrays = b"[" * depth + b"]" * depth
    dictionaries = b"<< /A " * depth + b">>" * depth
    return pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Deep 6 0 R /AcroForm << /Fields [7 0 R] >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> /Annots [7 0 R] >>",
            stream(b"BT /F1 12 Tf 72 700 Td (Dypt nestet) Tj ET"),
            _FONT,
            arrays + b" " + dictionaries,
            b"<< /FT /Tx /T (felt) /V " + arrays + b" /Kids " + arrays + b" >>",
        ]
    )


def pdf_encrypted() -> bytes:
    """Standard security handler (RC4, R2) with a user password nobody told us."""
    owner, user = b"\x11" * 32, b"\x22" * 32
    encrypt = (
        b"<< /Filter /Standard /V 1 /R 2 /P -44 /O <"
        + owner.hex().encode()
        + b"> /U <"
        + user.hex().encode()
        + b"> >>"
    )
    return pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            _PAGE % (4, 5),
            stream(b"BT /F1 12 Tf 72 700 Td (Hemmelig) Tj ET"),
            _FONT,
            encrypt,
        ],
        trailer_extra=b"/Encrypt 6 0 R /ID [<00112233445566778899aabbccddeeff>"
        b" <00112233445566778899aabbccddeeff>] ",
    )


# --- mail ------------------------------------------------------------------------------------

MAIL_HEAD = (
    b"From: Kari Nordmann <kari@example.no>\r\nTo: mikrodata@ssb.no\r\n"
    b"Message-ID: <hostile@example.no>\r\nDate: Mon, 03 Mar 2025 09:15:00 +0100\r\n"
)


def multipart(parts: list[bytes], *, head: bytes = MAIL_HEAD, subject: bytes = b"Vedlegg") -> bytes:
    """A multipart/mixed mail from ready-made part bytes (headers, blank line, body)."""
    boundary = b"=_hostile_boundary"
    out = [head, b"Subject: " + subject + b"\r\nMIME-Version: 1.0\r\n"]
    out.append(b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n')
    for part in parts:
        out += [b"--" + boundary + b"\r\n", part, b"\r\n"]
    out.append(b"--" + boundary + b"--\r\n")
    return b"".join(out)


def text_part(text: str, charset: str = "utf-8") -> bytes:
    return b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\n\r\n" + text.encode()


def base64_part(name: str, payload: bytes, content_type: str = "application/pdf") -> bytes:
    return (
        b"Content-Type: " + content_type.encode() + b"\r\n"
        b'Content-Disposition: attachment; filename="' + name.encode() + b'"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(payload)
    )


def mail_of_size(megabytes: int) -> bytes:
    """A cover letter and one PDF attachment, `megabytes` MB of mail in all."""
    payload = b"%PDF-1.4\n" + bytes(megabytes * 1_000_000 * 3 // 4)
    return multipart(
        [
            text_part("Vedlagt følger søknaden om tilgang til mikrodata."),
            base64_part("stor.pdf", payload),
        ]
    )


def nested_rfc822(depth: int) -> bytes:
    """A forwarded mail, forwarded again, `depth` times (message/rfc822 in message/rfc822)."""
    raw = MAIL_HEAD + b"Subject: Innerst\r\n\r\nDen innerste teksten.\r\n"
    for level in range(depth):
        raw = (
            MAIL_HEAD + b"Subject: VS: lag %d\r\nMIME-Version: 1.0\r\n" % level
            + b"Content-Type: message/rfc822\r\n\r\n" + raw
        )  # fmt: skip
    return raw


def nested_multipart(depth: int) -> bytes:
    """multipart/mixed inside multipart/mixed, `depth` deep, text at the bottom."""
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="n%d"\r\n\r\n--n%d\r\n' % (n, n)
        for n in range(depth)
    )
    closing = b"".join(b"\r\n--n%d--\r\n" % n for n in reversed(range(depth)))
    text = b"Content-Type: text/plain\r\n\r\nDypt inne."
    return MAIL_HEAD + b"Subject: Dypt\r\nMIME-Version: 1.0\r\n" + opening + text + closing


def many_attachments(count: int) -> bytes:
    parts = [text_part("Her er alle filene.")]
    parts += [base64_part(f"fil-{n}.txt", b"variabel %d\n" % n, "text/plain") for n in range(count)]
    return multipart(parts)


def many_headers(count: int) -> bytes:
    headers = b"".join(b"X-Trace-%d: hop %d\r\n" % (n, n) for n in range(count))
    return MAIL_HEAD + headers + b"Subject: Mange felt\r\n\r\nSoknad om tilgang.\r\n"


def long_header_line(chars: int) -> bytes:
    """A 1 MB Subject, To and X- header, each on one unfolded line."""
    filler = b"a" * chars
    return (
        b"From: Kari <kari@example.no>\r\nTo: " + b"x" * chars + b"@example.no\r\n"
        b"Subject: S\xc3\xb8knad " + filler + b"\r\nX-Long: " + filler + b"\r\n\r\nHei.\r\n"
    )

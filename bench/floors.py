"""The floor: each stage's work done with the fastest library, on the same bytes the bot reads.

These are deliberately minimal — no limits, no error containment, no evidence — so their
time is what the libraries themselves cost. Each stage also has the "obvious choice" the
issue compares against (pdfplumber's `extract_text`, python-docx, openpyxl, a spaCy
ensemble, imapclient's defaults, a new SMTP connection per reply).

`network_floors()` measures the IMAP and SMTP stages against a private Dovecot and the
e2e suite's aiosmtpd recorder.
"""

from __future__ import annotations

import email
import email.policy
import io
import os
import smtplib
import threading
import time
import zipfile
from collections.abc import Callable
from typing import Any

from lxml import etree

from bench.common import best_of, log, summary

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


# -- per-mail stages --------------------------------------------------------------------------


def parse(raw: bytes) -> tuple[list[str], list[bytes]]:
    """MIME parse and decode with the stdlib (compat32, the fastest of stdlib/mail-parser)."""
    message = email.message_from_bytes(raw)
    texts: list[str] = []
    blobs: list[bytes] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        if part.get_content_maintype() == "text" and not part.get_filename():
            texts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
        else:
            blobs.append(payload)
    return texts, blobs


def pdf_text(payload: bytes, max_pages: int = 60) -> tuple[str, int]:
    """PDFium's text layer, every page up to `max_pages`; (text, pages read)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(payload)
    try:
        texts = []
        pages = min(len(document), max_pages)
        for index in range(pages):
            page = document[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_bounded())
            textpage.close()
            page.close()
        return "\n".join(texts), pages
    finally:
        document.close()


def pdf_text_pdfplumber(payload: bytes, max_pages: int = 60) -> tuple[str, int]:
    """The obvious choice: pdfplumber's `extract_text` per page."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(payload)) as pdf:
        pages = pdf.pages[:max_pages]
        return "\n".join(page.extract_text() or "" for page in pages), len(pages)


def ocr_pdf(payload: bytes, pages: int = 3, dpi: int = 200, lang: str = "nor+eng") -> str:
    """Render with PDFium and read with Tesseract: a scan has no cheaper way to its text."""
    import pypdfium2 as pdfium
    import pytesseract

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    document = pdfium.PdfDocument(payload)
    try:
        texts = []
        for index in range(min(len(document), pages)):
            page = document[index]
            image = page.render(scale=dpi / 72).to_pil()
            page.close()
            texts.append(str(pytesseract.image_to_string(image, lang=lang)))
        return "\n".join(texts)
    finally:
        document.close()


def ocr_image(payload: bytes, lang: str = "nor+eng") -> str:
    import pytesseract
    from PIL import Image

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    with Image.open(io.BytesIO(payload)) as image:
        return str(pytesseract.image_to_string(image.convert("L"), lang=lang))


def docx_text(payload: bytes) -> str:
    """zip + lxml: the `w:t` runs of every paragraph of the body, headers and footers."""
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        names = [
            n
            for n in archive.namelist()
            if n == "word/document.xml" or n.startswith(("word/header", "word/footer"))
        ]
        lines = []
        for name in names:
            root = etree.fromstring(archive.read(name))
            for paragraph in root.iter(f"{_W}p"):
                text = "".join(t.text or "" for t in paragraph.iter(f"{_W}t"))
                if text:
                    lines.append(text)
    return "\n".join(lines)


def docx_text_python_docx(payload: bytes) -> str:
    """The obvious choice: python-docx paragraphs and table cells."""
    import docx

    document = docx.Document(io.BytesIO(payload))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def xlsx_text(payload: bytes) -> str:
    """zip + lxml: shared strings, then every sheet's cells row by row."""
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        names = set(archive.namelist())
        shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            root = etree.fromstring(archive.read("xl/sharedStrings.xml"))
            shared = ["".join(si.itertext()) for si in root.iter(f"{_S}si")]
        lines = []
        for name in sorted(n for n in names if n.startswith("xl/worksheets/sheet")):
            root = etree.fromstring(archive.read(name))
            for row in root.iter(f"{_S}row"):
                cells = []
                for cell in row.iter(f"{_S}c"):
                    kind = cell.get("t")
                    if kind == "inlineStr":
                        cells.append("".join(cell.itertext()))
                        continue
                    value = cell.findtext(f"{_S}v")
                    if value is None:
                        continue
                    cells.append(shared[int(value)] if kind == "s" else value)
                if cells:
                    lines.append(" | ".join(cells))
    return "\n".join(lines)


def xlsx_text_openpyxl(payload: bytes) -> str:
    """The obvious choice: openpyxl in read-only mode."""
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(payload), read_only=True, data_only=True)
    try:
        lines = []
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows(values_only=True):
                cells = [str(v) for v in row if v is not None]
                if cells:
                    lines.append(" | ".join(cells))
        return "\n".join(lines)
    finally:
        workbook.close()


def text_attachment(payload: bytes) -> str:
    return payload.decode("utf-8", "replace")


def ensemble_textcat(labels: list[str]) -> Any:
    """The obvious spaCy choice: the default `TextCatEnsemble` (bag of words + a CNN).

    Untrained: its cost per document does not depend on the weights.
    """
    import spacy

    nlp = spacy.blank("nb")
    textcat: Any = nlp.add_pipe("textcat")  # spaCy's default model is the ensemble
    for label in labels:
        textcat.add_label(label)
    nlp.initialize()
    return nlp


# -- the network stages -----------------------------------------------------------------------


def network_floors(mails: list[bytes], quick: bool) -> dict[str, Any]:
    """IMAP FETCH per mail (three clients), IDLE notification, SMTP send per reply."""
    from bench.servers import dovecot, smtp_server

    results: dict[str, Any] = {}
    with dovecot() as server:
        account = server.add_account()
        log(f"IMAP: appending {len(mails)} mails to a private Dovecot")
        with server.admin(account) as client:
            for raw in mails:
                client.append("INBOX", raw)
        results["imap_fetch"] = _imap_fetch(server, account, len(mails), quick)
        results["idle"] = _idle(server, server.add_account(), 8 if quick else 30)
    with smtp_server() as (_recorder, port):
        results["smtp"] = _smtp(port, 50 if quick else 300)
    return results


def _imap_client(server: Any, account: Any, *, defaults: bool) -> Any:
    from imapclient import IMAPClient

    client = IMAPClient("127.0.0.1", port=server.imap_port, ssl=False, timeout=30)
    if not defaults:
        client._imap.debug = 0  # imaplib's protocol trace, formatted for every line
    client.login(account.user, account.password)
    client.select_folder("INBOX", readonly=True)
    return client


def _fetch_all(client: Any, batch: int = 100) -> int:
    uids = sorted(client.search(["ALL"]))
    got = 0
    for start in range(0, len(uids), batch):
        response = client.fetch(uids[start : start + batch], ["BODY.PEEK[]", "INTERNALDATE"])
        got += len(response)
    return got


def _imap_fetch(server: Any, account: Any, count: int, quick: bool) -> dict[str, Any]:
    from bench.servers import source_url
    from bot.sources import open_source

    repeat = 2 if quick else 3
    out: dict[str, Any] = {"mails": count}
    for name, defaults in (("floor", False), ("obvious", True)):
        client = _imap_client(server, account, defaults=defaults)
        try:
            seconds = best_of(repeat, lambda c=client: _fetch_all(c))
        finally:
            client.logout()
        out[name] = seconds / count * 1000
    # Ours: the bot's own source, as the fetcher calls it (NOOP + SEARCH, then batches).
    source = open_source(source_url(server, account), idle=True)
    try:

        def ours() -> None:
            seen: set[str] = set()
            while True:
                mails = source.fetch_new(limit=100, known=lambda keys: seen & set(keys))
                if not mails:
                    return
                seen.update(m.key for m in mails)

        out["ours"] = best_of(repeat, ours) / count * 1000
    finally:
        source.close()
    out["unit"] = "ms/mail"
    return out


def _idle(server: Any, account: Any, rounds: int) -> dict[str, Any]:
    """APPEND on one connection → EXISTS on another in IDLE; also the bot's `wait_for_mail`."""
    from bench.servers import source_url
    from bot.sources import open_source
    from tests.sources.dovecot import make_message

    raw_times: list[float] = []
    watcher = _imap_client(server, account, defaults=False)
    try:
        for n in range(rounds):
            watcher.idle()
            time.sleep(0.05)
            appended = time.monotonic()
            server.append(account, make_message(f"idle {n}"))
            notified = None
            while notified is None and time.monotonic() - appended < 10:
                for _, what in [r[:2] for r in watcher.idle_check(timeout=1)]:
                    if what == b"EXISTS":
                        notified = time.monotonic()
            watcher.idle_done()
            if notified is not None:
                raw_times.append((notified - appended) * 1000)
    finally:
        watcher.logout()

    ours_times: list[float] = []
    source = open_source(source_url(server, account), idle=True)
    try:
        source.fetch_new(limit=10_000)  # everything so far counts as seen
        for n in range(rounds):
            appended_at: list[float] = []

            def append_later(n: int = n, appended_at: list[float] = appended_at) -> None:
                time.sleep(0.3)
                appended_at.append(time.monotonic())
                server.append(account, make_message(f"ours {n}"))

            thread = threading.Thread(target=append_later)
            thread.start()
            source.wait_for_mail(10)
            woke = time.monotonic()
            thread.join()
            ours_times.append((woke - appended_at[0]) * 1000)
            source.fetch_new(limit=10_000)
    finally:
        source.close()
    return {"floor": summary(raw_times), "ours": summary(ours_times), "unit": "ms"}


def _smtp(port: int, count: int) -> dict[str, Any]:
    from bot.replies.smtp import SmtpSender
    from tests.sources.dovecot import make_message

    messages = [
        email.message_from_bytes(make_message(f"Re: søknad {n}"), policy=email.policy.SMTP)
        for n in range(count)
    ]
    results: dict[str, Any] = {"replies": count, "unit": "ms/reply"}

    def persistent() -> None:
        with smtplib.SMTP("127.0.0.1", port) as connection:
            for message in messages:
                connection.send_message(message)

    def new_each() -> None:
        for message in messages:
            with smtplib.SMTP("127.0.0.1", port) as connection:
                connection.send_message(message)

    def ours() -> None:
        with SmtpSender(f"smtp://127.0.0.1:{port}") as sender:
            for message in messages:
                sender.send(message)

    runs: dict[str, Callable[[], None]] = {
        "floor": persistent,
        "obvious": new_each,
        "ours": ours,
    }
    for name, run in runs.items():
        results[name] = best_of(3, run) / count * 1000
    return results


def run(quick: bool) -> dict[str, Any]:
    """The network stages' floors, on the fixture corpus (the per-mail ones: pipeline.py)."""
    from bench.common import corpus_files

    return network_floors([f.read_bytes() for f in corpus_files(quick)], quick)

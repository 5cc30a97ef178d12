"""The personal-data corpus (issue #11) is what its generator makes, and its labels are proven.

Every `personal_data` count in fixtures/personal_data/labels.jsonl is recounted here from
the mail bytes alone: the mail is parsed with `email`, attachments are opened with
openpyxl, python-docx, pdfplumber and zipfile, and the numbers are checked by a small
validator written in this file (not the generator's, not the bot's).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import subprocess
import sys
import zipfile
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import docx
import jsonschema
import openpyxl
import pdfplumber
import pytest

from tests.conftest import REPO

CORPUS = REPO / "fixtures" / "personal_data"
LABELS = [json.loads(x) for x in (CORPUS / "labels.jsonl").read_text("utf-8").splitlines()]

# ------------------------------------------------------------------ the validator


def _mod11(digits: str, weights: tuple[int, ...]) -> int | None:
    k = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if k == 11 else (None if k == 10 else k)


def valid_id(s: str) -> bool:
    """Fødselsnummer or D-number: a real DDMMYY (D: day + 40) and both control digits."""
    if len(s) != 11 or not s.isdigit():
        return False
    day, month, yy = int(s[:2]), int(s[2:4]), int(s[4:6])
    if day > 40:
        day -= 40
    real = False
    for century in (1900, 2000):
        try:
            dt.date(century + yy, month, day)
            real = True
        except ValueError:
            pass
    k1 = _mod11(s[:9], (3, 7, 6, 1, 8, 9, 4, 5, 2))
    k2 = _mod11(s[:10], (5, 4, 3, 2, 7, 6, 5, 4, 3, 2))
    return real and k1 == int(s[9]) and k2 == int(s[10])


CANDIDATE = re.compile(r"(?<!\d)(\d{6}) ?(\d{5})(?!\d)")
CONTEXT = re.compile(r"\b(konto\w*|kid)\b", re.IGNORECASE)
NAIVE = re.compile(r"(?:\d[ .]?){10}\d")  # any 11 digits, even inside a longer number


def ids_in(text: str) -> set[str]:
    """Valid IDs in text; not those with 'konto…'/'KID' shortly before them on the line."""
    found = set()
    for m in CANDIDATE.finditer(text):
        number = m.group(1) + m.group(2)
        line_start = text.rfind("\n", 0, m.start()) + 1
        before = text[max(line_start, m.start() - 40) : m.start()]
        if valid_id(number) and not CONTEXT.search(before):
            found.add(number)
    return found


# ------------------------------------------------------------------ reading the bytes


def decode_text(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def xlsx_text(data: bytes) -> str:
    lines = []
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            cells = []
            for v in row:
                if isinstance(v, int) and not isinstance(v, bool) and len(str(v)) == 10:
                    cells.append(str(v).zfill(11))  # Excel dropped the leading zero
                elif v is not None:
                    cells.append(str(v))
            lines.append("\t".join(cells))
    return "\n".join(lines)


def docx_text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    lines = [p.text for p in d.paragraphs]
    for t in d.tables:
        lines += ["\t".join(c.text for c in row.cells) for row in t.rows]
    return "\n".join(lines)


def pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def file_texts(name: str, data: bytes) -> list[tuple[str, str]]:
    """(file name, text) for a file, and for every member when it is a zip."""
    ext = name.rsplit(".", 1)[-1].lower()
    if ext == "zip":
        out = []
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in z.infolist():
                if not info.is_dir():
                    out += file_texts(info.filename.rsplit("/", 1)[-1], z.read(info))
        return out
    if ext == "xlsx":
        return [(name, xlsx_text(data))]
    if ext == "docx":
        return [(name, docx_text(data))]
    if ext == "pdf":
        return [(name, pdf_text(data))]
    return [(name, decode_text(data))]


def html_text(s: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "\n", s))


def places(msg: EmailMessage, out: dict[str, list[str]]) -> None:
    """Collect text per place: body (own, quoted, forwarded text) and attachment:<name>."""
    if msg.is_multipart():
        for part in msg.iter_parts():
            places(part, out)  # type: ignore[arg-type]
        return
    if msg.get_content_type() == "message/rfc822":
        places(msg.get_payload(0), out)  # type: ignore[arg-type]
        return
    name = msg.get_filename()
    if name:
        for member, text in file_texts(name, msg.get_payload(decode=True)):
            out.setdefault(f"attachment:{member}", []).append(text)
    elif msg.get_content_type() == "text/plain":
        out.setdefault("body", []).append(msg.get_content())
    elif msg.get_content_type() == "text/html":
        out.setdefault("body", []).append(html_text(msg.get_content()))


def read(label: dict) -> tuple[EmailMessage, dict[str, list[str]]]:
    msg = message_from_bytes((REPO / label["file"]).read_bytes(), policy=policy.default)
    texts: dict[str, list[str]] = {"subject": [str(msg["Subject"] or "")]}
    places(msg, texts)  # type: ignore[arg-type]
    return msg, texts  # type: ignore[return-value]


# ------------------------------------------------------------------ tests


def test_regenerating_gives_the_committed_bytes(tmp_path: Path) -> None:
    out = tmp_path / "personal_data"
    subprocess.run(
        [sys.executable, str(CORPUS / "generate.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    committed = sorted(p.name for p in (CORPUS / "mail").glob("*.eml"))
    generated = sorted(p.name for p in (out / "mail").glob("*.eml"))
    assert generated == committed
    changed = [
        n
        for n in committed
        if (out / "mail" / n).read_bytes() != (CORPUS / "mail" / n).read_bytes()
    ]
    assert not changed, f"{len(changed)} mails differ, e.g. {changed[:3]}: rerun generate.py"
    regenerated = [json.loads(x) for x in (out / "labels.jsonl").read_text("utf-8").splitlines()]
    assert [{**g, "file": Path(g["file"]).name} for g in regenerated] == [
        {**c, "file": Path(c["file"]).name} for c in LABELS
    ]


def test_the_validator_itself() -> None:
    assert valid_id("01010112377")  # 01.01.01, individual number 123
    assert valid_id("41010112360")  # the same as a D-number (day + 40)
    assert not valid_id("01010112378")  # second control digit wrong
    assert not valid_id("01010112367")  # first control digit wrong
    assert not valid_id("31040110006")  # both control digits right, but 31 April
    assert ids_in("KID 01010112377") == set()
    assert ids_in("kontonummer: 01010112377") == set()
    assert ids_in("fnr 010101 12377, fnr 01010112377") == {"01010112377"}
    assert ids_in("1010101123770 301010112377") == set()


@pytest.mark.parametrize("label", LABELS, ids=[Path(x["file"]).name for x in LABELS])
def test_every_personal_data_count_is_recounted_from_the_bytes(label: dict) -> None:
    msg, texts = read(label)
    assert msg["Message-ID"] == label["message_id"]
    counted = {}
    for where, chunks in texts.items():
        found: set[str] = set()
        for text in chunks:
            found |= ids_in(text)
        if found:
            counted[where] = len(found)
    labelled = {e["where"]: e["count"] for e in label["personal_data"]}
    assert len(labelled) == len(label["personal_data"])
    assert counted == labelled
    assert all(e["kind"] == "national_id_number" for e in label["personal_data"])


def test_the_corpus_covers_the_brief() -> None:
    assert len(LABELS) >= 64
    with_ids = [x for x in LABELS if x["personal_data"]]
    decoys = [x for x in LABELS if not x["personal_data"]]
    assert len(with_ids) >= 32 and len(decoys) >= 32
    kinds = {
        e["where"] if ":" not in e["where"] else e["where"].rsplit(".", 1)[-1]
        for x in with_ids
        for e in x["personal_data"]
    }
    assert {"subject", "body", "csv", "txt", "xlsx", "docx", "pdf"} <= kinds
    assert any(len(x["personal_data"]) >= 3 for x in with_ids)
    assert any(e["count"] >= 250 for x in with_ids for e in x["personal_data"])
    # decoys carry numbers a naive regex flags: 11 digits (maybe spaced or dotted), anywhere
    naive = 0
    for x in decoys:
        _, texts = read(x)
        naive += any(NAIVE.search(t) for chunks in texts.values() for t in chunks)
    assert naive >= 32


def test_every_label_is_a_contract_verdict() -> None:
    schema = json.loads((REPO / "schema" / "triage-line.schema.json").read_text())
    for label in LABELS:
        assert label["split"] == "test"
        assert label["reply_action"] == ("request_missing" if label["missing"] else "acknowledge")
        verdict = {k: v for k, v in label.items() if k not in ("reply_action", "split", "note")}
        verdict |= {
            "confidence": 1.0,
            "attachments": [],
            "reply": {"action": label["reply_action"], "language": "nb", "subject": "Re: x"},
        }
        jsonschema.validate(verdict, schema)

"""A mail full of national ID numbers goes through `mikrobot run --once` as an operator runs
it, and no number comes out anywhere: not in the logs, the replies, the database file, the
ticket listing, the reply preview or the status — only the masked form (`010190*****`).
The raw mail on disk still holds them: that is what "Slett personopplysningene" deletes.
"""

from __future__ import annotations

import email
import email.policy
import io
import mailbox
from email.message import EmailMessage
from pathlib import Path

import openpyxl

from tests.conftest import make_mail
from tests.test_cli_service import mikrobot, operator_env
from tests.test_personal_data import D_NUMBER, ID, LEAP

FORMS = [form for n in (ID, D_NUMBER, LEAP) for form in (n, f"{n[:6]} {n[6:]}")] + [ID[1:]]


def spreadsheet() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["fnr", "kommune"])
    sheet.append([int(ID), "0301"])  # Excel keeps the number without its leading zero
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_no_output_surface_shows_a_national_id(tmp_path: Path) -> None:
    env = {**operator_env(tmp_path), "MIKROBOT_REPLY_CUTOFF": "2000-01-01T00:00:00Z"}
    raw = make_mail(
        f"Hei,\nvi søker om tilgang. Prosjektleder Ola Nordmann, fnr {ID[:6]} {ID[6:]}.\n"
        "Vedlagt utvalget vi vil koble.\n",
        subject=f"Søknad om mikrodata – {D_NUMBER}",
        attachments=[
            (f"utvalg_{LEAP}.csv", "text/csv", f"fnr;kommune\n{LEAP};0301\n".encode()),
            (
                "liste.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                spreadsheet(),
            ),
        ],
    )
    mailbox.Maildir(tmp_path / "inbox", create=True).add(raw)

    run = mikrobot(env, "-v", "run", "--once")
    assert run.returncode == 0, run.stderr
    surfaces = {"run's log": run.stdout + run.stderr}
    replies = list((tmp_path / "outbox").glob("*.eml"))
    assert len(replies) == 1
    reply = email.message_from_bytes(replies[0].read_bytes(), policy=email.policy.default)
    assert isinstance(reply, EmailMessage)
    body = reply.get_body(("plain",))
    assert body is not None
    surfaces["reply"] = "".join(f"{k}: {v}\n" for k, v in reply.items()) + body.get_content()
    surfaces["reply as sent"] = replies[0].read_text(errors="replace")
    surfaces["database file"] = (tmp_path / "mikrobot.db").read_bytes().decode("latin-1")
    for command in (("tickets", "list"), ("tickets", "show", "1"), ("reply-preview", "1")):
        shown = mikrobot(env, *command)
        assert shown.returncode == 0, shown.stderr
        surfaces[" ".join(command)] = shown.stdout + shown.stderr
    status = mikrobot(env, "status")
    surfaces["status"] = status.stdout + status.stderr

    leaks = {name: form for name, text in surfaces.items() for form in FORMS if form in text}
    assert leaks == {}
    assert f"{D_NUMBER[:6]}*****" in surfaces["tickets show 1"]  # the subject, masked
    assert "Opplysninger om personer skal aldri sendes til SSB på e-post" in surfaces["reply"]
    # The raw mail is still on disk (until deleted): the bytes were kept, not echoed.
    assert any(ID[:6] in p.read_text(errors="replace") for p in (tmp_path / "mail").rglob("*.eml"))

"""Peak memory for one 60 MB mail: `mikrobot run --once` on a Maildir holding just that mail.

The mail is what a large application looks like at its worst: a 4-page form and a 15-page
DPIA (text PDFs), three scanned PDFs of noise-like JPEG pages (~13 MB each, under the
30 MB attachment limit, so they are read and OCRed), and a CSV export filling the rest, in
base64: 60 MB on the wire. Sampled every 50 ms: the service process's RSS, and the PSS
of the whole process tree (service, forkserver, extraction workers; PSS so that pages the
forked workers share are counted once). A baseline run on one ordinary fixture mail shows
what the loaded service costs before any mail.
"""

from __future__ import annotations

import io
import mailbox
import os
import random
import time
from email.message import EmailMessage
from typing import Any

from bench.common import BOT_ADDRESS, CORPUS, OUT, RssSampler, child_env, log, mikrobot, scratch_dir

EVERY_MAIL_ANSWERED = "2000-01-01T00:00:00+00:00"
TEXT = (
    "Prosjektet skal undersøke levekår blant unge i Bergen ved å koble registerdata om "
    "inntekt, utdanning og bosted. Behandlingsgrunnlaget er personvernforordningen artikkel "
    "6 nr. 1 bokstav e og artikkel 9 nr. 2 bokstav j. Risiko for de registrerte vurderes "
    "som lav fordi dataene er pseudonymisert og analysene skjer i microdata.no. "
)


def text_pdf(pages: int, title: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for page in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 5, f"{title}, side {page + 1}\n\n" + TEXT * 12)
    return bytes(pdf.output())


def noise_pdf(pages: int, megabytes_per_page: float, seed: int) -> bytes:
    """A "scan": each page one JPEG of noise, about `megabytes_per_page` in size."""
    from fpdf import FPDF
    from PIL import Image

    rng = random.Random(seed)
    side = int((megabytes_per_page * 1e6 / 1.2) ** 0.5)
    pdf = FPDF()
    for _ in range(pages):
        image = Image.frombytes("L", (side, side), rng.randbytes(side * side))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=95)
        pdf.add_page()
        pdf.image(io.BytesIO(buffer.getvalue()), x=0, y=0, w=210, h=297)
    return bytes(pdf.output())


def big_mail(target_mb: float = 60.0) -> bytes:
    message = EmailMessage()
    message["From"] = "Kari Nordmann <kari.nordmann@bergen.kommune.no>"
    message["To"] = BOT_ADDRESS
    message["Subject"] = "Søknad om tilgang til mikrodata – Levekår blant unge i Bergen"
    message["Message-ID"] = "<bench-big-mail@bergen.kommune.no>"
    message["Date"] = "Mon, 03 Mar 2025 09:15:00 +0100"
    message.set_content(
        "Hei,\n\nvedlagt følger vår søknad om tilgang til mikrodata, DPIA og signerte "
        "skjemaer (skannet).\n\nHilsen Kari Nordmann\nBergen kommune\n"
    )
    attachments = [
        ("soknadsskjema.pdf", text_pdf(4, "Søknadsskjema")),
        ("dpia.pdf", text_pdf(15, "Personvernkonsekvensutredning (DPIA)")),
    ]
    attachments += [(f"skann-{n + 1}.pdf", noise_pdf(3, 4.3, seed=n)) for n in range(3)]
    # A CSV export fills the rest up to the target size on the wire (base64: 4/3).
    binary = sum(len(p) for _, p in attachments)
    row = b"4601;2021;12345\n"
    rows = max(0, int((target_mb * 1e6 * 3 / 4 * 0.985 - binary) / len(row)))
    attachments.append(("eksport.csv", b"kommune;aar;antall\n" + row * rows))
    for filename, payload in attachments:
        maintype, subtype = ("text", "csv") if filename.endswith(".csv") else ("application", "pdf")
        message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def _run_once(raw: bytes, name: str) -> dict[str, Any]:
    root = scratch_dir("mikrobot-bench-big-")
    inbox = mailbox.Maildir(root / "inbox", create=True)
    inbox.add(mailbox.MaildirMessage(raw))
    env = child_env(
        source=str(root / "inbox"),
        smtp=str(root / "outbox"),
        database=f"sqlite:///{root / 'mikrobot.db'}",
        raw_mail_dir=str(root / "raw"),
        config=str(root / "no-such.toml"),
        reply_cutoff=EVERY_MAIL_ANSWERED,
    )
    logfile = OUT / f"big-mail-{name}.log"
    logfile.unlink(missing_ok=True)
    started = time.monotonic()
    with (
        mikrobot(["run", "--once"], env, logfile) as process,
        RssSampler(process.pid, interval=0.05) as sampler,
    ):
        _, status = os.waitpid(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    filed = len(list((root / "outbox").glob("*.eml"))) if (root / "outbox").exists() else 0
    return {
        "mail_mb": len(raw) / 1e6,
        "wall_s": wall,
        "exit_code": process.returncode,
        "replies_written": filed,
        "peak_tree_pss_mb": sampler.peak_tree_mb,
        "peak_main_mb": sampler.peak_main_mb,
        "log_tail": logfile.read_text(errors="replace").splitlines()[-3:],
    }


def run(quick: bool) -> dict[str, Any]:
    log("big mail: generating a 60 MB mail")
    raw = big_mail(60.0)
    baseline_raw = sorted(CORPUS.glob("new_application/*.eml"))[0].read_bytes()
    log("big mail: baseline (one fixture mail)")
    baseline = _run_once(baseline_raw, "baseline")
    log(f"big mail: the {len(raw) / 1e6:.0f} MB mail")
    big = _run_once(raw, "60mb")
    log(
        f"  service peak RSS {big['peak_main_mb']:.0f} MB (baseline {baseline['peak_main_mb']:.0f})"
        f", tree PSS {big['peak_tree_pss_mb']:.0f} MB, {big['wall_s']:.1f} s"
    )
    return {"baseline": baseline, "big": big}

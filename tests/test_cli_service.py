"""`mikrobot run --once`, `tickets list|show` and `reply-preview`, as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.store import Store
from bot.triage import TriageContext
from fixtures.seed_maildir import seed
from tests.conftest import REPO, make_mail
from tests.store.test_store import file

MIKROBOT = str(Path(sys.executable).parent / "mikrobot")


def mikrobot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MIKROBOT, *args], env={**os.environ, **env}, cwd=REPO,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def operator_env(root: Path) -> dict[str, str]:
    """The embedded default under `root`: Maildir inbox, SQLite, replies written as files."""
    return {
        "MIKROBOT_SOURCE": str(root / "inbox"),
        "MIKROBOT_DATABASE": f"sqlite:///{root / 'mikrobot.db'}",
        "MIKROBOT_SMTP": str(root / "outbox"),
        "MIKROBOT_RAW_MAIL_DIR": str(root / "mail"),
    }


def test_run_once_then_list_show_and_preview_the_tickets(tmp_path: Path) -> None:
    env = operator_env(tmp_path)
    seed(tmp_path / "inbox", per_category=1)
    run = mikrobot(env, "run", "--once")
    assert run.returncode == 0, run.stderr
    assert "fetched 5, filed 5" in run.stderr
    assert "level=INFO logger=bot.worker filed mail=" in run.stderr  # structured lines
    assert len(list((tmp_path / "outbox").glob("*.eml"))) >= 4

    listing = mikrobot(env, "tickets", "list")
    assert listing.returncode == 0 and listing.stdout.count("MB-0000") == 5
    assert "waiting_for_applicant" in listing.stdout or "ready" in listing.stdout

    shown = mikrobot(env, "tickets", "show", "1")
    assert shown.returncode == 0 and "MB-000001" in shown.stdout
    assert "mail_received" in shown.stdout and "reply_sent" in shown.stdout

    preview = mikrobot(env, "reply-preview", "1")
    assert preview.returncode == 0
    assert "Auto-Submitted: auto-replied" in preview.stdout
    assert "MB-000001" in preview.stdout or "Referanse" in preview.stdout

    missing = mikrobot(env, "tickets", "show", "999")
    assert missing.returncode != 0 and "no ticket MB-000999" in missing.stderr


def test_tickets_show_takes_the_reference_people_see_everywhere(
    tmp_path: Path, context: TriageContext
) -> None:
    """Issue #12: `mikrobot tickets show MB-000013` was refused ("not a valid integer")."""
    env = operator_env(tmp_path)
    store = Store.open(env["MIKROBOT_DATABASE"], tmp_path / "mail")
    for n in range(13):
        _, ticket_id, _ = file(store, context, make_mail(f"Spørsmål nummer {n}."), f"k:{n}")
    store.engine.dispose()
    assert ticket_id == 13

    for name in ("MB-000013", "mb-000013", "MB000013", "13"):
        shown = mikrobot(env, "tickets", "show", name)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.startswith("MB-000013 "), shown.stdout
        assert "mails:" in shown.stdout and "history:" in shown.stdout
    preview = mikrobot(env, "reply-preview", "MB-000013")
    assert preview.returncode == 0 and "MB-000013" in preview.stdout

    for wrong in ("MB-abc", "MB-000013-2", str(2**70)):
        refused = mikrobot(env, "tickets", "show", wrong)
        assert refused.returncode == 2, refused.stdout
        assert "is not a ticket reference such as MB-000013" in refused.stderr
    absent = mikrobot(env, "tickets", "show", "MB-000014")
    assert absent.returncode == 1 and "no ticket MB-000014" in absent.stderr

"""Admins tune from the web, and the words caseworkers read: through the real pages.

Each test that changes something gets its own site: a copy of the suite's filed store
(same mails, same users) with its own rules file and model versions folder, served on its
own port, so the activations, rules and jobs of one test never reach another.
"""

from __future__ import annotations

import csv
import io
import json
import mailbox
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from bot.replies.senders import FileSender
from bot.rules import DEFAULT_RULES_FILE
from bot.service import Service
from bot.settings import Settings, TuningSettings
from bot.sources import open_source
from bot.store import Store
from bot.store.tuning import AuditRow, NewVersion, audit_log, model_versions, register_version
from bot.triage import TriageContext
from bot.web import create_app
from tests.conftest import REPO
from tests.network import free_port
from tests.web.conftest import (
    ADMIN,
    CASEWORKER,
    LiveServer,
    Web,
    csrf_token_in,
    log_in,
    logged_in_client,
)

RULES = DEFAULT_RULES_FILE.read_text(encoding="utf-8")
STRICT_RULES = re.sub(r"(?m)^threshold = [0-9.]+$", "threshold = 0.99", RULES, count=1)
"""A change every backtest shows: below 99 % sure, a mail is `other` for a person."""


TUNING_ACTIONS = ("model_", "retrain_", "rules_")


def tuning_audit(store: Store) -> list[AuditRow]:
    """The audit log's tuning entries: the shared site's store also holds its users' changes."""
    return [e for e in audit_log(store) if e.action.startswith(TUNING_ACTIONS)]


def tiny_labels(folder: Path) -> tuple[Path, Path]:
    """A few of the fixtures' labelled mails (the smallest of each category and split), and
    a few hand-written ones for the calibration: a retraining that takes seconds."""
    rows = [json.loads(line) for line in (REPO / "fixtures/labels.jsonl").read_text().splitlines()]
    chosen = []
    for split, per_category in (("train", 3), ("test", 1)):
        for category in ("new_application", "change_request", "signed_offer",
                         "deletion_confirmation", "other"):  # fmt: skip
            mine = [r for r in rows if r["split"] == split and r["category"] == category]
            mine.sort(key=lambda r: (REPO / r["file"]).stat().st_size)
            chosen += mine[:per_category]
    labels = folder / "labels.jsonl"
    labels.write_text(
        "".join(json.dumps({**r, "file": str(REPO / r["file"])}) + "\n" for r in chosen)
    )
    dev = REPO / "fixtures/handwritten/dev/labels.jsonl"
    calibration_rows = [json.loads(line) for line in dev.read_text().splitlines()][:6]
    calibration = folder / "calibration.jsonl"
    calibration.write_text(
        "".join(json.dumps({**r, "file": str(REPO / r["file"])}) + "\n" for r in calibration_rows)
    )
    return labels, calibration


APPLICATION = """\
From: Kari Nordmann <kari.nordmann@example.org>
To: mikrodata@ssb.no
Subject: Tilgang til data
Message-ID: <tuning-application@example.org>
Date: Mon, 08 Dec 2025 09:00:00 +0100
Content-Type: text/plain; charset=utf-8

Hei,

vi søker om tilgang til mikrodata for et nytt prosjekt om inntekt.

Hilsen Kari
"""


def _file_an_application(
    settings: Settings, store: Store, context: TriageContext, root: Path
) -> None:
    """The newest mail of the copy: a plain application, which a rules change that asks
    the bot to be 99 % sure turns into `other` (the backtest has a change to show)."""
    inbox = mailbox.Maildir(root / "inbox", create=True)
    inbox.add(mailbox.MaildirMessage(APPLICATION.encode("utf-8")))
    service = Service(
        settings.model_copy(update={"source": str(root / "inbox")}),
        context,
        open_source(str(root / "inbox")),
        store,
        FileSender(root / "outbox"),
    )
    service.run(once=True)
    service.source.close()


@dataclass
class Tuned:
    url: str
    settings: Settings
    store: Store

    @property
    def rules_file(self) -> Path:
        return self.settings.rules_file

    def client(self, user: tuple[str, str]) -> Any:
        return logged_in_client(Web(self.url, self.settings, self.store, "", 0, []), user)


@pytest.fixture
def tuned(web: Web, context: TriageContext, tmp_path: Path) -> Iterator[Tuned]:
    """A site of its own over a copy of the suite's store."""
    source = Path(web.settings.database.removeprefix("sqlite:///"))
    copy = tmp_path / "mikrobot.db"
    shutil.copy(source, copy)
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    labels, calibration = tiny_labels(tmp_path)
    settings = web.settings.model_copy(
        update={
            "database": f"sqlite:///{copy}",
            "rules_file": rules,
            "tuning": TuningSettings(
                model_versions_dir=tmp_path / "models",
                training_labels=labels,
                calibration_labels=calibration,
                epochs=2,
                backtest_mails=5,
            ),
        }
    )
    store = Store.open(settings.database, settings.raw_mail_dir)
    _file_an_application(settings, store, context, tmp_path)
    server = LiveServer(create_app(settings, store), free_port())
    server.start()
    yield Tuned(f"http://127.0.0.1:{server.server.config.port}", settings, store)
    server.stop()
    store.engine.dispose()


@pytest.fixture
def tuned_page(browser: Any, tuned: Tuned) -> Iterator[Any]:
    context = browser.new_context(
        base_url=tuned.url, viewport={"width": 1366, "height": 900}, locale="nb-NO"
    )
    context.set_default_timeout(20_000)
    opened = context.new_page()
    opened.on("dialog", lambda dialog: dialog.accept())  # the pages' "are you sure?"
    yield opened
    context.close()


def register(store: Store, name: str, macro_f1: float, accuracy: float) -> int:
    with store.session() as session, session.begin():
        return register_version(
            session,
            NewVersion(
                name=name,
                path=str(REPO / "bot/data/model"),
                created_by="test",
                training={"mails": 344, "corrections": 0},
                held_out="fixtures/labels.jsonl test split",
                held_out_mails=147,
                macro_f1=macro_f1,
                accuracy=accuracy,
                figures={},
            ),
        ).id


# --- the rules file ---------------------------------------------------------------------------


def _test_rules(client: httpx.Client, token: str, text: str) -> httpx.Response:
    """Post the text to be tested; when it loads, wait for its backtest and return the
    page with the result."""
    started = client.post("/admin/rules/test", data={"csrf_token": token, "text": text})
    if started.status_code != 303:
        return started
    run = started.headers["location"].rpartition("run=")[2]
    deadline = time.monotonic() + 280
    while client.get(f"/admin/rules/runs/{run}").json()["state"] == "running":
        assert time.monotonic() < deadline, "the backtest did not finish"
        time.sleep(0.5)
    return client.get(started.headers["location"])


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} on the page"
    return found.group(1)


def test_a_backtest_shows_the_mails_a_rules_change_would_change(tuned: Tuned) -> None:
    with tuned.client(ADMIN) as client:
        token = csrf_token_in(client.get("/admin/rules").text)
        response = _test_rules(client, token, STRICT_RULES)
        assert response.status_code == 200
        changes = re.findall(r'data-testid="backtest-change" data-ticket="(\d+)"', response.text)
        assert changes, "the stricter threshold changes no filed mail"
        assert 'data-testid="category-after">Annet<' in response.text
        assert int(_hidden(response.text, "changed")) == len(changes)
        unchanged = _test_rules(client, token, RULES)
        assert 'data-testid="backtest-change"' not in unchanged.text
    assert tuned.rules_file.read_text(encoding="utf-8") == RULES  # a test saves nothing


def test_rules_are_saved_only_after_a_passed_test_of_that_very_text(tuned: Tuned) -> None:
    with tuned.client(ADMIN) as client:
        token = csrf_token_in(client.get("/admin/rules").text)
        untested = client.post(
            "/admin/rules/save", data={"csrf_token": token, "text": STRICT_RULES}
        )
        assert untested.status_code == 409
        tested = _test_rules(client, token, STRICT_RULES)
        form = {
            "csrf_token": token,
            "tested": _hidden(tested.text, "tested"),
            "tried": _hidden(tested.text, "tried"),
            "changed": _hidden(tested.text, "changed"),
        }
        edited = client.post(
            "/admin/rules/save", data={**form, "text": STRICT_RULES + "\n# edited after\n"}
        )
        assert edited.status_code == 409
        assert "Test den før du lagrer" in edited.text
        lied = client.post("/admin/rules/save", data={**form, "text": STRICT_RULES, "changed": 0})
        assert lied.status_code == 409
        assert tuned.rules_file.read_text(encoding="utf-8") == RULES
        saved = client.post(
            "/admin/rules/save", data={**form, "text": STRICT_RULES.replace("\n", "\r\n")}
        )
        assert saved.status_code == 303
    assert tuned.rules_file.read_text(encoding="utf-8") == STRICT_RULES
    backups = list(tuned.rules_file.parent.glob("rules.toml.*.bak"))
    assert [b.read_text(encoding="utf-8") for b in backups] == [RULES]
    entry = tuning_audit(tuned.store)[0]
    assert (entry.actor, entry.action) == (ADMIN[0], "rules_saved")
    assert entry.detail["backup"] == str(backups[0])
    assert entry.detail["backtest_changed"] == int(form["changed"]) > 0


def test_invalid_rules_are_shown_with_their_line_and_the_text_kept(tuned: Tuned) -> None:
    broken = RULES.replace('category = "signed_offer"', 'category = "signed"', 1)
    line = broken.splitlines().index('category = "signed"') + 1
    with tuned.client(ADMIN) as client:
        token = csrf_token_in(client.get("/admin/rules").text)
        response = _test_rules(client, token, broken)
    assert response.status_code == 400
    assert f'data-line="{line}"' in response.text
    assert f"Linje {line}" in response.text
    assert "category = &#34;signed&#34;" in response.text  # the admin's text, kept
    assert 'name="tested"' not in response.text


def test_caseworkers_cannot_tune(tuned: Tuned) -> None:
    with tuned.client(CASEWORKER) as client:
        token = csrf_token_in(client.get("/").text)
        assert client.get("/admin/rules").status_code == 403
        assert client.get("/admin/audit.csv").status_code == 403
        assert client.get("/admin/models/retrain/status").status_code == 403
        for path in ("/admin/rules/test", "/admin/models/retrain", "/admin/models/rollback"):
            assert client.post(path, data={"csrf_token": token}).status_code == 403
    assert tuning_audit(tuned.store) == []


def test_the_audit_log_downloads_as_csv(tuned: Tuned) -> None:
    good = register(tuned.store, "v-good", 0.95, 0.96)
    with tuned.client(ADMIN) as client:
        token = csrf_token_in(client.get("/admin").text)
        activated = client.post(f"/admin/models/{good}/activate", data={"csrf_token": token})
        assert activated.status_code == 303
        without_token = client.post(f"/admin/models/{good}/activate", data={})
        assert without_token.status_code == 403
        response = client.get("/admin/audit.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    tuning = [r for r in rows if r["action"].startswith(TUNING_ACTIONS)]
    assert [(r["actor"], r["action"]) for r in tuning] == [(ADMIN[0], "model_activated")]
    assert json.loads(tuning[0]["detail"])["version"] == "v-good"
    added = [json.loads(r["detail"])["user"] for r in rows if r["action"] == "user_added"]
    assert {CASEWORKER[0], ADMIN[0]} <= set(added)  # user changes are in it too


def test_the_admin_page_reads_in_nynorsk(tuned: Tuned) -> None:
    with tuned.client(ADMIN) as client:
        client.cookies.set("mikrobot_lang", "nn")
        page = client.get("/admin").text
    assert '<html lang="nn">' in page
    assert "Modellversjonar" in page and "Endringslogg for administrasjon" in page
    assert "[" + "model_versions]" not in page


# --- in the browser ---------------------------------------------------------------------------


def test_an_admin_activates_a_model_version_and_rolls_it_back(
    tuned_page: Any, tuned: Tuned
) -> None:
    page = tuned_page
    register(tuned.store, "v1-good", 0.95, 0.96)
    register(tuned.store, "v2-worse", 0.90, 0.97)
    log_in(page, ADMIN)
    page.goto("/admin#models")
    expect(page.get_by_test_id("active-model")).to_contain_text("medfølgende modellen")
    good = page.locator('[data-testid=version][data-version="v1-good"]')
    worse = page.locator('[data-testid=version][data-version="v2-worse"]')
    expect(good.get_by_test_id("override")).to_have_count(0)  # nothing active to beat yet
    good.get_by_role("button", name="Ta i bruk").click()
    expect(page.get_by_test_id("tuning-done")).to_have_text("Modellversjonen er tatt i bruk.")
    expect(good.get_by_test_id("active-badge")).to_be_visible()
    expect(page.get_by_test_id("active-model")).to_contain_text("v1-good")

    worse.get_by_role("button", name="Ta i bruk").click()  # without the override: refused
    expect(page.get_by_test_id("tuning-problem")).to_contain_text("scorer dårligere enn v1-good")
    expect(good.get_by_test_id("active-badge")).to_be_visible()
    worse.get_by_label(re.compile("Ta i bruk selv om den scorer dårligere")).check()
    worse.get_by_role("button", name="Ta i bruk").click()
    expect(worse.get_by_test_id("active-badge")).to_be_visible()
    page.screenshot(path=str(REPO / "docs" / "admin-models.png"), full_page=False)

    page.get_by_test_id("rollback").click()  # back to v1-good, which scores better
    expect(page.get_by_test_id("tuning-done")).to_have_text("Rullet tilbake til forrige versjon.")
    expect(good.get_by_test_id("active-badge")).to_be_visible()
    audit = page.get_by_test_id("audit")
    expect(audit.locator("tr[data-action=model_rolled_back]")).to_have_count(1)
    expect(audit.locator("tr[data-action=model_activated]")).to_have_count(2)
    overrides = [e.detail["override"] for e in tuning_audit(tuned.store)]
    assert overrides == [False, True, False]


def test_an_admin_backtests_and_saves_the_rules(tuned_page: Any, tuned: Tuned) -> None:
    page = tuned_page
    log_in(page, ADMIN)
    page.goto("/admin")
    page.get_by_test_id("edit-rules").click()
    page.wait_for_url("**/admin/rules")
    expect(page.get_by_test_id("rules-save")).to_have_count(0)  # only after a passed test
    page.get_by_label("Regelfilen").fill(STRICT_RULES)
    page.get_by_role("button", name="Test", exact=True).click()
    expect(page.get_by_test_id("backtest-summary")).to_contain_text("Prøvd på", timeout=280_000)
    expect(page.get_by_test_id("backtest-change").first).to_be_visible()
    expect(page.get_by_test_id("category-after").first).to_have_text("Annet")
    page.screenshot(path=str(REPO / "docs" / "rules-backtest.png"), full_page=False)
    page.get_by_test_id("rules-save").click()
    expect(page.get_by_test_id("rules-done")).to_contain_text("Regelfilen er lagret")
    assert tuned.rules_file.read_text(encoding="utf-8") == STRICT_RULES
    expect(page.get_by_label("Regelfilen")).to_have_value(STRICT_RULES)


def test_a_retraining_runs_in_the_background_and_registers_a_version(
    tuned_page: Any, tuned: Tuned
) -> None:
    page = tuned_page
    log_in(page, ADMIN)
    page.goto("/admin#models")
    expect(page.get_by_test_id("no-versions")).to_be_visible()
    page.get_by_test_id("retrain").click()
    expect(page.get_by_test_id("tuning-done")).to_contain_text("Treningen er startet")
    with tuned.client(ADMIN) as client:
        token = csrf_token_in(client.get("/admin").text)
        busy = client.post("/admin/models/retrain", data={"csrf_token": token})
        assert "problem=err_retrain_busy" in busy.headers["location"]
        deadline = time.monotonic() + 240
        status = client.get("/admin/models/retrain/status").json()
        seen = {status["step"]}
        while status["state"] == "running" and time.monotonic() < deadline:
            time.sleep(0.5)
            status = client.get("/admin/models/retrain/status").json()
            seen.add(status["step"])
    assert status["state"] == "done", status
    assert {"reading", "evaluating"} & seen or "done" in seen
    # The page polls the status and shows the result by itself (app.js).
    expect(page.get_by_test_id("job-state")).to_have_text("Treningen er ferdig", timeout=15_000)
    names = [v.name for v in model_versions(tuned.store)]
    assert status["version"] in names and "builtin" in names  # the running model, adopted
    new = next(v for v in model_versions(tuned.store) if v.name == status["version"])
    assert new.training["labelled_mails"] == 15 and new.held_out_mails == 5
    assert 0.0 <= new.macro_f1 <= 1.0 and 0.0 <= new.accuracy <= 1.0
    assert (Path(new.path) / "calibration.json").is_file()
    expect(page.locator(f'[data-testid=version][data-version="{new.name}"]')).to_be_visible()
    actions = [e.action for e in reversed(tuning_audit(tuned.store))]
    assert actions == ["retrain_started", "model_registered", "retrain_finished"]


# --- words for people -------------------------------------------------------------------------


def test_evidence_reads_in_plain_words_with_the_codes_behind_a_toggle(page: Any, web: Web) -> None:
    from bot.store.tickets import ticket_detail

    ticket = next(
        t
        for t in web.tickets_with_missing
        if any(h.startswith(("keyword:", "intent:")) for h in _hits(ticket_detail(web.store, t)))
    )
    log_in(page, CASEWORKER)
    page.goto(f"/tickets/{ticket}")
    plain = page.get_by_test_id("evidence-plain")
    expect(plain).to_be_visible()
    expect(plain).to_contain_text(re.compile(r"i (emnefeltet|e-postteksten|et vedlegg)"))
    expect(plain).not_to_contain_text("keyword:")
    codes = page.get_by_test_id("evidence-rules")
    expect(codes).to_be_hidden()
    page.get_by_test_id("evidence-codes").get_by_text("Vis kodene").click()
    expect(codes).to_be_visible()
    expect(codes).to_contain_text(re.compile(r"(keyword|intent):"))
    expect(page.get_by_test_id("event-detail").first).to_be_visible()
    expect(page.get_by_test_id("event-codes").first).to_be_hidden()
    expect(page.get_by_text("Treffsikkerhet", exact=True)).to_be_visible()


def _hits(detail: Any) -> list[str]:
    return list(detail.mails[-1].verdict.get("evidence", {}).get("rules", [])) if detail else []


def test_an_invalid_date_stays_in_the_field_with_an_error_in_norwegian(
    tuned_page: Any, tuned: Tuned
) -> None:
    page = tuned_page
    ticket = tuned.store.tickets(limit=1)[0]
    log_in(page, CASEWORKER)
    page.goto(f"/tickets/{ticket.id}")
    field = page.get_by_label("Signert dato")
    field.fill("31.02.2026")
    field.press("Enter")
    expect(page.get_by_test_id("field-error")).to_have_text(
        "«31.02.2026» er ingen dato som finnes i kalenderen."
    )
    expect(page.get_by_label("Signert dato")).to_have_value("31.02.2026")
    expect(page.get_by_label("Signert dato")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("error")).to_contain_text("Signert dato ble ikke lagret.")
    page.get_by_label("Signert dato").fill("31.12.2026")
    page.get_by_label("Signert dato").press("Enter")
    expect(page.get_by_test_id("done")).to_be_visible()
    expect(page.get_by_label("Signert dato")).to_have_value("2026-12-31")
    page.get_by_label("Kontaktens e-post").fill("kari.nordmann@")
    page.get_by_label("Kontaktens e-post").press("Enter")
    expect(page.get_by_test_id("field-error")).to_contain_text("gyldig e-postadresse")
    expect(page.get_by_label("Kontaktens e-post")).to_have_value("kari.nordmann@")

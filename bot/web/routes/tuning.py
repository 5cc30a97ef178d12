"""Admins tune the bot from the web: model versions (activate, roll back, retrain in the
background), the rules file (edit, check, backtest, save) and the audit log of it all.

Every change is a POST with the session's CSRF token by an admin, recorded in the audit
log with who and when. A rules text is saved only after a test of that very text passed:
the test's page carries a token bound to the session, the text, the file it replaces and
the backtest's counts, and the save recomputes it.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import hmac
import io
import json
import threading
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from bot.classify.model import TextClassifier
from bot.context import load_triage_context, running_model_dir
from bot.rules import rules_from_text
from bot.store.tuning import (
    AuditRow,
    ModelActivationError,
    RetrainBusyError,
    activate,
    active_version,
    audit,
    audit_log,
    latest_job,
    model_versions,
    roll_back,
    rollback_target,
    worse_than,
)
from bot.triage import TriageContext
from bot.tuning.backtest_runs import BacktestRun, BacktestRuns
from bot.tuning.retrain import start_retrain
from bot.tuning.rules_check import Backtest, RulesProblem, backtest, check_rules, save_rules
from bot.web.pages import Acting, AdminOnly, Site, Web

router = APIRouter()
AUDIT_ON_PAGE: Final = 30
MAX_RULES_CHARS: Final = 1_000_000
DONE: Final = frozenset({"activated", "rolled_back", "retrain_started", "rules_saved"})
PROBLEMS: Final = frozenset(
    {
        "err_no_version",
        "err_already_active",
        "err_model_worse",
        "err_model_not_comparable",
        "err_no_rollback",
        "err_retrain_busy",
    }
)


# --- the admin page's models and audit sections -------------------------------------------


def tuning_overview(site: Web, request: Request) -> dict[str, Any]:
    """What `admin.html`'s models and audit sections show (`bot.web.routes.admin`)."""
    store = site.store
    active = active_version(store)
    versions = model_versions(store)
    target = rollback_target(store)
    query = request.query_params
    problem = query.get("problem", "")
    return {
        "versions": versions,
        "active_version": active,
        "needs_override": {v.id: worse_than(v, active) for v in versions},
        "rollback_to": target,
        "rollback_needs_override": worse_than(target, active) if target else None,
        "job": latest_job(store),
        "audit": audit_log(store, limit=AUDIT_ON_PAGE),
        "model_dir": str(site.settings.model_dir),
        "tuning_done": query.get("done") if query.get("done") in DONE else None,
        "tuning_problem": problem if problem in PROBLEMS else None,
        "problem_version": query.get("version", "")[:64],
    }


def _back(anchor: str, **query: str) -> Response:
    return RedirectResponse(f"/admin?{urlencode(query)}#{anchor}", status_code=303)


def _refused(error: ModelActivationError) -> Response:
    name = str(error.values.get("name", ""))
    return _back("models", problem=error.key, version=name)


@router.post("/admin/models/{version_id}/activate")
def activate_version(
    site: Site,
    info: Acting,
    _admin: AdminOnly,
    version_id: int,
    override: Annotated[str, Form()] = "",
) -> Response:
    try:
        activate(site.store, version_id, info.user.name, override=override == "yes")
    except ModelActivationError as error:
        return _refused(error)
    return _back("models", done="activated")


@router.post("/admin/models/rollback")
def roll_back_version(
    site: Site, info: Acting, _admin: AdminOnly, override: Annotated[str, Form()] = ""
) -> Response:
    try:
        roll_back(site.store, info.user.name, override=override == "yes")
    except ModelActivationError as error:
        return _refused(error)
    return _back("models", done="rolled_back")


@router.post("/admin/models/retrain")
def retrain(site: Site, info: Acting, _admin: AdminOnly) -> Response:
    try:
        start_retrain(site.settings, site.store, info.user.name)
    except RetrainBusyError as error:
        return _refused(error)
    return _back("models", done="retrain_started")


@router.get("/admin/models/retrain/status")
def retrain_status(site: Site, _admin: AdminOnly) -> Response:
    """The newest job's state, step and count, for the admin page to poll."""
    job = latest_job(site.store)
    return JSONResponse(job.to_json() if job else {"state": "none"})


# --- the audit log as CSV ---------------------------------------------------------------------

_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """A spreadsheet never runs a cell as a formula: such a cell gets a leading quote."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def audit_csv(rows: list[AuditRow]) -> str:
    """The audit log, oldest first: time (UTC, ISO 8601), who, what, details (JSON)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["at", "actor", "action", "detail"])
    for row in sorted(rows, key=lambda r: r.id):
        detail = json.dumps(row.detail, ensure_ascii=False, sort_keys=True)
        writer.writerow(
            [row.at.astimezone(UTC).isoformat(), _cell(row.actor), _cell(row.action), _cell(detail)]
        )
    return out.getvalue()


@router.get("/admin/audit.csv")
def audit_export(site: Site, _admin: AdminOnly) -> Response:
    stamp = f"{datetime.now(UTC):%Y%m%d}"
    return Response(
        audit_csv(audit_log(site.store)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="mikrobot-audit-{stamp}.csv"'},
    )


# --- the rules file ---------------------------------------------------------------------------


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def save_token(secret: str, text: str, current: str, tried: int, changed: int) -> str:
    """What a passed test hands to the save: bound to the session (`secret`, its CSRF
    token), the tested text, the file it would replace, and the backtest's counts."""
    message = f"{_sha256(text)}:{_sha256(current)}:{tried}:{changed}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _current_rules(site: Web) -> str:
    return site.settings.rules_file.read_text(encoding="utf-8")


def _normalised(text: str) -> str:
    """A textarea posts CRLF line ends; the file has LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@lru_cache(maxsize=4)
def _model(path: str, changed_at: float) -> TextClassifier:
    """A model loaded once per folder and change (`changed_at`: its meta.json's mtime)."""
    return TextClassifier.load(Path(path))


def _context_now(site: Web, current: str) -> TriageContext:
    """The context the bot triages with: the rules file as it is, the active model."""
    bare = load_triage_context(site.settings, with_model=False)
    model_dir = running_model_dir(site.settings, site.store)
    meta = model_dir / "meta.json"
    model = _model(str(model_dir), meta.stat().st_mtime) if meta.exists() else None
    return dataclasses.replace(bare, rules=rules_from_text(current), model=model)


def _runs(request: Request) -> BacktestRuns:
    """This process's backtests, kept on the app's state."""
    state = request.app.state
    with _RUNS_LOCK:
        if not hasattr(state, "backtests"):
            state.backtests = BacktestRuns()
        runs: BacktestRuns = state.backtests
    return runs


_RUNS_LOCK: Final = threading.Lock()


def _rules_page(
    site: Web,
    request: Request,
    text: str,
    *,
    status: int = 200,
    problems: list[RulesProblem] | None = None,
    run: BacktestRun | None = None,
    csrf_token: str = "",
    message: str | None = None,
    done: str | None = None,
) -> Response:
    result = run.result if run is not None else None
    tested = (
        save_token(csrf_token, run.text, run.current, result.tried, len(result.changes))
        if run is not None and result is not None
        else ""
    )
    return site.render(
        request,
        "admin_rules.html",
        status=status,
        rules_file=str(site.settings.rules_file),
        rules_text=text,
        problems=problems or [],
        run=run,
        result=result,
        tested=tested,
        limit=site.settings.tuning.backtest_mails,
        message=message,
        done=done,
    )


@router.get("/admin/rules")
def rules_page(
    request: Request, site: Site, info: AdminOnly, done: str = "", run: str = ""
) -> Response:
    """The editor; with `run`, a test's text, its progress and, once done, its result."""
    found = _runs(request).get(run) if run else None
    if found is not None:
        return _rules_page(site, request, found.text, run=found, csrf_token=info.csrf_token)
    try:
        text = _current_rules(site)
    except OSError as error:
        return _rules_page(
            site, request, "", status=500, message=f"{site.settings.rules_file}: {error}"
        )
    message = "rules_run_gone" if run else None
    return _rules_page(
        site, request, text, message=message, done="rules_saved" if done == "rules_saved" else None
    )


@router.get("/admin/rules/runs/{run_token}")
def rules_run_status(request: Request, _admin: AdminOnly, run_token: str) -> Response:
    """A backtest's progress; its token is no row id (`bot.web.pages.row_ids`)."""
    found = _runs(request).get(run_token)
    return JSONResponse(found.to_json() if found else {"id": run_token, "state": "gone"})


@router.post("/admin/rules/test")
def test_rules(
    request: Request,
    site: Site,
    info: Acting,
    _admin: AdminOnly,
    text: Annotated[str, Form(max_length=MAX_RULES_CHARS)] = "",
) -> Response:
    """Check the text with the bot's own loader; if it loads, start its backtest."""
    text = _normalised(text)
    rules, problems = check_rules(text)
    if rules is None:
        return _rules_page(site, request, text, status=400, problems=problems)
    current = _current_rules(site)
    context = _context_now(site, current)
    limit = site.settings.tuning.backtest_mails

    def work(run: BacktestRun) -> Backtest:
        return backtest(
            site.store, context, rules, limit, progress=run.report, stopped=run.stop.is_set
        )

    run = _runs(request).start(info.user.name, text, current, work)
    return RedirectResponse(f"/admin/rules?run={run.id}", status_code=303)


@router.post("/admin/rules/save")
def save_rules_text(
    request: Request,
    site: Site,
    info: Acting,
    _admin: AdminOnly,
    text: Annotated[str, Form(max_length=MAX_RULES_CHARS)] = "",
    tested: Annotated[str, Form(max_length=200)] = "",
    tried: Annotated[int, Form()] = 0,
    changed: Annotated[int, Form()] = 0,
) -> Response:
    """Save a text whose test passed (the token matches); otherwise back to the editor."""
    text = _normalised(text)
    current = _current_rules(site)
    expected = save_token(info.csrf_token, text, current, tried, changed)
    if not tested or not hmac.compare_digest(expected, tested):
        return _rules_page(site, request, text, status=409, message="rules_not_tested")
    rules, problems = check_rules(text)
    if rules is None:  # cannot happen after a passed test; checked again all the same
        return _rules_page(site, request, text, status=400, problems=problems)
    backup = save_rules(site.settings.rules_file, text)
    audit(
        site.store,
        info.user.name,
        "rules_saved",
        file=str(site.settings.rules_file),
        sha256=_sha256(text),
        previous_sha256=_sha256(current),
        backup=str(backup) if backup else None,
        backtest_mails=tried,
        backtest_changed=changed,
    )
    return RedirectResponse("/admin/rules?done=rules_saved", status_code=303)

"""The admins' page: figures, model versions, corrections waiting for retraining, rules,
users, and the audit log (the tuning sections come from `bot.web.routes.tuning`)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from bot.store.accounts import list_users
from bot.store.tickets import corrections
from bot.web.figures import confusion_svg, read_evaluation
from bot.web.i18n import Translator, language_of
from bot.web.pages import AdminOnly, Site
from bot.web.routes.queue import CATEGORIES
from bot.web.routes.tuning import tuning_overview
from bot.web.security import LANGUAGE_COOKIE

router = APIRouter()


@router.get("/admin")
def admin_page(request: Request, site: Site, _info: AdminOnly) -> Response:
    settings = site.settings
    rules_file = settings.rules_file
    try:
        rules_text = rules_file.read_text(encoding="utf-8")
    except OSError as error:
        rules_text = f"(cannot read {rules_file}: {error.strerror or error})"
    return site.render(
        request,
        "admin.html",
        evaluation=read_evaluation(settings.web.evaluation_file),
        evaluation_file=str(settings.web.evaluation_file),
        categories=CATEGORIES,
        waiting=corrections(site.store, waiting_only=True),
        rules_file=str(rules_file),
        rules_text=rules_text,
        threshold=settings.web.low_confidence,
        users=list_users(site.store),
        **tuning_overview(site, request),
    )


@router.get("/admin/confusion.svg")
def confusion_picture(request: Request, site: Site, _info: AdminOnly) -> Response:
    evaluation = read_evaluation(site.settings.web.evaluation_file)
    if evaluation is None:
        raise HTTPException(404)
    t = Translator(language_of(request.cookies.get(LANGUAGE_COOKIE)))
    labels = {c: t.optional("cat_", c) for c in CATEGORIES}
    return Response(confusion_svg(evaluation.confusion, labels), media_type="image/svg+xml")

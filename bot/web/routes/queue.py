"""The queue: tickets filtered, a page at a time, every filter in the URL."""

from __future__ import annotations

from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from bot.cases import TicketStatus
from bot.store.accounts import assignable_users, list_users
from bot.store.tickets import QueueFilter, queue
from bot.verdict import Category
from bot.web.pages import SignedIn, Site

router = APIRouter()
CATEGORIES: Final = tuple(c.value for c in Category)
STATUSES: Final = tuple(s.value for s in TicketStatus)
PER_PAGE: Final = 25


@router.get("/")
def queue_page(
    request: Request,
    site: Site,
    info: SignedIn,
    category: str = "",
    status: str = "",
    assigned: str = "",
    missing: str = "",
    low: str = "",
    personal_data: str = "",
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    params = {
        "category": category if category in CATEGORIES else "",
        "status": status if status in STATUSES else "",
        "assigned": assigned[:120],
        "missing": "1" if missing else "",
        "low": "1" if low else "",
        "personal_data": "1" if personal_data else "",
        "q": q.strip(),
    }
    wanted = QueueFilter(
        category=params["category"] or None,
        status=params["status"] or None,
        assigned_to=info.user.name if assigned == "me" else (params["assigned"] or None),
        has_missing=bool(params["missing"]),
        low_confidence=bool(params["low"]),
        personal_data=bool(params["personal_data"]),
        search=params["q"],
    )
    threshold = site.settings.web.low_confidence
    found = queue(site.store, wanted, threshold=threshold, page=page, per_page=PER_PAGE)

    def url(**changes: str | int) -> str:
        merged: dict[str, str | int] = {**params, "page": found.page, **changes}
        kept = {k: v for k, v in merged.items() if v != "" and not (k == "page" and v == 1)}
        return f"/?{urlencode(kept)}" if kept else "/"

    return site.render(
        request,
        "queue.html",
        found=found,
        params=params,
        url=url,
        categories=CATEGORIES,
        statuses=STATUSES,
        users=[u.name for u in list_users(site.store)],
        assignable=assignable_users(site.store),
        low_confidence=threshold,
    )

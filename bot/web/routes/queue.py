"""The queue: open tickets first, filtered, sorted, a page at a time, every filter and the
sort in the URL so a view can be bookmarked."""

from __future__ import annotations

from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from bot.cases import TicketStatus
from bot.store.accounts import assignable_users, list_users
from bot.store.models import utc_now
from bot.store.tickets import (
    ALL,
    OPEN,
    QueueFilter,
    QueueRow,
    QueueSort,
    SortKey,
    existing_ticket,
    is_overdue,
    overdue_cutoff,
    queue,
)
from bot.verdict import Category
from bot.web.pages import SignedIn, Site

router = APIRouter()
CATEGORIES: Final = tuple(c.value for c in Category)
STATUSES: Final = tuple(s.value for s in TicketStatus)
SORT_KEYS: Final = tuple(k.value for k in SortKey)
DEFAULT_SORT: Final = QueueSort()
FIRST_ORDER: Final = {SortKey.RECEIVED: "desc", SortKey.UPDATED: "desc", SortKey.CATEGORY: "asc"}
"""The order a column sorts in when first chosen: dates newest first, categories as listed."""
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
    overdue: str = "",
    sort: str = "",
    order: str = "",
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The queue; a search for an exact ticket reference (`MB-000013`) goes straight to
    that ticket, closed or not."""
    if (found_ticket := existing_ticket(site.store, q)) is not None:
        return RedirectResponse(f"/tickets/{found_ticket}", status_code=303)
    chosen = SortKey(sort) if sort in SORT_KEYS else DEFAULT_SORT.key
    default_order = FIRST_ORDER[chosen]
    params = {
        "category": category if category in CATEGORIES else "",
        "status": status if status in (*STATUSES, ALL) else "",
        "assigned": assigned[:120],
        "missing": "1" if missing else "",
        "low": "1" if low else "",
        "personal_data": "1" if personal_data else "",
        "overdue": "1" if overdue else "",
        "q": q.strip(),
        "sort": chosen.value if chosen != DEFAULT_SORT.key else "",
        "order": order if order in ("asc", "desc") and order != default_order else "",
    }
    now = utc_now()
    cutoff = overdue_cutoff(now, site.settings.web.answer_within_days)
    wanted = QueueFilter(
        category=params["category"] or None,
        status=params["status"] or OPEN,
        assigned_to=info.user.name if assigned == "me" else (params["assigned"] or None),
        has_missing=bool(params["missing"]),
        low_confidence=bool(params["low"]),
        personal_data=bool(params["personal_data"]),
        search=params["q"],
        overdue_before=cutoff if params["overdue"] else None,
    )
    descending = (params["order"] or default_order) == "desc"
    threshold = site.settings.web.low_confidence
    found = queue(
        site.store,
        wanted,
        threshold=threshold,
        page=page,
        per_page=PER_PAGE,
        sort=QueueSort(chosen, descending),
    )

    def url(**changes: str | int) -> str:
        merged: dict[str, str | int] = {**params, "page": found.page, **changes}
        kept = {k: v for k, v in merged.items() if v != "" and not (k == "page" and v == 1)}
        return f"/?{urlencode(kept)}" if kept else "/"

    def sort_url(key: str) -> str:
        """The link of a sortable column: the other direction when it is the sort, else the
        column's first direction; back to page 1."""
        wanted_key = SortKey(key)
        first = FIRST_ORDER[wanted_key]
        direction = ("asc" if descending else "desc") if wanted_key == chosen else first
        return url(
            sort="" if wanted_key == DEFAULT_SORT.key else key,
            order="" if direction == first else direction,
            page=1,
        )

    def sorted_by(key: str) -> str:
        """`aria-sort` of a sortable column header."""
        if key != chosen.value:
            return "none"
        return "descending" if descending else "ascending"

    def overdue_row(row: QueueRow) -> bool:
        return is_overdue(row.status, row.received_at, cutoff)

    return site.render(
        request,
        "queue.html",
        found=found,
        params=params,
        url=url,
        sort_url=sort_url,
        sorted_by=sorted_by,
        overdue_row=overdue_row,
        now=now,
        answer_within_days=site.settings.web.answer_within_days,
        categories=CATEGORIES,
        statuses=STATUSES,
        users=[u.name for u in list_users(site.store)],
        assignable=assignable_users(site.store),
        low_confidence=threshold,
    )

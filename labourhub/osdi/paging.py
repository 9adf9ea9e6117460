"""OSDI paging (`page`, `per_page`, `next`/`previous` links) without a COUNT.

Rows come in primary-key order. The `next` link carries the last key of the page (`after=`) and the
`previous` link the first (`before=`), so following links is keyset paging: page 800 costs what page 1
does. A bare `?page=N` (no cursor), as OSDI's own examples write it, still works, by OFFSET: fine for
the first pages, slower deep into a big register (follow the links instead).

`total_records` and `total_pages` are given only where they come free: on the last page, where they
are the rows before it plus the rows on it (exact when the earlier pages were read with the same
`per_page`, as the links do). Elsewhere they are left out rather than paid for by a COUNT over a whole
register on every page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from rest_framework import exceptions
from rest_framework.request import Request

PER_PAGE = 25  # Action Network's page size
MAX_PER_PAGE = 100


@dataclass
class Page:
    rows: list[Any]
    body: dict[str, Any]  # per_page, page and, on the last page, total_records and total_pages
    links: dict[str, dict[str, str]]  # self, next, previous


def _whole(request: Request, name: str, default: int | None, smallest: int) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or int(raw) < smallest:
        raise exceptions.ValidationError({name: f"give a whole number of at least {smallest}, not {raw!r}."})
    return int(raw)


def page_of(request: Request, queryset: QuerySet[Any]) -> Page:
    per_page = min(_whole(request, "per_page", PER_PAGE, 1) or PER_PAGE, MAX_PER_PAGE)
    page = _whole(request, "page", 1, 1) or 1
    after = _whole(request, "after", None, 0)
    before = _whole(request, "before", None, 1)
    if after is not None and before is not None:
        raise exceptions.ValidationError({"before": "give after or before, not both."})
    ordered = queryset.order_by("pk")
    if before is not None:
        rows = list(ordered.filter(pk__lt=before).order_by("-pk")[:per_page])[::-1]
        more = True  # the page `before` pointed from follows this one
    else:
        if after is not None:
            fetched = list(ordered.filter(pk__gt=after)[: per_page + 1])
        else:
            start = (page - 1) * per_page
            fetched = list(ordered[start : start + per_page + 1])
        more = len(fetched) > per_page
        rows = fetched[:per_page]
    body: dict[str, Any] = {"per_page": per_page, "page": page}
    if not more:
        body["total_pages"] = page if rows or page == 1 else page - 1
        body["total_records"] = (page - 1) * per_page + len(rows)
    base = {
        key: value for key, value in request.query_params.items() if key not in ("after", "before", "page")
    }

    def href(**extra: Any) -> dict[str, str]:
        query = urlencode({**base, **extra})
        return {"href": request.build_absolute_uri(request.path + (f"?{query}" if query else ""))}

    links = {"self": {"href": request.build_absolute_uri()}}
    if more and rows:
        links["next"] = href(page=page + 1, per_page=per_page, after=rows[-1].pk)
    if page > 1 and rows:
        links["previous"] = href(page=page - 1, per_page=per_page, before=rows[0].pk)
    return Page(rows=rows, body=body, links=links)

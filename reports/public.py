"""The public street page's figures (issue 17): this month so far and last month, for anyone,
with no address and no name — received, the response, resolution and satisfaction rates, the
pyramid and the categories residents raise most.

They are the monthly report's own computations (`selectors.headline`, `selectors.breakdown`),
never a copy: last month is read from the issued report when there is one, so the page says
what the report says; otherwise (and for this month) counted the same way.

Served from Redis (the default cache): a ticket of the street that is opened, changes status
(resolved, closed, reopened...) or gets the resident's verdict, and a newly issued report, mark
the street's figures stale (`reports.signals`); the next reader recomputes them while the
others go on reading the previous figures for the moment it takes. After
`ZHITONG_PUBLIC_PAGE_CACHE_SECONDS` they are recomputed anyway (what changes without a
signal: a bulk change by the sweep). Redis not answering: the figures are computed for each
request (fail open), never a 500; after one failure the page leaves Redis alone for a moment
(`core.redis_pause`), so a hung Redis costs one request per process per pause its socket
timeout, not every request three. Keeping, recomputing by one reader and marking stale are
`core.kept`'s, as for the dashboard.
"""

import contextlib
import datetime as dt
import time

from django.conf import settings
from django.utils import timezone

from core import clock
from core.kept import cache_call as _cache
from core.kept import kept, kept_stale, keys
from responders.models import StreetOffice
from responders.selectors import EVERYTHING

from .models import MonthlyReport
from .selectors import ReportUnit, breakdown, headline, received

HOT_CATEGORIES = 5
# The street's id by its code is kept a day (codes do not change).
KEEP_SECONDS = 24 * 3600


def public_part(head: dict, by_category: list[dict]) -> dict:
    """The parts of a report's figures the public page shows: counts and rates only."""
    return {
        "received": head["received"],
        "response_rate": head["response_rate"],
        "resolution_rate": head["resolution_rate"],
        "satisfaction_rate": head["satisfaction_rate"],
        "feedback": head["feedback"],
        "resolved": head["resolved"],
        "tiers": {tier: head[tier] for tier in ("zone", "committee", "street")},
        "pyramid": head["pyramid"],
        "categories": [
            {"code": row["key"], "name": row["name"], "received": row["received"]}
            for row in by_category[:HOT_CATEGORIES]
        ],
    }


def _month_figures(street: StreetOffice, start: dt.date, end: dt.date) -> dict:
    tickets = received(EVERYTHING, ReportUnit(street_id=street.pk), start, end)
    return public_part(headline(tickets), breakdown(tickets, "category__code", "category__name"))


def street_id_for(code: str) -> int | None:
    """The id of the street with this code (None: no such street), kept in the cache for a day
    (codes do not change; a code no street has is asked of the database each time)."""
    key = f"public-street-code:{code}"
    try:
        street_id = _cache("get", key)
    except Exception:
        street_id = None
    if street_id is None:
        street_id = StreetOffice.objects.filter(code=code).values_list("pk", flat=True).first()
        if street_id is not None:
            with contextlib.suppress(Exception):  # logged by core.redis_pause, once a minute
                _cache("set", key, street_id, KEEP_SECONDS)
    return street_id


def compute_public_figures(street: StreetOffice, *, now: dt.datetime | None = None) -> dict:
    """This month up to today and last month: the issued report's figures where there is one."""
    today = timezone.localtime(clock.now(now)).date()
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    report = MonthlyReport.objects.filter(street=street, month=last_month).only("data").first()
    if report is not None:
        last = {**public_part(report.data["headline"], report.data["by_category"]), "issued": True}
    else:
        last = {**_month_figures(street, last_month, this_month), "issued": False}
    return {
        "street": {"code": street.code, "name": street.name},
        "as_of": today.isoformat(),
        # Names this computation: a page rendered from it can be kept under this name.
        "computed_at": time.time(),
        "this_month": {
            "month": this_month.isoformat(),
            **_month_figures(street, this_month, today + dt.timedelta(days=1)),
        },
        "last_month": {"month": last_month.isoformat(), **last},
    }


def _name(street_id: int) -> str:
    return f"public-street:{street_id}"


def _keys(street_id: int) -> tuple[str, str, str]:
    """The cache keys of the street's figures, their freshness mark and recompute lock."""
    return keys(_name(street_id))


def public_figures(street_id: int) -> dict:
    """The street's figures from the cache (core.kept), recomputed when stale, missing or of
    another day (fail open)."""
    today = timezone.localdate().isoformat()
    return kept(
        _name(street_id),
        lambda: compute_public_figures(StreetOffice.objects.get(pk=street_id)),
        settings.ZHITONG_PUBLIC_PAGE_CACHE_SECONDS,
        still_good=lambda figures: figures["as_of"] == today,
    )


def cached_page(figures: dict, language: str, render) -> str:
    """The page rendered from these figures in this language: kept for as long as the figures
    are, under the name of their computation, so a fresh page costs one more Redis read and no
    rendering. `render()` makes it when it is not kept (or Redis does not answer)."""
    key = f"public-street:{figures['street']['code']}:page:{language}:{figures['computed_at']}"
    try:
        page = _cache("get", key)
    except Exception:
        return render()
    if page is None:
        page = render()
        with contextlib.suppress(Exception):  # logged by core.redis_pause, once a minute
            _cache("set", key, page, settings.ZHITONG_PUBLIC_PAGE_CACHE_SECONDS)
    return page


def public_figures_stale(street_id: int) -> None:
    """Mark the street's figures stale: the next reader recomputes them."""
    kept_stale(_name(street_id))

"""Likely duplicates: open tickets that may be the same problem as a new report.

Descriptions are compared by core.similarity (place, facets of the thing and the trouble, and
character bigrams; see its docstring).

Candidates are the open tickets the caller may see, of the same building — or of the same zone
(the same street, for a request placed only by its street) and category — filed within the
category's window (`Category.duplicate_window_days`). Of those, one in the same building with
the same category is always shown; any other only when its text is alike enough
(`core.similarity.SAME_ABOVE`, measured on the labelled pairs in
tests/data/duplicate_pairs.tsv: `bench/duplicates.py` prints precision and recall). A
suggestion is a suggestion: nothing is refused on a guess."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.enums import OPEN_STATUSES
from core.similarity import (
    SAME_ABOVE,
    bigrams,  # noqa: F401  (re-exported: callers and tests read it here)
    profile,
    similarity,
)

from .models import Building, Category, Household, Ticket

LIMIT = 5
SCANNED = 200  # the newest candidates compared, at most


@dataclass(frozen=True)
class Suggestion:
    ticket: Ticket
    score: float
    same_building: bool


def likely_duplicates(
    visible: QuerySet[Ticket],
    *,
    category: Category | None,
    description: str,
    household: Household | None = None,
    building: Building | None = None,
    zone_id: int | None = None,
    street_id: int | None = None,
    now: dt.datetime | None = None,
    exclude: int | None = None,
    limit: int = LIMIT,
) -> list[Suggestion]:
    """The open tickets of `visible` (the caller's tickets) most like the new report, best first."""
    if household is not None:
        building = building or household.building
        zone_id = zone_id or household.zone_id
    if category is None and building is None:
        return []
    if building is None and zone_id is None and street_id is None:
        return []
    days = category.duplicate_window_days if category is not None else Category.DEFAULT_DUPLICATE_WINDOW_DAYS
    since = (now or timezone.now()) - dt.timedelta(days=days)
    where = Q()
    if building is not None:
        where |= Q(household__building=building)
    if zone_id is not None and category is not None:
        where |= Q(zone_id=zone_id, category=category)
    elif street_id is not None and category is not None:  # a request placed only by its street
        where |= Q(street_id=street_id, category=category)
    candidates = (
        visible.filter(where, status__in=OPEN_STATUSES, created_at__gte=since)
        .exclude(pk=exclude)
        .select_related(None)
        .select_related("household")
        .only("id", "reference", "description", "category_id", "created_at", "household__building_id")
        .order_by("-created_at")[:SCANNED]
    )
    new = profile(description)
    found = []
    for ticket in candidates:
        score = similarity(new, ticket.description)
        same_building = (
            building is not None and ticket.household is not None and ticket.household.building_id == building.pk
        )
        if score >= SAME_ABOVE or (same_building and category is not None and ticket.category_id == category.pk):
            found.append(Suggestion(ticket, round(score, 2), same_building))
    found.sort(key=lambda s: (s.score, s.same_building, s.ticket.created_at), reverse=True)
    return found[:limit]

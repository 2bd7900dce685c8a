"""Likely duplicates: open tickets that may be the same problem as a new report.

Descriptions are compared by core.similarity (places, facets of the thing and the trouble,
character n-grams, combined by a model fitted on labelled pairs; see its docstring).

Candidates are the open tickets the caller may see, of the same building — or of the same zone
(the same street, for a request placed only by its street) and category — filed within the
category's window (`Category.duplicate_window_days`). Of those, one in the same building with
the same category is always shown; any other only when its text is alike enough
(`core.similarity.SAME_ABOVE`, measured on the labelled pairs in
tests/data/duplicate_pairs.tsv: `bench/duplicates.py` prints precision and recall). A
suggestion is a suggestion: nothing is refused on a guess."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from functools import cache

from django.db.models import Q, QuerySet
from django.utils import timezone

from core import statements
from core.enums import OPEN_STATUSES
from core.similarity import (
    SAME_ABOVE,
    bigrams,  # noqa: F401  (re-exported: callers and tests read it here)
    may_be_same,
    profile,
    similarity,
)
from responders.selectors import Scope

from .models import Building, Category, Household, Ticket
from .selectors import visible_tickets

LIMIT = 5
SCANNED = 200  # the newest candidates compared, at most
# What a candidate is read as: plain rows, not model instances (building 200 Ticket objects a
# create cost more than comparing their texts); the few suggested become tickets (`_ticket`),
# whose date the desk shows. Then its units, for the caller's scope.
FIELDS = ("id", "reference", "description", "category_id", "created_at")
UNITS = ("street_id", "committee_id", "zone_id")
_DESCRIPTION, _CATEGORY, _CREATED, _STREET, _COMMITTEE, _ZONE = 2, 3, 4, 5, 6, 7


@dataclass(frozen=True)
class Suggestion:
    ticket: Ticket
    score: float
    same_building: bool


def candidate_queries(scope: Scope, **place) -> list[tuple[QuerySet[Ticket], bool]]:
    """The queries for the open tickets that a new report is compared with, each the newest
    SCANNED of its kind, and whether its tickets are of the report's building: those of the
    building, and those of the zone (or, for a request placed only by its street, the street)
    and category; none when the report names too little to look for any. Each row is FIELDS,
    then UNITS.

    The caller's scope narrows the rows afterwards (`candidates`): it is a matter of each row's
    street, committee and zone, as `Scope.covers` answers it, where compiling it into the
    statement was most of the statement's cost. A scope with departments (tickets referred to
    them) is narrowed in the statement, by `visible_tickets`.

    Two queries, not one with OR: each walks its own index and stops at SCANNED (the building's
    households, then their open tickets on `ticket_open_household`; `ticket_open_zone_category`
    or `ticket_open_street_category` newest first, without a join), where an OR across the
    household join made PostgreSQL read every open ticket of the window
    (bench/duplicates_intake.py prints the plans)."""
    return [(_query(scope, kind, *values), same_building) for kind, values, same_building in _places(**place)]


def _places(
    *, category, household=None, building=None, zone_id=None, street_id=None, now=None, exclude=None
) -> list[tuple[str, tuple, bool]]:
    """What `candidate_queries` reads, as (kind, the statement's values, of the building?).
    `place`: the report's category, and its household, building, zone or street (what it
    names), `now` (default: now) and the ticket to leave out (`exclude`, default none)."""
    if household is not None:
        building = building or household.building
        zone_id = zone_id or household.zone_id
    if category is None and building is None:
        return []
    if building is None and zone_id is None and street_id is None:
        return []
    days = category.duplicate_window_days if category is not None else Category.DEFAULT_DUPLICATE_WINDOW_DAYS
    since = (now or timezone.now()) - dt.timedelta(days=days)
    leave_out = exclude or 0  # no ticket has the id 0: one statement whether or not one is left out
    places = []
    if building is not None:
        # The building's households first, as a list: across the join PostgreSQL walked the
        # street's newest open tickets looking for the building's (313 ms on 3 million
        # tickets, two in five with a household); by the households' ids, 25 ms.
        households = list(Household.objects.filter(building=building).values_list("pk", flat=True))
        places.append(("building", (since, households, leave_out), True))
    if zone_id is not None and category is not None:
        places.append(("zone", (since, zone_id, leave_out, category.pk), False))
    elif street_id is not None and category is not None:
        places.append(("street", (since, street_id, leave_out, category.pk), False))
    return places


def _query(scope: Scope | None, kind: str, since, place, exclude: int, category_id: int | None = None) -> QuerySet:
    """One of `candidate_queries`' statements (its values as `_places` gives them): the newest
    SCANNED open tickets since `since`, but `exclude`, of the building's households (`place`:
    their ids), or of the zone or street `place` and the category; with `scope`, narrowed to it
    in the statement."""
    where = Q(household_id__in=place) if kind == "building" else Q(**{f"{kind}_id": place, "category_id": category_id})
    open_recent = Ticket.objects.filter(status__in=OPEN_STATUSES, created_at__gte=since).exclude(pk=exclude)
    # Each takes the newest SCANNED of the place from its index, then the scope (with the
    # scope inside, PostgreSQL, not knowing that a zone's tickets are all its committee's,
    # gathered every ticket of the window and sorted them).
    newest = open_recent.filter(where).order_by("-created_at")
    if scope is not None and _narrowed_in_statement(scope):
        newest = visible_tickets(scope).filter(pk__in=newest.values("pk")[:SCANNED]).order_by("-created_at")
    else:
        newest = newest[:SCANNED]
    return newest.values_list(*FIELDS, *UNITS)


def candidates(scope: Scope, **place) -> list[tuple[tuple, bool]]:
    """The open tickets a new report is compared with (`candidate_queries`, same arguments)
    that the scope lets the caller see, each once, as a row of FIELDS and UNITS with whether it
    is of the report's building: newest first, at most SCANNED."""
    seen_by_units = not _narrowed_in_statement(scope)
    found: dict[int, tuple[tuple, bool]] = {}
    for kind, values, same_building in _places(**place):
        if seen_by_units:  # one statement for every caller: compiled once (core.statements)
            read = statements.rows(("duplicates", kind), functools.partial(_query, None, kind), *values)
        else:
            read = _query(scope, kind, *values)
        for row in read:
            if seen_by_units and not _seen(scope, row):
                continue
            if row[0] not in found or same_building:
                found[row[0]] = (row, same_building)
    return sorted(found.values(), key=lambda found: (found[0][_CREATED], found[0][0]), reverse=True)[:SCANNED]


def _narrowed_in_statement(scope: Scope) -> bool:
    """A scope with departments sees the tickets referred to them, which no row's units say."""
    return bool(scope.department_ids) and not scope.everything


def _seen(scope: Scope, row: tuple) -> bool:
    return scope.covers(street_id=row[_STREET], committee_id=row[_COMMITTEE], zone_id=row[_ZONE])


def _ticket(row: tuple) -> Ticket:
    """A candidate's row as the ticket it is (its FIELDS loaded, the rest deferred)."""
    names, positions = _model_order()
    return Ticket.from_db(Ticket.objects.db, names, [row[i] for i in positions])


@cache
def _model_order() -> tuple[tuple[str, ...], tuple[int, ...]]:
    """FIELDS in the model's own field order, and where each is in a row: `Model.from_db`
    takes a part of a row in that order whatever order its names come in (read in FIELDS'
    order, a suggestion's description was its category's id)."""
    order = [field.attname for field in Ticket._meta.concrete_fields]
    positions = tuple(sorted(range(len(FIELDS)), key=lambda i: order.index(FIELDS[i])))
    return tuple(FIELDS[i] for i in positions), positions


def likely_duplicates(
    scope: Scope,
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
    """The open tickets the caller's scope sees most like the new report, best first."""
    compared = candidates(
        scope,
        category=category,
        household=household,
        building=building,
        zone_id=zone_id,
        street_id=street_id,
        now=now,
        exclude=exclude,
    )
    new = profile(description)
    found = []
    for row, same_building in compared:
        shown_anyway = same_building and category is not None and row[_CATEGORY] == category.pk
        if not shown_anyway and not may_be_same(new, row[_DESCRIPTION]):
            continue  # sharing no facet, it cannot score SAME_ABOVE
        score = round(similarity(new, row[_DESCRIPTION]), 2)
        if score >= SAME_ABOVE or shown_anyway:
            found.append((score, same_building, row))
    found.sort(key=lambda f: (f[0], f[1], f[2][_CREATED]), reverse=True)
    return [Suggestion(_ticket(row), score, same_building) for score, same_building, row in found[:limit]]


def likely_duplicates_of(scope: Scope, ticket: Ticket, *, limit: int = LIMIT) -> list[Suggestion]:
    """`likely_duplicates` of a ticket by its own category, text and place: of one being opened
    (placed but not yet saved: `ticket_create(unnumbered=...)`) or, leaving itself out, of one
    saved."""
    return likely_duplicates(
        scope,
        category=ticket.category,
        description=ticket.description,
        household=ticket.household,
        zone_id=ticket.zone_id,
        street_id=ticket.street_id,
        exclude=ticket.pk,
        limit=limit,
    )

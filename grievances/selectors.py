"""Reads of households and tickets, every one narrowed by the visibility rule: the `Scope`
of responders.selectors, applied here to the rows this app owns (`visible_households`,
`visible_tickets`)."""

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.utils import timezone

from core.enums import OPEN_STATUSES
from responders.models import User
from responders.selectors import Scope, user_scope, visible_zones

from .models import Household, Ticket, Visit

DUE_SOON = dt.timedelta(hours=24)


def visible_households(scope: Scope) -> QuerySet[Household]:
    return scope.filter(
        # The zone's committee too: whose personal data a person may see is decided by it.
        Household.objects.select_related("zone__committee", "building"),
        street="zone__committee__street",
        committee="zone__committee",
        zone="zone",
    )


def _referred_to(department_ids: list[int]) -> Q:
    # escalation.Referral, reached through its relation: escalation sits above this app.
    referrals = Ticket._meta.get_field("referrals").related_model.objects
    return Q(pk__in=referrals.filter(department_id__in=department_ids).values("ticket_id"))


def visible_tickets(scope: Scope) -> QuerySet[Ticket]:
    """Tickets under the caller's units; for a department, the tickets ever referred to it."""
    return scope.filter(
        Ticket.objects.all(),
        street="street",
        committee="committee",
        zone="zone",
        department=_referred_to,
    )


def ticket_visible_to(user: User, ticket: Ticket, scope: Scope | None = None) -> bool:
    """What `visible_tickets` says of one ticket, answered from its columns (a query only
    for a department's referrals); `scope`: the person's, when the caller has it already."""
    scope = scope if scope is not None else user_scope(user)
    if scope.covers(street_id=ticket.street_id, committee_id=ticket.committee_id, zone_id=ticket.zone_id):
        return True
    return (
        bool(scope.department_ids)
        and visible_tickets(Scope(department_ids=scope.department_ids)).filter(pk=ticket.pk).exists()
    )


# What a typed address or phone may carry that the stored one may not (or the other way):
# spaces, full-width spaces, and in a phone the dashes and a country code's plus.
_SPACES = re.compile(r"\s+")
_PHONE_PUNCTUATION = re.compile(r"[\s\-+()（）]")
# A query of this many digits or more (and nothing else) is also looked for among phones.
PHONE_QUERY_MIN_DIGITS = 4


def _without(expression, characters: str):
    for character in characters:
        expression = Replace(expression, Value(character), Value(""))
    return expression


def household_search(
    scope: Scope, query: str = "", zone_id: int | None = None, *, phone_scope: Scope | None = None
) -> QuerySet[Household]:
    """Households by address (typed with or without spaces: `141弄1号101` finds
    `141 弄 1 号 101`), contact name, or phone.

    A phone is personal data: it is searched only among the households of `phone_scope`
    (the caller asks escalation.policy.personal_data_scope, which sits above this app);
    without one, never. Compared in the database with the spaces taken out on both sides;
    the scope narrows the rows to a street's at most, so no index is needed for it yet.
    """
    households = visible_households(scope)
    if zone_id:
        households = households.filter(zone_id=zone_id)
    query = query.strip()
    if query:
        compact = _SPACES.sub("", query)
        households = households.alias(compact_address=_without(F("address"), " \u3000\t"))
        matches = Q(compact_address__icontains=compact) | Q(contact_name__icontains=query)
        digits = _PHONE_PUNCTUATION.sub("", query)
        if phone_scope is not None and digits.isdigit() and len(digits) >= PHONE_QUERY_MIN_DIGITS:
            in_phone_scope = phone_scope.filter(
                Household.objects.all(),
                street="zone__committee__street",
                committee="zone__committee",
                zone="zone",
            )
            households = households.alias(compact_phone=_without(F("phone"), " -"))
            matches |= Q(compact_phone__contains=digits, pk__in=in_phone_scope.values("pk"))
        households = households.filter(matches)
    return households.order_by("address")


def next_unvisited(household: Household, year: int) -> Household | None:
    """The household of the same zone after this one (by address, then from the start) not yet
    visited in `year`: where the team goes next on the yearly round."""
    candidates = (
        Household.objects.filter(zone_id=household.zone_id)
        .exclude(pk=household.pk)
        .exclude(visited_this_year(year))
        .order_by("address", "pk")
    )
    return candidates.filter(address__gt=household.address).first() or candidates.first()


def visited_this_year(year: int) -> Exists:
    return Exists(Visit.objects.filter(household=OuterRef("pk"), visited_on__year=year))


@dataclass(frozen=True)
class ZoneCoverage:
    zone_id: int
    name: str
    households: int
    visited: int

    @property
    def percent(self) -> int:
        return round(100 * self.visited / self.households) if self.households else 0


def visit_coverage(scope: Scope, year: int) -> list[ZoneCoverage]:
    """普遍走访: per visible zone, households visited at least once in `year` out of all."""
    zones = (
        visible_zones(scope)
        .annotate(
            household_total=Count("households", distinct=True),
            visited_total=Count("visits__household", filter=Q(visits__visited_on__year=year), distinct=True),
        )
        .order_by("code")
    )
    return [ZoneCoverage(z.pk, z.name, z.household_total, z.visited_total) for z in zones]


def deadline_state(ticket: Ticket, now: dt.datetime | None = None) -> str:
    """on_time, due_soon or overdue, for the colour a clerk sees beside the deadline."""
    if not ticket.is_open or ticket.resolve_by is None:
        return "done"
    now = now or timezone.now()
    if ticket.overdue or ticket.resolve_by <= now:
        return "overdue"
    if ticket.resolve_by - now <= DUE_SOON:
        return "due_soon"
    return "on_time"


@dataclass(frozen=True)
class QueueFilters:
    tier: str = ""
    committee: int | None = None
    category: int | None = None
    urgency: str = ""
    status: str = ""
    overdue: bool = False
    owner_id: int | None = None
    query: str = ""


def ticket_queue(scope: Scope, filters: QueueFilters) -> QuerySet[Ticket]:
    """Open tickets (or those of one status) in the caller's scope, soonest deadline first."""
    # Every related object a row of the list shows (the street too: a row without a
    # committee names its street), so that a page costs one query, not one per row.
    tickets = visible_tickets(scope).select_related("category", "owner", "committee", "zone", "street")
    tickets = tickets.filter(status=filters.status) if filters.status else tickets.filter(status__in=OPEN_STATUSES)
    if filters.tier:
        tickets = tickets.filter(tier=filters.tier)
    if filters.committee:
        tickets = tickets.filter(committee_id=filters.committee)
    if filters.category:
        tickets = tickets.filter(category_id=filters.category)
    if filters.urgency:
        tickets = tickets.filter(urgency=filters.urgency)
    if filters.overdue:
        tickets = tickets.filter(Q(overdue=True) | Q(resolve_by__lt=timezone.now()))
    if filters.owner_id:
        tickets = tickets.filter(Q(owner_id=filters.owner_id) | Q(first_receiver_id=filters.owner_id))
    if filters.query.strip():
        query = filters.query.strip()
        tickets = tickets.filter(Q(reference__icontains=query) | Q(description__icontains=query))
    return tickets.order_by("resolve_by", "pk")


def queue_counts(tickets: QuerySet[Ticket]) -> dict[str, int]:
    """How much is open, overdue, due within a day, and not yet acknowledged: one query."""
    now = timezone.now()
    return tickets.order_by().aggregate(
        open_count=Count("pk"),
        overdue_count=Count("pk", filter=Q(overdue=True) | Q(resolve_by__lt=now)),
        due_soon_count=Count("pk", filter=Q(overdue=False, resolve_by__gte=now, resolve_by__lt=now + DUE_SOON)),
        new_count=Count("pk", filter=Q(status="new")),
    )

"""Reads of households and tickets, every one narrowed by the visibility rule: the `Scope`
of responders.selectors, applied here to the rows this app owns (`visible_households`,
`visible_tickets`)."""

import datetime as dt
import functools
import operator
import re
from dataclasses import dataclass, replace
from functools import reduce

from django.db import connections
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.db.models.query import ValuesListIterable
from django.utils import timezone, translation

from core import pages
from core.enums import OPEN_STATUSES, Tier
from core.pages import capped_counts
from core.plans import among
from responders.models import User
from responders.selectors import Scope, user_scope, visible_zones

from .models import (
    PHONE_TAIL_DIGITS,
    Household,
    Ticket,
    Visit,
    first_warning,
    phone_tail,
    squeezed_address,
    squeezed_phone,
)

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


def household_search(
    scope: Scope, query: str = "", zone_id: int | None = None, *, phone_scope: Scope | None = None
) -> QuerySet[Household]:
    """Households by address (typed with or without spaces: `141弄1号101` finds
    `141 弄 1 号 101`), contact name, or phone.

    A phone is personal data: it is searched only among the households of `phone_scope`
    (the caller asks escalation.policy.personal_data_scope, which sits above this app);
    without one, never. Compared in the database with the spaces taken out on both sides;
    the scope narrows the rows to a street's at most; for a wider scope (an administrator's,
    a city's households) the trigram indexes of Household serve the address, name and phone.
    """
    households = visible_households(scope)
    if zone_id:
        households = households.filter(zone_id=zone_id)
    query = query.strip()
    if query:
        compact = _SPACES.sub("", query)
        households = households.alias(compact_address=squeezed_address())
        matches = Q(compact_address__icontains=compact) | Q(contact_name__icontains=query)
        digits = _PHONE_PUNCTUATION.sub("", query)
        if phone_scope is not None and digits.isdigit() and len(digits) >= PHONE_QUERY_MIN_DIGITS:
            in_phone_scope = phone_scope.filter(
                Household.objects.all(),
                street="zone__committee__street",
                committee="zone__committee",
                zone="zone",
            )
            if len(digits) >= PHONE_TAIL_DIGITS:
                # A whole number (with its country code, maybe: +86 ...): its last digits
                # compared whole with the phone's, on their own index — and nothing else, since
                # no address or name is eleven digits: with the address and name arms beside it
                # PostgreSQL read every household of the street (4,136 on the demo street, 6 ms
                # twice a page).
                households = households.alias(phone_end=phone_tail())
                matches = Q(phone_end=digits[-PHONE_TAIL_DIGITS:]) & Q(pk__in=in_phone_scope.values("pk"))
            else:
                households = households.alias(compact_phone=squeezed_phone())
                matches |= Q(compact_phone__contains=digits) & Q(pk__in=in_phone_scope.values("pk"))
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

    @property
    def percent_label(self) -> str:
        """The share as a team reads it: one household visited of 259 is not "0%", nor is 258
        of 259 "100%" — the last one still waits."""
        if self.visited > 0 and self.percent == 0:
            return "<1%"
        if self.visited < self.households and self.percent == 100:
            return ">99%"
        return f"{self.percent}%"


def visit_coverage(scope: Scope, year: int) -> list[ZoneCoverage]:
    """普遍走访: per visible zone, households visited at least once in `year` out of all."""
    # Each count its own subquery per zone: a join of the zone's households with its visits
    # would make households × visits rows (a year's round: 300 × 300 a zone) to count them.
    households = Household.objects.filter(zone=OuterRef("pk")).order_by().values("zone")
    visits = Visit.objects.filter(zone=OuterRef("pk"), visited_on__year=year).order_by().values("zone")
    zones = (
        visible_zones(scope)
        .annotate(
            household_total=Coalesce(Subquery(households.annotate(n=Count("pk")).values("n")), 0),
            visited_total=Coalesce(Subquery(visits.annotate(n=Count("household", distinct=True)).values("n")), 0),
        )
        .order_by("code")
    )
    return [ZoneCoverage(z.pk, z.name, z.household_total, z.visited_total) for z in zones]


def deadline_state(ticket: Ticket, now: dt.datetime | None = None) -> str:
    """on_time, due_soon, overdue or paused, for the colour a clerk sees beside the deadline.

    Due soon uses the sweep's warning thresholds (issue 19): a quarter of the clock's working
    time left, or less than one working day; a ticket whose clock began before those were
    kept has the old rule, 24 hours."""
    if not ticket.is_open or ticket.resolve_by is None:
        return "done"
    now = now or timezone.now()
    if ticket.paused_at is not None:
        return "paused"
    if ticket.overdue or ticket.resolve_by <= now:
        return "overdue"
    if ticket.warn_day_at is None:
        return "due_soon" if ticket.resolve_by - now <= DUE_SOON else "on_time"
    if ticket.warn_day_at <= now or (ticket.warn_quarter_at is not None and ticket.warn_quarter_at <= now):
        return "due_soon"
    return "on_time"


# The queue's status filter: every status, open or not.
ALL_STATUSES = "all"


@dataclass(frozen=True)
class QueueFilters:
    tier: str = ""
    committee: int | None = None
    category: int | None = None
    urgency: str = ""
    status: str = ""  # "" the open ones, ALL_STATUSES every one, else that status
    overdue: bool = False
    owner_id: int | None = None
    query: str = ""
    # The units whose reporters' names and phones the person may see (escalation.policy's
    # personal_data_scope): the words search them only there; None searches no reporter.
    personal_scope: Scope | None = None
    # Only these tickets: a search's matches, read once (search_matches), in place of the words.
    ids: tuple[int, ...] | None = None

    @property
    def includes_open(self) -> bool:
        """Whether open tickets are among those shown (the overdue and due-soon cards count them)."""
        return not self.status or self.status == ALL_STATUSES or self.status in OPEN_STATUSES


def _units(scope: Scope) -> Q | None:
    """The tickets under a scope's units, as a condition on Ticket (None: no unit at all)."""
    if scope.everything:
        return Q()
    condition = Q()
    units = (("street_id", scope.street_ids), ("committee_id", scope.committee_ids), ("zone_id", scope.zone_ids))
    for path, ids in units:
        if ids:
            condition |= Q(**{f"{path}__in": sorted(ids)})
    return condition if condition else None


def _search(query: str, personal_scope: Scope | None) -> Q:
    """Reference, description, address (typed with or without spaces), and, where the person
    may see residents' personal data, the reporter's name and phone."""
    squeezed = _SPACES.sub("", query)
    condition = (
        Q(reference__icontains=query)
        | Q(description__icontains=query)
        | Q(address__icontains=query)
        | Q(address_squeezed__icontains=squeezed)
    )
    units = _units(personal_scope) if personal_scope is not None else None
    if units is not None:
        reporter = Q(reporter_name__icontains=query)
        digits = squeezed.replace("-", "")
        if digits.isascii() and digits.isdigit() and len(digits) >= 3:
            reporter |= Q(reporter_phone__contains=digits)
        condition |= reporter & units
    return condition


# What a row of a list shows (grievances/_ticket_rows.html, with deadline_state and the related
# objects' names): only these columns are read, not a ticket's 52 and each related row's all,
# which Django spent more time naming, compiling and loading than PostgreSQL reading. They come
# as plain values, each row a TicketRow, not a Ticket with five related model instances: on
# the city data, fifty rows cost 4.2 ms as instances against 0.3 ms to read.
# tests/test_query_counts.py pins that a list stays one query whatever its length.
ROW_FIELDS = (
    *("pk", "reference", "description", "urgency", "status", "tier", "overdue"),
    *("resolve_by", "paused_at", "warn_day_at", "warn_quarter_at"),
    *("category__name", "category__name_en", "owner__full_name", "owner__username"),
    *("committee__name", "zone__name", "street__name", "transfer_number"),
)


class TicketRow:
    """A ticket as a list's row shows it (ROW_FIELDS, in order): what `ticket_rows` and
    `deadline_state` ask of a Ticket, answered as the Ticket and its related objects would
    (names in the reader's language; None where the ticket has no owner, committee or zone)."""

    __slots__ = (
        *("pk", "reference", "description", "urgency", "status", "tier", "overdue"),
        *("resolve_by", "paused_at", "warn_day_at", "warn_quarter_at"),
        *("_category", "_category_en", "_owner_full_name", "_owner_username"),
        *("committee", "zone", "street", "transfer_number"),
    )

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)

    is_open = Ticket.is_open  # the ticket's own rule, read from the row's status

    @property
    def category(self) -> str:
        # As Category.__str__: the English name on English screens, where there is one.
        if self._category_en and (translation.get_language() or "").startswith("en"):
            return self._category_en
        return self._category

    @property
    def owner(self) -> str | None:
        # As User.__str__; None for no owner.
        if self._owner_username is None:
            return None
        return self._owner_full_name or self._owner_username

    def get_urgency_display(self) -> str:
        return _label("urgency", self.urgency)

    def get_status_display(self) -> str:
        return _label("status", self.status)

    def get_tier_display(self) -> str:
        return _label("tier", self.tier)

    def __repr__(self) -> str:
        return f"<TicketRow {self.reference}>"


@functools.cache
def _labels(field: str) -> dict:
    return dict(Ticket._meta.get_field(field).flatchoices)


def _label(field: str, value: str) -> str:
    """What Ticket.get_FOO_display says: the value's label in the reader's language, or the
    value itself if it has none."""
    return str(_labels(field).get(value, value))


class TicketRows(ValuesListIterable):
    """A list's rows (ROW_FIELDS) as TicketRow objects."""

    def __iter__(self):
        for values in super().__iter__():
            yield TicketRow(*values)


def ticket_queue(
    scope: Scope, filters: QueueFilters, *, rows: bool = True, upto: int | None = None
) -> QuerySet[Ticket]:
    """Open tickets (or those of one status, or all) in the caller's scope, soonest deadline
    first; with `rows=False` only which tickets, for counting (queue_counts): no related rows
    and no transfer number, which each count's arms would otherwise copy and compile.

    `upto`: with `owner_id`, only the first `upto` of the list will be read (a page's rows,
    core.pages.rows_wanted), and each arm reads no further; counted, the list needs the
    default, core.pages.COUNT_CAP + 1. Right only when no other filter narrows the list after
    the arms (my tickets): refused otherwise."""
    if upto is not None and replace(filters, owner_id=None, status="") != QueueFilters():
        raise ValueError("upto reads a person's own tickets only: no other filter may narrow them")
    if filters.status == ALL_STATUSES:
        statuses = Q()
    elif filters.status:
        statuses = Q(status=filters.status)
    else:
        statuses = Q(status__in=OPEN_STATUSES)
    tickets = visible_tickets(scope).filter(statuses)
    if filters.owner_id:
        # Owned or first received: the soonest-due of each, read in deadline order from its
        # own index, then merged; an OR of the two would read and sort every ticket a person
        # was ever given. A list stops at core.pages.COUNT_CAP rows anyway. The arms carry
        # the scope and the statuses, and the list is read from them alone: narrowing the
        # unit's open tickets to the arms' made PostgreSQL join the whole unit (49,864 buffers
        # on the city for a person owning 72,000) to count them.
        tickets = Ticket.objects.filter(
            pk__in=_any_of(
                tickets,
                [(Q(owner_id=filters.owner_id), "resolve_by"), (Q(first_receiver_id=filters.owner_id), "resolve_by")],
                enough=upto,
            )
        )
    if filters.tier:
        tickets = tickets.filter(tier=filters.tier)
    if filters.committee:
        tickets = tickets.filter(committee_id=filters.committee)
    if filters.category:
        tickets = tickets.filter(category_id=filters.category)
    if filters.urgency:
        tickets = tickets.filter(urgency=filters.urgency)
    if filters.overdue:
        tickets = tickets.filter(pk__in=overdue_tickets(tickets, timezone.now()))
    query = filters.query.strip()
    if query:
        tickets = tickets.alias(address_squeezed=squeezed_address()).filter(_search(query, filters.personal_scope))
    if filters.ids is not None:
        tickets = tickets.filter(pk__in=among(filters.ids, tickets.db))
    if rows:
        # Last, after every filter: a filter that reads the tickets again (overdue only)
        # would otherwise carry the rows' joins into its own statement.
        # The request transfer form's number (escalation.TransferRecord, reached through its
        # relation: escalation sits above this app): a row says the committee passed it up.
        transfers = Ticket._meta.get_field("transfers").related_model.objects
        tickets = tickets.annotate(
            transfer_number=Subquery(
                transfers.filter(ticket=OuterRef("pk")).order_by("created_at", "pk").values("number")[:1]
            )
        )
        # Every related name a row of the list shows (the street's too: a row without a
        # committee names its street), so that a page costs one query, not one per row.
        tickets = tickets.values_list(*ROW_FIELDS)
        # Each row a TicketRow, as values_list(named=True) makes each a named tuple: by the
        # queryset's iterable class, which its clones (filters, slices) keep.
        tickets._iterable_class = TicketRows
    return tickets.order_by("resolve_by", "pk")


def search_matches(scope: Scope, filters: QueueFilters) -> QueueFilters:
    """The filters with a search's words replaced by the tickets they match at every tier (the
    other filters applied), when those are at most core.pages.COUNT_CAP; else as they were.

    A search is planned for its words every time (core.postgresql): the queue's cards repeat
    it in each of their counts, and planning those, over a table of fifty indexes, cost 16 ms
    a search where running them cost one. Read here once, the matches are then listed and
    counted by their ids, one array whose statements keep a generic plan (core.plans)."""
    # "Overdue only" reads the first COUNT_CAP + 1 overdue tickets of the tier shown; read at
    # every tier, that window would be another, and could leave out a match of this tier.
    if not filters.query.strip() or filters.overdue:
        return filters
    cap = pages.COUNT_CAP
    matching = ticket_queue(scope, replace(filters, tier=""), rows=False).order_by()
    found = list(matching.values_list("pk", flat=True)[: cap + 1])
    if len(found) > cap:
        return filters
    return replace(filters, query="", ids=tuple(found))


def _any_of(tickets: QuerySet[Ticket], arms: list[tuple[Q, str | None]], enough: int | None = None) -> QuerySet:
    """The tickets meeting any arm, each arm read on its own in the order of its index (up to
    what a capped count needs, or `enough` rows) and merged: an OR of deadline conditions in
    one scan would read every open ticket of the unit, PostgreSQL taking them for common.
    The first N of the merged list in that order are among the first N of each arm, so
    `enough` = N reads a list's first N exactly."""
    if not connections[tickets.db].features.supports_slicing_ordering_in_compound:
        # The embedded SQLite of `make run` cannot limit the arms of a UNION; its tables are
        # small, so one scan with the OR costs nothing there.
        return tickets.filter(reduce(operator.or_, (condition for condition, _order in arms))).values("pk")
    enough = enough or pages.COUNT_CAP + 1
    parts = []
    for condition, order in arms:
        part = tickets.filter(condition).values("pk")
        parts.append((part.order_by(order, "pk") if order else part.order_by())[:enough])
    return parts[0].union(*parts[1:])


def _open(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The open ones of `tickets`, without saying so twice when they are narrowed to open ones
    already (the queue's default): PostgreSQL counts a repeated condition twice, guesses too
    few rows, and then combined two whole indexes instead of reading the one in order."""
    statuses = set(map(str, OPEN_STATUSES))
    for condition in tickets.query.where.children:
        target = getattr(getattr(condition, "lhs", None), "target", None)
        if target is None or target.model is not Ticket or target.name != "status":
            continue
        lookup, values = getattr(condition, "lookup_name", ""), condition.rhs
        if lookup == "exact" and isinstance(values, str):
            values = [values]
        elif not (lookup == "in" and isinstance(values, (list, tuple, set, frozenset))):
            continue
        if set(map(str, values)) <= statuses:
            return tickets
    return tickets.filter(status__in=OPEN_STATUSES)


def overdue_tickets(tickets: QuerySet[Ticket], now: dt.datetime) -> QuerySet:
    """The ids of the open ones of `tickets` marked overdue or past their resolve-by (at most
    core.pages.COUNT_CAP + 1 of each kind, the soonest due first): for `pk__in`."""
    live = _open(tickets)
    return _any_of(live, [(Q(resolve_by__lt=now), "resolve_by"), (Q(overdue=True), None)])


def queue_counts(tickets: QuerySet[Ticket], *, tier: str = "") -> dict:
    """For `tickets` (at `tier` when given): how many, and of the open ones how many are
    overdue, due within a day, not yet acknowledged; with a tier, also how many of `tickets`
    that tier filter hides at each other tier (`hidden`: {tier: count}). One query; each
    count stops at core.pages.COUNT_CAP ("1,000+"), so a card never reads a street's whole
    history (the partial indexes of open tickets by unit and deadline serve them)."""
    now = timezone.now()
    shown = tickets.filter(tier=tier) if tier else tickets
    live = _open(shown)
    # deadline_state's due_soon: the first warning passed (from the unit's warning index), or
    # without warnings within DUE_SOON of resolve-by.
    due_soon = live.filter(overdue=False, paused_at__isnull=True, resolve_by__gte=now).alias(warned=first_warning())
    cards = {
        "open_count": shown,
        "overdue_count": overdue_tickets(shown, now),
        "due_soon_count": _any_of(
            due_soon,
            [
                (Q(warned__lte=now), "warned"),
                (Q(warn_day_at__isnull=True, resolve_by__lt=now + DUE_SOON), "resolve_by"),
            ],
        ),
        "new_count": shown.filter(status="new"),
    }
    others = [other for other in Tier.values if tier and other != tier]
    for other in others:
        cards[f"hidden_{other}"] = tickets.filter(tier=other)
    result = capped_counts(cards)
    result["hidden"] = {other: result.pop(f"hidden_{other}") for other in others if result[f"hidden_{other}"]}
    return result


# The street's map draws at most this many points (the most pressing first).
MAP_MAX_POINTS = 2000


def map_tickets(scope: Scope) -> QuerySet[Ticket]:
    """The open tickets the person sees that carry a point, soonest deadline first: what the
    street's map draws (only the columns a point needs)."""
    return (
        visible_tickets(scope)
        .filter(status__in=OPEN_STATUSES, lat__isnull=False)
        .select_related("category")
        .only(
            "pk",
            "reference",
            "lat",
            "long",
            "status",
            "resolve_by",
            "overdue",
            "category",
            "paused_at",
            "warn_quarter_at",
            "warn_day_at",
        )
        .order_by(F("resolve_by").asc(nulls_last=True), "pk")
    )


def unplaced_open_count(scope: Scope) -> int:
    """Open tickets the person sees with no point: the map says how many it cannot draw."""
    return visible_tickets(scope).filter(status__in=OPEN_STATUSES, lat__isnull=True).count()

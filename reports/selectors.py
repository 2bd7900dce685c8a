"""The figures a street is judged by (DOMAIN.md), computed in the database under the
visibility rule: every count is one aggregate query, never a Python loop over tickets.

Definitions (also in the README):
- received: tickets created in the period, in the unit;
- response rate: received tickets that were answered (acknowledged, started or resolved)
  and never flagged late for their response, over received;
- resolution rate: received tickets now resolved or closed, over received (cancelled ones
  left out of both);
- satisfaction rate: feedback on received tickets that is satisfied or basically satisfied,
  over all such feedback;
- on-time rate: resolved received tickets resolved by their resolve-by and never carried up
  by the sweep, over resolved received tickets;
- pyramid: resolved received tickets by the tier they were resolved at.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from escalation.calendar import SHANGHAI
from escalation.models import Referral
from grievances.models import OPEN_STATUSES, Feedback, Household, Status, Ticket, TicketEvent, Tier, Visit
from responders.selectors import Scope, visible_households, visible_tickets

RESOLVED = (Status.RESOLVED, Status.CLOSED)
GOAL_RESOLUTION_RATE = 0.9  # 90% of grassroots problems solved within the year (seed 000)


@dataclass(frozen=True)
class Unit:
    """An org unit to report on: a street, a committee or a zone (by id), or all visible."""

    street_id: int | None = None
    committee_id: int | None = None
    zone_id: int | None = None

    def narrow(self, tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
        if self.zone_id:
            return tickets.filter(zone_id=self.zone_id)
        if self.committee_id:
            return tickets.filter(committee_id=self.committee_id)
        if self.street_id:
            return tickets.filter(street_id=self.street_id)
        return tickets

    def narrow_households(self, households: QuerySet[Household]) -> QuerySet[Household]:
        if self.zone_id:
            return households.filter(zone_id=self.zone_id)
        if self.committee_id:
            return households.filter(zone__committee_id=self.committee_id)
        if self.street_id:
            return households.filter(zone__committee__street_id=self.street_id)
        return households


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in Asia/Shanghai as aware datetimes."""
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=SHANGHAI),
        dt.datetime.combine(end, dt.time.min, tzinfo=SHANGHAI),
    )


def received(scope: Scope, unit: Unit, start: dt.date, end: dt.date) -> QuerySet[Ticket]:
    since, until = period_bounds(start, end)
    return unit.narrow(visible_tickets(scope)).filter(created_at__gte=since, created_at__lt=until)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def headline(tickets: QuerySet[Ticket]) -> dict:
    """Received, the three rates, on-time and the pyramid for a set of received tickets."""
    late_response = Exists(TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=TicketEvent.Kind.RESPOND_OVERDUE))
    carried_up = Exists(
        TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=TicketEvent.Kind.ESCALATED, actor_label="sweep")
    )
    answered = ~Q(status=Status.NEW) | Q(responded_at__isnull=False)
    resolved = Q(status__in=RESOLVED)
    counts = (
        tickets.order_by()
        .annotate(late_response=late_response, carried_up=carried_up)
        .aggregate(
            received=Count("pk", filter=~Q(status=Status.CANCELLED)),
            cancelled=Count("pk", filter=Q(status=Status.CANCELLED)),
            responded=Count("pk", filter=~Q(status=Status.CANCELLED) & answered & Q(late_response=False)),
            resolved=Count("pk", filter=resolved),
            on_time=Count("pk", filter=resolved & Q(resolved_at__lte=F("resolve_by"), carried_up=False)),
            zone=Count("pk", filter=resolved & Q(tier=Tier.ZONE)),
            committee=Count("pk", filter=resolved & Q(tier=Tier.COMMITTEE)),
            street=Count("pk", filter=resolved & Q(tier=Tier.STREET)),
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        )
    )
    feedback = Feedback.objects.filter(ticket__in=tickets.values("pk")).aggregate(
        total=Count("pk"),
        satisfied=Count("pk", filter=Q(satisfaction__in=["satisfied", "basically_satisfied"])),
    )
    return {
        **counts,
        "feedback": feedback["total"],
        "satisfied": feedback["satisfied"],
        "response_rate": rate(counts["responded"], counts["received"]),
        "resolution_rate": rate(counts["resolved"], counts["received"]),
        "satisfaction_rate": rate(feedback["satisfied"], feedback["total"]),
        "on_time_rate": rate(counts["on_time"], counts["resolved"]),
        "pyramid": {tier: rate(counts[tier], counts["resolved"]) for tier in ("zone", "committee", "street")},
    }


def breakdown(tickets: QuerySet[Ticket], field: str, label: str) -> list[dict]:
    """Received and resolved per value of `field` (category, committee, zone, channel)."""
    rows = (
        tickets.exclude(status=Status.CANCELLED)
        .order_by()
        .values(key=F(field), name=F(label))
        .annotate(received=Count("pk"), resolved=Count("pk", filter=Q(status__in=RESOLVED)))
        .order_by("-received", "name")
    )
    return [{**row, "resolution_rate": rate(row["resolved"], row["received"])} for row in rows]


def hot_spots(tickets: QuerySet[Ticket], minimum: int = 2) -> list[dict]:
    """Buildings where one kind of matter keeps coming back."""
    return list(
        tickets.exclude(household__building__isnull=True)
        .order_by()
        .values(building=F("household__building__name"), category_name=F("category__name"))
        .annotate(tickets=Count("pk"))
        .filter(tickets__gte=minimum)
        .order_by("-tickets", "building")[:20]
    )


def overdue(scope: Scope, unit: Unit, now: dt.datetime | None = None) -> QuerySet[Ticket]:
    now = now or timezone.now()
    return (
        unit.narrow(visible_tickets(scope))
        .filter(status__in=OPEN_STATUSES)
        .filter(Q(overdue=True) | Q(resolve_by__lt=now))
        .select_related("category", "owner", "committee")
        .order_by("resolve_by")
    )


def visit_coverage(scope: Scope, unit: Unit, year: int) -> dict:
    households = unit.narrow_households(visible_households(scope))
    total = households.count()
    visited = (
        Visit.objects.filter(household__in=households.values("pk"), visited_on__year=year)
        .values("household")
        .distinct()
        .count()
    )
    return {"households": total, "visited": visited, "rate": rate(visited, total)}


def department_scorecards(tickets: QuerySet[Ticket], now: dt.datetime | None = None) -> list[dict]:
    """Referrals of these tickets per department: answered, on time, still late."""
    now = now or timezone.now()
    rows = (
        Referral.objects.filter(ticket__in=tickets.values("pk"), withdrawn_at__isnull=True)
        .order_by()
        .values(department_name=F("department__name"))
        .annotate(
            referrals=Count("pk"),
            answered=Count("pk", filter=Q(answered_at__isnull=False)),
            on_time=Count("pk", filter=Q(answered_at__lte=F("answer_by"))),
            late_open=Count("pk", filter=Q(answered_at__isnull=True, answer_by__lt=now)),
        )
        .order_by("-referrals", "department_name")
    )
    return [{**row, "on_time_rate": rate(row["on_time"], row["referrals"])} for row in rows]


def statistics(scope: Scope, unit: Unit, start: dt.date, end: dt.date) -> dict:
    """Everything a report or dashboard shows, for one unit and period."""
    tickets = received(scope, unit, start, end)
    year_start = dt.date(start.year, 1, 1)
    year = headline(received(scope, unit, year_start, end))
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "headline": headline(tickets),
        "year": {
            "resolution_rate": year["resolution_rate"],
            "goal": GOAL_RESOLUTION_RATE,
            "received": year["received"],
            "resolved": year["resolved"],
        },
        "by_category": breakdown(tickets, "category__code", "category__name"),
        "by_committee": breakdown(tickets.exclude(committee__isnull=True), "committee_id", "committee__name"),
        "by_zone": breakdown(tickets.exclude(zone__isnull=True), "zone_id", "zone__name"),
        "by_channel": breakdown(tickets, "channel", "channel"),
        "hot_spots": hot_spots(tickets),
        "departments": department_scorecards(tickets),
        "visits": visit_coverage(scope, unit, start.year),
    }

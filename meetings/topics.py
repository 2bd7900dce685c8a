"""Recurring problems found for the street (issue 20, item 3): the nightly job that turns
clusters of tickets into topics for the risk-screening meeting (矛盾排查分析会).

Three kinds of cluster, over the tickets received in the last WINDOW_DAYS (cancelled ones
left out, so a merged duplicate counts once):
- place: the same category in one building or lane (the address up to its 弄) PLACE_MIN
  times or more, from more than one household (not a person's own matters: NOT_OF_A_PLACE);
- rising: a category in a committee received at least RISING_MIN times, and at least
  RISING_FACTOR times its monthly average over the three months before (only where the
  committee has that history: at least half this month's tickets a month before);
- household: one household filing HOUSEHOLD_MIN times or more, whatever about.

Each cluster is proposed once: a topic is inserted or nothing (a unique index on the open
topics' `key`), so two runs at once, or a run every night, propose it once; the tickets that
join an open topic later are added to it without a new alert. A new topic: an alert to the
committee's responsible street leader (the street's leaders for a street-wide one) and an
agenda item on the street's next planned risk-screening meeting, when one is planned; else it
waits on the recurring-problems page, where staff table it on a meeting or dismiss it."""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _

from alerts.models import Notification
from alerts.services import alerts_create_about
from core import clock
from core.enums import Status
from core.errors import InvalidInput, InvalidTransition
from core.locks import lock_one
from escalation import policy
from grievances.models import Ticket
from responders.models import StreetOffice, User

from .models import AgendaItem, Meeting, Purpose, RecurringTopic

WINDOW_DAYS = RecurringTopic.WINDOW_DAYS
PLACE_MIN = 3
HOUSEHOLD_MIN = 3
RISING_MIN = 5
RISING_FACTOR = 2.0
SYSTEM = "recurring-problems"
# A person's own matters, not a place's: three policy questions from one lane are no
# recurring problem of the lane.
NOT_OF_A_PLACE = {"policy", "social_assistance", "employment", "legal_aid", "health", "elderly_disability"}

_LANE = re.compile(r"^(.*?\d+\s*弄)")


def lane_of(ticket: Ticket) -> str:
    """The building's or address's lane (`丽园路 141 弄`), else its building, else ''."""
    building = ticket.household.building.name if ticket.household and ticket.household.building else ""
    text = building or ticket.address or (ticket.household.address if ticket.household else "")
    match = _LANE.match(text.strip())
    if match:
        return re.sub(r"\s+", " ", match.group(1))
    return building


@dataclass
class Cluster:
    key: str
    kind: str
    street_id: int
    committee_id: int | None
    category_id: int | None
    place: str
    summary: str
    tickets: list = field(default_factory=list)
    baseline: float | None = None


def find_clusters(street: StreetOffice, now: dt.datetime) -> list[Cluster]:
    since = now - dt.timedelta(days=WINDOW_DAYS)
    recent = list(
        Ticket.objects.filter(street=street, created_at__gte=since, created_at__lte=now)
        .exclude(status=Status.CANCELLED)
        .select_related("category", "committee", "household__building")
        .order_by("created_at", "pk")
    )
    clusters = []

    by_place = defaultdict(list)
    for ticket in recent:
        lane = lane_of(ticket) if ticket.category.code not in NOT_OF_A_PLACE else ""
        if lane:
            by_place[(lane, ticket.category_id)].append(ticket)
    for (lane, category_id), tickets in sorted(by_place.items(), key=lambda item: (item[0][0], item[0][1])):
        # One household filing again is the household rule's, not a place's problem.
        if len(tickets) >= PLACE_MIN and len({t.household_id or t.address for t in tickets}) > 1:
            category = tickets[0].category
            clusters.append(
                Cluster(
                    key=f"place:{street.pk}:{lane}:{category_id}",
                    kind=RecurringTopic.Kind.PLACE,
                    street_id=street.pk,
                    committee_id=tickets[-1].committee_id,
                    category_id=category_id,
                    place=lane,
                    summary=_("%(place)s: %(category)s, %(n)s times in %(days)s days")
                    % {"place": lane, "category": category.name, "n": len(tickets), "days": WINDOW_DAYS},
                    tickets=tickets,
                )
            )

    by_household = defaultdict(list)
    for ticket in recent:
        if ticket.household_id:
            by_household[ticket.household_id].append(ticket)
    for household_id, tickets in sorted(by_household.items()):
        if len(tickets) >= HOUSEHOLD_MIN:
            clusters.append(
                Cluster(
                    key=f"household:{household_id}",
                    kind=RecurringTopic.Kind.HOUSEHOLD,
                    street_id=street.pk,
                    committee_id=tickets[-1].committee_id,
                    category_id=None,
                    place=tickets[-1].household.address,
                    summary=_("%(place)s: %(n)s requests in %(days)s days")
                    % {"place": tickets[-1].household.address, "n": len(tickets), "days": WINDOW_DAYS},
                    tickets=tickets,
                )
            )

    by_committee = defaultdict(list)
    for ticket in recent:
        if ticket.committee_id:
            by_committee[(ticket.committee_id, ticket.category_id)].append(ticket)
    before = _monthly_before(street, since)
    received = defaultdict(int)
    for committee_id, _category_id in by_committee:
        received[committee_id] = sum(len(t) for (c, _), t in by_committee.items() if c == committee_id)
    for (committee_id, category_id), tickets in sorted(by_committee.items()):
        history = sum(n for (c, _), n in before.items() if c == committee_id) / 3
        if history < received[committee_id] / 2:
            continue  # too little history here (the service is new): nothing to rise against
        baseline = before.get((committee_id, category_id), 0) / 3
        if len(tickets) >= RISING_MIN and len(tickets) >= RISING_FACTOR * max(baseline, 1):
            committee, category = tickets[0].committee, tickets[0].category
            clusters.append(
                Cluster(
                    key=f"rising:{committee_id}:{category_id}",
                    kind=RecurringTopic.Kind.RISING,
                    street_id=street.pk,
                    committee_id=committee_id,
                    category_id=category_id,
                    place=committee.name,
                    summary=_(
                        "%(committee)s: %(category)s rising, %(n)s in %(days)s days against %(before)s a month before"
                    )
                    % {
                        "committee": committee.name,
                        "category": category.name,
                        "n": len(tickets),
                        "days": WINDOW_DAYS,
                        "before": f"{baseline:.1f}",
                    },
                    tickets=tickets,
                    baseline=round(baseline, 2),
                )
            )
    return clusters


def _monthly_before(street: StreetOffice, since: dt.datetime) -> dict:
    """(committee, category) → tickets received in the three months before `since`."""
    rows = (
        Ticket.objects.filter(street=street, created_at__gte=since - dt.timedelta(days=90), created_at__lt=since)
        .exclude(status=Status.CANCELLED)
        .exclude(committee__isnull=True)
        .values("committee_id", "category_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {(row["committee_id"], row["category_id"]): row["n"] for row in rows}


def propose(cluster: Cluster, now: dt.datetime) -> RecurringTopic | None:
    """Insert the cluster's topic, or add its new tickets to the open one; the new topic, else None."""
    with transaction.atomic():
        open_topic = RecurringTopic.objects.filter(key=cluster.key, status__in=RecurringTopic.OPEN).first()
        if open_topic is not None:
            open_topic.tickets.add(*cluster.tickets)
            return None
        try:
            with transaction.atomic():
                topic = RecurringTopic.objects.create(
                    key=cluster.key,
                    kind=cluster.kind,
                    street_id=cluster.street_id,
                    committee_id=cluster.committee_id,
                    category_id=cluster.category_id,
                    place=cluster.place[:255],
                    summary=cluster.summary[:300],
                    count=len(cluster.tickets),
                    baseline=cluster.baseline,
                    found_at=now,
                    updated_at=now,
                )
        except IntegrityError:  # another run proposed it a moment ago
            return None
        topic.tickets.add(*cluster.tickets)
        _table_on_next_risk_screening(topic, now)
        alerts_create_about(
            _leaders(topic),
            kind=Notification.Kind.RECURRING_TOPIC,
            subject=topic.summary,
            link=reverse("recurring_topics"),
            now=now,
        )
        return topic


def _leaders(topic: RecurringTopic) -> list[int]:
    """The committee's responsible street leader, else every leader of the street."""
    if topic.committee_id and topic.committee.duty_leader_id:
        return [topic.committee.duty_leader_id]
    return list(
        User.objects.filter(role=User.Role.STREET_LEADER, street_id=topic.street_id, is_active=True).values_list(
            "pk", flat=True
        )
    )


def _table_on_next_risk_screening(topic: RecurringTopic, now: dt.datetime) -> None:
    meeting = (
        Meeting.objects.filter(
            street_id=topic.street_id,
            committee__isnull=True,
            zone__isnull=True,
            type__purpose=Purpose.RISK_SCREENING,
            status=Meeting.Status.PLANNED,
            starts_at__gt=now,
        )
        .order_by("starts_at", "pk")
        .first()
    )
    if meeting is not None:
        table(topic, meeting, actor=SYSTEM, now=now)


def table(topic: RecurringTopic, meeting: Meeting, *, actor, now: dt.datetime) -> AgendaItem:
    """Put the topic on a meeting's agenda, its tickets named in the item."""
    from .services import agenda_add_topic

    refs = "、".join(topic.tickets.order_by("created_at", "pk").values_list("reference", flat=True)[:20])
    item = agenda_add_topic(
        meeting=meeting,
        topic=_("Recurring problem: %(summary)s (%(refs)s)") % {"summary": topic.summary, "refs": refs},
        actor=actor,
        now=now,
    )
    RecurringTopic.objects.filter(pk=topic.pk).update(
        agenda_item=item, status=RecurringTopic.Status.TABLED, updated_at=now
    )
    topic.agenda_item, topic.status = item, RecurringTopic.Status.TABLED
    return item


def find_recurring_problems(*, now: dt.datetime | None = None) -> int:
    """Every street's clusters, each proposed once; returns how many topics are new."""
    now = clock.now(now)
    new = 0
    for street in StreetOffice.objects.order_by("pk"):
        for cluster in find_clusters(street, now):
            if propose(cluster, now) is not None:
                new += 1
    return new


def visible_topics(scope):
    """A street's topics to its street; a committee's to its committee too."""
    return scope.filter(
        RecurringTopic.objects.select_related("committee", "category", "agenda_item__meeting__type"),
        street="street",
        committee="committee",
    )


def topic_table(*, topic: RecurringTopic, meeting: Meeting, actor: User, now: dt.datetime | None = None) -> AgendaItem:
    """Staff put a proposed topic on a meeting they run (a risk-screening meeting, the harmony
    council, any meeting of the street or the topic's committee)."""
    now = clock.now(now)
    with transaction.atomic():
        topic = lock_one(RecurringTopic.objects.all(), topic.pk)
        if topic.status != RecurringTopic.Status.PROPOSED:
            raise InvalidTransition(_("This topic is already on an agenda or dismissed."), field="meeting")
        if meeting.street_id != topic.street_id or (
            meeting.committee_id and meeting.committee_id != topic.committee_id
        ):
            raise InvalidInput(_("Choose a meeting of the street or of the topic's committee."), field="meeting")
        return table(topic, meeting, actor=actor, now=now)


def topic_dismiss(*, topic: RecurringTopic, actor: User, reason: str, now: dt.datetime | None = None) -> RecurringTopic:
    """Staff of the street (or the topic's committee) set a proposed topic aside, saying why."""
    now = clock.now(now)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the topic is set aside."), code="required", field="reason")
    unit = topic.committee if topic.committee_id else topic.street
    policy.require(
        actor, policy.Right.PLAN_MEETING, unit, message=_("Only the street's or the committee's staff can do this.")
    )
    with transaction.atomic():
        topic = lock_one(RecurringTopic.objects.all(), topic.pk)
        if topic.status != RecurringTopic.Status.PROPOSED:
            raise InvalidTransition(_("This topic is already on an agenda or dismissed."), field="reason")
        topic.status, topic.dismissed_reason, topic.updated_at = RecurringTopic.Status.DISMISSED, reason, now
        topic.save(update_fields=["status", "dismissed_reason", "updated_at"])
        return topic

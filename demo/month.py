"""A simulated month of activity on the demo street, through the real services.

Tickets are opened (at the door, by phone, from the hotline), acknowledged, settled at the
zone, carried up by hand or by the sweep, settled at the committee's coordination meeting,
referred by the street's mediation meeting to two departments who answer, sent straight to
their department as administrative affairs on the street's two lists (两份清单) or declined by
a committee citing the list, left open or withdrawn; residents give feedback; teams visit
households; each tier holds its meetings and the committee rates departments. Then, as beat
would on the 1st, the month's report is issued.

Every step runs at its moment of the month: each service is called with `now=` that
moment (the process's clock is left alone), and the sweep is run at the moments a deadline
is meant to be missed. A step scheduled after the month's end does
not run. Each step is written down in a `Ledger` as it runs, so what the month's report says
can be checked against what happened (tests/reports/test_simulated_month.py).
"""

import datetime as dt
import heapq
import itertools
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from affairs.models import AffairsEntry
from catalogue.models import ServiceItem
from core.clock import SHANGHAI
from core.enums import Channel, Outcome, PauseReason, ResumeHow, Status, Tier
from escalation import transitions
from escalation.sweep import sweep_overdue_tickets
from grievances.models import Category, Household, Ticket, TicketEvent, Visit
from intake.services import RaisedMatter, desk_service_apply, ticket_create, visit_log
from meetings import services as meetings
from meetings.models import Meeting, MeetingType
from reports.models import MonthlyReport
from reports.services import month_bounds, monthly_report_generate
from residents.services import no_resident_messages
from responders.models import Department, ResidentialCommittee, ResponsibilityZone, StreetOffice, User
from surveys.selectors import questionnaire_in_use
from surveys.services import survey_answer_record, survey_link_create

from .street import DEMO_STREET

# What becomes of the month's tickets, and each one's share of them.
FATES = {
    "settled_at_visit": 0.18,  # raised at the door and settled there
    "zone": 0.23,  # acknowledged, worked on and settled by the zone's team
    "explained": 0.03,  # closed at the zone with a reason (未办有因)
    "late_response": 0.05,  # acknowledged only after the sweep flagged it late, then settled
    "committee": 0.12,  # the zone cannot settle it: carried up by hand, settled by the committee
    "carried_by_sweep": 0.06,  # the zone missed its resolve-by: the sweep carries it up
    "dispute": 0.06,  # a neighbour dispute settled at the committee's coordination meeting
    "street": 0.06,  # up to the street; the mediation meeting refers it to two departments
    "straight": 0.03,  # an administrative affair on the street's list: straight to its department
    "declined": 0.02,  # passed up to the committee, which declines it as a department's (the list)
    "open": 0.12,  # opened in the month's last days, still being worked on at its end
    "cancelled": 0.04,  # withdrawn by the resident
}
# Applications at the service window in a simulated month (issue 19).
APPLICATIONS = 40
SATISFACTION = [("satisfied", 0.74), ("basically_satisfied", 0.18), ("dissatisfied", 0.08)]
DESCRIPTIONS = {
    "housing": "楼顶漏水，雨天屋内渗水",
    "environment": "垃圾箱房周边异味，清运不及时",
    "neighbour_dispute": "楼上住户噪音扰民，多次沟通未果",
    "elderly_disability": "独居老人需要助餐服务",
    "public_facilities": "楼道照明损坏，夜间出行不便",
    "urban_management": "小区门口占道设摊",
    "public_safety": "电动车楼道充电，存在消防隐患",
    "policy": "咨询居住证办理流程",
}

# What residents say of the administrative affairs that go straight to a department.
STRAIGHT_DESCRIPTIONS = {
    "urban_management": "楼下底层住户在天井违章搭建彩钢板房",
    "social_assistance": "家中主要劳动力重病，申请临时救助",
}


@dataclass
class Ledger:
    """What the simulation did, counted as it did it: the figures the report should show."""

    created: int = 0
    cancelled: int = 0
    late_responses: int = 0
    resolved_at: Counter = field(default_factory=Counter)  # tier -> tickets settled there
    carried_up: int = 0  # settled after the sweep carried them up: not on time
    late_applications: int = 0  # service applications completed after their time limit
    feedback: Counter = field(default_factory=Counter)  # satisfaction -> count
    meetings_held: Counter = field(default_factory=Counter)  # type code -> count
    conflicts_defused: int = 0
    referrals: int = 0
    straight: int = 0  # went straight to their department (the two lists)
    declined: int = 0  # declined by a committee citing the list
    visited: set = field(default_factory=set, repr=False)  # household ids
    survey_answers: Counter = field(default_factory=Counter)  # "door"/"link" -> questionnaires answered
    steps: int = 0
    not_reached: int = 0  # steps that fell after the month's end

    @property
    def received(self) -> int:
        return self.created - self.cancelled

    @property
    def resolved(self) -> int:
        return sum(self.resolved_at.values())


class MonthSimulation:
    def __init__(self, street: StreetOffice, month: dt.date, tickets: int, seed: int, applications: int = 0):
        first, after = month_bounds(month)
        self.street, self.month = street, first
        self.start = dt.datetime.combine(first, dt.time.min, tzinfo=SHANGHAI)
        self.end = dt.datetime.combine(after, dt.time.min, tzinfo=SHANGHAI)
        self.days = (after - first).days
        self.tickets = tickets
        self.applications = applications
        self.items = list(
            ServiceItem.objects.filter(active=True, completing_tier=Tier.STREET, street__isnull=True).order_by("code")
        )
        self.rng = random.Random(f"zhitong:month:{street.code}:{first}:{seed}")
        self.ledger = Ledger()
        self.queue: list = []
        self.counter = itertools.count()
        self.now = self.start
        self.committees = list(ResidentialCommittee.objects.filter(street=street).order_by("code"))
        self.zones = list(ResponsibilityZone.objects.filter(committee__street=street).order_by("code"))
        self.categories = {c.code: c for c in Category.objects.filter(active=True)}
        # The street's two lists: categories whose tickets go straight to a department do not
        # climb, so the fates that climb draw from the others.
        self.routed = set(
            AffairsEntry.objects.filter(street=street, active=True, kind=AffairsEntry.Kind.ADMINISTRATIVE)
            .exclude(category__isnull=True)
            .values_list("category__code", flat=True)
        )
        self.citable = list(
            AffairsEntry.objects.filter(
                street=street, active=True, kind=AffairsEntry.Kind.ADMINISTRATIVE, category__isnull=True
            ).order_by("position", "pk")
        )
        self.street_staff = User.objects.filter(street=street, role=User.Role.STREET_STAFF, is_active=True).first()
        self.committee_staff = {
            user.committee_id: user
            for user in User.objects.filter(committee__street=street, role=User.Role.COMMITTEE_STAFF, is_active=True)
        }
        self.zone_members = {
            zone_id: user
            for user in User.objects.filter(role=User.Role.ZONE_MEMBER, is_active=True, memberships__isnull=False)
            for zone_id in user.memberships.values_list("team__zone_id", flat=True)
        }
        self.departments = list(Department.objects.filter(street=street, active=True).order_by("name")[:3])
        self.liaisons = {
            user.department_id: user for user in User.objects.filter(role=User.Role.DEPARTMENT_LIAISON, is_active=True)
        }
        if len(self.committees) < 2 or not self.zones or self.street_staff is None or len(self.departments) < 2:
            raise ValueError(f"{street} needs two committees, zones, street staff and two departments.")
        self.meetings: dict[str, Meeting] = {}
        # The residents' questionnaire at the door: its own random numbers, so the month's
        # other draws (and the figures tests pin) do not depend on it.
        self.questionnaire = questionnaire_in_use(street.pk)
        self.survey_rng = random.Random(f"zhitong:survey:{street.code}:{first}:{seed}")
        # How each committee's residents lean (committee position -> mean shift), so the
        # ranking has something to show.
        self.leaning = {committee.pk: (0.6, 0.2, -0.3, 0.0, -0.6)[i % 5] for i, committee in enumerate(self.committees)}

    # --- who acts --------------------------------------------------------------------

    def zone_actor(self, zone_id: int) -> User:
        zone = next(zone for zone in self.zones if zone.pk == zone_id)
        return self.zone_members.get(zone_id) or self.committee_staff.get(zone.committee_id) or self.street_staff

    def actor_for(self, ticket: Ticket) -> User:
        if ticket.tier == Tier.ZONE:
            return self.zone_actor(ticket.zone_id)
        if ticket.tier == Tier.COMMITTEE:
            return self.committee_staff.get(ticket.committee_id) or self.street_staff
        return self.street_staff

    # --- time --------------------------------------------------------------------------

    def within(self, hours: float, deadline: dt.datetime | None = None) -> dt.datetime:
        """A moment about `hours` from now, before `deadline` if that is still ahead
        (half-way to it at worst)."""
        moment = self.now + dt.timedelta(hours=hours * self.rng.uniform(0.5, 1.0))
        if deadline is not None and self.now < deadline <= moment:
            moment = self.now + (deadline - self.now) / 2
        return moment

    def day(self, first: int, last: int, hour: tuple[int, int] = (8, 18)) -> dt.datetime:
        day = self.rng.randint(max(1, first), min(last, self.days))
        minute = self.rng.randint(hour[0] * 60, hour[1] * 60 - 1)
        return self.start + dt.timedelta(days=day - 1, minutes=minute)

    def schedule(self, when: dt.datetime, steps: Iterator[dt.datetime]) -> None:
        heapq.heappush(self.queue, (when, next(self.counter), steps))

    def run(self) -> Ledger:
        self.plan()
        while self.queue:
            when, _, steps = heapq.heappop(self.queue)
            if when >= self.end:
                self.ledger.not_reached += 1
                continue
            self.now = max(self.now, when)
            self.ledger.steps += 1
            with transaction.atomic():
                later = next(steps, None)
            if later is not None:
                self.schedule(later, steps)
        # Beat issues the report at 02:00 on the 1st (config/settings/base.py).
        self.now = self.end + dt.timedelta(hours=2)
        monthly_report_generate(street=self.street, month=self.month, now=self.now)
        return self.ledger

    # --- the month's plan --------------------------------------------------------------

    def plan(self) -> None:
        counts = {fate: int(self.tickets * share) for fate, share in FATES.items()}
        counts["zone"] += self.tickets - sum(counts.values())
        last = self.days
        windows = {  # the days a fate's tickets are opened on, so their story fits the month
            "carried_by_sweep": (1, 6),
            "dispute": (1, 10),
            "street": (1, 6),
            "straight": (1, last - 12),
            "declined": (1, last - 14),
            "open": (last - 2, last),
            "late_response": (1, last - 8),
        }
        for fate, count in counts.items():
            for _ in range(count):
                first, final = windows.get(fate, (1, last - 5))
                self.schedule(self.day(first, final), getattr(self, f"fate_{fate}")())
        self.plan_meetings()
        # The service window (issue 19): most applications done in time, some waiting on the
        # resident for a document (the clock paused), a few late, the last days' still open.
        stories = ["in_time"] * 12 + ["paused"] * 4 + ["late"] * 2 + ["open"] * 2
        for index in range(self.applications):
            story = stories[index % len(stories)]
            first, final = {"late": (1, last - 20), "open": (last - 2, last)}.get(story, (1, last - 16))
            self.schedule(self.day(first, final, hour=(9, 16)), self.application(story))
        for day in range(1, last + 1):  # door-to-door visits that raised nothing
            for _ in range(self.rng.randint(3, 8)):
                self.schedule(self.start + dt.timedelta(days=day - 1, hours=self.rng.uniform(9, 17)), self.visit())

    def plan_meetings(self) -> None:
        types = {kind.code: kind for kind in MeetingType.objects.filter(active=True)}

        def meeting(code: str, unit, day: int, hour: int = 14) -> Meeting:
            starts_at = self.start + dt.timedelta(days=min(day, self.days) - 1, hours=hour)
            planned = meetings.meeting_schedule(
                type=types[code],
                unit=unit,
                starts_at=starts_at,
                actor=self.street_staff,
                place="社区党群服务站",
                now=self.now,
            )
            self.schedule(starts_at + dt.timedelta(hours=2), self.hold(planned))
            return planned

        for zone in self.zones:
            meeting("opinion_day", zone, zone.opinion_day, hour=19)
        self.meetings["mediation"] = meeting("mediation", self.street, 10)
        self.meetings["hearing"] = meeting("hearing", self.committees[1], 15)
        self.meetings["coordination"] = meeting("coordination", self.committees[0], 20)
        self.meetings["evaluation"] = meeting("evaluation", self.committees[0], 25)
        self.schedule(self.meetings["hearing"].starts_at, self.hearing())
        self.schedule(self.meetings["evaluation"].starts_at + dt.timedelta(hours=1), self.evaluations())

    # --- the steps ---------------------------------------------------------------------

    def open_ticket(self, category: str = "", zone: ResponsibilityZone | None = None, description: str = "") -> Ticket:
        category = category or self.rng.choice(
            [code for code in DESCRIPTIONS if code != "neighbour_dispute" and code not in self.routed]
        )
        zone = zone or self.rng.choice(self.zones)
        household = self.household_in(zone)
        channel = self.rng.choice([Channel.PHONE, Channel.WALK_IN, Channel.HOTLINE])
        ticket = ticket_create(
            actor=self.zone_actor(zone.pk),
            category=self.categories[category],
            description=description or DESCRIPTIONS[category],
            channel=channel,
            household=household,
            zone=None if household else zone,
            reporter_name=household.contact_name if household else "",
            reporter_phone=household.phone if household else "",
            now=self.now,
        )
        self.ledger.created += 1
        return ticket

    def household_in(self, zone: ResponsibilityZone) -> Household | None:
        """A household of the zone chosen by the simulation's own random numbers (the same seed,
        the same households), not the database's."""
        households = Household.objects.filter(zone=zone).order_by("pk")
        count = households.count()
        return households[self.rng.randrange(count)] if count else None

    def refresh(self, ticket: Ticket) -> Ticket:
        return Ticket.objects.get(pk=ticket.pk)

    def acknowledge_and_start(self, ticket: Ticket) -> Iterator[dt.datetime]:
        yield self.within(2, ticket.respond_by)
        ticket = transitions.ticket_acknowledge(ticket=self.refresh(ticket), actor=self.actor_for(ticket), now=self.now)
        yield self.within(3, ticket.resolve_by)
        transitions.ticket_start(ticket=self.refresh(ticket), actor=self.actor_for(ticket), now=self.now)

    def settle(self, ticket: Ticket, hours: float, outcome: str = Outcome.SOLVED) -> Iterator[dt.datetime]:
        ticket = self.refresh(ticket)
        yield self.within(hours, ticket.resolve_by)
        ticket = transitions.ticket_resolve(
            ticket=self.refresh(ticket),
            actor=self.actor_for(ticket),
            outcome=outcome,
            reason="无法办理：不属于政府职责范围，已向居民说明" if outcome == Outcome.EXPLAINED else "",
            now=self.now,
        )
        self.resolved(ticket)
        yield from self.feedback(ticket)

    def resolved(self, ticket: Ticket, carried: bool = False) -> None:
        if ticket.resolve_by and ticket.resolved_at > ticket.resolve_by:
            raise AssertionError(f"{ticket.reference} was meant to be settled in time")
        self.ledger.resolved_at[ticket.tier] += 1
        self.ledger.carried_up += carried

    def feedback(self, ticket: Ticket) -> Iterator[dt.datetime]:
        if self.rng.random() < 0.2:
            return  # no one reached the resident
        yield self.within(20)
        satisfaction = self.rng.choices([s for s, _ in SATISFACTION], [w for _, w in SATISFACTION])[0]
        transitions.ticket_record_feedback(
            ticket=self.refresh(ticket),
            actor=self.actor_for(ticket),
            satisfaction=satisfaction,
            collected_via="phone",
            now=self.now,
        )
        self.ledger.feedback[satisfaction] += 1

    def escalate(self, ticket: Ticket, reason: str) -> Ticket:
        ticket = transitions.ticket_escalate(
            ticket=self.refresh(ticket), actor=self.actor_for(ticket), reason=reason, now=self.now
        )
        return ticket

    def fate_settled_at_visit(self) -> Iterator[dt.datetime]:
        zone = self.rng.choice(self.zones)
        household = self.household_in(zone)
        category = self.rng.choice(["public_facilities", "environment", "policy"])
        visit = visit_log(
            actor=self.zone_actor(zone.pk),
            household=household,
            visited_on=timezone.localdate(self.now),
            method=Visit.Method.DOOR,
            result=Visit.Result.SETTLED,
            matters=[RaisedMatter(category=self.categories[category], description=DESCRIPTIONS[category])],
            now=self.now,
        )
        ticket = visit.tickets.get()
        self.ledger.created += 1
        self.ledger.visited.add(household.pk)
        self.resolved(ticket)
        yield from self.feedback(ticket)

    def fate_zone(self, outcome: str = Outcome.SOLVED) -> Iterator[dt.datetime]:
        ticket = self.open_ticket()
        yield from self.acknowledge_and_start(ticket)
        yield from self.settle(ticket, hours=48, outcome=outcome)

    def fate_explained(self) -> Iterator[dt.datetime]:
        yield from self.fate_zone(outcome=Outcome.EXPLAINED)

    def fate_late_response(self) -> Iterator[dt.datetime]:
        ticket = self.open_ticket()
        yield ticket.respond_by + dt.timedelta(minutes=5)
        sweep_overdue_tickets(now=self.now)
        if self.refresh(ticket).events.filter(kind=TicketEvent.Kind.RESPOND_OVERDUE).exists():
            self.ledger.late_responses += 1
        yield from self.acknowledge_and_start(ticket)
        yield from self.settle(ticket, hours=24)

    def fate_committee(self) -> Iterator[dt.datetime]:
        ticket = self.open_ticket()
        yield from self.acknowledge_and_start(ticket)
        yield self.within(24, self.refresh(ticket).resolve_by)
        ticket = self.escalate(ticket, "涉及多个楼栋，责任区协调不了")
        yield from self.acknowledge_and_start(ticket)
        yield from self.settle(ticket, hours=72)

    def fate_carried_by_sweep(self) -> Iterator[dt.datetime]:
        ticket = self.open_ticket()
        yield from self.acknowledge_and_start(ticket)
        yield self.refresh(ticket).resolve_by + dt.timedelta(minutes=5)
        sweep_overdue_tickets(now=self.now)
        ticket = self.refresh(ticket)
        carried = ticket.tier == Tier.COMMITTEE
        yield from self.acknowledge_and_start(ticket)
        ticket = self.refresh(ticket)
        yield self.within(30, ticket.resolve_by)
        ticket = transitions.ticket_resolve(
            ticket=self.refresh(ticket), actor=self.actor_for(ticket), outcome=Outcome.SOLVED, now=self.now
        )
        self.resolved(ticket, carried=carried)
        yield from self.feedback(ticket)

    def fate_dispute(self) -> Iterator[dt.datetime]:
        meeting = self.meetings["coordination"]
        zone = self.rng.choice([zone for zone in self.zones if zone.committee_id == meeting.committee_id])
        ticket = self.open_ticket("neighbour_dispute", zone=zone)
        yield from self.acknowledge_and_start(ticket)
        yield self.within(24, self.refresh(ticket).resolve_by)
        ticket = self.escalate(ticket, "双方各执一词，需居委会召开协调会")
        yield self.within(2, ticket.respond_by)
        ticket = transitions.ticket_acknowledge(ticket=self.refresh(ticket), actor=self.actor_for(ticket), now=self.now)
        item, _ = meetings.agenda_add_ticket(meeting=meeting, ticket=ticket, actor=self.actor_for(ticket), now=self.now)
        yield meeting.starts_at + dt.timedelta(minutes=self.rng.randint(0, 90))
        meetings.agenda_decide(
            item=item,
            actor=self.actor_for(ticket),
            decision="resolve",
            outcome=Outcome.SOLVED,
            note="双方达成谅解",
            now=self.now,
        )
        ticket = self.refresh(ticket)
        self.resolved(ticket)
        self.ledger.conflicts_defused += 1
        yield from self.feedback(ticket)

    def fate_street(self) -> Iterator[dt.datetime]:
        meeting = self.meetings["mediation"]
        ticket = self.open_ticket("public_safety")
        yield from self.acknowledge_and_start(ticket)
        yield self.within(6, self.refresh(ticket).resolve_by)
        ticket = self.escalate(ticket, "多栋楼电动车充电隐患，需居委会协调")
        yield self.within(2, ticket.respond_by)
        ticket = transitions.ticket_acknowledge(ticket=self.refresh(ticket), actor=self.actor_for(ticket), now=self.now)
        yield self.within(6, ticket.resolve_by)
        ticket = self.escalate(ticket, "需街道综合调处")
        yield self.within(2, ticket.respond_by)
        ticket = transitions.ticket_acknowledge(ticket=self.refresh(ticket), actor=self.actor_for(ticket), now=self.now)
        item, _ = meetings.agenda_add_ticket(meeting=meeting, ticket=ticket, actor=self.street_staff, now=self.now)
        yield meeting.starts_at + dt.timedelta(minutes=self.rng.randint(0, 90))
        departments = self.departments[:2]
        meetings.agenda_decide(
            item=item,
            actor=self.street_staff,
            decision="refer",
            departments=departments,
            duty="联合整治，限期清理楼道充电并加装集中充电设施",
            answer_by=self.now + dt.timedelta(days=10),
            now=self.now,
        )
        self.ledger.referrals += len(departments)
        answer_by = self.refresh(ticket).answer_by
        for department in departments:
            yield self.within(24 * 4, answer_by)
            transitions.ticket_department_reply(
                ticket=self.refresh(ticket),
                actor=self.liaisons.get(department.pk) or self.street_staff,
                department=department,
                answer="已联合整治，集中充电点已建成",
                now=self.now,
            )
        yield from self.settle(ticket, hours=24)

    def answered_by_department(self, ticket: Ticket) -> Iterator[dt.datetime]:
        """The department a ticket was referred to answers before its answer-by."""
        ticket = self.refresh(ticket)
        referral = ticket.referrals.select_related("department").get(answered_at__isnull=True)
        yield self.within(24 * 3, min(referral.answer_by, ticket.resolve_by))
        transitions.ticket_department_reply(
            ticket=self.refresh(ticket),
            actor=self.liaisons.get(referral.department_id) or self.street_staff,
            department=referral.department,
            answer="已受理并办结，结果已告知居民",
            now=self.now,
        )

    def fate_straight(self) -> Iterator[dt.datetime]:
        """An administrative affair on the street's list goes straight to its department (直通快办);
        the zone tells the resident the department's answer. Without such a list: a zone matter."""
        if not self.routed:
            yield from self.fate_zone()
            return
        category = self.rng.choice(sorted(self.routed))
        ticket = self.open_ticket(category, description=STRAIGHT_DESCRIPTIONS.get(category, ""))
        if ticket.status != Status.REFERRED:
            raise AssertionError(f"{ticket.reference} was meant to go straight to its department")
        self.ledger.referrals += 1
        self.ledger.straight += 1
        yield from self.answered_by_department(ticket)
        yield from self.settle(ticket, hours=24)

    def fate_declined(self) -> Iterator[dt.datetime]:
        """The zone passes up a request that is a department's duty; the committee declines it,
        citing the street's list, and tells the resident the department's answer."""
        if not self.citable:
            yield from self.fate_committee()
            return
        entry = self.citable[0]
        ticket = self.open_ticket("policy", description="居民要求居委会出具户籍证明，用于办理迁户")
        yield from self.acknowledge_and_start(ticket)
        yield self.within(24, self.refresh(ticket).resolve_by)
        ticket = self.escalate(ticket, "居民坚持要居委会出具证明")
        yield self.within(2, ticket.respond_by)
        ticket = transitions.ticket_acknowledge(ticket=self.refresh(ticket), actor=self.actor_for(ticket), now=self.now)
        yield self.within(4)
        transitions.ticket_decline_by_list(
            ticket=self.refresh(ticket),
            actor=self.actor_for(ticket),
            entry=entry,
            note=f"依据街道清单，{entry.name}属{entry.answering}职责",
            now=self.now,
        )
        self.ledger.referrals += 1
        self.ledger.declined += 1
        yield from self.answered_by_department(ticket)
        yield from self.settle(ticket, hours=24)

    def fate_open(self) -> Iterator[dt.datetime]:
        ticket = self.open_ticket()
        yield from self.acknowledge_and_start(ticket)

    def fate_cancelled(self) -> Iterator[dt.datetime]:
        ticket = self.open_ticket()
        yield self.within(3, ticket.respond_by)
        transitions.ticket_cancel(
            ticket=self.refresh(ticket), actor=self.actor_for(ticket), reason="withdrawn", now=self.now
        )
        self.ledger.cancelled += 1

    def application(self, story: str) -> Iterator[dt.datetime]:
        """A resident applies at their committee's window for an item the street completes."""
        zone = self.rng.choice(self.zones)
        household = self.household_in(zone)
        item = self.rng.choice(self.items)
        documents = item.document_list if story != "paused" else item.document_list[:1]
        ticket = desk_service_apply(
            actor=self.committee_staff.get(zone.committee_id) or self.street_staff,
            channel=Channel.WALK_IN,
            item=item,
            documents_received=documents,
            household=household,
            now=self.now,
        )
        self.ledger.created += 1
        yield from self.acknowledge_and_start(ticket)
        if story == "open":
            return
        if story == "paused":
            yield self.within(4, self.refresh(ticket).resolve_by)
            transitions.ticket_pause(
                ticket=self.refresh(ticket),
                actor=self.actor_for(ticket),
                reason=PauseReason.DOCUMENTS_MISSING,
                note="请居民补交：" + "、".join(item.document_list[1:]),
                now=self.now,
            )
            yield self.now + dt.timedelta(hours=self.rng.uniform(20, 50))
            if self.refresh(ticket).paused_at is not None:  # else a visit to them ended it already
                transitions.ticket_resume(
                    ticket=self.refresh(ticket),
                    actor=self.actor_for(ticket),
                    how=ResumeHow.RESIDENT_VISIT,
                    now=self.now,
                )
        if story == "late":
            yield self.refresh(ticket).resolve_by + dt.timedelta(hours=self.rng.uniform(20, 70))
            ticket = transitions.ticket_resolve(
                ticket=self.refresh(ticket), actor=self.actor_for(ticket), outcome=Outcome.SOLVED, now=self.now
            )
            self.ledger.resolved_at[ticket.tier] += 1
            self.ledger.late_applications += 1
            yield from self.feedback(ticket)
            return
        yield from self.settle(ticket, hours=60)

    def visit(self) -> Iterator[dt.datetime]:
        zone = self.rng.choice(self.zones)
        household = self.household_in(zone)
        if household is None:
            return
        visit_log(
            actor=self.zone_actor(zone.pk),
            household=household,
            visited_on=timezone.localdate(self.now),
            method=(method := self.rng.choice([Visit.Method.DOOR, Visit.Method.PHONE])),
            result=Visit.Result.NOTHING,
            now=self.now,
        )
        self.ledger.visited.add(household.pk)
        # Most households visited at the door answer the questionnaire there; some reached by
        # phone are sent the link and answer it.
        answers = self.survey_rng.random() < (0.85 if method == Visit.Method.DOOR else 0.4)
        if self.questionnaire is not None and answers:
            self.rate_the_community(household, zone, by_link=method != Visit.Method.DOOR)
        yield from ()

    def rate_the_community(self, household: Household, zone: ResponsibilityZone, *, by_link: bool) -> None:
        """The household answers the questionnaire, at the door or through a link."""
        actor = self.zone_actor(zone.pk)
        leaning = self.leaning.get(zone.committee_id, 0.0)
        scores = {
            question.pk: max(1, min(5, round(self.survey_rng.gauss(4.0 + leaning, 0.8))))
            for question in self.questionnaire.questions.all()
        }
        if by_link:
            link, _token = survey_link_create(household=household, actor=actor, now=self.now)
            survey_answer_record(household=household, scores=scores, link=link, now=self.now)
            self.ledger.survey_answers["link"] += 1
        else:
            survey_answer_record(household=household, scores=scores, actor=actor, now=self.now)
            self.ledger.survey_answers["door"] += 1

    def hold(self, meeting: Meeting) -> Iterator[dt.datetime]:
        meetings.meeting_record(
            meeting=meeting,
            actor=self.street_staff,
            minutes="会议按议程进行，决定事项见议程。",
            attended=[],
            now=self.now,
        )
        self.ledger.meetings_held[meeting.type.code] += 1
        yield from ()

    def hearing(self) -> Iterator[dt.datetime]:
        meeting = self.meetings["hearing"]
        actor = self.committee_staff.get(meeting.committee_id) or self.street_staff
        item = meetings.agenda_add_topic(meeting=meeting, topic="小区加装电梯方案听证", actor=actor, now=self.now)
        meetings.agenda_decide(item=item, actor=actor, decision="note", note="多数居民同意，方案公示七天", now=self.now)
        yield from ()

    def evaluations(self) -> Iterator[dt.datetime]:
        meeting = self.meetings["evaluation"]
        actor = self.committee_staff.get(meeting.committee_id) or self.street_staff
        for department in self.departments[:2]:
            scores = {criterion: self.rng.randint(3, 5) for criterion in meeting.type.criteria}
            meetings.evaluation_record(
                meeting=meeting,
                actor=actor,
                scores=scores,
                opinion="请继续保持，加快答复",
                department=department,
                now=self.now,
            )
        yield from ()


def simulate_month(
    *,
    month: dt.date,
    tickets: int = 200,
    seed: int = 1,
    street: StreetOffice | None = None,
    applications: int = APPLICATIONS,
):
    """Simulate `month` (which must have ended) on `street` (the demo street by default), with
    `tickets` requests and `applications` at the service window.
    Returns the ledger and the month's report. Refuses a month the street has tickets in."""
    street = street or StreetOffice.objects.get(code=DEMO_STREET[0])
    first, after = month_bounds(month)
    if after > timezone.localdate():
        raise ValueError(f"{first:%Y-%m} has not ended yet.")
    since = dt.datetime.combine(first, dt.time.min, tzinfo=SHANGHAI)
    until = dt.datetime.combine(after, dt.time.min, tzinfo=SHANGHAI)
    if Ticket.objects.filter(street=street, created_at__gte=since, created_at__lt=until).exists():
        raise ValueError(f"{street} already has tickets in {first:%Y-%m}.")
    if MonthlyReport.objects.filter(street=street, month=first).exists():
        raise ValueError(f"{street}'s report for {first:%Y-%m} was issued already.")
    # The month's residents are invented: no SMS for them (residents.services).
    with no_resident_messages():
        ledger = MonthSimulation(street, first, tickets, seed, applications).run()
    return ledger, MonthlyReport.objects.get(street=street, month=first)

"""One problem, one ticket, on the demo street (issue 20's "done when"), played through the
real services this week:

- a lift in a building of 桑城第1责任区 reported at the door (a visit), then by phone to the
  committee (attached to the open ticket at the desk), then through the 12345 hotline (a
  partner's ticket the committee merges into the first): one ticket with three reporters,
  left open so that a demo user can settle it;
- a roof leaking in three houses of one lane of 瞿溪 over the last weeks, proposed by the
  recurring-problems job as a topic on the street's next risk-screening meeting, which is
  planned for it, and its responsible leader alerted.

Idempotent: does nothing when the lift ticket is already there (`--if-new`)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from core.enums import CancelReason, Channel, Urgency
from escalation.transitions import ticket_cancel
from grievances.models import Category, Household, Ticket
from intake.services import DeskMatter, RaisedMatter, desk_intake, ticket_create, visit_log
from meetings.models import MeetingType, RecurringTopic
from meetings.services import meeting_schedule
from meetings.topics import find_recurring_problems
from responders.models import (
    PartnerSystem,
    ResidentialCommittee,
    ResponsibilityZone,
    StreetOffice,
    TeamMembership,
    User,
)

from .street import DEMO_STREET

LIFT_AT_DOOR = "3 号楼电梯停了两天，楼里好几位老人下不了楼。"
LIFT_BY_PHONE = "我们楼的电梯坏了，一直没人来修，老人出不了门。"
LIFT_BY_HOTLINE = "市民反映：小区 3 号楼电梯故障停运两日，高龄老人无法下楼。诉求：尽快维修。"
LEAKS = ["顶楼屋面漏水，下雨天天花板滴水。", "屋顶渗水，卧室墙面发霉。", "下雨屋里漏，接了好几个盆。"]


def play(now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    street = StreetOffice.objects.get(code=DEMO_STREET[0])
    if Ticket.objects.filter(street=street, description=LIFT_AT_DOOR).exists():
        return "The duplicates story is already on the demo street."
    with transaction.atomic():
        lift = _lift(street, now)
        topics = _leaks(street, now)
    return (
        f"Lift {lift.reference}: one ticket, {lift.reporters.count() + 1} reporters (door, phone, 12345). "
        f"Recurring problems proposed: {topics}."
    )


def _lift(street: StreetOffice, now: dt.datetime) -> Ticket:
    zone = ResponsibilityZone.objects.get(code=f"{street.code}-SC-01")
    facilities = Category.objects.get(code="public_facilities")
    households = list(Household.objects.filter(zone=zone, building__isnull=False).order_by("building_id", "address"))
    building = households[-1].building
    first, neighbour = [h for h in households if h.building_id == building.pk][:2]
    member = User.objects.get(username="zone_member")
    visitor = TeamMembership.objects.filter(team__zone=zone, user=member).first()
    visit = visit_log(
        actor=member,
        household=first,
        visited_on=timezone.localdate(now - dt.timedelta(days=2)),
        method="door",
        visitors=[visitor] if visitor else [],
        matters=[RaisedMatter(category=facilities, description=LIFT_AT_DOOR, urgency=Urgency.URGENT, settled=False)],
        now=now - dt.timedelta(days=2),
    )
    lift = visit.tickets.get()
    staff = User.objects.get(username="committee_staff")
    desk_intake(
        actor=staff,
        channel=Channel.PHONE,
        household=neighbour,
        matters=[DeskMatter(category=facilities, description=LIFT_BY_PHONE, attach_to=lift)],
        now=now - dt.timedelta(days=1, hours=3),
    )
    hotline = PartnerSystem.objects.filter(code="hotline12345").first() or PartnerSystem.objects.create(
        code="hotline12345", name="12345 市民服务热线"
    )
    filed = ticket_create(
        actor=f"partner:{hotline.code}",
        category=facilities,
        description=LIFT_BY_HOTLINE,
        channel=Channel.PARTNER,
        zone=zone,
        address=building.name,
        reporter_name="钱女士",
        reporter_phone="13900007777",
        partner=hotline,
        external_id=f"12345-DEMO-{now:%Y%m%d}",
        now=now - dt.timedelta(days=1),
    )
    ticket_cancel(
        ticket=filed,
        actor=staff,
        reason=CancelReason.DUPLICATE,
        duplicate_of=lift,
        note="同一部电梯，已有走访工单",
        now=now - dt.timedelta(hours=20),
    )
    return lift


def _leaks(street: StreetOffice, now: dt.datetime) -> int:
    committee = ResidentialCommittee.objects.get(code=f"{street.code}-QX")
    zone = committee.zones.order_by("code").first()
    housing = Category.objects.get(code="housing")
    lane = (
        Household.objects.filter(zone=zone, building__isnull=False).order_by("building__name").first().building.name
    ).split(" 弄")[0]
    homes = list(
        Household.objects.filter(zone=zone, building__name__startswith=f"{lane} 弄").order_by(
            "building__name", "address"
        )
    )
    staff = User.objects.get(username="committee_qx")
    for days, (home, text) in zip(
        (20, 11, 3), zip(homes[:: max(1, len(homes) // 3)], LEAKS, strict=False), strict=False
    ):
        desk_intake(
            actor=staff,
            channel=Channel.WALK_IN,
            household=home,
            matters=[DeskMatter(category=housing, description=text)],
            now=now - dt.timedelta(days=days),
        )
    risk = MeetingType.objects.get(code="risk_screening")
    meeting_schedule(
        type=risk,
        unit=street,
        starts_at=(now + dt.timedelta(days=6)).replace(hour=9, minute=30, second=0, microsecond=0),
        actor=None,
        title="矛盾排查分析会",
        now=now,
    )
    find_recurring_problems(now=now)
    return RecurringTopic.objects.filter(street=street).count()

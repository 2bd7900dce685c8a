import factory

from grievances.models import Building, Household
from responders.models import (
    Department,
    DepartmentKind,
    District,
    ResidentialCommittee,
    ResponsibilityZone,
    ServiceTeam,
    StreetOffice,
    TeamMembership,
    User,
)


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    name = factory.Sequence(lambda n: f"测试{n}区")
    code = factory.Sequence(lambda n: f"TD{n}")


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StreetOffice

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"测试{n}街道")
    code = factory.Sequence(lambda n: f"TS{n}")


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResidentialCommittee

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"测试{n}居民区")
    code = factory.Sequence(lambda n: f"TC{n}")


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResponsibilityZone

    committee = factory.SubFactory(CommitteeFactory)
    name = factory.Sequence(lambda n: f"测试第{n}责任区")
    code = factory.Sequence(lambda n: f"TZ{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceTeam

    zone = factory.SubFactory(ZoneFactory)
    name = factory.LazyAttribute(lambda team: f"{team.zone.name}服务团队")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    district = factory.SubFactory(DistrictFactory)
    street = None
    kind = factory.LazyFunction(lambda: DepartmentKind.objects.get(code="police"))
    name = factory.Sequence(lambda n: f"测试{n}派出所")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试员{n}")
    role = User.Role.ZONE_MEMBER
    password = factory.django.Password("pw-for-tests")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"队员{n}")
    home_kind = TeamMembership.HomeKind.COMMUNITY_UNIT
    home_unit_name = "志愿者服务队"


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    zone = factory.SubFactory(ZoneFactory)
    name = factory.Sequence(lambda n: f"测试路 {n} 弄 1 号")


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    zone = factory.SubFactory(ZoneFactory)
    building = None
    address = factory.Sequence(lambda n: f"测试路 1 弄 1 号 {n} 室")
    contact_name = "王芳"
    phone = "13812345678"


STAFFED = object()


def make_ticket(
    *,
    actor=None,
    urgency="normal",
    zone=STAFFED,
    committee=None,
    street=None,
    household=None,
    address="",
    category="environment",
    **kwargs,
):
    """A ticket opened the way the product opens them (grievances.services.ticket_create);
    by default in a fresh zone with staff at every tier."""
    from grievances.models import Category
    from intake.services import ticket_create

    if zone is STAFFED:
        zone = staffed_zone()
    return ticket_create(
        actor=actor or "test",
        category=Category.objects.get(code=category),
        description=kwargs.pop("description", "楼道里堆满了杂物，影响通行。"),
        channel=kwargs.pop("channel", "visit"),
        urgency=urgency,
        zone=zone,
        committee=committee,
        street=street,
        household=household,
        address=address,
        **kwargs,
    )


def staffed_zone():
    """A zone whose every tier has a person to own its tickets: a team member with an
    account, committee staff, and a street leader responsible for the committee."""
    street = StreetFactory()
    leader = UserFactory(role=User.Role.STREET_LEADER, street=street, full_name="包干领导")
    UserFactory(role=User.Role.STREET_STAFF, street=street, full_name="街道干部")
    committee = CommitteeFactory(street=street, duty_leader=leader)
    UserFactory(role=User.Role.COMMITTEE_STAFF, committee=committee, full_name="居委干部")
    zone = ZoneFactory(committee=committee)
    member = UserFactory(role=User.Role.ZONE_MEMBER, full_name="片区队员")
    MembershipFactory(team=TeamFactory(zone=zone), user=member, name=member.full_name)
    return zone


def department_for(ticket, **kwargs):
    """A functional department stationed in the ticket's street (one it may be referred to)."""
    return DepartmentFactory(district=ticket.street.district, street=ticket.street, **kwargs)


def tabled_at_opinion_day(ticket, *, by):
    """`ticket` on the agenda of its zone's public-opinion day tomorrow, planned by `by`:
    (meeting, agenda item)."""
    import datetime as dt

    from django.utils import timezone

    from meetings.models import MeetingType
    from meetings.services import agenda_add_ticket, meeting_schedule

    meeting = meeting_schedule(
        type=MeetingType.objects.get(code="opinion_day"),
        unit=ticket.zone,
        starts_at=timezone.now() + dt.timedelta(days=1),
        actor=by,
    )
    item, _late = agenda_add_ticket(meeting=meeting, ticket=ticket, actor=by)
    return meeting, item


def begun(meeting, minutes: int = 1):
    """`meeting`, moved to have started `minutes` ago: it may be recorded as held and decide."""
    import datetime as dt

    from django.utils import timezone

    type(meeting).objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - dt.timedelta(minutes=minutes))
    meeting.refresh_from_db()
    return meeting

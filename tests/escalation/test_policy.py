"""The policy (escalation.policy), role by role: seeing a unit is not acting for it. Each
row was a hole: a zone member and committee staff could open the whole street's monthly
report and plan street-tier meetings, because they could see their street."""

import datetime as dt

import pytest
from django.utils import timezone

from core.errors import NotPermitted
from escalation import policy
from meetings.models import Meeting, MeetingType
from reports.services import monthly_report_generate
from responders.models import User
from tests.factories import DepartmentFactory, MembershipFactory, TeamFactory, UserFactory, ZoneFactory, staffed_zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def street():
    """One street, two committees; a person of every role."""
    zone = staffed_zone()
    committee, street = zone.committee, zone.committee.street
    other_zone = ZoneFactory(committee__street=street)
    liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=DepartmentFactory(street=street))
    admin = UserFactory(role=User.Role.ADMINISTRATOR)
    other_staff = UserFactory(role=User.Role.COMMITTEE_STAFF, committee=other_zone.committee)
    member = User.objects.get(memberships__team__zone=zone)
    # An officer on the zone's team: sees the zone like its members, acts for no unit.
    MembershipFactory(team=zone.team, user=liaison, name="社区民警")
    TeamFactory(zone=other_zone)
    people = {
        "zone member": member,
        "committee staff": User.objects.get(committee=committee, role=User.Role.COMMITTEE_STAFF),
        "other committee's staff": other_staff,
        "street staff": User.objects.get(street=street, role=User.Role.STREET_STAFF),
        "street leader": User.objects.get(street=street, role=User.Role.STREET_LEADER),
        "department liaison": liaison,
        "administrator": admin,
    }
    return {"street": street, "committee": committee, "zone": zone, "people": people}


# For each person: (acts for the street, for the committee, for the zone)
ACTS_FOR = {
    "zone member": (False, False, True),
    "committee staff": (False, True, True),
    "other committee's staff": (False, False, False),
    "street staff": (True, True, True),
    "street leader": (True, True, True),
    "department liaison": (False, False, False),
    "administrator": (True, True, True),
}


@pytest.mark.parametrize("who", ACTS_FOR)
def test_who_acts_for_which_unit(street, who):
    person = street["people"][who]

    acts = tuple(
        policy.may(person, policy.Right.PLAN_MEETING, unit)
        for unit in (street["street"], street["committee"], street["zone"])
    )

    assert acts == ACTS_FOR[who]
    assert policy.may(person, policy.Right.READ_REPORT, street["street"]) == ACTS_FOR[who][0]


@pytest.mark.parametrize("who", ACTS_FOR)
def test_planning_a_street_meeting_takes_acting_for_the_street(client, street, who):
    client.force_login(street["people"][who])
    starts = timezone.localtime(timezone.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        "/meetings/new/",
        {
            "type": MeetingType.objects.get(code="mediation").pk,
            "unit": f"street:{street['street'].pk}",
            "starts_at": starts,
            "place": "街道会议室",
        },
    )

    acts = ACTS_FOR[who][0]
    if acts:
        assert response.status_code == 302 and Meeting.objects.filter(street=street["street"]).count() == 1
    else:
        assert response.status_code in (400, 404) and not Meeting.objects.exists()


@pytest.mark.parametrize("who", ACTS_FOR)
def test_the_streets_monthly_report_is_for_those_who_act_for_the_street(client, street, who):
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    report = monthly_report_generate(street=street["street"], month=last_month)
    client.force_login(street["people"][who])

    page = client.get(f"/reports/{report.pk}/")
    exported = client.get(f"/reports/{report.pk}/csv/")
    listing = client.get("/reports/").content.decode()

    if ACTS_FOR[who][0]:
        assert page.status_code == exported.status_code == 200
        assert f"/reports/{report.pk}/" in listing
    else:
        assert page.status_code == exported.status_code == 404
        assert f"/reports/{report.pk}/" not in listing


def test_issuing_a_report_is_refused_by_the_service_not_only_the_page(street):
    committee_staff = street["people"]["committee staff"]
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)

    with pytest.raises(NotPermitted):
        monthly_report_generate(street=street["street"], month=last_month, actor=committee_staff)


def test_a_liaisons_action_on_a_ticket_is_refused_by_the_state_machine_itself(street):
    from escalation import transitions
    from tests.factories import make_ticket

    ticket = make_ticket(zone=street["zone"])
    liaison = street["people"]["department liaison"]  # on the zone's team, so sees the ticket

    with pytest.raises(NotPermitted):
        transitions.ticket_resolve(ticket=ticket, actor=liaison, outcome="solved")
    ticket.refresh_from_db()
    assert ticket.status == "new"

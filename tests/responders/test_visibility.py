"""The visibility rule, first form (DESIGN.md rule 4), for every role."""

import pytest
from django.contrib.auth.models import AnonymousUser

from grievances.selectors import visible_households
from responders import selectors
from responders.models import User
from tests.factories import (
    CommitteeFactory,
    DepartmentFactory,
    HouseholdFactory,
    MembershipFactory,
    StreetFactory,
    TeamFactory,
    UserFactory,
    ZoneFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    """Two streets; the first has two committees, each with two zones of two households."""
    here, there = StreetFactory(), StreetFactory()
    c1, c2 = CommitteeFactory(street=here), CommitteeFactory(street=here)
    c3 = CommitteeFactory(street=there)
    zones = {
        "z1": ZoneFactory(committee=c1),
        "z2": ZoneFactory(committee=c1),
        "z3": ZoneFactory(committee=c2),
        "z4": ZoneFactory(committee=c2),
        "z5": ZoneFactory(committee=c3),
    }
    households = {name: HouseholdFactory.create_batch(2, zone=zone) for name, zone in zones.items()}
    return {"here": here, "there": there, "c1": c1, "c2": c2, "c3": c3, **zones, "households": households}


def seen(user):
    scope = selectors.user_scope(user)
    return {
        "streets": set(selectors.visible_streets(scope)),
        "committees": set(selectors.visible_committees(scope)),
        "zones": set(selectors.visible_zones(scope)),
        "households": set(visible_households(scope)),
    }


def households_of(tree, *zones):
    return {h for zone in zones for h in tree["households"][zone]}


def test_zone_member_sees_the_zones_of_their_teams(tree):
    member = UserFactory(role=User.Role.ZONE_MEMBER)
    MembershipFactory(team=TeamFactory(zone=tree["z1"]), user=member, name=member.full_name)
    MembershipFactory(team=TeamFactory(zone=tree["z3"]), user=member, name=member.full_name)
    TeamFactory(zone=tree["z2"])

    view = seen(member)

    assert view["zones"] == {tree["z1"], tree["z3"]}
    assert view["households"] == households_of(tree, "z1", "z3")
    assert view["committees"] == {tree["c1"], tree["c2"]}
    assert view["streets"] == {tree["here"]}


def test_zone_member_without_a_team_sees_nothing(tree):
    view = seen(UserFactory(role=User.Role.ZONE_MEMBER))
    assert view == {"streets": set(), "committees": set(), "zones": set(), "households": set()}


def test_committee_staff_see_their_committee(tree):
    staff = UserFactory(role=User.Role.COMMITTEE_STAFF, committee=tree["c1"])

    view = seen(staff)

    assert view["committees"] == {tree["c1"]}
    assert view["zones"] == {tree["z1"], tree["z2"]}
    assert view["households"] == households_of(tree, "z1", "z2")


@pytest.mark.parametrize("role", [User.Role.STREET_STAFF, User.Role.STREET_LEADER])
def test_street_staff_and_leaders_see_their_street(tree, role):
    person = UserFactory(role=role, street=tree["here"])

    view = seen(person)

    assert view["streets"] == {tree["here"]}
    assert view["committees"] == {tree["c1"], tree["c2"]}
    assert view["zones"] == {tree["z1"], tree["z2"], tree["z3"], tree["z4"]}
    assert view["households"] == households_of(tree, "z1", "z2", "z3", "z4")


def test_department_liaison_sees_no_org_units_or_households(tree):
    liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=DepartmentFactory())

    assert seen(liaison) == {"streets": set(), "committees": set(), "zones": set(), "households": set()}
    assert selectors.user_scope(liaison).department_ids == {liaison.department_id}


def test_administrator_and_superuser_see_everything(tree):
    for person in (UserFactory(role=User.Role.ADMINISTRATOR), UserFactory(is_superuser=True)):
        view = seen(person)
        assert view["streets"] == {tree["here"], tree["there"]}
        assert len(view["households"]) == 10


def test_anonymous_and_inactive_users_see_nothing(tree):
    inactive = UserFactory(role=User.Role.STREET_STAFF, street=tree["here"], is_active=False)
    for person in (AnonymousUser(), inactive):
        assert seen(person)["households"] == set()


def test_anyone_on_a_zone_team_sees_that_zone_whatever_their_role(tree):
    officer = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=DepartmentFactory())
    MembershipFactory(team=TeamFactory(zone=tree["z5"]), user=officer, name="社区民警")

    view = seen(officer)

    assert view["zones"] == {tree["z5"]}
    assert view["households"] == households_of(tree, "z5")

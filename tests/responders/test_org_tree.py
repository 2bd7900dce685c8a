import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from responders.admin import zone_size_warning
from responders.models import TeamMembership, User
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


def test_department_kinds_are_seeded_with_the_stationed_departments():
    from responders.models import DepartmentKind

    names = set(DepartmentKind.objects.values_list("name", flat=True))
    assert {
        "派出所",
        "城管执法",
        "绿化市容",
        "市场监管",
        "税务",
        "房管",
        "环卫",
        "卫生",
        "社会保障",
        "司法所",
        "劳动监察",
    } <= names


@pytest.mark.parametrize(
    ("households", "warned"), [(0, True), (249, True), (250, False), (300, False), (350, False), (351, True)]
)
def test_zone_outside_250_to_350_households_is_warned_not_refused(households, warned):
    assert (zone_size_warning(households) is not None) == warned


def test_admin_flags_a_small_zone_in_the_list_and_on_its_page(client):
    small = ZoneFactory(name="小责任区")
    HouseholdFactory.create_batch(3, zone=small)
    admin = UserFactory(role=User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)

    listing = client.get("/admin/responders/responsibilityzone/")
    page = client.get(f"/admin/responders/responsibilityzone/{small.pk}/change/")

    assert listing.status_code == 200
    assert "⚠ 3" in listing.content.decode()
    assert page.status_code == 200
    assert "3" in page.content.decode() and "250" in page.content.decode()


def test_a_street_leader_answers_for_at_most_two_committees():
    street = StreetFactory()
    leader = UserFactory(role=User.Role.STREET_LEADER, street=street)
    CommitteeFactory(street=street, duty_leader=leader)
    CommitteeFactory(street=street, duty_leader=leader)
    third = CommitteeFactory.build(street=street, duty_leader=leader)

    with pytest.raises(ValidationError) as error:
        third.full_clean()

    assert "duty_leader" in error.value.message_dict


def test_only_a_leader_of_the_same_street_can_hold_committee_duty():
    street = StreetFactory()
    staffer = UserFactory(role=User.Role.STREET_STAFF, street=street)
    foreign_leader = UserFactory(role=User.Role.STREET_LEADER, street=StreetFactory())

    for leader in (staffer, foreign_leader):
        with pytest.raises(ValidationError) as error:
            CommitteeFactory.build(street=street, duty_leader=leader).full_clean()
        assert "duty_leader" in error.value.message_dict


@pytest.mark.parametrize(
    ("role", "field"),
    [
        (User.Role.COMMITTEE_STAFF, "committee"),
        (User.Role.STREET_STAFF, "street"),
        (User.Role.STREET_LEADER, "street"),
        (User.Role.DEPARTMENT_LIAISON, "department"),
    ],
)
def test_a_role_without_its_org_unit_is_refused_naming_the_field(role, field):
    user = UserFactory.build(role=role)

    with pytest.raises(ValidationError) as error:
        user.full_clean()
    assert field in error.value.message_dict

    # The database refuses it too, whatever path the write takes.
    with pytest.raises(IntegrityError), transaction.atomic():
        user.save()


def test_a_team_has_one_lead():
    team = TeamFactory()
    MembershipFactory(team=team, role=TeamMembership.TeamRole.LEAD)

    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(team=team, role=TeamMembership.TeamRole.LEAD)


def test_a_membership_records_the_home_organisation_of_its_kind():
    committee = CommitteeFactory()
    department = DepartmentFactory()
    missing = MembershipFactory.build(team=TeamFactory(), home_kind=TeamMembership.HomeKind.DEPARTMENT)

    with pytest.raises(ValidationError) as error:
        missing.full_clean()
    assert "home_department" in error.value.message_dict

    from_committee = MembershipFactory(home_kind=TeamMembership.HomeKind.COMMITTEE, home_committee=committee)
    from_department = MembershipFactory(home_kind=TeamMembership.HomeKind.DEPARTMENT, home_department=department)
    assert from_committee.home_organisation == committee
    assert from_department.home_organisation == department


def test_org_unit_is_the_unit_of_the_role():
    street = StreetFactory()
    committee = CommitteeFactory(street=street)
    assert UserFactory(role=User.Role.STREET_STAFF, street=street).org_unit == street
    assert UserFactory(role=User.Role.COMMITTEE_STAFF, committee=committee).org_unit == committee

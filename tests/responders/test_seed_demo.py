import hashlib

import pytest
from django.core.management import call_command
from django.db.models import Count

from grievances.models import Building, Household
from responders.models import (
    Department,
    ResidentialCommittee,
    ResponsibilityZone,
    ServiceTeam,
    StreetOffice,
    TeamMembership,
    User,
)

pytestmark = pytest.mark.django_db


def household_rows(*more):
    """Every household seed_demo writes, in order, as the tuple of what it decides (and `more`)."""
    return list(
        Household.objects.order_by("zone__code", "address").values_list(
            "zone__code",
            "building__name",
            "address",
            "contact_name",
            "phone",
            "household_type",
            "elderly_living_alone",
            "low_income",
            "disability",
            *more,
        )
    )


def membership_rows():
    return list(TeamMembership.objects.order_by("team__zone__code", "name").values_list("team__zone__code", "name"))


def snapshot():
    """Every row seed_demo writes, as a digest, plus the counts."""
    digest = hashlib.sha256()
    for row in household_rows("updated_at"):
        digest.update(repr(row).encode())
    counts = {
        model.__name__: model.objects.count()
        for model in (
            StreetOffice,
            ResidentialCommittee,
            ResponsibilityZone,
            ServiceTeam,
            TeamMembership,
            Department,
            User,
            Building,
            Household,
        )
    }
    users = list(User.objects.order_by("username").values_list("username", "password", "role"))
    return digest.hexdigest(), counts, users


def test_demo_street_has_the_sizes_of_wuliqiao(demo):
    street = StreetOffice.objects.get(code="WLQ")
    zones = ResponsibilityZone.objects.filter(committee__street=street).annotate(n=Count("households"))

    assert street.name == "五里桥街道"
    assert street.committees.count() == 4
    assert zones.count() == 14
    assert all(250 <= zone.n <= 350 for zone in zones)
    assert 3500 <= Household.objects.filter(zone__committee__street=street).count() <= 4900
    assert ServiceTeam.objects.filter(zone__committee__street=street).count() == 14
    assert Department.objects.filter(street=street).count() == 11
    # Every committee has its responsible leader, and no leader holds more than two.
    leaders = ResidentialCommittee.objects.values("duty_leader").annotate(n=Count("id"))
    assert all(row["duty_leader"] and row["n"] <= 2 for row in leaders)


def test_demo_has_one_login_per_role(log_in):
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == set(User.Role.values)
    for username in ("admin", "street_staff", "leader_wang", "committee_staff", "zone_member", "dept_liaison"):
        log_in(username)


def test_demo_addresses_look_like_shanghai_lanes(demo):
    household = Household.objects.order_by("pk").first()
    assert "弄" in household.address and household.address.endswith("室")
    assert household.building.name in household.address
    assert len(household.phone) == 11


def test_a_second_run_changes_nothing(demo):
    before = snapshot()

    call_command("seed_demo", "--no-progress")

    assert snapshot() == before


def test_the_demo_is_deterministic(demo):
    first = household_rows()
    members = membership_rows()
    TeamMembership.objects.all().delete()
    Household.objects.all().delete()
    Building.objects.all().delete()

    call_command("seed_demo", "--no-progress")

    assert household_rows() == first
    assert membership_rows() == members


def test_scale_numbers_generate_streets_of_committees_of_zones(demo):
    call_command(
        "seed_demo", "--no-progress", "--districts", "1", "--streets", "2", "--committees", "2", "--zones", "3"
    )

    generated = ResponsibilityZone.objects.exclude(committee__street__code="WLQ").annotate(n=Count("households"))
    assert StreetOffice.objects.count() == 3
    assert generated.count() == 12
    assert all(250 <= zone.n <= 350 for zone in generated)
    assert ServiceTeam.objects.count() == 14 + 12


def test_negative_numbers_are_refused_naming_the_option(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--zones"):
        call_command("seed_demo", "--no-progress", "--zones", "-1")


def test_seed_demo_puts_back_reference_data_a_flush_removed(db):
    from catalogue.models import ServiceClass, ServiceItem
    from escalation.models import SLAPolicy
    from grievances.models import Category
    from responders.models import DepartmentKind

    SLAPolicy.objects.all().delete()
    ServiceItem.objects.all().delete()
    ServiceClass.objects.all().delete()
    Category.objects.all().delete()
    DepartmentKind.objects.all().delete()

    call_command("seed_demo", "--no-progress")

    # DESIGN.md's seven rows, and the lift row by category (issue 19)
    assert SLAPolicy.objects.count() == 8
    assert Category.objects.count() == 14  # with 办事服务, the service window's
    assert DepartmentKind.objects.count() == 11
    assert (ServiceClass.objects.count(), ServiceItem.objects.count()) == (12, 35)

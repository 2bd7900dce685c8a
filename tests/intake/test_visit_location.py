"""Item 4 on the visit form: "use my location" fills two hidden fields; their point goes on
every matter's ticket, a bad one is refused naming the field, none falls back to the building."""

import pytest

from grievances.models import Category, Ticket
from intake.services import DeskMatter, desk_intake
from tests.factories import BuildingFactory, HouseholdFactory
from tests.intake.test_desk_and_visits import committee_staff, member_of, visit_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def category():
    return Category.objects.get(code="public_facilities")


def two_matters(category, **extra):
    return {
        "matter-0-category": category.pk,
        "matter-0-description": "楼道灯不亮，当场换了灯泡",
        "matter-0-outcome": "settled",
        "matter-0-satisfaction": "satisfied",
        "matter-1-category": category.pk,
        "matter-1-description": "屋顶漏水，需要物业公司维修",
        **extra,
    }


def test_the_visit_form_offers_the_location_button_and_its_hidden_fields(client, zone):
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))

    page = client.get(f"/households/{household.pk}/visits/new/").content.decode()

    assert 'type="hidden" name="lat"' in page and 'type="hidden" name="long"' in page
    assert "data-locate" in page and 'data-location="lat"' in page


def test_the_phones_point_goes_on_every_matters_ticket(client, zone, category):
    household = HouseholdFactory(zone=zone, building=BuildingFactory(zone=zone, lat=31.0, long=121.0))
    client.force_login(member_of(zone))

    response = client.post(
        f"/households/{household.pk}/visits/new/",
        visit_post(household, lat="31.205900", long="121.489000", **two_matters(category)),
    )

    assert response.status_code == 302
    assert set(Ticket.objects.values_list("lat", "long")) == {(31.2059, 121.489)}


def test_without_the_phones_point_the_buildings_is_used(client, zone, category):
    household = HouseholdFactory(zone=zone, building=BuildingFactory(zone=zone, lat=31.21, long=121.47))
    client.force_login(member_of(zone))

    response = client.post(f"/households/{household.pk}/visits/new/", visit_post(household, **two_matters(category)))

    assert response.status_code == 302
    assert set(Ticket.objects.values_list("lat", "long")) == {(31.21, 121.47)}


@pytest.mark.parametrize(("lat", "long", "named"), [("31.2", "", "long"), ("", "121.4", "lat"), ("99", "121.4", "lat")])
def test_a_bad_point_is_refused_naming_the_field_and_nothing_is_written(client, zone, category, lat, long, named):
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))

    response = client.post(
        f"/households/{household.pk}/visits/new/", visit_post(household, lat=lat, long=long, **two_matters(category))
    )

    assert response.status_code == 400
    assert f'<p class="error" role="alert" data-field="{named}">' in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_desk_service_takes_a_point_too(zone, category):
    (ticket,) = desk_intake(
        actor=committee_staff(zone),
        channel="walk_in",
        reporter_name="王先生",
        zone=zone,
        address="瞿溪路 500 弄 3 号门口",
        matters=[DeskMatter(category=category, description="门口垃圾没人清运")],
        lat=31.2,
        long=121.4,
    )

    assert (ticket.lat, ticket.long) == (31.2, 121.4)

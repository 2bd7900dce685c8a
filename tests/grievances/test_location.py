"""Item 4: a matter's point — given (the phone, a partner), or its household's building's —
carried by the ticket, the API and Open311, refused out of range or half given."""

import uuid
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from api.services import partner_key_create
from core.errors import InvalidInput
from grievances.models import Building, Ticket
from responders.models import PartnerSystem
from tests.factories import BuildingFactory, HouseholdFactory, make_ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("lat", "long", "named"),
    [
        (31.2, None, "long"),
        (None, 121.4, "lat"),
        (91, 121.4, "lat"),
        (-90.5, 121.4, "lat"),
        (31.2, 180.01, "long"),
        (31.2, -181, "long"),
        ("north", 121.4, "lat"),
        (31.2, "nan", "long"),
    ],
)
def test_a_point_out_of_range_or_half_given_is_refused_naming_the_field(zone, lat, long, named):
    with pytest.raises(InvalidInput) as refused:
        make_ticket(zone=zone, lat=lat, long=long)

    assert refused.value.field == named
    assert not Ticket.objects.exists()


def test_a_given_point_is_kept_on_the_ticket(zone):
    ticket = make_ticket(zone=zone, lat="31.2059", long=121.489)

    ticket.refresh_from_db()
    assert (ticket.lat, ticket.long) == (31.2059, 121.489)


def test_a_household_ticket_takes_its_buildings_point_and_none_without_one(zone):
    placed = HouseholdFactory(zone=zone, building=BuildingFactory(zone=zone, lat=31.21, long=121.47))
    unplaced = HouseholdFactory(zone=zone, building=BuildingFactory(zone=zone))
    homeless = HouseholdFactory(zone=zone)

    assert (make_ticket(zone=None, household=placed).lat, make_ticket(zone=None, household=placed).long) == (
        31.21,
        121.47,
    )
    assert make_ticket(zone=None, household=unplaced).lat is None
    assert make_ticket(zone=None, household=homeless).long is None
    # The phone's point, when given, wins over the building's.
    phone = make_ticket(zone=None, household=placed, lat=31.3, long=121.5)
    assert (phone.lat, phone.long) == (31.3, 121.5)


def test_the_database_refuses_a_half_point_or_one_out_of_range(zone):
    building = BuildingFactory(zone=zone)
    for values in ({"lat": 31.2, "long": None}, {"lat": 95, "long": 121}, {"lat": 31, "long": 200}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Building.objects.filter(pk=building.pk).update(**values)


# --- the partner API ----------------------------------------------------------------------


@pytest.fixture
def api(zone):
    partner = PartnerSystem.objects.create(code="hotline12345", name="12345 市民服务热线")
    _, raw = partner_key_create(
        partner=partner, name="test", streets=[zone.committee.street], scopes=["tickets:read", "tickets:write"]
    )
    return Client(HTTP_AUTHORIZATION=f"Api-Key {raw}")


def api_post(client, zone, **fields):
    body = {"category": "environment", "description": "小区门口垃圾三天没人清运", "zone": zone.pk, **fields}
    return client.post(
        "/api/v1/tickets/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )


def test_the_api_takes_and_answers_lat_and_long(api, zone):
    created = api_post(api, zone, lat=31.2059, long=121.489)

    assert created.status_code == 201, created.content
    assert (created.json()["lat"], created.json()["long"]) == (31.2059, 121.489)
    detail = api.get(f"/api/v1/tickets/{created.json()['id']}/").json()
    listed = api.get("/api/v1/tickets/").json()["results"][0]
    assert (detail["lat"], detail["long"]) == (listed["lat"], listed["long"]) == (31.2059, 121.489)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"lat": 31.2}, "long"),
        ({"long": 121.4}, "lat"),
        ({"lat": 100, "long": 121.4}, "lat"),
        ({"lat": 31.2, "long": -200}, "long"),
        ({"lat": "31.2", "long": 121.4}, "lat"),
        ({"lat": True, "long": 121.4}, "lat"),
    ],
)
def test_the_api_refuses_a_bad_point_naming_the_field(api, zone, fields, named):
    response = api_post(api, zone, **fields)

    assert response.status_code == 400, response.content
    assert named in response.json()["error"]["fields"]
    assert not Ticket.objects.exists()


# --- Open311 ------------------------------------------------------------------------------


@pytest.fixture
def open311_key(zone):
    partner = PartnerSystem.objects.create(code="suishoupai", name="随手拍")
    _, raw = partner_key_create(
        partner=partner, name="open311", streets=[zone.committee.street], scopes=["tickets:read", "tickets:write"]
    )
    return raw


def open311_file(key, **fields):
    body = {
        "api_key": key,
        "service_code": "environment",
        "description": "小区门口垃圾三天没人清运",
        "address_string": "瞿溪路 500 弄 3 号门口",
        **fields,
    }
    return Client().post("/open311/v2/requests.json", urlencode(body), content_type="application/x-www-form-urlencoded")


def test_open311_lat_and_long_round_trip_in_json_and_xml(open311_key):
    filed = open311_file(open311_key, lat="31.2059", long="121.4890")

    assert filed.status_code == 200, filed.content
    reference = filed.json()[0]["service_request_id"]
    (request,) = Client().get(f"/open311/v2/requests/{reference}.json", {"api_key": open311_key}).json()
    assert (request["lat"], request["long"]) == (31.2059, 121.489)
    xml = Client().get(f"/open311/v2/requests/{reference}.xml", {"api_key": open311_key})
    element = ElementTree.fromstring(xml.content).find("request")
    assert (float(element.findtext("lat")), float(element.findtext("long"))) == (31.2059, 121.489)
    listed = Client().get("/open311/v2/requests.xml", {"api_key": open311_key})
    assert ElementTree.fromstring(listed.content).find("request").findtext("lat") == "31.2059"


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"lat": "31.2"}, "long"),
        ({"long": "121.4"}, "lat"),
        ({"lat": "91", "long": "121.4"}, "lat"),
        ({"lat": "31.2", "long": "east"}, "long"),
    ],
)
def test_open311_refuses_a_bad_point_naming_the_field(open311_key, fields, named):
    response = open311_file(open311_key, **fields)

    assert response.status_code == 400, response.content
    assert any(entry["description"].startswith(f"{named}:") for entry in response.json())
    assert not Ticket.objects.exists()

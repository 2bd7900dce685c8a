"""Open311 GeoReport v2 at /open311/v2/, as an existing civic-reporting client sees it."""

import datetime as dt
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.utils import timezone

from api import open311
from api.services import partner_key_create, partner_key_revoke
from escalation import transitions
from grievances.models import Category, Ticket
from responders.models import PartnerSystem
from tests.factories import StreetFactory, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
FORM = "application/x-www-form-urlencoded"
READ_WRITE = ("tickets:read", "tickets:write")


@pytest.fixture
def partner():
    return PartnerSystem.objects.create(code="suishoupai", name="随手拍")


@pytest.fixture
def key_for(partner):
    """The raw key of a new partner key on the given streets with the given scopes."""

    def make(*streets, scopes=READ_WRITE):
        _, raw = partner_key_create(partner=partner, name="open311", streets=list(streets), scopes=list(scopes))
        return raw

    return make


@pytest.fixture
def key(key_for, zone):
    return key_for(zone.committee.street)


def file_request(key, **fields):
    """POST requests.json form-encoded, as GeoReport clients do; a field given as None is left out."""
    body = {
        "api_key": key,
        "service_code": "environment",
        "description": "小区门口垃圾三天没人清运",
        "address_string": "瞿溪路 500 弄 3 号门口",
        **fields,
    }
    form = urlencode({name: value for name, value in body.items() if value is not None})
    return Client().post(f"{BASE}/requests.json", form, content_type="application/x-www-form-urlencoded")


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["service_request_id"] for item in response.json()]


def assert_errors(response, status, *words):
    """GeoReport's error list, with the HTTP status in each entry and the words in a description."""
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body, list) and body
    assert {entry["code"] for entry in body} == {status}
    descriptions = " ".join(entry["description"] for entry in body)
    for word in words:
        assert word in descriptions


def test_discovery_lists_the_georeport_endpoint():
    response = Client().get(f"{BASE}/discovery.json")

    assert response.status_code == 200
    (endpoint,) = response.json()["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["formats"] == ["text/xml", "application/json"]


def test_the_service_list_shows_our_active_categories_without_a_key():
    Category.objects.filter(code="other").update(active=False)

    services = Client().get(f"{BASE}/services.json").json()

    assert [service["service_code"] for service in services] == list(
        Category.objects.filter(active=True).values_list("code", flat=True)
    )
    environment = next(service for service in services if service["service_code"] == "environment")
    assert environment["service_name"] == "环境与卫生"
    assert (environment["metadata"], environment["type"]) == (False, "realtime")
    assert {"description", "keywords", "group"} <= set(environment)


def test_a_service_definition_has_no_extra_attributes_and_unknown_services_are_404():
    client = Client()

    assert client.get(f"{BASE}/services/environment.json").json() == {"service_code": "environment", "attributes": []}
    assert_errors(client.get(f"{BASE}/services/potholes.json"), 404, "potholes")


def test_a_client_files_a_request_and_follows_it_until_it_is_closed(key, zone):
    street = zone.committee.street

    response = file_request(key, first_name="芳", last_name="王", phone="13812345678", email="wf@example.com")

    assert response.status_code == 200, response.content
    (filed,) = response.json()
    assert filed["account_id"] is None and filed["service_notice"]
    ticket = Ticket.objects.get(reference=filed["service_request_id"])
    assert (ticket.channel, ticket.partner.code, ticket.street, ticket.tier) == (
        "partner",
        "suishoupai",
        street,
        "street",
    )
    assert (ticket.reporter_name, ticket.reporter_phone) == ("王芳", "13812345678")
    assert ticket.events.get().actor_label == "partner:suishoupai"

    follow = f"{BASE}/requests/{ticket.reference}.json"
    response = Client().get(follow, {"api_key": key})
    (request,) = response.json()
    assert request["status"] == "open"
    assert request["status_notes"] == "街道办理中"
    assert request["agency_responsible"] == street.name
    assert (request["service_code"], request["service_name"]) == ("environment", "环境与卫生")
    assert request["address"] == "瞿溪路 500 弄 3 号门口"
    assert request["requested_datetime"].endswith("+08:00") and request["expected_datetime"]
    assert (request["lat"], request["long"], request["address_id"], request["media_url"]) == (None, None, None, None)
    # Residents' personal data never leaves through Open311 (the body is plain UTF-8, not \u escapes).
    text = response.content.decode()
    assert "环境与卫生" in text
    assert "13812345678" not in text and "王芳" not in text

    ticket = transitions.ticket_resolve(ticket=ticket, actor="test", outcome="solved", reason="已安排保洁清运")
    transitions.ticket_record_feedback(ticket=ticket, actor="test", satisfaction="satisfied", collected_via="partner")

    (request,) = Client().get(follow, {"api_key": key}).json()
    assert request["status"] == "closed"
    assert request["status_notes"] == "已解决：已安排保洁清运"
    assert request["service_notice"] is None


@pytest.mark.parametrize(
    ("move", "status", "notes"),
    [
        (lambda ticket: ticket, "open", "责任区办理中"),
        (
            lambda ticket: transitions.ticket_escalate(ticket=ticket, actor="test", reason="责任区协调无果"),
            "open",
            "居委会办理中",
        ),
        (
            lambda ticket: transitions.ticket_cancel(ticket=ticket, actor="test", reason="withdrawn"),
            "closed",
            "居民已撤回",
        ),
        (
            lambda ticket: transitions.ticket_resolve(
                ticket=ticket, actor="test", outcome="explained", reason="属于业主自治事项"
            ),
            "closed",
            "未能办理，原因：属于业主自治事项",
        ),
    ],
)
def test_status_notes_say_where_a_request_stands(key, zone, move, status, notes):
    ticket = move(make_ticket(zone=zone))

    (request,) = Client().get(f"{BASE}/requests/{ticket.reference}.json", {"api_key": key}).json()

    assert (request["status"], request["status_notes"]) == (status, notes)
    assert request["agency_responsible"] == str(ticket.responsible_unit)


def test_a_json_body_works_too_and_the_key_may_ride_in_the_query_string(key):
    response = Client().post(
        f"{BASE}/requests.json?api_key={key}",
        {
            "service_code": "housing",
            "description": "楼道灯坏了",
            "address_string": "蒙自路 1 号",
            "lat": 31.2,
            "long": 121.5,
        },
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert Ticket.objects.get(reference=response.json()[0]["service_request_id"]).category.code == "housing"


def test_requests_filter_by_status_service_dates_and_ids_within_a_90_day_default_window(key, zone):
    now = timezone.now()
    fresh = make_ticket(zone=zone, category="environment")
    solved = transitions.ticket_resolve(
        ticket=make_ticket(zone=zone, category="housing"), actor="test", outcome="solved"
    )
    last_month = make_ticket(zone=zone, category="housing")
    old = make_ticket(zone=zone, category="environment")
    Ticket.objects.filter(pk=last_month.pk).update(created_at=now - dt.timedelta(days=30))
    Ticket.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(days=120))

    def get(**params):
        return ids(Client().get(f"{BASE}/requests.json", {"api_key": key, **params}))

    assert get() == [solved.reference, fresh.reference, last_month.reference]  # newest first, old is out
    assert get(status="open") == [fresh.reference, last_month.reference]
    assert get(status="closed") == [solved.reference]
    assert get(status="open,closed") == get()
    assert get(service_code="housing") == [solved.reference, last_month.reference]
    assert get(service_code="housing,environment", status="open") == [fresh.reference, last_month.reference]
    assert get(start_date=(now - dt.timedelta(days=200)).isoformat()) == get() + [old.reference]
    assert get(end_date=(now - dt.timedelta(days=20)).isoformat()) == [last_month.reference, old.reference]
    assert get(
        start_date=(now - dt.timedelta(days=40)).isoformat(), end_date=(now - dt.timedelta(days=20)).isoformat()
    ) == [last_month.reference]
    # Asking by id overrides every other argument, the default window included.
    assert sorted(get(service_request_id=f"{old.reference},{fresh.reference}", status="closed")) == sorted(
        [old.reference, fresh.reference]
    )


def test_a_list_holds_at_most_the_cap(key, zone, monkeypatch):
    for _ in range(3):
        make_ticket(zone=zone)
    monkeypatch.setattr(open311, "MAX_RESULTS", 2)

    assert len(ids(Client().get(f"{BASE}/requests.json", {"api_key": key}))) == 2


def test_bad_filters_are_400_naming_the_parameter(key):
    def get(**params):
        return Client().get(f"{BASE}/requests.json", {"api_key": key, **params})

    assert_errors(get(status="pending"), 400, "status")
    assert_errors(get(service_code="potholes"), 400, "service_code", "potholes")
    assert_errors(get(start_date="last tuesday"), 400, "start_date")
    assert_errors(get(start_date="2026-05-02T00:00:00+08:00", end_date="2026-05-01T00:00:00+08:00"), 400, "end_date")


def test_a_key_for_one_street_sees_nothing_of_another(key_for, zone):
    other = make_ticket(zone=staffed_zone())
    mine = make_ticket(zone=zone)
    key = key_for(zone.committee.street)

    assert_errors(Client().get(f"{BASE}/requests/{other.reference}.json", {"api_key": key}), 404, other.reference)
    assert ids(Client().get(f"{BASE}/requests.json", {"api_key": key})) == [mine.reference]
    listed = Client().get(f"{BASE}/requests.json", {"api_key": key, "service_request_id": other.reference})
    assert ids(listed) == []


def test_a_bad_or_revoked_key_is_403_and_filing_needs_a_key_in_the_error_list_format(key, partner, zone):
    """Reading without a key is the public view (tests/api/test_open311_public.py); a key that
    is given must be good, and filing always needs one."""
    old, revoked = partner_key_create(partner=partner, name="old", streets=[zone.committee.street], scopes=READ_WRITE)
    partner_key_revoke(key=old)

    assert_errors(Client().get(f"{BASE}/requests.json", {"api_key": key + "x"}), 403)
    assert_errors(Client().get(f"{BASE}/requests.json", {"api_key": "zt_nothing.at-all"}), 403)
    assert_errors(Client().get(f"{BASE}/requests.json", {"api_key": revoked}), 403)
    assert_errors(file_request(None), 403, "api_key")
    assert not Ticket.objects.exists()


def test_each_method_needs_its_scope(key_for, zone):
    street = zone.committee.street
    reader, writer = key_for(street, scopes=["tickets:read"]), key_for(street, scopes=["tickets:write"])

    assert_errors(file_request(reader), 403, "权限范围")
    assert_errors(Client().get(f"{BASE}/requests.json", {"api_key": writer}), 403, "权限范围")
    assert file_request(writer).status_code == 200


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"service_code": None}, "service_code"),
        ({"service_code": "potholes"}, "service_code"),
        ({"description": None}, "description"),
        ({"description": "   "}, "description"),
        ({"address_string": None}, "address_string"),
        ({"phone": "call me maybe"}, "phone"),
    ],
)
def test_a_request_missing_or_with_a_bad_field_is_400_naming_it(key, fields, named):
    assert_errors(file_request(key, **fields), 400, named)
    assert not Ticket.objects.exists()


def test_coordinates_alone_are_refused_asking_for_an_address(key):
    response = file_request(key, address_string=None, lat="31.2059", long="121.4890")

    assert_errors(response, 400, "address_string")
    assert not Ticket.objects.exists()


def test_a_key_for_several_streets_names_the_street_by_code(key_for, zone):
    street = zone.committee.street
    key = key_for(street, StreetFactory())

    assert_errors(file_request(key), 400, "street")
    assert_errors(file_request(key, street="NOPE"), 400, "street")
    response = file_request(key, street=street.code)
    assert response.status_code == 200, response.content
    assert Ticket.objects.get().street == street


def test_a_street_with_nobody_to_own_the_request_is_409_not_a_half_written_ticket(key_for):
    street = StreetFactory()

    response = file_request(key_for(street))

    assert_errors(response, 409, street.name)
    assert not Ticket.objects.exists()


def test_anything_else_under_the_prefix_is_404_in_the_error_list_format(key):
    assert_errors(Client().post(f"{BASE}/tokens/abc.json"), 404, "discovery.xml")
    for path in ("tokens/abc.xml", "requests.csv"):
        unknown = xml(Client().get(f"{BASE}/{path}", {"api_key": key}), 404)
        assert (unknown.tag, unknown.find("error/code").text) == ("errors", "404")
    missing = xml(Client().get(f"{BASE}/services/potholes.xml"), 404)
    assert "potholes" in missing.find("error/description").text


def xml(response, status=200) -> ElementTree.Element:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(response.content)


def test_an_xml_client_files_a_request_and_follows_it_until_it_is_closed(key, zone):
    """GeoReport's required format, the one clients such as FixMyStreet speak by default."""
    client = Client()
    discovery = xml(client.get(f"{BASE}/discovery.xml"))
    services = xml(client.get(f"{BASE}/services.xml"))
    definition = xml(client.get(f"{BASE}/services/environment.xml"))
    form = {
        "api_key": key,
        "service_code": "environment",
        "description": "垃圾没人清运",
        "address_string": "瞿溪路 8 号",
    }

    filed = xml(client.post(f"{BASE}/requests.xml", urlencode(form), "application/x-www-form-urlencoded"))
    reference = filed.find("request/service_request_id").text
    transitions.ticket_resolve(ticket=Ticket.objects.get(reference=reference), actor="test", outcome="solved")
    followed = xml(client.get(f"{BASE}/requests/{reference}.xml", {"api_key": key}))
    listed = xml(client.get(f"{BASE}/requests.xml", {"api_key": key, "status": "closed"}))
    refused = xml(client.post(f"{BASE}/requests.xml", urlencode({**form, "description": ""}), FORM), 400)

    assert [f.text for f in discovery.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]
    assert services.tag == "services" and "environment" in [s.text for s in services.findall("service/service_code")]
    assert services.find("service/metadata").text == "false"
    assert (definition.tag, definition.find("service_code").text) == ("service_definition", "environment")
    assert filed.tag == "service_requests" and filed.find("request/service_notice").text
    assert filed.find("request/account_id").text is None
    assert (followed.find("request/status").text, followed.find("request/status_notes").text) == ("closed", "已解决")
    assert followed.find("request/media_url").text is None
    assert [r.text for r in listed.findall("request/service_request_id")] == [reference]
    assert (refused.tag, refused.find("error/code").text) == ("errors", "400")
    assert refused.find("error/description").text.startswith("description:")


def test_the_partner_api_schema_does_not_describe_open311():
    paths = Client().get("/api/v1/schema/", {"format": "json"}).json()["paths"]

    assert paths and not [path for path in paths if path.startswith("/open311/")]

"""Malformed addresses and parameters get a 4xx (or the page as if they were absent), never a
server error: digits int() refuses ('²'), NUL characters PostgreSQL cannot hold, dates at
the ends of the calendar."""

import pytest
from django.test import Client

from api.services import partner_key_create
from escalation import transitions
from responders.models import PartnerSystem, User
from tests.factories import make_ticket, staffed_zone, tabled_at_opinion_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    zone = staffed_zone()
    staff = User.objects.get(street=zone.committee.street, role="street_staff")
    ticket = transitions.ticket_acknowledge(ticket=make_ticket(zone=zone), actor="test")
    meeting, item = tabled_at_opinion_day(ticket, by=staff)
    partner = PartnerSystem.objects.create(code="hotline12345", name="热线")
    _key, raw = partner_key_create(partner=partner, name="t", streets=[zone.committee.street], scopes=["tickets:read"])
    return {"zone": zone, "staff": staff, "ticket": ticket, "meeting": meeting, "item": item, "key": raw}


PAGES = [
    ("get", "/zone/?zone=²", {}),
    ("get", "/queue/?committee=²", {}),
    ("get", "/queue/?category=²", {}),
    ("get", "/meetings/?unit=zone:²", {}),
    ("get", "/meetings/?month=0001-01", {}),
    ("get", "/meetings/?month=9999-12", {}),
    ("post", "/queue/bulk/", {"action": "acknowledge", "tickets": "²"}),
    ("post", "/tickets/{ticket}/actions/start/", {"version": "²"}),
    ("post", "/meetings/{meeting}/add_ticket/", {"ticket": "²"}),
    ("post", "/meetings/{meeting}/decide/", {"item": "²"}),
    ("post", "/meetings/{meeting}/risk/", {"item": "²"}),
    ("get", "/queue/?q=%00", {}),
    ("get", "/zone/?q=%00", {}),
]


@pytest.mark.parametrize(("method", "url", "data"), PAGES)
def test_the_screens_answer_bad_parameters_without_a_server_error(world, method, url, data):
    client = Client(raise_request_exception=False)
    client.force_login(world["staff"])

    response = getattr(client, method)(url.format(ticket=world["ticket"].pk, meeting=world["meeting"].pk), data)

    assert response.status_code < 500, response.content[:300]


API = [
    ("/api/v1/tickets/?page_size=²", 400),
    ("/api/v1/tickets/?category=%00", 400),
    ("/open311/v2/services/%00.json", 400),
    ("/open311/v2/requests/%00.xml?api_key={key}", 400),
    ("/open311/v2/requests.json?api_key=%00", 400),
    ("/open311/v2/requests.json?api_key={key}&service_request_id=%00", 400),
    ("/open311/v2/requests.json?api_key={key}&service_code=%00", 400),
    ("/open311/v2/requests.json?api_key={key}&end_date=0001-01-01T00:00:00", 400),
]


@pytest.mark.parametrize(("url", "status"), API)
def test_the_apis_answer_bad_parameters_with_a_4xx(world, url, status):
    key = world["key"]
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}", raise_request_exception=False)

    response = client.get(url.format(key=key))

    assert response.status_code == status, response.content[:300]


def test_a_missing_or_unseen_page_and_a_bad_address_say_so_in_the_screens_language(world):
    client = Client(raise_request_exception=False)
    client.force_login(world["staff"])

    missing = client.get("/tickets/999999999/")
    bad = client.get("/queue/", {"q": "\x00"})

    assert missing.status_code == 404 and "未找到" in missing.content.decode()
    assert 'href="/queue/"' in missing.content.decode()  # the navigation is there to go on from
    assert bad.status_code == 400 and "请求有误" in bad.content.decode()

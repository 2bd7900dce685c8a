"""Open311 without a key: the public view (grievances.public), as a client that follows the
GeoReport v2 spec reads it — `georeport` from PyPI, which never sends a key to read."""

import pytest
from django.core.cache import cache
from django.test import Client
from georeport import GeoReport

from api.services import partner_key_create
from api.throttling import AddressThrottle
from escalation import transitions
from grievances.models import Category
from grievances.public import public_tickets, redact
from responders.models import PartnerSystem, User
from tests.factories import BuildingFactory, HouseholdFactory, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
REPORTER = ("李建国", "13912345678")


def _tickets(zone):
    """A public matter with the reporter's name and phone written into it, a private one, and a
    household's public matter."""
    public = make_ticket(
        zone=zone,
        category="environment",
        address="瞿溪路 500 弄门口",
        description="李建国反映垃圾三天没清运，电话 139-1234-5678",
        reporter_name=REPORTER[0],
        reporter_phone=REPORTER[1],
    )
    private = make_ticket(
        zone=zone,
        category="neighbour_dispute",
        address="瞿溪路 500 弄 3 号 502 室",
        description="楼上漏水，与邻居协商不成",
        reporter_name=REPORTER[0],
        reporter_phone=REPORTER[1],
    )
    building = BuildingFactory(zone=zone, name="瞿溪路 600 弄 2 号")
    household = HouseholdFactory(zone=zone, building=building, address="瞿溪路 600 弄 2 号 301 室", contact_name="王芳")
    from_home = make_ticket(
        zone=zone, household=household, category="public_facilities", description="王芳家楼道灯坏了"
    )
    return public, private, from_home


def _leaks(text: str) -> list[str]:
    return [word for word in (*REPORTER, "13812345678", "王芳", "502 室", "301 室", "楼上漏水") if word in text]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_a_spec_following_client_reads_without_a_key_and_sees_only_the_public_view(live_server, output_format):
    # given: tickets in two streets, one of them private by its category
    cache.clear()
    public, private, from_home = _tickets(staffed_zone())
    elsewhere = make_ticket(category="policy", description="咨询养老金政策")
    client = GeoReport(f"{live_server.url}{BASE}", output_format=output_format)

    # when: the client lists and follows requests, with no key at all
    listed = client.get_service_requests()
    followed = {ref: client.get_service_request(ref) for ref in (public.reference, private.reference)}

    # then: every street's requests, in the public view
    by_id = {request["service_request_id"]: request for request in listed}
    assert set(by_id) == {public.reference, private.reference, from_home.reference, elsewhere.reference}
    shown = by_id[public.reference]
    assert (shown["service_code"], shown["service_name"], shown["status"]) == ("environment", "环境与卫生", "open")
    assert shown["status_notes"] == "责任区办理中"
    assert shown["agency_responsible"] == public.zone.name
    assert shown["requested_datetime"].endswith("+08:00") and shown["updated_datetime"]
    # a public category's description and address, the names and phones written into it starred out
    assert shown["description"] == "**反映垃圾三天没清运，电话 ***"
    assert shown["address"] == "瞿溪路 500 弄门口"
    assert followed[public.reference]["description"] == shown["description"]
    # a household's matter: its building, not the flat
    assert by_id[from_home.reference]["address"] == "瞿溪路 600 弄 2 号"
    assert by_id[from_home.reference]["description"] == "**家楼道灯坏了"
    # a private category: neither description nor address
    for hidden in (by_id[private.reference], followed[private.reference]):
        assert hidden["service_code"] == "neighbour_dispute"
        assert not hidden.get("description") and not hidden.get("address")
        assert not hidden.get("lat") and not hidden.get("long")
    raw = Client().get(f"{BASE}/requests.{output_format}").content.decode()
    assert _leaks(raw) == []
    assert "media_url" in raw  # the field is there, empty: photos are not public


def test_with_a_key_the_scoped_view_is_unchanged(zone):
    public, private, _ = _tickets(zone)
    partner = PartnerSystem.objects.create(code="app", name="app")
    _, key = partner_key_create(partner=partner, name="k", streets=[zone.committee.street], scopes=["tickets:read"])

    (keyed,) = Client().get(f"{BASE}/requests/{private.reference}.json", {"api_key": key}).json()
    (anonymous,) = Client().get(f"{BASE}/requests/{private.reference}.json").json()

    assert keyed["description"] == "楼上漏水，与邻居协商不成" and keyed["address"] == "瞿溪路 500 弄 3 号 502 室"
    assert keyed["expected_datetime"] and keyed["service_notice"]
    assert anonymous["description"] is None and anonymous["address"] is None
    # a key's street ends at its streets; without a key, every street's
    other = make_ticket(category="policy")
    assert Client().get(f"{BASE}/requests/{other.reference}.json", {"api_key": key}).status_code == 404
    assert Client().get(f"{BASE}/requests/{other.reference}.json").status_code == 200


def test_a_street_decides_which_categories_are_public(zone):
    ticket = make_ticket(zone=zone, category="environment", description="井盖松动")
    Category.objects.filter(code="environment").update(public=False)
    (hidden,) = Client().get(f"{BASE}/requests/{ticket.reference}.json").json()
    assert hidden["description"] is None

    Category.objects.filter(code="environment").update(public=True)
    (shown,) = Client().get(f"{BASE}/requests/{ticket.reference}.json").json()
    assert shown["description"] == "井盖松动"


def test_the_migration_seeds_personal_matters_private():
    private = set(Category.objects.filter(public=False).values_list("code", flat=True))
    # And service applications at the window (residence papers, assistance: a person's own).
    expected = {"neighbour_dispute", "social_assistance", "elderly_disability", "health", "legal_aid", "service"}
    assert private == expected


def test_the_status_notes_of_a_resolved_ticket_star_out_names_and_phones(zone):
    ticket = make_ticket(zone=zone, reporter_name="李建国", reporter_phone="13912345678")
    ticket = transitions.ticket_resolve(
        ticket=ticket, actor="test", outcome="explained", reason="已电话告知李建国（13912345678），产权不清"
    )
    (shown,) = Client().get(f"{BASE}/requests/{ticket.reference}.json").json()
    assert shown["status"] == "closed"
    assert shown["status_notes"] == "未能办理，原因：已电话告知**（***），产权不清"


def test_redact_stars_phone_numbers_in_their_usual_shapes():
    for text in ("13812345678", "138 1234 5678", "+86 138-1234-5678", "021-63012345", "63012345"):
        assert redact(f"电话{text}。") == "电话***。", text
    assert redact("3 号楼 502 室，2026 年") == "3 号楼 502 室，2026 年"


def test_reading_without_a_key_is_throttled_per_address(zone, monkeypatch):
    cache.clear()
    monkeypatch.setattr(AddressThrottle, "THROTTLE_RATES", {"public": "3/min"})
    partner = PartnerSystem.objects.create(code="app", name="app")
    _, key = partner_key_create(partner=partner, name="k", streets=[zone.committee.street], scopes=["tickets:read"])
    here, there = Client(REMOTE_ADDR="203.0.113.5"), Client(REMOTE_ADDR="203.0.113.6")

    answers = [here.get(f"{BASE}/requests.json").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    refused = here.get(f"{BASE}/requests.xml")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert b"<errors><error><code>429</code>" in refused.content
    assert there.get(f"{BASE}/requests.json").status_code == 200  # another address
    assert here.get(f"{BASE}/requests.json", {"api_key": key}).status_code == 200  # the key's own throttle
    cache.clear()


def test_the_public_list_is_one_query_however_many_tickets(zone, django_assert_num_queries):
    cache.clear()
    for _ in range(3):
        _tickets(staffed_zone())
    with django_assert_num_queries(1):
        response = Client().get(f"{BASE}/requests.json")
    assert len(response.json()) == 9
    reference = public_tickets().first().reference
    with django_assert_num_queries(1):
        assert Client().get(f"{BASE}/requests/{reference}.xml").status_code == 200


def test_the_public_view_reads_no_name_or_phone_column():
    sql = str(public_tickets().query)
    assert "reporter_phone" not in sql and '"phone"' not in sql


def test_an_administrator_marks_a_category_public_in_the_admin(client):
    admin = User.objects.create_superuser("root", password="pw-for-tests")
    client.force_login(admin)
    category = Category.objects.get(code="legal_aid")
    listing = client.get("/admin/grievances/category/").content.decode()
    assert 'name="form-0-public"' in listing or "form-" in listing

    page = client.post(
        f"/admin/grievances/category/{category.pk}/change/",
        {
            "code": category.code,
            "name": category.name,
            "name_en": category.name_en,
            "active": "on",
            "position": category.position,
            "public": "on",
            "duplicate_window_days": category.duplicate_window_days,
        },
    )

    assert page.status_code == 302
    assert Category.objects.get(pk=category.pk).public is True

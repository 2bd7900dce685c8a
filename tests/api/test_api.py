"""The partner API's contract (DESIGN.md), as a partner developer would exercise it."""

import datetime as dt
import uuid

import pytest
from django.test import Client

from api.models import IdempotencyRecord
from escalation import transitions
from grievances.models import Ticket
from tests.factories import DepartmentFactory, HouseholdFactory, StreetFactory, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db


def post(client, path, body, key=None, **headers):
    if key is not False:
        headers["HTTP_IDEMPOTENCY_KEY"] = key or str(uuid.uuid4())
    return client.post(path, body, content_type="application/json", **headers)


def new_ticket_body(place, **overrides):
    return {
        "category": "environment",
        "description": "小区门口垃圾三天没人清运",
        "zone": place.pk,
        "reporter": {"name": "王先生", "phone": "13812345678"},
        "external_id": "12345-0001",
        **overrides,
    }


def test_a_partner_files_a_ticket_and_gets_the_contract_fields(api_client, zone):
    client = api_client(zone.committee.street)

    response = post(client, "/api/v1/tickets/", new_ticket_body(zone))

    assert response.status_code == 201
    body = response.json()
    assert {
        "id",
        "reference",
        "status",
        "tier",
        "category",
        "urgency",
        "zone",
        "committee",
        "street",
        "owner",
        "respond_by",
        "resolve_by",
        "created_at",
        "updated_at",
        "external_id",
        "lat",
        "long",
    } <= set(body)
    assert (body["status"], body["tier"], body["zone"], body["external_id"]) == ("new", "zone", zone.pk, "12345-0001")
    assert (body["lat"], body["long"]) == (None, None)
    ticket = Ticket.objects.get(pk=body["id"])
    assert ticket.channel == "partner" and ticket.partner.code == "hotline12345"
    assert ticket.events.get().actor_label == "partner:hotline12345"


def test_phone_numbers_are_masked_without_pii_read(api_client, zone):
    plain = api_client(zone.committee.street)
    trusted = api_client(zone.committee.street, scopes=("tickets:read", "tickets:write", "pii:read"))
    created = post(plain, "/api/v1/tickets/", new_ticket_body(zone)).json()

    assert created["reporter"]["phone"] == "138****5678"
    assert plain.get(f"/api/v1/tickets/{created['id']}/").json()["reporter"]["phone"] == "138****5678"
    assert trusted.get(f"/api/v1/tickets/{created['id']}/").json()["reporter"]["phone"] == "13812345678"


def test_the_same_idempotency_key_replays_the_first_response(api_client, zone):
    client = api_client(zone.committee.street)
    body = new_ticket_body(zone)

    first = post(client, "/api/v1/tickets/", body, key="order-42")
    again = post(client, "/api/v1/tickets/", body, key="order-42")
    other_body = post(client, "/api/v1/tickets/", {**body, "description": "别的事"}, key="order-42")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1
    assert other_body.status_code == 422
    assert other_body.json()["error"]["code"] == "idempotency_mismatch"


def test_partners_must_send_an_idempotency_key(api_client, zone):
    response = post(api_client(zone.committee.street), "/api/v1/tickets/", new_ticket_body(zone), key=False)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "nonsense"}, "category"),
        ({"description": ""}, "description"),
        ({"description": "字" * 4001}, "description"),
        ({"urgency": "whenever"}, "urgency"),
        ({"zone": None, "address": ""}, "address"),
        ({"zone": 999999}, "zone"),
        ({"reporter": {"phone": "call me maybe"}}, "reporter.phone"),
        ({"description": 12}, None),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, zone, overrides, field):
    response = post(api_client(zone.committee.street), "/api/v1/tickets/", new_ticket_body(zone, **overrides))

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    if field:
        assert field in error["fields"], error
    assert not Ticket.objects.exists()


def test_places_that_contradict_each_other_are_a_400_naming_the_field(api_client, zone):
    from tests.factories import CommitteeFactory, ZoneFactory

    client = api_client(zone.committee.street)
    neighbour = ZoneFactory(committee=CommitteeFactory(street=zone.committee.street))
    household = HouseholdFactory(zone=zone)

    wrong_zone = post(client, "/api/v1/tickets/", new_ticket_body(neighbour, household=household.pk))
    wrong_committee = post(client, "/api/v1/tickets/", new_ticket_body(zone, committee=neighbour.committee_id))

    assert wrong_zone.status_code == 400 and "zone" in wrong_zone.json()["error"]["fields"]
    assert wrong_committee.status_code == 400 and "committee" in wrong_committee.json()["error"]["fields"]
    assert not Ticket.objects.exists()


def test_a_key_for_one_street_sees_nothing_of_another(api_client, zone):
    elsewhere = staffed_zone()
    theirs = make_ticket(zone=elsewhere)
    mine = make_ticket(zone=zone)
    client = api_client(zone.committee.street)

    listed = [row["id"] for row in client.get("/api/v1/tickets/").json()["results"]]
    org = client.get("/api/v1/org/").json()

    assert listed == [mine.pk]
    assert client.get(f"/api/v1/tickets/{theirs.pk}/").status_code == 404
    assert post(client, f"/api/v1/tickets/{theirs.pk}/actions/acknowledge/", {}).status_code == 404
    assert post(client, f"/api/v1/tickets/{theirs.pk}/feedback/", {"satisfaction": "satisfied"}).status_code == 404
    assert post(client, "/api/v1/tickets/", new_ticket_body(elsewhere)).status_code == 400
    assert [street["id"] for street in org] == [zone.committee.street_id]


def test_list_filters_and_cursor_pagination(api_client, zone):
    client = api_client(zone.committee.street)
    tickets = [make_ticket(zone=zone) for _ in range(5)]
    transitions.ticket_escalate(ticket=tickets[0], actor="test", reason="上报")

    page = client.get("/api/v1/tickets/", {"page_size": 2}).json()
    second = client.get(page["next"]).json()
    committee = client.get("/api/v1/tickets/", {"tier": "committee"}).json()["results"]
    too_big = client.get("/api/v1/tickets/", {"page_size": 101})

    assert len(page["results"]) == 2 and len(second["results"]) == 2
    assert not {r["id"] for r in page["results"]} & {r["id"] for r in second["results"]}
    assert [r["id"] for r in committee] == [tickets[0].pk]
    assert too_big.status_code == 400 and "page_size" in too_big.json()["error"]["fields"]
    assert client.get("/api/v1/tickets/", {"status": "nonsense"}).status_code == 400


def test_detail_has_the_timeline_and_feedback(api_client, zone):
    client = api_client(zone.committee.street)
    ticket = transitions.ticket_resolve(ticket=make_ticket(zone=zone), actor="test", outcome="solved")
    post(client, f"/api/v1/tickets/{ticket.pk}/feedback/", {"satisfaction": "satisfied", "comment": "好"})

    body = client.get(f"/api/v1/tickets/{ticket.pk}/").json()

    assert [e["kind"] for e in body["events"]] == ["created", "resolved", "feedback", "closed"]
    assert body["feedback"][0]["satisfaction"] == "satisfied" and body["status"] == "closed"


def test_actions_follow_the_state_machine_and_an_illegal_move_is_409(api_client, zone):
    client = api_client(zone.committee.street)
    ticket = make_ticket(zone=zone)

    acknowledged = post(client, f"/api/v1/tickets/{ticket.pk}/actions/acknowledge/", {})
    again = post(client, f"/api/v1/tickets/{ticket.pk}/actions/acknowledge/", {})
    missing = post(client, f"/api/v1/tickets/{ticket.pk}/actions/escalate/", {})
    unknown = post(client, f"/api/v1/tickets/{ticket.pk}/actions/teleport/", {})

    assert acknowledged.status_code == 200 and acknowledged.json()["status"] == "acknowledged"
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"
    assert missing.status_code == 400 and "reason" in missing.json()["error"]["fields"]
    assert unknown.status_code == 400


def test_scopes_are_enforced(api_client, zone):
    reader = api_client(zone.committee.street, scopes=("tickets:read",))

    response = post(reader, "/api/v1/tickets/", new_ticket_body(zone))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_authentication_errors(zone):
    anonymous = Client().get("/api/v1/tickets/")
    wrong = Client(HTTP_AUTHORIZATION="Api-Key zt_00000000.nope").get("/api/v1/tickets/")

    assert anonymous.status_code == 401 and wrong.status_code == 401
    assert (
        wrong.json()["error"]["code"] == "not_authenticated" or wrong.json()["error"]["code"] == "authentication_failed"
    )


def test_a_revoked_key_is_refused(api_client, zone, hotline):
    from api.models import PartnerKey
    from api.services import partner_key_revoke

    client = api_client(zone.committee.street)
    partner_key_revoke(key=PartnerKey.objects.get())

    assert client.get("/api/v1/tickets/").status_code == 401


@pytest.mark.parametrize(
    ("request_kwargs", "status", "code"),
    [
        ({"path": "/api/v1/tickets/", "data": "{not json", "content_type": "application/json"}, 400, "invalid"),
        (
            {"path": "/api/v1/tickets/", "data": "a=b", "content_type": "application/x-www-form-urlencoded"},
            415,
            "unsupported_media_type",
        ),
        ({"path": "/api/v1/nowhere/", "data": "{}", "content_type": "application/json"}, 404, "not_found"),
    ],
)
def test_every_failure_uses_the_error_envelope(api_client, zone, request_kwargs, status, code):
    response = api_client(zone.committee.street).post(**request_kwargs, HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_method_not_allowed_and_body_too_large(api_client, zone, settings):
    client = api_client(zone.committee.street)
    settings.API_MAX_BODY_BYTES = 1000
    settings.API_MAX_PHOTO_BODY_BYTES = 1000  # a new ticket's body may carry photos: its own limit

    wrong_method = client.delete("/api/v1/tickets/")
    too_large = post(client, "/api/v1/tickets/", new_ticket_body(zone, description="字" * 600))

    assert wrong_method.status_code == 405 and wrong_method.json()["error"]["code"] == "method_not_allowed"
    assert too_large.status_code == 413 and too_large.json()["error"]["code"] == "too_large"


def test_throttling_answers_429_per_key(api_client, zone, settings):
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"partner": "3/min"}}
    from rest_framework.settings import api_settings

    api_settings.reload()
    from api.throttling import PartnerKeyThrottle

    PartnerKeyThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    client, other = api_client(zone.committee.street), api_client(zone.committee.street)
    try:
        statuses = [client.get("/api/v1/categories/").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert client.get("/api/v1/categories/").json()["error"]["code"] == "throttled"
        assert other.get("/api/v1/categories/").status_code == 200
    finally:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"partner": "1200/min"}}
        api_settings.reload()
        PartnerKeyThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        cache.clear()


def test_reference_lists(api_client, zone):
    client = api_client(zone.committee.street)

    categories = client.get("/api/v1/categories/").json()
    departments = client.get("/api/v1/departments/").json()

    assert {
        "code": "environment",
        "name": "环境与卫生",
        "name_en": "Environment and sanitation",
        "active": True,
    } in categories
    assert departments == []


def test_a_partner_discovers_every_department_it_may_refer_to_and_no_other(api_client, zone):
    # given a department stationed in the key's street, a district-wide one, and another street's
    street = zone.committee.street
    stationed = DepartmentFactory(district=street.district, street=street, name="五里桥派出所")
    district_wide = DepartmentFactory(district=street.district, street=None, name="区房管局")
    elsewhere = DepartmentFactory(district=street.district, street=StreetFactory(district=street.district))
    client = api_client(street)

    # when the partner lists the departments
    listed = {each["name"] for each in client.get("/api/v1/departments/").json()}

    # then it sees the two that serve its street, and referring to the district-wide one works
    assert listed == {stationed.name, district_wide.name}
    assert elsewhere.name not in listed
    ticket = post(client, "/api/v1/tickets/", new_ticket_body(zone)).json()
    post(client, f"/api/v1/tickets/{ticket['id']}/actions/acknowledge/", {})
    referred = post(client, f"/api/v1/tickets/{ticket['id']}/actions/refer/", {"department": district_wide.pk})
    assert referred.status_code == 200 and referred.json()["status"] == "referred"


def test_a_household_ticket_and_an_address_in_a_one_street_key(api_client, zone):
    client = api_client(zone.committee.street)
    household = HouseholdFactory(zone=zone)

    from_household = post(client, "/api/v1/tickets/", new_ticket_body(zone, zone=None, household=household.pk))
    from_address = post(
        client, "/api/v1/tickets/", new_ticket_body(zone, zone=None, address="某路 1 号门口", external_id="12345-0002")
    )

    assert from_household.json()["zone"] == zone.pk and from_household.json()["household"] == household.pk
    assert from_address.json()["tier"] == "street" and from_address.json()["street"] == zone.committee.street_id


def test_staff_use_the_api_with_their_session(client, zone):
    from responders.models import User

    member = User.objects.get(memberships__team__zone=zone)
    ticket = make_ticket(zone=zone)
    client.force_login(member)

    listed = client.get("/api/v1/tickets/").json()["results"]
    acted = client.post(f"/api/v1/tickets/{ticket.pk}/actions/acknowledge/", {}, content_type="application/json")

    assert [row["id"] for row in listed] == [ticket.pk]
    assert acted.status_code == 200


def test_staff_record_feedback_only_where_their_role_lets_them(client, zone):
    from responders.models import User
    from tests.factories import UserFactory, department_for

    ticket = make_ticket(zone=zone)
    department = department_for(ticket)
    ticket = transitions.ticket_acknowledge(ticket=ticket, actor="test")
    ticket = transitions.ticket_refer(ticket=ticket, actor="test", departments=[department])
    ticket = transitions.ticket_department_reply(ticket=ticket, actor="test", answer="已处理")
    ticket = transitions.ticket_resolve(ticket=ticket, actor="test", outcome="solved")
    client.force_login(UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department))

    response = post(client, f"/api/v1/tickets/{ticket.pk}/feedback/", {"satisfaction": "dissatisfied"})

    ticket.refresh_from_db()
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert ticket.status == "resolved" and not ticket.feedback.exists()


def test_idempotency_records_are_per_key(api_client, zone):
    first, second = api_client(zone.committee.street), api_client(zone.committee.street)
    body = new_ticket_body(zone, external_id="")

    post(first, "/api/v1/tickets/", body, key="same")
    post(second, "/api/v1/tickets/", body, key="same")

    assert Ticket.objects.count() == 2 and IdempotencyRecord.objects.count() == 2


def test_idempotency_keys_are_remembered_for_the_keep_days_then_forgotten(api_client, zone, settings):
    from django.utils import timezone

    from retention.services import history_prune

    settings.ZHITONG_IDEMPOTENCY_KEEP_DAYS = 2
    client = api_client(zone.committee.street)
    body = new_ticket_body(zone, external_id="")
    first = post(client, "/api/v1/tickets/", body, key="old")
    post(client, "/api/v1/tickets/", body, key="recent")
    IdempotencyRecord.objects.filter(idempotency_key="old").update(
        created_at=timezone.now() - dt.timedelta(days=2, minutes=1)
    )
    IdempotencyRecord.objects.filter(idempotency_key="recent").update(
        created_at=timezone.now() - dt.timedelta(days=1, hours=23)
    )

    assert history_prune(kinds=("idempotency",)) == {"idempotency": 1}
    replay = post(client, "/api/v1/tickets/", body, key="recent")
    again = post(client, "/api/v1/tickets/", body, key="old")

    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]  # forgotten: a new request
    assert Ticket.objects.count() == 3


def test_the_schema_and_docs_are_served(client):
    schema = client.get("/api/v1/schema/")
    docs = client.get("/api/v1/docs/")

    assert schema.status_code == 200 and b"/api/v1/tickets/" in schema.content
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


def test_an_external_id_used_twice_is_a_conflict_naming_the_first_ticket(api_client, zone):
    client = api_client(zone.committee.street)
    first = post(client, "/api/v1/tickets/", new_ticket_body(zone)).json()

    again = post(client, "/api/v1/tickets/", new_ticket_body(zone, description="同一件事又报了一次"))

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "duplicate_external_id"
    assert first["reference"] in again.json()["error"]["message"]


def test_a_key_changed_after_use_takes_effect_on_the_next_request(api_client, zone, hotline):
    """Resolved keys are cached in Redis; revoking a key, taking a street from it or
    deactivating its partner still counts from the very next request."""
    from api.models import PartnerKey
    from api.services import partner_key_revoke
    from tests.factories import staffed_zone

    other = staffed_zone()
    client = api_client(zone.committee.street, other.committee.street)
    ticket = make_ticket(zone=other)
    assert client.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200  # the key is now cached

    PartnerKey.objects.get().streets.remove(other.committee.street)
    assert client.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404

    hotline.active = False
    hotline.save()
    assert client.get("/api/v1/tickets/").status_code == 401
    hotline.active = True
    hotline.save()
    assert client.get("/api/v1/tickets/").status_code == 200

    partner_key_revoke(key=PartnerKey.objects.get())
    assert client.get("/api/v1/tickets/").status_code == 401


def test_a_zone_nobody_can_own_is_409_with_nothing_written_and_a_retry_works_once_staffed(api_client):
    """ticket_open takes no savepoint of its own inside the idempotency record's transaction:
    its error must still undo everything, the record included, so the same key, retried once
    the zone has people, files the ticket."""
    from responders.models import User
    from tests.factories import MembershipFactory, TeamFactory, UserFactory, ZoneFactory

    zone = ZoneFactory()
    client = api_client(zone.committee.street)
    body = new_ticket_body(zone)

    refused = post(client, "/api/v1/tickets/", body, key="retry-me")

    assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_owner"
    assert not Ticket.objects.filter(zone=zone).exists()
    assert not IdempotencyRecord.objects.filter(idempotency_key="retry-me").exists()
    member = UserFactory(role=User.Role.ZONE_MEMBER, full_name="新队员")
    MembershipFactory(team=TeamFactory(zone=zone), user=member, name=member.full_name)
    filed = post(client, "/api/v1/tickets/", body, key="retry-me")
    assert filed.status_code == 201 and Ticket.objects.filter(zone=zone).count() == 1

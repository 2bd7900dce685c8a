"""Every POST can be retried safely (issue 14, item 2), and no body a client can send makes
the API answer 500 (item 8): each reproduction here was a defect before."""

import json
import uuid

import pytest

from core.enums import Tier
from grievances.models import Ticket
from tests.factories import department_for

pytestmark = pytest.mark.django_db


def post(client, path, body, key=None, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(path, json.dumps(body), content_type="application/json", **headers, **extra)


def new_ticket(client, zone) -> dict:
    body = {"category": "environment", "description": "楼道灯坏了", "zone": zone.pk}
    return post(client, "/api/v1/tickets/", body, key=str(uuid.uuid4())).json()


def test_a_retried_escalate_climbs_one_tier_not_two(api_client, zone):
    # given a partner's ticket at the zone
    client = api_client(zone.committee.street)
    ticket = new_ticket(client, zone)
    path = f"/api/v1/tickets/{ticket['id']}/actions/escalate/"

    # when the escalate times out on the partner's side and is sent again with the same key
    first = post(client, path, {"reason": "楼组长协调不了"}, key="escalate-1")
    retry = post(client, path, {"reason": "楼组长协调不了"}, key="escalate-1")

    # then the ticket went up once, and the retry was told what the first got
    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json() and retry["Idempotent-Replayed"] == "true"
    assert Ticket.objects.get(pk=ticket["id"]).tier == Tier.COMMITTEE
    assert Ticket.objects.get(pk=ticket["id"]).events.filter(kind="escalated").count() == 1


def test_the_same_key_with_another_body_is_a_422_on_actions_and_feedback(api_client, zone):
    client = api_client(zone.committee.street)
    ticket = new_ticket(client, zone)
    base = f"/api/v1/tickets/{ticket['id']}"

    resolved = post(client, f"{base}/actions/resolve/", {"outcome": "solved"}, key="k1")
    clash = post(client, f"{base}/actions/resolve/", {"outcome": "explained", "reason": "x"}, key="k1")
    feedback = post(client, f"{base}/feedback/", {"satisfaction": "satisfied"}, key="k2")
    again = post(client, f"{base}/feedback/", {"satisfaction": "satisfied"}, key="k2")
    other = post(client, f"{base}/feedback/", {"satisfaction": "dissatisfied"}, key="k2")

    assert resolved.status_code == 200 and clash.status_code == 422
    assert clash.json()["error"]["code"] == "idempotency_mismatch"
    assert feedback.status_code == again.status_code == 201 and again.json() == feedback.json()
    assert other.status_code == 422
    assert Ticket.objects.get(pk=ticket["id"]).feedback.count() == 1


def test_actions_without_a_key_still_work_as_before(api_client, zone):
    client = api_client(zone.committee.street)
    ticket = new_ticket(client, zone)

    answer = post(client, f"/api/v1/tickets/{ticket['id']}/actions/acknowledge/", {})

    assert answer.status_code == 200 and answer.json()["status"] == "acknowledged"


def test_a_retried_open311_request_files_one_ticket(hotline, zone):
    from django.test import Client

    from api.services import partner_key_create

    _key, raw = partner_key_create(
        partner=hotline, name="o311", streets=[zone.committee.street], scopes=["tickets:read", "tickets:write"]
    )
    client = Client()
    form = {"api_key": raw, "service_code": "environment", "description": "路灯不亮", "address_string": "某路 1 号"}

    first = client.post("/open311/v2/requests.json", form, HTTP_IDEMPOTENCY_KEY="o311-1")
    retry = client.post("/open311/v2/requests.json", form, HTTP_IDEMPOTENCY_KEY="o311-1")

    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert Ticket.objects.filter(description="路灯不亮").count() == 1


def test_a_retried_subscription_makes_one(hotline, zone):
    from django.test import Client

    from api.models import WebhookSubscription
    from api.services import partner_key_create

    _key, raw = partner_key_create(
        partner=hotline, name="hooks", streets=[zone.committee.street], scopes=["tickets:read", "webhooks:manage"]
    )
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    body = {"url": "https://partner.example/hooks"}

    first = post(client, "/api/v1/webhooks/", body, key="sub-1")
    retry = post(client, "/api/v1/webhooks/", body, key="sub-1")

    assert first.status_code == retry.status_code == 201 and retry.json() == first.json()
    assert WebhookSubscription.objects.count() == 1


def test_a_lone_surrogate_is_a_400_naming_the_field(api_client, zone):
    client = api_client(zone.committee.street)
    # A lone surrogate can only be written as a JSON escape; it is not text in any encoding.
    raw = '{"category": "environment", "zone": ' + str(zone.pk) + ', "description": "\\ud800"}'

    answer = client.post("/api/v1/tickets/", raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="s1")

    assert answer.status_code == 400
    assert list(answer.json()["error"]["fields"]) == ["description"]
    assert not Ticket.objects.exists()


def test_a_nul_character_in_a_looked_up_field_is_a_400_naming_it(api_client, zone):
    """Found by schemathesis: a category code with a NUL reached PostgreSQL, which cannot hold
    one in text (core.postgresql refuses it before, as psycopg2 did, and DRF names the field)."""
    client = api_client(zone.committee.street)
    body = {"category": "environment\u0000", "zone": zone.pk, "description": "楼道灯坏了"}

    answer = post(client, "/api/v1/tickets/", body, key="nul-1")

    assert answer.status_code == 400
    assert list(answer.json()["error"]["fields"]) == ["category"]
    assert not Ticket.objects.exists()


def test_the_database_refuses_a_nul_in_any_parameter_before_sending_it():
    from django.db import connection

    with connection.cursor() as cursor:
        for params in (["a\x00b"], [["x", "a\x00b"]], {"p": "a\x00b"}):
            sql = "SELECT %(p)s" if isinstance(params, dict) else "SELECT %s"
            with pytest.raises(ValueError, match="NUL"):
                cursor.execute(sql, params)
        with pytest.raises(ValueError, match="NUL"):
            cursor.executemany("SELECT %s", [["fine"], ["a\x00b"]])
        cursor.execute("SELECT %s", ["fine"])
        assert cursor.fetchone() == ("fine",)


def test_a_lone_surrogate_in_an_action_names_the_field(api_client, zone):
    client = api_client(zone.committee.street)
    ticket = new_ticket(client, zone)
    raw = '{"reason": "a\\udfffb"}'

    answer = client.post(f"/api/v1/tickets/{ticket['id']}/actions/escalate/", raw, content_type="application/json")

    assert answer.status_code == 400 and list(answer.json()["error"]["fields"]) == ["reason"]


@pytest.mark.parametrize("depth", [33, 20_000])
def test_deeply_nested_json_is_a_400_not_a_crash(api_client, zone, depth):
    client = api_client(zone.committee.street)

    answer = client.post(
        "/api/v1/tickets/",
        "[" * depth + "]" * depth,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="n1",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert answer.status_code == 400
    assert "nested" in answer.json()["error"]["message"]


def test_json_nested_as_deep_as_a_real_body_is_fine(api_client, zone):
    client = api_client(zone.committee.street)
    ticket = new_ticket(client, zone)
    department = department_for(Ticket.objects.get(pk=ticket["id"]))
    post(client, f"/api/v1/tickets/{ticket['id']}/actions/acknowledge/", {})

    answer = post(client, f"/api/v1/tickets/{ticket['id']}/actions/refer/", {"department": department.pk})

    assert answer.status_code == 200


def test_a_chunked_body_without_a_length_is_refused_not_read_as_empty(api_client, zone):
    client = api_client(zone.committee.street)
    body = json.dumps({"category": "environment", "zone": zone.pk, "description": "x" * 4_000_000})

    # What a chunked request looks like to Django: a Transfer-Encoding and no Content-Length.
    answer = client.generic(
        "POST",
        "/api/v1/tickets/",
        body,
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
        HTTP_IDEMPOTENCY_KEY="c1",
    )

    assert answer.status_code == 411
    assert answer.json()["error"]["code"] == "length_required"
    assert not Ticket.objects.exists()

"""Issue 19 over the partner API: applications for service items, the catalogue, pauses.
The contract only grows: every field a partner sent before means what it meant."""

import pytest

from escalation import transitions
from grievances.models import Ticket
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def post(client, body, key="k-1"):
    return client.post("/api/v1/tickets/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_partner_applies_for_a_service_item_with_its_documents(api_client, zone):
    client = api_client(zone.committee.street)
    household = HouseholdFactory(zone=zone)

    response = post(
        client,
        {
            "category": "service",
            "description": "申请老年综合津贴",
            "household": household.pk,
            "service_item": "elderly_allowance",
            "documents": ["本人银行卡", "居民身份证、户口簿"],
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["service_item"], body["tier"]) == ("service", "elderly_allowance", "street")
    assert body["documents_received"] == ["居民身份证、户口簿", "本人银行卡"]  # in the item's order
    assert (body["paused_at"], body["pause_reason"], body["paused_seconds"]) == (None, "", 0)
    listed = client.get("/api/v1/tickets/").json()["results"][0]
    assert (listed["kind"], listed["service_item"]) == ("service", "elderly_allowance")


def test_a_document_the_item_does_not_need_is_a_400_naming_documents(api_client, zone):
    client = api_client(zone.committee.street)
    response = post(
        client,
        {
            "category": "service",
            "description": "申请",
            "zone": zone.pk,
            "service_item": "elderly_allowance",
            "documents": ["结婚证"],
        },
    )
    assert response.status_code == 400
    assert "documents" in response.json()["error"]["fields"]
    unknown = post(client, {"category": "service", "description": "x", "zone": zone.pk, "service_item": "nope"}, "k-2")
    assert unknown.status_code == 400 and "service_item" in unknown.json()["error"]["fields"]


def test_a_request_without_an_item_is_as_before(api_client, zone):
    body = post(api_client(zone.committee.street), {"category": "environment", "description": "垃圾", "zone": zone.pk})
    assert body.status_code == 201
    assert (body.json()["kind"], body.json()["service_item"], body.json()["documents_received"]) == (
        "request",
        None,
        [],
    )


def test_the_catalogue_lists_items_with_limits_and_documents(api_client, zone):
    items = api_client(zone.committee.street).get("/api/v1/service-items/").json()
    assert len(items) == 35 and len({item["service_class"] for item in items}) == 12
    permit = next(item for item in items if item["code"] == "residence_permit")
    assert (permit["limit_ordinary"], permit["limit_urgent"]) == (10, 3)
    assert "居民身份证" in permit["documents"]


def test_pause_and_resume_over_the_api(api_client, zone):
    client = api_client(zone.committee.street)
    ticket_id = post(client, {"category": "environment", "description": "楼道堆物", "zone": zone.pk}).json()["id"]
    transitions.ticket_start(ticket=Ticket.objects.get(pk=ticket_id), actor="desk")

    def act(action, body, key):
        return client.post(
            f"/api/v1/tickets/{ticket_id}/actions/{action}/",
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
        )

    missing = act("pause", {"reason": "third_party"}, "p-0")
    assert missing.status_code == 400 and "note" in missing.json()["error"]["fields"]
    paused = act("pause", {"reason": "unreachable", "note": "电话无人接听"}, "p-1")
    assert paused.status_code == 200 and paused.json()["pause_reason"] == "unreachable"
    assert act("escalate", {"reason": "上报"}, "p-2").status_code == 409
    resumed = act("resume", {"how": "resident_replied"}, "p-3")
    assert resumed.status_code == 200 and resumed.json()["paused_at"] is None
    assert act("resume", {}, "p-4").status_code == 409

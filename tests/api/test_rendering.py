"""What a partner reads is what the serializers (and so the OpenAPI schema) say.

The list, detail, create and action answers are rendered from `.values()` rows by
api.rendering and written by orjson; these tests hold them to DRF's own rendering of the same
tickets through the same serializers, byte for byte after parsing.
"""

import json
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from api.rendering import reads, row_renderer
from api.serializers import TicketDetailSerializer, TicketSerializer
from escalation import transitions
from grievances.models import Ticket
from grievances.photos import photo_store, process
from responders.models import User
from tests import photo_files
from tests.factories import HouseholdFactory, UserFactory, make_ticket

pytestmark = pytest.mark.django_db


def drf(serializer_class, tickets, *, pii, many=False):
    """DRF's own answer for `tickets`, as a partner would parse it."""
    data = serializer_class(tickets, many=many, context={"pii": pii}).data
    return json.loads(JSONRenderer().render(data))


@pytest.fixture
def tickets(zone):
    """Tickets with something in every field: a reporter's phone, a household, an address, a
    staff actor and a partner actor, an escalation, a resolution with feedback, a line
    separator in the description (which orjson writes raw and DRF escapes)."""
    clerk = UserFactory(role=User.Role.STREET_STAFF, street=zone.committee.street)  # may act at every tier
    household = HouseholdFactory(zone=zone)
    plain = make_ticket(zone=zone, reporter_name="王先生", reporter_phone="13812345678")
    with_household = make_ticket(
        zone=zone, household=household, actor=clerk, description="第一行\u2028第二行", urgency="urgent"
    )
    escalated = transitions.ticket_escalate(ticket=make_ticket(zone=zone), actor=clerk, reason="楼组长协调不了")
    closed = transitions.ticket_resolve(
        ticket=make_ticket(zone=zone, address="幸福路 8 号"), actor=clerk, outcome="solved"
    )
    transitions.ticket_record_feedback(
        ticket=closed, actor="partner:hotline12345", satisfaction="satisfied", collected_via="phone", comment="好"
    )
    # Photos on two of them (nested rows, in their own order).
    for ticket, colours in ((plain, [(9, 9, 9), (200, 0, 0)]), (closed, [(0, 90, 0)])):
        for colour in colours:
            photo_store(ticket=ticket, processed=process(photo_files.jpeg(64, 48, color=colour)))
    return [plain, with_household, escalated, closed]


@pytest.mark.parametrize("scopes", [("tickets:read",), ("tickets:read", "pii:read")])
def test_list_and_detail_answers_are_the_serializers_answers(api_client, zone, tickets, scopes):
    client = api_client(zone.committee.street, scopes=scopes)
    pii = "pii:read" in scopes

    page = client.get("/api/v1/tickets/", {"page_size": 50})
    details = [client.get(f"/api/v1/tickets/{ticket.pk}/") for ticket in tickets]

    assert page.status_code == 200 and page["Content-Type"] == "application/json"
    listed = Ticket.objects.filter(pk__in=[row["id"] for row in page.json()["results"]]).order_by("-created_at", "-id")
    assert page.json()["results"] == drf(TicketSerializer, listed, pii=pii, many=True)
    assert len(page.json()["results"]) == len(tickets)
    for ticket, detail in zip(tickets, details, strict=True):
        assert detail.status_code == 200
        assert detail.json() == drf(TicketDetailSerializer, Ticket.objects.get(pk=ticket.pk), pii=pii)
    clerk = Ticket.objects.get(pk=tickets[2].pk).events.get(kind="escalated").actor
    assert {e["actor"] for d in details for e in d.json()["events"]} >= {str(clerk), "partner:hotline12345"}
    assert b"\\u2028" in details[1].content  # as DRF writes it: JSON that is also valid JavaScript
    assert [len(d.json()["photos"]) for d in details] == [2, 0, 0, 1]
    phone = details[0].json()["reporter"]["phone"]
    assert phone == ("13812345678" if pii else "138****5678")


def test_create_and_action_answers_are_the_serializers_answers(api_client, zone):
    client = api_client(zone.committee.street, scopes=("tickets:read", "tickets:write", "pii:read"))
    body = {"category": "environment", "description": "路灯不亮", "zone": zone.pk, "reporter": {"phone": "13900001111"}}

    created = client.post("/api/v1/tickets/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="one")
    ticket_id = created.json()["id"]
    acted = client.post(f"/api/v1/tickets/{ticket_id}/actions/acknowledge/", {}, content_type="application/json")

    assert created.status_code == 201 and acted.status_code == 200
    ticket = Ticket.objects.get(pk=ticket_id)
    assert acted.json() == drf(TicketSerializer, ticket, pii=True)
    expected = {**drf(TicketSerializer, ticket, pii=True), **_as_created(created.json()), "possible_duplicates": []}
    assert created.json() == expected


def _as_created(body):
    # Acknowledging moves these on; everything else must be as the create answered it.
    return {name: body[name] for name in ("status", "version", "updated_at")}


def test_an_unknown_ticket_is_404_in_the_envelope(api_client, zone):
    response = api_client(zone.committee.street).get(f"/api/v1/tickets/{10**9}/")

    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_field_the_renderer_cannot_read_is_refused_when_it_is_built():
    class Undeclared(TicketSerializer):
        extra = serializers.SerializerMethodField()

        class Meta(TicketSerializer.Meta):
            fields = [*TicketSerializer.Meta.fields, "extra"]

        def get_extra(self, ticket):
            return ticket.description

    class Declared(TicketSerializer):
        extra = serializers.SerializerMethodField()

        class Meta(TicketSerializer.Meta):
            fields = [*TicketSerializer.Meta.fields, "extra"]

        @reads("reference")
        def get_extra(self, ticket):
            return ticket.description  # reads more than it declared

    with pytest.raises(ImproperlyConfigured, match="does not declare @reads"):
        row_renderer(Undeclared)
    ticket = make_ticket()
    renderer = row_renderer(Declared)
    with pytest.raises(AttributeError, match="without declaring it"):
        renderer.render(Ticket.objects.filter(pk=ticket.pk).values(*renderer.columns))


def test_an_idempotent_replay_is_the_same_bytes(api_client, zone):
    client = api_client(zone.committee.street)
    body = {"category": "environment", "description": "井盖松动", "zone": zone.pk}
    key = str(uuid.uuid4())

    first = client.post("/api/v1/tickets/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    replay = client.post("/api/v1/tickets/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)

    assert first.status_code == replay.status_code == 201
    assert first.json() == replay.json()

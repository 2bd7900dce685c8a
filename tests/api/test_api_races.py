"""Idempotency under concurrency, on real PostgreSQL rows and connections."""

import threading

import pytest
from django.db import connection
from django.test import Client

from api.services import partner_key_create
from grievances.models import Ticket
from responders.models import PartnerSystem
from tests.factories import staffed_zone

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_requests_with_one_key_create_one_ticket():
    zone = staffed_zone()
    _, raw = partner_key_create(
        partner=PartnerSystem.objects.create(code="hotline", name="热线"),
        name="t",
        streets=[zone.committee.street],
        scopes=["tickets:write", "tickets:read"],
    )
    body = {"category": "environment", "description": "并发重复提交", "zone": zone.pk}
    start = threading.Barrier(4)
    responses = []

    def send():
        try:
            start.wait()
            client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw}")
            responses.append(
                client.post(
                    "/api/v1/tickets/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="same-order"
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [r.status_code for r in responses] == [201] * 4
    assert len({r.json()["id"] for r in responses}) == 1
    assert Ticket.objects.count() == 1

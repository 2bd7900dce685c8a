"""Outgoing webhooks, as a partner's receiving endpoint sees them: a real HTTP server on
127.0.0.1 records every request and answers what it is told to."""

import datetime as dt
import json
import socket
import threading
import time

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from api.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from api.services import partner_key_revoke
from api.tasks import dispatch_webhooks
from api.webhooks import sign, verify_signature, webhook_subscribe, webhooks_fan_out, webhooks_send_due
from core.errors import InvalidInput
from escalation import transitions
from grievances.models import EventOutbox, TicketEvent
from responders.models import User
from tests.factories import UserFactory, make_ticket

pytestmark = pytest.mark.django_db


def test_an_event_in_the_keys_street_arrives_signed_and_shows_what_the_api_shows(receiver, key_for, zone):
    key, raw = key_for(zone.committee.street)
    subscription = webhook_subscribe(key=key, url=receiver.url)
    ticket = make_ticket(zone=zone, reporter_name="王先生", reporter_phone="13812345678")

    dispatch_webhooks.delay()

    [(headers, body)] = receiver.requests
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "Zhitong-Webhooks/1"
    assert headers["X-Zhitong-Event"] == "ticket.created"
    timestamp, signature = headers["X-Zhitong-Timestamp"], headers["X-Zhitong-Signature"]
    assert abs(int(timestamp) - time.time()) < 60
    assert verify_signature(subscription.secret, timestamp, body, signature)
    assert not verify_signature("another secret", timestamp, body, signature)
    assert not verify_signature(subscription.secret, timestamp, body.replace("王".encode(), "李".encode()), signature)

    payload = json.loads(body)
    assert payload["id"] == headers["X-Zhitong-Event-Id"]
    assert payload["type"] == "ticket.created"
    api = Client(HTTP_AUTHORIZATION=f"Api-Key {raw}").get(f"/api/v1/tickets/{ticket.pk}/").json()
    timeline = api.pop("events")
    del api["feedback"]
    assert payload["data"]["ticket"] == api
    assert payload["data"]["ticket"]["reporter"] == {"name": "王**", "phone": "138****5678"}  # no pii:read
    assert payload["data"]["event"] == timeline[0]
    assert payload["created_at"] == timeline[0]["at"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.delivered_at is not None and delivery.attempts == 1
    assert [a.status_code for a in delivery.attempt_log.all()] == [200]


def test_a_replayed_request_is_refused_by_the_partners_check():
    body = b'{"id":"x"}'
    old = str(int(time.time()) - 3600)

    assert not verify_signature("s3cret", old, body, f"t={old},v1={sign('s3cret', old, body)}")
    assert verify_signature("s3cret", old, body, f"t={old},v1={sign('s3cret', old, body)}", tolerance_seconds=None)
    now = str(int(time.time()))
    assert not verify_signature("s3cret", now, body, f"t={old},v1={sign('s3cret', now, body)}")


def test_each_key_sees_the_phone_as_its_scopes_allow_and_each_subscription_has_its_own_event_id(
    receiver, key_for, zone
):
    street = zone.committee.street
    webhook_subscribe(key=key_for(street)[0], url=receiver.url + "?plain")
    webhook_subscribe(key=key_for(street, scopes=("tickets:read", "pii:read"))[0], url=receiver.url + "?pii")
    make_ticket(zone=zone, reporter_phone="13812345678")

    dispatch_webhooks.delay()

    phones = {
        headers["X-Zhitong-Event-Id"]: json.loads(body)["data"]["ticket"]["reporter"]["phone"]
        for headers, body in receiver.requests
    }
    assert len(receiver.requests) == len(phones) == 2
    assert sorted(phones.values()) == ["138****5678", "13812345678"]


def test_events_of_other_streets_send_nothing(receiver, key_for, zone):
    webhook_subscribe(key=key_for(zone.committee.street)[0], url=receiver.url)
    elsewhere = make_ticket()
    transitions.ticket_acknowledge(ticket=elsewhere, actor="test")
    mine = make_ticket(zone=zone)

    dispatch_webhooks.delay()
    dispatch_webhooks.delay()

    assert [p["data"]["ticket"]["reference"] for p in receiver.payloads()] == [mine.reference]


def test_only_the_subscribed_kinds_are_sent(receiver, key_for, zone):
    webhook_subscribe(key=key_for(zone.committee.street)[0], url=receiver.url, event_kinds=["acknowledged"])
    ticket = make_ticket(zone=zone)
    transitions.ticket_acknowledge(ticket=ticket, actor="test", note="已电话联系居民")
    transitions.ticket_start(ticket=ticket, actor="test")

    dispatch_webhooks.delay()

    [payload] = receiver.payloads()
    assert payload["type"] == "ticket.acknowledged"
    assert payload["data"]["event"]["note"] == "已电话联系居民"


def test_a_new_subscription_hears_only_of_events_after_it(receiver, key_for, zone):
    make_ticket(zone=zone)
    webhook_subscribe(key=key_for(zone.committee.street)[0], url=receiver.url)

    dispatch_webhooks.delay()

    assert receiver.requests == []


def test_a_failure_is_retried_with_growing_waits_under_the_same_event_id(receiver, key_for, zone):
    subscription = webhook_subscribe(key=key_for(zone.committee.street)[0], url=receiver.url)
    make_ticket(zone=zone)
    webhooks_fan_out()
    receiver.statuses = [500, 503]
    start = timezone.now()

    assert webhooks_send_due(now=start) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.last_status_code) == (1, 500)
    assert delivery.next_attempt_at == start + dt.timedelta(seconds=30)
    assert "500" in delivery.last_error and delivery.delivered_at is None

    assert webhooks_send_due(now=start + dt.timedelta(seconds=29)) == 0
    assert webhooks_send_due(now=start + dt.timedelta(seconds=30)) == 1
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == start + dt.timedelta(seconds=30 + 60)

    assert webhooks_send_due(now=start + dt.timedelta(seconds=90)) == 1
    delivery.refresh_from_db()
    assert delivery.delivered_at == start + dt.timedelta(seconds=90)
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (3, 200, "")
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 503, 200]
    assert len({headers["X-Zhitong-Event-Id"] for headers, _ in receiver.requests}) == 1
    for headers, body in receiver.requests:
        assert verify_signature(
            subscription.secret, headers["X-Zhitong-Timestamp"], body, headers["X-Zhitong-Signature"]
        )
    assert webhooks_send_due(now=start + dt.timedelta(days=1)) == 0


def test_an_unreachable_endpoint_counts_as_a_failed_attempt(key_for, zone):
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    webhook_subscribe(key=key_for(zone.committee.street)[0], url=f"http://127.0.0.1:{port}/hooks")
    make_ticket(zone=zone)
    webhooks_fan_out()
    start = timezone.now()

    webhooks_send_due(now=start)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.last_status_code) == (1, None)
    assert "refused" in delivery.last_error.lower()
    assert delivery.next_attempt_at == start + dt.timedelta(seconds=30)
    [attempt] = WebhookAttempt.objects.all()
    assert attempt.status_code is None and attempt.error == delivery.last_error


def test_a_redirect_is_a_failure_not_followed(receiver, key_for, zone):
    webhook_subscribe(key=key_for(zone.committee.street)[0], url=receiver.url)
    make_ticket(zone=zone)
    webhooks_fan_out()
    receiver.statuses = [302]

    webhooks_send_due()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.last_status_code, delivery.delivered_at) == (302, None)
    assert len(receiver.requests) == 1


def test_delivery_is_given_up_three_days_after_the_event(receiver, key_for, zone):
    webhook_subscribe(key=key_for(zone.committee.street)[0], url=receiver.url)
    make_ticket(zone=zone)
    webhooks_fan_out()
    delivery = WebhookDelivery.objects.get()
    deadline = delivery.created_at + dt.timedelta(days=3)
    receiver.statuses = [500, 500]

    webhooks_send_due(now=deadline - dt.timedelta(seconds=10))
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == deadline  # the last try is at three days, not later
    assert delivery.gave_up_at is None

    webhooks_send_due(now=deadline)
    delivery.refresh_from_db()
    assert (delivery.gave_up_at, delivery.next_attempt_at, delivery.delivered_at) == (deadline, None, None)
    assert webhooks_send_due(now=deadline + dt.timedelta(days=1)) == 0
    assert len(receiver.requests) == 2


def test_a_revoked_key_gets_nothing_more(receiver, key_for, zone):
    key, _ = key_for(zone.committee.street)
    webhook_subscribe(key=key, url=receiver.url)
    make_ticket(zone=zone)
    webhooks_fan_out()
    partner_key_revoke(key=key)
    make_ticket(zone=zone)

    dispatch_webhooks.delay()

    assert receiver.requests == []
    assert WebhookDelivery.objects.count() == 1


def test_fanning_out_again_sends_each_event_once(receiver, key_for, zone):
    webhook_subscribe(key=key_for(zone.committee.street)[0], url=receiver.url)
    make_ticket(zone=zone)

    webhooks_fan_out()
    webhooks_fan_out()
    # Even an event put in the outbox again (a restored backup, a hand edit) is found queued.
    EventOutbox.objects.bulk_create([EventOutbox(event=event) for event in TicketEvent.objects.all()])
    webhooks_fan_out()
    webhooks_send_due()
    webhooks_send_due(now=timezone.now() + dt.timedelta(hours=1))

    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.requests) == 1


class Refused(Exception):
    pass


def test_an_id_never_used_does_not_hold_up_the_events_after_it(receiver, key_for, zone):
    refused = make_ticket(zone=zone)
    webhook_subscribe(key=key_for(zone.committee.street)[0], url=receiver.url)
    # What a refused decision leaves: an event written, then rolled back with its change.
    with pytest.raises(Refused), transaction.atomic():
        transitions.ticket_acknowledge(ticket=refused, actor="test")
        unused = refused.events.latest("pk").pk
        raise Refused
    make_ticket(zone=zone)
    assert TicketEvent.objects.latest("pk").pk > unused and not TicketEvent.objects.filter(pk=unused).exists()

    dispatch_webhooks.delay()

    assert [p["type"] for p in receiver.payloads()] == ["ticket.created"]


def test_every_event_is_written_with_its_outbox_row_and_the_fan_out_empties_the_outbox(zone):
    ticket = make_ticket(zone=zone)  # no subscription at all
    transitions.ticket_acknowledge(ticket=ticket, actor="test")
    with pytest.raises(Refused), transaction.atomic():
        transitions.ticket_start(ticket=ticket, actor="test")
        raise Refused

    assert sorted(EventOutbox.objects.values_list("event_id", flat=True)) == sorted(
        ticket.events.values_list("pk", flat=True)
    )
    assert ticket.events.count() == 2
    assert webhooks_fan_out() == 0
    assert not EventOutbox.objects.exists()  # nobody wanted them: dropped, not kept forever


def test_a_sweep_batch_writes_its_outbox_rows_in_one_statement(zone):
    from django.test.utils import CaptureQueriesContext

    from escalation.sweep import sweep_overdue_tickets

    tickets = [make_ticket(zone=zone) for _ in range(5)]
    webhooks_fan_out()
    now = max(ticket.resolve_by for ticket in tickets) + dt.timedelta(minutes=1)

    with CaptureQueriesContext(connection) as queries:
        assert sweep_overdue_tickets(now=now, batch_size=100).escalated == 5

    inserts = [q["sql"] for q in queries if q["sql"].startswith(f'INSERT INTO "{EventOutbox._meta.db_table}"')]
    assert len(inserts) == 1
    assert set(EventOutbox.objects.values_list("event_id", flat=True)) == set(
        TicketEvent.objects.filter(kind="escalated").values_list("pk", flat=True)
    )


@pytest.mark.django_db(transaction=True)
def test_an_event_that_commits_late_is_not_skipped(receiver, key_for, zone):
    """A transition whose transaction is still open when a later event commits: its event
    has the smaller id, and must still be sent once it commits, without holding up the
    later one meanwhile."""
    slow, quick = make_ticket(zone=zone), make_ticket(zone=zone)
    webhook_subscribe(key=key_for(zone.committee.street)[0], url=receiver.url)
    written, release = threading.Event(), threading.Event()

    def slow_transition():
        try:
            with transaction.atomic():
                transitions.ticket_acknowledge(ticket=slow, actor="slow worker")
                written.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    worker = threading.Thread(target=slow_transition)
    worker.start()
    try:
        assert written.wait(timeout=30)
        transitions.ticket_start(ticket=quick, actor="test")

        dispatch_webhooks.delay()
        # The open transaction's event is not visible yet, and holds nothing up.
        assert [(p["type"], p["data"]["ticket"]["reference"]) for p in receiver.payloads()] == [
            ("ticket.started", quick.reference)
        ]
    finally:
        release.set()
        worker.join(timeout=30)

    dispatch_webhooks.delay()

    assert sorted((p["type"], p["data"]["ticket"]["reference"]) for p in receiver.payloads()) == [
        ("ticket.acknowledged", slow.reference),
        ("ticket.started", quick.reference),
    ]


@pytest.mark.parametrize(
    ("scopes", "url", "kinds", "field"),
    [
        (("tickets:read",), "ftp://partner.example/hooks", [], "url"),
        (("tickets:read",), "not a url", [], "url"),
        (("tickets:read",), "https://partner.example/hooks", ["created", "bogus"], "event_kinds"),
        (("tickets:read",), "https://partner.example/hooks", "created", "event_kinds"),
        (("tickets:write",), "https://partner.example/hooks", [], "key"),
    ],
)
def test_subscribing_refuses_bad_input_naming_the_field(key_for, zone, scopes, url, kinds, field):
    key, _ = key_for(zone.committee.street, scopes=scopes)

    with pytest.raises(InvalidInput) as refused:
        webhook_subscribe(key=key, url=url, event_kinds=kinds)

    assert refused.value.field == field
    assert not WebhookSubscription.objects.exists()


def test_a_revoked_key_cannot_subscribe(key_for, zone):
    key, _ = key_for(zone.committee.street)
    partner_key_revoke(key=key)

    with pytest.raises(InvalidInput) as refused:
        webhook_subscribe(key=key, url="https://partner.example/hooks")

    assert refused.value.field == "key"


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(role=User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    return client


def test_the_admin_shows_each_attempt_of_a_delivery(admin_client, receiver, key_for, zone):
    webhook_subscribe(key=key_for(zone.committee.street)[0], url=receiver.url)
    make_ticket(zone=zone)
    webhooks_fan_out()
    receiver.statuses = [500]
    webhooks_send_due()
    webhooks_send_due(now=timezone.now() + dt.timedelta(minutes=1))
    delivery = WebhookDelivery.objects.get()

    listing = admin_client.get("/admin/api/webhookdelivery/?state=delivered").content.decode()
    page = admin_client.get(f"/admin/api/webhookdelivery/{delivery.pk}/change/").content.decode()

    assert str(delivery.event_uuid) in listing and "ticket.created" in listing
    assert "HTTP 500" in page and page.count('<td class="field-status_code">') == 2


def test_a_subscription_added_in_the_admin_starts_after_the_latest_event(admin_client, key_for, zone):
    key, _ = key_for(zone.committee.street)
    make_ticket(zone=zone)
    form = {"key": key.pk, "url": "https://partner.example/hooks", "event_kinds": ["resolved"], "active": "on"}

    refused = admin_client.post("/admin/api/webhooksubscription/add/", {**form, "url": "ftp://partner.example/"})
    added = admin_client.post("/admin/api/webhooksubscription/add/", form)

    assert refused.status_code == 200 and 'id="id_url_error"' in refused.content.decode()
    assert added.status_code == 302
    subscription = WebhookSubscription.objects.get()
    assert subscription.event_kinds == ["resolved"]
    assert subscription.starts_after_event_id == TicketEvent.objects.latest("pk").pk


# --- the partner API: GET/POST webhooks/, GET/DELETE webhooks/{id}/ ------------------------


def _client(raw):
    return Client(HTTP_AUTHORIZATION=f"Api-Key {raw}")


def test_a_partner_subscribes_over_the_api_and_sees_the_secret_once(receiver, key_for, zone):
    key, raw = key_for(zone.committee.street, scopes=("tickets:read", "webhooks:manage"))
    client = _client(raw)

    created = client.post("/api/v1/webhooks/", {"url": receiver.url, "event_kinds": ["created"]}, "application/json")
    listed = client.get("/api/v1/webhooks/").json()
    shown = client.get(f"/api/v1/webhooks/{created.json()['id']}/").json()
    make_ticket(zone=zone)
    dispatch_webhooks()

    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret == WebhookSubscription.objects.get().secret
    assert [s["url"] for s in listed] == [receiver.url] and "secret" not in listed[0] and "secret" not in shown
    headers, body = receiver.requests[0]
    assert verify_signature(secret, headers["X-Zhitong-Timestamp"], body, headers["X-Zhitong-Signature"])


def test_subscribing_the_same_url_twice_is_a_409_naming_the_first(receiver, key_for, zone):
    _, raw = key_for(zone.committee.street, scopes=("tickets:read", "webhooks:manage"))
    client = _client(raw)
    first = client.post("/api/v1/webhooks/", {"url": receiver.url}, "application/json").json()

    again = client.post("/api/v1/webhooks/", {"url": receiver.url}, "application/json")

    assert again.status_code == 409 and again.json()["error"]["code"] == "already_subscribed"
    assert str(first["id"]) in again.json()["error"]["message"]
    assert WebhookSubscription.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://partner.example/"}, "url"),
        ({"url": 42}, "url"),
        ({}, "url"),
        ({"url": "https://partner.example/", "event_kinds": ["exploded"]}, "event_kinds.0"),
        ({"url": "https://partner.example/", "event_kinds": "created"}, "event_kinds"),
    ],
)
def test_bad_subscription_input_is_a_400_naming_the_field(key_for, zone, body, field):
    _, raw = key_for(zone.committee.street, scopes=("tickets:read", "webhooks:manage"))

    response = _client(raw).post("/api/v1/webhooks/", body, "application/json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not WebhookSubscription.objects.exists()


def test_webhooks_need_the_manage_scope_and_a_key(key_for, zone, admin_client):
    _, reader = key_for(zone.committee.street, scopes=("tickets:read",))
    _, manager_who_cannot_read = key_for(zone.committee.street, scopes=("webhooks:manage",))

    assert _client(reader).get("/api/v1/webhooks/").status_code == 403
    blind = _client(manager_who_cannot_read).post(
        "/api/v1/webhooks/", {"url": "https://partner.example/"}, "application/json"
    )
    assert blind.status_code == 400 and "key" in blind.json()["error"]["fields"]
    assert admin_client.get("/api/v1/webhooks/").status_code == 403


def test_a_key_cannot_see_or_delete_another_keys_subscription(receiver, key_for, zone):
    theirs, _ = key_for(zone.committee.street)
    subscription = webhook_subscribe(key=theirs, url=receiver.url)
    _, raw = key_for(zone.committee.street, scopes=("tickets:read", "webhooks:manage"))
    client = _client(raw)

    assert client.get(f"/api/v1/webhooks/{subscription.pk}/").status_code == 404
    assert client.delete(f"/api/v1/webhooks/{subscription.pk}/").status_code == 404
    assert client.get("/api/v1/webhooks/").json() == []
    subscription.refresh_from_db()
    assert subscription.active


def test_deleting_a_subscription_stops_deliveries_and_keeps_the_record(receiver, key_for, zone):
    _, raw = key_for(zone.committee.street, scopes=("tickets:read", "webhooks:manage"))
    client = _client(raw)
    created = client.post("/api/v1/webhooks/", {"url": receiver.url}, "application/json").json()
    make_ticket(zone=zone)
    dispatch_webhooks()

    deleted = client.delete(f"/api/v1/webhooks/{created['id']}/")
    make_ticket(zone=zone)
    dispatch_webhooks()

    assert deleted.status_code == 204
    assert len(receiver.requests) == 1
    assert client.get("/api/v1/webhooks/").json() == []
    assert WebhookDelivery.objects.filter(subscription_id=created["id"]).count() == 1


def test_a_retry_goes_only_where_the_key_may_still_read_and_as_it_may_read_it(receiver, key_for, zone):
    from api.models import Scope
    from tests.factories import staffed_zone

    other = staffed_zone()
    key, _ = key_for(zone.committee.street, other.committee.street, scopes=("tickets:read", "pii:read"))
    webhook_subscribe(key=key, url=receiver.url)
    make_ticket(zone=zone, reporter_phone="13812345678")
    make_ticket(zone=other, reporter_phone="13912345678")
    webhooks_fan_out()
    receiver.statuses = [500, 500]
    start = timezone.now()
    assert webhooks_send_due(now=start) == 2

    key.streets.remove(other.committee.street)
    key.scopes = [Scope.TICKETS_READ]
    key.save()
    retried = webhooks_send_due(now=start + dt.timedelta(seconds=30))

    assert retried == 1
    (_, body) = receiver.requests[-1]
    assert json.loads(body)["data"]["ticket"]["reporter"]["phone"] == "138****5678"
    dropped = WebhookDelivery.objects.get(event__ticket__zone=other)
    assert dropped.gave_up_at is not None and dropped.last_error == "该密钥已无权查看此工单。"
    assert webhooks_send_due(now=start + dt.timedelta(days=1)) == 0


def test_a_delivery_whose_subscription_goes_while_it_is_sent_does_not_stop_the_others(
    receiver, key_for, zone, monkeypatch
):
    from api import webhooks

    first = webhook_subscribe(key=key_for(zone.committee.street)[0], url=receiver.url)
    webhook_subscribe(key=key_for(zone.committee.street)[0], url=receiver.url + "/other")
    make_ticket(zone=zone)
    webhooks_fan_out()
    post = webhooks._post

    def post_then_delete(delivery):
        answer = post(delivery)
        if delivery.subscription_id == first.pk:
            WebhookSubscription.objects.filter(pk=first.pk).delete()  # e.g. from the shell, mid-batch
        return answer

    monkeypatch.setattr(webhooks, "_post", post_then_delete)

    assert webhooks_send_due() == 2
    assert len(receiver.requests) == 2
    assert WebhookDelivery.objects.get().delivered_at is not None


def test_the_admin_switches_subscriptions_off_rather_than_deleting_them(admin_client, key_for, zone):
    subscription = webhook_subscribe(key=key_for(zone.committee.street)[0], url="https://partner.example/hooks")

    response = admin_client.post(f"/admin/api/webhooksubscription/{subscription.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403 and WebhookSubscription.objects.filter(pk=subscription.pk).exists()


def test_a_signature_header_with_characters_beyond_ascii_is_simply_not_genuine():
    assert verify_signature("secret", "1", b"{}", "t=1,v1=签名", tolerance_seconds=None) is False

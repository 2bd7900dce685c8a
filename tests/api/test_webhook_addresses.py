"""A webhook URL cannot make our worker reach inside: not at subscription, not at sending
(the address is checked on the socket's own connection, so a DNS answer that changes later
does not slip through)."""

import pytest
from django.test import Client

from api.models import WebhookDelivery, WebhookSubscription
from api.webhooks import webhook_subscribe, webhooks_fan_out, webhooks_send_due
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

INSIDE = [
    "http://169.254.169.254/latest/meta-data/",  # the cloud metadata service
    "http://127.0.0.1:6379/",
    "http://localhost:5432/",  # a name that resolves to loopback
    "http://10.0.0.7/hooks",
    "http://172.16.5.4/hooks",
    "http://192.168.1.20/hooks",
    "http://100.64.0.1/hooks",  # shared address space
    "http://0.0.0.0/hooks",
    "http://224.0.0.251/hooks",  # multicast
    "http://[::1]/hooks",
    "http://[fe80::1]/hooks",
    "http://[fd00::5]/hooks",
    "http://[::ffff:127.0.0.1]/hooks",  # IPv4 loopback written as IPv6
]


@pytest.fixture
def manager(hotline, zone):
    """A partner's API client whose key may manage webhooks."""
    from api.services import partner_key_create

    _key, raw = partner_key_create(
        partner=hotline,
        name="webhooks",
        streets=[zone.committee.street],
        scopes=["tickets:read", "webhooks:manage"],
    )
    return Client(HTTP_AUTHORIZATION=f"Api-Key {raw}")


@pytest.mark.parametrize("url", INSIDE)
def test_subscribing_an_inside_address_is_refused_naming_the_url(manager, settings, url):
    settings.ZHITONG_WEBHOOK_ALLOWED_HOSTS = []

    answer = manager.post("/api/v1/webhooks/", {"url": url}, content_type="application/json")

    assert answer.status_code == 400, answer.content
    assert list(answer.json()["error"]["fields"]) == ["url"]
    assert not WebhookSubscription.objects.exists()


def test_a_public_address_is_accepted_and_plain_http_only_where_allowed(manager, settings):
    settings.ZHITONG_WEBHOOK_ALLOWED_HOSTS = []
    public = "http://93.184.216.34/hooks"

    settings.ZHITONG_WEBHOOK_HTTPS_ONLY = True
    refused = manager.post("/api/v1/webhooks/", {"url": public}, content_type="application/json")
    settings.ZHITONG_WEBHOOK_HTTPS_ONLY = False
    accepted = manager.post("/api/v1/webhooks/", {"url": public}, content_type="application/json")

    assert refused.status_code == 400 and list(refused.json()["error"]["fields"]) == ["url"]
    assert accepted.status_code == 201


def test_an_address_that_turns_inside_after_subscribing_gets_nothing(receiver, key_for, zone, settings):
    # given a subscription made while its host was allowed (as if its DNS answer was public then)
    key, _ = key_for(zone.committee.street)
    webhook_subscribe(key=key, url=receiver.url)
    make_ticket(zone=zone)
    webhooks_fan_out()

    # when the host's address is no longer acceptable at sending time
    settings.ZHITONG_WEBHOOK_ALLOWED_HOSTS = []
    webhooks_send_due()

    # then nothing reached it, and the attempt says why
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.delivered_at is None and "may not reach" in delivery.last_error

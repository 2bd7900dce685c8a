"""Redis trouble degrades, never stalls; revocation holds through it (issue 14, items 5 and 6).

Each test starts a redis-server of its own, points the cache (partner keys, throttle) at it,
and hangs it (SIGSTOP) or kills it: the shared Redis the rest of the suite uses is never
touched.
"""

import logging
import time
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from api.cache import redis_reset
from api.models import PartnerKey
from api.services import partner_key_create
from responders.models import PartnerSystem
from tests.factories import make_ticket
from tests.redis_process import RedisProcess, cache_settings, own_redis  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_pause_left_over():
    """api.cache leaves Redis alone for a moment after a failure: not into the next test."""
    redis_reset()
    yield
    redis_reset()


@pytest.fixture
def redis_cache(own_redis, settings):  # noqa: F811 - the fixture above
    settings.CACHES = cache_settings(own_redis.url, settings.REDIS_TIMEOUT_SECONDS)
    return own_redis


@pytest.fixture
def raw_key(zone):
    partner = PartnerSystem.objects.create(code="hotline12345", name="12345 市民服务热线")
    _, raw = partner_key_create(
        partner=partner, name="test", streets=[zone.committee.street], scopes=["tickets:read", "tickets:write"]
    )
    return raw


def timed(call):
    start = time.monotonic()
    response = call()
    return response, time.monotonic() - start


def keyed_calls(raw, zone, ticket):
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    body = {"category": "environment", "description": "楼道灯坏了", "zone": zone.pk}
    return [
        ("GET tickets/", lambda: client.get("/api/v1/tickets/")),
        ("GET tickets/{id}/", lambda: client.get(f"/api/v1/tickets/{ticket.pk}/")),
        ("GET categories/", lambda: client.get("/api/v1/categories/")),
        (
            "POST tickets/",
            lambda: client.post(
                "/api/v1/tickets/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(time.monotonic())
            ),
        ),
        ("Open311 GET requests", lambda: Client().get("/open311/v2/requests.json?" + urlencode({"api_key": raw}))),
        (
            "Open311 POST requests",
            lambda: Client().post(
                "/open311/v2/requests.json",
                {
                    "api_key": raw,
                    "service_code": "environment",
                    "description": "路灯不亮",
                    "address_string": "蒙自路1号",
                },
                HTTP_IDEMPOTENCY_KEY=str(time.monotonic()),
            ),
        ),
    ]


def assert_all_answer_fast(calls, limit=1.0):
    for name, call in calls:
        response, took = timed(call)
        assert 200 <= response.status_code < 300, (name, response.status_code, response.content[:300])
        assert took < limit, f"{name} took {took:.2f} s"


def test_keyed_calls_answer_2xx_within_a_second_while_redis_is_hung_then_killed(redis_cache, raw_key, zone, caplog):
    ticket = make_ticket(zone=zone)
    calls = keyed_calls(raw_key, zone, ticket)
    assert_all_answer_fast(calls)  # the key is cached and counted in our Redis

    redis_cache.hang()
    try:
        with caplog.at_level(logging.WARNING, logger="core.redis_pause"):
            assert_all_answer_fast(calls)
            warnings = [record.getMessage() for record in caplog.records if record.name == "core.redis_pause"]
            assert len(warnings) == 1 and "not throttled" in warnings[0]  # once, not once a request
            redis_reset()  # as a worker that has not met the hung Redis yet would
            assert_all_answer_fast(calls)
    finally:
        redis_cache.resume()

    redis_cache.kill()
    redis_reset()
    assert_all_answer_fast(calls)


def test_the_throttle_still_counts_when_redis_answers_again(redis_cache, raw_key, zone):
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    redis_cache.hang()
    try:
        assert client.get("/api/v1/categories/").status_code == 200
    finally:
        redis_cache.resume()
    redis_reset()
    assert client.get("/api/v1/categories/").status_code == 200
    counters = list(redis_cache.client().keys("*throttle*"))
    assert counters, "the request after the hang was counted in Redis again"


def test_signing_in_does_not_wait_on_a_hung_redis(redis_cache, client):
    from tests.factories import UserFactory

    user = UserFactory(username="clerk")
    user.set_password("a-long-passphrase")
    user.save()
    redis_cache.hang()
    try:
        response, took = timed(
            lambda: client.post("/accounts/login/", {"username": "clerk", "password": "a-long-passphrase"})
        )
    finally:
        redis_cache.resume()
    assert response.status_code == 302 and took < 1.0


def test_a_cached_key_saves_the_database_its_lookups(redis_cache, raw_key, django_assert_max_num_queries):
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    client.get("/api/v1/categories/")  # read from PostgreSQL, cached
    with django_assert_max_num_queries(1):  # the categories only
        assert client.get("/api/v1/categories/").status_code == 200


# Revocation. These commit, as `manage.py partner_key revoke` does, so that what runs on
# commit runs.


def revoke(prefix) -> tuple[str, float]:
    out = StringIO()
    start = time.monotonic()
    call_command("partner_key", "revoke", prefix, stdout=out)
    return out.getvalue(), time.monotonic() - start


@pytest.mark.django_db(transaction=True)
def test_revoking_with_redis_well_takes_effect_at_once_and_says_so(redis_cache, raw_key):
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert client.get("/api/v1/categories/").status_code == 200  # cached

    said, took = revoke(PartnerKey.objects.get().prefix)

    assert said.startswith("Revoked zt_") and "waited" not in said and took < 1.0
    assert client.get("/api/v1/categories/").status_code == 401
    assert "was already revoked at" in revoke(PartnerKey.objects.get().prefix)[0]


@pytest.mark.django_db(transaction=True)
def test_revoking_while_redis_is_hung_holds_from_the_next_request_and_after_redis_resumes(redis_cache, raw_key):
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert client.get("/api/v1/categories/").status_code == 200  # cached in Redis for the next requests
    prefix = PartnerKey.objects.get().prefix

    redis_cache.hang()
    try:
        said, took = revoke(prefix)  # no traceback: the command returns
        assert said.startswith(f"Revoked {prefix}: refused from the next request on.")
        assert "Redis did not answer" in said and "waited" in said
        assert took < 5.0
        assert client.get("/api/v1/categories/").status_code == 401
    finally:
        redis_cache.resume()
    redis_reset()  # a worker that never saw Redis fail reads Redis first
    for _ in range(3):
        assert client.get("/api/v1/categories/").status_code == 401
    assert PartnerKey.objects.get().revoked_at is not None


@pytest.mark.django_db(transaction=True)
def test_revocation_holds_when_the_revoker_cannot_reach_the_redis_that_readers_use(
    redis_cache, raw_key, tmp_path, settings
):
    """The revoke cannot clear the cached copy (its Redis hangs) while readers read that copy
    from a Redis that answers: the copy has lapsed by the time the command returns."""
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert client.get("/api/v1/categories/").status_code == 200  # cached in the readers' Redis
    prefix = PartnerKey.objects.get().prefix
    (tmp_path / "unreachable").mkdir()
    unreachable = RedisProcess(tmp_path / "unreachable").start()
    unreachable.hang()
    try:
        with override_settings(CACHES=cache_settings(unreachable.url, settings.REDIS_TIMEOUT_SECONDS)):
            said, _took = revoke(prefix)
    finally:
        unreachable.kill()
    assert "waited" in said
    redis_reset()

    assert client.get("/api/v1/categories/").status_code == 401


def test_a_cached_copy_counts_only_for_seconds_after_it_was_read_whatever_redis_keeps(redis_cache, raw_key):
    from api.authentication import KeyCache, partner_key_for

    key = partner_key_for(raw_key)
    _, epoch, version = KeyCache.get(key.prefix)
    KeyCache.offer(key, epoch, time.time() - KeyCache.SECONDS + 0.5)
    assert KeyCache.get(key.prefix)[0] is not None
    KeyCache.offer(key, epoch, time.time() - KeyCache.SECONDS - 0.01)
    assert redis_cache.client().get(f":1:api:key2:{key.prefix}") is not None
    assert KeyCache.get(key.prefix) == (None, epoch, version)


@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_changes_a_key_several_times_waits_once(redis_cache, raw_key):
    from django.db import transaction

    from api.authentication import KeyCache
    from tests.factories import StreetFactory

    key, other = PartnerKey.objects.get(), StreetFactory()
    redis_cache.hang()
    try:
        with KeyCache.watch() as outcomes:
            start = time.monotonic()
            with transaction.atomic():
                key.name = "renamed"
                key.save()
                key.streets.add(other)
                key.streets.remove(other)
            took = time.monotonic() - start
    finally:
        redis_cache.resume()
    assert [outcome for outcome, _seconds in outcomes] == ["waited"]
    assert took < 3.5

"""/healthz, the sweep's record of its last run, the admin's warning when it is late, and a
persistent database connection that the server dropped (issue 14, items 5, 10 and 11)."""

import datetime as dt
import time

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from api.cache import redis_reset
from escalation.models import SweepRun
from escalation.sweep import SweepReport, sweep_run_record, sweep_status
from tests.redis_process import cache_settings, own_redis  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def test_healthz_reports_each_part(client, settings):
    settings.ZHITONG_SWEEP_INTERVAL_SECONDS = 60
    sweep_run_record(SweepReport(), took_seconds=0.01, now=timezone.now() - dt.timedelta(seconds=30))

    answer = client.get("/healthz")

    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok"
    assert [body[part]["state"] for part in ("database", "cache", "broker", "sweep")] == ["ok"] * 4
    assert body["sweep"]["late_after_seconds"] == 180 and 29 <= body["sweep"]["age_seconds"] <= 40


def test_a_late_or_missing_sweep_degrades_health_but_keeps_200(client, settings):
    settings.ZHITONG_SWEEP_INTERVAL_SECONDS = 60
    never = client.get("/healthz")
    sweep_run_record(SweepReport(), took_seconds=0.01, now=timezone.now() - dt.timedelta(minutes=4))
    late = client.get("/healthz")

    assert never.status_code == late.status_code == 200
    assert (never.json()["status"], never.json()["sweep"]["state"]) == ("degraded", "never")
    assert (late.json()["status"], late.json()["sweep"]["state"]) == ("degraded", "late")


def test_healthz_names_a_hung_redis_cache_and_broker_and_still_answers_at_once(client, settings, own_redis):  # noqa: F811
    settings.CACHES = cache_settings(own_redis.url, settings.REDIS_TIMEOUT_SECONDS)
    settings.CELERY_BROKER_URL = own_redis.url
    sweep_run_record(SweepReport(), took_seconds=0.01)
    own_redis.hang()
    try:
        start = time.monotonic()
        answer = client.get("/healthz")
        took = time.monotonic() - start
    finally:
        own_redis.resume()
        redis_reset()

    body = answer.json()
    assert answer.status_code == 200 and body["status"] == "degraded"
    assert (body["database"]["state"], body["cache"]["state"], body["broker"]["state"]) == ("ok", "down", "down")
    assert body["sweep"]["state"] == "ok"
    assert took < 1.5  # the cache's socket timeout, then the broker's


def test_the_scheduled_sweep_records_each_run():
    from escalation.tasks import sweep_overdue_tickets

    assert sweep_status().state == "never"
    sweep_overdue_tickets()
    first = SweepRun.objects.get()
    sweep_overdue_tickets()

    status = sweep_status()
    assert status.state == "ok" and status.last_run > first.finished_at
    assert SweepRun.objects.count() == 1 and "escalated 0" in SweepRun.objects.get().report


def test_the_admin_front_page_says_when_the_sweep_is_late(admin_client, settings):
    settings.ZHITONG_SWEEP_INTERVAL_SECONDS = 60
    settings.LANGUAGE_CODE = "en"

    never = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    sweep_run_record(SweepReport(), took_seconds=0.01, now=timezone.now() - dt.timedelta(minutes=12))
    late = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    sweep_run_record(SweepReport(), took_seconds=0.01)
    fine = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "The deadline sweep has not run yet; it should run every 60 seconds." in never
    assert "The deadline sweep last ran 12\xa0minutes ago" in late and "Celery beat" in late
    assert 'id="sweep-late"' not in fine and "Site administration" in fine
    zh = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="sweep-late"' not in zh


def test_the_admin_front_page_warns_in_chinese_too(admin_client):
    page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="sweep-late"' in page and "时限巡检" in page


def wsgi_get(handler, path) -> str:
    """A request through Django's WSGI handler as gunicorn makes it: with the request_started
    and request_finished signals that manage persistent connections (the test client skips
    those)."""
    status = []
    body = b"".join(handler(RequestFactory().get(path).environ, lambda s, headers: status.append(s)))
    return status[0], body


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("health_checks", [True, False])
def test_a_persistent_connection_the_server_dropped_is_replaced_before_use(health_checks, settings):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True  # base settings, for every environment
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=health_checks)
    handler = WSGIHandler()
    try:
        assert wsgi_get(handler, "/healthz")[0].startswith("200")
        backend = connection.connection.info.backend_pid  # kept open for the next request
        db = connection.settings_dict
        other = psycopg.connect(
            dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"]
        )
        try:
            other.autocommit = True
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [backend])  # as a PostgreSQL restart would
                for _ in range(100):
                    cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [backend])
                    if cursor.fetchone()[0] == 0:
                        break
                    time.sleep(0.02)
        finally:
            other.close()

        status, body = wsgi_get(handler, "/healthz")
        if health_checks:
            assert status.startswith("200") and b'"database": {"state": "ok"}' in body
        else:  # what CONN_MAX_AGE without CONN_HEALTH_CHECKS did: this request fails
            assert status.startswith("503") and b'"database": {"state": "down"}' in body
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

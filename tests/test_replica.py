"""The read replica (core.replica), against a real streaming replica: a primary of the test's
own (initdb, on a free port) and a hot standby made from it with pg_basebackup. Django's
`default` and `replica` connections point at them for these tests only; the rest of the suite
never has a replica, as `make run` has none unless DATABASE_REPLICA_URL is set."""

import datetime as dt
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import replica as replica_module
from core.clock import SHANGHAI
from core.replica import PIN_COOKIE, ReplicaRouter, on_replica
from escalation import transitions
from grievances.models import Category, Ticket
from reports.models import MonthlyReport
from reports.selectors import ReportUnit, statistics
from reports.services import monthly_report_generate
from responders.models import User
from responders.selectors import EVERYTHING
from tests.factories import UserFactory, make_ticket, staffed_zone
from tests.postgres_process import PrimaryAndReplica

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
DBNAME = "zhitong_replica_test"


@pytest.fixture(scope="module")
def clusters():
    servers = PrimaryAndReplica()
    try:
        servers.start(DBNAME)
        # The schema is made on the primary and reaches the replica by streaming.
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings.test",
                "DATABASE_URL": servers.primary.url(DBNAME),
            },
            check=True,
            capture_output=True,
        )
        servers.caught_up()
        yield servers
    finally:
        servers.close()


@pytest.fixture
def servers(clusters, django_db_blocker, monkeypatch):
    """Django's `default` on the test's primary and `replica` on its standby, as settings.base
    builds them from DATABASE_URL and DATABASE_REPLICA_URL."""
    handler = connections
    saved = handler.settings
    primary = {
        **saved["default"],
        "NAME": DBNAME,
        "HOST": "127.0.0.1",
        "PORT": clusters.primary.port,
        "USER": "postgres",
        "PASSWORD": "",
        "CONN_MAX_AGE": 0,
    }
    replica = {
        **primary,
        "PORT": clusters.replica.port,
        "OPTIONS": {"connect_timeout": 2},
        "TEST": {"MIRROR": "default"},
    }
    monkeypatch.setattr(replica_module, "_down_until", 0.0)
    with django_db_blocker.unblock():
        handler.close_all()
        handler.settings = {**saved, "default": primary, "replica": replica}
        for alias in ("default", "replica"):
            if hasattr(handler._connections, alias):
                delattr(handler._connections, alias)
        try:
            yield clusters
        finally:
            clusters.resume_replay()
            handler.close_all()
            for alias in ("default", "replica"):
                if hasattr(handler._connections, alias):
                    delattr(handler._connections, alias)
            handler.settings = saved


def replica_queries(work):
    """Run `work()`; return its result and how many queries it sent to the replica."""
    with CaptureQueriesContext(connections["replica"]) as on_replica_log:
        result = work()
    return result, len(on_replica_log.captured_queries)


def new_category(code: str) -> Category:
    return Category.objects.create(code=code, name=code, name_en=code)


def test_writes_go_to_the_primary_and_only_the_named_reads_to_the_replica(servers):
    # given: a replica that has stopped replaying what the primary writes
    servers.pause_replay()

    # when: a row is written, then read inside and outside on_replica
    new_category("replica-lag")
    seen_on_replica, asked = replica_queries(lambda: on_replica(Category.objects.filter(code="replica-lag").exists))
    seen_elsewhere, not_asked = replica_queries(Category.objects.filter(code="replica-lag").exists)

    # then: the write is on the primary; only the read named for the replica went there
    assert servers.primary.scalar("SELECT count(*) FROM grievances_category WHERE code = 'replica-lag'", DBNAME) == 1
    assert (seen_on_replica, asked) == (False, 1)
    assert (seen_elsewhere, not_asked) == (True, 0)
    assert ReplicaRouter().db_for_write(Category) == "default"

    # and once the replica catches up, it has the row
    servers.resume_replay()
    servers.caught_up()
    assert on_replica(Category.objects.filter(code="replica-lag").exists) is True


def test_a_read_after_a_write_in_the_same_read_sees_it(servers):
    servers.pause_replay()

    def write_then_read():
        new_category("own-write")
        return Category.objects.filter(code="own-write").exists()

    def in_a_transaction():
        with transaction.atomic():
            return Category.objects.filter(code="own-write").exists()

    seen, asked = replica_queries(lambda: on_replica(write_then_read))
    assert (seen, asked) == (True, 0)
    # Inside a transaction on the primary, reads stay with it.
    seen, asked = replica_queries(lambda: on_replica(in_a_transaction))
    assert (seen, asked) == (True, 0)


def test_after_a_post_the_browser_reads_from_the_primary_and_a_404_is_asked_again(servers):
    # given: a street leader with last month's data, the replica caught up, then paused
    zone = staffed_zone()
    street = zone.committee.street
    ticket = make_ticket(zone=zone)
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=dt.datetime.combine(last_month, dt.time(10), tzinfo=SHANGHAI))
    leader = User.objects.get(street=street, role=User.Role.STREET_LEADER)
    browser = Client()
    browser.force_login(leader)
    servers.caught_up()
    servers.pause_replay()

    # when: the leader issues last month's report (a POST) and is sent to it
    issued = browser.post(
        reverse("report_generate"), {"street": street.pk, "month": f"{last_month:%Y-%m}", "confirm": "1"}
    )
    report = MonthlyReport.objects.get(street=street, month=last_month)
    assert issued.status_code == 302 and issued.url == reverse("report", args=[report.pk])
    assert issued.cookies[PIN_COOKIE]["max-age"] == 10
    page, asked = replica_queries(lambda: browser.get(issued.url))

    # then: the page was read from the primary, which has the report the replica lacks
    assert page.status_code == 200 and asked == 0
    assert servers.replica.scalar(f"SELECT count(*) FROM reports_monthlyreport WHERE id = {report.pk}", DBNAME) == 0

    # when the pin has lapsed, the replica is asked first; its 404 is asked again of the primary
    browser.cookies.pop(PIN_COOKIE)
    page, asked = replica_queries(lambda: browser.get(issued.url))
    assert page.status_code == 200 and asked > 0
    # and a page whose rows the replica has is answered by it alone
    servers.resume_replay()
    servers.caught_up()
    with CaptureQueriesContext(connections["default"]) as on_primary:
        page, asked = replica_queries(lambda: browser.get(issued.url))
    assert page.status_code == 200 and asked > 0
    assert not [q for q in on_primary.captured_queries if "reports_monthlyreport" in q["sql"]]
    # Screens that are not named keep to the primary.
    queue, asked = replica_queries(lambda: browser.get(reverse("queue")))
    assert queue.status_code == 200 and asked == 0


def test_a_monthly_report_counted_on_the_replica_equals_the_primarys(servers):
    # given: a month of tickets on one street: one resolved with feedback, one cancelled, one open
    zone = staffed_zone()
    street = zone.committee.street
    settled, withdrawn, waiting = make_ticket(zone=zone), make_ticket(zone=zone), make_ticket(zone=zone)
    transitions.ticket_resolve(ticket=settled, actor="test", outcome="solved")
    transitions.ticket_record_feedback(ticket=settled, actor="test", satisfaction="satisfied", collected_via="phone")
    transitions.ticket_cancel(ticket=withdrawn, actor="test", reason="withdrawn")
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    for day, ticket in enumerate((settled, withdrawn, waiting), start=3):
        moment = dt.datetime.combine(last_month.replace(day=day), dt.time(10), tzinfo=SHANGHAI)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=moment)
    servers.caught_up()
    month = (last_month, timezone.localdate().replace(day=1))
    unit = ReportUnit(street_id=street.pk)

    # when: the figures are counted on the primary, on the replica, and issued by beat's path
    on_primary, asked_primary = replica_queries(lambda: statistics(EVERYTHING, unit, *month))
    counted, asked_replica = replica_queries(lambda: on_replica(statistics, EVERYTHING, unit, *month))
    issued, asked_issuing = replica_queries(lambda: monthly_report_generate(street=street, month=last_month))

    # then: the same figures, and the replica did the counting
    assert asked_primary == 0 and asked_replica > 0 and asked_issuing > 0
    assert counted == on_primary
    assert on_primary["headline"]["received"] == 2 and on_primary["headline"]["cancelled"] == 1
    issued.refresh_from_db()
    assert issued.data["headline"] == on_primary["headline"]


def test_a_replica_that_is_down_sends_reads_to_the_primary_with_a_warning(servers, caplog):
    # given: a leader's dashboard, then the replica stopped
    zone = staffed_zone()
    make_ticket(zone=zone)
    leader = UserFactory(role=User.Role.STREET_LEADER, street=zone.committee.street)
    browser = Client()
    browser.force_login(leader)
    servers.caught_up()
    assert browser.get(reverse("dashboard")).status_code == 200
    servers.replica.stop("immediate")
    try:
        # when
        with caplog.at_level(logging.WARNING, logger="core.replica"):
            started = time.monotonic()
            page = browser.get(reverse("dashboard"))
            took = time.monotonic() - started
            again = browser.get(reverse("dashboard"))

        # then: the page from the primary, quickly, and one warning (the replica is left alone)
        assert page.status_code == 200 and again.status_code == 200
        assert took < 5
        warnings = [r for r in caplog.records if r.name == "core.replica"]
        assert len(warnings) == 1 and "Read replica unavailable" in warnings[0].getMessage()
        assert on_replica(Category.objects.filter(code="environment").exists) is True
    finally:
        servers.replica.start()


def test_a_read_that_fails_on_the_replica_midway_is_run_again_on_the_primary(servers, caplog):
    # given: a read whose replica connection is cut between its two queries (a standby's
    # query cancelled for a conflict with replay fails the same way)
    servers.caught_up()
    attempts = []

    def read():
        attempts.append(1)
        first = Category.objects.count()
        if len(attempts) == 1:
            servers.replica.scalar(
                f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{DBNAME}'"
            )
        return first, Category.objects.count()

    # when
    with caplog.at_level(logging.WARNING, logger="core.replica"):
        counted = on_replica(read)

    # then: the primary's answer, after one warning
    total = Category.objects.count()
    assert counted == (total, total) and len(attempts) == 2
    assert [r.getMessage()[:25] for r in caplog.records if r.name == "core.replica"] == ["Read replica unavailable "]


def test_open311_public_reads_go_to_the_replica_and_keyed_ones_stay_on_the_primary(servers):
    servers.caught_up()
    services = "/open311/v2/services.json"

    public, asked_public = replica_queries(lambda: Client().get(services))
    keyed, asked_keyed = replica_queries(lambda: Client().get(services, {"api_key": "zt_none.of-these"}))

    assert public.status_code == 200 and any(row["service_code"] == "environment" for row in public.json())
    assert asked_public > 0
    assert asked_keyed == 0

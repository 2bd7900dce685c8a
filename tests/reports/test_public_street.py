"""The public street page (/public/<code>/): the report's figures for anyone, no names and no
addresses, served from Redis and refreshed by what changes them, embeddable where allowed."""

import datetime as dt
import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from core.clock import SHANGHAI
from escalation import transitions
from grievances.models import Ticket
from reports import public
from reports.selectors import ReportUnit, statistics
from reports.services import monthly_report_generate
from responders.selectors import EVERYTHING
from tests.factories import HouseholdFactory, make_ticket
from tests.redis_process import cache_settings, own_redis  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def _last_month() -> dt.date:
    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _settled(ticket, satisfaction="satisfied", now=None):
    ticket = transitions.ticket_resolve(ticket=ticket, actor="test", outcome="solved", reason="已处理", now=now)
    transitions.ticket_record_feedback(
        ticket=ticket, actor="test", satisfaction=satisfaction, collected_via="phone", now=now
    )
    return ticket


def _page(street):
    response = Client().get(f"/public/{street.code}/")
    assert response.status_code == 200
    return response


def _figure(response, month: str, name: str) -> str:
    """The text of one figure of one month's card."""
    html = response.content.decode()
    card = html[html.index(f'data-testid="{month}"') :]
    start = card.index(f'data-testid="{name}">') + len(f'data-testid="{name}">')
    return card[start : card.index("<", start)]


def test_the_page_says_what_the_issued_report_says_and_counts_this_month_the_same_way(zone):
    # given: last month's tickets and its issued report, and this month's tickets
    street = zone.committee.street
    day = dt.datetime.combine(_last_month() + dt.timedelta(days=9), dt.time(10), tzinfo=SHANGHAI)
    last = [make_ticket(zone=zone, now=day, category=code) for code in ("environment", "environment", "housing")]
    _settled(last[0], now=day + dt.timedelta(hours=2))
    _settled(last[1], "dissatisfied", now=day + dt.timedelta(hours=3))
    report = monthly_report_generate(street=street, month=_last_month())
    _settled(last[2])  # after the report was issued: the issued figures stand
    for _ in range(3):
        make_ticket(zone=zone, category="policy")
    _settled(make_ticket(zone=zone, category="housing"), "basically_satisfied")

    # when
    figures = public.public_figures(street.pk)
    response = _page(street)

    # then: last month is the issued report's, this month counted as the report counts
    head = report.data["headline"]
    last_month = figures["last_month"]
    assert last_month["issued"] is True
    assert (
        (last_month["received"], last_month["resolution_rate"], last_month["satisfaction_rate"])
        == (
            head["received"],
            head["resolution_rate"],
            head["satisfaction_rate"],
        )
        == (3, round(2 / 3, 4), 0.5)
    )
    assert last_month["pyramid"] == head["pyramid"]
    assert [row["code"] for row in last_month["categories"]] == [row["key"] for row in report.data["by_category"]]
    today = timezone.localdate()
    now = statistics(EVERYTHING, ReportUnit(street_id=street.pk), today.replace(day=1), today + dt.timedelta(days=1))
    this_month = figures["this_month"]
    for name in ("received", "response_rate", "resolution_rate", "satisfaction_rate", "pyramid"):
        assert this_month[name] == now["headline"][name], name
    assert this_month["received"] == 4
    assert [row["code"] for row in this_month["categories"]] == ["policy", "housing"]
    # and the page shows them
    assert _figure(response, "last-month", "received") == "3"
    assert _figure(response, "last-month", "resolution-rate") == "66.7%"
    assert _figure(response, "this-month", "received") == "4"
    assert _figure(response, "this-month", "satisfaction-rate") == "100.0%"


def test_no_names_no_phones_no_addresses(zone):
    household = HouseholdFactory(zone=zone, address="瞿溪路 600 弄 2 号 301 室", contact_name="王芳")
    make_ticket(zone=zone, household=household, reporter_name="李建国", reporter_phone="13912345678")
    make_ticket(zone=zone, address="丽园路 88 号门口", description="路灯不亮")

    text = _page(zone.committee.street).content.decode()

    for word in ("王芳", "李建国", "13912345678", "13812345678", "瞿溪路", "丽园路", "路灯不亮", zone.name):
        assert word not in text, word
    assert "包干领导" not in text and "居委干部" not in text  # nor staff


def test_a_closed_ticket_refreshes_the_cached_figures(zone, django_capture_on_commit_callbacks):
    street = zone.committee.street
    ticket = make_ticket(zone=zone)
    first = _page(street)
    assert _figure(first, "this-month", "resolution-rate") == "0.0%"

    # a change no signal announces is not seen: the figures are served from the cache
    created_at = ticket.created_at
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created_at - dt.timedelta(days=62))
    assert _figure(_page(street), "this-month", "received") == "1"
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created_at)

    # the ticket resolved and closed with the resident's verdict: the next reader sees it
    with django_capture_on_commit_callbacks(execute=True):
        _settled(ticket)
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"
    refreshed = _page(street)
    assert _figure(refreshed, "this-month", "resolution-rate") == "100.0%"
    assert _figure(refreshed, "this-month", "satisfaction-rate") == "100.0%"


def test_the_page_is_served_from_the_cache_with_no_query(zone, django_assert_num_queries):
    street = zone.committee.street
    make_ticket(zone=zone)
    _page(street)  # computes and keeps them
    with django_assert_num_queries(0):  # the street's id, its figures and the page: all from Redis
        _page(street)


def test_a_newly_issued_report_refreshes_last_month(zone, django_capture_on_commit_callbacks):
    street = zone.committee.street
    day = dt.datetime.combine(_last_month() + dt.timedelta(days=3), dt.time(10), tzinfo=SHANGHAI)
    make_ticket(zone=zone, now=day)
    assert public.public_figures(street.pk)["last_month"]["issued"] is False

    with django_capture_on_commit_callbacks(execute=True):
        monthly_report_generate(street=street, month=_last_month())

    assert public.public_figures(street.pk)["last_month"]["issued"] is True


def test_redis_not_answering_the_page_is_computed(zone, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    for method in ("get", "get_many", "set", "add", "delete"):
        monkeypatch.setattr(cache, method, down)
    make_ticket(zone=zone)
    assert _figure(_page(zone.committee.street), "this-month", "received") == "1"


def test_a_hung_redis_costs_one_wait_not_one_per_cache_call(zone, own_redis, settings):  # noqa: F811
    """The page asks Redis three times (the street's id, its figures, the rendered page): with
    Redis hung, the first reader waits out one socket timeout, and readers just after none."""
    timeout = 1.0
    settings.CACHES = cache_settings(own_redis.url, timeout)
    make_ticket(zone=zone)
    street = zone.committee.street
    assert _figure(_page(street), "this-month", "received") == "1"  # kept in our Redis
    own_redis.hang()
    try:
        started = time.monotonic()
        first = _page(street)
        first_took = time.monotonic() - started
        started = time.monotonic()
        second = _page(street)
        second_took = time.monotonic() - started
    finally:
        own_redis.resume()
    assert _figure(first, "this-month", "received") == _figure(second, "this-month", "received") == "1"
    assert timeout <= first_took < 2 * timeout, f"the first reader waited {first_took:.2f} s"
    assert second_took < timeout, f"the next reader waited {second_took:.2f} s"


def test_a_stale_copy_is_served_while_another_reader_recomputes(zone, django_capture_on_commit_callbacks):
    street = zone.committee.street
    make_ticket(zone=zone)
    assert public.public_figures(street.pk)["this_month"]["received"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(zone=zone)  # marks the figures stale
    _figures, _fresh, lock = public._keys(street.pk)
    cache.add(lock, 1, 30)  # another reader is recomputing them
    assert public.public_figures(street.pk)["this_month"]["received"] == 1
    cache.delete(lock)
    assert public.public_figures(street.pk)["this_month"]["received"] == 2


def test_it_is_framed_only_by_the_sites_the_setting_names(zone, settings):
    street = zone.committee.street
    closed = _page(street)
    assert closed["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in closed["Content-Security-Policy"]

    settings.ZHITONG_PUBLIC_EMBED_ORIGINS = ["https://www.wlq.example.gov.cn"]
    open_to_one = _page(street)
    assert "X-Frame-Options" not in open_to_one
    assert "frame-ancestors https://www.wlq.example.gov.cn" in open_to_one["Content-Security-Policy"]
    # every other page stays closed to frames
    assert Client().get("/accounts/login/")["X-Frame-Options"] == "DENY"


def test_an_unknown_street_is_404_and_the_page_needs_no_login():
    assert Client().get("/public/NOPE/").status_code == 404


def test_each_language_has_its_own_kept_page(zone):
    street = zone.committee.street
    make_ticket(zone=zone)
    chinese = Client().get(f"/public/{street.code}/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    english = Client().get(f"/public/{street.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    again = Client().get(f"/public/{street.code}/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "本月以来" in chinese and chinese == again
    assert "This month so far" in english and "本月以来" not in english

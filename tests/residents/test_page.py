"""The resident's page and its look-up: what it shows, to whom, and how it resists guessing."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from escalation import transitions
from residents import tokens
from residents.models import ResidentMessage
from tests.factories import make_ticket, staffed_zone

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


def page_path(ticket):
    return tokens.page_path(ticket, tokens.resident_phone(ticket))


def test_wrong_links_are_404_and_too_many_are_429(settings):
    settings.ZHITONG_RESIDENT_LOOKUPS_PER_ADDRESS = 4
    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生")
    client = Client()
    key = tokens.page_key(ticket.pk, PHONE)
    assert client.get(page_path(ticket)).status_code == 200
    # a key for another phone, another ticket's key, a mangled key, no such ticket
    assert client.get(f"/r/{ticket.pk}/{tokens.page_key(ticket.pk, '13900000000')}/").status_code == 404
    other = make_ticket(reporter_phone="13900000000", reporter_name="李")
    assert client.get(f"/r/{other.pk}/{key}/").status_code == 404
    assert client.get(f"/r/{ticket.pk}/{key[:-1]}x/").status_code == 404
    assert client.get(f"/r/{ticket.pk + 999}/{key}/").status_code == 404
    # the address is now blocked, even for a right link, for the window
    assert client.get(page_path(ticket)).status_code == 429
    # another address is not
    assert Client(REMOTE_ADDR="203.0.113.9").get(page_path(ticket)).status_code == 200


def test_a_link_ends_30_days_after_closing(settings):
    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生")
    owner = ticket.owner
    ticket = transitions.ticket_resolve(ticket=ticket, actor=owner, outcome="solved")
    ticket = transitions.ticket_close(ticket=ticket, actor="sweep", note="window over")
    assert tokens.link_valid(ticket, ticket.closed_at + dt.timedelta(days=29))
    assert not tokens.link_valid(ticket, ticket.closed_at + dt.timedelta(days=30))
    type(ticket).objects.filter(pk=ticket.pk).update(closed_at=timezone.now() - dt.timedelta(days=31))
    assert Client().get(page_path(ticket)).status_code == 404


def test_an_expired_links_404_does_not_put_its_key_in_the_log():
    """The log's reader must not be able to open the resident's page (config.logfilters)."""
    import io
    import logging

    from config.logfilters import RedactSecrets

    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生")
    key = tokens.page_key(ticket.pk, PHONE)
    ticket = transitions.ticket_resolve(ticket=ticket, actor=ticket.owner, outcome="solved")
    ticket = transitions.ticket_close(ticket=ticket, actor="sweep", note="window over")
    type(ticket).objects.filter(pk=ticket.pk).update(closed_at=timezone.now() - dt.timedelta(days=31))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets())  # as the configured console handler has it
    logging.getLogger("django.request").addHandler(handler)
    try:
        assert Client().get(f"/r/{ticket.pk}/{key}/").status_code == 404
        survey_line = ('"GET %s" 200', (f"/q/{key}x9/",))
        record = logging.LogRecord("django.server", logging.INFO, __file__, 1, *survey_line, None)
        logging.getLogger("django.server").handlers[0].filter(record)
    finally:
        logging.getLogger("django.request").removeHandler(handler)
    logged = stream.getvalue()
    assert f"/r/{ticket.pk}/[redacted]/" in logged and key not in logged
    assert record.getMessage() == '"GET /q/[redacted]/" 200'


def test_a_changed_phone_ends_the_link():
    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生")
    path = page_path(ticket)
    type(ticket).objects.filter(pk=ticket.pk).update(reporter_phone="")
    assert Client().get(path).status_code == 404


def test_the_lookup_finds_the_page_by_reference_and_last_four_digits():
    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生")
    client = Client()
    assert client.get("/r/").status_code == 200
    found = client.post("/r/", {"reference": ticket.reference.lower(), "digits": "5678"})
    assert found.status_code == 302 and found["Location"] == page_path(ticket)
    wrong = client.post("/r/", {"reference": ticket.reference, "digits": "1234"})
    assert wrong.status_code == 404 and "没有找到" in wrong.content.decode()
    assert client.post("/r/", {"reference": "NOPE-2026-000001", "digits": "5678"}).status_code == 404
    bad = client.post("/r/", {"reference": ticket.reference, "digits": "56a8"})
    assert bad.status_code == 400 and "后四位" in bad.content.decode()


def test_a_reference_is_locked_after_repeated_misses_from_anywhere(settings):
    settings.ZHITONG_RESIDENT_MISSES_PER_REFERENCE = 3
    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生")
    for n, digits in enumerate(["0000", "1111", "2222"]):
        client = Client(REMOTE_ADDR=f"198.51.100.{n}")
        assert client.post("/r/", {"reference": ticket.reference, "digits": digits}).status_code == 404
    # now even the right digits, from a new address, wait for the lock to pass
    locked = Client(REMOTE_ADDR="198.51.100.99").post("/r/", {"reference": ticket.reference, "digits": "5678"})
    assert locked.status_code == 429 and "分钟后再试" in locked.content.decode()


def test_an_address_is_limited_across_references(settings):
    settings.ZHITONG_RESIDENT_LOOKUPS_PER_ADDRESS = 2
    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生")
    client = Client()
    client.post("/r/", {"reference": "A-2026-000001", "digits": "0000"})
    client.post("/r/", {"reference": "B-2026-000001", "digits": "0000"})
    assert client.post("/r/", {"reference": ticket.reference, "digits": "5678"}).status_code == 429


def test_without_redis_the_lookup_refuses_rather_than_counts_nothing(monkeypatch):
    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生")

    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("Redis is down")

            return fail

    monkeypatch.setattr("residents.limits.cache", Down())
    monkeypatch.setattr("residents.views.cache", Down())
    response = Client().post("/r/", {"reference": ticket.reference, "digits": "5678"})
    assert response.status_code == 503 and "暂时无法查询" in response.content.decode()
    # the link itself still opens: its key is what protects it
    assert Client().get(page_path(ticket)).status_code == 200


def test_the_page_shows_only_resident_facing_words_and_never_another_residents_data():
    zone = staffed_zone()
    mine = make_ticket(zone=zone, reporter_phone=PHONE, reporter_name="王先生", description="我家楼道灯坏了")
    theirs = make_ticket(zone=zone, reporter_phone="13900001111", reporter_name="李女士", description="邻居家漏水")
    member = mine.owner
    transitions.ticket_acknowledge(ticket=mine, actor=member, note="内部备注：先打电话给物业张经理")
    transitions.ticket_escalate(ticket=mine, actor=member, reason="片区内无法协调，内部讨论")
    html = Client().get(page_path(mine)).content.decode()
    assert "我家楼道灯坏了" in html and "已转交居委会办理" in html and zone.committee.name in html
    for secret in [
        "内部备注",
        "张经理",
        "内部讨论",
        member.full_name,
        "包干领导",
        "居委干部",
        "街道干部",
        "王先生",
        PHONE,
        "邻居家漏水",
        "李女士",
        "13900001111",
        theirs.reference,
    ]:
        assert secret not in html, secret


def test_the_page_speaks_english_after_the_switch():
    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生")
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": page_path(ticket)})
    html = client.get(page_path(ticket)).content.decode()
    assert "What you asked" in html and "Request received" in html


def test_the_page_takes_a_fixed_number_of_queries(django_assert_num_queries):
    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生")
    transitions.ticket_start(ticket=ticket, actor=ticket.owner)
    client = Client()
    # the ticket (and its phone's opt-out), and the events to render the timeline
    with django_assert_num_queries(2):
        assert client.get(page_path(ticket)).status_code == 200
    # then the timeline and the status come from the cache until the ticket changes
    with django_assert_num_queries(1):
        assert "开始办理" in client.get(page_path(ticket)).content.decode()
    # a change bumps the version: the next view renders afresh
    ticket = transitions.ticket_resolve(ticket=ticket, actor=ticket.owner, outcome="solved")
    assert "已办结" in client.get(page_path(ticket)).content.decode()


def test_a_verdict_needs_a_reason_when_dissatisfied():
    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生")
    transitions.ticket_resolve(ticket=ticket, actor=ticket.owner, outcome="solved")
    response = Client().post(f"{page_path(ticket)}verdict/", {"satisfaction": "dissatisfied", "comment": " "})
    assert response.status_code == 400 and "不满意的原因" in response.content.decode()
    response = Client().post(f"{page_path(ticket)}verdict/", {"satisfaction": "very"})
    assert response.status_code == 400
    assert Client().post(f"{page_path(ticket)}verdict/", {"satisfaction": "satisfied"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "closed"


def test_no_verdict_before_the_ticket_is_resolved():
    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生")
    html = Client().get(page_path(ticket)).content.decode()
    assert "提交评价" not in html
    assert Client().post(f"{page_path(ticket)}verdict/", {"satisfaction": "satisfied"}).status_code == 409
    assert ResidentMessage.objects.filter(ticket=ticket).count() == 1


def test_the_page_knows_an_opt_out_whatever_way_the_number_was_stored():
    from residents.services import sms_opt_out

    plain = make_ticket(reporter_phone=PHONE, reporter_name="王先生")
    spaced = make_ticket(reporter_phone="+86 138 1234 5678", reporter_name="王先生")
    for ticket in (plain, spaced):
        assert "不再接收短信" in Client().get(page_path(ticket)).content.decode()
    sms_opt_out(phone=PHONE, via="link")
    for ticket in (plain, spaced):
        html = Client().get(page_path(ticket)).content.decode()
        assert "不再接收短信" not in html and "我们不再向您发送诉求短信" in html

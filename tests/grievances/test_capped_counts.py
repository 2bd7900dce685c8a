"""The queue's counts and every list's pages stop at a cap (core.pages.COUNT_CAP, lowered here
to 3): beyond it they say so ("3+"), and below it they are exact, also right after a transition."""

import pytest

from core import pages
from escalation import transitions
from responders.models import User
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def counts_of(html: str) -> str:
    return html[html.index('data-testid="counts"') : html.index("</section>")]


@pytest.fixture
def staff(zone):
    return User.objects.get(street=zone.committee.street, role="street_staff")


def street_tickets(zone, count):
    return [make_ticket(zone=zone, urgency="emergency") for _ in range(count)]


def test_counts_at_or_below_the_cap_are_exact_and_follow_a_transition(client, zone, staff, monkeypatch):
    # given
    monkeypatch.setattr(pages, "COUNT_CAP", 3)
    first, _second = street_tickets(zone, 2)
    client.force_login(staff)
    before = counts_of(client.get("/queue/").content.decode())

    # when
    transitions.ticket_acknowledge(ticket=first, actor=staff)
    after = counts_of(client.get("/queue/").content.decode())

    # then
    assert "<strong>2</strong> 未办结" in before and "<strong>2</strong> 尚未受理" in before
    assert "<strong>2</strong> 未办结" in after and "<strong>1</strong> 尚未受理" in after
    assert "+" not in before + after


def test_counts_above_the_cap_say_more_than_the_cap(client, zone, staff, monkeypatch):
    # given
    monkeypatch.setattr(pages, "COUNT_CAP", 3)
    street_tickets(zone, 5)
    make_ticket(zone=zone)  # one at the zone tier, which the street's triage hides
    client.force_login(staff)

    # when
    html = client.get("/queue/").content.decode()

    # then
    counts = counts_of(html)
    assert "<strong>3+</strong> 未办结" in counts and "<strong>3+</strong> 尚未受理" in counts
    assert "<strong>0</strong> 已逾期" in counts
    assert 'data-testid="hidden-tiers"' in html


def test_pages_stop_at_the_cap_and_the_last_one_says_to_narrow_the_list(client, zone, staff, monkeypatch):
    # given
    monkeypatch.setattr(pages, "COUNT_CAP", 3)
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    tickets = sorted(street_tickets(zone, 5), key=lambda ticket: (ticket.resolve_by, ticket.pk))
    client.force_login(staff)

    # when
    first = client.get("/queue/").content.decode()
    last = client.get("/queue/", {"page": "9"}).content.decode()

    # then
    assert "第 1 / 2+ 页" in first and 'data-testid="list-capped"' not in first
    assert tickets[0].reference in first and tickets[2].reference not in first
    assert "第 2 / 2+ 页" in last and "只列出前 3 条" in last
    assert tickets[2].reference in last and tickets[3].reference not in last


def test_a_list_below_the_cap_pages_as_before(client, zone, staff, monkeypatch):
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    street_tickets(zone, 3)
    client.force_login(staff)

    html = client.get("/queue/").content.decode()

    assert "第 1 / 2 页" in html and "+ 页" not in html and 'data-testid="list-capped"' not in html


def test_a_list_that_fits_on_its_first_page_is_counted_by_its_rows(client, zone, staff, monkeypatch):
    """A search for an address or a phone finds a handful: the list's count, which repeats the
    search, is not sent; one more ticket and it is, and the pages say so."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    street_tickets(zone, 2)
    client.force_login(staff)

    def shown():
        with CaptureQueriesContext(connection) as sent:
            html = client.get("/queue/").content.decode()
        capped_counts = [q["sql"] for q in sent.captured_queries if "AS capped_0)" in q["sql"]]
        # the cards' count is one statement of several counts; the list's is a count alone
        return html, [sql for sql in capped_counts if "capped_1" not in sql]

    fits, list_counts = shown()
    assert 'class="pager"' not in fits and fits.count('data-ref="') == 2 and not list_counts
    street_tickets(zone, 1)
    overflows, list_counts = shown()
    assert "第 1 / 2 页" in overflows and len(list_counts) == 1


def test_the_counts_say_the_open_statuses_once():
    """A repeated `status IN (...)` made PostgreSQL guess too few rows and combine whole indexes
    (grievances.selectors._open); a status of its own, or none, still gets narrowed to open."""
    from grievances.models import Ticket
    from grievances.selectors import _open

    def times_status_is_named(queryset) -> int:
        sql = str(queryset.query)
        where = sql.split(" WHERE ", 1)[1] if " WHERE " in sql else ""
        return where.count('"status"')

    open_ones = Ticket.objects.filter(status__in=["new", "acknowledged", "in_progress", "referred"])
    assert times_status_is_named(_open(open_ones)) == 1
    assert times_status_is_named(_open(Ticket.objects.filter(status="new"))) == 1
    assert times_status_is_named(_open(Ticket.objects.all())) == 1
    assert times_status_is_named(_open(Ticket.objects.filter(status="closed"))) == 2


def test_a_search_that_matches_nothing_counts_nothing(client, zone, staff):
    """Its matches, none, are counted by their ids: no statement for an empty list of them."""
    street_tickets(zone, 2)
    client.force_login(staff)

    counts = counts_of(client.get("/queue/", {"q": "没有这样的诉求"}).content.decode())

    assert "<strong>0</strong> 未办结" in counts and "<strong>0</strong> 尚未受理" in counts

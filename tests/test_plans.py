"""Generic plans for the lists' statements (core.plans): planned once per connection, the same
answers, the setting reset after the block, and a text search still planned for its words."""

import datetime as dt

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from core.plans import generic_plans
from grievances.models import Category, Ticket
from grievances.selectors import QueueFilters, queue_counts, ticket_queue
from responders.models import User
from responders.selectors import user_scope
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def plan_cache_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


def prepared(words: str) -> list[tuple[int, int]]:
    """(generic plans, custom plans) of the prepared statements on this connection containing `words`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{words}%"]
        )
        return cursor.fetchall()


@pytest.fixture
def queue(zone):
    """The street's staff, and tickets of theirs: two past their deadline, one overdue, one not."""
    tickets = [make_ticket(zone=zone, urgency="emergency") for _ in range(4)]
    past = timezone.now() - dt.timedelta(hours=3)
    Ticket.objects.filter(pk__in=[tickets[0].pk, tickets[1].pk]).update(resolve_by=past)
    Ticket.objects.filter(pk=tickets[2].pk).update(overdue=True)
    return User.objects.get(role=User.Role.STREET_STAFF, street=zone.committee.street), tickets


def test_the_queue_is_planned_once_and_counts_what_it_counted_before(client, queue):
    """Every run of the queue's cards was planned anew (0 generic plans in 25 runs on the demo
    street): planning cost ten times the run. Now the connection keeps one plan — and the cards
    say what they said with a plan made for each run."""
    staff, tickets = queue
    client.force_login(staff)
    for _ in range(7):
        page = client.get("/queue/?overdue=1&tier=")
        assert page.status_code == 200
    assert plan_cache_mode() == "auto"  # reset after the block

    cards = prepared("SELECT (SELECT count(*)")
    assert cards and all(generic > 0 and custom == 0 for generic, custom in cards)
    rows = prepared('"grievances_ticket"."reference"')
    assert rows and all(generic > 0 for generic, _custom in rows)

    listed = {ticket.pk for ticket in page.context["page"].object_list}
    assert listed == {tickets[0].pk, tickets[1].pk, tickets[2].pk}
    scope, everything = user_scope(staff), QueueFilters()
    planned_each_time = queue_counts(ticket_queue(scope, everything, rows=False), tier="")
    with generic_plans():
        planned_once = queue_counts(ticket_queue(scope, everything, rows=False), tier="")
    assert planned_once == planned_each_time
    assert (planned_once["open_count"], planned_once["overdue_count"]) == (4, 3)
    assert page.context["counts"]["overdue_count"] == 3


def test_the_setting_is_reset_when_the_block_fails(zone):
    with pytest.raises(ZeroDivisionError), generic_plans():
        assert plan_cache_mode() == "force_generic_plan"
        1 / 0  # noqa: B018
    assert plan_cache_mode() == "auto"


def test_a_search_inside_the_block_is_sent_with_its_words_and_never_prepared(monkeypatch, zone):
    """A generic plan for a search walked a million open tickets for a phone number: a search
    reaches PostgreSQL with its words written in, so even here it is planned for them."""
    sent = []
    execute = psycopg.Cursor.execute

    def spy(self, query, params=None, **kwargs):
        sent.append((str(query), params))
        return execute(self, query, params, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", spy)
    with generic_plans():
        found = {
            tuple(Category.objects.filter(name__icontains="电梯").values_list("code", flat=True)) for _ in range(8)
        }
    searches = [(query, params) for query, params in sent if "LIKE" in query.upper()]
    assert len(searches) == 8 and all(params is None and "电梯" in query for query, params in searches)
    assert len(found) == 1 and found != {()}
    assert not prepared("grievances_category")

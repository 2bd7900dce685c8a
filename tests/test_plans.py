"""Generic plans for the lists' statements (core.plans): planned once per connection, the same
answers, the setting reset after the block, and a text search still planned for its words."""

import datetime as dt
import json

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from core.enums import OPEN_STATUSES, Outcome, Status
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


def test_a_generic_plan_can_read_the_open_tickets_partial_indexes(zone):
    """A generic plan knows nothing of its parameters: with the open statuses passed as ones it
    could not use an index written for open tickets, and on the city data the queue's cards
    walked the street's three million tickets (4 ms -> 1.9 s). They are written in."""
    street_id = zone.committee.street_id
    query = Ticket.objects.filter(street_id=street_id, status__in=OPEN_STATUSES).order_by("resolve_by", "pk")
    sql, params = query.values("pk")[:10].query.sql_with_params()
    assert "IN ('new', 'acknowledged', 'in_progress', 'referred')" in sql and params == (street_id,)
    with connection.cursor() as cursor:
        # Whatever the table's statistics say (a test table of a few rows is cheapest read
        # any way), only a plan that may read the partial index avoids both a scan and a sort.
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_sort = off")
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        try:
            cursor.execute("PREPARE open_tickets(bigint) AS " + sql.replace("%s", "$1"))
            cursor.execute(f"EXPLAIN EXECUTE open_tickets({int(street_id)})")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("DEALLOCATE open_tickets")
        finally:
            cursor.execute("RESET plan_cache_mode")
            cursor.execute("RESET enable_sort")
            cursor.execute("RESET enable_seqscan")
    assert "ticket_open_street_due" in plan, plan


def test_anything_but_a_status_is_still_a_parameter(zone):
    make_ticket(zone=zone)
    sql, params = Ticket.objects.filter(status__in=["new", "x') OR ('1'='1"]).query.sql_with_params()
    assert params == ("new", "x') OR ('1'='1")
    assert not Ticket.objects.filter(status__in=["x') OR ('1'='1"]).exists()
    assert not Ticket.objects.filter(reporter_name="new").exists()


def test_a_queue_narrowed_to_a_committee_or_a_category_is_planned_for_its_values(client, queue):
    """How many of a committee's tickets are of one category varies from none to most: on the
    city data a generic plan for those cards read 32,666 buffers where one made for the values
    read 2,518."""
    from django.test.utils import CaptureQueriesContext

    staff, tickets = queue
    client.force_login(staff)
    for narrowed, asks in ((f"?category={tickets[0].category_id}", False), ("?overdue=1", True)):
        with CaptureQueriesContext(connection) as sent:
            assert client.get("/queue/" + narrowed).status_code == 200
        assert any("plan_cache_mode" in query["sql"] for query in sent.captured_queries) is asks


@pytest.mark.parametrize(
    ("column", "index"),
    [
        ("zone_id", "ticket_zone_status"),
        ("committee_id", "ticket_committee_status"),
        ("street_id", "ticket_street_status"),
        ("service_item_id", "ticket_service_item_set"),
        ("partner_id", "ticket_partner_set"),
        ("visit_id", "ticket_visit_set"),
        ("duplicate_of_id", "ticket_duplicate_of_set"),
    ],
)
def test_a_foreign_key_without_its_own_index_is_still_looked_up_by_one(zone, column, index):
    """Migration 0031 dropped the bare indexes of seven foreign keys (each ticket write made an
    entry in every one): a zone's, committee's or street's tickets are found by the index that
    begins with it, and a key that most tickets leave empty by an index of the tickets that
    name one. Both serve the key's own check when its row is deleted, a generic plan for any id
    (PostgreSQL's statement, `x = $1 FOR KEY SHARE`)."""
    make_ticket(zone=zone)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        try:
            cursor.execute(
                f"PREPARE key_check(bigint) AS SELECT 1 FROM ONLY grievances_ticket x "  # noqa: S608 - our names
                f"WHERE {column} OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x"
            )
            cursor.execute("EXPLAIN EXECUTE key_check(1)")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("DEALLOCATE key_check")
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'grievances_ticket' AND indexdef LIKE %s",
                [f"%({column})%"],
            )
            own = [row[0] for row in cursor.fetchall()]
        finally:
            cursor.execute("RESET plan_cache_mode")
            cursor.execute("RESET enable_seqscan")
    assert index in plan, plan
    assert own in ([], [index]), own  # no bare index of the key left beside it


def test_a_zones_burst_of_one_trouble_is_expected_as_it_is(zone):
    """The likely duplicates' candidates of a zone and category: where a zone has far more open
    tickets of one category than the zones and categories apart suggest (a broken lift's
    hundreds of reports), the statistics on the pair (migration 0032) tell PostgreSQL how many
    there are. Expecting a tenth of them, it had read all of them and sorted them instead of
    walking `ticket_open_zone_category` backwards and stopping at 200 (5.3 against 0.1 ms on
    the partner API benchmark's data, for every ticket filed)."""
    from grievances.duplicates import candidate_queries
    from responders.selectors import Scope
    from tests.factories import ZoneFactory

    template = make_ticket(zone=zone)
    zones = [zone, *(ZoneFactory(committee=zone.committee) for _ in range(9))]
    categories = list(Category.objects.order_by("pk")[:10])
    assert len(categories) == 10
    copies = []
    for n, place in enumerate(zones):
        for m, category in enumerate(categories):
            # Each zone's open tickets are a burst of one category (the two go together), and
            # every zone has closed tickets of every category.
            for i in range(250 if m == n else 0):
                copies.append(_copy(template, f"B-{n}-{m}-{i}", place, category, Status.NEW))
            for i in range(20):
                copies.append(_copy(template, f"C-{n}-{m}-{i}", place, category, Status.CLOSED))
    Ticket.objects.bulk_create(copies)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE grievances_ticket")
    ((query, _building),) = candidate_queries(
        Scope(everything=True), category=categories[0], zone_id=zone.pk, street_id=zone.committee.street_id
    )
    plan = query.explain(format="json")
    # Under the LIMIT, the place's open tickets: 250. The zone and the category taken apart
    # (a tenth of the open tickets each) would say 25; with the statistics, 150 on this table.
    expected = json.loads(plan)[0]["Plan"]["Plans"][0]["Plan Rows"]
    assert expected >= 100, plan


def _copy(ticket, reference, zone, category, status):
    copy = Ticket.objects.get(pk=ticket.pk)
    copy.pk, copy.reference, copy.zone, copy.category, copy.status = None, reference, zone, category, status
    copy.outcome = "" if status in OPEN_STATUSES else Outcome.SOLVED
    return copy


def test_a_committees_burst_of_one_category_is_counted_by_status_as_it_is(zone):
    """The queue narrowed to a committee and a category counts the tickets not yet
    acknowledged. Where a committee has far more open tickets of one category than the
    committee and the category apart suggest, and a third of them are new, the statistics on
    the three (migration 0033) tell PostgreSQL how many are: expecting a few, it had combined
    the whole category's index with the committee's (21 ms on the city data) instead of
    walking the committee's tickets of the category and stopping at the cap (1.2 ms)."""
    from tests.factories import CommitteeFactory, ZoneFactory

    template = make_ticket(zone=zone)
    places = [zone, *(ZoneFactory(committee=CommitteeFactory(street=zone.committee.street)) for _ in range(9))]
    categories = list(Category.objects.order_by("pk")[:10])
    assert len(categories) == 10
    statuses = [Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS]
    copies = []
    for n, place in enumerate(places):
        for m, category in enumerate(categories):
            # Each committee's open tickets are a burst of one category, a third of them new.
            for i in range(300 if m == n else 0):
                copies.append(_copy(template, f"B-{n}-{m}-{i}", place, category, statuses[i % 3]))
            for i in range(30):
                copies.append(_copy(template, f"C-{n}-{m}-{i}", place, category, Status.CLOSED))
    for copy in copies:
        copy.committee_id = copy.zone.committee_id
    Ticket.objects.bulk_create(copies)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE grievances_ticket")
    new = Ticket.objects.filter(committee=zone.committee, category=categories[0], status=Status.NEW)
    expected = json.loads(new.explain(format="json"))[0]["Plan"]["Plan Rows"]
    # 100 are; the three taken apart (a tenth of the committee's, a tenth of the category's,
    # a ninth of all new) would say a dozen.
    assert new.count() == 100
    assert expected >= 50, new.explain()

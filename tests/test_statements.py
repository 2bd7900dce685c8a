"""core.statements.rows: a statement compiled once per shape answers, for every value, what
the ORM answers; a shape it cannot keep is built every time and still answers right."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import statements
from grievances import duplicates
from grievances.models import Ticket
from responders.selectors import partner_scope

from .factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nothing_kept(monkeypatch):
    monkeypatch.setattr(statements, "_kept", type(statements._kept)())


class Counted:
    """A statement's builder that counts how often it is built."""

    def __init__(self, build):
        self.build, self.calls = build, 0

    def __call__(self, *values):
        self.calls += 1
        return self.build(*values)


def _open_of(zone_id, category_id, since, exclude):
    return (
        Ticket.objects.filter(zone_id=zone_id, category_id=category_id, created_at__gte=since, status="new")
        .exclude(pk=exclude)
        .order_by("-created_at", "-pk")
        .values_list("pk", "reference", "created_at")[:3]
    )


def test_every_value_gets_what_the_orm_gets_from_one_statement_built_once(zone):
    other = zone.committee.zones.exclude(pk=zone.pk).first() or zone
    tickets = [make_ticket(zone=z) for z in (zone, zone, zone, zone, other)]
    category_id = tickets[0].category_id
    now = timezone.now()
    build = Counted(_open_of)
    asked = [
        (zone.pk, category_id, now - dt.timedelta(days=1), tickets[0].pk),
        (zone.pk, category_id, now - dt.timedelta(days=1), tickets[3].pk),
        (other.pk, category_id, now - dt.timedelta(days=1), tickets[0].pk),
        (zone.pk, category_id, now + dt.timedelta(days=1), tickets[0].pk),  # none since
        (zone.pk, category_id + 10_000, now - dt.timedelta(days=1), 0),  # no such category
    ]
    sent = []
    with connection.execute_wrapper(lambda execute, sql, *rest: sent.append(sql) or execute(sql, *rest)):
        answers = [statements.rows(("test", "open_of"), build, *values) for values in asked]

    assert build.calls == 2  # its two sets of stand-ins, then never again
    assert answers == [list(_open_of(*values)) for values in asked]
    assert [len(a) for a in answers[:4]] == [3, 3, int(other != zone) or 3, 0]
    assert len(sent) == 5 and len(set(sent)) == 1  # one SQL text, five values


def test_a_value_the_field_converts_is_built_every_time_and_still_right(zone):
    ticket = make_ticket(zone=zone)
    build = Counted(lambda since: Ticket.objects.filter(created_at__date__gte=since).values_list("pk"))
    now = timezone.now()

    assert statements.rows(("test", "by_date"), build, now) == [(ticket.pk,)]
    assert statements.rows(("test", "by_date"), build, now + dt.timedelta(days=2)) == []
    assert build.calls == 3  # the first stand-ins' build, then the ORM's each time


def test_an_empty_list_of_ids_reads_nothing(zone):
    make_ticket(zone=zone)
    build = Counted(lambda ids: Ticket.objects.filter(household_id__in=ids).values_list("pk"))
    with CaptureQueriesContext(connection) as sent:
        assert statements.rows(("test", "households"), build, []) == []
    assert sent.captured_queries == []


def test_lists_of_different_lengths_are_different_shapes(zone):
    tickets = [make_ticket(zone=zone) for _ in range(3)]
    build = Counted(lambda ids: Ticket.objects.filter(pk__in=ids).order_by("pk").values_list("pk"))
    ids = [t.pk for t in tickets]

    assert statements.rows(("test", "ids"), build, ids[:1]) == [(ids[0],)]
    assert statements.rows(("test", "ids"), build, ids[1:]) == [(ids[1],), (ids[2],)]
    assert statements.rows(("test", "ids"), build, ids[:2]) == [(ids[0],), (ids[1],)]
    assert build.calls == 4  # two shapes, each built with its two sets of stand-ins


@pytest.mark.parametrize("value", [None, True, dt.datetime(2026, 1, 1), 1.5, ["a"]])
def test_what_is_not_a_value_is_refused(value):
    with pytest.raises(TypeError):
        statements.rows(("test", "refused"), lambda v: Ticket.objects.values_list("pk"), value)


def test_no_more_shapes_than_kept_are_kept(monkeypatch, zone):
    monkeypatch.setattr(statements, "KEPT", 2)
    for n in range(4):
        statements.rows(("test", n), lambda pk: Ticket.objects.filter(pk=pk).values_list("pk"), 1)
    assert [shape[0] for shape in statements._kept] == [("test", 2), ("test", 3)]


def test_the_duplicate_candidates_are_those_of_their_queries(zone):
    first = make_ticket(zone=zone, description="三号楼电梯坏了，困人")
    second = make_ticket(zone=zone, description="电梯又停了")
    make_ticket(zone=zone, category="housing", description="楼道堆物")  # another category
    scope = partner_scope([zone.committee.street_id])
    place = {"category": first.category, "zone_id": zone.pk}

    for exclude in (None, second.pk, None):
        found = duplicates.candidates(scope, **place, exclude=exclude)
        ((query, _building),) = duplicates.candidate_queries(scope, **place, exclude=exclude)
        assert [row for row, _building in found] == list(query)
    assert [row[0] for row, _ in duplicates.candidates(scope, **place)] == [second.pk, first.pk]
    assert [row[0] for row, _ in duplicates.candidates(scope, **place, exclude=second.pk)] == [first.pk]


def test_the_database_is_chosen_for_each_call_not_kept_with_the_shape(zone, monkeypatch):
    """A shape compiled during a read routed to the replica (core.replica) must not send the
    next caller there: the routers are asked each time, as a queryset asks them."""
    ticket = make_ticket(zone=zone)
    asked = []

    def db_for_read(model, **hints):
        asked.append(model)
        return "default"

    monkeypatch.setattr(statements.router, "db_for_read", db_for_read)
    build = Counted(lambda pk: Ticket.objects.filter(pk=pk).values_list("reference"))
    for _ in range(3):
        assert statements.rows(("test", "routed"), build, ticket.pk) == [(ticket.reference,)]
    assert build.calls == 2
    assert asked.count(Ticket) >= 3


def test_a_value_the_statement_derives_from_a_slot_is_not_kept_as_a_constant(zone):
    ticket = make_ticket(zone=zone)
    build = Counted(
        lambda since: Ticket.objects.filter(
            created_at__gte=since, created_at__lt=since + dt.timedelta(days=2)
        ).values_list("pk")
    )
    since = ticket.created_at - dt.timedelta(days=1)

    assert statements.rows(("test", "derived"), build, since) == [(ticket.pk,)]
    assert statements.rows(("test", "derived"), build, since - dt.timedelta(days=5)) == []


def test_a_value_out_of_a_fields_range_for_one_stand_in_is_not_kept(zone):
    """An id far below zero is out of a positive field's range, and Django drops that branch:
    compiled with it, `pk = v OR version = v` would lose its second half."""
    from django.db.models import Q

    first, second = make_ticket(zone=zone), make_ticket(zone=zone)
    Ticket.objects.filter(pk=second.pk).update(version=first.pk)
    build = Counted(lambda v: Ticket.objects.filter(Q(pk=v) | Q(version=v)).order_by("pk").values_list("pk"))

    assert statements.rows(("test", "either"), build, first.pk) == list(build.build(first.pk))
    assert len(statements.rows(("test", "either"), build, first.pk)) == 2


@pytest.mark.parametrize("shape", ["flat", "named", "dicts"])
def test_rows_of_another_shape_than_tuples_are_the_orms(zone, shape):
    ticket = make_ticket(zone=zone)
    mine = Ticket.objects.filter(pk=ticket.pk)
    build = {
        "flat": lambda pk: mine.filter(pk=pk).values_list("pk", flat=True),
        "named": lambda pk: mine.filter(pk=pk).values_list("pk", named=True),
        "dicts": lambda pk: mine.filter(pk=pk).values("pk"),
    }[shape]
    assert statements.rows(("test", shape), build, ticket.pk) == list(build(ticket.pk))

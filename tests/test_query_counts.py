"""Query counts of the hot paths, pinned (Zulip's `assert_database_query_count`): each path
is measured with 2 rows and with 10. A page or an API read costs the same for both; a write
that runs the state machine per ticket costs `a + b*n`, with `b` as small as the design
allows; a sweep step costs the same per batch whatever its size. A new query on one of
these paths fails here, and must be justified where its number is pinned.

The counts include the SAVEPOINT and RELEASE SAVEPOINT of each `transaction.atomic()`, as
the test runs inside a transaction: in production those are a BEGIN and a COMMIT."""

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.models import Notification
from api.services import partner_key_create
from core.enums import Status, Tier
from escalation import transitions
from escalation.transitions import SweepContext
from meetings.models import MeetingType
from meetings.services import agenda_add_ticket, meeting_schedule
from responders.models import PartnerSystem, User
from tests.factories import UserFactory, department_for, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db

SMALL, LARGE = 2, 10
MINUTE = dt.timedelta(minutes=1)
DAY = dt.timedelta(days=1)


def queries(action) -> list[str]:
    """The SQL `action` sends, in order."""
    with CaptureQueriesContext(connection) as context:
        action()
    return [query["sql"] for query in context.captured_queries]


def listing(sql: list[str]) -> str:
    return "\n".join(f"{number}. {statement}" for number, statement in enumerate(sql, 1))


def assert_flat(small: list[str], large: list[str], pinned: int) -> None:
    """The same number of queries for 2 rows as for 10, and exactly `pinned`."""
    assert len(small) == len(large), (
        f"{len(small)} queries for {SMALL} rows, {len(large)} for {LARGE}:\n{listing(large)}"
    )
    assert len(large) == pinned, f"{len(large)} queries, pinned at {pinned}:\n{listing(large)}"


def assert_linear(small: list[str], large: list[str], fixed: int, per_row: int) -> None:
    """Exactly `fixed + per_row * n` queries for n rows, for n = 2 and 10."""
    expected = (fixed + per_row * SMALL, fixed + per_row * LARGE)
    assert (len(small), len(large)) == expected, (
        f"{len(small)} and {len(large)} queries for {SMALL} and {LARGE} rows, pinned at "
        f"{fixed} + {per_row}n = {expected}:\n{listing(small)}"
    )


def person(role, **units) -> User:
    return User.objects.get(role=role, **units)


# --- the desk screens ----------------------------------------------------------------------


@pytest.fixture
def zone():
    return staffed_zone()


@pytest.fixture
def street_staff(zone):
    return person(User.Role.STREET_STAFF, street=zone.committee.street)


def street_tickets(zone, count):
    """Street-tier tickets, half in the zone (with its committee), half given only by their
    street (so a row names the street, not a committee)."""
    street = zone.committee.street
    return [
        make_ticket(zone=zone, urgency="emergency")
        if index % 2 == 0
        else make_ticket(zone=None, street=street, address=f"测试路 {index} 号", urgency="emergency")
        for index in range(count)
    ]


def page(client, path, expect=()):
    def get():
        response = client.get(path)
        assert response.status_code == 200
        content = response.content.decode()
        for text in expect:
            assert text in content

    return get


def test_the_queue_page(client, zone, street_staff):
    client.force_login(street_staff)
    tickets = street_tickets(zone, SMALL)
    page(client, "/queue/")()  # a first request may fill a process's caches: measure after it

    small = queries(page(client, "/queue/", [ticket.reference for ticket in tickets]))
    tickets += street_tickets(zone, LARGE - SMALL)
    large = queries(page(client, "/queue/", [ticket.reference for ticket in tickets]))

    assert all(ticket.tier == Tier.STREET for ticket in tickets)
    # session, user, scope; the page of tickets (with their category, units and owner; fewer
    # than a page, so they count themselves: core.pages.page_of), the counts, the filters'
    # committees and categories, bulk owners; and SET / RESET plan_cache_mode around the page
    # and the cards (core.plans: two round trips of a few µs of planning each, for the 4-12 ms
    # of planning they save)
    assert_flat(small, large, pinned=10)


def placed_tickets(zone, count):
    return [make_ticket(zone=zone, lat=31.2 + index / 1000, long=121.4 + index / 1000) for index in range(count)]


def test_the_street_map(client, zone, street_staff):
    client.force_login(street_staff)
    tickets = placed_tickets(zone, SMALL)
    page(client, "/map/")()

    small = queries(page(client, "/map/", [f"/tickets/{ticket.pk}/" for ticket in tickets]))
    tickets += placed_tickets(zone, LARGE - SMALL)
    large = queries(page(client, "/map/", [f"/tickets/{ticket.pk}/" for ticket in tickets]))

    # session, user, scope; the placed tickets (with their category), the unplaced count
    assert_flat(small, large, pinned=5)


def timeline(ticket, zone, count):
    """`count` events on the ticket's timeline, by alternating people."""
    street = zone.committee.street
    people = [person(User.Role.STREET_STAFF, street=street), person(User.Role.STREET_LEADER, street=street)]
    for index in range(count - ticket.events.count()):
        transitions.ticket_assign(ticket=ticket, actor=people[index % 2], owner=people[(index + 1) % 2])


def test_the_ticket_page(client, zone, street_staff):
    client.force_login(street_staff)
    ticket = make_ticket(zone=zone)
    timeline(ticket, zone, SMALL)
    page(client, f"/tickets/{ticket.pk}/")()

    small = queries(page(client, f"/tickets/{ticket.pk}/"))
    timeline(ticket, zone, LARGE)
    large = queries(page(client, f"/tickets/{ticket.pk}/"))

    assert ticket.events.count() == LARGE
    # session, user, scope, the ticket, has a transfer form, the assign form's owners,
    # referrals, the consultation matters raised from it, feedback, the timeline (with each
    # event's actor), its photos, who else reported it
    assert_flat(small, large, pinned=12)


def test_bulk_acknowledge_from_the_queue(client, zone, street_staff):
    client.force_login(street_staff)
    page(client, "/queue/")()

    def acknowledge(tickets):
        def post():
            response = client.post("/queue/bulk/", {"action": "acknowledge", "tickets": [t.pk for t in tickets]})
            assert response.status_code == 302

        return post

    small_batch = street_tickets(zone, SMALL)
    small = queries(acknowledge(small_batch))
    large_batch = street_tickets(zone, LARGE)
    large = queries(acknowledge(large_batch))

    for ticket in small_batch + large_batch:
        ticket.refresh_from_db()
        assert ticket.status == Status.ACKNOWLEDGED
    # session, user, scope, the ticked tickets; per ticket its own transaction (the state
    # machine's): the row lock, the UPDATE, the event and its webhook outbox row, inside
    # SAVEPOINT/RELEASE
    assert_linear(small, large, fixed=4, per_row=6)


def test_my_tickets(client, zone):
    member = User.objects.get(memberships__team__zone=zone)
    client.force_login(member)

    def mine(count):
        """Tickets the member owns, one in three resolved (waiting for the resident's verdict)."""
        tickets = [make_ticket(zone=zone, actor=member) for _ in range(count)]
        for ticket in tickets[::3]:
            transitions.ticket_resolve(ticket=ticket, actor=member, outcome="solved")
        return tickets

    tickets = mine(SMALL)
    page(client, "/tickets/mine/")()
    small = queries(page(client, "/tickets/mine/", [ticket.reference for ticket in tickets]))
    tickets += mine(LARGE - SMALL)
    large = queries(page(client, "/tickets/mine/", [ticket.reference for ticket in tickets]))

    # session, user, scope, the open page (fewer than a page: no count), the resolved ones;
    # SET / RESET plan_cache_mode around the two (core.plans)
    assert_flat(small, large, pinned=7)


def test_a_liaisons_my_tickets(client, zone):
    street = zone.committee.street
    staff = person(User.Role.STREET_STAFF, street=street)
    department = department_for(make_ticket(zone=zone))
    liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department)
    client.force_login(liaison)

    def referred(count):
        tickets = [make_ticket(zone=zone) for _ in range(count)]
        for ticket in tickets:
            transitions.ticket_acknowledge(ticket=ticket, actor=staff)
            transitions.ticket_refer(ticket=ticket, actor=staff, department=department)
        return tickets

    tickets = referred(SMALL)
    page(client, "/tickets/mine/")()
    small = queries(page(client, "/tickets/mine/", [ticket.reference for ticket in tickets]))
    tickets += referred(LARGE - SMALL)
    large = queries(page(client, "/tickets/mine/", [ticket.reference for ticket in tickets]))

    # session, user, scope, the open page (none: no count), the resolved ones, and the
    # department's open referrals (each with its ticket, category and units); SET / RESET
    # plan_cache_mode around the lists of tickets (core.plans)
    assert_flat(small, large, pinned=9)


def test_the_meeting_page(client, zone):
    member = User.objects.get(memberships__team__zone=zone)
    client.force_login(member)
    meeting = meeting_schedule(
        type=MeetingType.objects.get(code="opinion_day"), unit=zone, starts_at=timezone.now() + DAY, actor=member
    )

    def table(count):
        for _ in range(count - meeting.agenda.count()):
            agenda_add_ticket(meeting=meeting, ticket=make_ticket(zone=zone), actor=member)
        make_ticket(zone=zone)  # and one more proposed for the agenda

    def decision_forms():
        return [f'name="item{item.pk}-decision"' for item in meeting.agenda.all()]

    table(SMALL)
    page(client, f"/meetings/{meeting.pk}/")()
    small = queries(page(client, f"/meetings/{meeting.pk}/", decision_forms()))
    table(LARGE)
    large = queries(page(client, f"/meetings/{meeting.pk}/", decision_forms()))

    assert meeting.agenda.count() == LARGE
    # session, user, scope, the meeting, its agenda; the decision forms' departments and
    # owners, once for the zone; the deadline conflicts, participants (the record form's
    # choices and attendance, the list), proposed tickets, transfers, the invite form's
    # staff and departments, evaluations
    assert_flat(small, large, pinned=16)


# --- the partner API -----------------------------------------------------------------------


@pytest.fixture
def partner(zone):
    """A partner's client on the zone's street; one request made, so its key is cached."""
    hotline = PartnerSystem.objects.create(code="hotline12345", name="12345 市民服务热线")
    _, raw = partner_key_create(
        partner=hotline, name="test", streets=[zone.committee.street], scopes=["tickets:read", "tickets:write"]
    )
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert client.get("/api/v1/categories/").status_code == 200
    return client


def api_post(client, path, body):
    return client.post(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))


def api_get(client, path, expect=lambda body: True):
    def get():
        response = client.get(path)
        assert response.status_code == 200
        assert expect(response.json())

    return get


def test_the_api_ticket_list(partner, zone):
    tickets = [make_ticket(zone=zone) for _ in range(SMALL)]
    api_get(partner, "/api/v1/tickets/")()

    small = queries(api_get(partner, "/api/v1/tickets/", lambda body: len(body["results"]) == SMALL))
    tickets += [make_ticket(zone=zone) for _ in range(LARGE - SMALL)]
    large = queries(
        api_get(
            partner,
            "/api/v1/tickets/",
            lambda body: [r["id"] for r in body["results"]] == [t.pk for t in tickets][::-1],
        )
    )

    # the page of rows with their photos as a JSON column (api.rendering.RowRenderer.select);
    # the key, and the owners' names, are kept by the process (core.refdata)
    assert_flat(small, large, pinned=1)


def test_the_api_ticket_detail(partner, zone):
    ticket = make_ticket(zone=zone)
    timeline(ticket, zone, SMALL)
    path = f"/api/v1/tickets/{ticket.pk}/"
    api_get(partner, path)()

    small = queries(api_get(partner, path))
    timeline(ticket, zone, LARGE)
    large = queries(api_get(partner, path, lambda body: len(body["events"]) == LARGE))

    # the ticket's row with its events, feedback and photos as JSON columns; the owner's and
    # the actors' names are kept by the process (core.refdata)
    assert_flat(small, large, pinned=1)


def test_open311_without_a_key(zone):
    """The public view (grievances.public): every street's tickets, no key to resolve."""
    from django.core.cache import cache

    cache.clear()  # the per-address throttle's counter
    tickets = [make_ticket(zone=zone) for _ in range(SMALL)]

    def get(count):
        def read():
            response = Client().get("/open311/v2/requests.json")
            assert response.status_code == 200 and len(response.json()) == count

        return read

    get(SMALL)()
    small = queries(get(SMALL))
    tickets += [make_ticket(zone=zone) for _ in range(LARGE - SMALL)]
    large = queries(get(LARGE))

    # the tickets with their category, units and household's building, in one join
    assert_flat(small, large, pinned=1)
    cache.clear()


def test_the_public_street_page(zone):
    """Computed when stale, then served from Redis with no query."""
    from django.core.cache import cache

    from reports.public import compute_public_figures

    cache.clear()
    street = zone.committee.street
    for _ in range(SMALL):
        make_ticket(zone=zone)
    small = queries(lambda: compute_public_figures(street))
    for _ in range(LARGE - SMALL):
        make_ticket(zone=zone)
    large = queries(lambda: compute_public_figures(street))
    # last month's report; per month: the counts, the late and carried-up marks, the
    # feedback, the categories (the same whatever the number of tickets)
    assert_flat(small, large, pinned=9)

    assert Client().get(f"/public/{street.code}/").status_code == 200
    assert queries(lambda: Client().get(f"/public/{street.code}/")) == []
    cache.clear()


def test_the_api_creates_a_ticket(partner, zone):
    body = {"category": "environment", "description": "小区门口垃圾三天没人清运", "zone": zone.pk}

    def create():
        response = api_post(partner, "/api/v1/tickets/", body)
        assert response.status_code == 201

    for _ in range(SMALL):
        make_ticket(zone=zone)
    create()
    small = queries(create)
    for _ in range(LARGE - SMALL):
        make_ticket(zone=zone)
    large = queries(create)

    # the idempotency record (one INSERT ... RETURNING, then its response saved) in its
    # transaction; the reference, the ticket, its event, the event's webhook outbox row and
    # the owner's alert in that same transaction (no savepoint: an error ends the record's
    # transaction anyway; and no partner's external id can collide, so none around the
    # ticket's INSERT); the possible duplicates (one query, however many open tickets there
    # are). The category, the zone, the owner, the SLA table and calendar and the street's
    # two lists are kept by the process (core.refdata); a ticket made without photos has none
    # to read.
    assert_flat(small, large, pinned=10)


def test_the_api_acknowledges_a_ticket(partner, zone):
    def acknowledge(rows):
        """Acknowledging a ticket with `rows` events, one of `rows` tickets in the street."""
        tickets = [make_ticket(zone=zone) for _ in range(rows)]
        timeline(tickets[0], zone, rows)

        def post():
            response = api_post(partner, f"/api/v1/tickets/{tickets[0].pk}/actions/acknowledge/", {})
            assert response.status_code == 200 and response.json()["status"] == "acknowledged"

        return post

    acknowledge(SMALL)()
    small = queries(acknowledge(SMALL))
    large = queries(acknowledge(LARGE))

    # the idempotency record (savepoint, INSERT ... RETURNING, save, release: a retry
    # replays); the ticket; the lock, the UPDATE, the event and its webhook outbox row in its
    # transaction; the answer's row with its photos (the owner's name is kept by the process)
    assert_flat(small, large, pinned=12)


# --- the sweep -----------------------------------------------------------------------------


def sweep_step(step, now):
    """Run one batch of `step` at `now` with a fresh context (as one sweep run loads it)."""
    context = SweepContext()
    results = []

    def run():
        results.append(step(now=now, batch_size=1000, skip=set(), context=context))

    sql = queries(run)
    return sql, results[0]


def measure_sweep(step, due_tickets, deadline: str):
    """The queries of `step` over 2 tickets past their `deadline`, then over 10 others."""
    measured = []
    for count in (SMALL, LARGE):
        tickets = due_tickets(count)
        for ticket in tickets:
            ticket.refresh_from_db()
        sql, result = sweep_step(step, now=max(getattr(ticket, deadline) for ticket in tickets) + MINUTE)
        assert result.changed == count
        measured.append(sql)
    return measured


def test_sweep_escalate_due(zone):
    small, large = measure_sweep(
        transitions.sweep_escalate_due, lambda n: [make_ticket(zone=zone) for _ in range(n)], "resolve_by"
    )

    # the claim; the committee and its staff (the new owner, once per unit); the UPDATE, the
    # events and their webhook outbox rows, the alerts; withdrawing open referrals; one
    # transaction; who else reported the batch's tickets (residents' SMS, one query a batch)
    assert_flat(small, large, pinned=11)


def test_sweep_flag_respond_overdue(zone):
    small, large = measure_sweep(
        transitions.sweep_flag_respond_overdue, lambda n: [make_ticket(zone=zone) for _ in range(n)], "respond_by"
    )

    # the claim, the UPDATE, the events, their webhook outbox rows, the alerts, in one transaction
    assert_flat(small, large, pinned=7)


def test_sweep_flag_street_overdue(zone):
    small, large = measure_sweep(transitions.sweep_flag_street_overdue, lambda n: street_tickets(zone, n), "resolve_by")

    # the claim; the leaders to alert (a committee's, a street's: once per unit); the UPDATE,
    # the events, their webhook outbox rows, the alerts, in one transaction
    assert_flat(small, large, pinned=9)


def test_sweep_flag_answer_overdue(zone):
    sample = make_ticket(zone=zone)
    police, housing = department_for(sample), department_for(sample)
    liaisons = {
        UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=police).pk,
        UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=housing).pk,
    }
    tickets = []

    def referred(count):
        acknowledged = [
            transitions.ticket_acknowledge(ticket=make_ticket(zone=zone), actor="test") for _ in range(count)
        ]
        tickets.extend(
            transitions.ticket_refer(ticket=ticket, actor="test", departments=[police, housing])
            for ticket in acknowledged
        )
        return tickets[-count:]

    small, large = measure_sweep(transitions.sweep_flag_answer_overdue, referred, "answer_by")

    # the claim; the late referrals and their departments' liaisons, for the whole batch;
    # the UPDATE, the events, their webhook outbox rows, the alerts, in one transaction
    assert_flat(small, large, pinned=9)
    for ticket in tickets:  # each ticket names its own late departments and alerts their liaisons
        assert sorted(ticket.events.get(kind="answer_overdue").data["departments"]) == sorted(
            [police.name, housing.name]
        )
        alerted = set(
            Notification.objects.filter(kind="answer_overdue", ticket=ticket).values_list("recipient", flat=True)
        )
        assert alerted == liaisons | {ticket.owner_id}


def test_sweep_close_feedback_expired(zone):
    def resolved(count):
        return [
            transitions.ticket_resolve(ticket=make_ticket(zone=zone), actor="test", outcome="solved")
            for _ in range(count)
        ]

    small, large = measure_sweep(transitions.sweep_close_feedback_expired, resolved, "feedback_due_by")

    # the claim, the UPDATE, the events, their webhook outbox rows, in one transaction
    assert_flat(small, large, pinned=6)


# --- issue 19: warnings, pauses, the service window --------------------------------------


def test_sweep_warn_quarter_left(zone):
    small, large = measure_sweep(
        transitions.sweep_warn_quarter_left, lambda n: [make_ticket(zone=zone) for _ in range(n)], "warn_quarter_at"
    )

    # the claim; the zone team to alert (once per unit); the UPDATE, the events, their webhook
    # outbox rows, the alerts, in one transaction
    assert_flat(small, large, pinned=8)


def test_sweep_warn_day_left(zone):
    small, large = measure_sweep(
        transitions.sweep_warn_day_left, lambda n: [make_ticket(zone=zone) for _ in range(n)], "warn_day_at"
    )

    assert_flat(small, large, pinned=8)


def test_sweep_end_capped_pauses(zone):
    def paused(count):
        started = [transitions.ticket_start(ticket=make_ticket(zone=zone), actor="test") for _ in range(count)]
        return [transitions.ticket_pause(ticket=ticket, actor="test", reason="unreachable") for ticket in started]

    small, large = measure_sweep(transitions.sweep_end_capped_pauses, paused, "pause_ends_at")

    # the claim, the UPDATE, the events, their webhook outbox rows, the alerts, in one transaction
    assert_flat(small, large, pinned=7)


def test_pausing_and_resuming_a_ticket(zone):
    ticket = transitions.ticket_start(ticket=make_ticket(zone=zone), actor="test")
    pause = queries(lambda: transitions.ticket_pause(ticket=ticket, actor="test", reason="documents"))
    resume = queries(lambda: transitions.ticket_resume(ticket=ticket, actor="test"))

    # the row lock, the calendar's overrides, the UPDATE, the event and its outbox row, in a
    # savepoint: the same for both
    assert (len(pause), len(resume)) == (7, 7), listing(pause + resume)


def applications(zone, count):
    from catalogue.models import ServiceItem
    from intake.services import service_apply

    item = ServiceItem.objects.get(code="elderly_allowance")
    return [service_apply(actor="test", item=item, zone=zone) for _ in range(count)]


def test_the_service_report(client, zone, street_staff):
    client.force_login(street_staff)
    applications(zone, SMALL)
    page(client, "/reports/services/")()

    small = queries(page(client, "/reports/services/", ["elderly_allowance"]))
    applications(zone, LARGE - SMALL)
    large = queries(page(client, "/reports/services/", ["elderly_allowance"]))

    # session, user, scope; the calendar's overrides, the applications with their items and classes
    assert_flat(small, large, pinned=5)


def test_the_service_window(client, zone):
    clerk = person(User.Role.COMMITTEE_STAFF, committee=zone.committee)
    client.force_login(clerk)
    from catalogue.models import ServiceItem

    item = ServiceItem.objects.get(code="elderly_allowance")
    url = f"/desk/service/?item={item.pk}"
    page(client, url)()

    # session, user; the clerk's zones and their committees' streets; the item; the places
    # (committees, zones); the catalogue: the same however many applications the street holds
    small = queries(page(client, url, ["本人银行卡"]))
    applications(zone, LARGE)
    large = queries(page(client, url, ["本人银行卡"]))
    assert_flat(small, large, pinned=8)

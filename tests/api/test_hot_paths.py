"""The partner API's hot paths (issue 21, item 2): a get and a list of 50 in one query each, a
create in a pinned number of statements, with the same answers as before, and the reference
data each API process keeps (core.refdata) never outliving a change to it.

The cache is used only by requests that read its version from Redis (a partner key's), so
these tests run with Redis as the cache, as production does.
"""

import datetime as dt
import json
import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer

from api.rendering import row_renderer
from api.serializers import TicketDetailSerializer, TicketSerializer
from core import refdata
from escalation import transitions
from escalation.models import SLAPolicy
from grievances.models import Category, Ticket
from grievances.photos import photo_store, process
from responders.models import TeamMembership, User
from tests import photo_files
from tests.factories import UserFactory, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def redis_cache(settings):
    # config.settings.test always names a Redis: a run without one must fail here, not skip.
    assert "RedisCache" in settings.CACHES["default"]["BACKEND"], (
        "needs REDIS_URL: the reference data is kept only under a version read from Redis"
    )
    cache.clear()
    refdata.clear()
    yield
    refdata.clear()


def create(client, zone, **body):
    return client.post(
        "/api/v1/tickets/",
        {"category": "environment", "description": "楼道灯坏了", "zone": zone.pk, **body},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )


@pytest.fixture
def busy_ticket(zone):
    """A ticket with a timeline of several events, feedback and two photos."""
    clerk = UserFactory(role=User.Role.STREET_STAFF, street=zone.committee.street)
    ticket = make_ticket(zone=zone, reporter_name="王先生", reporter_phone="13812345678")
    ticket = transitions.ticket_escalate(ticket=ticket, actor=clerk, reason="楼组长协调不了")
    ticket = transitions.ticket_resolve(ticket=ticket, actor=clerk, outcome="solved")
    transitions.ticket_record_feedback(
        ticket=ticket, actor="partner:hotline12345", satisfaction="satisfied", collected_via="phone", comment="好"
    )
    for colour in [(9, 9, 9), (200, 0, 0)]:
        photo_store(ticket=ticket, processed=process(photo_files.jpeg(64, 48, color=colour)))
    return Ticket.objects.get(pk=ticket.pk)


@pytest.mark.parametrize("pii", [False, True])
def test_nested_lists_read_with_the_ticket_render_as_read_on_their_own(busy_ticket, pii):
    """`RowRenderer.select` brings the timeline, feedback and photos in the ticket's own row
    (JSON); the render is the one of separate queries, value for value, type for type."""
    for serializer in (TicketDetailSerializer, TicketSerializer):
        renderer = row_renderer(serializer, pii=pii)
        tickets = Ticket.objects.filter(pk=busy_ticket.pk)
        with CaptureQueriesContext(connection) as one:
            inline = renderer.render(renderer.select(tickets))
        separate = renderer.render(tickets.values(*renderer.columns))
        assert inline == separate
        assert [type(v) for v in inline[0].values()] == [type(v) for v in separate[0].values()]
        # Users (the owner, the actors) are read apart, and outside a partner's request every time.
        reads = [q["sql"] for q in one.captured_queries if q["sql"].startswith("SELECT")]
        assert reads[0].startswith('SELECT "grievances_ticket"."id"')
        assert all(sql.endswith(")") and 'FROM "responders_user" WHERE' in sql for sql in reads[1:])
    assert len(inline[0]["photos"]) == 2
    detail = row_renderer(TicketDetailSerializer, pii=pii).render(
        row_renderer(TicketDetailSerializer, pii=pii).select(Ticket.objects.filter(pk=busy_ticket.pk))
    )[0]
    assert [e["kind"] for e in detail["events"]][:2] == ["created", "escalated"]
    assert detail["feedback"][0]["comment"] == "好"


def test_a_get_and_a_list_are_one_query_each(api_client, zone, busy_ticket, django_assert_num_queries):
    client = api_client(zone.committee.street, scopes=("tickets:read",))
    for _ in range(3):
        make_ticket(zone=zone)
    client.get("/api/v1/tickets/")  # reads the key and the owners' names once
    client.get(f"/api/v1/tickets/{busy_ticket.pk}/")  # and the actors' names
    with django_assert_num_queries(1):
        detail = client.get(f"/api/v1/tickets/{busy_ticket.pk}/")
    with django_assert_num_queries(1):
        page = client.get("/api/v1/tickets/", {"page_size": 50})
    assert detail.status_code == 200 and page.status_code == 200
    assert len(detail.json()["events"]) >= 3 and len(detail.json()["photos"]) == 2
    assert len(page.json()["results"]) == 4


def test_a_create_takes_a_pinned_number_of_statements(api_client, zone, django_assert_num_queries):
    client = api_client(zone.committee.street)
    assert create(client, zone).status_code == 201  # reads the key and the reference data once
    # The transaction (here a savepoint and its release, in production BEGIN and COMMIT), the
    # idempotency record (one INSERT ... RETURNING), the likely duplicates, the reference, the
    # ticket, its event and outbox row, the owner's alert, the idempotency record's response:
    # no lookup of reference data, and no savepoint of ticket_open's own inside the record's
    # transaction.
    with django_assert_num_queries(10):
        answer = create(client, zone)
    assert answer.status_code == 201
    ticket = Ticket.objects.get(pk=answer.json()["id"])
    assert ticket.events.filter(kind="created").count() == 1
    assert answer.json()["owner"] == str(ticket.owner)
    assert answer.json()["photos"] == []


def test_a_create_reads_before_it_takes_the_streets_number_and_only_writes_after(api_client, zone):
    """The street's reference counter, once taken, stays locked until the commit (gap-free
    numbers), and every other create in the street waits for it: the likely duplicates are
    read before, and after it (for a zone's ticket without a phone or photos) come only the
    new rows and the record's answer."""
    client = api_client(zone.committee.street)
    earlier = create(client, zone).json()
    with CaptureQueriesContext(connection) as seen:
        answer = create(client, zone)
    statements = [query["sql"] for query in seen.captured_queries]
    numbered = next(i for i, sql in enumerate(statements) if "grievances_ticketsequence" in sql)
    candidates = next(i for i, sql in enumerate(statements) if sql.startswith("SELECT") and "LIMIT 200" in sql)
    assert candidates < numbered
    assert [sql.split()[0] for sql in statements[numbered:]] == [
        "INSERT",  # the number
        "INSERT",  # the ticket
        "INSERT",  # its event
        "INSERT",  # the event's outbox row
        "INSERT",  # the owner's alert
        "UPDATE",  # the idempotency record's answer
        "RELEASE",  # the transaction's end (COMMIT in production)
    ]
    # Read before the new ticket was written, the suggestion is the same: the earlier ticket.
    assert [d["id"] for d in answer.json()["possible_duplicates"]] == [earlier["id"]]


def test_answers_with_and_without_the_kept_reference_data_are_the_same(api_client, zone, busy_ticket):
    """The same tickets read by a partner (cache in use) and rendered by DRF's serializers."""
    client = api_client(zone.committee.street, scopes=("tickets:read", "tickets:write"))
    created = create(client, zone).json()
    for _ in range(2):  # the second time from what the process keeps
        for pk in (busy_ticket.pk, created["id"]):
            detail = client.get(f"/api/v1/tickets/{pk}/").json()
            expected = TicketDetailSerializer(Ticket.objects.get(pk=pk), context={"pii": False}).data
            assert detail == _as_json(expected)
    listed = {row["id"]: row for row in client.get("/api/v1/tickets/").json()["results"]}
    assert listed[created["id"]] == {k: v for k, v in created.items() if k != "possible_duplicates"}


def _as_json(data):
    return json.loads(JSONRenderer().render(data))


def test_a_new_owner_owns_the_next_ticket_at_once(api_client, zone):
    client = api_client(zone.committee.street)
    first = create(client, zone).json()
    membership = TeamMembership.objects.get(team__zone=zone)
    assert first["owner"] == str(membership.user)
    newcomer = UserFactory(role=User.Role.ZONE_MEMBER, full_name="新队员")
    membership.user = newcomer
    membership.save()
    assert create(client, zone).json()["owner"] == "新队员"


def test_a_renamed_owner_reads_renamed_at_once(api_client, zone):
    client = api_client(zone.committee.street)
    ticket = create(client, zone).json()
    owner = Ticket.objects.get(pk=ticket["id"]).owner
    assert client.get(f"/api/v1/tickets/{ticket['id']}/").json()["owner"] == str(owner)
    owner.full_name = "改了名的队员"
    owner.save()
    assert client.get(f"/api/v1/tickets/{ticket['id']}/").json()["owner"] == "改了名的队员"
    assert client.get("/api/v1/tickets/").json()["results"][0]["owner"] == "改了名的队员"


def test_a_changed_sla_policy_sets_the_next_deadline_at_once(api_client, zone):
    client = api_client(zone.committee.street)
    first = create(client, zone).json()
    policy = SLAPolicy.objects.get(tier="zone", urgency="normal", category__isnull=True, service_item__isnull=True)
    policy.resolve_within += 10
    policy.resolve_unit = "working_days"
    policy.save()
    second = create(client, zone).json()
    first_due = dt.datetime.fromisoformat(first["resolve_by"])
    second_due = dt.datetime.fromisoformat(second["resolve_by"])
    assert second_due - first_due > dt.timedelta(days=7)


def test_a_category_taken_out_of_use_is_refused_at_once(api_client, zone):
    client = api_client(zone.committee.street)
    assert create(client, zone).status_code == 201
    Category.objects.filter(code="environment").update(active=False)  # no signal: as a bulk update
    refdata.bump()  # what the admin's save does (post_save)
    answer = create(client, zone)
    assert answer.status_code == 400
    assert "category" in answer.json()["error"]["fields"]


def test_a_revoked_key_is_refused_at_once(api_client, zone):
    from api.models import PartnerKey

    client = api_client(zone.committee.street, scopes=("tickets:read",))
    assert client.get("/api/v1/tickets/").status_code == 200
    key = PartnerKey.objects.get()
    key.revoked_at = dt.datetime.now(dt.UTC)
    key.save()
    assert client.get("/api/v1/tickets/").status_code == 401


def test_without_a_version_nothing_is_kept():
    """Staff screens, the sweep and other callers outside a partner's request read every time."""
    calls = []
    for _ in range(2):
        refdata.cached("x", lambda: calls.append(1))
    assert len(calls) == 2
    refdata.use_version(7)  # outside an API request: no effect, nothing left behind
    refdata.cached("x", lambda: calls.append(1))
    assert len(calls) == 3
    with refdata.request():
        refdata.cached("x", lambda: calls.append(1))  # the version not read yet
        refdata.use_version(7)
        for _ in range(2):
            refdata.cached("x", lambda: calls.append(1))
    refdata.cached("x", lambda: calls.append(1))
    assert len(calls) == 6


def test_a_cleared_redis_starts_from_a_version_no_process_kept_rows_under():
    from api.cache import redis_client

    client = redis_client()
    first = refdata.read_version(client)
    cache.clear()
    second = refdata.read_version(client)
    assert first is not None and second is not None and first != second
    refdata.bump()
    assert refdata.read_version(client) == second + 1

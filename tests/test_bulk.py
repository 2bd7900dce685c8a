"""core.bulk.insert_many: a big batch goes by COPY and writes, column for column, what
bulk_create writes; errors are Django's and leave nothing written; query counts see it."""

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import TextField
from django.db.models.functions import Cast, Now
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from alerts.models import Notification
from core.bulk import COPY_FROM, insert_many
from grievances.models import EventOutbox, TicketEvent
from responders.models import User

from .factories import make_ticket

pytestmark = pytest.mark.django_db

EVENT_COLUMNS = [field.attname for field in TicketEvent._meta.concrete_fields if not field.primary_key]
NOTIFICATION_COLUMNS = [field.attname for field in Notification._meta.concrete_fields if not field.primary_key]


def _events(ticket, count: int, *, note_suffix: str, now: dt.datetime | None = None) -> list[TicketEvent]:
    """Updates as a mixed batch has them: one moment for most, values shared and varied, a
    lazy translation, an enum member, dicts equal and not."""
    now = now or timezone.now()
    user = User.objects.filter(role=User.Role.COMMITTEE_STAFF).first()
    return [
        TicketEvent(
            ticket=ticket,
            kind=TicketEvent.Kind.DEPARTMENT_UPDATE,
            at=now if n % 7 else now - dt.timedelta(minutes=n),
            actor=user if n % 2 else None,
            actor_label="" if n % 2 else "sweep",
            from_status="",
            to_status="",
            from_tier="",
            to_tier="",
            note=gettext_lazy("Note") if n == 3 else f"第 {n} 条记录 {note_suffix}",
            data={} if n % 3 else {"n": n, "words": ["楼道", "杂物"], "none": None},
        )
        for n in range(count)
    ]


def _rows(model, columns, ids) -> list[tuple]:
    """The columns as PostgreSQL holds them: JSON as its text, so 1 and true differ."""
    json_columns = {f.attname for f in model._meta.concrete_fields if f.get_internal_type() == "JSONField"}
    texts = {f"{name}_text": Cast(name, TextField()) for name in columns if name in json_columns}
    names = [f"{name}_text" if name in json_columns else name for name in columns]
    return list(model.objects.filter(pk__in=ids).order_by("pk").annotate(**texts).values_list(*names))


def test_a_batch_by_copy_writes_what_bulk_create_writes():
    ticket = make_ticket()
    count, now = COPY_FROM + 10, timezone.now()
    by_insert = TicketEvent.objects.bulk_create(_events(ticket, count, note_suffix="", now=now))
    events = _events(ticket, count, note_suffix="", now=now)
    with CaptureQueriesContext(connection) as queries:
        by_copy = insert_many(events)
    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["SELECT", "COPY"]
    assert all(event.pk and not event._state.adding for event in by_copy)
    assert [event.pk for event in by_copy] == sorted(event.pk for event in by_copy)
    assert min(event.pk for event in by_copy) > max(event.pk for event in by_insert)
    written = _rows(TicketEvent, EVENT_COLUMNS, [event.pk for event in by_copy])
    assert written == _rows(TicketEvent, EVENT_COLUMNS, [event.pk for event in by_insert])
    assert written[3][EVENT_COLUMNS.index("note")] == str(gettext_lazy("Note"))  # in the language active
    assert written[0][EVENT_COLUMNS.index("data")] == '{"n": 0, "none": null, "words": ["楼道", "杂物"]}'
    # The rows are the events' own: read back whole, they equal what was built.
    assert TicketEvent.objects.get(pk=by_copy[5].pk).note == by_copy[5].note


def test_alerts_and_outbox_rows_by_copy():
    ticket = make_ticket()
    recipients = list(User.objects.values_list("pk", flat=True))
    now = timezone.now()
    alerts = [
        Notification(recipient_id=recipients[n % len(recipients)], kind=Notification.Kind.ESCALATED, ticket=ticket)
        for n in range(COPY_FROM)
    ]
    copied = insert_many(alerts)
    inserted = Notification.objects.bulk_create(
        [Notification(recipient_id=a.recipient_id, kind=a.kind, ticket=ticket, created_at=a.created_at) for a in alerts]
    )
    columns = [column for column in NOTIFICATION_COLUMNS if column != "created_at"]
    assert _rows(Notification, columns, [a.pk for a in copied]) == _rows(
        Notification, columns, [a.pk for a in inserted]
    )
    assert Notification.objects.get(pk=copied[0].pk).channels_done == []
    assert Notification.objects.get(pk=copied[0].pk).created_at >= now
    events = insert_many(_events(ticket, COPY_FROM, note_suffix="outbox"))
    insert_many([EventOutbox(event_id=event.pk) for event in events])  # its key is the event's: no ids asked
    assert EventOutbox.objects.filter(event_id__in=[event.pk for event in events]).count() == COPY_FROM


def test_a_small_batch_is_one_insert():
    ticket = make_ticket()
    events = _events(ticket, COPY_FROM - 1, note_suffix="small")
    with CaptureQueriesContext(connection) as queries:
        insert_many(events)
    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["INSERT"]
    assert TicketEvent.objects.filter(pk__in=[event.pk for event in events]).count() == COPY_FROM - 1


def test_text_with_nul_is_refused_and_nothing_is_written():
    ticket = make_ticket()
    events = _events(ticket, COPY_FROM, note_suffix="nul")
    events[-1].note = "坏\x00字"
    before = TicketEvent.objects.count()
    with pytest.raises(ValueError, match="NUL"):
        insert_many(events)
    assert TicketEvent.objects.count() == before
    assert all(event.pk is None for event in events)


def test_a_constraint_broken_by_copy_is_djangos_integrity_error_and_the_transaction_goes_on():
    ticket = make_ticket()
    events = insert_many(_events(ticket, COPY_FROM, note_suffix="twice"))
    insert_many([EventOutbox(event_id=event.pk) for event in events])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_many([EventOutbox(event_id=event.pk) for event in events])  # the same rows again
    fresh = insert_many(_events(ticket, COPY_FROM, note_suffix="after"))
    assert TicketEvent.objects.filter(pk__in=[event.pk for event in fresh]).count() == COPY_FROM


def test_a_failed_copy_leaves_its_objects_without_ids_as_bulk_create_does():
    ticket = make_ticket()
    events = _events(ticket, COPY_FROM, note_suffix="unsaved")
    for event in events[:2]:  # escalated twice from one tier: the unique constraint refuses
        event.kind, event.from_tier, event.to_tier = TicketEvent.Kind.ESCALATED, "zone", "committee"
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_many(events)
    assert all(event.pk is None and event._state.adding for event in events)
    assert not TicketEvent.objects.filter(note__endswith="unsaved").exists()


def test_values_only_equal_are_each_written_as_they_are():
    """One moment for the whole batch (the sweep's `now`), and JSON values that Python finds
    equal but PostgreSQL does not (1, true, 1.0), each as bulk_create writes it."""
    ticket, now = make_ticket(), timezone.now()

    def batch():
        events = _events(ticket, COPY_FROM, note_suffix="equal", now=now)
        for n, event in enumerate(events):
            event.at = now
            event.data = [{"n": 1}, {"n": True}, {"n": 1.0}][n % 3]
        return events

    by_insert = TicketEvent.objects.bulk_create(batch())
    by_copy = insert_many(batch())
    written = _rows(TicketEvent, EVENT_COLUMNS, [event.pk for event in by_copy])
    assert written == _rows(TicketEvent, EVENT_COLUMNS, [event.pk for event in by_insert])
    assert [row[EVENT_COLUMNS.index("data")] for row in written[:3]] == ['{"n": 1}', '{"n": true}', '{"n": 1.0}']
    assert {row[EVENT_COLUMNS.index("at")] for row in written} == {now}


def test_text_marked_safe_with_nul_is_refused_too():
    events = _events(make_ticket(), COPY_FROM, note_suffix="safe")
    events[0].note = mark_safe("坏\x00字")  # a str subclass, as a template's output is
    with pytest.raises(ValueError, match="NUL"):
        insert_many(events)


def test_the_copy_passes_the_execute_wrappers():
    events, seen = _events(make_ticket(), COPY_FROM, note_suffix="wrapped"), []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql.split()[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        insert_many(events)
    assert seen == ["SELECT", "COPY"]


def test_a_wrapper_that_swallows_the_rows_is_an_error_not_a_silent_loss():
    events = _events(make_ticket(), COPY_FROM, note_suffix="swallowed")

    def swallow(execute, sql, params, many, context):
        return execute(sql, [] if sql.startswith("COPY") else params, many, context)

    with (
        pytest.raises(DatabaseError, match="COPY wrote 0 rows"),
        connection.execute_wrapper(swallow),
        transaction.atomic(),
    ):
        insert_many(events)
    assert all(event.pk is None for event in events)


def test_an_expression_goes_by_bulk_create():
    events = _events(make_ticket(), COPY_FROM, note_suffix="now")
    events[0].at = Now()
    with CaptureQueriesContext(connection) as queries:
        insert_many(events)
    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["INSERT"]
    assert TicketEvent.objects.get(pk=events[0].pk).at is not None


def test_json_that_cannot_be_written_fails_before_the_copy_and_the_transaction_goes_on():
    ticket = make_ticket()
    events = _events(ticket, COPY_FROM, note_suffix="json")
    events[1].data = {"when": object()}
    with transaction.atomic():
        with pytest.raises(TypeError), transaction.atomic():
            insert_many(events)
        assert all(event.pk is None for event in events)
        fresh = insert_many(_events(ticket, COPY_FROM, note_suffix="json after"))
    assert TicketEvent.objects.filter(pk__in=[event.pk for event in fresh]).count() == COPY_FROM

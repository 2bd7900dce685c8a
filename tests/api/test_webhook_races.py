"""Webhook fan-out against transactions that commit out of order or roll back, on real
PostgreSQL connections (the thread harness of tests/escalation/test_races.py): every
committed event reaches every subscription that wants it exactly once, a rolled-back one
never, and an event still in flight holds up nothing behind it."""

import random
import threading
import time
from collections import Counter

import pytest
from django.db import transaction

from api.models import WebhookDelivery
from api.services import partner_key_create
from api.webhooks import webhook_subscribe, webhooks_fan_out, webhooks_send_due
from escalation import transitions
from grievances.models import TicketEvent
from responders.models import PartnerSystem
from tests.escalation.test_races import run_in_threads
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 30  # seconds: only ever reached when something is broken


# Each writer takes its tickets through these; any of them may be rolled back, and each is
# allowed whether or not the ones before it committed.
STEPS = [
    (transitions.ticket_acknowledge, {}),
    (transitions.ticket_start, {}),
    (transitions.ticket_resolve, {"outcome": "solved"}),
]


class Refused(Exception):
    """Rolls a transaction back after its event was written, as a refused decision does."""


def subscribe(zone, url, event_kinds=()):
    key, _ = partner_key_create(
        partner=PartnerSystem.objects.get_or_create(code="hotline", defaults={"name": "热线"})[0],
        name="webhooks",
        streets=[zone.committee.street],
        scopes=["tickets:read"],
    )
    return webhook_subscribe(key=key, url=url, event_kinds=event_kinds)


def delivered(subscription) -> Counter:
    """How many deliveries each event has for the subscription."""
    return Counter(WebhookDelivery.objects.filter(subscription=subscription).values_list("event_id", flat=True))


def test_events_committed_out_of_order_or_rolled_back_are_each_sent_once_or_never(receiver, zone):
    slow, quick, refused, partly = (make_ticket(zone=zone) for _ in range(4))
    everything = subscribe(zone, receiver.url + "/all")
    starts = subscribe(zone, receiver.url + "/starts", event_kinds=["started"])
    slow_written, slow_release = threading.Event(), threading.Event()
    rolled_back = {}

    def slow_acknowledge():
        # T1: draws the smallest id, and commits last.
        with transaction.atomic():
            transitions.ticket_acknowledge(ticket=slow, actor="slow desk")
            slow_written.set()
            assert slow_release.wait(WAIT)
        return slow.events.get(kind="acknowledged").pk

    def quick_acknowledge():
        # T2: a larger id, committed while T1 is still open.
        assert slow_written.wait(WAIT)
        transitions.ticket_acknowledge(ticket=quick, actor="quick desk")
        return quick.events.get(kind="acknowledged").pk

    def refused_acknowledge():
        # T3: writes its event, then rolls back: a gap in the ids for good.
        assert slow_written.wait(WAIT)
        try:
            with transaction.atomic():
                transitions.ticket_acknowledge(ticket=refused, actor="refused desk")
                rolled_back["id"] = TicketEvent.objects.get(ticket=refused, kind="acknowledged").pk
                raise Refused
        except Refused:
            return rolled_back["id"]

    def start_but_not_resolve():
        # T4: commits its first event; the second is rolled back with its savepoint.
        assert slow_written.wait(WAIT)
        with transaction.atomic():
            transitions.ticket_start(ticket=partly, actor="partly desk")
            try:
                with transaction.atomic():
                    transitions.ticket_resolve(ticket=partly, actor="partly desk", outcome="solved")
                    rolled_back["savepoint"] = TicketEvent.objects.get(ticket=partly, kind="resolved").pk
                    raise Refused
            except Refused:
                pass
        return partly.events.get(kind="started").pk

    threads, results = run_in_threads(slow_acknowledge, quick_acknowledge, refused_acknowledge, start_but_not_resolve)
    try:
        for thread in threads[1:]:
            thread.join(timeout=WAIT)
        assert all(isinstance(r, int) for r in results[1:]), results
        quick_id, refused_id, started_id = results[1:]

        # T1 is still open, with the smallest id of all: the fan-out goes on without it.
        webhooks_fan_out()
        assert delivered(everything) == Counter([quick_id, started_id])
        assert delivered(starts) == Counter([started_id])
    finally:
        slow_release.set()
        threads[0].join(timeout=WAIT)
    slow_id = results[0]
    assert isinstance(slow_id, int), slow_id
    # The out-of-order commit really happened: T1's id is below those sent before it.
    assert slow_id < min(quick_id, refused_id, started_id)
    assert not TicketEvent.objects.filter(pk__in=[refused_id, rolled_back["savepoint"]]).exists()

    webhooks_fan_out()
    webhooks_fan_out()

    assert delivered(everything) == Counter([slow_id, quick_id, started_id])
    assert delivered(starts) == Counter([started_id])
    assert webhooks_send_due() == 4
    assert webhooks_send_due() == 0
    ids = [headers["X-Zhitong-Event-Id"] for headers, _ in receiver.requests]
    assert len(ids) == len(set(ids)) == 4


def test_under_steady_load_with_rollbacks_each_committed_event_is_queued_once(zone):
    """Writers commit and roll back at random, holding their transactions open a little,
    while two fan-outs run over and over beside them; then, with one writer still busy,
    one more fan-out must catch up on everything committed."""
    tickets = [make_ticket(zone=zone) for _ in range(12)]
    busy = make_ticket(zone=zone)
    start = TicketEvent.objects.latest("pk").pk  # the subscriptions hear of what follows
    everything = subscribe(zone, "https://partner.example/all")
    acknowledgements = subscribe(zone, "https://partner.example/ack", event_kinds=["acknowledged"])
    writers_left = [3]
    writers_lock, writers_done = threading.Lock(), threading.Event()

    def writer(seed, mine):
        rng = random.Random(seed)
        committed = rolled_back = 0
        try:
            for ticket in mine:
                for step, extra in STEPS:
                    try:
                        with transaction.atomic():
                            step(ticket=ticket, actor=f"writer {seed}", **extra)
                            time.sleep(rng.uniform(0, 0.02))  # hold the transaction open a little
                            if rng.random() < 0.3:
                                raise Refused
                        committed += 1
                    except Refused:
                        rolled_back += 1
        finally:
            with writers_lock:
                writers_left[0] -= 1
                if not writers_left[0]:
                    writers_done.set()
        return committed, rolled_back

    def fan_out():
        queued = 0
        while not writers_done.is_set():
            queued += webhooks_fan_out(batch_size=3)
            time.sleep(0.005)
        return queued

    threads, results = run_in_threads(
        lambda: writer(1, tickets[0::3]),
        lambda: writer(2, tickets[1::3]),
        lambda: writer(3, tickets[2::3]),
        fan_out,
        fan_out,
    )
    for thread in threads:
        thread.join(timeout=2 * WAIT)
    assert not any(isinstance(r, Exception) for r in results), results
    committed = sum(c for c, _ in results[:3])
    assert sum(r for _, r in results[:3]) > 0  # some transactions did roll back, leaving gaps
    queued_during = sum(results[3:])
    assert queued_during > 0  # the fan-outs did run between the writers' commits

    # The load goes on: another writer has an event written and its transaction open.
    written, release = threading.Event(), threading.Event()

    def still_writing():
        with transaction.atomic():
            transitions.ticket_acknowledge(ticket=busy, actor="still writing")
            written.set()
            assert release.wait(WAIT)
        return busy.events.get(kind="acknowledged").pk

    [writing], late = run_in_threads(still_writing)
    try:
        assert written.wait(WAIT)
        queued_after = webhooks_fan_out()

        events = TicketEvent.objects.filter(pk__gt=start)  # the open one is not visible
        assert events.count() == committed
        assert delivered(everything) == Counter(events.values_list("pk", flat=True))
        assert delivered(acknowledgements) == Counter(events.filter(kind="acknowledged").values_list("pk", flat=True))
        assert queued_during + queued_after == WebhookDelivery.objects.count()
    finally:
        release.set()
        writing.join(timeout=WAIT)

    assert webhooks_fan_out() == 2  # the late one, to both subscriptions
    assert events.count() == committed + 1 and late[0] in events.values_list("pk", flat=True)
    assert delivered(everything) == Counter(events.values_list("pk", flat=True))
    assert delivered(acknowledgements) == Counter(events.filter(kind="acknowledged").values_list("pk", flat=True))

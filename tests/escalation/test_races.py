"""Races on real PostgreSQL rows: the row lock and skip_locked claims keep moves exactly-once."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction

from core.enums import Status, Tier
from core.errors import InvalidTransition
from escalation import transitions
from escalation.sweep import sweep_overdue_tickets
from grievances.models import Ticket, TicketEvent
from tests.factories import make_ticket, staffed_zone

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_threads(*calls):
    """Run each call in its own thread (own database connection); return results or errors."""
    results = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def worker(index, call):
        try:
            start.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    return threads, results


def race(*calls):
    """Queue every call on the ticket's row lock, then let them go: a true race."""
    ticket_pk = calls[0][0]
    with transaction.atomic():
        Ticket.objects.select_for_update().get(pk=ticket_pk)
        threads, results = run_in_threads(*(call for _, call in calls))
        time.sleep(0.5)
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_racing_transitions_one_wins_the_other_gets_a_clear_conflict():
    ticket = make_ticket()

    results = race(
        (ticket.pk, lambda: transitions.ticket_resolve(ticket=ticket, actor="desk A", outcome="solved")),
        (ticket.pk, lambda: transitions.ticket_cancel(ticket=ticket, actor="desk B", reason="withdrawn")),
    )

    winners = [r for r in results if isinstance(r, Ticket)]
    losers = [r for r in results if isinstance(r, InvalidTransition)]
    assert (len(winners), len(losers)) == (1, 1), results
    ticket.refresh_from_db()
    assert ticket.status in (Status.RESOLVED, Status.CANCELLED)
    assert ticket.version == 2 and ticket.events.count() == 2
    assert ticket.reference in losers[0].message and losers[0].code == "invalid_transition"


def test_two_desks_acting_on_the_same_version_one_is_told_to_reload():
    ticket = make_ticket()
    seen = ticket.version

    results = race(
        (ticket.pk, lambda: transitions.ticket_acknowledge(ticket=ticket, actor="desk A", expected_version=seen)),
        (
            ticket.pk,
            lambda: transitions.ticket_escalate(ticket=ticket, actor="desk B", reason="上报", expected_version=seen),
        ),
    )

    losers = [r for r in results if isinstance(r, InvalidTransition)]
    assert len(losers) == 1 and losers[0].code == "stale_version", results
    ticket.refresh_from_db()
    assert ticket.version == seen + 1


def test_two_racing_acknowledgements_one_wins():
    ticket = make_ticket()

    results = race(*[(ticket.pk, lambda: transitions.ticket_acknowledge(ticket=ticket, actor="desk"))] * 2)

    assert sorted(type(r).__name__ for r in results) == ["InvalidTransition", "Ticket"]
    assert ticket.events.filter(kind="acknowledged").count() == 1


def test_two_sweeps_racing_over_the_same_overdue_tickets_escalate_each_once():
    zone = staffed_zone()
    tickets = [make_ticket(zone=zone) for _ in range(120)]
    now = max(ticket.resolve_by for ticket in tickets) + dt.timedelta(minutes=1)

    threads, results = run_in_threads(
        lambda: sweep_overdue_tickets(now=now, batch_size=7),
        lambda: sweep_overdue_tickets(now=now, batch_size=7),
    )
    for thread in threads:
        thread.join(timeout=60)

    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(r.escalated for r in results) == 120
    assert Ticket.objects.filter(tier=Tier.COMMITTEE).count() == 120
    assert TicketEvent.objects.filter(kind="escalated").count() == 120
    assert sweep_overdue_tickets(now=now).escalated == 0


def test_one_sweep_drains_a_long_step_with_threads_each_ticket_once(monkeypatch):
    """More than a batch due: helper threads, each on its own connection, claim batches beside
    the sweep's own thread (ZHITONG_SWEEP_THREADS); every ticket still moves once, and the
    report counts the helpers' work too."""
    import escalation.sweep as sweep_module

    zone = staffed_zone()
    tickets = [make_ticket(zone=zone) for _ in range(60)]
    now = max(ticket.resolve_by for ticket in tickets) + dt.timedelta(minutes=1)
    batches_by_thread: dict[str, int] = {}

    def counted(**kwargs):
        result = transitions.sweep_escalate_due(**kwargs)
        if result.changed:  # a batch that moved tickets, not a claim that found none
            name = threading.current_thread().name
            batches_by_thread[name] = batches_by_thread.get(name, 0) + 1
        time.sleep(0.02)  # a batch's worth of work, so that every thread gets a turn
        return result

    steps = [(name, counted if name == "escalated" else step) for name, step in sweep_module.STEPS]
    monkeypatch.setattr(sweep_module, "STEPS", steps)

    report = sweep_overdue_tickets(now=now, batch_size=4, threads=3)

    assert report.escalated == 60 and not report.failed, report
    assert len(batches_by_thread) == 3, batches_by_thread  # the sweep's thread and two helpers
    assert Ticket.objects.filter(tier=Tier.COMMITTEE).count() == 60
    events = TicketEvent.objects.filter(kind="escalated")
    assert events.count() == 60 and events.values("ticket").distinct().count() == 60
    assert sweep_overdue_tickets(now=now, batch_size=4, threads=3).escalated == 0


def test_a_helper_that_fails_marks_the_step_failed_and_keeps_what_the_others_moved(monkeypatch, caplog):
    """A helper thread's database error (a lost connection, a lock timeout) is logged and the
    step reported failed, but the tickets the other threads moved are counted, and the rest
    stay due for the next sweep."""
    from django.db import OperationalError

    import escalation.sweep as sweep_module

    zone = staffed_zone()
    tickets = [make_ticket(zone=zone) for _ in range(40)]
    now = max(ticket.resolve_by for ticket in tickets) + dt.timedelta(minutes=1)

    def failing_in_a_helper(**kwargs):
        if threading.current_thread().name.startswith("sweep"):
            raise OperationalError("connection to server lost")
        time.sleep(0.02)
        return transitions.sweep_escalate_due(**kwargs)

    steps = [(name, failing_in_a_helper if name == "escalated" else step) for name, step in sweep_module.STEPS]
    monkeypatch.setattr(sweep_module, "STEPS", steps)

    report = sweep_overdue_tickets(now=now, batch_size=4, threads=2)

    moved = Ticket.objects.filter(tier=Tier.COMMITTEE).count()
    assert report.failed == ["escalated"] and report.escalated == moved == 40, report
    assert "connection to server lost" in caplog.text


def test_a_sweep_inside_a_transaction_starts_no_helper(monkeypatch):
    """Helpers on their own connections could neither see the rows of a transaction open around
    the sweep (the demo's month plays inside one) nor wait on its locks without hanging it."""
    import escalation.sweep as sweep_module

    started = []
    monkeypatch.setattr(sweep_module, "ThreadPoolExecutor", lambda **kwargs: started.append(kwargs))
    zone = staffed_zone()
    tickets = [make_ticket(zone=zone) for _ in range(9)]
    now = max(ticket.resolve_by for ticket in tickets) + dt.timedelta(minutes=1)

    with transaction.atomic():
        report = sweep_overdue_tickets(now=now, batch_size=2, threads=2)

    assert report.escalated == 9 and started == []
    assert TicketEvent.objects.filter(kind="escalated").count() == 9


def test_a_sweep_with_one_thread_or_one_batch_starts_no_helper(monkeypatch):
    import escalation.sweep as sweep_module

    started = []
    monkeypatch.setattr(sweep_module, "ThreadPoolExecutor", lambda **kwargs: started.append(kwargs))
    zone = staffed_zone()
    tickets = [make_ticket(zone=zone) for _ in range(6)]
    now = max(ticket.resolve_by for ticket in tickets) + dt.timedelta(minutes=1)

    assert sweep_overdue_tickets(now=now, batch_size=10, threads=2).escalated == 6  # one short batch
    later = max(t.resolve_by for t in Ticket.objects.filter(tier=Tier.COMMITTEE)) + dt.timedelta(minutes=1)
    assert sweep_overdue_tickets(now=later, batch_size=2, threads=1).escalated == 6  # three full batches
    assert started == [] and Ticket.objects.filter(tier=Tier.STREET).count() == 6


def test_the_database_refuses_a_second_escalation_from_the_same_tier():
    from django.db import IntegrityError

    ticket = make_ticket()
    up = transitions.ticket_escalate(ticket=ticket, actor="test", reason="一次")

    with pytest.raises(IntegrityError), transaction.atomic():
        TicketEvent.objects.create(ticket=up, kind="escalated", at=up.updated_at, from_tier="zone", to_tier="committee")


def test_a_pause_racing_the_sweep_either_escalates_or_pauses_never_both():
    """The sweep claims a ticket past its resolve-by while its owner pauses it a moment before
    the deadline (the owner's clock): one wins under the row lock, and the ticket is either
    escalated (the pause then refused) or paused (the sweep then passes it by)."""
    outcomes = set()
    for _ in range(6):
        ticket = transitions.ticket_start(ticket=make_ticket(), actor="desk")
        due = ticket.resolve_by

        threads, results = run_in_threads(
            lambda ticket=ticket, due=due: transitions.ticket_pause(
                ticket=ticket, actor="desk", reason="unreachable", now=due - dt.timedelta(seconds=30)
            ),
            lambda due=due: sweep_overdue_tickets(now=due + dt.timedelta(minutes=1)),
        )
        for thread in threads:
            thread.join(timeout=30)

        ticket.refresh_from_db()
        paused, sweep = results
        escalated = ticket.events.filter(kind="escalated").count()
        if isinstance(paused, Ticket):
            assert (escalated, ticket.tier, ticket.paused_at is not None) == (0, Tier.ZONE, True), results
            outcomes.add("paused")
        else:
            assert isinstance(paused, InvalidTransition), results
            assert (escalated, ticket.tier, ticket.paused_at) == (1, Tier.COMMITTEE, None), results
            outcomes.add("escalated")
        assert ticket.events.filter(kind="paused").count() + escalated == 1
    assert outcomes  # which won each time is up to the scheduler; never both


def test_two_sweeps_at_once_warn_each_ticket_once():
    zone = staffed_zone()
    tickets = [make_ticket(zone=zone) for _ in range(5)]
    moment = max(t.warn_quarter_at for t in tickets) + dt.timedelta(minutes=1)

    threads, results = run_in_threads(
        lambda: sweep_overdue_tickets(now=moment, batch_size=2),
        lambda: sweep_overdue_tickets(now=moment, batch_size=2),
    )
    for thread in threads:
        thread.join(timeout=30)

    assert sum(r.warned_quarter for r in results) == 5, results
    warnings = TicketEvent.objects.filter(ticket__in=tickets, kind="due_warning", data__threshold="quarter")
    assert sorted(warnings.values_list("ticket_id", flat=True)) == sorted(t.pk for t in tickets)
    again = sweep_overdue_tickets(now=moment + dt.timedelta(minutes=1))
    assert again.warned_quarter == 0

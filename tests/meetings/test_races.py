"""Two people recording a decision on one agenda item at the same moment, on real
PostgreSQL connections: one decision stands, the other is refused, the ticket moves once."""

import threading

import pytest
from django.db import connection

from core.enums import Status
from core.errors import ZhitongError
from grievances.models import TicketEvent
from meetings.models import AgendaItem
from meetings.services import agenda_decide
from responders.models import User
from tests.factories import begun, make_ticket, staffed_zone, tabled_at_opinion_day

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_of_two_simultaneous_decisions_on_an_item_stands():
    zone = staffed_zone()
    staff = User.objects.get(street=zone.committee.street, role="street_staff")
    leader = User.objects.get(street=zone.committee.street, role="street_leader")
    ticket = make_ticket(zone=zone)
    meeting, item = tabled_at_opinion_day(ticket, by=staff)
    begun(meeting)
    start = threading.Barrier(2)
    outcomes = []

    def decide(actor, decision, **params):
        try:
            start.wait()
            agenda_decide(item=item, actor=actor, decision=decision, **params)
            outcomes.append(decision)
        except ZhitongError as error:
            outcomes.append(f"refused: {error.message}")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(staff, "resolve"), kwargs={"outcome": "solved"}),
        threading.Thread(target=decide, args=(leader, "escalate"), kwargs={"reason": "居委会协调"}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    decided = AgendaItem.objects.get(pk=item.pk)
    ticket.refresh_from_db()
    assert sorted(outcome.startswith("refused") for outcome in outcomes) == [False, True]
    won = next(outcome for outcome in outcomes if not outcome.startswith("refused"))
    assert decided.decision == won
    expected = (Status.RESOLVED, "zone") if won == "resolve" else (Status.NEW, "committee")
    assert (ticket.status, ticket.tier) == expected
    moved = TicketEvent.objects.filter(ticket=ticket, kind__in=["resolved", "escalated"]).count()
    assert moved == 1

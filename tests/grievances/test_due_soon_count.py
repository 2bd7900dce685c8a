"""The queue's "due soon" card counts exactly the rows the queue colours due soon
(grievances.selectors.deadline_state), whichever warning passed, for the street's triage and a
committee's queue; and PostgreSQL's statistics of the first warning (migration 0027) are of the
very expression the unit's warning index holds, or the planner would not use them."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.utils import timezone

from escalation import transitions
from escalation.sla import SLA
from grievances.models import Ticket
from grievances.selectors import deadline_state
from responders.models import User
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def due_soon_card(html: str) -> int:
    return int(re.search(r'class="count due_soon"><strong>(\d+)</strong>', html).group(1))


def set_clock(ticket, due, **warnings):
    """Move the deadline and set the warnings as given (None: as a new clock would set them)."""
    computed = SLA.load().warnings(ticket.created_at, due)
    Ticket.objects.filter(pk=ticket.pk).update(resolve_by=due, **{**computed, **warnings})


def test_the_due_soon_card_counts_the_rows_coloured_due_soon(client, zone):
    # given: a ticket for each way of being due soon or not, at the street tier
    now = timezone.now()
    hour = dt.timedelta(hours=1)
    tickets = {name: make_ticket(zone=zone, urgency="emergency") for name in (
        "day_warning_passed", "only_quarter_passed", "old_rule_soon", "old_rule_later",
        "on_time", "paused", "flagged_overdue", "past_deadline", "closed",
    )}  # fmt: skip
    set_clock(tickets["day_warning_passed"], now + 5 * hour, warn_day_at=now - hour, warn_quarter_at=now - 2 * hour)
    set_clock(tickets["only_quarter_passed"], now + 50 * hour, warn_day_at=now + 30 * hour, warn_quarter_at=now - hour)
    set_clock(tickets["old_rule_soon"], now + 3 * hour, warn_day_at=None, warn_quarter_at=None)
    set_clock(tickets["old_rule_later"], now + 30 * hour, warn_day_at=None, warn_quarter_at=None)
    set_clock(tickets["on_time"], now + 200 * hour, warn_day_at=now + 180 * hour, warn_quarter_at=now + 150 * hour)
    set_clock(tickets["paused"], now + 5 * hour, warn_day_at=now - hour, warn_quarter_at=now - hour)
    Ticket.objects.filter(pk=tickets["paused"].pk).update(paused_at=now - hour)
    set_clock(tickets["flagged_overdue"], now + 5 * hour, warn_day_at=now - hour, warn_quarter_at=now - hour)
    Ticket.objects.filter(pk=tickets["flagged_overdue"].pk).update(overdue=True)
    set_clock(tickets["past_deadline"], now - hour, warn_day_at=now - 5 * hour, warn_quarter_at=now - 9 * hour)
    set_clock(tickets["closed"], now + 5 * hour, warn_day_at=now - hour, warn_quarter_at=now - hour)
    transitions.ticket_resolve(ticket=tickets["closed"], actor="test", outcome="solved")
    street_staff = User.objects.get(role=User.Role.STREET_STAFF, street=zone.committee.street)
    committee_staff = User.objects.get(role=User.Role.COMMITTEE_STAFF, committee=zone.committee)

    # when
    client.force_login(street_staff)
    street_queue = client.get("/queue/").content.decode()
    client.force_login(committee_staff)
    committee_queue = client.get("/queue/", {"tier": ""}).content.decode()

    # then: the card and the rows' colours agree, and they are the three expected
    coloured = Ticket.objects.filter(pk__in=[t.pk for t in tickets.values()])
    due_soon = {ticket.pk for ticket in coloured if deadline_state(ticket) == "due_soon"}
    assert due_soon == {tickets[name].pk for name in ("day_warning_passed", "only_quarter_passed", "old_rule_soon")}
    assert due_soon_card(street_queue) == 3
    assert due_soon_card(committee_queue) == 3


def test_the_first_warnings_statistics_are_of_the_indexed_expression():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_statisticsobjdef_expressions(oid)::text FROM pg_statistic_ext "
            "WHERE stxname = 'ticket_first_warning'"
        )
        (statistics,) = cursor.fetchone()
        cursor.execute("SELECT pg_get_indexdef('ticket_open_street_warn'::regclass, 2, false)")
        (indexed,) = cursor.fetchone()

    def words(sql: str) -> str:
        return re.sub(r"[\s()]+", " ", sql.strip('{}"')).strip()

    assert words(statistics) == words(indexed)

"""The first answer to a resident is kept when the ticket moves up a tier (the response rate
counts it), and tickets from before that column have it filled in from their timelines."""

import importlib

import pytest
from django.apps import apps

from escalation import transitions
from grievances.models import Ticket, TicketEvent
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def test_the_first_answer_survives_an_escalation_and_the_current_tiers_does_not():
    ticket = transitions.ticket_acknowledge(ticket=make_ticket(), actor="test")
    answered = ticket.first_responded_at

    moved = transitions.ticket_escalate(ticket=ticket, actor="test", reason="楼组长协调不了")
    moved = transitions.ticket_start(ticket=moved, actor="test")

    assert answered is not None and moved.first_responded_at == answered
    assert moved.responded_at > answered  # the committee's own answer


def test_the_migration_fills_the_first_answer_in_from_the_timeline():
    backfill = importlib.import_module("grievances.migrations.0007_ticket_first_responded_at").backfill
    answered = transitions.ticket_escalate(
        ticket=transitions.ticket_acknowledge(ticket=make_ticket(), actor="test"), actor="test", reason="转居委会"
    )
    never = make_ticket()
    Ticket.objects.update(first_responded_at=None)

    backfill(apps, None)

    acknowledged = TicketEvent.objects.get(ticket=answered, kind="acknowledged").at
    assert Ticket.objects.get(pk=answered.pk).first_responded_at == acknowledged
    assert Ticket.objects.get(pk=never.pk).first_responded_at is None

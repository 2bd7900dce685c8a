"""Issue 20's "done when" on the demo street: a lift reported at the door, by phone and by
12345 is one ticket with three reporters; the street leader is handed a recurring leak in one
lane as a risk-screening topic. Through the real services (demo/duplicates.py)."""

import pytest
from django.core.management import call_command

from alerts.models import Notification
from core.enums import Status
from demo.duplicates import LIFT_AT_DOOR, LIFT_BY_HOTLINE, play
from grievances.models import Ticket
from meetings.models import RecurringTopic
from responders.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_street_has_one_lift_ticket_with_three_reporters_and_a_recurring_leak_topic():
    call_command("seed_demo", "--no-progress")

    said = play()

    lift = Ticket.objects.get(description=LIFT_AT_DOOR)
    assert lift.is_open and "3 reporters" in said
    channels = sorted([lift.channel, *lift.reporters.values_list("channel", flat=True)])
    assert channels == ["partner", "phone", "visit"]
    hotline = Ticket.objects.get(description=LIFT_BY_HOTLINE)
    assert (hotline.status, hotline.duplicate_of) == (Status.CANCELLED, lift)

    topic = RecurringTopic.objects.get(kind=RecurringTopic.Kind.PLACE)
    assert topic.status == RecurringTopic.Status.TABLED
    assert topic.agenda_item.meeting.type.code == "risk_screening" and topic.tickets.count() == 3
    leader = topic.committee.duty_leader
    assert leader.role == User.Role.STREET_LEADER
    assert Notification.objects.filter(recipient=leader, kind=Notification.Kind.RECURRING_TOPIC).count() == 1

    # Played again: nothing more.
    assert "already" in play()
    assert Ticket.objects.filter(description=LIFT_AT_DOOR).count() == 1 and RecurringTopic.objects.count() == 1

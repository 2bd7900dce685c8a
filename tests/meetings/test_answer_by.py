"""Issue 15, item 8 (answer-by): within a year, and a warning after the ticket's resolve-by;
one field (escalation.forms.AnswerByField) for the ticket page and the meeting decision."""

import datetime as dt

import pytest
from django import forms
from django.utils import timezone

from core.enums import Status
from escalation import transitions
from escalation.forms import AnswerByField, ReferForm
from meetings import services
from meetings.models import MeetingType
from responders.models import User
from tests.factories import begun, department_for, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db


def test_an_answer_by_in_2099_is_refused_and_one_within_a_year_accepted():
    field = AnswerByField(label="x")
    today = timezone.localdate()

    with pytest.raises(forms.ValidationError):
        field.clean("2099-01-01")
    with pytest.raises(forms.ValidationError):
        field.clean(f"{today + dt.timedelta(days=400):%Y-%m-%d}")
    assert field.clean(f"{today + dt.timedelta(days=300):%Y-%m-%d}") is not None
    rendered = field.widget.render("answer_by", None)
    assert 'max="' in rendered and 'min="' in rendered


def test_the_ticket_pages_refer_form_refuses_2099():
    ticket = make_ticket()
    department = department_for(ticket)
    form = ReferForm({"department": department.pk, "answer_by": "2099-12-31"}, ticket=ticket)
    assert not form.is_valid() and "answer_by" in form.errors


def test_a_meeting_decision_warns_when_the_answer_is_due_after_the_resolve_by(client):
    zone = staffed_zone()
    ticket = make_ticket(zone=zone)
    transitions.ticket_escalate(ticket=ticket, actor="test", reason="x")
    transitions.ticket_escalate(ticket=ticket, actor="test", reason="y")
    ticket.refresh_from_db()
    department = department_for(ticket, name="房管办")
    leader = User.objects.get(role=User.Role.STREET_LEADER, street=zone.committee.street)
    meeting = services.meeting_schedule(
        type=MeetingType.objects.get(code="mediation"),
        unit=zone.committee.street,
        starts_at=timezone.now() + dt.timedelta(days=1),
        actor=leader,
    )
    item, _late = services.agenda_add_ticket(meeting=meeting, ticket=ticket, actor=leader)
    begun(meeting)
    client.force_login(leader)
    prefix = f"item{item.pk}-"
    base = {"item": item.pk, prefix + "decision": "refer", prefix + "departments": [department.pk]}

    refused = client.post(f"/meetings/{meeting.pk}/decide/", {**base, prefix + "answer_by": "2099-01-01"})
    assert refused.status_code == 400 and f'has-error" data-field="{prefix}answer_by"' in refused.content.decode()
    ticket.refresh_from_db()
    assert ticket.status != Status.REFERRED

    late = timezone.localtime(ticket.resolve_by).date() + dt.timedelta(days=20)
    response = client.post(
        f"/meetings/{meeting.pk}/decide/", {**base, prefix + "answer_by": f"{late:%Y-%m-%d}"}, follow=True
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.REFERRED
    assert "resolve-by" in response.content.decode() or "办结期限" in response.content.decode()

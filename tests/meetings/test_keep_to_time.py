"""Issue 15, item 6: meetings keep to time; a committee's coordination meeting takes up its
zones' disputes; the planning and decision forms offer only what belongs."""

import datetime as dt

import pytest
from django.utils import timezone

from core.enums import Status, Tier
from core.errors import InvalidInput
from escalation.transitions.table import Action
from meetings import services
from meetings.forms import DecisionForm, MeetingForm, ParticipantForm, RecordForm
from meetings.models import AgendaItem, Meeting, MeetingType
from meetings.selectors import meeting_candidates
from responders.models import User
from responders.selectors import user_scope
from tests.factories import CommitteeFactory, UserFactory, ZoneFactory, begun, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def kind(code):
    return MeetingType.objects.get(code=code)


def plan(code, unit, when):
    return services.meeting_schedule(type=kind(code), unit=unit, starts_at=when, actor=None)


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_meeting_is_recorded_as_held_only_once_it_has_started():
    zone = staffed_zone()
    now = timezone.now()
    meeting = plan("opinion_day", zone, now + 6 * DAY)

    with pytest.raises(InvalidInput) as refused:
        services.meeting_record(meeting=meeting, actor="test", minutes="草稿", attended=[], held=True, now=now)
    drafted = services.meeting_record(meeting=meeting, actor="test", minutes="草稿", attended=[], held=False, now=now)
    held = services.meeting_record(
        meeting=meeting, actor="test", minutes="纪要", attended=[], held=True, now=meeting.starts_at
    )

    assert refused.value.field == "held"
    assert drafted.status == Meeting.Status.PLANNED and drafted.minutes == "草稿"
    assert held.status == Meeting.Status.HELD


def test_the_record_form_does_not_pre_tick_held_and_the_page_names_the_field(client):
    zone = staffed_zone()
    meeting = plan("opinion_day", zone, timezone.now() + 6 * DAY)
    assert not RecordForm(meeting=meeting)["held"].initial
    assert "checked" not in str(RecordForm(meeting=meeting)["held"])
    client.force_login(User.objects.get(memberships__team__zone=zone))

    response = client.post(f"/meetings/{meeting.pk}/record/", {"minutes": "纪要", "held": "on"})

    meeting.refresh_from_db()
    assert response.status_code == 400 and 'has-error" data-field="held"' in response.content.decode()
    assert meeting.status == Meeting.Status.PLANNED and meeting.held_at is None


def test_a_decision_before_the_meeting_starts_is_refused_and_leaves_the_ticket_alone():
    ticket = make_ticket()
    meeting = plan("opinion_day", ticket.zone, timezone.now() + 6 * DAY)
    item, _late = services.agenda_add_ticket(meeting=meeting, ticket=ticket, actor="test")

    with pytest.raises(InvalidInput) as refused:
        services.agenda_decide(item=item, actor="test", decision="resolve", outcome="solved", now=timezone.now())
    assert AgendaItem.objects.get(pk=item.pk).decided_at is None
    services.agenda_decide(item=item, actor="test", decision="resolve", outcome="solved", now=meeting.starts_at)

    ticket.refresh_from_db()
    assert refused.value.field == "decision"
    assert ticket.status == Status.RESOLVED
    assert ticket.events.get(kind="resolved").at == meeting.starts_at


def test_a_committees_coordination_meeting_takes_up_its_own_zones_tickets(client):
    zone = staffed_zone()
    committee = zone.committee
    sister = ZoneFactory(committee=committee)
    elsewhere = ZoneFactory(committee=CommitteeFactory(street=committee.street))
    at_zone, at_sister, theirs = make_ticket(zone=zone), make_ticket(zone=sister), make_ticket(zone=elsewhere)
    staff = User.objects.get(role=User.Role.COMMITTEE_STAFF, committee=committee)
    meeting = plan("coordination", committee, timezone.now() + 2 * DAY)

    proposed = list(meeting_candidates(user_scope(staff), meeting))
    assert at_zone in proposed and at_sister in proposed and theirs not in proposed
    assert at_zone.tier == Tier.ZONE

    client.force_login(staff)
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert at_zone.reference in page and 'name="reference"' in page
    client.post(f"/meetings/{meeting.pk}/add_ticket/", {"ticket": at_zone.pk})
    client.post(f"/meetings/{meeting.pk}/add_ticket/", {"reference": at_sister.reference})
    refused = client.post(f"/meetings/{meeting.pk}/add_ticket/", {"reference": theirs.reference}, follow=True)

    assert {item.ticket for item in meeting.agenda.all()} == {at_zone, at_sister}
    assert theirs.reference in refused.content.decode()
    begun(meeting)
    item = meeting.agenda.get(ticket=at_zone)
    client.post(
        f"/meetings/{meeting.pk}/decide/",
        {"item": item.pk, f"item{item.pk}-decision": "resolve", f"item{item.pk}-outcome": "solved"},
    )
    at_zone.refresh_from_db()
    assert at_zone.status == Status.RESOLVED


def test_the_planning_form_offers_only_the_persons_own_tier():
    zone = staffed_zone()
    other = ZoneFactory(committee=zone.committee)
    committee_staff = User.objects.get(role=User.Role.COMMITTEE_STAFF, committee=zone.committee)
    member = User.objects.get(memberships__team__zone=zone)

    committee_form = MeetingForm(user=committee_staff)
    member_form = MeetingForm(user=member)
    committee_units = [value for _group, options in committee_form.fields["unit"].choices for value, _l in options]
    committee_types = {pk for pk, _label in committee_form.fields["type"].widget.choices if pk}
    member_units = [value for _group, options in member_form.fields["unit"].choices for value, _l in options]
    member_types = {pk for pk, _label in member_form.fields["type"].widget.choices if pk}

    assert committee_units == [f"committee:{zone.committee_id}"]
    assert f"zone:{other.pk}" not in committee_units
    assert committee_types == set(
        MeetingType.objects.filter(active=True, tier=Tier.COMMITTEE).values_list("pk", flat=True)
    )
    assert member_units == [f"zone:{zone.pk}"]
    assert member_types == set(MeetingType.objects.filter(active=True, tier=Tier.ZONE).values_list("pk", flat=True))
    refused = MeetingForm(
        {"type": kind("opinion_day").pk, "unit": f"zone:{zone.pk}", "starts_at": local(timezone.now() + DAY)},
        user=committee_staff,
    )
    assert not refused.is_valid() and "unit" in refused.errors


def test_the_decision_form_speaks_the_ticket_pages_words_and_groups_its_fields():
    ticket = make_ticket()
    meeting = plan("opinion_day", ticket.zone, timezone.now() + DAY)
    form = DecisionForm(meeting=meeting, ticket=ticket)

    labels = dict(form.fields["decision"].choices)
    assert labels["escalate"] == Action.ESCALATE.label and labels["resolve"] == Action.RESOLVE.label
    assert labels["refer"] == Action.REFER.label and labels["assign"] == Action.ASSIGN.label
    rows = {field.name: decisions for field, decisions in form.rows()}
    assert rows == {
        "decision": "",
        "note": "",
        "outcome": "resolve",
        "departments": "refer",
        "answer_by": "refer",
        "owner": "assign",
    }
    from django.utils import translation

    with translation.override("zh-hans"):
        assert (
            str(dict(DecisionForm(meeting=meeting, ticket=ticket).fields["decision"].choices)["escalate"]) == "上报上级"
        )


def test_owners_and_invitees_are_those_of_the_meetings_unit():
    zone = staffed_zone()
    committee = zone.committee
    other_committee = CommitteeFactory(street=committee.street)
    outsider = UserFactory(role=User.Role.COMMITTEE_STAFF, committee=other_committee, full_name="别的居委")
    ours = User.objects.get(role=User.Role.COMMITTEE_STAFF, committee=committee)
    ticket = make_ticket(zone=zone)
    meeting = plan("coordination", committee, timezone.now() + DAY)
    AgendaItem.objects.create(meeting=meeting, ticket=ticket, position=1)

    invitees = set(ParticipantForm(meeting=meeting).fields["user"].queryset)
    owners = set(DecisionForm(meeting=meeting, ticket=ticket).fields["owner"].queryset)

    assert ours in invitees and outsider not in invitees
    assert ours in owners and outsider not in owners


def test_the_calendar_is_a_month_grid_of_weeks_with_each_meeting_on_its_day(client):
    zone = staffed_zone()
    when = dt.datetime(2026, 12, 8, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    meeting = plan("opinion_day", zone, when)
    client.force_login(User.objects.get(memberships__team__zone=zone))

    page = client.get("/meetings/?month=2026-12").content.decode()

    grid = page.split('data-testid="month-grid"')[1]
    assert grid.count('class="weekday"') == 7
    # December 2026: Monday 30 November to Sunday 3 January, five weeks.
    assert grid.count('data-date="') == 35 and 'data-date="2026-11-30"' in grid and 'data-date="2027-01-03"' in grid
    day = grid.split('data-date="2026-12-08"')[1].split('data-date="2026-12-09"')[0]
    assert meeting.display_title in day
    assert "meetings.css" in page

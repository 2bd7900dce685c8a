"""The overdue sweep: the pyramid climb, flags and alerts, exactly once."""

import datetime as dt

import pytest
from django.core.management import call_command

from alerts.models import Notification
from core.enums import Status, Tier
from escalation import transitions
from escalation.sweep import sweep_overdue_tickets
from grievances.models import Ticket, TicketEvent
from responders.models import User
from tests.factories import UserFactory, department_for, make_ticket

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def sweep_after(django_capture_on_commit_callbacks):
    """Sweep a minute after `deadline`, then run its on-commit work (the alerts) as a
    committed transaction would: the test itself runs in a transaction that never commits."""

    def sweep(deadline: dt.datetime, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return sweep_overdue_tickets(now=deadline + MINUTE, **kwargs)

    return sweep


def test_a_ticket_left_alone_climbs_to_the_committee_then_the_street(sweep_after):
    ticket = make_ticket()
    zone_owner = ticket.owner

    first = sweep_after(ticket.resolve_by)
    ticket.refresh_from_db()
    committee_owner = ticket.owner
    second = sweep_after(ticket.resolve_by)
    ticket.refresh_from_db()

    assert (first.escalated, second.escalated) == (1, 1)
    assert (ticket.tier, ticket.status) == (Tier.STREET, Status.NEW)
    assert (zone_owner.full_name, committee_owner.full_name, ticket.owner.full_name) == (
        "片区队员",
        "居委干部",
        "包干领导",
    )
    climbs = ticket.events.filter(kind="escalated").order_by("at")
    assert [(e.from_tier, e.to_tier, e.actor_label) for e in climbs] == [
        ("zone", "committee", "sweep"),
        ("committee", "street", "sweep"),
    ]
    assert all("自动上报" in e.note for e in climbs)
    assert Notification.objects.filter(kind="escalated", recipient=committee_owner, ticket=ticket).exists()
    assert Notification.objects.filter(kind="escalated", recipient=ticket.owner, ticket=ticket).exists()


def test_at_the_street_a_breach_marks_overdue_and_alerts_the_responsible_leader(sweep_after):
    ticket = make_ticket(urgency="emergency")
    leader = ticket.committee.duty_leader
    other_leader = UserFactory(role=User.Role.STREET_LEADER, street=ticket.street)
    transitions.ticket_assign(
        ticket=ticket, actor="test", owner=UserFactory(role=User.Role.STREET_STAFF, street=ticket.street)
    )

    report = sweep_after(ticket.resolve_by)
    again = sweep_after(ticket.resolve_by + dt.timedelta(days=1))

    ticket.refresh_from_db()
    assert (report.street_overdue, again.street_overdue) == (1, 0)
    assert ticket.overdue and ticket.tier == Tier.STREET
    assert Notification.objects.filter(kind="overdue", recipient=leader, ticket=ticket).count() == 1
    assert Notification.objects.filter(kind="overdue", recipient=ticket.owner, ticket=ticket).count() == 1
    assert not Notification.objects.filter(recipient=other_leader).exists()


def test_a_response_breach_alerts_once_and_does_not_move_the_ticket(sweep_after):
    ticket = make_ticket()

    report = sweep_after(ticket.respond_by)
    again = sweep_after(ticket.respond_by + dt.timedelta(hours=2))

    ticket.refresh_from_db()
    assert (report.respond_overdue, again.respond_overdue, report.escalated) == (1, 0, 0)
    assert ticket.respond_overdue and ticket.tier == Tier.ZONE and ticket.status == Status.NEW
    assert Notification.objects.filter(kind="respond_overdue", recipient=ticket.owner).count() == 1


def test_an_acknowledged_ticket_is_not_flagged_for_its_response(sweep_after):
    ticket = transitions.ticket_acknowledge(ticket=make_ticket(), actor="test")
    assert sweep_after(ticket.respond_by).respond_overdue == 0


def test_a_late_department_is_chased(sweep_after):
    ticket = transitions.ticket_start(ticket=make_ticket(urgency="emergency"), actor="test")
    department = department_for(ticket)
    liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department)
    answer_by = ticket.resolve_by - dt.timedelta(hours=1)
    ticket = transitions.ticket_refer(ticket=ticket, actor="test", department=department, answer_by=answer_by)

    report = sweep_after(answer_by)

    ticket.refresh_from_db()
    assert report.answer_overdue == 1 and ticket.answer_overdue
    event = ticket.events.get(kind="answer_overdue")
    assert event.data["departments"] == [department.name]
    assert Notification.objects.filter(kind="answer_overdue", recipient=liaison, ticket=ticket).exists()
    assert sweep_after(answer_by).answer_overdue == 0


def test_a_resolved_ticket_closes_when_the_feedback_window_ends(sweep_after):
    ticket = transitions.ticket_resolve(ticket=make_ticket(), actor="test", outcome="solved")

    early = sweep_overdue_tickets(now=ticket.feedback_due_by - MINUTE)
    late = sweep_after(ticket.feedback_due_by)

    ticket.refresh_from_db()
    assert (early.closed, late.closed) == (0, 1)
    assert ticket.status == Status.CLOSED
    assert ticket.events.last().actor_label == "sweep"


def test_running_the_sweep_again_changes_nothing(sweep_after):
    tickets = [make_ticket() for _ in range(3)]
    latest = max(ticket.resolve_by for ticket in tickets)
    sweep_after(latest)
    events = TicketEvent.objects.count()

    report = sweep_after(latest)

    assert str(report) == (
        "pauses_ended 0, escalated 0, respond_overdue 0, street_overdue 0, answer_overdue 0, closed 0, "
        "warned_quarter 0, warned_day 0, alerts_resent 0"
    )
    assert TicketEvent.objects.count() == events


def test_batches_cover_every_due_ticket(sweep_after):
    tickets = [make_ticket() for _ in range(7)]

    report = sweep_after(max(ticket.resolve_by for ticket in tickets), batch_size=2)

    assert report.escalated == 7
    assert Ticket.objects.filter(tier=Tier.COMMITTEE).count() == 7


def test_a_ticket_that_cannot_move_does_not_hold_up_the_others(sweep_after, caplog):
    stuck, fine = make_ticket(), make_ticket()
    # Nobody left above the stuck ticket's zone: its committee and street lose their staff.
    User.objects.filter(committee=stuck.committee).update(is_active=False)
    User.objects.filter(street=stuck.street).update(is_active=False)
    Ticket.objects.filter(pk=stuck.pk).update(resolve_by=fine.resolve_by - dt.timedelta(hours=1))

    report = sweep_after(fine.resolve_by, batch_size=1)

    stuck.refresh_from_db()
    fine.refresh_from_db()
    assert report.escalated == 1
    assert (stuck.tier, fine.tier) == (Tier.ZONE, Tier.COMMITTEE)
    assert stuck.reference in caplog.text


def test_deadlines_in_a_year_without_holiday_data_do_not_stop_the_sweep():
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(resolve_by=dt.datetime(2098, 12, 30, tzinfo=dt.UTC))

    report = sweep_overdue_tickets(now=dt.datetime(2099, 1, 2, 3, 0, tzinfo=dt.UTC))

    ticket.refresh_from_db()
    assert report.escalated == 1 and ticket.tier == Tier.COMMITTEE
    assert ticket.resolve_by.year == 2099


def test_the_sweep_is_a_management_command_too():
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(resolve_by=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))

    call_command("sweep")

    ticket.refresh_from_db()
    assert ticket.tier == Tier.COMMITTEE


def test_a_referred_ticket_waits_for_its_department_instead_of_climbing(sweep_after):
    ticket = transitions.ticket_start(ticket=make_ticket(), actor="test")
    ticket = transitions.ticket_refer(ticket=ticket, actor="test", department=department_for(ticket))
    assert ticket.answer_by > ticket.resolve_by  # a month for the department, ten days for the zone

    report = sweep_after(ticket.resolve_by)

    ticket.refresh_from_db()
    assert report.escalated == 0
    assert (ticket.tier, ticket.status) == (Tier.ZONE, Status.REFERRED)
    assert ticket.referrals.get().withdrawn_at is None


def test_one_batch_of_different_tickets_writes_each_its_own_new_tier_owner_and_clock(sweep_after):
    """A batch is written in one statement, a value shared by the whole batch sent once and
    the others per ticket: tickets of two tiers, two urgencies and two categories, due together, each get
    the tier above, that tier's owner and the clock the SLA gives it there, as one escalation
    alone would."""
    from escalation.sla import SLA

    zone_tickets = [
        make_ticket(urgency=urgency, category=category)
        for urgency, category in (("normal", "environment"), ("urgent", "environment"), ("normal", "housing"))
    ]
    committee_tickets = [
        transitions.ticket_escalate(ticket=make_ticket(urgency=urgency), actor="desk", reason="上报")
        for urgency in ("normal", "urgent")
    ]
    tickets = zone_tickets + committee_tickets
    before = {t.pk: (t.tier, t.version) for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets])}
    moment = max(t.resolve_by for t in tickets)

    report = sweep_after(moment, batch_size=10)

    assert report.escalated == 5
    sla, now = SLA.load(), moment + MINUTE
    for ticket in Ticket.objects.filter(pk__in=before).select_related("owner"):
        tier, version = before[ticket.pk]
        clock = sla.clock(ticket.tier, ticket.urgency, now, category_id=ticket.category_id)
        assert ticket.tier == Tier(tier).above and ticket.status == Status.NEW
        assert ticket.owner.full_name == {"committee": "居委干部", "street": "包干领导"}[ticket.tier]
        assert (ticket.respond_by, ticket.resolve_by) == (clock.respond_by, clock.resolve_by)
        assert (ticket.warn_quarter_at, ticket.warn_day_at) == (clock.warn_quarter_at, clock.warn_day_at)
        assert (ticket.warned_quarter, ticket.warned_day, ticket.responded_at) == (False, False, None)
        assert (ticket.version, ticket.updated_at) == (version + 1, now)

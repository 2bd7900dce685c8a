"""Issue 19: deadlines by kind of matter, honest pauses, warnings before the breach — on
PostgreSQL, across real holiday stretches with make-up working days."""

import datetime as dt

import pytest
from django.test import override_settings

from alerts.models import Notification
from catalogue.models import ServiceItem
from core.clock import SHANGHAI
from core.enums import PauseReason, ResumeHow, Status, TicketKind, Tier
from core.errors import InvalidInput, InvalidTransition
from escalation import transitions
from escalation.calendar import WorkingCalendar
from escalation.models import SLAPolicy
from escalation.sla import SLA
from escalation.sweep import sweep_overdue_tickets
from grievances.models import Category, TicketEvent
from intake.services import service_apply, visit_log
from responders.models import User
from tests.factories import HouseholdFactory, make_ticket

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def clerk_of(zone) -> User:
    return User.objects.get(committee=zone.committee, role=User.Role.COMMITTEE_STAFF)


# --- the calendar's working time --------------------------------------------------------


def test_working_time_counts_office_hours_on_working_days_only():
    calendar = WorkingCalendar()
    # Friday 25 Sep 2026 10:00 (Mid-Autumn, a holiday) to Friday 9 Oct 10:00, over the
    # National Day week (1-7 Oct): working days 28, 29, 30 Sep and 8 Oct (8.5 h each), 9 Oct (1 h).
    paused = calendar.working_time_between(at(2026, 9, 25, 10), at(2026, 10, 9, 10))
    assert paused == dt.timedelta(hours=4 * 8.5 + 1)
    # Sunday 20 Sep is a make-up working day: it counts.
    assert calendar.working_time_between(at(2026, 9, 19, 10), at(2026, 9, 20, 12)) == dt.timedelta(hours=3)
    assert calendar.add_working_time(at(2026, 9, 30, 17, 30), dt.timedelta(hours=1)) == at(2026, 10, 8, 10)
    assert calendar.subtract_working_time(at(2026, 10, 8, 10), dt.timedelta(hours=1)) == at(2026, 10, 8, 9)
    assert calendar.subtract_working_time(at(2026, 10, 8, 10), dt.timedelta(hours=2)) == at(2026, 9, 30, 16, 30)
    assert calendar.add_working_time(at(2026, 10, 8, 12), dt.timedelta(0)) == at(2026, 10, 8, 12)


# --- applications at the window -----------------------------------------------------------


def test_an_application_during_national_day_is_due_seven_working_days_after(zone):
    household = HouseholdFactory(zone=zone)
    item = ServiceItem.objects.get(code="residence_registration")  # 7 working days, ordinary
    received = at(2026, 10, 2, 10)  # a holiday: the committee's window is open for the week's duty

    ticket = service_apply(
        actor=clerk_of(zone), item=item, household=household, documents_received=["居民身份证"], now=received
    )

    # Working days after 2 Oct: 8, 9, 10 (the make-up Saturday), 12, 13, 14, 15.
    assert ticket.resolve_by == at(2026, 10, 15, 17, 30)
    assert (ticket.kind, ticket.service_item, ticket.tier) == (TicketKind.SERVICE, item, Tier.STREET)
    assert ticket.documents_received == ["居民身份证"]
    assert ticket.first_receiver == clerk_of(zone)  # 一口受理: the window that took it
    assert ticket.owner.role in (User.Role.STREET_STAFF, User.Role.STREET_LEADER)  # the completing office
    urgent = service_apply(actor=clerk_of(zone), item=item, household=household, urgency="urgent", now=received)
    assert urgent.resolve_by == at(2026, 10, 10, 17, 30)  # 3 working days: 8, 9, 10


def test_a_committee_item_is_answered_for_by_the_committee(zone):
    item = ServiceItem.objects.get(code="residence_certificate")
    ticket = service_apply(actor=clerk_of(zone), item=item, household=HouseholdFactory(zone=zone))
    assert ticket.tier == Tier.COMMITTEE and ticket.owner == clerk_of(zone)


def test_an_application_names_only_the_items_documents_and_no_emergency(zone):
    item = ServiceItem.objects.get(code="residence_registration")
    household = HouseholdFactory(zone=zone)
    with pytest.raises(InvalidInput) as error:
        service_apply(actor=clerk_of(zone), item=item, household=household, documents_received=["结婚证"])
    assert error.value.field == "documents"
    with pytest.raises(InvalidInput) as error:
        service_apply(actor=clerk_of(zone), item=item, household=household, urgency="emergency")
    assert error.value.field == "urgency"
    ServiceItem.objects.filter(pk=item.pk).update(active=False)
    with pytest.raises(InvalidInput) as error:
        service_apply(actor=clerk_of(zone), item=item, household=household)
    assert error.value.field == "service_item"


def test_a_clerk_hands_an_application_on_without_the_resident_coming_back(zone):
    ticket = service_apply(
        actor=clerk_of(zone),
        item=ServiceItem.objects.get(code="elderly_allowance"),
        household=HouseholdFactory(zone=zone),
    )
    street_staff = User.objects.get(street=zone.committee.street, role=User.Role.STREET_STAFF)
    ticket = transitions.ticket_assign(ticket=ticket, actor=ticket.owner, owner=street_staff)
    assert ticket.owner == street_staff and ticket.resolve_by  # the clock runs on, with the same limit


# --- SLA by kind of matter --------------------------------------------------------------------


def test_the_most_specific_policy_wins(zone):
    monday = at(2026, 11, 16, 10)
    lift = make_ticket(zone=zone, category="public_facilities", now=monday)  # the seeded lift row: 3 days
    policy_question = make_ticket(zone=zone, category="policy", now=monday)  # the zone's row: 10 days
    assert lift.resolve_by == at(2026, 11, 19, 17, 30)
    assert policy_question.resolve_by == at(2026, 11, 30, 17, 30)

    item = ServiceItem.objects.get(code="minimum_living")  # its own limit: 10 working days
    sla = SLA.load()
    assert sla.policy(Tier.STREET, "normal", service_item_id=item.pk).resolve_within == 10
    SLAPolicy.objects.create(
        tier=Tier.STREET,
        urgency="normal",
        service_item=item,
        respond_within=1,
        respond_unit="working_days",
        resolve_within=5,
        resolve_unit="working_days",
    )
    sla = SLA.load()
    assert sla.policy(Tier.STREET, "normal", service_item_id=item.pk).resolve_within == 5
    # A category row does not reach another category, nor another tier: the defaults stay.
    facilities = Category.objects.get(code="public_facilities").pk
    assert sla.policy(Tier.COMMITTEE, "normal", category_id=facilities).resolve_within == 15
    assert sla.policy(Tier.ZONE, "urgent", category_id=facilities).resolve_within == 3


# --- honest pauses ------------------------------------------------------------------------------


def started(zone, now, **kwargs):
    ticket = make_ticket(zone=zone, now=now, **kwargs)
    return transitions.ticket_start(ticket=ticket, actor=ticket.owner, now=now + MINUTE)


def test_a_pause_across_a_weekend_and_a_holiday_moves_the_deadline_by_working_time_only(zone):
    # Opened Tuesday 29 Sep 2026: 10 working days (30 Sep, 8, 9, 10, 12-16, 19 Oct).
    ticket = started(zone, at(2026, 9, 29, 10))
    assert ticket.resolve_by == at(2026, 10, 19, 17, 30)
    owner = ticket.owner

    ticket = transitions.ticket_pause(
        ticket=ticket, actor=owner, reason=PauseReason.RESIDENT_UNREACHABLE, now=at(2026, 9, 30, 15, 30)
    )
    assert ticket.paused_at and ticket.resolve_by == at(2026, 10, 19, 17, 30)
    # Resumed on Friday 9 Oct at 11:00: 2 h on 30 Sep, all of 8 Oct (8.5 h), 2 h on 9 Oct.
    ticket = transitions.ticket_resume(
        ticket=ticket, actor=owner, how=ResumeHow.RESIDENT_REPLIED, now=at(2026, 10, 9, 11)
    )

    assert ticket.paused_at is None and ticket.paused_seconds == int(12.5 * 3600)
    # 17:30 on 19 Oct plus 12.5 working hours: all of 20 Oct (8.5 h), then 4 h on 21 Oct.
    assert ticket.resolve_by == at(2026, 10, 21, 13, 0)
    paused, resumed = ticket.events.filter(kind__in=["paused", "resumed"]).order_by("at")
    assert paused.data["reason"] == "unreachable" and resumed.data["paused_working_seconds"] == 12.5 * 3600
    assert resumed.data["how"] == "resident_replied"


def test_a_pause_is_refused_after_the_deadline_and_blocks_referral_and_escalation(zone):
    ticket = started(zone, at(2026, 11, 16, 10))
    with pytest.raises(InvalidTransition) as error:
        transitions.ticket_pause(ticket=ticket, actor=ticket.owner, reason="documents", now=ticket.resolve_by + MINUTE)
    assert error.value.code == "past_deadline"
    with pytest.raises(InvalidInput) as error:
        transitions.ticket_pause(
            ticket=ticket, actor=ticket.owner, reason=PauseReason.THIRD_PARTY, now=at(2026, 11, 17)
        )
    assert error.value.field == "note"
    ticket = transitions.ticket_pause(
        ticket=ticket,
        actor=ticket.owner,
        reason=PauseReason.THIRD_PARTY,
        note="等物业提供维修记录",
        now=at(2026, 11, 17),
    )
    with pytest.raises(InvalidTransition) as error:
        transitions.ticket_escalate(ticket=ticket, actor=ticket.owner, reason="上报", now=at(2026, 11, 17, 12))
    assert error.value.code == "paused"
    with pytest.raises(InvalidInput):  # a resident's answer does not end a wait on a third party
        transitions.ticket_resume(ticket=ticket, actor=ticket.owner, how=ResumeHow.RESIDENT_REPLIED)


def test_resolving_a_paused_ticket_ends_its_pause_on_the_timeline(zone):
    ticket = started(zone, at(2026, 11, 16, 10))
    ticket = transitions.ticket_pause(ticket=ticket, actor=ticket.owner, reason="documents", now=at(2026, 11, 17, 9))
    ticket = transitions.ticket_resolve(ticket=ticket, actor=ticket.owner, outcome="solved", now=at(2026, 11, 17, 11))
    assert ticket.status == Status.RESOLVED and ticket.paused_at is None and ticket.paused_seconds == 2 * 3600
    assert list(ticket.events.order_by("pk").values_list("kind", flat=True))[-2:] == ["resumed", "resolved"]


@override_settings(ZHITONG_PAUSE_MAX_WORKING_DAYS=2)
def test_the_sweep_never_escalates_a_paused_ticket_and_ends_a_pause_at_the_cap(
    zone, django_capture_on_commit_callbacks
):
    ticket = started(zone, at(2026, 11, 16, 10))
    due = ticket.resolve_by  # 30 Nov 17:30
    ticket = transitions.ticket_pause(ticket=ticket, actor=ticket.owner, reason="unreachable", now=at(2026, 11, 27, 9))
    assert ticket.pause_ends_at == at(2026, 11, 30, 17, 30)  # 2 working days: 27 and 30 Nov

    with django_capture_on_commit_callbacks(execute=True):
        early = sweep_overdue_tickets(now=due + MINUTE)
    ticket.refresh_from_db()
    assert (early.escalated, early.pauses_ended) == (0, 1)  # the cap and the old deadline meet
    assert ticket.paused_at is None and ticket.tier == Tier.ZONE
    assert ticket.resolve_by == at(2026, 12, 2, 17, 30)  # moved by exactly the cap: 2 working days
    assert ticket.events.filter(kind="resumed", data__how="cap", actor_label="sweep").count() == 1
    assert Notification.objects.filter(ticket=ticket, kind="pause_ran_out", recipient=ticket.owner).exists()

    with django_capture_on_commit_callbacks(execute=True):
        late = sweep_overdue_tickets(now=ticket.resolve_by + MINUTE)
    assert late.escalated == 1


def test_meeting_the_resident_at_a_visit_ends_a_pause_that_waits_on_them(zone):
    household = HouseholdFactory(zone=zone)
    ticket = make_ticket(zone=None, household=household, now=at(2026, 11, 16, 10))
    ticket = transitions.ticket_start(ticket=ticket, actor=ticket.owner, now=at(2026, 11, 16, 11))
    ticket = transitions.ticket_pause(ticket=ticket, actor=ticket.owner, reason="documents", now=at(2026, 11, 16, 12))

    visit_log(
        actor=ticket.owner,
        household=household,
        visited_on=dt.date(2026, 11, 18),
        method="door",
        now=at(2026, 11, 18, 12),
    )

    ticket.refresh_from_db()
    assert ticket.paused_at is None and ticket.paused_seconds == int(2 * 8.5 * 3600)
    assert ticket.events.get(kind="resumed").data["how"] == "resident_visit"


def test_the_residents_page_can_end_a_pause_by_a_system_actor(zone):
    household = HouseholdFactory(zone=zone)
    ticket = make_ticket(zone=None, household=household, now=at(2026, 11, 16, 10))
    ticket = transitions.ticket_start(ticket=ticket, actor=ticket.owner, now=at(2026, 11, 16, 11))
    transitions.ticket_pause(ticket=ticket, actor=ticket.owner, reason="unreachable", now=at(2026, 11, 16, 12))

    resumed = transitions.resume_on_resident_answer(
        actor="resident", how=ResumeHow.RESIDENT_PAGE, ticket_ids=[ticket.pk], now=at(2026, 11, 16, 14)
    )

    assert [t.pk for t in resumed] == [ticket.pk] and resumed[0].paused_seconds == 2 * 3600
    assert TicketEvent.objects.get(ticket=ticket, kind="resumed").actor_label == "resident"


# --- warnings before the breach -----------------------------------------------------------------


def test_warnings_come_once_each_at_a_quarter_left_and_a_working_day_left(zone, django_capture_on_commit_callbacks):
    ticket = make_ticket(zone=zone, now=at(2026, 11, 16, 10))  # 10 working days: 30 Nov 17:30
    # From Monday 16 Nov 10:00 to 30 Nov 17:30 is 92.5 h of office time (7.5 h, then 10 whole
    # working days): a quarter, 23.125 h, is left after 30 Nov (8.5 h), 27 Nov (8.5 h) and
    # 6.125 h back from the close of 26 Nov: 11:22:30.
    assert ticket.warn_quarter_at == at(2026, 11, 26, 11, 22, 30)
    assert ticket.warn_day_at == at(2026, 11, 30, 9, 0)

    def sweep(now):
        with django_capture_on_commit_callbacks(execute=True):
            return sweep_overdue_tickets(now=now)

    assert sweep(ticket.warn_quarter_at - MINUTE).warned_quarter == 0
    first = sweep(ticket.warn_quarter_at + MINUTE)
    again = sweep(ticket.warn_quarter_at + 2 * MINUTE)
    day = sweep(ticket.warn_day_at + MINUTE)
    day_again = sweep(ticket.warn_day_at + HOUR)

    assert (first.warned_quarter, again.warned_quarter, day.warned_day, day_again.warned_day) == (1, 0, 1, 0)
    warnings = ticket.events.filter(kind="due_warning").order_by("at")
    assert [e.data["threshold"] for e in warnings] == ["quarter", "day"]
    zone_team = set(User.objects.filter(memberships__team__zone=zone).values_list("pk", flat=True))
    quarter_alerts = set(
        Notification.objects.filter(ticket=ticket, kind="due_quarter").values_list("recipient", flat=True)
    )
    assert quarter_alerts == zone_team | {ticket.owner_id}
    assert Notification.objects.filter(ticket=ticket, kind="due_day").count() == len(quarter_alerts)


def test_a_paused_ticket_is_not_warned_and_its_warnings_move_with_its_deadline(
    zone, django_capture_on_commit_callbacks
):
    ticket = started(zone, at(2026, 11, 16, 10))
    quarter = ticket.warn_quarter_at
    ticket = transitions.ticket_pause(ticket=ticket, actor=ticket.owner, reason="unreachable", now=at(2026, 11, 17, 9))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_overdue_tickets(now=quarter + MINUTE).warned_quarter == 0
    ticket = transitions.ticket_resume(ticket=ticket, actor=ticket.owner, now=at(2026, 11, 18, 9))
    assert ticket.warn_quarter_at == WorkingCalendar().add_working_time(quarter, dt.timedelta(hours=8.5))


def test_the_admin_shows_which_policy_applies_to_an_example(admin_client):
    facilities = Category.objects.get(code="public_facilities")
    page = admin_client.get(
        "/admin/escalation/slapolicy/which/",
        {"tier": "zone", "urgency": "normal", "category": facilities.pk, "received_at": "2026-11-16 10:00"},
    )
    text = page.content.decode()
    assert page.status_code == 200 and 'data-testid="which-answer"' in text
    lift_row = SLAPolicy.objects.get(tier="zone", urgency="normal", category=facilities)
    assert f"/admin/escalation/slapolicy/{lift_row.pk}/change/" in text
    assert "2026-11-19 17:30" in text  # 3 working days
    item = ServiceItem.objects.get(code="minimum_living")
    text = admin_client.get(
        "/admin/escalation/slapolicy/which/",
        {"tier": "street", "urgency": "urgent", "service_item": item.pk, "received_at": "2026-11-16 10:00"},
    ).content.decode()
    assert "2026-11-19 17:30" in text  # the item's urgent limit: 3 working days
    assert "/admin/escalation/slapolicy/which/" in admin_client.get("/admin/escalation/slapolicy/").content.decode()


def test_a_resident_who_walks_in_to_the_window_ends_a_pause_that_waits_on_them(zone):
    from intake.services import desk_service_apply

    household = HouseholdFactory(zone=zone)
    clerk = clerk_of(zone)
    first = service_apply(
        actor=clerk,
        item=ServiceItem.objects.get(code="elderly_allowance"),
        household=household,
        now=at(2026, 11, 16, 10),
    )
    first = transitions.ticket_start(ticket=first, actor=first.owner, now=at(2026, 11, 16, 11))
    transitions.ticket_pause(ticket=first, actor=first.owner, reason="documents", now=at(2026, 11, 16, 12))
    by_phone = desk_service_apply(
        actor=clerk,
        channel="phone",
        item=ServiceItem.objects.get(code="senior_card"),
        household=household,
        now=at(2026, 11, 16, 14),
    )
    first.refresh_from_db()
    assert first.paused_at is not None and by_phone.kind == TicketKind.SERVICE  # a call is not a visit

    desk_service_apply(
        actor=clerk,
        channel="walk_in",
        item=ServiceItem.objects.get(code="insurance_card"),
        household=household,
        now=at(2026, 11, 17, 10),
    )

    first.refresh_from_db()
    assert first.paused_at is None and first.paused_seconds == int((5.5 + 1) * 3600)
    assert first.events.get(kind="resumed").data["how"] == "resident_visit"


def test_the_ticket_admin_filters_applications_by_kind_and_class(admin_client, zone):
    application = service_apply(actor=clerk_of(zone), item=ServiceItem.objects.get(code="elderly_allowance"), zone=zone)
    request = make_ticket(zone=zone)
    page = admin_client.get("/admin/grievances/ticket/", {"kind": "service"}).content.decode()
    assert application.reference in page and request.reference not in page
    by_class = admin_client.get(
        "/admin/grievances/ticket/",
        {"service_item__service_class__id__exact": application.service_item.service_class_id},
    )
    assert by_class.status_code == 200 and application.reference in by_class.content.decode()


def test_open_tickets_from_before_the_warnings_get_their_moments_once(zone):
    from django.core.management import call_command

    from grievances.models import Ticket

    early = make_ticket(zone=zone, now=at(2026, 11, 16, 10))
    later = make_ticket(zone=zone)
    Ticket.objects.filter(pk__in=[early.pk, later.pk]).update(
        warn_quarter_at=None, warn_day_at=None, warned_quarter=False, warned_day=False
    )

    call_command("backfill_deadline_warnings")
    call_command("backfill_deadline_warnings")  # nothing left to do

    early.refresh_from_db()
    later.refresh_from_db()
    assert (early.warn_quarter_at, early.warn_day_at) == (at(2026, 11, 26, 11, 22, 30), at(2026, 11, 30, 9, 0))
    assert early.warned_quarter and early.warned_day  # long past: no late flood of alerts
    assert later.warn_day_at > later.created_at and not later.warned_day

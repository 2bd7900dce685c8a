"""Meetings for each tier: scheduling, decisions through the state machine, request
transfers and referrals, evaluation and risk screening, on PostgreSQL."""

import datetime as dt

import pytest
from django.utils import timezone

from core.enums import Status, Tier
from core.errors import InvalidInput, InvalidTransition
from escalation import transitions
from escalation.models import Referral, TransferRecord
from escalation.sweep import sweep_overdue_tickets
from grievances.selectors import visible_tickets
from meetings import services
from meetings.models import AgendaItem, Meeting, MeetingType
from meetings.selectors import deadline_conflicts, meeting_candidates, visible_meetings
from responders.models import User
from responders.selectors import EVERYTHING, user_scope
from tests.factories import UserFactory, begun, department_for, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def kind(code: str) -> MeetingType:
    return MeetingType.objects.get(code=code)


def staff(zone, role):
    street, committee = zone.committee.street, zone.committee
    if role == User.Role.COMMITTEE_STAFF:
        return User.objects.filter(role=role, committee=committee).first()
    return User.objects.filter(role=role, street=street).first()


def plan(code, unit, *, days=7, actor=None):
    return services.meeting_schedule(
        type=kind(code), unit=unit, starts_at=timezone.now() + days * DAY, actor=actor, place="社区会议室"
    )


def at_street(zone, **kwargs):
    """A ticket passed from the committee to the street, with its transfer form."""
    ticket = make_ticket(zone=zone, **kwargs)
    transitions.ticket_escalate(ticket=ticket, actor="test", reason="本区解决不了")
    return transitions.ticket_escalate(ticket=ticket, actor="test", reason="需要街道协调多个部门")


# --- scheduling ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cadence", "day", "today", "expected", "period"),
    [
        ("monthly", 15, dt.date(2026, 11, 22), dt.date(2026, 12, 15), "2026-12"),
        ("monthly", 22, dt.date(2026, 11, 22), dt.date(2026, 11, 22), "2026-11"),
        ("quarterly", 15, dt.date(2026, 12, 16), dt.date(2027, 3, 15), "2027-Q1"),
        ("half_yearly", 15, dt.date(2026, 7, 1), dt.date(2026, 12, 15), "2026-H2"),
        ("yearly", 20, dt.date(2026, 12, 21), dt.date(2027, 12, 20), "2027"),
    ],
)
def test_the_next_occurrence_of_each_cadence(cadence, day, today, expected, period):
    assert services.next_occurrence(cadence, day, today) == (expected, period)


def test_recurring_meetings_are_scheduled_once_however_often_the_task_runs():
    zone = staffed_zone()
    zone.opinion_day = 8
    zone.save()
    today = dt.date(2026, 11, 22)

    first = services.schedule_recurring(today=today)
    again = services.schedule_recurring(today=today)

    assert first > 0 and again == 0
    opinion_day = Meeting.objects.get(type__code="opinion_day", zone=zone)
    assert timezone.localtime(opinion_day.starts_at).date() == dt.date(2026, 12, 8)
    assert opinion_day.period == "2026-12" and opinion_day.committee == zone.committee
    street = zone.committee.street
    assert Meeting.objects.filter(type__code="harmony_council", street=street, committee=None).count() == 1
    assert Meeting.objects.filter(type__code="livelihood", street=street, period="2026-H2").count() == 1
    assert not Meeting.objects.filter(type__code="coordination").exists()  # ad hoc: never scheduled


def test_a_type_is_held_only_by_a_unit_of_its_tier():
    zone = staffed_zone()
    with pytest.raises(InvalidInput) as refused:
        plan("coordination", zone)
    assert refused.value.field == "unit"


# --- decisions through the state machine --------------------------------------------------


def test_a_public_opinion_day_resolves_what_the_visit_could_not_and_says_so_on_the_timeline():
    ticket = make_ticket()
    member = User.objects.get(memberships__team__zone=ticket.zone)
    meeting = plan("opinion_day", ticket.zone, actor=member)

    assert ticket in meeting_candidates(user_scope(member), meeting)
    item, late = services.agenda_add_ticket(meeting=meeting, ticket=ticket, actor=member)
    assert not late
    assert ticket not in meeting_candidates(user_scope(member), meeting)  # proposed once
    begun(meeting)
    services.agenda_decide(item=item, actor=member, decision="resolve", outcome="solved", note="物业当场同意清理")

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    resolved = ticket.events.get(kind="resolved")
    assert resolved.data["meeting"] == meeting.pk and resolved.data["meeting_title"] == meeting.display_title
    assert ticket.events.filter(kind="tabled", data__meeting=meeting.pk).exists()


def test_escalate_and_assign_decisions_apply_their_transitions():
    zone = staffed_zone()
    leader = staff(zone, User.Role.STREET_LEADER)
    committee_staff = staff(zone, User.Role.COMMITTEE_STAFF)
    climbing = make_ticket(zone=zone)
    transitions.ticket_escalate(ticket=climbing, actor="test", reason="片区无法解决")
    handed = make_ticket(zone=zone)
    transitions.ticket_escalate(ticket=handed, actor="test", reason="片区无法解决")
    other = UserFactory(role=User.Role.COMMITTEE_STAFF, committee=zone.committee)
    meeting = plan("coordination", zone.committee, actor=committee_staff)
    first, _ = services.agenda_add_ticket(meeting=meeting, ticket=climbing, actor=committee_staff)
    second, _ = services.agenda_add_ticket(meeting=meeting, ticket=handed, actor=committee_staff)
    begun(meeting)

    services.agenda_decide(item=first, actor=committee_staff, decision="escalate", note="涉及多个产权单位")
    services.agenda_decide(item=second, actor=committee_staff, decision="assign", owner=other)

    climbing.refresh_from_db()
    handed.refresh_from_db()
    assert climbing.tier == Tier.STREET and climbing.owner == leader
    assert handed.owner == other
    assert climbing.events.get(kind="escalated", to_tier=Tier.STREET).data["meeting"] == meeting.pk
    assert handed.events.get(kind="assigned").data["meeting"] == meeting.pk


def test_a_deferred_item_moves_to_the_next_meeting_of_the_same_unit():
    ticket = make_ticket()
    member = User.objects.get(memberships__team__zone=ticket.zone)
    this = begun(plan("opinion_day", ticket.zone, days=1))
    with pytest.raises(InvalidInput):  # nothing later planned yet
        services.agenda_decide(
            item=services.agenda_add_ticket(meeting=this, ticket=ticket, actor=member)[0],
            actor=member,
            decision="defer",
        )
    following = plan("opinion_day", ticket.zone, days=30)
    item = this.agenda.get()

    services.agenda_decide(item=item, actor=member, decision="defer", note="等待业委会意见")

    item.refresh_from_db()
    assert item.decision == "defer" and item.deferred_to == following
    assert following.agenda.filter(ticket=ticket).exists()
    assert ticket.events.get(kind="deferred").data["meeting"] == this.pk


def test_a_refused_transition_leaves_the_item_undecided():
    ticket = make_ticket()
    meeting = plan("opinion_day", ticket.zone)
    item, _ = services.agenda_add_ticket(meeting=meeting, ticket=ticket, actor="test")
    begun(meeting)
    transitions.ticket_cancel(ticket=ticket, actor="test", reason="withdrawn")

    with pytest.raises(InvalidTransition):
        services.agenda_decide(item=item, actor=None, decision="resolve", outcome="solved")

    item.refresh_from_db()
    assert item.decided_at is None and item.decision == ""


def test_a_free_topic_records_only_a_written_decision():
    zone = staffed_zone()
    meeting = plan("hearing", zone.committee)
    item = services.agenda_add_topic(meeting=meeting, topic="加装电梯方案", actor=None)
    begun(meeting)

    with pytest.raises(InvalidInput):
        services.agenda_decide(item=item, actor=None, decision="resolve", outcome="solved")
    with pytest.raises(InvalidInput) as empty:
        services.agenda_decide(item=item, actor=None, decision="note")
    services.agenda_decide(item=item, actor=None, decision="note", note="方案获居民代表通过")

    item.refresh_from_db()
    assert empty.value.field == "note" and item.decision_note == "方案获居民代表通过"


# --- deadlines and meetings ------------------------------------------------------------------


def test_the_chair_is_warned_of_a_ticket_due_before_the_meeting():
    ticket = make_ticket()
    meeting = plan("opinion_day", ticket.zone, days=30)  # zone tickets are due in 10 working days

    item, late = services.agenda_add_ticket(meeting=meeting, ticket=ticket, actor="test")

    assert late
    assert deadline_conflicts(meeting) == [item]
    soon = plan("opinion_day", ticket.zone, days=1)
    assert not services.agenda_add_ticket(meeting=soon, ticket=make_ticket(zone=ticket.zone), actor="test")[1]


# --- request transfer and referrals ---------------------------------------------------------


def test_a_committee_to_street_escalation_gets_a_numbered_transfer_form():
    zone = staffed_zone()
    first = at_street(zone)
    second = at_street(zone)
    year = timezone.localdate().year
    code = zone.committee.street.code

    numbers = list(TransferRecord.objects.order_by("pk").values_list("number", "ticket"))

    assert numbers == [(f"{code}-ZJ-{year}-0001", first.pk), (f"{code}-ZJ-{year}-0002", second.pk)]
    assert TransferRecord.objects.get(ticket=first).reason == "需要街道协调多个部门"


def test_the_sweep_numbers_the_transfers_it_makes(django_capture_on_commit_callbacks):
    zone = staffed_zone()
    tickets = [make_ticket(zone=zone) for _ in range(3)]
    for ticket in tickets:
        transitions.ticket_escalate(ticket=ticket, actor="test", reason="片区无法解决")
        ticket.refresh_from_db()
    due = max(ticket.resolve_by for ticket in tickets)

    sweep_overdue_tickets(now=due + DAY)

    numbers = sorted(TransferRecord.objects.values_list("number", flat=True))
    assert [n.rsplit("-", 1)[1] for n in numbers] == ["0001", "0002", "0003"]
    assert set(TransferRecord.objects.values_list("ticket", flat=True)) == {ticket.pk for ticket in tickets}


def test_the_mediation_meeting_refers_a_transfer_to_two_departments_and_chases_the_late_one(
    django_capture_on_commit_callbacks,
):
    zone = staffed_zone()
    ticket = at_street(zone)
    leader = staff(zone, User.Role.STREET_LEADER)
    housing = department_for(ticket, name="房管办")
    urban = department_for(ticket, name="城管中队")
    unrelated = department_for(ticket, name="税务所")
    housing_liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=housing)
    urban_liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=urban)
    unrelated_liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=unrelated)
    meeting = plan("mediation", zone.committee.street, days=2, actor=leader)
    services.participant_add(meeting=meeting, actor="test", department=housing, role="相关职能部门负责人")

    assert ticket in meeting_candidates(user_scope(leader), meeting)
    item, _ = services.agenda_add_ticket(meeting=meeting, ticket=ticket, actor=leader)
    begun(meeting)
    services.agenda_decide(
        item=item, actor=leader, decision="refer", departments=[housing, urban], note="房管办牵头维修，城管配合"
    )

    ticket.refresh_from_db()
    referrals = Referral.objects.filter(ticket=ticket)
    assert ticket.status == Status.REFERRED and referrals.count() == 2
    month = ticket.answer_by - timezone.now()
    assert dt.timedelta(days=27) < month < dt.timedelta(days=32)  # one month by default
    transfer = TransferRecord.objects.get(ticket=ticket)
    assert transfer.meeting == meeting and transfer.referred_at is not None
    assert ticket not in meeting_candidates(user_scope(leader), meeting)
    # Liaisons see exactly what is referred to them.
    assert visible_tickets(user_scope(housing_liaison)).filter(pk=ticket.pk).exists()
    assert visible_tickets(user_scope(urban_liaison)).filter(pk=ticket.pk).exists()
    assert not visible_tickets(user_scope(unrelated_liaison)).filter(pk=ticket.pk).exists()
    assert visible_meetings(user_scope(housing_liaison)).filter(pk=meeting.pk).exists()
    assert not visible_meetings(user_scope(urban_liaison)).filter(pk=meeting.pk).exists()

    # The housing office answers in time: the ticket still waits for urban management.
    transitions.ticket_department_reply(ticket=ticket, actor=housing_liaison, answer="已安排维修", department=housing)
    ticket.refresh_from_db()
    assert ticket.status == Status.REFERRED
    # Urban management misses the date: the sweep chases it, and only it.
    with django_capture_on_commit_callbacks(execute=True):
        report = sweep_overdue_tickets(now=ticket.answer_by + DAY)
    ticket.refresh_from_db()
    chase = ticket.events.get(kind="answer_overdue")
    assert report.answer_overdue == 1 and ticket.answer_overdue
    assert chase.data["departments"] == ["城管中队"]
    # Its late answer completes the referral.
    transitions.ticket_department_reply(ticket=ticket, actor=urban_liaison, answer="已清理占道", department=urban)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and not ticket.answer_overdue
    assert list(ticket.events.filter(kind="referred").values_list("data__department_name", flat=True)) == [
        "房管办",
        "城管中队",
    ]


# --- evaluation and risk screening -----------------------------------------------------------


def test_an_evaluation_scores_every_criterion_and_keeps_the_opinion():
    zone = staffed_zone()
    ticket = make_ticket(zone=zone)
    property_office = department_for(ticket, name="物业管理科")
    meeting = plan("evaluation", zone.committee)
    scores = dict.fromkeys(meeting.type.criteria, 4)

    with pytest.raises(InvalidInput) as missing:
        services.evaluation_record(meeting=meeting, actor=None, scores={}, opinion="x", department=property_office)
    evaluation = services.evaluation_record(
        meeting=meeting,
        actor=None,
        scores={**scores, "服务态度": 5},
        opinion="请加快报修响应",
        body_name="绿城物业",
        superior="区房管局",
    )

    assert missing.value.field == meeting.type.criteria[0]
    assert len(scores) == 4 and evaluation.average == 4.2  # (5 + 4 + 4 + 4) / 4, to one place
    assert evaluation.evaluated == "绿城物业"


def test_a_risk_assessment_records_the_checklist_the_unit_and_the_level():
    zone = staffed_zone()
    meeting = plan("risk_screening", zone.committee.street)
    item = services.agenda_add_topic(meeting=meeting, topic="老旧小区加装电梯", actor=None)
    checklist = meeting.type.checklist

    with pytest.raises(InvalidInput) as refused:
        services.risk_assess(item=item, actor=None, met=[], responsible_unit="", responsible_person="王", level="low")
    risk = services.risk_assess(
        item=item,
        actor=None,
        met=checklist[:6],
        responsible_unit="街道城建办",
        responsible_person="李主任",
        level="medium",
        mitigation="施工前再开一次听证会",
    )

    assert refused.value.field == "responsible_unit"
    assert len(checklist) == 8 and risk.preconditions_met == 6
    assert [entry["met"] for entry in risk.checklist] == [True] * 6 + [False] * 2


def test_scheduled_meetings_are_visible_by_unit():
    zone = staffed_zone()
    other = staffed_zone()
    services.schedule_recurring(today=dt.date(2026, 11, 22))
    member = User.objects.get(memberships__team__zone=zone)
    committee_staff = staff(zone, User.Role.COMMITTEE_STAFF)

    seen_by_member = visible_meetings(user_scope(member))
    seen_by_committee = visible_meetings(user_scope(committee_staff))

    assert set(seen_by_member.values_list("zone", flat=True)) == {zone.pk}
    assert not seen_by_committee.filter(committee=other.committee).exists()
    assert not seen_by_committee.filter(committee__isnull=True).exists()  # street meetings: the street's
    assert visible_meetings(EVERYTHING).filter(zone=other).exists()
    assert AgendaItem.objects.count() == 0

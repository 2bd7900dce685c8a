"""Every action of the state machine from every status: the legal moves and the refusals."""

import datetime as dt

import pytest
from django.utils import timezone

from alerts.models import Notification
from core.enums import Status, Tier
from core.errors import InvalidInput, InvalidTransition
from escalation import transitions
from escalation.models import Referral
from grievances.models import Feedback, Ticket
from responders.models import User
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory, department_for, make_ticket

pytestmark = pytest.mark.django_db

ALL = list(Status)
LEGAL = {
    "acknowledge": ({Status.NEW}, Status.ACKNOWLEDGED),
    "start": ({Status.NEW, Status.ACKNOWLEDGED}, Status.IN_PROGRESS),
    "refer": ({Status.ACKNOWLEDGED, Status.IN_PROGRESS}, Status.REFERRED),
    "department_reply": ({Status.REFERRED}, Status.IN_PROGRESS),
    "escalate": ({Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REFERRED}, Status.NEW),
    "resolve": ({Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS}, Status.RESOLVED),
    "close": ({Status.RESOLVED}, Status.CLOSED),
    "reopen": ({Status.RESOLVED, Status.CLOSED}, Status.IN_PROGRESS),
    "cancel": ({Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REFERRED}, Status.CANCELLED),
}


def put_in_status(ticket: Ticket, status: str) -> Ticket:
    """Reach `status` through the state machine itself."""
    actor = "test"
    if status in (Status.ACKNOWLEDGED, Status.REFERRED):
        ticket = transitions.ticket_acknowledge(ticket=ticket, actor=actor)
    if status == Status.IN_PROGRESS:
        ticket = transitions.ticket_start(ticket=ticket, actor=actor)
    if status == Status.REFERRED:
        ticket = transitions.ticket_refer(ticket=ticket, actor=actor, department=department_for(ticket))
    if status in (Status.RESOLVED, Status.CLOSED):
        ticket = transitions.ticket_resolve(ticket=ticket, actor=actor, outcome="solved")
    if status == Status.CLOSED:
        ticket = transitions.ticket_close(ticket=ticket, actor=actor, note="居民电话多次无法接通")
    if status == Status.CANCELLED:
        ticket = transitions.ticket_cancel(ticket=ticket, actor=actor, reason="withdrawn")
    assert ticket.status == status
    return ticket


def act(action: str, ticket: Ticket) -> Ticket:
    arguments = {
        "refer": {"department": department_for(ticket)},
        "department_reply": {"answer": "已派员到场清理。"},
        "escalate": {"reason": "责任区协调无果"},
        "resolve": {"outcome": "solved"},
        "reopen": {"reason": "居民反映问题仍在"},
        "cancel": {"reason": "withdrawn"},
        "close": {"note": "居民电话多次无法接通"},
    }.get(action, {})
    return getattr(transitions, f"ticket_{action}")(ticket=ticket, actor="test", **arguments)


@pytest.mark.parametrize("status", ALL)
@pytest.mark.parametrize("action", sorted(LEGAL))
def test_every_action_from_every_status(action, status):
    allowed, target = LEGAL[action]
    ticket = put_in_status(make_ticket(), status)
    events_before = ticket.events.count()

    if status in allowed:
        moved = act(action, ticket)
        assert moved.status == target
        assert moved.version == ticket.version + 1
        assert ticket.events.count() == events_before + 1
        last = moved.events.last()
        assert (last.from_status, last.to_status) == (status, target)
    else:
        with pytest.raises(InvalidTransition) as error:
            act(action, ticket)
        assert ticket.reference in error.value.message
        ticket.refresh_from_db()
        assert ticket.status == status
        assert ticket.events.count() == events_before


def test_escalation_climbs_a_tier_with_a_new_owner_and_a_new_clock(django_capture_on_commit_callbacks):
    ticket = transitions.ticket_acknowledge(ticket=make_ticket(), actor="test")

    with django_capture_on_commit_callbacks(execute=True):
        up = transitions.ticket_escalate(ticket=ticket, actor="test", reason="需要居委会协调")

    assert (up.tier, up.status) == (Tier.COMMITTEE, Status.NEW)
    assert up.owner.full_name == "居委干部"
    assert up.responded_at is None and up.resolve_by > ticket.resolve_by
    event = up.events.last()
    assert (event.from_tier, event.to_tier, event.note) == (Tier.ZONE, Tier.COMMITTEE, "需要居委会协调")
    assert Notification.objects.filter(recipient=up.owner, kind="escalated", ticket=up).exists()


def test_escalation_is_refused_at_the_street():
    ticket = make_ticket(urgency="emergency")
    with pytest.raises(InvalidTransition, match="street|街道"):
        transitions.ticket_escalate(ticket=ticket, actor="test", reason="x")


def test_escalation_needs_a_reason():
    with pytest.raises(InvalidInput) as error:
        transitions.ticket_escalate(ticket=make_ticket(), actor="test", reason="  ")
    assert error.value.field == "reason"


def test_escalating_a_referred_ticket_withdraws_its_referral():
    ticket = put_in_status(make_ticket(), Status.REFERRED)

    transitions.ticket_escalate(ticket=ticket, actor="test", reason="部门未能处理")

    assert Referral.objects.get(ticket=ticket).withdrawn_at is not None


def test_explained_needs_a_reason_and_solved_does_not():
    with pytest.raises(InvalidInput) as error:
        transitions.ticket_resolve(ticket=make_ticket(), actor="test", outcome="explained", reason="")
    assert error.value.field == "reason"

    explained = transitions.ticket_resolve(
        ticket=make_ticket(), actor="test", outcome="explained", reason="属于司法程序"
    )
    solved = transitions.ticket_resolve(ticket=make_ticket(), actor="test", outcome="solved")
    assert (explained.outcome, explained.outcome_reason) == ("explained", "属于司法程序")
    assert solved.outcome == "solved" and solved.feedback_due_by > solved.resolved_at


def test_resolving_needs_an_outcome():
    with pytest.raises(InvalidInput) as error:
        transitions.ticket_resolve(ticket=make_ticket(), actor="test", outcome="")
    assert error.value.field == "outcome"


def test_feedback_closes_a_resolved_ticket():
    ticket = transitions.ticket_resolve(ticket=make_ticket(), actor="test", outcome="solved")
    # Someone on the zone's team, who may see the ticket and so record the resident's verdict.
    resident_visitor = UserFactory()
    MembershipFactory(team=ticket.zone.team, user=resident_visitor, name=resident_visitor.full_name)

    feedback = transitions.ticket_record_feedback(
        ticket=ticket, actor=resident_visitor, satisfaction="satisfied", collected_via="phone", comment="很及时"
    )

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None
    assert feedback.recorded_by == resident_visitor
    assert list(ticket.events.values_list("kind", flat=True))[-2:] == ["feedback", "closed"]


@pytest.mark.parametrize(("field", "value"), [("satisfaction", "meh"), ("collected_via", "telepathy")])
def test_feedback_with_a_bad_value_names_the_field(field, value):
    ticket = transitions.ticket_resolve(ticket=make_ticket(), actor="test", outcome="solved")
    arguments = {"satisfaction": "satisfied", "collected_via": "phone", field: value}
    with pytest.raises(InvalidInput) as error:
        transitions.ticket_record_feedback(ticket=ticket, actor="test", **arguments)
    assert error.value.field == field
    assert not Feedback.objects.exists()


def test_reopen_only_within_thirty_days_of_closing():
    recent = put_in_status(make_ticket(), Status.CLOSED)
    old = put_in_status(make_ticket(), Status.CLOSED)
    Ticket.objects.filter(pk=old.pk).update(closed_at=timezone.now() - dt.timedelta(days=31))
    Ticket.objects.filter(pk=recent.pk).update(closed_at=timezone.now() - dt.timedelta(days=29))

    reopened = transitions.ticket_reopen(ticket=recent, actor="test", reason="又漏水了")
    with pytest.raises(InvalidTransition) as error:
        transitions.ticket_reopen(ticket=old, actor="test", reason="又漏水了")

    assert reopened.status == Status.IN_PROGRESS and reopened.outcome == "" and reopened.resolve_by > timezone.now()
    assert error.value.code == "reopen_window_passed"


def test_a_cancelled_duplicate_names_its_original():
    original, copy = make_ticket(), make_ticket()

    with pytest.raises(InvalidInput) as error:
        transitions.ticket_cancel(ticket=copy, actor="test", reason="duplicate")
    assert error.value.field == "duplicate_of"
    with pytest.raises(InvalidInput):
        transitions.ticket_cancel(ticket=copy, actor="test", reason="duplicate", duplicate_of=copy)

    cancelled = transitions.ticket_cancel(ticket=copy, actor="test", reason="duplicate", duplicate_of=original)
    assert cancelled.duplicate_of == original
    assert cancelled.events.last().data["duplicate_of"] == original.reference


def test_assigning_an_owner_who_cannot_see_the_ticket_is_refused(django_capture_on_commit_callbacks):
    ticket = make_ticket()
    stranger = UserFactory(role=User.Role.COMMITTEE_STAFF, committee=make_ticket().committee)
    colleague = UserFactory(role=User.Role.STREET_STAFF, street=ticket.street)

    with pytest.raises(InvalidInput) as error:
        transitions.ticket_assign(ticket=ticket, actor="test", owner=stranger)
    with django_capture_on_commit_callbacks(execute=True):
        assigned = transitions.ticket_assign(ticket=ticket, actor="test", owner=colleague)

    assert error.value.field == "owner"
    assert assigned.owner == colleague
    assert Notification.objects.filter(recipient=colleague, kind="assigned").exists()


def test_a_stale_version_is_a_conflict():
    ticket = make_ticket()
    transitions.ticket_acknowledge(ticket=ticket, actor="test")

    with pytest.raises(InvalidTransition) as error:
        transitions.ticket_start(ticket=ticket, actor="test", expected_version=ticket.version)

    assert error.value.code == "stale_version"


def test_referral_and_department_reply(django_capture_on_commit_callbacks):
    ticket = transitions.ticket_start(ticket=make_ticket(), actor="test")
    department = department_for(ticket)
    liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department)

    with django_capture_on_commit_callbacks(execute=True):
        referred = transitions.ticket_refer(ticket=ticket, actor="test", department=department, duty="清理违章搭建")
    referral = Referral.objects.get(ticket=ticket)
    # Default answer-by: one calendar month.
    assert 28 <= (referral.answer_by - referral.created_at).days <= 31
    assert referred.answer_by == referral.answer_by
    assert Notification.objects.filter(recipient=liaison, kind="referred", ticket=ticket).exists()

    replied = transitions.ticket_department_reply(
        ticket=referred, actor=liaison, answer="已拆除", department=department
    )
    referral.refresh_from_db()
    assert replied.status == Status.IN_PROGRESS and replied.answer_by is None
    assert (referral.answer, referral.answered_at is not None) == ("已拆除", True)


def test_closing_without_feedback_needs_a_reason():
    ticket = transitions.ticket_resolve(ticket=make_ticket(), actor="test", outcome="solved")

    with pytest.raises(InvalidInput) as error:
        transitions.ticket_close(ticket=ticket, actor="test", note=" ")

    assert error.value.field == "note"


def test_a_department_of_another_district_cannot_be_referred_to():
    ticket = transitions.ticket_start(ticket=make_ticket(), actor="test")

    with pytest.raises(InvalidInput) as error:
        transitions.ticket_refer(ticket=ticket, actor="test", department=DepartmentFactory())

    assert error.value.field == "department"
    assert not Referral.objects.exists()


def test_the_created_event_records_where_the_ticket_started():
    event = make_ticket().events.get()
    assert (event.from_status, event.to_status, event.from_tier, event.to_tier) == ("", "new", "", "zone")


def test_the_closing_note_is_in_the_products_language_whoever_records_the_feedback():
    from django.utils import translation

    ticket = transitions.ticket_resolve(ticket=make_ticket(), actor="test", outcome="solved")

    with translation.override("en"):
        transitions.ticket_record_feedback(ticket=ticket, actor="test", satisfaction="satisfied", collected_via="phone")

    assert ticket.events.get(kind="closed").note == "根据居民回访关闭。"


def test_time_is_a_parameter_of_every_transition():
    """A transition called with `now=` dates its events, deadlines, referral, feedback and
    alerts at that moment, not the machine's: the simulated month and replays rely on it."""
    # given a moment well in the past
    opened = dt.datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_default_timezone())
    step = dt.timedelta(hours=1)
    ticket = make_ticket(now=opened)
    department = department_for(ticket)

    # when the ticket goes through its life at that moment's pace
    ticket = transitions.ticket_acknowledge(ticket=ticket, actor="test", now=opened + step)
    ticket = transitions.ticket_refer(ticket=ticket, actor="test", department=department, now=opened + 2 * step)
    ticket = transitions.ticket_department_reply(ticket=ticket, actor="test", answer="已处理", now=opened + 3 * step)
    ticket = transitions.ticket_escalate(ticket=ticket, actor="test", reason="需要居委会协调", now=opened + 4 * step)
    ticket = transitions.ticket_resolve(ticket=ticket, actor="test", outcome="solved", now=opened + 5 * step)
    feedback = transitions.ticket_record_feedback(
        ticket=ticket, actor="test", satisfaction="satisfied", collected_via="phone", now=opened + 6 * step
    )

    # then every record carries the moments given, none of today
    ticket.refresh_from_db()
    assert ticket.created_at == opened
    assert ticket.updated_at == ticket.closed_at == opened + 6 * step
    assert list(ticket.events.values_list("at", flat=True)) == [opened + n * step for n in (0, 1, 2, 3, 4, 5, 6, 6)]
    assert Referral.objects.get(ticket=ticket).created_at == opened + 2 * step
    assert feedback.created_at == opened + 6 * step
    assert set(Notification.objects.filter(ticket=ticket).values_list("created_at", flat=True)) <= {
        opened,
        opened + 4 * step,
    }
    assert ticket.resolve_by is not None and ticket.resolve_by < timezone.now() - dt.timedelta(days=30)

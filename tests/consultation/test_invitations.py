"""Invitations (约请, 一事一议一决) end to end on PostgreSQL: a committee invites the police
station's head to one ticket; the liaison accepts (the session is a meeting of its own type),
the committee records the one decision and a follow-up date the sweep watches; and the
refusals: answered twice, the wrong person answering, a matter of another committee."""

import datetime as dt

import pytest

from alerts.models import Notification
from consultation import invitations
from consultation.models import Invitation
from core.errors import InvalidInput, InvalidTransition, NotPermitted
from meetings.models import Meeting
from responders.models import Department, User
from tests.consultation.helpers import day, raise_matter, staff_of
from tests.factories import CommitteeFactory, DepartmentFactory, UserFactory, department_for, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db


def _invite(zone, **kwargs):
    ticket = kwargs.pop("ticket", None) or make_ticket(zone=zone)
    street = zone.committee.street
    department = kwargs.pop("department", None) or (
        Department.objects.filter(street=street).first() or DepartmentFactory(district=street.district, street=street)
    )
    return invitations.invitation_send(
        actor=kwargs.pop("actor", None) or staff_of(zone.committee),
        committee=zone.committee,
        department=department,
        invitee_name="所长 李强",
        ticket=ticket,
        proposed_at=kwargs.pop("proposed_at", day(3)),
        now=kwargs.pop("now", day(0)),
        **kwargs,
    )


def test_invite_accept_decide_and_follow_up_late():
    zone = staffed_zone()
    ticket = make_ticket(zone=zone)
    department = department_for(ticket)
    liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department)
    invitation = _invite(zone, ticket=ticket, department=department)
    assert Notification.objects.get(kind=Notification.Kind.INVITATION).recipient == liaison

    invitation = invitations.invitation_answer(invitation=invitation, actor=liaison, accept=True, now=day(1))
    session = Meeting.objects.get(pk=invitation.meeting_id)
    assert session.type.code == "invitation" and session.committee == zone.committee and session.starts_at == day(3)
    with pytest.raises(InvalidTransition) as twice:
        invitations.invitation_answer(invitation=invitation, actor=liaison, accept=False, reason="x", now=day(2))
    assert twice.value.code == "answered"

    staff = staff_of(zone.committee)
    with pytest.raises(InvalidTransition) as early:
        invitations.invitation_decide(
            invitation=invitation, actor=staff, decision="x", follow_up_by=day(10).date(), now=day(2)
        )
    assert early.value.code == "not_begun"
    with pytest.raises(NotPermitted):  # the committee records the decision
        invitations.invitation_decide(
            invitation=invitation, actor=liaison, decision="x", follow_up_by=day(10).date(), now=day(3)
        )
    invitation = invitations.invitation_decide(
        invitation=invitation,
        actor=staff,
        decision="派出所一周内对群租户开展联合检查，居委会配合入户。",
        follow_up_by=day(10).date(),
        now=day(3) + dt.timedelta(hours=1),
    )
    assert invitation.status == Invitation.Status.DECIDED
    assert Meeting.objects.get(pk=session.pk).status == Meeting.Status.HELD

    assert invitations.sweep_late_follow_ups(now=day(10)) == 0
    assert invitations.sweep_late_follow_ups(now=day(11)) == 1
    assert invitations.sweep_late_follow_ups(now=day(12)) == 0
    late = Notification.objects.filter(kind=Notification.Kind.FOLLOW_UP_LATE)
    assert {n.recipient_id for n in late} == {liaison.pk, staff.pk}
    invitation = invitations.invitation_follow_up(
        invitation=invitation, actor=staff, note="已联合检查，问题解决。", now=day(12)
    )
    assert invitation.status == Invitation.Status.FOLLOWED_UP


def test_a_declined_invitation_needs_its_reason_and_only_the_invited_answer():
    zone = staffed_zone()
    invitation = _invite(zone)
    stranger = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department_for(invitation.ticket))
    with pytest.raises(NotPermitted):
        invitations.invitation_answer(invitation=invitation, actor=stranger, accept=True, now=day(1))
    with pytest.raises(NotPermitted):
        invitations.invitation_answer(invitation=invitation, actor=staff_of(zone.committee), accept=True, now=day(1))
    street_staff = User.objects.get(role=User.Role.STREET_STAFF, street=zone.committee.street)
    with pytest.raises(InvalidInput) as no_reason:
        invitations.invitation_answer(invitation=invitation, actor=street_staff, accept=False, now=day(1))
    assert no_reason.value.field == "reason"
    invitation = invitations.invitation_answer(
        invitation=invitation, actor=street_staff, accept=False, reason="已转区级部门处理", now=day(1)
    )
    assert invitation.status == Invitation.Status.DECLINED and invitation.meeting is None


def test_a_street_leader_is_invited_to_a_consultation_matter():
    zone = staffed_zone()
    leader = zone.committee.duty_leader
    matter = raise_matter(zone.committee)
    invitation = invitations.invitation_send(
        actor=staff_of(zone.committee),
        committee=zone.committee,
        leader=leader,
        matter=matter,
        proposed_at=day(2),
        now=day(0),
    )
    assert Notification.objects.get(kind=Notification.Kind.INVITATION).recipient == leader
    invitations.invitation_answer(invitation=invitation, actor=leader, accept=True, now=day(1))
    assert list(matter.invitations.all()) == [invitation]


def test_one_matter_of_the_committee_one_invitee_and_a_time_to_come():
    zone = staffed_zone()
    other = CommitteeFactory(street=zone.committee.street)
    foreign = make_ticket(zone=staffed_zone())
    for kwargs, field in (
        ({"ticket": foreign}, "ticket"),
        ({"proposed_at": day(-1)}, "proposed_at"),
    ):
        with pytest.raises(InvalidInput) as error:
            _invite(zone, **kwargs)
        assert error.value.field == field
    with pytest.raises(InvalidInput) as other_matter:
        invitations.invitation_send(
            actor=staff_of(zone.committee),
            committee=zone.committee,
            leader=zone.committee.duty_leader,
            matter=raise_matter(other, actor=User.objects.get(role=User.Role.STREET_STAFF, street=other.street)),
            proposed_at=day(2),
            now=day(0),
        )
    assert other_matter.value.field == "matter"
    with pytest.raises(InvalidInput) as not_a_leader:
        invitations.invitation_send(
            actor=staff_of(zone.committee),
            committee=zone.committee,
            leader=staff_of(zone.committee),
            ticket=make_ticket(zone=zone),
            proposed_at=day(2),
            now=day(0),
        )
    assert not_a_leader.value.field == "leader"
    with pytest.raises(NotPermitted):
        _invite(zone, actor=UserFactory(role=User.Role.COMMITTEE_STAFF, committee=other))

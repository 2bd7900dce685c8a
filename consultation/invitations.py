"""Writes for invitations (约请, seeds 001 and 003): one matter, one discussion, one decision.

A committee invites a department's head or a street leader to settle one matter (a ticket
or a consultation matter of the committee) at a proposed time. The invitee (the department's
liaison, the leader, or the street's staff for them) accepts, which plans the session as a
meeting of its own type, or declines with a reason; once. At the session the committee
records the one decision and a follow-up date; the sweep alerts once if the follow-up is late.
"""

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from alerts.models import Notification
from alerts.services import alerts_create_about
from core import clock
from core.errors import InvalidInput, InvalidTransition, NotPermitted
from core.locks import claim, lock_one
from escalation import policy
from grievances.models import Ticket
from grievances.selectors import ticket_visible_to
from meetings.models import MeetingType
from meetings.services import meeting_record, meeting_schedule
from responders.models import Department, ResidentialCommittee, User

from .models import Invitation, Matter
from .services import SWEEP_BATCH, Actor, _refuse_merged, _require_acts_for, _text, _today

SESSION_TYPE = "invitation"


def _liaisons(department_id: int) -> list[int]:
    return list(
        User.objects.filter(department_id=department_id, role=User.Role.DEPARTMENT_LIAISON, is_active=True).values_list(
            "pk", flat=True
        )
    )


def _invitees(invitation: Invitation) -> list[int]:
    """The accounts that answer for the invited: the department's liaisons, or the leader."""
    return _liaisons(invitation.department_id) if invitation.department_id else [invitation.leader_id]


def _link(invitation: Invitation) -> str:
    return reverse("invitation", args=[invitation.pk])


def invitation_send(
    *,
    actor: Actor,
    committee: ResidentialCommittee,
    proposed_at: dt.datetime | None,
    department: Department | None = None,
    leader: User | None = None,
    invitee_name: str = "",
    ticket: Ticket | None = None,
    matter: Matter | None = None,
    now: dt.datetime | None = None,
) -> Invitation:
    """The committee's invitation to one person about one matter of the committee."""
    now = clock.now(now)
    _require_acts_for(actor, committee)
    if (department is None) == (leader is None):
        raise InvalidInput(_("Invite a department's head or a street leader."), field="department")
    if (
        department is not None
        and not policy.departments_serving([committee.street_id]).filter(pk=department.pk).exists()
    ):
        raise InvalidInput(_("That department does not serve this street."), field="department")
    if leader is not None and not (leader.role == User.Role.STREET_LEADER and leader.street_id == committee.street_id):
        raise InvalidInput(_("Invite a leader of this street."), field="leader")
    if (ticket is None) == (matter is None):
        raise InvalidInput(_("Name the one matter: a ticket or a consultation matter."), field="ticket")
    if ticket is not None:
        _refuse_merged(ticket)
    if ticket is not None and (
        ticket.committee_id != committee.pk or (isinstance(actor, User) and not ticket_visible_to(actor, ticket))
    ):
        raise InvalidInput(_("The ticket is not one of %(unit)s.") % {"unit": committee}, field="ticket")
    if matter is not None and matter.committee_id != committee.pk:
        raise InvalidInput(_("The matter is not one of %(unit)s.") % {"unit": committee}, field="matter")
    if proposed_at is None or proposed_at <= now:
        raise InvalidInput(_("Propose a time to come."), field="proposed_at")
    with transaction.atomic():
        invitation = Invitation.objects.create(
            street_id=committee.street_id,
            committee=committee,
            department=department,
            leader=leader,
            invitee_name=(invitee_name or "").strip()[:100],
            ticket=ticket,
            matter=matter,
            proposed_at=proposed_at,
            created_by=actor if isinstance(actor, User) else None,
            created_at=now,
        )
        alerts_create_about(
            _invitees(invitation),
            kind=Notification.Kind.INVITATION,
            subject=f"{committee} · {invitation.subject}",
            link=_link(invitation),
            now=now,
        )
    return invitation


def may_answer(user: User, invitation: Invitation) -> bool:
    """The department's liaisons, the invited leader, or the street's staff and leaders for them."""
    if not isinstance(user, User):
        return True
    if invitation.department_id and user.department_id == invitation.department_id:
        return True
    if invitation.leader_id == user.pk:
        return True
    return (
        user.role in (User.Role.STREET_STAFF, User.Role.STREET_LEADER)
        and policy.acts_for(user, street_id=invitation.street_id)
        or user.is_superuser
    )


def invitation_answer(
    *, invitation: Invitation, actor: Actor, accept: bool, reason: str = "", now: dt.datetime | None = None
) -> Invitation:
    """Accept (the session is planned at the proposed time) or decline with a reason. Once."""
    now = clock.now(now)
    with transaction.atomic():
        invitation = lock_one(Invitation.objects.select_related("committee", "department", "leader"), invitation.pk)
        if not may_answer(actor, invitation):
            raise NotPermitted(_("Only the invited may answer."))
        if invitation.status != Invitation.Status.INVITED:
            raise InvalidTransition(_("This invitation has been answered already."), code="answered")
        invitation.answered_at, invitation.answered_by = now, actor if isinstance(actor, User) else None
        if accept:
            invitation.meeting = meeting_schedule(
                type=MeetingType.objects.get(code=SESSION_TYPE),
                unit=invitation.committee,
                starts_at=invitation.proposed_at,
                title=_("Invitation: %(subject)s") % {"subject": invitation.subject},
                actor=None,
                now=now,
            )
            invitation.status = Invitation.Status.ACCEPTED
        else:
            invitation.decline_reason = _text(reason, "reason", _("the reason"))
            invitation.status = Invitation.Status.DECLINED
        invitation.save(update_fields=["status", "answered_at", "answered_by", "meeting", "decline_reason"])
    return invitation


def invitation_decide(
    *,
    invitation: Invitation,
    actor: Actor,
    decision: str,
    follow_up_by: dt.date | None,
    now: dt.datetime | None = None,
) -> Invitation:
    """The session's one decision, recorded by the committee once the session has begun (the
    meeting is marked held), with the date its follow-up is due."""
    now = clock.now(now)
    decision = _text(decision, "decision", _("the decision"))
    if follow_up_by is None or follow_up_by < _today(now):
        raise InvalidInput(_("Give the follow-up date, today or later."), field="follow_up_by")
    with transaction.atomic():
        invitation = lock_one(Invitation.objects.select_related("committee", "meeting"), invitation.pk)
        _require_acts_for(actor, invitation.committee)
        if invitation.status != Invitation.Status.ACCEPTED:
            raise InvalidTransition(_("Only an accepted invitation's session decides."), code="not_accepted")
        if invitation.meeting.starts_at > now:
            raise InvalidTransition(_("The session has not begun yet."), code="not_begun")
        meeting_record(meeting=invitation.meeting, actor=actor, minutes=decision, attended=[], now=now)
        invitation.decision, invitation.decided_at, invitation.follow_up_by = decision, now, follow_up_by
        invitation.status = Invitation.Status.DECIDED
        invitation.save(update_fields=["decision", "decided_at", "follow_up_by", "status"])
    return invitation


def invitation_follow_up(
    *, invitation: Invitation, actor: Actor, note: str, now: dt.datetime | None = None
) -> Invitation:
    """The committee records how the decision was carried out."""
    now = clock.now(now)
    note = _text(note, "note", _("the follow-up"))
    with transaction.atomic():
        invitation = lock_one(Invitation.objects.select_related("committee"), invitation.pk)
        _require_acts_for(actor, invitation.committee)
        if invitation.status != Invitation.Status.DECIDED:
            raise InvalidTransition(_("Only a decided invitation is followed up."), code="not_decided")
        invitation.follow_up_note, invitation.followed_up_at = note, now
        invitation.status = Invitation.Status.FOLLOWED_UP
        invitation.save(update_fields=["follow_up_note", "followed_up_at", "status"])
    return invitation


def sweep_late_follow_ups(now: dt.datetime | None = None) -> int:
    """Alert once on every decision past its follow-up date and not followed up: the committee's
    staff who invited and the invited. Claimed skip-locked and marked with its alerts."""
    now = clock.now(now)
    alerted = 0
    while True:
        with transaction.atomic():
            late = claim(
                Invitation.objects.select_related("committee", "ticket", "matter").filter(
                    status=Invitation.Status.DECIDED, late_alerted_at__isnull=True, follow_up_by__lt=_today(now)
                ),
                order_by="follow_up_by",
                limit=SWEEP_BATCH,
            )
            if not late:
                return alerted
            for invitation in late:
                recipients = [*_invitees(invitation), invitation.created_by_id]
                alerts_create_about(
                    [pk for pk in recipients if pk],
                    kind=Notification.Kind.FOLLOW_UP_LATE,
                    subject=f"{invitation.committee} · {invitation.subject}",
                    link=_link(invitation),
                    now=now,
                )
                invitation.late_alerted_at = now
            Invitation.objects.bulk_update(late, ["late_alerted_at"])
            alerted += len(late)

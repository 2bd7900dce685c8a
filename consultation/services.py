"""Writes for consultation matters (seed 002's seven steps) and their implementation.

Each action of a person locks the matter's row (core.locks), re-checks its state under the
lock, asks the policy whether the person acts for the matter's unit
(escalation.policy: Right.RUN_CONSULTATION), and writes a MatterEvent naming them, all in
one transaction. `now=` drives the clock (default: this moment); dates are Shanghai dates.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.models import Notification
from alerts.services import alerts_create_about
from core import clock
from core.enums import Status
from core.errors import InvalidInput, InvalidTransition
from core.locks import claim, lock_one
from escalation import policy
from grievances.models import Ticket
from grievances.selectors import ticket_visible_to
from meetings.models import Meeting
from meetings.selectors import visible_meetings
from responders.models import ResidentialCommittee, StreetOffice, User
from responders.selectors import user_scope

from .models import (
    DECIDING_STEPS,
    MEETING_STEPS,
    LivelihoodProject,
    Matter,
    MatterEvent,
    Milestone,
    ProjectEvent,
    Source,
    Step,
    StepRecord,
    Supervisor,
)

# Seed 002 leaves the quorum to each community's rules; ours, the common one: two thirds of
# the representatives present, and a resolution carried by more than half of those present.
QUORUM = (2, 3)

Actor = User | str


def _today(now: dt.datetime) -> dt.date:
    return timezone.localtime(now, clock.SHANGHAI).date()


def _log(subject: "Matter | LivelihoodProject", kind: str, actor: Actor, now: dt.datetime, note: str = "", **data):
    """Append to the record of a matter or a livelihood project."""
    person = actor if isinstance(actor, User) else None
    fields = {"kind": kind, "actor": person, "actor_label": "" if person else str(actor), "at": now, "note": note}
    if isinstance(subject, Matter):
        MatterEvent.objects.create(matter=subject, data=data, **fields)
    else:
        ProjectEvent.objects.create(project=subject, data=data, **fields)


def _require_acts_for(actor: Actor, unit) -> None:
    if isinstance(actor, User):
        policy.require(
            actor,
            policy.Right.RUN_CONSULTATION,
            unit,
            message=_("Only the staff of %(unit)s can run its consultation matters.") % {"unit": unit},
        )


def _locked(subject, actor: Actor):
    """The row of a matter or a livelihood project, locked and freshly read, once the person
    is known to act for its unit."""
    subject = lock_one(type(subject).objects.select_related("street", "committee"), subject.pk)
    _require_acts_for(actor, subject.unit)
    return subject


def _text(value: str, field: str, label: str, *, max_length: int | None = None) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(_("Fill in %(field)s.") % {"field": label}, field=field)
    if max_length and len(value) > max_length:
        raise InvalidInput(
            _("%(field)s is longer than %(n)s characters.") % {"field": label, "n": max_length}, field=field
        )
    return value


# --- raising a matter --------------------------------------------------------------------


def _refuse_merged(ticket: Ticket) -> None:
    """A ticket merged into another as its duplicate is no longer the problem's: its matter or
    invitation belongs to the surviving ticket, which every reporter now follows."""
    if ticket.status == Status.CANCELLED and ticket.duplicate_of_id:
        reference = Ticket.objects.filter(pk=ticket.duplicate_of_id).values_list("reference", flat=True).first()
        raise InvalidInput(
            _("This ticket was merged into %(reference)s: start from that ticket.") % {"reference": reference},
            field="ticket",
        )


def matter_raise(
    *,
    actor: Actor,
    unit: ResidentialCommittee | StreetOffice,
    title: str,
    description: str = "",
    source: str = Source.STAFF,
    ticket: Ticket | None = None,
    source_note: str = "",
    notice_days: int = 7,
    recurring_topic=None,
    now: dt.datetime | None = None,
) -> Matter:
    """Raise a consultation matter at a committee or the street. From a ticket: the ticket must
    be one the person sees, of that committee (or street), and the matter links it."""
    now = clock.now(now)
    _require_acts_for(actor, unit)
    title = _text(title, "title", _("the title"), max_length=200)
    if source not in Source.values:
        raise InvalidInput(_("Choose where the matter came from."), field="source")
    if not 0 <= notice_days <= 90:
        raise InvalidInput(_("The notice period is 0 to 90 days."), field="notice_days")
    committee = unit if isinstance(unit, ResidentialCommittee) else None
    street_id = unit.street_id if committee else unit.pk
    if ticket is not None:
        if isinstance(actor, User) and not ticket_visible_to(actor, ticket):
            raise InvalidInput(_("No such ticket."), field="ticket")
        _refuse_merged(ticket)
        if ticket.street_id != street_id or (committee and ticket.committee_id != committee.pk):
            raise InvalidInput(_("The ticket is not one of %(unit)s.") % {"unit": unit}, field="ticket")
        source = Source.TICKET
    elif source == Source.TICKET:
        raise InvalidInput(_("Name the ticket the matter was raised from."), field="ticket")
    if recurring_topic is not None:
        # A recurring problem is a hot spot of the street's, or of one committee's.
        if recurring_topic.street_id != street_id or (
            committee and recurring_topic.committee_id not in (None, committee.pk)
        ):
            raise InvalidInput(_("The recurring problem is not one of %(unit)s.") % {"unit": unit}, field="topic")
        source = Source.HOT_SPOT
        source_note = source_note or recurring_topic.summary
    with transaction.atomic():
        matter = Matter.objects.create(
            street_id=street_id,
            committee=committee,
            title=title,
            description=(description or "").strip(),
            source=source,
            ticket=ticket,
            recurring_topic=recurring_topic,
            source_note=(source_note or "").strip()[:300],
            notice_days=notice_days,
            created_by=actor if isinstance(actor, User) else None,
            created_at=now,
        )
        _log(matter, MatterEvent.Kind.RAISED, actor, now, ticket=ticket.reference if ticket else "")
    return matter


# --- the seven steps ---------------------------------------------------------------------


@dataclass(frozen=True)
class Vote:
    """The representatives' meeting's count: seats, present, for, against, abstaining."""

    representatives: int
    present: int
    votes_for: int
    votes_against: int = 0
    votes_abstaining: int = 0

    def check(self) -> bool:
        """Whether the resolution carries; refuses an impossible count or a meeting without
        its quorum (InvalidTransition `no_quorum`)."""
        if self.representatives < 1:
            raise InvalidInput(_("Give the number of representatives."), field="representatives")
        if self.present > self.representatives:
            raise InvalidInput(_("More present than there are representatives."), field="present")
        if self.votes_for + self.votes_against + self.votes_abstaining > self.present:
            raise InvalidInput(_("More votes than representatives present."), field="votes_for")
        need, of = QUORUM
        if self.present * of < self.representatives * need:
            raise InvalidTransition(
                _("No quorum: %(present)s of %(seats)s representatives present, at least two thirds are needed.")
                % {"present": self.present, "seats": self.representatives},
                code="no_quorum",
                field="present",
            )
        return self.votes_for * 2 > self.present


def _check_meeting(matter: Matter, meeting: Meeting, actor: Actor) -> None:
    seen = visible_meetings(user_scope(actor)) if isinstance(actor, User) else Meeting.objects.all()
    if not seen.filter(pk=meeting.pk).exists():
        raise InvalidInput(_("No such meeting."), field="meeting")
    same_unit = meeting.street_id == matter.street_id and (
        meeting.committee_id == matter.committee_id or (matter.committee_id is None and meeting.committee_id is None)
    )
    if not same_unit or meeting.zone_id is not None:
        raise InvalidInput(_("The meeting is not one of %(unit)s.") % {"unit": matter.unit}, field="meeting")
    if meeting.status == Meeting.Status.CANCELLED:
        raise InvalidInput(_("That meeting was cancelled."), field="meeting")


def step_record(
    *,
    matter: Matter,
    actor: Actor,
    number: int,
    outcome: str,
    held_on: dt.date | None = None,
    meeting: Meeting | None = None,
    participants: str = "",
    passed: bool | None = None,
    vote: Vote | None = None,
    rejection_reason: str = "",
    responsible_unit: str = "",
    responsible_person: str = "",
    responsible_user: User | None = None,
    now: dt.datetime | None = None,
) -> StepRecord:
    """Record step `number` of `matter`: the next one, never skipped, never twice, dated no
    earlier than the step before it and not in the future. Deliberation and review agree
    (`passed`) or turn the matter down; the representatives' meeting decides by `vote`
    against its quorum. A matter turned down ends with `rejection_reason`. Carrying it out
    starts only when the notice period after publication has ended, with a responsible unit
    and person; the result is published once every milestone is done, progress is 100% and
    both supervising committees have signed off."""
    now = clock.now(now)
    today = _today(now)
    with transaction.atomic():
        matter = _locked(matter, actor)
        if matter.rejected_at:
            raise InvalidTransition(_("This matter was rejected: it has ended."), code="rejected")
        if matter.step >= Step.RESULT_PUBLISHED:
            raise InvalidTransition(_("Every step of this matter is recorded."), code="completed")
        if number != matter.step + 1:
            if number <= matter.step:
                raise InvalidTransition(
                    _("%(step)s is recorded already.") % {"step": Step(number).label}, code="step_recorded"
                )
            raise InvalidTransition(
                _('Record "%(step)s" first: no step may be skipped.') % {"step": Step(matter.step + 1).label},
                code="step_skipped",
                field="number",
            )
        step = Step(number)
        if meeting is not None:
            _check_meeting(matter, meeting, actor)
            held_on = held_on or timezone.localtime(meeting.starts_at, clock.SHANGHAI).date()
        if held_on is None:
            raise InvalidInput(_("Give the date."), field="held_on")
        if held_on > today:
            raise InvalidInput(
                _("A step is recorded once it has happened: the date is in the future."), field="held_on"
            )
        previous = matter.steps.order_by("-number").first()
        if previous and held_on < previous.held_on:
            raise InvalidInput(
                _("The date is before the previous step (%(date)s).") % {"date": previous.held_on}, field="held_on"
            )
        outcome = _text(outcome, "outcome", _("the outcome"))
        participants = (participants or "").strip()
        if step in MEETING_STEPS and not participants:
            raise InvalidInput(_("Name who took part."), field="participants")
        record = StepRecord(
            matter=matter,
            number=step,
            held_on=held_on,
            meeting=meeting,
            participants=participants,
            outcome=outcome,
            recorded_by=actor if isinstance(actor, User) else None,
            recorded_at=now,
        )
        fields = ["step"]
        if step == Step.RESOLVED:
            if vote is None:
                raise InvalidInput(_("Record the vote."), field="votes_for")
            passed = vote.check()
            record.representatives, record.present = vote.representatives, vote.present
            record.votes_for, record.votes_against = vote.votes_for, vote.votes_against
            record.votes_abstaining = vote.votes_abstaining
        elif step in DECIDING_STEPS and passed is None:
            raise InvalidInput(_("Say whether the matter was agreed or turned down."), field="passed")
        record.passed = passed if step in DECIDING_STEPS else None
        if step in DECIDING_STEPS and not passed:
            matter.rejection_reason = _text(rejection_reason, "rejection_reason", _("the reason for rejecting"))
            matter.rejected_at = now
            fields += ["rejected_at", "rejection_reason"]
        if step == Step.PUBLISHED:
            matter.notice_ends_on = held_on + dt.timedelta(days=matter.notice_days)
            fields.append("notice_ends_on")
        if step == Step.IMPLEMENTED:
            if not matter.notice_over(held_on):
                raise InvalidTransition(
                    _("The notice period runs until %(date)s: carrying out may start on that day.")
                    % {"date": matter.notice_ends_on},
                    code="in_notice",
                    field="held_on",
                )
            matter.responsible_unit = _text(
                responsible_unit, "responsible_unit", _("the responsible unit"), max_length=200
            )
            matter.responsible_person = _text(
                responsible_person, "responsible_person", _("the responsible person"), max_length=100
            )
            matter.responsible_user = responsible_user
            fields += ["responsible_unit", "responsible_person", "responsible_user"]
        if step == Step.RESULT_PUBLISHED:
            _check_ready_to_publish(matter)
        matter.step = step
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError as error:
            raise InvalidTransition(
                _("%(step)s is recorded already.") % {"step": step.label}, code="step_recorded"
            ) from error
        matter.save(update_fields=fields)
        _log(matter, MatterEvent.Kind.STEP, actor, now, outcome, step=int(step), passed=record.passed)
        if matter.rejected_at:
            _log(matter, MatterEvent.Kind.REJECTED, actor, now, matter.rejection_reason, step=int(step))
    return record


def _check_ready_to_publish(matter: Matter) -> None:
    if matter.milestones.filter(done_on__isnull=True).exists():
        raise InvalidTransition(_("Some milestones are not done yet."), code="milestones_open")
    if matter.progress < 100:
        raise InvalidTransition(_("Progress has not reached 100 percent yet."), code="progress")
    bodies = set(matter.supervisors.values_list("body", flat=True))
    if bodies != set(Supervisor.Body.values):
        raise InvalidTransition(
            _("Name a reviewer of both the consultation committee and the supervision committee."),
            code="supervisors_missing",
        )
    if matter.supervisors.filter(signed_off_on__isnull=True).exists():
        raise InvalidTransition(_("Not every supervisor has signed off the result."), code="not_signed_off")


# --- implementation, tracked like a promise ---------------------------------------------
#
# A resolved matter and a selected livelihood project are carried out the same way: dated
# milestones, a progress percentage, and an alert when a milestone falls late.


def _implementing(subject, *, planning: bool = False) -> None:
    """Milestones (and a matter's supervisors) may be planned from the resolution or the
    selection on; progress and completed milestones only while it is being carried out."""
    if isinstance(subject, LivelihoodProject):
        if subject.status != LivelihoodProject.Status.SELECTED:
            raise InvalidTransition(_("The project is not being carried out."), code="not_implementing")
        return
    first = Step.RESOLVED if planning else Step.IMPLEMENTED
    if subject.rejected_at or not first <= subject.step < Step.RESULT_PUBLISHED:
        if planning:
            raise InvalidTransition(
                _("Implementation is planned once the resolution is carried and until its result is published."),
                code="not_resolved",
            )
        raise InvalidTransition(_("The matter is not being carried out."), code="not_implementing")


def _subject(matter: Matter | None, project: LivelihoodProject | None):
    if (matter is None) == (project is None):
        raise ValueError("Give a matter or a project.")
    return matter or project


def milestone_add(
    *,
    actor: Actor,
    title: str,
    due_on: dt.date | None,
    matter: Matter | None = None,
    project: LivelihoodProject | None = None,
    now: dt.datetime | None = None,
) -> Milestone:
    now = clock.now(now)
    title = _text(title, "title", _("the milestone"), max_length=200)
    if due_on is None:
        raise InvalidInput(_("Give the date it is due."), field="due_on")
    with transaction.atomic():
        subject = _locked(_subject(matter, project), actor)
        _implementing(subject, planning=True)
        owner = {"matter": subject} if isinstance(subject, Matter) else {"project": subject}
        milestone = Milestone.objects.create(title=title, due_on=due_on, created_at=now, **owner)
        _log(subject, MatterEvent.Kind.MILESTONE_ADDED, actor, now, title, due_on=due_on.isoformat())
    return milestone


def milestone_done(
    *, milestone: Milestone, actor: Actor, done_on: dt.date | None = None, now: dt.datetime | None = None
) -> Milestone:
    now = clock.now(now)
    done_on = done_on or _today(now)
    if done_on > _today(now):
        raise InvalidInput(_("The date is in the future."), field="done_on")
    with transaction.atomic():
        subject = _locked(milestone.matter or milestone.project, actor)
        _implementing(subject)
        milestone = lock_one(Milestone.objects.all(), milestone.pk)
        if milestone.done_on:
            return milestone  # a retry: done already
        milestone.done_on = done_on
        milestone.save(update_fields=["done_on"])
        _log(subject, MatterEvent.Kind.MILESTONE_DONE, actor, now, milestone.title, done_on=done_on.isoformat())
    return milestone


def progress_report(
    *,
    actor: Actor,
    progress: int,
    note: str = "",
    matter: Matter | None = None,
    project: LivelihoodProject | None = None,
    now: dt.datetime | None = None,
):
    """Report how far a matter or a project has come (0-100 %), with a note."""
    now = clock.now(now)
    if not isinstance(progress, int) or not 0 <= progress <= 100:
        raise InvalidInput(_("Progress is a whole number from 0 to 100."), field="progress")
    with transaction.atomic():
        subject = _locked(_subject(matter, project), actor)
        _implementing(subject)
        before = subject.progress
        subject.progress = progress
        subject.save(update_fields=["progress"])
        _log(subject, MatterEvent.Kind.PROGRESS, actor, now, (note or "").strip(), before=before, after=progress)
    return subject


def supervisor_add(*, matter: Matter, actor: Actor, body: str, name: str, now: dt.datetime | None = None) -> Supervisor:
    now = clock.now(now)
    name = _text(name, "name", _("the name"), max_length=100)
    if body not in Supervisor.Body.values:
        raise InvalidInput(_("Choose the supervising body."), field="body")
    with transaction.atomic():
        matter = _locked(matter, actor)
        _implementing(matter, planning=True)
        supervisor, created = Supervisor.objects.get_or_create(matter=matter, body=body, name=name)
        if created:
            _log(matter, MatterEvent.Kind.SUPERVISOR_ADDED, actor, now, name, body=body)
    return supervisor


def supervisor_sign_off(
    *,
    supervisor: Supervisor,
    actor: Actor,
    opinion: str,
    signed_off_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Supervisor:
    """Record a supervisor's sign-off of the result: once every milestone is done."""
    now = clock.now(now)
    signed_off_on = signed_off_on or _today(now)
    opinion = _text(opinion, "opinion", _("the opinion"))
    if signed_off_on > _today(now):
        raise InvalidInput(_("The date is in the future."), field="signed_off_on")
    with transaction.atomic():
        matter = _locked(supervisor.matter, actor)
        _implementing(matter)
        if matter.milestones.filter(done_on__isnull=True).exists():
            raise InvalidTransition(_("Some milestones are not done yet."), code="milestones_open")
        supervisor = lock_one(Supervisor.objects.filter(matter=matter), supervisor.pk)
        if supervisor.signed_off_on:
            raise InvalidTransition(
                _("%(name)s has signed off already.") % {"name": supervisor.name}, code="signed_off"
            )
        supervisor.signed_off_on, supervisor.opinion = signed_off_on, opinion
        supervisor.save(update_fields=["signed_off_on", "opinion"])
        _log(matter, MatterEvent.Kind.SIGNED_OFF, actor, now, opinion, supervisor=supervisor.name)
    return supervisor


# --- late milestones ---------------------------------------------------------------------

SWEEP_BATCH = 500


def _alert_recipients(subject) -> set[int]:
    """Who hears of a late milestone: the person responsible (with an account), whoever raised
    the matter or proposed the project, and the street leader responsible for the committee
    (领导包干制)."""
    ids = {subject.responsible_user_id, subject.created_by_id}
    if subject.committee_id:
        ids.add(subject.committee.duty_leader_id)
    return {pk for pk in ids if pk}


def sweep_late_milestones(now: dt.datetime | None = None) -> int:
    """Alert on every milestone past its date and not done, of a matter or a project still
    being carried out, exactly once: each is claimed (skip-locked, so two sweeps never take
    the same row) and marked in the transaction that writes its alerts. Returns the number of
    milestones alerted."""
    now = clock.now(now)
    today = _today(now)
    alerted = 0
    open_matter = Q(matter__rejected_at__isnull=True, matter__step__lt=Step.RESULT_PUBLISHED)
    open_project = Q(project__status=LivelihoodProject.Status.SELECTED)
    while True:
        with transaction.atomic():
            late = claim(
                Milestone.objects.filter(done_on__isnull=True, late_alerted_at__isnull=True, due_on__lt=today).filter(
                    open_matter | open_project
                ),
                order_by="due_on",
                limit=SWEEP_BATCH,
            )
            if not late:
                return alerted
            matters = Matter.objects.select_related("committee").in_bulk({m.matter_id for m in late if m.matter_id})
            projects = LivelihoodProject.objects.select_related("committee").in_bulk(
                {m.project_id for m in late if m.project_id}
            )
            for milestone in late:
                if milestone.matter_id:
                    subject, link = (
                        matters[milestone.matter_id],
                        reverse("consultation_matter", args=[milestone.matter_id]),
                    )
                else:
                    subject, link = (
                        projects[milestone.project_id],
                        reverse("livelihood_project", args=[milestone.project_id]),
                    )
                alerts_create_about(
                    _alert_recipients(subject),
                    kind=Notification.Kind.MILESTONE_LATE,
                    subject=f"{subject.title} · {milestone.title}",
                    link=link,
                    now=now,
                )
                _log(
                    subject,
                    MatterEvent.Kind.MILESTONE_LATE,
                    "sweep",
                    now,
                    milestone.title,
                    due_on=str(milestone.due_on),
                )
                milestone.late_alerted_at = now
            Milestone.objects.bulk_update(late, ["late_alerted_at"])
            alerted += len(late)

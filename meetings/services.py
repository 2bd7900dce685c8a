"""Writes for meetings. Every change to a ticket goes through escalation.transitions, with
the meeting named on the ticket's timeline (DESIGN.md rule 1).

Each action of a person locks the meeting's row, re-checks under the lock that the meeting
can still change, asks the policy whether the person acts for the meeting's unit
(escalation.policy: Right.RUN_MEETING, PLAN_MEETING), and writes a MeetingEvent naming them,
all in one transaction. `now=` drives the clock (default: this moment).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock
from core.enums import OPEN_STATUSES, Status, Tier
from core.errors import InvalidInput, InvalidTransition
from core.locks import lock_one
from escalation import policy, transitions
from grievances.models import Ticket, TicketEvent
from responders.models import Department, OrgUnit, ResidentialCommittee, ResponsibilityZone, StreetOffice, User

from .models import (
    AgendaItem,
    Cadence,
    Decision,
    Evaluation,
    Meeting,
    MeetingEvent,
    MeetingType,
    Participant,
    RiskAssessment,
)

UNIT_TIER = {ResponsibilityZone: Tier.ZONE, ResidentialCommittee: Tier.COMMITTEE, StreetOffice: Tier.STREET}


def _unit_fields(unit: OrgUnit) -> dict:
    if isinstance(unit, ResponsibilityZone):
        return {"zone": unit, "committee_id": unit.committee_id, "street_id": unit.committee.street_id}
    if isinstance(unit, ResidentialCommittee):
        return {"zone": None, "committee": unit, "street_id": unit.street_id}
    return {"zone": None, "committee": None, "street": unit}


def _planned(meeting: Meeting) -> None:
    if meeting.status == Meeting.Status.CANCELLED:
        raise InvalidTransition(_("This meeting was cancelled."))


# A person, or a system acting (the demo month, a test harness); None: the schedule.
Actor = transitions.Actor | None


def _run(meeting: Meeting, actor: Actor) -> Meeting:
    """The meeting's row, locked and freshly read, once it is known to be open to change and
    a person acting to act for its unit. Call inside the action's transaction."""
    meeting = lock_one(Meeting.objects.select_related("type", "street"), meeting.pk)
    _planned(meeting)
    if isinstance(actor, User):
        policy.require(
            actor,
            policy.Right.RUN_MEETING,
            meeting,
            message=_("Only the staff of %(unit)s can run its meetings.") % {"unit": meeting.unit},
        )
    return meeting


def _log(meeting: Meeting, kind: str, actor: Actor, now: dt.datetime, note: str = "", **data) -> None:
    person = actor if isinstance(actor, User) else None
    label = "" if person is not None else (actor or "")
    MeetingEvent.objects.create(
        meeting=meeting, kind=kind, actor=person, actor_label=label, at=now, note=note, data=data
    )


# --- scheduling ----------------------------------------------------------------------


def meeting_schedule(
    *,
    type: MeetingType,  # noqa: A002 - the model's own word
    unit: OrgUnit,
    starts_at: dt.datetime,
    actor: Actor,
    place: str = "",
    title: str = "",
    chair: User | None = None,
    now: dt.datetime | None = None,
) -> Meeting:
    """Plan a meeting of `unit`; its type must belong to the unit's tier, and a person
    planning it must act for the unit (`actor` None: the system)."""
    now = clock.now(now)
    if isinstance(actor, User):
        policy.require(
            actor,
            policy.Right.PLAN_MEETING,
            unit,
            message=_("Only the staff of %(unit)s can plan its meetings.") % {"unit": unit},
            field="unit",
        )
    if not type.active:
        raise InvalidInput(_("This meeting type is no longer in use."), field="type")
    if UNIT_TIER[unit.__class__] != type.tier:
        raise InvalidInput(
            _("A %(type)s is held by a %(tier)s.") % {"type": type, "tier": Tier(type.tier).label}, field="unit"
        )
    with transaction.atomic():
        meeting = Meeting.objects.create(
            type=type,
            starts_at=starts_at,
            place=place.strip(),
            title=title.strip(),
            chair=chair,
            created_by=actor if isinstance(actor, User) else None,
            created_at=now,
            **_unit_fields(unit),
        )
        _log(meeting, MeetingEvent.Kind.PLANNED, actor, now)
    return meeting


MONTHS = {
    Cadence.MONTHLY: range(1, 13),
    Cadence.QUARTERLY: (3, 6, 9, 12),
    Cadence.HALF_YEARLY: (6, 12),
    Cadence.YEARLY: (12,),
}


def next_occurrence(cadence: str, day: int, today: dt.date) -> tuple[dt.date, str]:
    """The next date on or after `today` a meeting of `cadence` falls on (day `day` of its
    month: every month, the last month of a quarter, June and December, or December), and
    the period it belongs to ("2026-12", "2026-Q4", "2026-H2", "2026")."""
    year, month = today.year, today.month
    for _step in range(13):
        if month in MONTHS[cadence] and dt.date(year, month, day) >= today:
            date = dt.date(year, month, day)
            break
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    period = {
        Cadence.MONTHLY: f"{date:%Y-%m}",
        Cadence.QUARTERLY: f"{date.year}-Q{(date.month - 1) // 3 + 1}",
        Cadence.HALF_YEARLY: f"{date.year}-H{1 if date.month <= 6 else 2}",
        Cadence.YEARLY: f"{date.year}",
    }[cadence]
    return date, period


def schedule_recurring(*, today: dt.date | None = None) -> int:
    """Plan the next meeting of every recurring type for every unit of its tier (each zone's
    public-opinion day on the zone's own day). One per type, unit and period: a unique
    constraint makes running this twice, or on two workers at once, create nothing more.
    Returns the number of meetings created."""
    tz = ZoneInfo(settings.TIME_ZONE)
    today = today or timezone.localdate()
    created = 0
    for meeting_type in MeetingType.objects.filter(active=True).exclude(cadence=Cadence.AD_HOC):
        if meeting_type.tier == Tier.ZONE:
            units = ResponsibilityZone.objects.select_related("committee")
        elif meeting_type.tier == Tier.COMMITTEE:
            units = ResidentialCommittee.objects.all()
        else:
            units = StreetOffice.objects.all()
        meetings = []
        for unit in units.iterator(chunk_size=2000):
            day = unit.opinion_day if isinstance(unit, ResponsibilityZone) else meeting_type.day_of_month
            date, period = next_occurrence(meeting_type.cadence, day, today)
            starts_at = dt.datetime.combine(date, dt.time(meeting_type.hour), tzinfo=tz)
            meetings.append(Meeting(type=meeting_type, starts_at=starts_at, period=period, **_unit_fields(unit)))
        before = Meeting.objects.filter(type=meeting_type).count()
        Meeting.objects.bulk_create(meetings, batch_size=1000, ignore_conflicts=True)
        created += Meeting.objects.filter(type=meeting_type).count() - before
    return created


# --- participants and the record -------------------------------------------------------


def participant_add(
    *,
    meeting: Meeting,
    actor: Actor,
    user: User | None = None,
    department: Department | None = None,
    name: str = "",
    role: str = "",
    now: dt.datetime | None = None,
) -> Participant:
    now = clock.now(now)
    name = name.strip()
    if user is None and department is None and not name:
        raise InvalidInput(_("Name the participant: a staff member, a department or a person."), field="name")
    with transaction.atomic():
        meeting = _run(meeting, actor)
        participant = Participant.objects.create(
            meeting=meeting, user=user, department=department, name=name, role=role.strip()
        )
        _log(meeting, MeetingEvent.Kind.PARTICIPANT_ADDED, actor, now, note=str(participant))
    return participant


def meeting_record(
    *,
    meeting: Meeting,
    actor: Actor,
    minutes: str,
    attended: Iterable[int],
    held: bool = True,
    now: dt.datetime | None = None,
) -> Meeting:
    """Write the minutes and the attendance; `held` marks the meeting held (it can be
    corrected afterwards), which it can be only once its start has passed (minutes may be
    drafted before)."""
    now = clock.now(now)
    attended = set(attended)
    with transaction.atomic():
        meeting = _run(meeting, actor)
        if held and meeting.status == Meeting.Status.PLANNED:
            _started(meeting, now, field="held")
        meeting.minutes = minutes.strip()
        fields = ["minutes"]
        if held and meeting.status == Meeting.Status.PLANNED:
            meeting.status, meeting.held_at = Meeting.Status.HELD, now
            fields += ["status", "held_at"]
        meeting.save(update_fields=fields)
        participants = list(meeting.participants.all())
        for participant in participants:
            participant.attended = participant.pk in attended
        Participant.objects.bulk_update(participants, ["attended"])
        _log(
            meeting,
            MeetingEvent.Kind.RECORDED,
            actor,
            now,
            held=meeting.status == Meeting.Status.HELD,
            present=sum(p.attended for p in participants),
        )
    return meeting


def meeting_cancel(*, meeting: Meeting, actor: Actor, reason: str, now: dt.datetime | None = None) -> Meeting:
    now = clock.now(now)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Say why the meeting is cancelled."), code="required", field="reason")
    with transaction.atomic():
        meeting = _run(meeting, actor)
        if meeting.status != Meeting.Status.PLANNED:
            raise InvalidTransition(_("Only a planned meeting can be cancelled."))
        meeting.status, meeting.cancel_reason = Meeting.Status.CANCELLED, reason
        meeting.save(update_fields=["status", "cancel_reason"])
        _log(meeting, MeetingEvent.Kind.CANCELLED, actor, now, note=reason)
    return meeting


# --- the agenda ------------------------------------------------------------------------


def _started(meeting: Meeting, now: dt.datetime, *, field: str) -> None:
    """Refuse what only a meeting that has begun can do (be held, decide) before its start."""
    if now < meeting.starts_at:
        start = timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M")
        raise InvalidInput(
            _(
                "This meeting starts at %(start)s: it can be recorded as held, and its decisions recorded, "
                "only from then on."
            )
            % {"start": start},
            field=field,
        )


def _next_position(meeting: Meeting) -> int:
    last = meeting.agenda.order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 1


def _agenda_open(meeting: Meeting) -> None:
    if meeting.status != Meeting.Status.PLANNED:
        raise InvalidTransition(_("Only a planned meeting's agenda can be added to."))


def agenda_add_ticket(
    *, meeting: Meeting, ticket: Ticket, actor: Actor, now: dt.datetime | None = None
) -> tuple[AgendaItem, bool]:
    """Put an open ticket on the agenda; logged on its timeline. Returns the item and
    whether the meeting falls after the ticket's resolve-by (the chair is warned: the
    clock does not stop for a meeting)."""
    now = clock.now(now)
    if ticket.status not in OPEN_STATUSES:
        raise InvalidInput(
            _("Ticket %(ref)s is %(status)s.") % {"ref": ticket.reference, "status": ticket.get_status_display()},
            field="ticket",
        )
    # A meeting takes up the matters of its own unit: a zone's, a committee's zones', a street's.
    outside = (
        ticket.street_id != meeting.street_id
        or (meeting.committee_id and ticket.committee_id != meeting.committee_id)
        or (meeting.zone_id and ticket.zone_id != meeting.zone_id)
    )
    if outside:
        raise InvalidInput(
            _("Ticket %(ref)s is not a matter of %(unit)s.") % {"ref": ticket.reference, "unit": meeting.unit},
            field="ticket",
        )
    with transaction.atomic():
        meeting = _run(meeting, actor)
        _agenda_open(meeting)
        item, created = AgendaItem.objects.get_or_create(
            meeting=meeting, ticket=ticket, defaults={"position": _next_position(meeting)}
        )
        if not created:
            message = _("Ticket %(ref)s is already on this agenda.") % {"ref": ticket.reference}
            raise InvalidInput(message, field="ticket")
        transitions.ticket_note_meeting(
            ticket=ticket, actor=actor, meeting=meeting, kind=TicketEvent.Kind.TABLED, now=now
        )
        _log(meeting, MeetingEvent.Kind.TICKET_TABLED, actor, now, note=ticket.reference, ticket=ticket.pk)
    return item, bool(ticket.resolve_by and ticket.resolve_by < meeting.starts_at)


def agenda_add_topic(*, meeting: Meeting, topic: str, actor: Actor, now: dt.datetime | None = None) -> AgendaItem:
    now = clock.now(now)
    topic = topic.strip()
    if not topic:
        raise InvalidInput(_("Write the topic."), code="required", field="topic")
    with transaction.atomic():
        meeting = _run(meeting, actor)
        _agenda_open(meeting)
        item = AgendaItem.objects.create(meeting=meeting, topic=topic[:300], position=_next_position(meeting))
        _log(meeting, MeetingEvent.Kind.TOPIC_ADDED, actor, now, note=item.topic)
    return item


# The state machine's action each decision takes (deferring and noting move no ticket).
DECISION_ACTIONS = {
    Decision.RESOLVE: transitions.Action.RESOLVE,
    Decision.REFER: transitions.Action.REFER,
    Decision.ESCALATE: transitions.Action.ESCALATE,
    Decision.ASSIGN: transitions.Action.ASSIGN,
}


def _next_meeting(meeting: Meeting) -> Meeting | None:
    return (
        Meeting.objects.filter(
            type=meeting.type,
            street=meeting.street_id,
            committee=meeting.committee_id,
            zone=meeting.zone_id,
            status=Meeting.Status.PLANNED,
            starts_at__gt=meeting.starts_at,
        )
        .order_by("starts_at")
        .first()
    )


def agenda_decide(
    *,
    item: AgendaItem,
    actor: Actor,
    decision: str,
    note: str = "",
    outcome: str = "",
    reason: str = "",
    departments: Sequence[Department] = (),
    duty: str = "",
    answer_by: dt.datetime | None = None,
    owner: User | None = None,
    now: dt.datetime | None = None,
) -> AgendaItem:
    """Record what the meeting decided on an item and apply it to the ticket through the
    state machine: resolve, refer to departments, escalate, assign an owner, or defer to
    the type's next meeting of the same unit. All or nothing: a refused transition leaves
    the item undecided. Whoever records it must act for the meeting's unit and be someone
    who could take the decision's action on the ticket (as on its own page)."""
    now = clock.now(now)
    if decision not in Decision.values:
        raise InvalidInput(_("Choose a decision."), code="required", field="decision")
    with transaction.atomic():
        # The meeting first, then the item, then (in the transition) the ticket: the same
        # order as every other meeting action, so two of them cannot deadlock.
        meeting = _run(item.meeting, actor)
        item = lock_one(AgendaItem.objects.select_related("ticket"), item.pk)
        ticket = item.ticket
        action = DECISION_ACTIONS.get(decision)
        if ticket is not None and action is not None and isinstance(actor, User):
            policy.require(
                actor,
                action,
                ticket,
                message=_("Ticket %(ref)s is at the %(tier)s tier: this decision is not yours to record.")
                % {"ref": ticket.reference, "tier": ticket.get_tier_display()},
                field="decision",
            )
        if item.decided_at:
            raise InvalidTransition(_("This item was decided already."))
        _started(meeting, now, field="decision")
        if ticket is None and decision != Decision.NOTE:
            raise InvalidInput(_("A free topic can only have its decision recorded."), field="decision")
        note = note.strip()
        common = {"ticket": ticket, "actor": actor, "meeting": meeting, "now": now}
        match decision:
            case Decision.RESOLVE:
                transitions.ticket_resolve(**common, outcome=outcome, reason=reason or note)
            case Decision.REFER:
                if ticket.status == Status.NEW:
                    transitions.ticket_acknowledge(ticket=ticket, actor=actor, note=meeting.display_title, now=now)
                transitions.ticket_refer(**common, departments=departments, duty=duty or note, answer_by=answer_by)
            case Decision.ESCALATE:
                transitions.ticket_escalate(**common, reason=reason or note)
            case Decision.ASSIGN:
                if owner is None:
                    raise InvalidInput(_("Choose the new owner."), code="required", field="owner")
                transitions.ticket_assign(**common, owner=owner)
            case Decision.DEFER:
                later = _next_meeting(meeting)
                if later is None:
                    raise InvalidInput(
                        _("There is no later %(type)s planned: schedule it first.") % {"type": meeting.type},
                        field="decision",
                    )
                AgendaItem.objects.get_or_create(
                    meeting=later, ticket=ticket, defaults={"position": _next_position(later)}
                )
                transitions.ticket_note_meeting(
                    ticket=ticket,
                    actor=actor,
                    meeting=meeting,
                    kind=TicketEvent.Kind.DEFERRED,
                    note=note or later.display_title,
                    now=now,
                )
                item.deferred_to = later
            case Decision.NOTE:
                if not note:
                    raise InvalidInput(_("Write what was decided."), code="required", field="note")
        item.decision, item.decision_note = decision, note or reason or duty
        item.decided_at, item.decided_by = now, actor if isinstance(actor, User) else None
        item.save(update_fields=["decision", "decision_note", "decided_at", "decided_by", "deferred_to"])
        _log(meeting, MeetingEvent.Kind.DECIDED, actor, now, note=item.decision_note, item=item.pk, decision=decision)
    return item


# --- the evaluation and risk screening meetings ------------------------------------------


def risk_assess(
    *,
    item: AgendaItem,
    actor: Actor,
    met: Iterable[str],
    responsible_unit: str,
    responsible_person: str,
    level: str,
    mitigation: str = "",
    now: dt.datetime | None = None,
) -> RiskAssessment:
    """The stability risk assessment of an agenda item: which preconditions of the type's
    checklist are met, who is responsible, the risk level and the mitigation."""
    now = clock.now(now)
    if not responsible_unit.strip():
        raise InvalidInput(_("Name the responsible unit."), code="required", field="responsible_unit")
    if not responsible_person.strip():
        raise InvalidInput(_("Name the responsible person."), code="required", field="responsible_person")
    if level not in RiskAssessment.Level.values:
        raise InvalidInput(_("Choose a risk level."), code="required", field="level")
    met = set(met)
    with transaction.atomic():
        meeting = _run(item.meeting, actor)
        checklist = [{"item": entry, "met": entry in met} for entry in meeting.type.checklist]
        assessment, _created = RiskAssessment.objects.update_or_create(
            item=item,
            defaults={
                "checklist": checklist,
                "responsible_unit": responsible_unit.strip(),
                "responsible_person": responsible_person.strip(),
                "level": level,
                "mitigation": mitigation.strip(),
                "assessed_by": actor if isinstance(actor, User) else None,
                "assessed_at": now,
            },
        )
        _log(meeting, MeetingEvent.Kind.RISK_ASSESSED, actor, now, item=item.pk, level=level)
    return assessment


def evaluation_record(
    *,
    meeting: Meeting,
    actor: Actor,
    scores: dict[str, int],
    opinion: str,
    department: Department | None = None,
    body_name: str = "",
    superior: str = "",
    comments: str = "",
    now: dt.datetime | None = None,
) -> Evaluation:
    """The representatives' rating of one body, on every criterion of the meeting's type
    (1-5), and the written opinion sent to it, its superior and the street."""
    now = clock.now(now)
    if department is None and not body_name.strip():
        raise InvalidInput(_("Choose a department or name the body evaluated."), field="body_name")
    for criterion in meeting.type.criteria:
        score = scores.get(criterion)
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise InvalidInput(_("Score %(criterion)s from 1 to 5.") % {"criterion": criterion}, field=criterion)
    if not opinion.strip():
        raise InvalidInput(_("Write the opinion to send."), code="required", field="opinion")
    with transaction.atomic():
        meeting = _run(meeting, actor)
        evaluation = Evaluation.objects.create(
            meeting=meeting,
            department=department,
            body_name=body_name.strip(),
            superior=superior.strip(),
            scores={criterion: scores[criterion] for criterion in meeting.type.criteria},
            comments=comments.strip(),
            opinion=opinion.strip(),
            created_by=actor if isinstance(actor, User) else None,
            created_at=now,
        )
        _log(meeting, MeetingEvent.Kind.EVALUATED, actor, now, note=evaluation.evaluated, evaluation=evaluation.pk)
    return evaluation

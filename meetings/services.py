"""Writes for meetings. Every change to a ticket goes through escalation.transitions, with
the meeting named on the ticket's timeline (DESIGN.md rule 1)."""

import datetime as dt
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput, InvalidTransition
from core.locks import lock_one
from escalation import transitions as t
from grievances.models import OPEN_STATUSES, Status, Ticket, TicketEvent, Tier
from responders.models import Department, ResidentialCommittee, ResponsibilityZone, StreetOffice, User

from .models import AgendaItem, Cadence, Decision, Evaluation, Meeting, MeetingType, Participant, RiskAssessment

Unit = StreetOffice | ResidentialCommittee | ResponsibilityZone
UNIT_TIER = {ResponsibilityZone: Tier.ZONE, ResidentialCommittee: Tier.COMMITTEE, StreetOffice: Tier.STREET}


def _unit_fields(unit: Unit) -> dict:
    if isinstance(unit, ResponsibilityZone):
        return {"zone": unit, "committee_id": unit.committee_id, "street_id": unit.committee.street_id}
    if isinstance(unit, ResidentialCommittee):
        return {"zone": None, "committee": unit, "street_id": unit.street_id}
    return {"zone": None, "committee": None, "street": unit}


def _planned(meeting: Meeting) -> None:
    if meeting.status == Meeting.Status.CANCELLED:
        raise InvalidTransition(_("This meeting was cancelled."))


# --- scheduling ----------------------------------------------------------------------


def meeting_schedule(
    *,
    type: MeetingType,  # noqa: A002 - the model's own word
    unit: Unit,
    starts_at: dt.datetime,
    actor: User | None,
    place: str = "",
    title: str = "",
    chair: User | None = None,
) -> Meeting:
    """Plan a meeting of `unit`; its type must belong to the unit's tier."""
    if not type.active:
        raise InvalidInput(_("This meeting type is no longer in use."), field="type")
    if UNIT_TIER[unit.__class__] != type.tier:
        raise InvalidInput(
            _("A %(type)s is held by a %(tier)s.") % {"type": type, "tier": Tier(type.tier).label}, field="unit"
        )
    return Meeting.objects.create(
        type=type,
        starts_at=starts_at,
        place=place.strip(),
        title=title.strip(),
        chair=chair,
        created_by=actor,
        **_unit_fields(unit),
    )


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
    user: User | None = None,
    department: Department | None = None,
    name: str = "",
    role: str = "",
) -> Participant:
    _planned(meeting)
    name = name.strip()
    if user is None and department is None and not name:
        raise InvalidInput(_("Name the participant: a staff member, a department or a person."), field="name")
    return Participant.objects.create(meeting=meeting, user=user, department=department, name=name, role=role.strip())


def meeting_record(
    *, meeting: Meeting, actor: User, minutes: str, attended: Iterable[int], held: bool = True
) -> Meeting:
    """Write the minutes and the attendance; `held` marks the meeting held (it can be
    corrected afterwards)."""
    _planned(meeting)
    attended = set(attended)
    with transaction.atomic():
        meeting = lock_one(Meeting.objects, meeting.pk)
        meeting.minutes = minutes.strip()
        fields = ["minutes"]
        if held and meeting.status == Meeting.Status.PLANNED:
            meeting.status, meeting.held_at = Meeting.Status.HELD, timezone.now()
            fields += ["status", "held_at"]
        meeting.save(update_fields=fields)
        for participant in meeting.participants.all():
            participant.attended = participant.pk in attended
            participant.save(update_fields=["attended"])
    return meeting


def meeting_cancel(*, meeting: Meeting, actor: User, reason: str) -> Meeting:
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Say why the meeting is cancelled."), code="required", field="reason")
    if meeting.status != Meeting.Status.PLANNED:
        raise InvalidTransition(_("Only a planned meeting can be cancelled."))
    meeting.status, meeting.cancel_reason = Meeting.Status.CANCELLED, reason
    meeting.save(update_fields=["status", "cancel_reason"])
    return meeting


# --- the agenda ------------------------------------------------------------------------


def _next_position(meeting: Meeting) -> int:
    last = meeting.agenda.order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 1


def agenda_add_ticket(*, meeting: Meeting, ticket: Ticket, actor: User) -> tuple[AgendaItem, bool]:
    """Put an open ticket on the agenda; logged on its timeline. Returns the item and
    whether the meeting falls after the ticket's resolve-by (the chair is warned: the
    clock does not stop for a meeting)."""
    if meeting.status != Meeting.Status.PLANNED:
        raise InvalidTransition(_("Only a planned meeting's agenda can be added to."))
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
        item, created = AgendaItem.objects.get_or_create(
            meeting=meeting, ticket=ticket, defaults={"position": _next_position(meeting)}
        )
        if not created:
            message = _("Ticket %(ref)s is already on this agenda.") % {"ref": ticket.reference}
            raise InvalidInput(message, field="ticket")
        t.ticket_note_meeting(ticket=ticket, actor=actor, meeting=meeting, kind=TicketEvent.Kind.TABLED)
    return item, bool(ticket.resolve_by and ticket.resolve_by < meeting.starts_at)


def agenda_add_topic(*, meeting: Meeting, topic: str, actor: User) -> AgendaItem:
    topic = topic.strip()
    if not topic:
        raise InvalidInput(_("Write the topic."), code="required", field="topic")
    if meeting.status != Meeting.Status.PLANNED:
        raise InvalidTransition(_("Only a planned meeting's agenda can be added to."))
    return AgendaItem.objects.create(meeting=meeting, topic=topic[:300], position=_next_position(meeting))


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
    actor: User,
    decision: str,
    note: str = "",
    outcome: str = "",
    reason: str = "",
    departments: Sequence[Department] = (),
    duty: str = "",
    answer_by: dt.datetime | None = None,
    owner: User | None = None,
) -> AgendaItem:
    """Record what the meeting decided on an item and apply it to the ticket through the
    state machine: resolve, refer to departments, escalate, assign an owner, or defer to
    the type's next meeting of the same unit. All or nothing: a refused transition leaves
    the item undecided."""
    if decision not in Decision.values:
        raise InvalidInput(_("Choose a decision."), code="required", field="decision")
    with transaction.atomic():
        item = lock_one(AgendaItem.objects.select_related("meeting__type", "ticket"), item.pk)
        meeting, ticket = item.meeting, item.ticket
        _planned(meeting)
        if item.decided_at:
            raise InvalidTransition(_("This item was decided already."))
        if ticket is None and decision != Decision.NOTE:
            raise InvalidInput(_("A free topic can only have its decision recorded."), field="decision")
        note = note.strip()
        common = {"ticket": ticket, "actor": actor, "meeting": meeting}
        match decision:
            case Decision.RESOLVE:
                t.ticket_resolve(**common, outcome=outcome, reason=reason or note)
            case Decision.REFER:
                if ticket.status == Status.NEW:
                    t.ticket_acknowledge(ticket=ticket, actor=actor, note=meeting.display_title)
                t.ticket_refer(**common, departments=departments, duty=duty or note, answer_by=answer_by)
            case Decision.ESCALATE:
                t.ticket_escalate(**common, reason=reason or note)
            case Decision.ASSIGN:
                if owner is None:
                    raise InvalidInput(_("Choose the new owner."), code="required", field="owner")
                t.ticket_assign(**common, owner=owner)
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
                t.ticket_note_meeting(
                    ticket=ticket,
                    actor=actor,
                    meeting=meeting,
                    kind=TicketEvent.Kind.DEFERRED,
                    note=note or later.display_title,
                )
                item.deferred_to = later
            case Decision.NOTE:
                if not note:
                    raise InvalidInput(_("Write what was decided."), code="required", field="note")
        item.decision, item.decision_note = decision, note or reason or duty
        item.decided_at, item.decided_by = timezone.now(), actor
        item.save(update_fields=["decision", "decision_note", "decided_at", "decided_by", "deferred_to"])
    return item


# --- the evaluation and risk screening meetings ------------------------------------------


def risk_assess(
    *,
    item: AgendaItem,
    actor: User,
    met: Iterable[str],
    responsible_unit: str,
    responsible_person: str,
    level: str,
    mitigation: str = "",
) -> RiskAssessment:
    """The stability risk assessment of an agenda item: which preconditions of the type's
    checklist are met, who is responsible, the risk level and the mitigation."""
    _planned(item.meeting)
    if not responsible_unit.strip():
        raise InvalidInput(_("Name the responsible unit."), code="required", field="responsible_unit")
    if not responsible_person.strip():
        raise InvalidInput(_("Name the responsible person."), code="required", field="responsible_person")
    if level not in RiskAssessment.Level.values:
        raise InvalidInput(_("Choose a risk level."), code="required", field="level")
    met = set(met)
    checklist = [{"item": entry, "met": entry in met} for entry in item.meeting.type.checklist]
    assessment, _created = RiskAssessment.objects.update_or_create(
        item=item,
        defaults={
            "checklist": checklist,
            "responsible_unit": responsible_unit.strip(),
            "responsible_person": responsible_person.strip(),
            "level": level,
            "mitigation": mitigation.strip(),
            "assessed_by": actor,
        },
    )
    return assessment


def evaluation_record(
    *,
    meeting: Meeting,
    actor: User,
    scores: dict[str, int],
    opinion: str,
    department: Department | None = None,
    body_name: str = "",
    superior: str = "",
    comments: str = "",
) -> Evaluation:
    """The representatives' rating of one body, on every criterion of the meeting's type
    (1-5), and the written opinion sent to it, its superior and the street."""
    _planned(meeting)
    if department is None and not body_name.strip():
        raise InvalidInput(_("Choose a department or name the body evaluated."), field="body_name")
    for criterion in meeting.type.criteria:
        score = scores.get(criterion)
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise InvalidInput(_("Score %(criterion)s from 1 to 5.") % {"criterion": criterion}, field=criterion)
    if not opinion.strip():
        raise InvalidInput(_("Write the opinion to send."), code="required", field="opinion")
    return Evaluation.objects.create(
        meeting=meeting,
        department=department,
        body_name=body_name.strip(),
        superior=superior.strip(),
        scores={criterion: scores[criterion] for criterion in meeting.type.criteria},
        comments=comments.strip(),
        opinion=opinion.strip(),
        created_by=actor,
    )

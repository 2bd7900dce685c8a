"""Reads for meetings, all through the one visibility rule (responders.selectors)."""

import datetime as dt

from django.db.models import Q, QuerySet

from core.enums import OPEN_STATUSES, Status, Tier
from escalation.models import TransferRecord
from grievances.models import Ticket
from grievances.selectors import visible_tickets
from responders.selectors import Scope

from .models import AgendaItem, Meeting, Purpose


def _attended_by(department_ids: list[int]) -> Q:
    from .models import Participant

    return Q(pk__in=Participant.objects.filter(department_id__in=department_ids).values("meeting_id"))


def visible_meetings(scope: Scope) -> QuerySet[Meeting]:
    """A street's meetings to its street; a committee's to it and the street; a zone's to
    its team, its committee and its street; to a department, the meetings it is invited to."""
    return scope.filter(
        Meeting.objects.select_related("type", "street", "committee", "zone", "chair"),
        street="street",
        committee="committee",
        zone="zone",
        department=_attended_by,
    )


def meetings_in(scope: Scope, start: dt.datetime, end: dt.datetime) -> QuerySet[Meeting]:
    return visible_meetings(scope).filter(starts_at__gte=start, starts_at__lt=end).order_by("starts_at", "pk")


def _on_pending_agenda() -> Q:
    """Tickets already waiting on a planned meeting's agenda, undecided."""
    return Q(
        pk__in=AgendaItem.objects.filter(
            meeting__status=Meeting.Status.PLANNED, decided_at__isnull=True, ticket__isnull=False
        ).values("ticket_id")
    )


def meeting_tiers(meeting: Meeting) -> tuple[str, ...]:
    """The tiers of the tickets `meeting` takes up: its own; a committee's coordination
    meeting, the zone tier too (that is what it is for)."""
    if meeting.type.purpose == Purpose.COORDINATION and meeting.type.tier == Tier.COMMITTEE:
        return (Tier.COMMITTEE, Tier.ZONE)
    return (meeting.type.tier,)


def meeting_candidates(scope: Scope, meeting: Meeting, limit: int = 50) -> QuerySet[Ticket]:
    """The tickets proposed for `meeting`: open tickets of its unit at its tier that no
    planned meeting has on its agenda yet. A zone's public-opinion day gets what the zone
    could not settle at the visit; a committee's coordination meeting, also its zones'
    tickets still at the zone tier (the disputes a zone could not settle); the mediation
    meeting, the matters transferred from committees and not yet referred."""
    tickets = visible_tickets(scope).filter(status__in=OPEN_STATUSES, tier__in=meeting_tiers(meeting))
    if meeting.zone_id:
        tickets = tickets.filter(zone=meeting.zone_id)
    elif meeting.committee_id:
        tickets = tickets.filter(committee=meeting.committee_id)
    else:
        tickets = tickets.filter(street=meeting.street_id)
    if meeting.type.purpose == Purpose.MEDIATION and meeting.type.tier == Tier.STREET:
        transferred = TransferRecord.objects.filter(referred_at__isnull=True).values("ticket_id")
        tickets = tickets.filter(pk__in=transferred).exclude(status=Status.REFERRED)
    return tickets.exclude(_on_pending_agenda()).select_related("category", "zone").order_by("resolve_by", "pk")[:limit]


def deadline_conflicts(meeting: Meeting) -> list[AgendaItem]:
    """Agenda tickets still open whose resolve-by falls before the meeting: the SLA clock
    does not stop for a meeting, so the sweep will escalate them first."""
    if meeting.status != Meeting.Status.PLANNED:
        return []
    return list(
        meeting.agenda.filter(
            decided_at__isnull=True,
            ticket__status__in=OPEN_STATUSES,
            ticket__resolve_by__lt=meeting.starts_at,
        ).select_related("ticket")
    )

"""What every transition shares: the row lock, the state check, the event, the save, and
the batch of writes a sweep step or a multi-part move collects."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.bulk import insert_many
from core.errors import InvalidInput, InvalidTransition
from core.locks import lock_one
from grievances.models import EventOutbox, Ticket, TicketEvent
from responders.models import User

from .. import policy
from .table import ALLOWED_FROM, BLOCKED_WHILE_PAUSED, Action, Actor


def lock_ticket(ticket: Ticket) -> Ticket:
    """The ticket's row, locked for this transaction and freshly read.

    FOR NO KEY UPDATE: we never change a ticket's key, so rows that merely reference the
    ticket (its events, referrals, feedback) can still be inserted meanwhile.
    """
    return lock_one(Ticket.objects, ticket.pk)


def require_action(ticket: Ticket, action: Action, actor: Actor, expected_version: int | None = None) -> None:
    """Under the row lock: the version the caller saw, the status the action starts from,
    and, for a person, that their role allows the action at the ticket's tier (the policy;
    systems such as the sweep or a partner key are checked where they come in)."""
    if expected_version is not None and ticket.version != expected_version:
        raise InvalidTransition(
            _(
                "Someone else acted on ticket %(ref)s after you opened it (last: %(change)s; it is now %(status)s). "
                "Your action was not saved: look at the ticket as it is now, then act again if it is still needed."
            )
            % {
                "ref": ticket.reference,
                "change": ticket.events.order_by("-at", "-pk").first().get_kind_display(),
                "status": ticket.get_status_display(),
            },
            code="stale_version",
        )
    if ticket.status not in ALLOWED_FROM[action]:
        raise InvalidTransition(
            _('Ticket %(ref)s is %(status)s: "%(action)s" is not possible now.')
            % {"action": action.label, "ref": ticket.reference, "status": ticket.get_status_display()}
        )
    if ticket.paused_at is not None and action in BLOCKED_WHILE_PAUSED:
        raise InvalidTransition(
            _('Ticket %(ref)s is paused: resume its clock before "%(action)s".')
            % {"action": action.label, "ref": ticket.reference},
            code="paused",
        )
    if isinstance(actor, User):
        policy.require(
            actor,
            action,
            ticket,
            message=_('You may not "%(action)s" ticket %(ref)s at the %(tier)s tier.')
            % {"action": action.label, "ref": ticket.reference, "tier": ticket.get_tier_display()},
        )


def new_event(
    ticket: Ticket,
    kind: str,
    actor: Actor,
    now: dt.datetime,
    *,
    from_status: str | None = None,
    from_tier: str | None = None,
    note="",
    data=None,
    meeting=None,
) -> TicketEvent:
    """An event for the ticket as it now stands; a from_status/from_tier given (even "",
    for a new ticket) records the move to the ticket's present status/tier. A `meeting`
    (meetings.Meeting) that decided the move is named on the timeline."""
    if meeting is not None:
        data = {**(data or {}), "meeting": meeting.pk, "meeting_title": meeting.display_title}
    return TicketEvent(
        ticket=ticket,
        kind=kind,
        at=now,
        actor=actor if isinstance(actor, User) else None,
        actor_label="" if isinstance(actor, User) else actor,
        from_status=from_status or "",
        to_status=ticket.status if from_status is not None else "",
        from_tier=from_tier or "",
        to_tier=ticket.tier if from_tier is not None else "",
        note=note,
        data=data or {},
    )


def save_with_events(ticket: Ticket, fields, events: TicketEvent | list[TicketEvent], now: dt.datetime) -> Ticket:
    ticket.version += 1
    ticket.updated_at = now
    ticket.save(update_fields=[*sorted(set(fields)), "version", "updated_at"])
    append_events(events if isinstance(events, list) else [events])
    return ticket


def required_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message, code="required", field=field)
    return value


@dataclass
class Batch:
    """What one sweep batch writes: the tickets' fields, the events and the alerts."""

    fields: set[str] = field(default_factory=set)
    events: list[TicketEvent] = field(default_factory=list)
    alerts: list[tuple[int, str, int]] = field(default_factory=list)
    # Tickets passed from a committee to its street, with the reason: each gets a numbered
    # request transfer form (群众诉求转接单).
    transfers: list[tuple[Ticket, str]] = field(default_factory=list)
    # The street's staff and leaders, by street: whom a ticket reaching the street alerts.
    street_desks: dict[int, list[int]] = field(default_factory=dict)


# Apps above escalation that must write in the very transaction of an event (the residents'
# SMS outbox) register here from their AppConfig.ready(): the transitions never import them.
_event_listeners: list[Callable[[list[TicketEvent]], None]] = []


def listen_to_events(listener: Callable[[list[TicketEvent]], None]) -> None:
    """Call `listener(events)` after every append, in the change's transaction."""
    if listener not in _event_listeners:
        _event_listeners.append(listener)


def append_events(events: list[TicketEvent]) -> list[TicketEvent]:
    """Add events to the timeline (append-only: a trigger refuses UPDATE and DELETE). The one
    place every transition and sweep step writes them, in the caller's transaction.

    Each event also gets its `EventOutbox` row, in the same transaction: the partner
    webhooks' work (`api.webhooks` fans the rows out). So an event that commits is sent, and
    one rolled back leaves nothing behind. One INSERT for the events, one for the rows (a
    sweep's batch: COPY, core.bulk)."""
    events = insert_many(events)
    insert_many([EventOutbox(event_id=event.pk) for event in events])
    for listener in _event_listeners:
        listener(events)
    return events

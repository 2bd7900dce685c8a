"""The per-ticket moves that both a single action and a sweep step make: climbing a tier,
closing, withdrawing open referrals, noting a response. Each changes a locked ticket in
memory and adds what must be written to a Batch; the caller writes it."""

import datetime as dt

from django.utils.translation import gettext as _

from alerts.models import Notification
from core.enums import Status, Tier
from core.errors import InvalidTransition
from grievances.models import Ticket, TicketEvent
from responders.models import User
from responders.selectors import OwnerFinder

from ..models import Referral
from ..sla import SLA, Clock
from .base import Batch, new_event
from .table import Actor


def mark_responded(ticket: Ticket, now: dt.datetime) -> list[str]:
    """Record that the resident has been answered (at this tier, and at all if first); the
    fields to save."""
    ticket.responded_at = ticket.responded_at or now
    ticket.first_responded_at = ticket.first_responded_at or now
    return ["responded_at", "first_responded_at"]


CLOCK_FIELDS = ("respond_by", "resolve_by", "warn_quarter_at", "warn_day_at", "warned_quarter", "warned_day")


def set_clock(ticket: Ticket, deadlines: Clock) -> tuple[str, ...]:
    """Start a new clock on a ticket (opening, escalation, reopening): its deadlines and the
    moments of its two warnings, not yet sent. The fields to save."""
    ticket.respond_by, ticket.resolve_by = deadlines.respond_by, deadlines.resolve_by
    ticket.warn_quarter_at, ticket.warn_day_at = deadlines.warn_quarter_at, deadlines.warn_day_at
    ticket.warned_quarter = ticket.warned_day = False
    return CLOCK_FIELDS


def ticket_clock(sla: SLA, ticket: Ticket, tier: str, now: dt.datetime) -> Clock:
    """The clock a ticket gets at `tier` from `now`: by its kind of matter (its service item,
    its category), else by tier and urgency."""
    return sla.clock(tier, ticket.urgency, now, category_id=ticket.category_id, service_item_id=ticket.service_item_id)


def escalate_one(
    ticket: Ticket,
    *,
    actor: Actor,
    reason: str,
    now: dt.datetime,
    sla: SLA,
    owners: OwnerFinder,
    batch: Batch,
    meeting=None,
) -> None:
    """Move a locked ticket one tier up with a new owner and a fresh SLA clock (shared by the
    single action and the sweep)."""
    if ticket.tier == Tier.STREET:
        raise InvalidTransition(
            _("Ticket %(ref)s is already at the street tier: refer it to a department instead.")
            % {"ref": ticket.reference}
        )
    from_status, from_tier = ticket.status, ticket.tier
    to_tier = Tier(ticket.tier).above
    owner = owners.owner(
        tier=to_tier, zone_id=ticket.zone_id, committee_id=ticket.committee_id, street_id=ticket.street_id
    )
    if owner is None:
        raise InvalidTransition(
            _("Nobody at the %(tier)s tier can own ticket %(ref)s: add a staff account in the admin.")
            % {"tier": to_tier.label, "ref": ticket.reference},
            code="no_owner",
        )
    deadlines = ticket_clock(sla, ticket, to_tier, now)
    ticket.tier, ticket.status, ticket.owner = to_tier, Status.NEW, owner
    batch.fields |= set(set_clock(ticket, deadlines))
    ticket.responded_at = None
    ticket.respond_overdue = ticket.answer_overdue = False
    ticket.answer_by = None
    batch.fields |= {
        "tier",
        "status",
        "owner",
        "responded_at",
        "respond_overdue",
        "answer_overdue",
        "answer_by",
    }
    batch.events.append(
        new_event(
            ticket,
            TicketEvent.Kind.ESCALATED,
            actor,
            now,
            from_status=from_status,
            from_tier=from_tier,
            note=reason,
            meeting=meeting,
        )
    )
    batch.alerts.append((owner.pk, Notification.Kind.ESCALATED, ticket.pk))
    if to_tier == Tier.STREET:
        batch.transfers.append((ticket, reason))
        # The street triages together: its staff and leaders all see the arrival, not only
        # the owner the chain picked.
        batch.alerts.extend(
            (pk, Notification.Kind.REACHED_STREET, ticket.pk)
            for pk in street_desk(ticket.street_id, batch)
            if pk != owner.pk
        )


def street_desk(street_id: int, batch: Batch) -> list[int]:
    """The active staff and leaders of a street (ids), asked once per street and batch."""
    if street_id not in batch.street_desks:
        batch.street_desks[street_id] = list(
            User.objects.filter(
                is_active=True, street_id=street_id, role__in=[User.Role.STREET_STAFF, User.Role.STREET_LEADER]
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return batch.street_desks[street_id]


def withdraw_referrals(ticket_ids: list[int], now: dt.datetime) -> None:
    Referral.objects.filter(ticket_id__in=ticket_ids, answered_at__isnull=True, withdrawn_at__isnull=True).update(
        withdrawn_at=now
    )


def close_one(ticket: Ticket, *, actor: Actor, now: dt.datetime, note: str, batch: Batch) -> None:
    ticket.status, ticket.closed_at, ticket.feedback_due_by = Status.CLOSED, now, None
    batch.fields |= {"status", "closed_at", "feedback_due_by"}
    batch.events.append(new_event(ticket, TicketEvent.Kind.CLOSED, actor, now, from_status=Status.RESOLVED, note=note))


def after_referrals_settled(ticket: Ticket, now: dt.datetime) -> list:
    """Once some of a locked ticket's referrals are answered or sent back: while others still
    wait it stays referred, due by the earliest of their dates (and still chased by the sweep
    if that has passed); when none waits it goes back to in progress with its owner. Returns
    the answer-by dates still waiting; the caller saves status, answer_by, answer_overdue."""
    waiting = list(
        ticket.referrals.filter(answered_at__isnull=True, withdrawn_at__isnull=True).values_list("answer_by", flat=True)
    )
    if waiting:
        ticket.answer_by = min(waiting)
        ticket.answer_overdue = ticket.answer_overdue and ticket.answer_by < now
    else:
        ticket.status, ticket.answer_by, ticket.answer_overdue = Status.IN_PROGRESS, None, False
    return waiting

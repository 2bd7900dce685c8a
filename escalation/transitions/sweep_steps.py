"""The sweep's bulk moves (DESIGN.md rule 2): each step claims a batch of due tickets that no
other sweep holds, applies the same per-ticket move as the single action (.moves), and
writes the whole batch in one transaction."""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.models import Notification
from alerts.services import alerts_create
from core.bulk import column_values
from core.enums import ESCALATING_STATUSES, OPEN_STATUSES, ResumeHow, Status, Tier
from core.errors import InvalidTransition
from core.locks import claim
from grievances.models import Ticket, TicketEvent
from responders.models import User
from responders.selectors import OwnerFinder

from ..models import Referral
from ..sla import SLA
from .base import Batch, append_events, new_event
from .moves import close_one, escalate_one, withdraw_referrals
from .numbering import number_transfers
from .pauses import RESUME_FIELDS, resume_one
from .table import SWEEP

logger = logging.getLogger(__name__)


def _claim(queryset: QuerySet, order_by: str, batch_size: int) -> list[Ticket]:
    """Lock up to `batch_size` due tickets that no other sweep holds, oldest deadline first."""
    return claim(queryset, order_by=order_by, limit=batch_size)


def _apply(tickets: list[Ticket], batch: Batch, now: dt.datetime) -> None:
    if not tickets:
        return
    for ticket in tickets:
        ticket.version += 1
        ticket.updated_at = now
    _write_fields(tickets, [*sorted(batch.fields), "version", "updated_at"])
    append_events(batch.events)
    number_transfers(batch.transfers, now)
    alerts_create(batch.alerts, now=now)


def _write_fields(tickets: list[Ticket], fields: list[str]) -> None:
    """Write `fields` of many tickets in one statement.

    On PostgreSQL one `UPDATE ... FROM unnest(arrays)`: bulk_update's CASE WHEN per ticket
    and field costs about 2 s per 1,000 tickets in Python and SQL, this about 0.1 s.
    Elsewhere (SQLite for `make run`) bulk_update does the same job.
    """
    if connection.vendor != "postgresql":
        Ticket.objects.bulk_update(tickets, fields)
        return
    columns = [Ticket._meta.get_field(name) for name in fields]
    types = ["bigint", *(column.cast_db_type(connection).split("(")[0] for column in columns)]
    values = [[ticket.pk for ticket in tickets]] + [column_values(column, tickets) for column in columns]
    names = [column.column for column in columns]
    table = Ticket._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET {', '.join(f'{n} = v.{n}' for n in names)} "  # noqa: S608 - our own names
            f"FROM unnest({', '.join(f'%s::{kind}[]' for kind in types)}) AS v(id, {', '.join(names)}) "
            "WHERE t.id = v.id",
            values,
        )


@dataclass(frozen=True)
class BatchResult:
    claimed: int
    changed: int


class SweepContext:
    """What one sweep run loads once and shares across its batches: the SLA table and
    calendar (with their memo of deadlines, all computed from the same `now`), the owners,
    and each unit's staff (whom a warning alerts besides the owner)."""

    def __init__(self):
        self.sla = SLA.load()
        self.owners = OwnerFinder()
        self.unit_staff: dict[tuple[str, int], list[int]] = {}

    def staff_of_unit(self, ticket: Ticket) -> list[int]:
        """The active accounts answering for the ticket's unit at its tier: the zone team's
        members with an account, the committee's staff, the street's staff and leaders."""
        unit_id = {Tier.ZONE: ticket.zone_id, Tier.COMMITTEE: ticket.committee_id}.get(ticket.tier, ticket.street_id)
        key = (ticket.tier, unit_id)
        if key not in self.unit_staff:
            users = User.objects.filter(is_active=True)
            if ticket.tier == Tier.ZONE:
                users = users.filter(memberships__team__zone_id=unit_id)
            elif ticket.tier == Tier.COMMITTEE:
                users = users.filter(committee_id=unit_id, role=User.Role.COMMITTEE_STAFF)
            else:
                users = users.filter(street_id=unit_id, role__in=[User.Role.STREET_STAFF, User.Role.STREET_LEADER])
            self.unit_staff[key] = sorted(set(users.values_list("pk", flat=True)))
        return self.unit_staff[key]


def _sweep_batch(
    due: Q,
    order_by: str,
    change: Callable[[Ticket, Batch], None],
    now: dt.datetime,
    batch_size: int,
    skip: set[int],
    prepare: Callable[[list[Ticket]], None] | None = None,
    savepoint: bool = True,
) -> BatchResult:
    """Claim one batch of due tickets, change each, write them all.

    `prepare`, given the claimed tickets before any is changed, reads at once what `change`
    needs of them all (a query per batch, not per ticket).

    A ticket that cannot move (no owner at the tier above) must not hold up the rest: it is
    logged, left as it is, and added to `skip` so the rest of this sweep passes it by; the
    next sweep tries it again.
    """
    with transaction.atomic(savepoint=savepoint):
        tickets = _claim(Ticket.objects.filter(due).exclude(pk__in=skip), order_by, batch_size)
        if prepare is not None:
            prepare(tickets)
        batch = Batch()
        changed = []
        for ticket in tickets:
            try:
                change(ticket, batch)
            except InvalidTransition:
                logger.exception("Sweep could not move ticket %s", ticket.reference)
                skip.add(ticket.pk)
                continue
            changed.append(ticket)
        _apply(changed, batch, now)
        return BatchResult(claimed=len(tickets), changed=len(changed))


def sweep_escalate_due(
    *, now: dt.datetime, batch_size: int, skip: set[int], context: SweepContext | None = None
) -> BatchResult:
    """Escalate one batch of tickets past resolve-by below the street tier."""
    context = context or SweepContext()
    sla, owners = context.sla, context.owners
    escalated: list[int] = []

    def change(ticket: Ticket, batch: Batch) -> None:
        reason = _("Not resolved by %(deadline)s at the %(tier)s tier: escalated automatically.") % {
            "deadline": timezone.localtime(ticket.resolve_by).strftime("%Y-%m-%d %H:%M"),
            "tier": Tier(ticket.tier).label,
        }
        escalate_one(ticket, actor=SWEEP, reason=reason, now=now, sla=sla, owners=owners, batch=batch)
        escalated.append(ticket.pk)

    # A paused clock does not run out (it waits on the resident or a third party); the cap
    # step below lets it run again.
    due = Q(
        status__in=ESCALATING_STATUSES,
        tier__in=[Tier.ZONE, Tier.COMMITTEE],
        resolve_by__lt=now,
        paused_at__isnull=True,
    )
    with transaction.atomic():
        # No savepoint inside this step's own transaction: an error in the batch undoes the
        # step's work anyway, and a savepoint was two more statements a batch.
        result = _sweep_batch(due, "resolve_by", change, now, batch_size, skip, savepoint=False)
        withdraw_referrals(escalated, now)
    return result


def sweep_flag_respond_overdue(
    *, now: dt.datetime, batch_size: int, skip: set[int], context: SweepContext | None = None
) -> BatchResult:
    """Flag tickets nobody acknowledged by respond-by and alert their owners; the tier stays."""

    def change(ticket: Ticket, batch: Batch) -> None:
        ticket.respond_overdue = True
        batch.fields.add("respond_overdue")
        batch.events.append(
            new_event(
                ticket, TicketEvent.Kind.RESPOND_OVERDUE, SWEEP, now, data={"respond_by": ticket.respond_by.isoformat()}
            )
        )
        batch.alerts.append((ticket.owner_id, Notification.Kind.RESPOND_OVERDUE, ticket.pk))

    due = Q(status=Status.NEW, respond_overdue=False, respond_by__lt=now)
    return _sweep_batch(due, "respond_by", change, now, batch_size, skip)


def sweep_flag_street_overdue(
    *, now: dt.datetime, batch_size: int, skip: set[int], context: SweepContext | None = None
) -> BatchResult:
    """Mark street-tier tickets past resolve-by overdue; alert the owner and the leader
    responsible for the ticket's committee (领导包干制)."""
    owners = (context or SweepContext()).owners

    def change(ticket: Ticket, batch: Batch) -> None:
        ticket.overdue = True
        batch.fields.add("overdue")
        batch.events.append(
            new_event(ticket, TicketEvent.Kind.OVERDUE, SWEEP, now, data={"resolve_by": ticket.resolve_by.isoformat()})
        )
        recipients = {ticket.owner_id}
        recipients |= {u.pk for u in owners.duty_leaders(committee_id=ticket.committee_id, street_id=ticket.street_id)}
        batch.alerts += [(pk, Notification.Kind.OVERDUE, ticket.pk) for pk in recipients]

    due = Q(status__in=OPEN_STATUSES, tier=Tier.STREET, overdue=False, resolve_by__lt=now, paused_at__isnull=True)
    return _sweep_batch(due, "resolve_by", change, now, batch_size, skip)


def sweep_flag_answer_overdue(
    *, now: dt.datetime, batch_size: int, skip: set[int], context: SweepContext | None = None
) -> BatchResult:
    """Chase referrals past answer-by: flag the ticket, alert the owner and the late
    departments' liaisons."""
    late_by_ticket: dict[int, list[Referral]] = {}
    liaisons_by_department: dict[int, list[int]] = {}

    def prepare(tickets: list[Ticket]) -> None:
        referrals = Referral.objects.filter(
            ticket__in=tickets, answered_at__isnull=True, withdrawn_at__isnull=True, answer_by__lt=now
        ).select_related("department")
        for referral in referrals:
            late_by_ticket.setdefault(referral.ticket_id, []).append(referral)
        departments = {referral.department_id for late in late_by_ticket.values() for referral in late}
        for pk, department_id in User.objects.filter(is_active=True, department__in=departments).values_list(
            "pk", "department_id"
        ):
            liaisons_by_department.setdefault(department_id, []).append(pk)

    def change(ticket: Ticket, batch: Batch) -> None:
        ticket.answer_overdue = True
        batch.fields.add("answer_overdue")
        late = late_by_ticket.get(ticket.pk, [])
        names = [r.department.name for r in late]
        batch.events.append(
            new_event(
                ticket,
                TicketEvent.Kind.ANSWER_OVERDUE,
                SWEEP,
                now,
                data={"answer_by": ticket.answer_by.isoformat(), "departments": names},
            )
        )
        liaisons = [pk for r in late for pk in liaisons_by_department.get(r.department_id, [])]
        recipients = {ticket.owner_id, *liaisons}
        batch.alerts += [(pk, Notification.Kind.ANSWER_OVERDUE, ticket.pk) for pk in recipients]

    due = Q(status=Status.REFERRED, answer_overdue=False, answer_by__lt=now)
    return _sweep_batch(due, "answer_by", change, now, batch_size, skip, prepare=prepare)


def sweep_close_feedback_expired(
    *, now: dt.datetime, batch_size: int, skip: set[int], context: SweepContext | None = None
) -> BatchResult:
    """Close resolved tickets whose feedback window has ended without the resident's verdict."""

    def change(ticket: Ticket, batch: Batch) -> None:
        close_one(ticket, actor=SWEEP, now=now, batch=batch, note=_("Closed automatically: the feedback window ended."))

    due = Q(status=Status.RESOLVED, feedback_due_by__lt=now)
    return _sweep_batch(due, "feedback_due_by", change, now, batch_size, skip)


def sweep_end_capped_pauses(
    *, now: dt.datetime, batch_size: int, skip: set[int], context: SweepContext | None = None
) -> BatchResult:
    """Let the clock run again on tickets paused for the longest pause allowed
    (ZHITONG_PAUSE_MAX_WORKING_DAYS): resolve-by moves on by exactly that much; the owner is told."""
    calendar = (context or SweepContext()).sla.calendar

    def change(ticket: Ticket, batch: Batch) -> None:
        batch.events.append(resume_one(ticket, actor=SWEEP, how=ResumeHow.CAP, now=now, calendar=calendar))
        batch.fields |= set(RESUME_FIELDS)
        batch.alerts.append((ticket.owner_id, Notification.Kind.PAUSE_RAN_OUT, ticket.pk))

    due = Q(paused_at__isnull=False, pause_ends_at__lt=now)
    return _sweep_batch(due, "pause_ends_at", change, now, batch_size, skip)


def _warn(threshold: str, moment: str, flag: str, kind: str):
    def step(*, now: dt.datetime, batch_size: int, skip: set[int], context: SweepContext | None = None) -> BatchResult:
        context = context or SweepContext()

        def change(ticket: Ticket, batch: Batch) -> None:
            # Exactly once: the flag is set under the row lock in the batch's transaction, and
            # the claim reads only tickets whose flag is still down.
            setattr(ticket, flag, True)
            batch.fields.add(flag)
            if ticket.resolve_by <= now:
                return  # already late: the breach itself is what the sweep acts on now
            batch.events.append(
                new_event(
                    ticket,
                    TicketEvent.Kind.DUE_WARNING,
                    SWEEP,
                    now,
                    data={"threshold": threshold, "resolve_by": ticket.resolve_by.isoformat()},
                )
            )
            recipients = {ticket.owner_id, *context.staff_of_unit(ticket)}
            batch.alerts += [(pk, kind, ticket.pk) for pk in sorted(recipients)]

        due = Q(status__in=ESCALATING_STATUSES, paused_at__isnull=True, **{flag: False, f"{moment}__lt": now})
        return _sweep_batch(due, moment, change, now, batch_size, skip)

    step.__name__ = f"sweep_warn_{threshold}"
    step.__doc__ = f"Warn the owner and the unit once when a ticket reaches its {threshold} threshold."
    return step


# A quarter of the clock's working time left; less than one working day left.
sweep_warn_quarter_left = _warn("quarter", "warn_quarter_at", "warned_quarter", Notification.Kind.DUE_QUARTER)
sweep_warn_day_left = _warn("day", "warn_day_at", "warned_day", Notification.Kind.DUE_DAY)


def backfill_warnings(*, now: dt.datetime, batch_size: int = 1000) -> int:
    """Give the open tickets whose clock began before the warnings existed their two warning
    moments, from the clock's start (the last escalation or reopening, else the opening) to
    resolve-by. A moment already past is marked as warned: no flood of late alerts on the
    next sweep, but the queue's colours count it. Batch by batch; returns how many."""
    sla = SLA.load()
    done = 0
    while True:
        with transaction.atomic():
            tickets = _claim(
                Ticket.objects.filter(
                    status__in=ESCALATING_STATUSES, warn_day_at__isnull=True, resolve_by__isnull=False
                ),
                "pk",
                batch_size,
            )
            if not tickets:
                return done
            starts = dict(
                TicketEvent.objects.filter(
                    ticket__in=tickets, kind__in=[TicketEvent.Kind.ESCALATED, TicketEvent.Kind.REOPENED]
                )
                .values("ticket")
                .annotate(last=Max("at"))
                .values_list("ticket", "last")
            )
            for ticket in tickets:
                start = min(starts.get(ticket.pk, ticket.created_at), ticket.resolve_by)
                moments = sla.warnings(start, ticket.resolve_by)
                ticket.warn_quarter_at, ticket.warn_day_at = moments["warn_quarter_at"], moments["warn_day_at"]
                ticket.warned_quarter = ticket.warn_quarter_at <= now
                ticket.warned_day = ticket.warn_day_at <= now
            _write_fields(tickets, ["warn_quarter_at", "warn_day_at", "warned_quarter", "warned_day"])
            done += len(tickets)

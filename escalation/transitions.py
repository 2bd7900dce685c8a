"""The one door for a ticket's status and tier (DESIGN.md rule 1).

Every function here that changes a ticket runs in one transaction, locks the ticket's row
(`select_for_update(of=("self",))`), re-checks the state under the lock, saves with
`update_fields`, bumps the ticket's version, appends a TicketEvent, and sends its alerts
only once the transaction commits. An illegal move raises InvalidTransition (HTTP 409 in
the API, a clear message on the screens).

The sweep's bulk functions at the bottom apply the same per-ticket changes to batches of
rows claimed with `skip_locked`, so two sweeps never touch the same ticket.
"""

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alerts.models import Notification
from alerts.services import alerts_create
from grievances.models import (
    ESCALATING_STATUSES,
    OPEN_STATUSES,
    CancelReason,
    Category,
    Feedback,
    Household,
    Outcome,
    Status,
    Ticket,
    TicketEvent,
    TicketSequence,
    Tier,
    Urgency,
    Visit,
)
from responders.models import Department, PartnerSystem, ResidentialCommittee, ResponsibilityZone, StreetOffice, User
from responders.selectors import OwnerFinder

from .errors import InvalidInput, InvalidTransition
from .models import Referral, TransferRecord, TransferSequence
from .sla import SLA

logger = logging.getLogger(__name__)

# A person, or the name of the system that acted ("sweep", a partner's name).
Actor = User | str
SWEEP = "sweep"


# --- the state machine's table (DESIGN.md) ---------------------------------------------


class Action(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", gettext_lazy("Acknowledge")
    START = "start", gettext_lazy("Start work")
    REFER = "refer", gettext_lazy("Refer to a department")
    DEPARTMENT_REPLY = "department_reply", gettext_lazy("Record the department's answer")
    ESCALATE = "escalate", gettext_lazy("Escalate")
    RESOLVE = "resolve", gettext_lazy("Resolve")
    CLOSE = "close", gettext_lazy("Close")
    REOPEN = "reopen", gettext_lazy("Reopen")
    CANCEL = "cancel", gettext_lazy("Cancel")
    FEEDBACK = "feedback", gettext_lazy("Record the resident's feedback")
    ASSIGN = "assign", gettext_lazy("Assign an owner")


# The statuses each action may start from; the screens offer, and the API accepts, only these.
ALLOWED_FROM: dict[str, frozenset[str]] = {
    Action.ACKNOWLEDGE: frozenset({Status.NEW}),
    Action.START: frozenset({Status.NEW, Status.ACKNOWLEDGED}),
    Action.REFER: frozenset({Status.ACKNOWLEDGED, Status.IN_PROGRESS}),
    Action.DEPARTMENT_REPLY: frozenset({Status.REFERRED}),
    Action.ESCALATE: frozenset(OPEN_STATUSES),
    Action.RESOLVE: frozenset({Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS}),
    Action.CLOSE: frozenset({Status.RESOLVED}),
    Action.REOPEN: frozenset({Status.RESOLVED, Status.CLOSED}),
    Action.CANCEL: frozenset(OPEN_STATUSES),
    Action.FEEDBACK: frozenset({Status.RESOLVED, Status.CLOSED}),
    Action.ASSIGN: frozenset(OPEN_STATUSES),
}


# --- shared pieces ---------------------------------------------------------------------


def _lock(ticket: Ticket) -> Ticket:
    """The ticket's row, locked for this transaction and freshly read.

    FOR NO KEY UPDATE: we never change a ticket's key, so rows that merely reference the
    ticket (its events, referrals, feedback) can still be inserted meanwhile.
    """
    return Ticket.objects.select_for_update(of=("self",), no_key=True).get(pk=ticket.pk)


def _require(ticket: Ticket, action: Action, expected_version: int | None = None) -> None:
    if expected_version is not None and ticket.version != expected_version:
        raise InvalidTransition(
            _("Ticket %(ref)s was changed by someone else (version %(now)s, not %(seen)s): reload and try again.")
            % {"ref": ticket.reference, "now": ticket.version, "seen": expected_version},
            code="stale_version",
        )
    if ticket.status not in ALLOWED_FROM[action]:
        raise InvalidTransition(
            _('Ticket %(ref)s is %(status)s: "%(action)s" is not possible now.')
            % {"action": action.label, "ref": ticket.reference, "status": ticket.get_status_display()}
        )


def _event(
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


def _save(ticket: Ticket, fields, events: TicketEvent | list[TicketEvent], now: dt.datetime) -> Ticket:
    ticket.version += 1
    ticket.updated_at = now
    ticket.save(update_fields=[*sorted(set(fields)), "version", "updated_at"])
    TicketEvent.objects.bulk_create(events if isinstance(events, list) else [events])
    return ticket


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message, code="required", field=field)
    return value


@dataclass
class _Batch:
    """What one sweep batch writes: the tickets' fields, the events and the alerts."""

    fields: set[str] = field(default_factory=set)
    events: list[TicketEvent] = field(default_factory=list)
    alerts: list[tuple[int, str, int]] = field(default_factory=list)
    # Tickets passed from a committee to its street, with the reason: each gets a numbered
    # request transfer form (群众诉求转接单).
    transfers: list[tuple[Ticket, str]] = field(default_factory=list)


# --- opening a ticket ------------------------------------------------------------------


def _allocate(sequence: type[models.Model], street_id: int, year: int, count: int = 1) -> range:
    """The next `count` numbers of a per-street, per-year sequence table, gap-free under
    concurrency: one upsert, whose row lock holds off other writers until commit."""
    table = sequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (street_id, year, last_value) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (street_id, year) DO UPDATE SET last_value = "
            f"{table}.last_value + EXCLUDED.last_value RETURNING last_value",
            [street_id, year, count],
        )
        (last,) = cursor.fetchone()
    return range(last - count + 1, last + 1)


def _next_reference(street: StreetOffice, now: dt.datetime) -> str:
    """WLQ-2026-000123: per street and year."""
    year = timezone.localtime(now).year
    (value,) = _allocate(TicketSequence, street.pk, year)
    return f"{street.code}-{year}-{value:06d}"


def _transfer_records(transfers: list[tuple[Ticket, str]], now: dt.datetime) -> None:
    """Number a request transfer form for each ticket a committee passed to its street:
    WLQ-ZJ-2026-0001, per street and year."""
    year = timezone.localtime(now).year
    by_street: dict[int, list[tuple[Ticket, str]]] = {}
    for ticket, reason in transfers:
        by_street.setdefault(ticket.street_id, []).append((ticket, reason))
    codes = dict(StreetOffice.objects.filter(pk__in=by_street).values_list("pk", "code"))
    records = []
    for street_id, items in sorted(by_street.items()):
        numbers = _allocate(TransferSequence, street_id, year, len(items))
        for (ticket, reason), number in zip(items, numbers, strict=True):
            records.append(
                TransferRecord(
                    number=f"{codes[street_id]}-ZJ-{year}-{number:04d}",
                    ticket=ticket,
                    committee_id=ticket.committee_id,
                    street_id=street_id,
                    reason=reason,
                    created_at=now,
                )
            )
    TransferRecord.objects.bulk_create(records)


def ticket_open(
    *,
    actor: Actor,
    category: Category,
    description: str,
    urgency: str,
    channel: str,
    street: StreetOffice,
    committee: ResidentialCommittee | None = None,
    zone: ResponsibilityZone | None = None,
    household: Household | None = None,
    address: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    partner: PartnerSystem | None = None,
    external_id: str = "",
    visit: Visit | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Open a ticket at the lowest tier that knows where it belongs; an emergency at the street.

    The caller (grievances.services.ticket_create) has validated the input and worked out
    the location; this decides the tier, the owner and the SLA clock.
    """
    now = now or timezone.now()
    if urgency == Urgency.EMERGENCY:
        tier = Tier.STREET  # 突发问题第一时间上报
    elif zone is not None:
        tier = Tier.ZONE
    elif committee is not None:
        tier = Tier.COMMITTEE
    else:
        tier = Tier.STREET
    with transaction.atomic():
        owner = OwnerFinder().owner(
            tier=tier,
            zone_id=zone and zone.pk,
            committee_id=committee and committee.pk,
            street_id=street.pk,
            prefer=actor if isinstance(actor, User) else None,
        )
        if owner is None:
            raise InvalidTransition(
                _("Nobody at %(unit)s can own this ticket: add a staff account for it in the admin.")
                % {"unit": street},
                code="no_owner",
            )
        clock = SLA.load().clock(tier, urgency, now)
        ticket = Ticket(
            reference=_next_reference(street, now),
            category=category,
            description=description,
            urgency=urgency,
            channel=channel,
            street=street,
            committee=committee,
            zone=zone,
            household=household,
            address=address,
            reporter_name=reporter_name,
            reporter_phone=reporter_phone,
            partner=partner,
            external_id=external_id,
            visit=visit,
            first_receiver=actor if isinstance(actor, User) else None,
            created_by=actor if isinstance(actor, User) else None,
            owner=owner,
            tier=tier,
            status=Status.NEW,
            respond_by=clock.respond_by,
            resolve_by=clock.resolve_by,
        )
        try:
            with transaction.atomic():
                ticket.save()
        except IntegrityError as error:
            # The one unique field a caller supplies: a partner's external id, met twice
            # (two requests racing past the check in grievances.services).
            raise InvalidTransition(
                _("This partner's external id %(id)s is already on another ticket.") % {"id": external_id},
                code="duplicate_external_id",
            ) from error
        _event(ticket, TicketEvent.Kind.CREATED, actor, now, from_status="", from_tier="").save()
        if owner != actor:
            alerts_create([(owner.pk, Notification.Kind.ASSIGNED, ticket.pk)])
    return ticket


# --- the actions of the state machine --------------------------------------------------


def _responded(ticket: Ticket, now: dt.datetime) -> list[str]:
    """Record that the resident has been answered (at this tier, and at all if first); the
    fields to save."""
    ticket.responded_at = ticket.responded_at or now
    ticket.first_responded_at = ticket.first_responded_at or now
    return ["responded_at", "first_responded_at"]


def ticket_acknowledge(*, ticket: Ticket, actor: Actor, note: str = "", expected_version: int | None = None) -> Ticket:
    """new → acknowledged: the resident has been answered; stops the respond-by clock."""
    now = timezone.now()
    with transaction.atomic():
        ticket = _lock(ticket)
        _require(ticket, Action.ACKNOWLEDGE, expected_version)
        ticket.status = Status.ACKNOWLEDGED
        event = _event(ticket, TicketEvent.Kind.ACKNOWLEDGED, actor, now, from_status=Status.NEW, note=note)
        return _save(ticket, ["status", *_responded(ticket, now)], event, now)


def ticket_start(*, ticket: Ticket, actor: Actor, note: str = "", expected_version: int | None = None) -> Ticket:
    """new/acknowledged → in_progress (starting work is also a response)."""
    now = timezone.now()
    with transaction.atomic():
        ticket = _lock(ticket)
        _require(ticket, Action.START, expected_version)
        before = ticket.status
        ticket.status = Status.IN_PROGRESS
        event = _event(ticket, TicketEvent.Kind.STARTED, actor, now, from_status=before, note=note)
        return _save(ticket, ["status", *_responded(ticket, now)], event, now)


def ticket_refer(
    *,
    ticket: Ticket,
    actor: Actor,
    department: Department | None = None,
    departments: Sequence[Department] = (),
    duty: str = "",
    answer_by: dt.datetime | None = None,
    expected_version: int | None = None,
    meeting=None,
) -> Ticket:
    """acknowledged/in_progress → referred: one or more functional departments must each
    answer by a date (the mediation meeting refers a transferred matter to several)."""
    now = timezone.now()
    chosen = list(dict.fromkeys([*([department] if department is not None else []), *departments]))
    if not chosen:
        raise InvalidInput(_("Choose a department."), code="required", field="department")
    for each in chosen:
        if not each.active:
            raise InvalidInput(_("Department %(name)s is not active.") % {"name": each}, field="department")
    if answer_by is not None and answer_by <= now:
        raise InvalidInput(_("The answer-by date must be in the future."), field="answer_by")
    with transaction.atomic():
        ticket = _lock(ticket)
        _require(ticket, Action.REFER, expected_version)
        # A referral lets the department's liaison see the ticket: only to departments
        # stationed in its street, or district-wide ones of its district.
        for each in chosen:
            serves = each.street_id == ticket.street_id or (
                each.street_id is None and each.district_id == ticket.street.district_id
            )
            if not serves:
                raise InvalidInput(
                    _("%(name)s does not serve %(street)s.") % {"name": each, "street": ticket.street},
                    field="department",
                )
        answer_by = answer_by or SLA.load().default_answer_by(now)
        Referral.objects.bulk_create(
            Referral(
                ticket=ticket,
                department=each,
                duty=duty,
                answer_by=answer_by,
                created_by=actor if isinstance(actor, User) else None,
            )
            for each in chosen
        )
        before = ticket.status
        ticket.status, ticket.answer_by, ticket.answer_overdue = Status.REFERRED, answer_by, False
        events = [
            _event(
                ticket,
                TicketEvent.Kind.REFERRED,
                actor,
                now,
                from_status=before if index == 0 else Status.REFERRED,
                note=duty,
                data={"department": each.pk, "department_name": each.name, "answer_by": answer_by.isoformat()},
                meeting=meeting,
            )
            for index, each in enumerate(chosen)
        ]
        _save(ticket, ["status", "answer_by", "answer_overdue"], events, now)
        TransferRecord.objects.filter(ticket=ticket, referred_at__isnull=True).update(referred_at=now, meeting=meeting)
        liaisons = User.objects.filter(is_active=True, department__in=chosen).values_list("pk", flat=True)
        alerts_create((pk, Notification.Kind.REFERRED, ticket.pk) for pk in liaisons)
        return ticket


def ticket_department_reply(
    *,
    ticket: Ticket,
    actor: Actor,
    answer: str,
    department: Department | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """The department has answered (its liaison, or staff for it). Once every referral is
    answered, referred → in_progress; until then the ticket waits for the others, due by the
    earliest of their dates."""
    now = timezone.now()
    answer = _text(answer, "answer", _("Write the department's answer."))
    with transaction.atomic():
        ticket = _lock(ticket)
        _require(ticket, Action.DEPARTMENT_REPLY, expected_version)
        open_referrals = ticket.referrals.filter(answered_at__isnull=True, withdrawn_at__isnull=True)
        if department is not None:
            open_referrals = open_referrals.filter(department=department)
        referrals = list(open_referrals.select_related("department"))
        if not referrals:
            raise InvalidInput(
                _("Nothing on this ticket is waiting for an answer from %(name)s.") % {"name": department},
                field="department",
            )
        for referral in referrals:
            referral.answer, referral.answered_at = answer, now
            referral.save(update_fields=["answer", "answered_at"])
        waiting = list(
            ticket.referrals.filter(answered_at__isnull=True, withdrawn_at__isnull=True).values_list(
                "answer_by", flat=True
            )
        )
        if waiting:
            # Still chased (by the sweep) if the earliest open date has passed.
            ticket.answer_by = min(waiting)
            ticket.answer_overdue = ticket.answer_overdue and ticket.answer_by < now
        else:
            ticket.status, ticket.answer_by, ticket.answer_overdue = Status.IN_PROGRESS, None, False
        event = _event(
            ticket,
            TicketEvent.Kind.DEPARTMENT_REPLIED,
            actor,
            now,
            from_status=Status.REFERRED,
            note=answer,
            data={
                "departments": [r.department.name for r in referrals],
                "late": [r.department.name for r in referrals if r.answer_by < now],
                "still_waiting": len(waiting),
            },
        )
        return _save(ticket, ["status", "answer_by", "answer_overdue"], event, now)


def _escalation(
    ticket: Ticket,
    *,
    actor: Actor,
    reason: str,
    now: dt.datetime,
    sla: SLA,
    owners: OwnerFinder,
    batch: _Batch,
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
    clock = sla.clock(to_tier, ticket.urgency, now)
    ticket.tier, ticket.status, ticket.owner = to_tier, Status.NEW, owner
    ticket.respond_by, ticket.resolve_by, ticket.responded_at = clock.respond_by, clock.resolve_by, None
    ticket.respond_overdue = ticket.answer_overdue = False
    ticket.answer_by = None
    batch.fields |= {
        "tier",
        "status",
        "owner",
        "respond_by",
        "resolve_by",
        "responded_at",
        "respond_overdue",
        "answer_overdue",
        "answer_by",
    }
    batch.events.append(
        _event(
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


def _withdraw_referrals(ticket_ids: list[int], now: dt.datetime) -> None:
    Referral.objects.filter(ticket_id__in=ticket_ids, answered_at__isnull=True, withdrawn_at__isnull=True).update(
        withdrawn_at=now
    )


def ticket_escalate(
    *, ticket: Ticket, actor: Actor, reason: str, expected_version: int | None = None, meeting=None
) -> Ticket:
    """One tier up (矛盾上交 only when the tier below cannot settle it), as new, with a new
    clock; from a committee, with a numbered request transfer form."""
    now = timezone.now()
    reason = _text(reason, "reason", _("Say why the tier above is needed."))
    with transaction.atomic():
        ticket = _lock(ticket)
        _require(ticket, Action.ESCALATE, expected_version)
        batch = _Batch()
        _escalation(
            ticket,
            actor=actor,
            reason=reason,
            now=now,
            sla=SLA.load(),
            owners=OwnerFinder(),
            batch=batch,
            meeting=meeting,
        )
        _withdraw_referrals([ticket.pk], now)
        _save(ticket, batch.fields, batch.events, now)
        _transfer_records(batch.transfers, now)
        alerts_create(batch.alerts)
        return ticket


def ticket_resolve(
    *,
    ticket: Ticket,
    actor: Actor,
    outcome: str,
    reason: str = "",
    expected_version: int | None = None,
    meeting=None,
) -> Ticket:
    """→ resolved, with an outcome: solved, or explained with a reason (办了满意，未办有因)."""
    now = timezone.now()
    if outcome not in Outcome.values:
        raise InvalidInput(_("Choose an outcome: solved or explained."), code="required", field="outcome")
    reason = (reason or "").strip()
    if outcome == Outcome.EXPLAINED:
        reason = _text(reason, "reason", _("An explained outcome needs the reason the resident was given."))
    with transaction.atomic():
        ticket = _lock(ticket)
        _require(ticket, Action.RESOLVE, expected_version)
        before = ticket.status
        ticket.status, ticket.outcome, ticket.outcome_reason = Status.RESOLVED, outcome, reason
        ticket.resolved_at = now
        ticket.feedback_due_by = SLA.load().feedback_due_by(now)
        event = _event(
            ticket,
            TicketEvent.Kind.RESOLVED,
            actor,
            now,
            from_status=before,
            note=reason,
            data={"outcome": outcome},
            meeting=meeting,
        )
        return _save(
            ticket,
            ["status", "outcome", "outcome_reason", "resolved_at", "feedback_due_by", *_responded(ticket, now)],
            event,
            now,
        )


def _closing(ticket: Ticket, *, actor: Actor, now: dt.datetime, note: str, batch: _Batch) -> None:
    ticket.status, ticket.closed_at, ticket.feedback_due_by = Status.CLOSED, now, None
    batch.fields |= {"status", "closed_at", "feedback_due_by"}
    batch.events.append(_event(ticket, TicketEvent.Kind.CLOSED, actor, now, from_status=Status.RESOLVED, note=note))


def ticket_close(*, ticket: Ticket, actor: Actor, note: str, expected_version: int | None = None) -> Ticket:
    """resolved → closed without the resident's verdict (which closes it itself, as does the
    end of the feedback window): only with a stated reason, such as a resident unreachable."""
    now = timezone.now()
    note = _text(note, "note", _("Say why the ticket is closed without the resident's feedback."))
    with transaction.atomic():
        ticket = _lock(ticket)
        _require(ticket, Action.CLOSE, expected_version)
        batch = _Batch()
        _closing(ticket, actor=actor, now=now, note=note, batch=batch)
        return _save(ticket, batch.fields, batch.events, now)


def ticket_record_feedback(
    *,
    ticket: Ticket,
    actor: Actor,
    satisfaction: str,
    collected_via: str,
    comment: str = "",
    expected_version: int | None = None,
) -> Feedback:
    """The resident's verdict. On a resolved ticket it closes it; after closing it is recorded
    (a dissatisfied resident's ticket can then be reopened within the reopen window)."""
    now = timezone.now()
    if satisfaction not in Feedback.Satisfaction.values:
        raise InvalidInput(_("Choose how satisfied the resident is."), code="required", field="satisfaction")
    if collected_via not in Feedback.Via.values:
        raise InvalidInput(_("Say how the feedback was collected."), code="required", field="collected_via")
    with transaction.atomic():
        ticket = _lock(ticket)
        _require(ticket, Action.FEEDBACK, expected_version)
        feedback = Feedback.objects.create(
            ticket=ticket,
            satisfaction=satisfaction,
            comment=comment.strip(),
            collected_via=collected_via,
            recorded_by=actor if isinstance(actor, User) else None,
        )
        batch = _Batch()
        batch.events.append(
            _event(
                ticket,
                TicketEvent.Kind.FEEDBACK,
                actor,
                now,
                note=comment.strip(),
                data={"satisfaction": satisfaction, "collected_via": collected_via},
            )
        )
        if ticket.status == Status.RESOLVED:
            # In the product's language whoever records it, as the sweep writes its notes: the
            # event log keeps text, and one timeline should not switch language midway.
            with translation.override(settings.LANGUAGE_CODE):
                note = _("Closed with the resident's feedback.")
            _closing(ticket, actor=actor, now=now, note=note, batch=batch)
        _save(ticket, batch.fields, batch.events, now)
        return feedback


def ticket_reopen(*, ticket: Ticket, actor: Actor, reason: str, expected_version: int | None = None) -> Ticket:
    """resolved, or closed within the reopen window → in_progress, with a fresh clock at its tier."""
    now = timezone.now()
    reason = _text(reason, "reason", _("Say why the resident is not satisfied."))
    with transaction.atomic():
        ticket = _lock(ticket)
        _require(ticket, Action.REOPEN, expected_version)
        window = dt.timedelta(days=settings.ZHITONG_REOPEN_WINDOW_DAYS)
        if ticket.status == Status.CLOSED and ticket.closed_at < now - window:
            raise InvalidTransition(
                _("Ticket %(ref)s was closed more than %(days)s days ago: open a new ticket instead.")
                % {"ref": ticket.reference, "days": settings.ZHITONG_REOPEN_WINDOW_DAYS},
                code="reopen_window_passed",
            )
        before = ticket.status
        clock = SLA.load().clock(ticket.tier, ticket.urgency, now)
        ticket.status = Status.IN_PROGRESS
        ticket.outcome, ticket.outcome_reason = "", ""
        ticket.resolved_at = ticket.closed_at = ticket.feedback_due_by = None
        ticket.respond_by, ticket.resolve_by, ticket.responded_at = clock.respond_by, clock.resolve_by, now
        ticket.respond_overdue = ticket.overdue = False
        event = _event(ticket, TicketEvent.Kind.REOPENED, actor, now, from_status=before, note=reason)
        _save(
            ticket,
            [
                "status",
                "outcome",
                "outcome_reason",
                "resolved_at",
                "closed_at",
                "feedback_due_by",
                "respond_by",
                "resolve_by",
                "responded_at",
                "respond_overdue",
                "overdue",
            ],
            event,
            now,
        )
        if ticket.owner_id != getattr(actor, "pk", None):
            alerts_create([(ticket.owner_id, Notification.Kind.REOPENED, ticket.pk)])
        return ticket


def ticket_cancel(
    *,
    ticket: Ticket,
    actor: Actor,
    reason: str,
    note: str = "",
    duplicate_of: Ticket | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Any open status → cancelled: a duplicate (naming its original), withdrawn, or invalid."""
    now = timezone.now()
    if reason not in CancelReason.values:
        raise InvalidInput(_("Choose why the ticket is cancelled."), code="required", field="reason")
    if reason == CancelReason.DUPLICATE:
        if duplicate_of is None:
            raise InvalidInput(_("A duplicate must name the original ticket."), code="required", field="duplicate_of")
        if duplicate_of.pk == ticket.pk:
            raise InvalidInput(_("A ticket cannot duplicate itself."), field="duplicate_of")
    else:
        duplicate_of = None
    with transaction.atomic():
        if duplicate_of is not None:
            # Lock both rows in key order, so two desks marking A and B duplicates of each
            # other queue up instead of deadlocking; the second then sees the first's work.
            locked = {
                row.pk: row
                for row in Ticket.objects.select_for_update(of=("self",), no_key=True)
                .filter(pk__in=[ticket.pk, duplicate_of.pk])
                .order_by("pk")
            }
            ticket, duplicate_of = locked[ticket.pk], locked[duplicate_of.pk]
            if duplicate_of.status == Status.CANCELLED:
                raise InvalidInput(_("The original ticket is itself cancelled."), field="duplicate_of")
        else:
            ticket = _lock(ticket)
        _require(ticket, Action.CANCEL, expected_version)
        before = ticket.status
        ticket.status, ticket.cancel_reason, ticket.duplicate_of = Status.CANCELLED, reason, duplicate_of
        ticket.answer_by = None
        _withdraw_referrals([ticket.pk], now)
        event = _event(
            ticket,
            TicketEvent.Kind.CANCELLED,
            actor,
            now,
            from_status=before,
            note=note.strip(),
            data={"reason": reason, "duplicate_of": duplicate_of.reference if duplicate_of else None},
        )
        return _save(ticket, ["status", "cancel_reason", "duplicate_of", "answer_by"], event, now)


def ticket_assign(
    *, ticket: Ticket, actor: Actor, owner: User, expected_version: int | None = None, meeting=None
) -> Ticket:
    """Name a new owner for an open ticket; the owner must be able to see it."""
    from responders.selectors import ticket_visible_to

    now = timezone.now()
    if not owner.is_active:
        raise InvalidInput(_("%(name)s's account is not active.") % {"name": owner}, field="owner")
    with transaction.atomic():
        ticket = _lock(ticket)
        _require(ticket, Action.ASSIGN, expected_version)
        if not ticket_visible_to(owner, ticket):
            raise InvalidInput(
                _("%(name)s cannot see ticket %(ref)s, so cannot own it.") % {"name": owner, "ref": ticket.reference},
                field="owner",
            )
        before = ticket.owner
        ticket.owner = owner
        event = _event(
            ticket,
            TicketEvent.Kind.ASSIGNED,
            actor,
            now,
            data={"from": before.pk if before else None, "to": owner.pk, "to_name": str(owner)},
            meeting=meeting,
        )
        _save(ticket, ["owner"], event, now)
        if owner != actor:
            alerts_create([(owner.pk, Notification.Kind.ASSIGNED, ticket.pk)])
        return ticket


def ticket_note_meeting(*, ticket: Ticket, actor: Actor, meeting, kind: str, note: str = "") -> Ticket:
    """Put on the timeline that a meeting took the ticket up (`tabled`) or put it off to
    its next sitting (`deferred`); status, tier and deadlines stay as they are."""
    if kind not in (TicketEvent.Kind.TABLED, TicketEvent.Kind.DEFERRED):
        raise ValueError(f"Not a meeting event: {kind!r}")
    now = timezone.now()
    with transaction.atomic():
        ticket = _lock(ticket)
        event = _event(ticket, kind, actor, now, note=note, meeting=meeting)
        return _save(ticket, [], event, now)


# --- the sweep's bulk moves (DESIGN.md rule 2) -----------------------------------------


def _claim(queryset: QuerySet, order_by: str, batch_size: int) -> list[Ticket]:
    """Lock up to `batch_size` due tickets that no other sweep holds, oldest deadline first."""
    return list(
        queryset.select_for_update(of=("self",), skip_locked=True, no_key=True).order_by(order_by, "pk")[:batch_size]
    )


def _apply(tickets: list[Ticket], batch: _Batch, now: dt.datetime) -> None:
    if not tickets:
        return
    for ticket in tickets:
        ticket.version += 1
        ticket.updated_at = now
    _write_fields(tickets, [*sorted(batch.fields), "version", "updated_at"])
    TicketEvent.objects.bulk_create(batch.events)
    _transfer_records(batch.transfers, now)
    alerts_create(batch.alerts)


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
    values = [[ticket.pk for ticket in tickets]] + [
        [column.get_db_prep_save(getattr(ticket, column.attname), connection) for ticket in tickets]
        for column in columns
    ]
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
    calendar (with their memo of deadlines, all computed from the same `now`) and the owners."""

    def __init__(self):
        self.sla = SLA.load()
        self.owners = OwnerFinder()


def _sweep_batch(
    due: Q,
    order_by: str,
    change: Callable[[Ticket, _Batch], None],
    now: dt.datetime,
    batch_size: int,
    skip: set[int],
) -> BatchResult:
    """Claim one batch of due tickets, change each, write them all.

    A ticket that cannot move (no owner at the tier above) must not hold up the rest: it is
    logged, left as it is, and added to `skip` so the rest of this sweep passes it by; the
    next sweep tries it again.
    """
    with transaction.atomic():
        tickets = _claim(Ticket.objects.filter(due).exclude(pk__in=skip), order_by, batch_size)
        batch = _Batch()
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

    def change(ticket: Ticket, batch: _Batch) -> None:
        reason = _("Not resolved by %(deadline)s at the %(tier)s tier: escalated automatically.") % {
            "deadline": timezone.localtime(ticket.resolve_by).strftime("%Y-%m-%d %H:%M"),
            "tier": Tier(ticket.tier).label,
        }
        _escalation(ticket, actor=SWEEP, reason=reason, now=now, sla=sla, owners=owners, batch=batch)
        escalated.append(ticket.pk)

    due = Q(status__in=ESCALATING_STATUSES, tier__in=[Tier.ZONE, Tier.COMMITTEE], resolve_by__lt=now)
    with transaction.atomic():
        result = _sweep_batch(due, "resolve_by", change, now, batch_size, skip)
        _withdraw_referrals(escalated, now)
    return result


def sweep_flag_respond_overdue(
    *, now: dt.datetime, batch_size: int, skip: set[int], context: SweepContext | None = None
) -> BatchResult:
    """Flag tickets nobody acknowledged by respond-by and alert their owners; the tier stays."""

    def change(ticket: Ticket, batch: _Batch) -> None:
        ticket.respond_overdue = True
        batch.fields.add("respond_overdue")
        batch.events.append(
            _event(
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

    def change(ticket: Ticket, batch: _Batch) -> None:
        ticket.overdue = True
        batch.fields.add("overdue")
        batch.events.append(
            _event(ticket, TicketEvent.Kind.OVERDUE, SWEEP, now, data={"resolve_by": ticket.resolve_by.isoformat()})
        )
        recipients = {ticket.owner_id}
        recipients |= {u.pk for u in owners.duty_leaders(committee_id=ticket.committee_id, street_id=ticket.street_id)}
        batch.alerts += [(pk, Notification.Kind.OVERDUE, ticket.pk) for pk in recipients]

    due = Q(status__in=OPEN_STATUSES, tier=Tier.STREET, overdue=False, resolve_by__lt=now)
    return _sweep_batch(due, "resolve_by", change, now, batch_size, skip)


def sweep_flag_answer_overdue(
    *, now: dt.datetime, batch_size: int, skip: set[int], context: SweepContext | None = None
) -> BatchResult:
    """Chase referrals past answer-by: flag the ticket, alert the owner and the late
    departments' liaisons."""

    def change(ticket: Ticket, batch: _Batch) -> None:
        ticket.answer_overdue = True
        batch.fields.add("answer_overdue")
        late = Referral.objects.filter(
            ticket=ticket, answered_at__isnull=True, withdrawn_at__isnull=True, answer_by__lt=now
        ).select_related("department")
        names = [r.department.name for r in late]
        batch.events.append(
            _event(
                ticket,
                TicketEvent.Kind.ANSWER_OVERDUE,
                SWEEP,
                now,
                data={"answer_by": ticket.answer_by.isoformat(), "departments": names},
            )
        )
        liaisons = User.objects.filter(is_active=True, department__referrals__in=late).values_list("pk", flat=True)
        recipients = {ticket.owner_id, *liaisons}
        batch.alerts += [(pk, Notification.Kind.ANSWER_OVERDUE, ticket.pk) for pk in recipients]

    due = Q(status=Status.REFERRED, answer_overdue=False, answer_by__lt=now)
    return _sweep_batch(due, "answer_by", change, now, batch_size, skip)


def sweep_close_feedback_expired(
    *, now: dt.datetime, batch_size: int, skip: set[int], context: SweepContext | None = None
) -> BatchResult:
    """Close resolved tickets whose feedback window has ended without the resident's verdict."""

    def change(ticket: Ticket, batch: _Batch) -> None:
        _closing(ticket, actor=SWEEP, now=now, batch=batch, note=_("Closed automatically: the feedback window ended."))

    due = Q(status=Status.RESOLVED, feedback_due_by__lt=now)
    return _sweep_batch(due, "feedback_due_by", change, now, batch_size, skip)

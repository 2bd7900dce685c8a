"""The actions of the state machine on one ticket (DESIGN.md rule 1).

Each `ticket_<verb>(*, ticket, actor, ..., now=None)` runs in one transaction, locks the
ticket's row, re-checks the state under the lock, saves with `update_fields`, bumps the
version, appends its events and writes its alerts in the same transaction (sent on commit).
An illegal move raises InvalidTransition; bad input, InvalidInput naming the field.
"""

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from alerts.models import Notification
from alerts.services import alerts_create
from core import clock
from core.enums import CancelReason, Outcome, ResumeHow, Status
from core.errors import InvalidInput, InvalidTransition
from core.locks import lock_many
from grievances.models import Feedback, Ticket, TicketEvent, TicketReporter
from responders.models import Department, User
from responders.selectors import OwnerFinder

from .. import policy
from ..calendar import WorkingCalendar
from ..models import Referral, TransferRecord
from ..sla import SLA
from .base import Batch, lock_ticket, new_event, require_action, required_text, save_with_events
from .moves import (
    after_referrals_settled,
    close_one,
    escalate_one,
    mark_responded,
    set_clock,
    ticket_clock,
    withdraw_referrals,
)
from .numbering import number_transfers
from .pauses import RESUME_FIELDS, resume_one
from .table import Action, Actor


def ticket_acknowledge(
    *, ticket: Ticket, actor: Actor, note: str = "", expected_version: int | None = None, now: dt.datetime | None = None
) -> Ticket:
    """new → acknowledged: the resident has been answered; stops the respond-by clock."""
    now = clock.now(now)
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action(ticket, Action.ACKNOWLEDGE, actor, expected_version)
        ticket.status = Status.ACKNOWLEDGED
        event = new_event(ticket, TicketEvent.Kind.ACKNOWLEDGED, actor, now, from_status=Status.NEW, note=note)
        return save_with_events(ticket, ["status", *mark_responded(ticket, now)], event, now)


def ticket_start(
    *, ticket: Ticket, actor: Actor, note: str = "", expected_version: int | None = None, now: dt.datetime | None = None
) -> Ticket:
    """new/acknowledged → in_progress (starting work is also a response)."""
    now = clock.now(now)
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action(ticket, Action.START, actor, expected_version)
        before = ticket.status
        ticket.status = Status.IN_PROGRESS
        event = new_event(ticket, TicketEvent.Kind.STARTED, actor, now, from_status=before, note=note)
        return save_with_events(ticket, ["status", *mark_responded(ticket, now)], event, now)


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
    now: dt.datetime | None = None,
) -> Ticket:
    """acknowledged/in_progress → referred: one or more functional departments must each
    answer by a date (the mediation meeting refers a transferred matter to several)."""
    now = clock.now(now)
    chosen = list(dict.fromkeys([*([department] if department is not None else []), *departments]))
    if not chosen:
        raise InvalidInput(_("Choose a department."), code="required", field="department")
    # Neither refusal names the department: an id of another street's department must not
    # tell the caller whose it is (department enumeration).
    for each in chosen:
        if not each.active:
            raise InvalidInput(_("This department is no longer active."), field="department")
    if answer_by is not None and answer_by <= now:
        raise InvalidInput(_("The answer-by date must be in the future."), field="answer_by")
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action(ticket, Action.REFER, actor, expected_version)
        # A referral lets the department's liaison see the ticket: only to departments
        # stationed in its street, or district-wide ones of its district.
        for each in chosen:
            if not policy.serves(each, ticket):
                raise InvalidInput(_("This department does not serve this street."), field="department")
        answer_by = answer_by or SLA.load().default_answer_by(now)
        Referral.objects.bulk_create(
            Referral(
                ticket=ticket,
                created_at=now,
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
            new_event(
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
        save_with_events(ticket, ["status", "answer_by", "answer_overdue"], events, now)
        TransferRecord.objects.filter(ticket=ticket, referred_at__isnull=True).update(referred_at=now, meeting=meeting)
        liaisons = User.objects.filter(is_active=True, department__in=chosen).values_list("pk", flat=True)
        alerts_create([(pk, Notification.Kind.REFERRED, ticket.pk) for pk in liaisons], now=now)
        return ticket


def ticket_department_reply(
    *,
    ticket: Ticket,
    actor: Actor,
    answer: str,
    department: Department | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """The department has answered (its liaison, or staff for it). Once every referral is
    answered, referred → in_progress; until then the ticket waits for the others, due by the
    earliest of their dates."""
    now = clock.now(now)
    answer = required_text(answer, "answer", _("Write the department's answer."))
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action(ticket, Action.DEPARTMENT_REPLY, actor, expected_version)
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
        waiting = after_referrals_settled(ticket, now)
        event = new_event(
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
        return save_with_events(ticket, ["status", "answer_by", "answer_overdue"], event, now)


def _open_referrals(ticket: Ticket, department: Department | None) -> list[Referral]:
    """The ticket's referrals still waiting, to `department` when given (a liaison's own)."""
    waiting = ticket.referrals.filter(answered_at__isnull=True, withdrawn_at__isnull=True)
    if department is not None:
        waiting = waiting.filter(department=department)
    referrals = list(waiting.select_related("department", "created_by"))
    if not referrals:
        raise InvalidInput(
            _("Nothing on this ticket is waiting for an answer from %(name)s.") % {"name": department},
            field="department",
        )
    return referrals


def ticket_department_update(
    *,
    ticket: Ticket,
    actor: Actor,
    note: str,
    department: Department | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """An interim reply (正在处理): the department says how the matter stands. The referral
    stays open and its answer-by stands; the timeline and the referral show the words."""
    now = clock.now(now)
    note = required_text(note, "note", _("Write what the department has done so far."))
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action(ticket, Action.DEPARTMENT_UPDATE, actor, expected_version)
        referrals = _open_referrals(ticket, department)
        Referral.objects.filter(pk__in=[r.pk for r in referrals]).update(progress=note, progress_at=now)
        event = new_event(
            ticket,
            TicketEvent.Kind.DEPARTMENT_UPDATE,
            actor,
            now,
            note=note,
            data={"departments": [r.department.name for r in referrals]},
        )
        return save_with_events(ticket, [], event, now)


def ticket_return_referral(
    *,
    ticket: Ticket,
    actor: Actor,
    reason: str,
    department: Department | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """The department sends back a referral that is not its matter, saying why: the referral
    is withdrawn with the reason and whoever referred it is alerted. With no other referral
    waiting, referred → in_progress (as when the last answer comes), back with its owner."""
    now = clock.now(now)
    reason = required_text(reason, "reason", _("Say why this is not the department's matter."))
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action(ticket, Action.RETURN_REFERRAL, actor, expected_version)
        referrals = _open_referrals(ticket, department)
        Referral.objects.filter(pk__in=[r.pk for r in referrals]).update(withdrawn_at=now, return_reason=reason)
        waiting = after_referrals_settled(ticket, now)
        event = new_event(
            ticket,
            TicketEvent.Kind.REFERRAL_RETURNED,
            actor,
            now,
            from_status=Status.REFERRED,
            note=reason,
            data={"departments": [r.department.name for r in referrals], "still_waiting": len(waiting)},
        )
        save_with_events(ticket, ["status", "answer_by", "answer_overdue"], event, now)
        # Whoever referred it (a person; else, a meeting's or a system's referral, the owner).
        referrers = {r.created_by_id or ticket.owner_id for r in referrals} - {getattr(actor, "pk", None)}
        alerts_create([(pk, Notification.Kind.REFERRAL_RETURNED, ticket.pk) for pk in referrers], now=now)
        return ticket


def ticket_escalate(
    *,
    ticket: Ticket,
    actor: Actor,
    reason: str,
    expected_version: int | None = None,
    meeting=None,
    now: dt.datetime | None = None,
) -> Ticket:
    """One tier up (矛盾上交 only when the tier below cannot settle it), as new, with a new
    clock; from a committee, with a numbered request transfer form."""
    now = clock.now(now)
    reason = required_text(reason, "reason", _("Say why the tier above is needed."))
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action(ticket, Action.ESCALATE, actor, expected_version)
        batch = Batch()
        escalate_one(
            ticket,
            actor=actor,
            reason=reason,
            now=now,
            sla=SLA.load(),
            owners=OwnerFinder(),
            batch=batch,
            meeting=meeting,
        )
        withdraw_referrals([ticket.pk], now)
        save_with_events(ticket, batch.fields, batch.events, now)
        number_transfers(batch.transfers, now)
        alerts_create(batch.alerts, now=now)
        return ticket


def ticket_resolve(
    *,
    ticket: Ticket,
    actor: Actor,
    outcome: str,
    reason: str = "",
    expected_version: int | None = None,
    meeting=None,
    now: dt.datetime | None = None,
) -> Ticket:
    """→ resolved, with an outcome: solved, or explained with a reason (办了满意，未办有因)."""
    now = clock.now(now)
    if outcome not in Outcome.values:
        raise InvalidInput(_("Choose an outcome: solved or explained."), code="required", field="outcome")
    reason = (reason or "").strip()
    if outcome == Outcome.EXPLAINED:
        reason = required_text(reason, "reason", _("An explained outcome needs the reason the resident was given."))
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action(ticket, Action.RESOLVE, actor, expected_version)
        events, fields = _end_pause(ticket, actor, now)
        before = ticket.status
        ticket.status, ticket.outcome, ticket.outcome_reason = Status.RESOLVED, outcome, reason
        ticket.resolved_at = now
        ticket.feedback_due_by = SLA.load().feedback_due_by(now)
        events.append(
            new_event(
                ticket,
                TicketEvent.Kind.RESOLVED,
                actor,
                now,
                from_status=before,
                note=reason,
                data={"outcome": outcome},
                meeting=meeting,
            )
        )
        return save_with_events(
            ticket,
            [
                "status",
                "outcome",
                "outcome_reason",
                "resolved_at",
                "feedback_due_by",
                *mark_responded(ticket, now),
                *fields,
            ],
            events,
            now,
        )


def _end_pause(ticket: Ticket, actor: Actor, now: dt.datetime) -> tuple[list[TicketEvent], tuple[str, ...]]:
    """A paused ticket that is resolved or cancelled: its pause ends first, on the timeline,
    so that its paused time is counted (and its resolve-by moved) like any other."""
    if ticket.paused_at is None:
        return [], ()
    event = resume_one(ticket, actor=actor, how=ResumeHow.ENDED, now=now, calendar=WorkingCalendar.load())
    return [event], RESUME_FIELDS


def ticket_close(
    *, ticket: Ticket, actor: Actor, note: str, expected_version: int | None = None, now: dt.datetime | None = None
) -> Ticket:
    """resolved → closed without the resident's verdict (which closes it itself, as does the
    end of the feedback window): only with a stated reason, such as a resident unreachable."""
    now = clock.now(now)
    note = required_text(note, "note", _("Say why the ticket is closed without the resident's feedback."))
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action(ticket, Action.CLOSE, actor, expected_version)
        batch = Batch()
        close_one(ticket, actor=actor, now=now, note=note, batch=batch)
        return save_with_events(ticket, batch.fields, batch.events, now)


def ticket_record_feedback(
    *,
    ticket: Ticket,
    actor: Actor,
    satisfaction: str,
    collected_via: str,
    comment: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Feedback:
    """The resident's verdict. On a resolved ticket it closes it; after closing it is recorded
    (a dissatisfied resident's ticket can then be reopened within the reopen window)."""
    now = clock.now(now)
    if satisfaction not in Feedback.Satisfaction.values:
        raise InvalidInput(_("Choose how satisfied the resident is."), code="required", field="satisfaction")
    if collected_via not in Feedback.Via.values:
        raise InvalidInput(_("Say how the feedback was collected."), code="required", field="collected_via")
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action(ticket, Action.FEEDBACK, actor, expected_version)
        feedback = Feedback.objects.create(
            ticket=ticket,
            created_at=now,
            satisfaction=satisfaction,
            comment=comment.strip(),
            collected_via=collected_via,
            recorded_by=actor if isinstance(actor, User) else None,
        )
        batch = Batch()
        batch.events.append(
            new_event(
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
            close_one(ticket, actor=actor, now=now, note=note, batch=batch)
        save_with_events(ticket, batch.fields, batch.events, now)
        return feedback


def ticket_reopen(
    *, ticket: Ticket, actor: Actor, reason: str, expected_version: int | None = None, now: dt.datetime | None = None
) -> Ticket:
    """resolved, or closed within the reopen window → in_progress, with a fresh clock at its tier."""
    now = clock.now(now)
    reason = required_text(reason, "reason", _("Say why the resident is not satisfied."))
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action(ticket, Action.REOPEN, actor, expected_version)
        window = dt.timedelta(days=settings.ZHITONG_REOPEN_WINDOW_DAYS)
        if ticket.status == Status.CLOSED and ticket.closed_at < now - window:
            raise InvalidTransition(
                _("Ticket %(ref)s was closed more than %(days)s days ago: open a new ticket instead.")
                % {"ref": ticket.reference, "days": settings.ZHITONG_REOPEN_WINDOW_DAYS},
                code="reopen_window_passed",
            )
        before = ticket.status
        deadlines = ticket_clock(SLA.load(), ticket, ticket.tier, now)
        ticket.status = Status.IN_PROGRESS
        ticket.outcome, ticket.outcome_reason = "", ""
        ticket.resolved_at = ticket.closed_at = ticket.feedback_due_by = None
        clock_fields = set_clock(ticket, deadlines)
        ticket.responded_at = now
        ticket.respond_overdue = ticket.overdue = False
        event = new_event(ticket, TicketEvent.Kind.REOPENED, actor, now, from_status=before, note=reason)
        save_with_events(
            ticket,
            [
                "status",
                "outcome",
                "outcome_reason",
                "resolved_at",
                "closed_at",
                "feedback_due_by",
                *clock_fields,
                "responded_at",
                "respond_overdue",
                "overdue",
            ],
            event,
            now,
        )
        if ticket.owner_id != getattr(actor, "pk", None):
            alerts_create([(ticket.owner_id, Notification.Kind.REOPENED, ticket.pk)], now=now)
        return ticket


def _surviving(merged: Ticket) -> Ticket | None:
    """The open ticket a merged one ended in, along its merges (a survivor may itself have been
    merged later); None for a ticket cancelled for another reason, or a chain that ends closed."""
    seen = {merged.pk}
    ticket = merged
    while ticket.duplicate_of_id is not None and ticket.duplicate_of_id not in seen:
        seen.add(ticket.duplicate_of_id)
        ticket = Ticket.objects.only("pk", "reference", "status", "duplicate_of").get(pk=ticket.duplicate_of_id)
    return ticket if ticket is not merged and ticket.status != Status.CANCELLED else None


def ticket_cancel(
    *,
    ticket: Ticket,
    actor: Actor,
    reason: str,
    note: str = "",
    duplicate_of: Ticket | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Any open status → cancelled: a duplicate (naming its original), withdrawn, or invalid."""
    now = clock.now(now)
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
            locked = {row.pk: row for row in lock_many(Ticket.objects.filter(pk__in=[ticket.pk, duplicate_of.pk]))}
            ticket, duplicate_of = locked[ticket.pk], locked[duplicate_of.pk]
            if duplicate_of.status == Status.CANCELLED:
                survivor = _surviving(duplicate_of)
                if survivor is not None and survivor.pk != ticket.pk:
                    raise InvalidInput(
                        _("%(original)s was itself merged into %(survivor)s: name %(survivor)s as the original.")
                        % {"original": duplicate_of.reference, "survivor": survivor.reference},
                        field="duplicate_of",
                    )
                raise InvalidInput(_("The original ticket is itself cancelled."), field="duplicate_of")
        else:
            ticket = lock_ticket(ticket)
        require_action(ticket, Action.CANCEL, actor, expected_version)
        events, fields = _end_pause(ticket, actor, now)
        if duplicate_of is not None:
            _merge_reporters(ticket, duplicate_of, actor, now)
        before = ticket.status
        ticket.status, ticket.cancel_reason, ticket.duplicate_of = Status.CANCELLED, reason, duplicate_of
        ticket.answer_by = None
        withdraw_referrals([ticket.pk], now)
        events.append(
            new_event(
                ticket,
                TicketEvent.Kind.CANCELLED,
                actor,
                now,
                from_status=before,
                note=note.strip(),
                data={"reason": reason, "duplicate_of": duplicate_of.reference if duplicate_of else None},
            )
        )
        return save_with_events(ticket, ["status", "cancel_reason", "duplicate_of", "answer_by", *fields], events, now)


def _merge_reporters(ticket: Ticket, original: Ticket, actor: Actor, now: dt.datetime) -> None:
    """A duplicate's reporters join the ticket it is merged into (both rows locked): its first
    reporter as one more, and those who had joined it, moved over; the original says so."""
    moved = list(TicketReporter.objects.filter(ticket=ticket).values_list("pk", flat=True))
    TicketReporter.objects.filter(pk__in=moved).update(ticket=original)
    first = TicketReporter.objects.create(
        ticket=original,
        name=ticket.reporter_name,
        phone=ticket.reporter_phone,
        channel=ticket.channel,
        household=ticket.household,
        partner=ticket.partner,
        external_id=ticket.external_id,
        description=ticket.description,
        merged_from=ticket,
        created_by=actor if isinstance(actor, User) else None,
        created_at=now,
    )
    event = new_event(
        original,
        TicketEvent.Kind.ALSO_REPORTED,
        actor,
        now,
        # Who joined, so that each hears the surviving ticket's reference (residents).
        data={"merged_from": ticket.reference, "channel": ticket.channel, "reporters": [first.pk, *moved]},
    )
    save_with_events(original, [], event, now)


def ticket_add_reporter(
    *,
    ticket: Ticket,
    actor: Actor,
    channel: str,
    name: str = "",
    phone: str = "",
    household=None,
    partner=None,
    external_id: str = "",
    description: str = "",
    visit=None,
    now: dt.datetime | None = None,
) -> TicketReporter:
    """A new report of a problem already open as `ticket` ("also reported by"), instead of a
    new ticket: the reporter joins it and hears its outcome. A person must see the ticket
    (policy.Right.ADD_REPORTER); a partner's key is checked by the API against its scope."""
    now = clock.now(now)
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        if isinstance(actor, User):
            policy.require(
                actor,
                policy.Right.ADD_REPORTER,
                ticket,
                message=_("This ticket cannot take another reporter."),
                field="attach_to",
            )
        elif not ticket.is_open:
            raise InvalidTransition(_("This ticket is no longer open."), field="attach_to")
        reporter = TicketReporter.objects.create(
            ticket=ticket,
            name=name.strip(),
            phone=phone.strip(),
            channel=channel,
            household=household,
            partner=partner,
            external_id=external_id,
            description=description.strip(),
            visit=visit,
            created_by=actor if isinstance(actor, User) else None,
            created_at=now,
        )
        event = new_event(
            ticket, TicketEvent.Kind.ALSO_REPORTED, actor, now, data={"channel": channel, "reporters": [reporter.pk]}
        )
        save_with_events(ticket, [], event, now)
        return reporter


def ticket_assign(
    *,
    ticket: Ticket,
    actor: Actor,
    owner: User,
    expected_version: int | None = None,
    meeting=None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Name a new owner for an open ticket; the owner must be able to see it."""
    now = clock.now(now)
    if not owner.is_active:
        raise InvalidInput(_("%(name)s's account is not active.") % {"name": owner}, field="owner")
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action(ticket, Action.ASSIGN, actor, expected_version)
        if not policy.may_own(owner, ticket):
            raise InvalidInput(
                _("%(name)s cannot own ticket %(ref)s: not among its street's, committee's or zone team's staff.")
                % {"name": owner, "ref": ticket.reference},
                field="owner",
            )
        before = ticket.owner
        ticket.owner = owner
        event = new_event(
            ticket,
            TicketEvent.Kind.ASSIGNED,
            actor,
            now,
            data={"from": before.pk if before else None, "to": owner.pk, "to_name": str(owner)},
            meeting=meeting,
        )
        save_with_events(ticket, ["owner"], event, now)
        if owner != actor:
            alerts_create([(owner.pk, Notification.Kind.ASSIGNED, ticket.pk)], now=now)
        return ticket


def ticket_note_meeting(
    *, ticket: Ticket, actor: Actor, meeting, kind: str, note: str = "", now: dt.datetime | None = None
) -> Ticket:
    """Put on the timeline that a meeting took the ticket up (`tabled`) or put it off to
    its next sitting (`deferred`); status, tier and deadlines stay as they are."""
    if kind not in (TicketEvent.Kind.TABLED, TicketEvent.Kind.DEFERRED):
        raise ValueError(f"Not a meeting event: {kind!r}")
    now = clock.now(now)
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        event = new_event(ticket, kind, actor, now, note=note, meeting=meeting)
        return save_with_events(ticket, [], event, now)

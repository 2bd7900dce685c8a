"""Honest pauses of a ticket's clock (issue 19).

While its owner waits on the resident (unreachable, documents missing) or on a third party
that is not a department referral (a referral has its own clock, the department's
answer-by), the clock may be paused with a reason. The pause ends when the resident answers
(a reply staff record, a visit, the resident's page), by hand, when the ticket is resolved or
cancelled, or when it has lasted ZHITONG_PAUSE_MAX_WORKING_DAYS (the sweep); then resolve-by
moves on by the working time paused, office hours on working days only, and never more than
that cap. Every pause and resume is an event. A ticket already past its resolve-by cannot be
paused: a pause must not hide lateness. DESIGN.md's rule stays: a meeting does not stop the
clock (a meeting is not a pause reason).
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock
from core.enums import WAITING_ON_RESIDENT, PauseReason, ResumeHow
from core.errors import InvalidInput, InvalidTransition
from grievances.models import Ticket, TicketEvent

from ..calendar import WorkingCalendar
from .base import lock_ticket, new_event, require_action, save_with_events
from .table import Action, Actor

PAUSE_FIELDS = ("paused_at", "pause_reason", "pause_ends_at")
RESUME_FIELDS = (*PAUSE_FIELDS, "paused_seconds", "resolve_by", "warn_quarter_at", "warn_day_at")
RESIDENT_ANSWERS = (ResumeHow.RESIDENT_REPLIED, ResumeHow.RESIDENT_VISIT, ResumeHow.RESIDENT_PAGE)


def pause_cap(calendar: WorkingCalendar) -> dt.timedelta:
    return calendar.WORKING_DAY * settings.ZHITONG_PAUSE_MAX_WORKING_DAYS


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def ticket_pause(
    *,
    ticket: Ticket,
    actor: Actor,
    reason: str,
    note: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Stop the clock of an acknowledged or in-progress ticket while waiting on the resident or
    a third party; the note says what is awaited (required for a third party: who)."""
    now = clock.now(now)
    if reason not in PauseReason.values:
        raise InvalidInput(_("Choose why the clock is paused."), code="required", field="reason")
    note = (note or "").strip()
    if reason == PauseReason.THIRD_PARTY and not note:
        raise InvalidInput(_("Say which third party the ticket waits on, and for what."), code="required", field="note")
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action(ticket, Action.PAUSE, actor, expected_version)
        if ticket.resolve_by is None or ticket.resolve_by <= now:
            raise InvalidTransition(
                _("Ticket %(ref)s is past its resolve-by: a pause cannot stop a clock that has run out.")
                % {"ref": ticket.reference},
                code="past_deadline",
            )
        calendar = WorkingCalendar.load()
        ticket.paused_at, ticket.pause_reason = now, reason
        ticket.pause_ends_at = calendar.add_working_time(now, pause_cap(calendar))
        event = new_event(
            ticket,
            TicketEvent.Kind.PAUSED,
            actor,
            now,
            note=note,
            data={
                "reason": reason,
                "resolve_by": ticket.resolve_by.isoformat(),
                "pause_ends_at": ticket.pause_ends_at.isoformat(),
            },
        )
        return save_with_events(ticket, PAUSE_FIELDS, event, now)


def resume_one(
    ticket: Ticket, *, actor: Actor, how: str, now: dt.datetime, calendar: WorkingCalendar, note: str = ""
) -> TicketEvent:
    """End a locked ticket's pause: resolve-by (and the warnings not yet sent) move on by the
    working time paused, at most the cap. Returns the event; the caller saves RESUME_FIELDS."""
    paused = min(calendar.working_time_between(ticket.paused_at, now), pause_cap(calendar))
    before = ticket.resolve_by
    ticket.resolve_by = calendar.add_working_time(before, paused)
    if ticket.warn_quarter_at is not None and not ticket.warned_quarter:
        ticket.warn_quarter_at = calendar.add_working_time(ticket.warn_quarter_at, paused)
    if ticket.warn_day_at is not None and not ticket.warned_day:
        ticket.warn_day_at = calendar.add_working_time(ticket.warn_day_at, paused)
    seconds = int(paused.total_seconds())
    ticket.paused_seconds += seconds
    data = {
        "how": how,
        "reason": ticket.pause_reason,
        "paused_at": ticket.paused_at.isoformat(),
        "paused_working_seconds": seconds,
        "resolve_by_before": before.isoformat(),
        "resolve_by": ticket.resolve_by.isoformat(),
    }
    ticket.paused_at, ticket.pause_reason, ticket.pause_ends_at = None, "", None
    note = note or _("Paused %(hours)s working hours; resolve-by moved from %(before)s to %(after)s.") % {
        "hours": f"{seconds / 3600:.1f}",
        "before": _local(before),
        "after": _local(ticket.resolve_by),
    }
    return new_event(ticket, TicketEvent.Kind.RESUMED, actor, now, note=note, data=data)


def ticket_resume(
    *,
    ticket: Ticket,
    actor: Actor,
    how: str = ResumeHow.BY_HAND,
    note: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """End a ticket's pause: by hand, or because the resident answered (`how`: a reply staff
    recorded, a visit or the window, the resident's page — what the residents' page calls,
    with `actor` naming it, e.g. "resident"). A resident's answer does not end a pause that
    waits on a third party."""
    now = clock.now(now)
    if how not in (ResumeHow.BY_HAND, *RESIDENT_ANSWERS):
        raise InvalidInput(_("Choose what ended the pause."), code="required", field="how")
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action(ticket, Action.RESUME, actor, expected_version)
        if ticket.paused_at is None:
            raise InvalidTransition(_("Ticket %(ref)s is not paused.") % {"ref": ticket.reference}, code="not_paused")
        if how in RESIDENT_ANSWERS and ticket.pause_reason not in WAITING_ON_RESIDENT:
            raise InvalidInput(
                _("This pause waits on a third party, not the resident: resume it by hand when they answer."),
                field="how",
            )
        event = resume_one(ticket, actor=actor, how=how, now=now, calendar=WorkingCalendar.load(), note=note.strip())
        return save_with_events(ticket, RESUME_FIELDS, event, now)


def resume_on_resident_answer(
    *, actor: Actor, how: str, household_id: int | None = None, ticket_ids=(), now: dt.datetime | None = None
) -> list[Ticket]:
    """The resident answered (met at a visit, came to the window, wrote on their page): end
    the pauses that wait on them — of the household's tickets, or of the tickets named. For a
    system actor (the residents' page) no role is checked; the caller has checked the link."""
    if household_id is None and not ticket_ids:
        return []
    waiting = Ticket.objects.filter(paused_at__isnull=False, pause_reason__in=WAITING_ON_RESIDENT)
    waiting = (
        waiting.filter(household_id=household_id)
        if household_id is not None
        else waiting.filter(pk__in=list(ticket_ids))
    )
    resumed = []
    for ticket in waiting.order_by("pk"):
        try:
            resumed.append(ticket_resume(ticket=ticket, actor=actor, how=how, now=now))
        except InvalidTransition:
            continue  # resumed meanwhile, or not this person's to act on: the owner will see it
    return resumed

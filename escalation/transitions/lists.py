"""The two lists (两份清单, seed 003) in the state machine: an administrative affair goes to its
department, not up the pyramid.

- `straight_route` and `route_straight`: at opening, a ticket whose category the street's
  list names as an administrative affair is referred at once to the department whose duty it
  is (直通快办), and the committee's staff are told; `ticket_open` reads the route before the
  ticket is numbered and writes it in its own transaction.
- `ticket_decline_by_list`: a committee declines a task pushed down to it that the list names
  as a department's, citing the entry; the ticket is referred to that department and the
  street's desk is told (the street counts how often it happens: reports).

Both write a `referred` event whose data names the entry (`list_entry`, `list_entry_name`)
and the route (`list_route`: "straight" or "declined").
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from affairs.models import AffairsEntry
from affairs.selectors import routing_entry
from alerts.models import Notification
from alerts.services import alerts_create
from core import clock
from core.enums import Status, Urgency
from core.errors import InvalidInput
from grievances.models import Ticket, TicketEvent
from responders.models import Department, User

from .. import policy
from ..models import Referral
from ..sla import SLA
from .base import Batch, lock_ticket, new_event, require_action, save_with_events
from .moves import mark_responded, street_desk
from .table import Action, Actor

logger = logging.getLogger(__name__)

STRAIGHT, DECLINED = "straight", "declined"


def entry_department(entry: AffairsEntry, ticket: Ticket) -> Department | None:
    """The department that answers for `entry` on `ticket`: the one it names, if it serves the
    ticket's street; else one of its kind serving the street, stationed there first."""
    if entry.department_id is not None:
        return entry.department if policy.serves(entry.department, ticket) else None
    if entry.department_kind_id is None:
        return None
    candidates = policy.departments_serving([ticket.street_id]).filter(kind_id=entry.department_kind_id)
    return min(candidates, key=lambda each: (each.street_id != ticket.street_id, each.pk), default=None)


def committee_staff(committee_id: int | None) -> list[int]:
    if committee_id is None:
        return []
    return list(
        User.objects.filter(is_active=True, role=User.Role.COMMITTEE_STAFF, committee_id=committee_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _refer_by_list(
    ticket: Ticket,
    actor: Actor,
    entry: AffairsEntry,
    department: Department,
    route: str,
    note: str,
    now: dt.datetime,
    answer_by: dt.datetime,
) -> TicketEvent:
    """Refer the locked `ticket` to `department` for `entry` by `answer_by` (in memory; the
    Referral row is written): the status, the answer-by, and the event that says why."""
    Referral.objects.create(
        ticket=ticket,
        created_at=now,
        department=department,
        duty=entry.name,
        answer_by=answer_by,
        created_by=actor if isinstance(actor, User) else None,
    )
    before = ticket.status
    ticket.status, ticket.answer_by, ticket.answer_overdue = Status.REFERRED, answer_by, False
    return new_event(
        ticket,
        TicketEvent.Kind.REFERRED,
        actor,
        now,
        from_status=before,
        note=note,
        data={
            "department": department.pk,
            "department_name": department.name,
            "answer_by": answer_by.isoformat(),
            "list_entry": entry.pk,
            "list_entry_name": entry.name,
            "list_route": route,
        },
    )


def _liaisons(department: Department) -> list[int]:
    return list(User.objects.filter(is_active=True, department=department).values_list("pk", flat=True))


@dataclass(frozen=True)
class StraightRoute:
    """Where `route_straight` sends a new ticket, and whom it tells: read before the ticket is
    numbered (`ticket_open`), so none of it is read while the street's counter is held."""

    entry: AffairsEntry
    department: Department
    answer_by: dt.datetime
    liaisons: list[int]
    committee_staff: list[int]


def straight_route(ticket: Ticket, sla: SLA, now: dt.datetime) -> StraightRoute | None:
    """直通快办: if the street's list names the (new, perhaps unsaved) ticket's category as an
    administrative affair and a department serving the street answers for it, the route
    there; else None. An application at the service window (its own completing office) and
    an emergency (reported up at once) keep their own way; an entry whose department does not
    serve the street leaves the ticket to climb as before."""
    if ticket.service_item_id is not None or ticket.urgency == Urgency.EMERGENCY:
        return None
    entry = routing_entry(ticket.street_id, ticket.category_id)
    if entry is None:
        return None
    department = entry_department(entry, ticket)
    if department is None:
        logger.warning("List entry %s names no department serving street %s", entry.pk, ticket.street_id)
        return None
    return StraightRoute(
        entry,
        department,
        sla.default_answer_by(now),
        _liaisons(department),
        committee_staff(ticket.committee_id),
    )


def route_straight(ticket: Ticket, actor: Actor, now: dt.datetime, route: StraightRoute) -> None:
    """Called by `ticket_open` in its transaction, right after the new ticket and its
    `created` event are written, with its `straight_route`: refer the ticket to the department
    (the referral is the resident's answer: the respond-by clock stops), alert the department's
    liaisons and tell the committee's staff."""
    event = _refer_by_list(
        ticket, actor, route.entry, route.department, STRAIGHT, route.entry.basis[:500], now, route.answer_by
    )
    fields = ["status", "answer_by", "answer_overdue", *mark_responded(ticket, now)]
    save_with_events(ticket, fields, event, now)
    actor_pk = getattr(actor, "pk", None)
    alerts_create(
        [(pk, Notification.Kind.REFERRED, ticket.pk) for pk in route.liaisons]
        + [(pk, Notification.Kind.STRAIGHT_TO_DEPARTMENT, ticket.pk) for pk in route.committee_staff if pk != actor_pk],
        now=now,
    )


def ticket_decline_by_list(
    *,
    ticket: Ticket,
    actor: Actor,
    entry: AffairsEntry,
    note: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """new/acknowledged/in_progress → referred: the committee declines a task the street's list
    names as a department's duty (改变事务性工作下移社区), citing the entry; the department whose
    duty it is must answer by the usual date; the street's desk is told."""
    now = clock.now(now)
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require_action(ticket, Action.DECLINE_BY_LIST, actor, expected_version)
        # Neither refusal names the entry's street: another street's list is not for citing.
        if entry.street_id != ticket.street_id or not entry.active or not entry.is_administrative:
            raise InvalidInput(_("Choose an administrative affair on this street's list."), field="entry")
        department = entry_department(entry, ticket)
        if department is None:
            raise InvalidInput(
                _("No active department serving this street answers for this affair: ask the street to mend its list."),
                field="entry",
            )
        answer_by = SLA.load().default_answer_by(now)
        event = _refer_by_list(ticket, actor, entry, department, DECLINED, (note or "").strip()[:2000], now, answer_by)
        save_with_events(ticket, ["status", "answer_by", "answer_overdue", *mark_responded(ticket, now)], event, now)
        desk = street_desk(ticket.street_id, Batch())
        alerts_create(
            [(pk, Notification.Kind.REFERRED, ticket.pk) for pk in _liaisons(department)]
            + [(pk, Notification.Kind.DECLINED_BY_LIST, ticket.pk) for pk in desk if pk != getattr(actor, "pk", None)],
            now=now,
        )
        return ticket

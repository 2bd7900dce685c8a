"""Perform a state-machine action by name: the one dispatcher the screens and the API share."""

from grievances.models import Feedback, Ticket
from responders.models import User

from . import transitions as t
from .transitions import Action


def perform_action(
    action: str, *, ticket: Ticket, actor: t.Actor, params: dict, expected_version: int | None = None
) -> Ticket | Feedback:
    """Call the transition for `action` with the cleaned `params` of its form or serializer."""
    common = {"ticket": ticket, "actor": actor, "expected_version": expected_version}
    p = params
    match action:
        case Action.ACKNOWLEDGE:
            return t.ticket_acknowledge(**common, note=p.get("note", ""))
        case Action.START:
            return t.ticket_start(**common, note=p.get("note", ""))
        case Action.REFER:
            return t.ticket_refer(
                **common, department=p["department"], duty=p.get("duty", ""), answer_by=p.get("answer_by")
            )
        case Action.DEPARTMENT_REPLY:
            department = actor.department if isinstance(actor, User) and actor.department_id else None
            return t.ticket_department_reply(**common, answer=p["answer"], department=department)
        case Action.ESCALATE:
            return t.ticket_escalate(**common, reason=p["reason"])
        case Action.RESOLVE:
            return t.ticket_resolve(**common, outcome=p["outcome"], reason=p.get("reason", ""))
        case Action.CLOSE:
            return t.ticket_close(**common, note=p.get("note", ""))
        case Action.REOPEN:
            return t.ticket_reopen(**common, reason=p["reason"])
        case Action.CANCEL:
            return t.ticket_cancel(
                **common, reason=p["reason"], note=p.get("note", ""), duplicate_of=p.get("duplicate_of")
            )
        case Action.FEEDBACK:
            return t.ticket_record_feedback(
                **common, satisfaction=p["satisfaction"], collected_via=p["collected_via"], comment=p.get("comment", "")
            )
        case Action.ASSIGN:
            return t.ticket_assign(**common, owner=p["owner"])
    raise ValueError(f"Unknown action {action!r}")

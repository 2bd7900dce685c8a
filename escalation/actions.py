"""Perform a state-machine action by name: the one dispatcher the screens and the API share."""

from core.enums import ResumeHow
from grievances.models import Feedback, Ticket
from responders.models import User

from . import transitions
from .transitions import Action


def perform_action(
    action: str, *, ticket: Ticket, actor: transitions.Actor, params: dict, expected_version: int | None = None
) -> Ticket | Feedback:
    """Call the transition for `action` with the cleaned `params` of its form or serializer."""
    common = {"ticket": ticket, "actor": actor, "expected_version": expected_version}
    match action:
        case Action.ACKNOWLEDGE:
            return transitions.ticket_acknowledge(**common, note=params.get("note", ""))
        case Action.START:
            return transitions.ticket_start(**common, note=params.get("note", ""))
        case Action.REFER:
            return transitions.ticket_refer(
                **common,
                department=params["department"],
                duty=params.get("duty", ""),
                answer_by=params.get("answer_by"),
            )
        case Action.DEPARTMENT_REPLY:
            return transitions.ticket_department_reply(**common, answer=params["answer"], department=_department(actor))
        case Action.DEPARTMENT_UPDATE:
            return transitions.ticket_department_update(**common, note=params["note"], department=_department(actor))
        case Action.RETURN_REFERRAL:
            return transitions.ticket_return_referral(**common, reason=params["reason"], department=_department(actor))
        case Action.ESCALATE:
            return transitions.ticket_escalate(**common, reason=params["reason"])
        case Action.RESOLVE:
            return transitions.ticket_resolve(**common, outcome=params["outcome"], reason=params.get("reason", ""))
        case Action.CLOSE:
            return transitions.ticket_close(**common, note=params.get("note", ""))
        case Action.REOPEN:
            return transitions.ticket_reopen(**common, reason=params["reason"])
        case Action.CANCEL:
            return transitions.ticket_cancel(
                **common, reason=params["reason"], note=params.get("note", ""), duplicate_of=params.get("duplicate_of")
            )
        case Action.FEEDBACK:
            return transitions.ticket_record_feedback(
                **common,
                satisfaction=params["satisfaction"],
                collected_via=params["collected_via"],
                comment=params.get("comment", ""),
            )
        case Action.PAUSE:
            return transitions.ticket_pause(**common, reason=params["reason"], note=params.get("note", ""))
        case Action.RESUME:
            return transitions.ticket_resume(
                **common, how=params.get("how") or ResumeHow.BY_HAND, note=params.get("note", "")
            )
        case Action.ASSIGN:
            return transitions.ticket_assign(**common, owner=params["owner"])
        case Action.DECLINE_BY_LIST:
            return transitions.ticket_decline_by_list(**common, entry=params["entry"], note=params.get("note", ""))
    raise ValueError(f"Unknown action {action!r}")


def _department(actor: transitions.Actor):
    """A liaison acts for their own department's referrals; anyone else for all of them."""
    return actor.department if isinstance(actor, User) and actor.department_id else None

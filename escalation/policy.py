"""What a person may do to a ticket: the state machine's table, narrowed by role and tier.

The screens offer only these actions and the action endpoints accept only these; the
transitions themselves still re-check the state under the row lock.
"""

from grievances.models import Ticket, Tier
from grievances.selectors import ticket_visible_to
from responders.models import User

from .transitions import ALLOWED_FROM, Action

# Moving a ticket along, at a tier a person works at.
_HANDLE = frozenset(
    {
        Action.ACKNOWLEDGE,
        Action.START,
        Action.ESCALATE,
        Action.RESOLVE,
        Action.REOPEN,
        Action.CANCEL,
        Action.ASSIGN,
        Action.FEEDBACK,
    }
)
# Closing without the resident's verdict (e.g. unreachable) is the street's call.
_STREET = _HANDLE | {Action.REFER, Action.DEPARTMENT_REPLY, Action.CLOSE}
# Whoever can see a ticket can tell the resident its outcome and record their verdict
# (首问负责制: the first receiver follows it wherever it went).
_FOLLOW_UP = frozenset({Action.FEEDBACK, Action.REOPEN})

ROLE_ACTIONS: dict[str, dict[str, frozenset]] = {
    User.Role.ZONE_MEMBER: {Tier.ZONE: _HANDLE},
    # The committee takes up its zones' matters and acts as the residents' agent (群众事务代理).
    User.Role.COMMITTEE_STAFF: {
        Tier.ZONE: _HANDLE | {Action.REFER, Action.DEPARTMENT_REPLY},
        Tier.COMMITTEE: _HANDLE | {Action.REFER, Action.DEPARTMENT_REPLY},
    },
    # The street supervises every tier and records departments' answers on their behalf.
    User.Role.STREET_STAFF: dict.fromkeys(Tier, _STREET),
    User.Role.STREET_LEADER: dict.fromkeys(Tier, _STREET),
}


def permitted_actions(user: User, ticket: Ticket) -> set[Action]:
    """What `user`'s role lets them do to `ticket` at its tier, whatever its status (a
    meeting's decision, say, which the state machine then checks against the status)."""
    if not ticket_visible_to(user, ticket):
        return set()
    if user.is_superuser or user.role == User.Role.ADMINISTRATOR:
        return set(Action)
    if user.role == User.Role.DEPARTMENT_LIAISON:
        referred_now = ticket.referrals.filter(
            department_id=user.department_id, answered_at__isnull=True, withdrawn_at__isnull=True
        ).exists()
        return {Action.DEPARTMENT_REPLY} if referred_now else set()
    return set(ROLE_ACTIONS.get(user.role, {}).get(ticket.tier, frozenset())) | _FOLLOW_UP


def allowed_actions(user: User, ticket: Ticket) -> list[Action]:
    """The actions `user` may take on `ticket` now, in the table's order."""
    legal = {action for action, statuses in ALLOWED_FROM.items() if ticket.status in statuses}
    if ticket.tier == Tier.STREET:
        legal.discard(Action.ESCALATE)  # the top of the pyramid: refer to a department instead
    permitted = permitted_actions(user, ticket)
    return [action for action in Action if action in legal and action in permitted]

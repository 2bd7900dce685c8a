"""The state machine's table (DESIGN.md): its actions and the statuses each may start from.

The screens offer, and the API accepts, only these; escalation.policy narrows them by role
and tier; the transitions re-check them under the row lock.
"""

from django.db import models
from django.utils.translation import gettext_lazy

from core.enums import OPEN_STATUSES, Status
from responders.models import User

# A person, or the name of the system that acted ("sweep", a partner's name).
Actor = User | str
SWEEP = "sweep"


class Action(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", gettext_lazy("Acknowledge")
    START = "start", gettext_lazy("Start work")
    REFER = "refer", gettext_lazy("Refer to a department")
    DEPARTMENT_REPLY = "department_reply", gettext_lazy("Record the department's answer")
    DEPARTMENT_UPDATE = "department_update", gettext_lazy("Report progress (working on it)")
    RETURN_REFERRAL = "return_referral", gettext_lazy("Send the referral back")
    ESCALATE = "escalate", gettext_lazy("Escalate")
    RESOLVE = "resolve", gettext_lazy("Resolve")
    CLOSE = "close", gettext_lazy("Close")
    REOPEN = "reopen", gettext_lazy("Reopen")
    CANCEL = "cancel", gettext_lazy("Cancel")
    FEEDBACK = "feedback", gettext_lazy("Record the resident's feedback")
    ASSIGN = "assign", gettext_lazy("Assign an owner")
    PAUSE = "pause", gettext_lazy("Pause the clock")
    RESUME = "resume", gettext_lazy("Resume the clock")
    DECLINE_BY_LIST = "decline_by_list", gettext_lazy("Decline: a department's duty on the list")


# The statuses each action may start from; the screens offer, and the API accepts, only these.
ALLOWED_FROM: dict[str, frozenset[str]] = {
    Action.ACKNOWLEDGE: frozenset({Status.NEW}),
    Action.START: frozenset({Status.NEW, Status.ACKNOWLEDGED}),
    Action.REFER: frozenset({Status.ACKNOWLEDGED, Status.IN_PROGRESS}),
    Action.DEPARTMENT_REPLY: frozenset({Status.REFERRED}),
    Action.DEPARTMENT_UPDATE: frozenset({Status.REFERRED}),
    Action.RETURN_REFERRAL: frozenset({Status.REFERRED}),
    Action.ESCALATE: frozenset(OPEN_STATUSES),
    Action.RESOLVE: frozenset({Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS}),
    Action.CLOSE: frozenset({Status.RESOLVED}),
    Action.REOPEN: frozenset({Status.RESOLVED, Status.CLOSED}),
    Action.CANCEL: frozenset(OPEN_STATUSES),
    Action.FEEDBACK: frozenset({Status.RESOLVED, Status.CLOSED}),
    Action.ASSIGN: frozenset(OPEN_STATUSES),
    # Waiting on the resident or a third party; not while referred (the department's
    # answer-by is that clock) nor while new (answer the resident first).
    Action.PAUSE: frozenset({Status.ACKNOWLEDGED, Status.IN_PROGRESS}),
    Action.RESUME: frozenset(OPEN_STATUSES),
    Action.DECLINE_BY_LIST: frozenset({Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS}),
}
# What a paused ticket cannot do until its clock runs again (resolving or cancelling ends
# the pause; resuming needs a pause).
BLOCKED_WHILE_PAUSED = frozenset({Action.PAUSE, Action.REFER, Action.ESCALATE, Action.DECLINE_BY_LIST})

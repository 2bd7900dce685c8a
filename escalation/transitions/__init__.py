"""The one door for a ticket's status, tier and deadlines (DESIGN.md rule 1).

Nothing outside this package writes them. Each module can be read alone:

- `table`       the state machine's actions and the statuses each may start from;
- `base`        the row lock, the state check, the event, the save, a batch of writes;
- `numbering`   gap-free ticket references and request transfer numbers;
- `opening`     `ticket_open`: the tier a new ticket starts at, its owner, its clock;
- `moves`       the per-ticket moves a single action and a sweep step share;
- `actions`     the actions on one ticket, `ticket_<verb>(*, ticket, actor, ..., now=None)`;
- `lists`       the street's two lists (两份清单): `straight_route` and `route_straight` (an
                administrative affair goes straight to its department at opening),
                `ticket_decline_by_list`;
- `pauses`      honest pauses of the clock: `ticket_pause`, `ticket_resume`,
                `resume_on_resident_answer` (what a resident's answer calls);
- `sweep_steps` the overdue sweep's steps, batch by batch with `skip_locked`, and its
                warnings before the breach.

Import from the package: `from escalation.transitions import ticket_resolve`.
"""

from .actions import (
    ticket_acknowledge,
    ticket_add_reporter,
    ticket_assign,
    ticket_cancel,
    ticket_close,
    ticket_department_reply,
    ticket_department_update,
    ticket_escalate,
    ticket_note_meeting,
    ticket_record_feedback,
    ticket_refer,
    ticket_reopen,
    ticket_resolve,
    ticket_return_referral,
    ticket_start,
)
from .base import listen_to_events
from .lists import ticket_decline_by_list
from .opening import ticket_open
from .pauses import resume_on_resident_answer, ticket_pause, ticket_resume
from .sweep_steps import (
    BatchResult,
    SweepContext,
    backfill_warnings,
    sweep_close_feedback_expired,
    sweep_end_capped_pauses,
    sweep_escalate_due,
    sweep_flag_answer_overdue,
    sweep_flag_respond_overdue,
    sweep_flag_street_overdue,
    sweep_warn_day_left,
    sweep_warn_quarter_left,
)
from .table import ALLOWED_FROM, SWEEP, Action, Actor

__all__ = [
    "ALLOWED_FROM",
    "SWEEP",
    "Action",
    "Actor",
    "BatchResult",
    "backfill_warnings",
    "SweepContext",
    "resume_on_resident_answer",
    "sweep_close_feedback_expired",
    "sweep_end_capped_pauses",
    "sweep_escalate_due",
    "sweep_flag_answer_overdue",
    "sweep_flag_respond_overdue",
    "sweep_flag_street_overdue",
    "listen_to_events",
    "sweep_warn_day_left",
    "sweep_warn_quarter_left",
    "ticket_acknowledge",
    "ticket_add_reporter",
    "ticket_assign",
    "ticket_cancel",
    "ticket_close",
    "ticket_decline_by_list",
    "ticket_department_reply",
    "ticket_department_update",
    "ticket_escalate",
    "ticket_note_meeting",
    "ticket_open",
    "ticket_pause",
    "ticket_record_feedback",
    "ticket_refer",
    "ticket_reopen",
    "ticket_resolve",
    "ticket_resume",
    "ticket_return_referral",
    "ticket_start",
]

from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

from grievances.selectors import deadline_state

register = template.Library()


@register.inclusion_tag("grievances/_deadline.html")
def deadline(ticket, now=None):
    """The resolve-by time in the colour of its state, with the time left (or past)."""
    now = now or timezone.now()
    state = deadline_state(ticket, now)
    due = ticket.resolve_by
    if due is None or state == "done":
        left = ""
    elif state == "paused":
        left = _("clock paused")
    elif due > now:
        left = _("%(time)s left") % {"time": timeuntil(due, now, depth=1)}
    else:
        left = _("%(time)s overdue") % {"time": timesince(due, now, depth=1)}
    return {"state": state, "due": due, "left": left}

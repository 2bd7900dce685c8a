from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

from grievances.selectors import deadline_state

register = template.Library()


@register.simple_tag
def deadline(ticket, now=None):
    """The resolve-by time in the colour of its state, with the time left (or past); built
    here rather than by a template of its own, which a list of 50 rows rendered 50 times."""
    due = ticket.resolve_by
    if due is None:
        return "—"
    now = now or timezone.now()
    state = deadline_state(ticket, now)
    if state == "done":
        left = ""
    elif state == "paused":
        left = _("clock paused")
    elif due > now:
        left = _("%(time)s left") % {"time": timeuntil(due, now, depth=1)}
    else:
        left = _("%(time)s overdue") % {"time": timesince(due, now, depth=1)}
    local = timezone.localtime(due)
    return format_html(
        '<span class="deadline {}" title="{}"><time datetime="{}">{}</time>{}</span>',
        state,
        _("Resolve by"),
        dateformat.format(local, "c"),
        dateformat.format(local, "m-d H:i"),
        format_html(" · {}", left) if left else "",
    )

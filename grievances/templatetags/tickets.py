from html import escape as escape_text

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
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
    # What dateformat's "c" and "m-d H:i" write, without its per-call formatter (a third of
    # this tag's time, fifty times a list).
    return format_html(
        '<span class="deadline {}" title="{}"><time datetime="{}">{}</time>{}</span>',
        state,
        _("Resolve by"),
        local.isoformat(),
        local.strftime("%m-%d %H:%M"),
        format_html(" · {}", left) if left else "",
    )


# One row of a list of tickets (grievances/_ticket_rows.html): a ticket's reference, what and
# where, urgency, status and tier, deadline and owner. Built here in one format_html: as a
# template, fifty rows were half of the queue's own time on the city data (about 120 nodes a
# row, each looked up, escaped and joined).
ROW = (
    '<tr class="row {}" data-ref="{}">{}<td><a href="{}">{}</a><div class="desc">{}</div>{}</td>'
    "<td>{}<br><small>{}{}</small></td>"
    '<td><span class="urgency {}">{}</span><br><span class="status {}">{}</span> <small>{}</small></td>'
    "<td>{}</td><td>{}</td></tr>\n"
)
TICKET_ID = 987654321  # a stand-in id, replaced in the reversed link
CHECK = (
    '<td><label class="check"><input type="checkbox" name="tickets" value="{}" form="bulk" aria-label="{}">'
    "</label></td>"
)


def _escaped(value) -> str:
    """What format_html makes of one of its arguments (django.utils.html.conditional_escape:
    the HTML of what has some, else the text escaped as html.escape does), without the lazy-
    text checks around each call: 25 arguments a row, a fifth of a list's rendering (50 rows
    on the city: 9.0 -> 7.4 ms of CPU, best of twelve)."""
    html = getattr(value, "__html__", None)
    return html() if html is not None else escape_text(str(value))


@register.simple_tag
def ticket_rows(tickets, now=None, bulk=False):
    """The rows of `tickets` (with a box to tick each for the bulk actions when `bulk`)."""
    now = now or timezone.now()
    # Each row's link, reversed once ("/tickets/{}/") rather than fifty times.
    link = reverse("ticket", args=[TICKET_ID]).replace(str(TICKET_ID), "{}")
    passed_up = _("passed up by the committee")
    rows = (
        (
            "is-overdue" if ticket.overdue else "",
            ticket.reference,
            format_html(CHECK, ticket.pk, ticket.reference) if bulk else "",
            link.format(ticket.pk),
            ticket.reference,
            Truncator(ticket.description).chars(60),
            format_html('<small class="transfer" data-testid="transfer">{} · {}</small>', passed_up, number)
            if (number := getattr(ticket, "transfer_number", None))
            else "",
            ticket.category,
            ticket.committee or ticket.street,
            format_html(" · {}", ticket.zone) if ticket.zone else "",
            ticket.urgency,
            ticket.get_urgency_display(),
            ticket.status,
            ticket.get_status_display(),
            ticket.get_tier_display(),
            deadline(ticket, now),
            ticket.owner or "—",
        )
        for ticket in tickets
    )
    # format_html_join's work, each argument escaped by _escaped.
    return mark_safe("".join(ROW.format(*map(_escaped, row)) for row in rows))  # noqa: S308

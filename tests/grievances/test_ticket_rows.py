"""A list's rows (grievances.templatetags.tickets.ticket_rows): built in Python for speed, they
must say what the template said — escaped, in the person's language, with the bulk box only
where bulk actions are offered."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from grievances.models import Ticket
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

ROWS = Template("{% load tickets %}{% ticket_rows tickets now bulk %}")


def rows(tickets, *, bulk=False, language="zh-hans") -> str:
    with translation.override(language):
        return ROWS.render(
            Context({"tickets": tickets, "now": tickets[0].created_at + dt.timedelta(days=30), "bulk": bulk})
        )


def test_a_row_says_what_where_how_urgent_whose_and_how_late(zone):
    ticket = make_ticket(zone=zone, urgency="emergency", description="<b>楼道</b>" + "堆满杂物" * 20)
    Ticket.objects.filter(pk=ticket.pk).update(overdue=True)
    ticket.refresh_from_db()

    html = rows([ticket])

    assert f'<tr class="row is-overdue" data-ref="{ticket.reference}">' in html
    assert f'<a href="/tickets/{ticket.pk}/">{ticket.reference}</a>' in html
    assert "&lt;b&gt;楼道&lt;/b&gt;" in html and "<b>" not in html  # escaped
    assert 0 < html.count("堆满杂物") < 20  # cut at 60 characters
    assert f"{zone.committee} · {zone}" in html
    assert '<span class="urgency emergency">突发</span>' in html
    assert 'class="deadline overdue"' in html
    assert 'type="checkbox"' not in html and 'data-testid="transfer"' not in html


def test_bulk_boxes_a_passed_up_ticket_and_english(zone):
    ticket = make_ticket(zone=zone)
    ticket.transfer_number = "WLQ-ZD-0007"

    html = rows([ticket], bulk=True, language="en")

    assert (
        f'<input type="checkbox" name="tickets" value="{ticket.pk}" form="bulk" aria-label="{ticket.reference}">'
        in html
    )
    assert '<small class="transfer" data-testid="transfer">passed up by the committee · WLQ-ZD-0007</small>' in html
    assert '<tr class="row " data-ref=' in html


def test_a_street_ticket_names_its_street_and_an_unowned_one_a_dash(zone):
    street = zone.committee.street
    ticket = make_ticket(zone=None, street=street, address="南京西路 1 号")
    Ticket.objects.filter(pk=ticket.pk).update(status="cancelled", owner=None)  # an open one always has one
    ticket.refresh_from_db()

    html = rows([ticket])

    assert f"<small>{street}</small>" in html
    assert "<td>—</td></tr>" in html


@pytest.mark.parametrize(
    "due",
    [dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC), dt.datetime(2026, 12, 31, 23, 59, 59, 123456, tzinfo=dt.UTC)],
    ids=["single digits", "the year's last second"],
)
def test_the_deadline_is_written_as_djangos_date_format_writes_it(zone, due):
    from django.utils import dateformat, timezone

    from grievances.templatetags.tickets import deadline

    ticket = make_ticket(zone=zone)
    ticket.resolve_by = due
    local = timezone.localtime(due)

    html = deadline(ticket, due - dt.timedelta(hours=5))

    assert f'<time datetime="{dateformat.format(local, "c")}">{dateformat.format(local, "m-d H:i")}</time>' in html


def test_a_rows_values_are_escaped_as_format_html_escapes_them(zone):
    from django.utils.html import conditional_escape, format_html
    from django.utils.translation import gettext_lazy

    from grievances.templatetags.tickets import _escaped

    ticket = make_ticket(zone=zone, description="<script>alert('x')</script> & \"楼道\"")
    values = [
        ticket.description,
        ticket,
        ticket.category,
        42,
        "",
        format_html("<b>{}</b>", "<i>"),
        gettext_lazy("Owner"),
    ]

    assert [_escaped(value) for value in values] == [str(conditional_escape(value)) for value in values]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_lists_rows_say_what_the_tickets_themselves_say(zone, language):
    """The queue and my tickets read their rows as plain values (selectors.TicketRow), not as
    tickets with their related objects: the same rows, word for word, in either language."""
    from escalation.models import TransferRecord
    from grievances.selectors import ALL_STATUSES, QueueFilters, TicketRow, ticket_queue
    from responders.selectors import EVERYTHING

    street = zone.committee.street
    tickets = [
        make_ticket(zone=zone, urgency="emergency", description="<b>电梯</b>困人" * 10),
        make_ticket(zone=None, street=street, address="南京西路 1 号", category="housing"),
        make_ticket(zone=zone, category="policy"),
        make_ticket(zone=zone),
    ]
    Ticket.objects.filter(pk=tickets[0].pk).update(overdue=True)
    Ticket.objects.filter(pk=tickets[2].pk).update(status="cancelled", owner=None, resolve_by=None)
    Ticket.objects.filter(pk=tickets[3].pk).update(tier="street", paused_at=tickets[3].created_at)
    TransferRecord.objects.create(
        number="WLQ-ZD-0042",
        ticket=tickets[3],
        committee=zone.committee,
        street=street,
        reason="需要街道协调",
        created_at=tickets[3].created_at,
    )
    ids = [ticket.pk for ticket in tickets]

    rows = list(ticket_queue(EVERYTHING, QueueFilters(status=ALL_STATUSES, ids=tuple(ids))))
    full = list(Ticket.objects.filter(pk__in=ids).order_by("resolve_by", "pk"))
    full[[t.pk for t in full].index(tickets[3].pk)].transfer_number = "WLQ-ZD-0042"

    assert all(isinstance(row, TicketRow) for row in rows) and len(rows) == 4
    assert [row.pk for row in rows] == [ticket.pk for ticket in full]
    now = timezone.now()
    for bulk in (False, True):
        assert rows_of(rows, now, bulk=bulk, language=language) == rows_of(full, now, bulk=bulk, language=language)
    html = rows_of(rows, now, language=language)
    assert "WLQ-ZD-0042" in html and "&lt;b&gt;电梯" in html and "<td>—</td></tr>" in html


def rows_of(tickets, now, *, bulk=False, language="zh-hans") -> str:
    with translation.override(language):
        return ROWS.render(Context({"tickets": tickets, "now": now, "bulk": bulk}))

"""The service window's figures (限时办结): on-time rate per item and class, working days to
complete, paused time, the items most often late; a paused ticket is never on time."""

import datetime as dt

import pytest

from catalogue.models import ServiceItem
from core.clock import SHANGHAI
from escalation import transitions
from intake.services import service_apply
from reports.selectors import ReportUnit, service_figures
from responders.models import User
from responders.selectors import user_scope
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def at(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


def test_on_time_late_and_paused_applications_per_item_and_class(zone, client):
    clerk = User.objects.get(committee=zone.committee, role=User.Role.COMMITTEE_STAFF)
    household = HouseholdFactory(zone=zone)
    allowance = ServiceItem.objects.get(code="elderly_allowance")  # 7 working days
    card = ServiceItem.objects.get(code="senior_card")  # the same class, 7 working days
    monday = at(2026, 11, 2, 10)

    def apply(item):
        ticket = service_apply(actor=clerk, item=item, household=household, now=monday)
        return transitions.ticket_start(ticket=ticket, actor=ticket.owner, now=monday)

    on_time = apply(allowance)
    transitions.ticket_resolve(ticket=on_time, actor=on_time.owner, outcome="solved", now=at(2026, 11, 4, 11))
    late = apply(allowance)
    transitions.ticket_resolve(
        ticket=late, actor=late.owner, outcome="solved", now=late.resolve_by + dt.timedelta(days=1)
    )
    # Paused two working days for a document, completed after the first deadline but before the moved one.
    helped = apply(card)
    first_deadline = helped.resolve_by
    helped = transitions.ticket_pause(ticket=helped, actor=helped.owner, reason="documents", now=at(2026, 11, 3, 9))
    helped = transitions.ticket_resume(ticket=helped, actor=helped.owner, now=at(2026, 11, 5, 9))
    transitions.ticket_resolve(
        ticket=helped, actor=helped.owner, outcome="solved", now=first_deadline + dt.timedelta(hours=16)
    )
    # Still paused past its first deadline: neither on time nor late.
    waiting = apply(card)
    transitions.ticket_pause(ticket=waiting, actor=waiting.owner, reason="unreachable", now=at(2026, 11, 3, 9))

    figures = service_figures(
        user_scope(clerk),
        ReportUnit(committee_id=zone.committee_id),
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 1),
        now=at(2026, 11, 20, 12),
    )

    total = figures["total"]
    assert (total.applications, total.completed, total.on_time, total.late, total.paused_now) == (4, 3, 2, 1, 1)
    assert total.on_time_with_pause == 1 and total.on_time_rate == round(2 / 3, 4)
    by_item = {f.code: f for f in figures["items"]}
    assert (by_item["elderly_allowance"].on_time_rate, by_item["senior_card"].on_time_rate) == (0.5, 1.0)
    assert [f.name for f in figures["classes"]] == ["养老服务"]
    assert [f.code for f in figures["most_late"]] == ["elderly_allowance"]
    # Resolved Wednesday 11:00 after Monday 10:00: 7.5 + 8.5 + 2 working hours.
    assert by_item["elderly_allowance"].working_seconds >= 18 * 3600
    assert total.paused_working_days >= 2.0

    client.force_login(clerk)
    page = client.get("/reports/services/?month=2026-11")
    assert page.status_code == 200
    assert 'data-item="elderly_allowance"' in page.content.decode()

"""Statistics on a small fixture whose figures are worked out by hand below."""

import datetime as dt

import pytest
from django.utils import timezone

from escalation import transitions as t
from escalation.calendar import SHANGHAI
from escalation.sweep import sweep_overdue_tickets
from grievances.models import Ticket
from reports.models import MonthlyReport
from reports.selectors import Unit, statistics
from reports.services import monthly_report_generate
from responders.models import User
from responders.selectors import EVERYTHING
from tests.factories import BuildingFactory, HouseholdFactory, UserFactory, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db

OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 11, 1))


def created_on(ticket, day: dt.date) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(created_at=dt.datetime.combine(day, dt.time(10), tzinfo=SHANGHAI))


@pytest.fixture
def month():
    """October: T1 settled at the zone in time (satisfied); T2 carried up to the committee by
    the sweep, then resolved (dissatisfied); T3 an emergency at the street nobody answered;
    T4 withdrawn; T5 from September, outside the month but inside the year."""
    zone = staffed_zone()
    building = BuildingFactory(zone=zone, name="瞿溪路 500 弄 3 号")
    home = HouseholdFactory(zone=zone, building=building)
    t1 = make_ticket(household=home, zone=None, category="public_facilities")
    t2 = make_ticket(household=home, zone=None, category="public_facilities")
    t3 = make_ticket(zone=zone, urgency="emergency")
    t4 = make_ticket(zone=zone)
    t5 = make_ticket(zone=zone)
    t.ticket_resolve(ticket=t1, actor="test", outcome="solved")
    t.ticket_record_feedback(ticket=t1, actor="test", satisfaction="satisfied", collected_via="phone")
    t.ticket_cancel(ticket=t4, actor="test", reason="withdrawn")
    sweep_overdue_tickets(now=t2.resolve_by + dt.timedelta(minutes=1))
    t2.refresh_from_db()
    t.ticket_resolve(ticket=t2, actor="test", outcome="solved")
    t.ticket_record_feedback(ticket=t2, actor="test", satisfaction="dissatisfied", collected_via="visit")
    for ticket, day in ((t1, 3), (t2, 9), (t3, 15), (t4, 20)):
        created_on(ticket, dt.date(2026, 10, day))
    created_on(t5, dt.date(2026, 9, 30))
    return {"zone": zone, "street": zone.committee.street, "tickets": (t1, t2, t3, t4, t5)}


def test_the_figures_match_the_hand_count(month):
    stats = statistics(EVERYTHING, Unit(street_id=month["street"].pk), *OCTOBER)
    head = stats["headline"]

    # Received: T1, T2, T3 (T4 cancelled, T5 in September).
    assert (head["received"], head["cancelled"]) == (3, 1)
    # Answered in time: T1 and T2 (T3 was never answered and was flagged late).
    assert head["response_rate"] == round(2 / 3, 4)
    # Resolved: T1 and T2 of 3.
    assert head["resolution_rate"] == round(2 / 3, 4)
    # One satisfied, one dissatisfied.
    assert head["satisfaction_rate"] == 0.5
    # On time: only T1; the sweep carried T2 up.
    assert head["on_time_rate"] == 0.5
    # Settled at the zone: T1; at the committee: T2.
    assert head["pyramid"] == {"zone": 0.5, "committee": 0.5, "street": 0.0}
    # The year so far: T1..T3 and T5 received, T1 and T2 resolved.
    assert (stats["year"]["received"], stats["year"]["resolved"], stats["year"]["resolution_rate"]) == (4, 2, 0.5)
    assert stats["year"]["goal"] == 0.9
    assert stats["hot_spots"] == [
        {"building": "瞿溪路 500 弄 3 号", "category_name": "公共设施（电梯、道路、照明）", "tickets": 2}
    ]
    by_category = {row["key"]: (row["received"], row["resolved"]) for row in stats["by_category"]}
    assert by_category == {"public_facilities": (2, 2), "environment": (1, 0)}
    assert [(row["received"], row["resolved"]) for row in stats["by_committee"]] == [(3, 2)]


def test_figures_follow_the_visibility_rule(month):
    other = staffed_zone()
    stranger = UserFactory(role=User.Role.COMMITTEE_STAFF, committee=other.committee)
    from responders.selectors import user_scope

    stats = statistics(user_scope(stranger), Unit(street_id=month["street"].pk), *OCTOBER)

    assert stats["headline"]["received"] == 0


def test_the_monthly_report_is_kept_as_issued(month):
    report = monthly_report_generate(street=month["street"], month=dt.date(2026, 10, 1))
    t3 = month["tickets"][2]
    t.ticket_resolve(ticket=t3, actor="test", outcome="solved")

    again = monthly_report_generate(street=month["street"], month=dt.date(2026, 10, 15))

    assert again.pk == report.pk and MonthlyReport.objects.count() == 1
    assert again.data["headline"]["resolved"] == 2  # as issued, not as now


def test_the_report_page_prints_and_exports(client, month):
    street = month["street"]
    staff = User.objects.get(street=street, role="street_staff")
    client.force_login(staff)

    response = client.post("/reports/generate/", {"street": street.pk, "month": "2026-10"})
    page = client.get(response["Location"]).content.decode()
    report = MonthlyReport.objects.get()
    exported = client.get(f"/reports/{report.pk}/csv/").content.decode("utf-8-sig")

    assert 'data-testid="resolution-rate">66.7%<' in page
    assert "<svg" in page and "瞿溪路 500 弄 3 号" in page
    assert "rates,resolution_rate,,,0.6667" in exported
    assert "pyramid,zone,1,,0.5" in exported


def test_a_month_still_running_cannot_be_issued_and_outsiders_see_nothing(client, month):
    street = month["street"]
    client.force_login(User.objects.get(street=street, role="street_staff"))
    this_month = timezone.localdate().strftime("%Y-%m")

    early = client.post("/reports/generate/", {"street": street.pk, "month": this_month}, follow=True)
    report = monthly_report_generate(street=street, month=dt.date(2026, 10, 1))
    client.force_login(UserFactory(role=User.Role.COMMITTEE_STAFF, committee=staffed_zone().committee))

    assert "结束后才能生成" in early.content.decode()
    assert not MonthlyReport.objects.filter(month__gte=timezone.localdate().replace(day=1)).exists()
    assert client.get(f"/reports/{report.pk}/").status_code == 404
    assert client.get(f"/reports/{report.pk}/csv/").status_code == 404


def test_the_dashboard_shows_this_months_figures(client):
    zone = staffed_zone()
    make_ticket(zone=zone)
    client.force_login(User.objects.get(committee=zone.committee, role="committee_staff"))

    page = client.get("/dashboard/").content.decode()

    assert 'data-testid="received">1<' in page

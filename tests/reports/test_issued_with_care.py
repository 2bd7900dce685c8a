"""Issue 15, item 7: reports are issued with care. Only ended months within the street's data,
after a confirmation; a month counts only that month; the street's report for the street's
staff and leaders, a committee's and a zone's own figures for them; CSV rates as percentages;
the printed page has no CSV link; last month beside this month."""

import datetime as dt

import pytest
from django.utils import timezone

from core.clock import SHANGHAI
from core.errors import InvalidInput
from grievances.models import Ticket, Visit
from reports.models import MonthlyReport
from reports.selectors import ReportUnit, statistics
from reports.services import monthly_report_generate
from responders.models import User
from responders.selectors import EVERYTHING
from tests.factories import BuildingFactory, CommitteeFactory, HouseholdFactory, ZoneFactory, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db


def created_on(ticket, day: dt.date) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(created_at=dt.datetime.combine(day, dt.time(10), tzinfo=SHANGHAI))


def last_month() -> dt.date:
    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


@pytest.fixture
def street():
    """A street whose data starts two months ago: one ticket then, one last month."""
    zone = staffed_zone()
    first = make_ticket(zone=zone)
    created_on(first, (last_month() - dt.timedelta(days=1)).replace(day=5))
    created_on(make_ticket(zone=zone), last_month().replace(day=10))
    return {"zone": zone, "street": zone.committee.street}


@pytest.mark.parametrize("month", ["1900-01", "too-early", "this", "next"])
def test_a_month_outside_the_streets_data_is_refused_and_nothing_is_issued(client, street, month):
    today = timezone.localdate()
    value = {
        "too-early": f"{last_month() - dt.timedelta(days=40):%Y-%m}",
        "this": f"{today:%Y-%m}",
        "next": f"{today.replace(day=1) + dt.timedelta(days=40):%Y-%m}",
    }.get(month, month)
    client.force_login(User.objects.get(street=street["street"], role="street_staff"))

    response = client.post(
        "/reports/generate/", {"street": street["street"].pk, "month": value, "confirm": "on"}, follow=True
    )

    assert response.status_code == 200 and "月份" in response.content.decode()
    assert not MonthlyReport.objects.exists()


def test_the_service_refuses_1900_for_a_person_too(street):
    staff = User.objects.get(street=street["street"], role="street_staff")
    with pytest.raises(InvalidInput) as refused:
        monthly_report_generate(street=street["street"], month=dt.date(1900, 1, 1), actor=staff)
    with pytest.raises(InvalidInput):
        monthly_report_generate(street=street["street"], month=timezone.localdate(), actor=None)
    assert refused.value.field == "month" and not MonthlyReport.objects.exists()


def test_issuing_asks_for_a_confirmation_first(client, street):
    client.force_login(User.objects.get(street=street["street"], role="street_staff"))
    body = {"street": street["street"].pk, "month": f"{last_month():%Y-%m}"}

    asked = client.post("/reports/generate/", body)
    assert asked.status_code == 200 and 'data-testid="confirm-report"' in asked.content.decode()
    assert not MonthlyReport.objects.exists()

    issued = client.post("/reports/generate/", {**body, "confirm": "on"})
    report = MonthlyReport.objects.get()
    assert issued.status_code == 302 and issued["Location"] == f"/reports/{report.pk}/"
    opened = client.post("/reports/generate/", body)  # issued already: opened, no question
    assert opened.status_code == 302 and opened["Location"] == f"/reports/{report.pk}/"


def test_a_months_visit_coverage_counts_no_visit_made_after_it():
    zone = staffed_zone()
    member = User.objects.get(memberships__team__zone=zone)
    homes = [HouseholdFactory(zone=zone) for _ in range(4)]
    for home, day in (
        (homes[0], dt.date(2026, 3, 5)),
        (homes[1], dt.date(2026, 10, 20)),
        (homes[2], dt.date(2026, 11, 2)),
    ):
        Visit.objects.create(household=home, zone=zone, visited_on=day, result="nothing", recorded_by=member)

    october = statistics(
        EVERYTHING, ReportUnit(street_id=zone.committee.street_id), dt.date(2026, 10, 1), dt.date(2026, 11, 1)
    )

    assert (october["visits"]["visited"], october["visits"]["households"]) == (2, 4)


def test_the_streets_report_is_for_its_staff_a_committee_and_a_zone_see_their_own(client, street):
    zone = street["zone"]
    neighbour = ZoneFactory(committee=CommitteeFactory(street=street["street"]))
    hot = BuildingFactory(zone=neighbour, name="别的居委 9 号楼")
    for _ in range(2):
        ticket = make_ticket(household=HouseholdFactory(zone=neighbour, building=hot), zone=None)
        created_on(ticket, last_month().replace(day=12))
    report = monthly_report_generate(street=street["street"], month=last_month())
    committee_staff = User.objects.get(role=User.Role.COMMITTEE_STAFF, committee=zone.committee)
    member = User.objects.get(memberships__team__zone=zone)
    month = f"{last_month():%Y-%m}"

    client.force_login(User.objects.get(street=street["street"], role="street_staff"))
    whole = client.get(f"/reports/{report.pk}/").content.decode()
    assert "别的居委 9 号楼" in whole and 'data-testid="compare"' in whole

    for person in (committee_staff, member):
        client.force_login(person)
        assert client.get(f"/reports/{report.pk}/").status_code == 404
        assert f"/reports/mine/?month={month}" in client.get("/reports/").content.decode()
        own = client.get(f"/reports/mine/?month={month}")
        page = own.content.decode()
        assert own.status_code == 200
        assert 'data-testid="received">1<' in page  # their own ticket of last month, not the neighbour's two
        assert "别的居委 9 号楼" not in page
        assert 'data-testid="compare"' in page

    client.force_login(User.objects.get(street=street["street"], role="street_staff"))
    assert client.get(f"/reports/mine/?month={month}").status_code == 404  # the street reads its report


def test_the_printed_report_hides_the_csv_link_and_the_csv_prints_percentages(client, street):
    report = monthly_report_generate(street=street["street"], month=last_month())
    client.force_login(User.objects.get(street=street["street"], role="street_staff"))

    page = client.get(f"/reports/{report.pk}/").content.decode()
    exported = client.get(f"/reports/{report.pk}/csv/").content.decode("utf-8-sig")

    tools = page.split('data-testid="report-tools"')[0].rsplit("<", 1)[1]
    assert "no-print" in tools and "导出 CSV" in page.split('data-testid="report-tools"')[1].split("</span>")[0]
    assert "%" in exported and "0.0," not in exported

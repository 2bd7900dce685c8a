"""The issue's "done when": on the demo street after a simulated month of activity, the
street's staff open last month's report and see figures that match what happened.

The simulation (responders/demo_month.py) runs the month through the real services and
writes down each thing it does as it does it; the report is computed from the database.
"""

import datetime as dt

import pytest
from django.core.management import call_command

from demo.month import simulate_month
from demo.street import ensure_reference_data, seed_demo_street
from reports.models import MonthlyReport
from responders.models import User

pytestmark = pytest.mark.django_db

OCTOBER = dt.date(2026, 10, 1)


@pytest.fixture(scope="module")
def simulated(django_db_setup, django_db_blocker):
    """Seeded and simulated once for the module (the demo street has ~4,000 households),
    committed like `make run` would, and flushed afterwards as transactional tests are."""
    with django_db_blocker.unblock():
        seed_demo_street()
        yield simulate_month(month=OCTOBER, tickets=120, seed=7)
        call_command("flush", "--noinput")
        ensure_reference_data()


def test_the_report_shows_what_happened_in_the_month(simulated):
    ledger, report = simulated
    head, meetings = report.data["headline"], report.data["meetings"]

    assert ledger.not_reached == 0  # every story fitted in the month
    assert (head["received"], head["cancelled"]) == (ledger.received, ledger.cancelled)
    assert head["responded"] == ledger.received - ledger.late_responses
    assert ledger.late_responses > 0 and ledger.carried_up > 0
    assert head["resolved"] == ledger.resolved
    assert head["on_time"] == ledger.resolved - ledger.carried_up - ledger.late_applications
    assert ledger.late_applications > 0
    assert (head["zone"], head["committee"], head["street"]) == (
        ledger.resolved_at["zone"],
        ledger.resolved_at["committee"],
        ledger.resolved_at["street"],
    )
    assert head["feedback"] == sum(ledger.feedback.values())
    assert head["satisfied"] == ledger.feedback["satisfied"] + ledger.feedback["basically_satisfied"]
    assert {row["code"]: row["held"] for row in meetings["by_type"]} == dict(ledger.meetings_held)
    assert meetings["conflicts_defused"] == ledger.conflicts_defused > 0
    assert meetings["referrals"] == ledger.referrals > 0
    # The street's two lists: matters straight to their department, tasks a committee declined.
    assert report.data["two_lists"] == {"straight": ledger.straight, "declined": ledger.declined}
    assert ledger.straight > 0 and ledger.declined > 0
    assert report.data["visits"]["visited"] == len(ledger.visited)
    assert [row["evaluations"] for row in report.data["departments"] if row["evaluations"]] == [1, 1]
    # Residents rate the community at the door and by link during the visits.
    community = report.data["community"]
    assert community["overall"]["responses"] == sum(ledger.survey_answers.values())
    assert ledger.survey_answers["door"] > 0 and ledger.survey_answers["link"] > 0
    assert sum(row["responses"] for row in community["by_zone"]) == community["overall"]["responses"]


def test_street_staff_open_print_and_export_last_months_report(client, simulated):
    ledger, report = simulated
    client.force_login(User.objects.get(username="street_staff"))

    listing = client.get("/reports/").content.decode()
    page = client.get(f"/reports/{report.pk}/").content.decode()
    exported = client.get(f"/reports/{report.pk}/csv/").content.decode("utf-8-sig")

    assert f'href="/reports/{report.pk}/"' in listing and "2026-10" in listing
    assert f'data-testid="received">{ledger.received}<' in page
    assert page.count("<svg") >= 3  # categories, committees, meetings
    assert f"受理,{ledger.received}\r\n" in exported
    assert MonthlyReport.objects.count() == 1


def test_the_service_window_figures_of_the_month(simulated, client):
    ledger, _report = simulated
    staff = User.objects.get(username="street_staff")
    client.force_login(staff)

    page = client.get("/reports/services/?month=2026-10").content.decode()

    from reports.selectors import ReportUnit, service_figures
    from responders.selectors import user_scope

    end = dt.date(2026, 11, 1)
    month_end = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    figures = service_figures(user_scope(staff), ReportUnit(street_id=staff.street_id), OCTOBER, end, now=month_end)
    total = figures["total"]
    # At the month's end: the late ones are those completed late (the open ones are not due yet).
    assert total.applications == 40 and total.late == ledger.late_applications > 0
    assert total.paused_seconds > 0 and total.on_time == total.completed - total.late
    assert figures["most_late"] and len(figures["classes"]) > 1
    assert 'data-testid="most-late"' in page and f'data-testid="applications">{total.applications}<' in page

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.exports import csv_response
from escalation import policy
from grievances.selectors import QueueFilters, queue_counts, ticket_queue
from responders.selectors import user_scope

from .export import report_rows
from .forms import ReportGenerateForm
from .models import MonthlyReport
from .selectors import ReportUnit, overdue, statistics
from .services import monthly_report_generate


def _report_streets(user):
    """A street's monthly report is read and issued by those who act for the street (its
    staff and leaders): it names every committee's hot spots (the policy)."""
    streets, _committees, _zones = policy.units_acted_for(user)
    return streets


def _readable_reports(user):
    return MonthlyReport.objects.filter(street__in=_report_streets(user)).select_related("street")


@login_required
def dashboard(request):
    """This month so far for the person's unit: the queue, the three rates, the pyramid,
    visit coverage, meetings, overdue and hot spots."""
    today = timezone.localdate()
    start = today.replace(day=1)
    scope, unit = user_scope(request.user), ReportUnit(**policy.home_unit(request.user))
    return render(
        request,
        "reports/dashboard.html",
        {
            "stats": statistics(scope, unit, start, today + dt.timedelta(days=1)),
            # The same tickets the queue page opens on, so the numbers match the link.
            "queue": queue_counts(ticket_queue(scope, QueueFilters(tier=policy.default_queue_tier(request.user)))),
            "overdue": overdue(scope, unit)[:20],
            "start": start,
            "today": today,
        },
    )


@login_required
def report_list(request):
    streets = _report_streets(request.user).order_by("code")
    return render(
        request,
        "reports/report_list.html",
        {
            "reports": _readable_reports(request.user)[:60],
            "streets": streets,
            "last_month": (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m"),
        },
    )


@login_required
@require_POST
def report_generate(request):
    form = ReportGenerateForm(request.POST, streets=_report_streets(request.user))
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(errors)}")
        return redirect("reports")
    report = monthly_report_generate(
        street=form.cleaned_data["street"], month=form.cleaned_data["month"], actor=request.user
    )
    return redirect("report", pk=report.pk)


@login_required
def report_detail(request, pk):
    report = get_object_or_404(_readable_reports(request.user), pk=pk)
    return render(request, "reports/report_detail.html", {"report": report, "stats": report.data})


@login_required
def report_csv(request, pk):
    report = get_object_or_404(_readable_reports(request.user), pk=pk)
    return csv_response(report_rows(report), f"report-{report.street.code}-{report.month:%Y-%m}.csv")

import csv
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from grievances.selectors import QueueFilters, default_queue_tier, queue_counts, ticket_queue
from responders.models import User
from responders.selectors import user_scope, visible_streets

from .export import report_rows
from .forms import ReportGenerateForm
from .models import MonthlyReport
from .selectors import Unit, overdue, statistics
from .services import monthly_report_generate

REPORTERS = (User.Role.STREET_STAFF, User.Role.STREET_LEADER, User.Role.ADMINISTRATOR)


def _visible_reports(user):
    return MonthlyReport.objects.filter(street__in=visible_streets(user_scope(user))).select_related("street")


def _unit_of(user) -> Unit:
    if user.role in (User.Role.STREET_STAFF, User.Role.STREET_LEADER):
        return Unit(street_id=user.street_id)
    if user.role == User.Role.COMMITTEE_STAFF:
        return Unit(committee_id=user.committee_id)
    return Unit()  # everything the person may see: a zone member's zones, an administrator's all


@login_required
def dashboard(request):
    """This month so far for the person's unit: the queue, the three rates, the pyramid,
    visit coverage, meetings, overdue and hot spots."""
    today = timezone.localdate()
    start = today.replace(day=1)
    scope, unit = user_scope(request.user), _unit_of(request.user)
    return render(
        request,
        "reports/dashboard.html",
        {
            "stats": statistics(scope, unit, start, today + dt.timedelta(days=1)),
            # The same tickets the queue page opens on, so the numbers match the link.
            "queue": queue_counts(ticket_queue(scope, QueueFilters(tier=default_queue_tier(request.user)))),
            "overdue": overdue(scope, unit)[:20],
            "start": start,
            "today": today,
        },
    )


@login_required
def report_list(request):
    streets = visible_streets(user_scope(request.user)).order_by("code")
    return render(
        request,
        "reports/report_list.html",
        {
            "reports": _visible_reports(request.user)[:60],
            "streets": streets if request.user.role in REPORTERS or request.user.is_superuser else [],
            "last_month": (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m"),
        },
    )


@login_required
@require_POST
def report_generate(request):
    if request.user.role not in REPORTERS and not request.user.is_superuser:
        raise Http404
    form = ReportGenerateForm(request.POST, streets=visible_streets(user_scope(request.user)))
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
    report = get_object_or_404(_visible_reports(request.user), pk=pk)
    return render(request, "reports/report_detail.html", {"report": report, "stats": report.data})


@login_required
def report_csv(request, pk):
    report = get_object_or_404(_visible_reports(request.user), pk=pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="report-{report.street.code}-{report.month:%Y-%m}.csv"'
    response.write("\ufeff")  # so Excel opens the Chinese text as UTF-8
    csv.writer(response).writerows(report_rows(report))
    return response

import datetime as dt
import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_POST

from core.exports import csv_response
from core.kept import kept
from core.plans import generic_plans
from core.replica import replica_view
from escalation import policy
from grievances.selectors import QueueFilters, queue_counts, ticket_queue
from responders.models import ResponsibilityZone
from responders.selectors import user_scope

from .export import report_rows
from .forms import ReportGenerateForm, month_param
from .models import MonthlyReport
from .public import cached_page, public_figures, street_id_for
from .selectors import ReportUnit, first_data_day, overdue, service_figures, statistics
from .services import month_bounds, monthly_report_generate


def _report_streets(user):
    """A street's monthly report is read and issued by those who act for the street (its
    staff and leaders): it names every committee's hot spots (the policy)."""
    streets, _committees, _zones = policy.units_acted_for(user)
    return streets


def _readable_reports(user):
    return MonthlyReport.objects.filter(street__in=_report_streets(user)).select_related("street")


def _last_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _kept_statistics(scope, unit: ReportUnit, start: dt.date, end: dt.date) -> dict:
    """The month's figures, kept ZHITONG_DASHBOARD_CACHE_SECONDS for the same scope, unit,
    period and language: counting a city street's month takes seconds, and a minute-old
    figure says so on the page (`computed_at`)."""
    scope_words = repr(
        (
            scope.everything,
            *(sorted(ids) for ids in (scope.street_ids, scope.committee_ids, scope.zone_ids, scope.department_ids)),
        )
    )
    key = "dashboard:" + hashlib.sha256(f"{scope_words}|{unit}|{start}|{end}|{get_language()}".encode()).hexdigest()

    def compute():
        return {**statistics(scope, unit, start, end), "computed_at": timezone.now()}

    return kept(key, compute, settings.ZHITONG_DASHBOARD_CACHE_SECONDS)


@login_required
@replica_view
def dashboard(request):
    """This month so far for the person's unit: the queue, the three rates, the pyramid,
    visit coverage, meetings, overdue and hot spots."""
    today = timezone.localdate()
    start = today.replace(day=1)
    scope, unit = user_scope(request.user), ReportUnit(**policy.home_unit(request.user))
    # The same tickets the queue page opens on, so the numbers match the link.
    queue = ticket_queue(scope, QueueFilters(tier=policy.default_queue_tier(request.user)), rows=False)
    with generic_plans(queue.db):
        counts = queue_counts(queue)
    return render(
        request,
        "reports/dashboard.html",
        {
            "stats": _kept_statistics(scope, unit, start, today + dt.timedelta(days=1)),
            "queue": counts,
            "overdue": overdue(scope, unit)[:20],
            "start": start,
            "today": today,
        },
    )


@login_required
def service_report(request):
    """限时办结: the service window's applications of a month (this month so far by default)
    for the person's unit, per item and class: on-time rate, average working days to
    complete, paused time, the items most often late."""
    today = timezone.localdate()
    month = month_param(request.GET.get("month", "")) or today.replace(day=1)
    if month > today:
        month = today.replace(day=1)
    end = min((month + dt.timedelta(days=32)).replace(day=1), today + dt.timedelta(days=1))
    scope, unit = user_scope(request.user), ReportUnit(**policy.home_unit(request.user))
    return render(
        request,
        "reports/services.html",
        {"figures": service_figures(scope, unit, month, end), "month": month, "end": end - dt.timedelta(days=1)},
    )


def _month_range(street_ids) -> tuple[str, str]:
    """The months a report can be asked for (YYYY-MM): from the first with data to the last ended."""
    today = timezone.localdate()
    firsts = [day for day in (first_data_day(pk) for pk in street_ids) if day]
    first = min(firsts) if firsts else _last_month(today)
    return f"{first:%Y-%m}", f"{_last_month(today):%Y-%m}"


@login_required
@replica_view
def report_list(request):
    streets = _report_streets(request.user).order_by("code")
    earliest, latest = _month_range([street.pk for street in streets])
    today = timezone.localdate()
    return render(
        request,
        "reports/report_list.html",
        {
            "reports": _readable_reports(request.user)[:60],
            "streets": streets,
            "last_month": latest,
            "earliest": earliest,
            "this_month": f"{today:%Y-%m}",
            "own_report": policy.own_report_scope(request.user) is not None,
        },
    )


@login_required
@require_POST
def report_generate(request):
    """Open a street's report, or issue it after a confirmation: an issued report is
    permanent, so the first answer to a month without one is a page that says so."""
    form = ReportGenerateForm(request.POST, streets=_report_streets(request.user))
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(errors)}")
        return redirect("reports")
    street, month = form.cleaned_data["street"], form.cleaned_data["month"]
    existing = MonthlyReport.objects.filter(street=street, month=month.replace(day=1)).first()
    if existing is None and not form.cleaned_data["confirm"]:
        return render(request, "reports/report_confirm.html", {"street": street, "month": month})
    report = existing or monthly_report_generate(street=street, month=month, actor=request.user)
    return redirect("report", pk=report.pk)


def _previous(report: MonthlyReport) -> MonthlyReport | None:
    return MonthlyReport.objects.filter(street=report.street_id, month=_last_month(report.month)).first()


@login_required
@replica_view
def report_detail(request, pk):
    report = get_object_or_404(_readable_reports(request.user), pk=pk)
    previous = _previous(report)
    return render(
        request,
        "reports/report_detail.html",
        {
            "report": report,
            "stats": report.data,
            "previous": previous.data if previous else None,
            "previous_month": _last_month(report.month),
        },
    )


@login_required
@replica_view
def report_csv(request, pk):
    report = get_object_or_404(_readable_reports(request.user), pk=pk)
    return csv_response(report_rows(report), f"report-{report.street.code}-{report.month:%Y-%m}.csv")


@login_required
@replica_view
def unit_report(request):
    """A committee's or a zone team's own month (by default last month), beside the month
    before, counted when asked: the street's report, with every committee's hot spots, is
    for those who act for the street."""
    scope = policy.own_report_scope(request.user)
    if scope is None:
        raise Http404
    today = timezone.localdate()
    month = month_param(request.GET.get("month", "")) or _last_month(today)
    street_ids = set(
        ResponsibilityZone.objects.filter(pk__in=scope.zone_ids).values_list("committee__street_id", flat=True)
    ) or {request.user.committee.street_id}
    earliest, _latest = _month_range(street_ids)
    if f"{month:%Y-%m}" < earliest or month > today.replace(day=1):
        messages.error(request, _("Choose a month from %(first)s to this one.") % {"first": earliest})
        month = max(_last_month(today), dt.datetime.strptime(earliest, "%Y-%m").date())
    start, end = month_bounds(month)
    running = start == today.replace(day=1)
    previous = _last_month(start)
    return render(
        request,
        "reports/unit_report.html",
        {
            "month": start,
            "running": running,
            "stats": statistics(scope, ReportUnit(), start, min(end, today + dt.timedelta(days=1))),
            "previous": statistics(scope, ReportUnit(), previous, start) if f"{previous:%Y-%m}" >= earliest else None,
            "previous_month": previous,
            "last_day": min(end - dt.timedelta(days=1), today),
            "earliest": earliest,
            "this_month": f"{today:%Y-%m}",
            "last_month": f"{_last_month(today):%Y-%m}",
        },
    )


@require_GET
@xframe_options_exempt
def public_street(request, code):
    """The street's figures for anyone, no login (reports.public): served from Redis with no
    query and no rendering while they are fresh; embeddable in a frame by the sites of
    ZHITONG_PUBLIC_EMBED_ORIGINS, by no other."""
    street_id = street_id_for(code)
    if street_id is None:
        raise Http404
    figures = public_figures(street_id)

    def render_page() -> str:
        return render_to_string(
            "reports/public_street.html",
            {
                "street": figures["street"],
                "this_month": figures["this_month"],
                "last_month": figures["last_month"],
                "as_of": dt.date.fromisoformat(figures["as_of"]),
            },
            request=request,
        )

    response = HttpResponse(cached_page(figures, get_language(), render_page))
    origins = settings.ZHITONG_PUBLIC_EMBED_ORIGINS
    if origins:
        response._csp_replace = {"frame-ancestors": origins}
    else:
        response["X-Frame-Options"] = "DENY"
    return response

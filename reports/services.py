import datetime as dt

from django.db import IntegrityError, transaction

from core import clock
from escalation import policy
from responders.models import StreetOffice
from responders.selectors import EVERYTHING

from .models import MonthlyReport
from .selectors import ReportUnit, statistics


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    start = month.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start, end


def monthly_report_generate(
    *, street: StreetOffice, month: dt.date, actor=None, now: dt.datetime | None = None
) -> MonthlyReport:
    """The street's report for `month`, computed once and then kept as issued: asking again
    (beat running twice, a clerk clicking twice) returns the stored one. A person issuing
    it must act for the street (beat, with no actor, issues every street's)."""
    if actor is not None:
        policy.require(actor, policy.Right.ISSUE_REPORT, street)
    start, end = month_bounds(month)
    existing = MonthlyReport.objects.filter(street=street, month=start).first()
    if existing is not None:
        return existing
    # The street's own figures: the report covers the whole street, whoever generates it.
    data = statistics(EVERYTHING, ReportUnit(street_id=street.pk), start, end)
    try:
        with transaction.atomic():
            return MonthlyReport.objects.create(
                street=street, month=start, data=data, generated_by=actor, generated_at=clock.now(now)
            )
    except IntegrityError:
        return MonthlyReport.objects.get(street=street, month=start)


def monthly_reports_generate_all(*, month: dt.date) -> int:
    count = 0
    for street in StreetOffice.objects.order_by("code"):
        monthly_report_generate(street=street, month=month)
        count += 1
    return count

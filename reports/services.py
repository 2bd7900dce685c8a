import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock
from core.errors import InvalidInput
from core.replica import on_replica
from escalation import policy
from responders.models import StreetOffice, User
from responders.selectors import EVERYTHING

from .models import MonthlyReport
from .selectors import ReportUnit, first_data_day, statistics


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    start = month.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start, end


def report_month_check(street: StreetOffice, month: dt.date, *, now: dt.datetime | None = None) -> None:
    """Refuse a month that may not be reported on (InvalidInput on "month"): one that has not
    ended, or one before the street had any data (1900-01, say). An issued report is
    permanent, so this is asked before one is made."""
    start, _end = month_bounds(month)
    this_month = timezone.localtime(clock.now(now)).date().replace(day=1)
    if start >= this_month:
        raise InvalidInput(_("A month can be reported once it has ended."), field="month")
    first = first_data_day(street.pk)
    if first is None:
        raise InvalidInput(_("%(street)s has no data to report yet.") % {"street": street}, field="month")
    if start < first.replace(day=1):
        raise InvalidInput(
            _("%(street)s has data from %(first)s: choose a month from then on.")
            % {"street": street, "first": f"{first:%Y-%m}"},
            field="month",
        )


def monthly_report_generate(
    *, street: StreetOffice, month: dt.date, actor=None, now: dt.datetime | None = None
) -> MonthlyReport:
    """The street's report for `month`, computed once and then kept as issued: asking again
    (beat running twice, a clerk clicking twice) returns the stored one. A person issuing
    it must act for the street (beat, with no actor, issues every street's), and may issue
    only an ended month within the street's data (`report_month_check`); beat issues the
    month just ended."""
    if actor is not None:
        policy.require(actor, policy.Right.ISSUE_REPORT, street)
    start, end = month_bounds(month)
    existing = MonthlyReport.objects.filter(street=street, month=start).first()
    if existing is not None:
        return existing
    if isinstance(actor, User):
        report_month_check(street, start, now=now)
    elif start >= timezone.localtime(clock.now(now)).date().replace(day=1):
        raise InvalidInput(_("A month can be reported once it has ended."), field="month")
    # The street's own figures: the report covers the whole street, whoever generates it.
    # An ended month's figures do not change: they may be counted on the read replica.
    data = on_replica(statistics, EVERYTHING, ReportUnit(street_id=street.pk), start, end)
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

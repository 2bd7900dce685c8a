import datetime as dt

from celery import shared_task
from django.utils import timezone

from .services import monthly_reports_generate_all


@shared_task(ignore_result=True)
def generate_monthly_reports() -> int:
    """Last month's report for every street (run by beat on the 1st)."""
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    return monthly_reports_generate_all(month=last_month)

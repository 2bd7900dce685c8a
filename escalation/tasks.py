import time

from celery import shared_task

from .sweep import sweep_overdue_tickets as sweep
from .sweep import sweep_run_record


@shared_task(ignore_result=True)
def sweep_overdue_tickets() -> str:
    started = time.monotonic()
    report = sweep()
    # Noted only here, where beat's schedule runs it: /healthz and the admin's front page say
    # when this stops (beat dead, no worker), which a sweep run by hand would hide.
    sweep_run_record(report, took_seconds=time.monotonic() - started)
    return str(report)

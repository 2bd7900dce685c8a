from celery import shared_task

from .sweep import sweep_overdue_tickets as sweep


@shared_task(ignore_result=True)
def sweep_overdue_tickets() -> str:
    return str(sweep())

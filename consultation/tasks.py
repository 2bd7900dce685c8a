from celery import shared_task

from .services import sweep_late_milestones


@shared_task(ignore_result=True)
def sweep_late_consultation_milestones() -> str:
    """Alert on late milestones of consultation matters (beat); each exactly once."""
    return f"alerted {sweep_late_milestones()} late milestones"

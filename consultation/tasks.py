from celery import shared_task

from .invitations import sweep_late_follow_ups
from .services import sweep_late_milestones


@shared_task(ignore_result=True)
def sweep_late_consultation_milestones() -> str:
    """Alert on late milestones of consultation matters and livelihood projects, and on
    invitations' decisions past their follow-up date (beat); each exactly once."""
    return f"alerted {sweep_late_milestones()} late milestones, {sweep_late_follow_ups()} late follow-ups"

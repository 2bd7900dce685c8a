from celery import shared_task

from .services import schedule_recurring


@shared_task(ignore_result=True)
def schedule_recurring_meetings() -> str:
    """Plan each unit's next recurring meeting (beat, daily); idempotent."""
    return f"scheduled {schedule_recurring()} meetings"

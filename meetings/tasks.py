from celery import shared_task

from .services import schedule_recurring
from .topics import find_recurring_problems


@shared_task(ignore_result=True)
def schedule_recurring_meetings() -> str:
    """Plan each unit's next recurring meeting (beat, daily); idempotent."""
    return f"scheduled {schedule_recurring()} meetings"


@shared_task(ignore_result=True)
def find_recurring_problem_topics() -> str:
    """Propose each street's recurring problems as topics (beat, nightly); each cluster once."""
    return f"proposed {find_recurring_problems()} recurring problems"

from celery import shared_task

from .services import messages_send, messages_send_due


@shared_task(ignore_result=True)
def send_resident_messages(ids: list[int]) -> int:
    """Send residents' SMS just committed. A failure waits in the row (`send_after`, with
    back-off) for `send_due_resident_messages`: no Celery countdown."""
    return messages_send(ids)


@shared_task(ignore_result=True)
def send_due_resident_messages() -> int:
    """Every minute from beat: the verdict reminders due, and every message whose time came
    (quiet hours over, a retry due, one the broker never carried)."""
    return messages_send_due()

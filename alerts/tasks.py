from celery import shared_task

from .delivery import alerts_send


@shared_task(autoretry_for=(Exception,), retry_backoff=5, retry_backoff_max=300, max_retries=8)
def send_alerts(ids: list[int]) -> int:
    """Hand new notifications to the extra channels (SMS, e-mail)."""
    return alerts_send(ids)

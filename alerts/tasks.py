from celery import shared_task

from .services import alerts_deliver


@shared_task(autoretry_for=(Exception,), retry_backoff=5, retry_backoff_max=300, max_retries=8)
def deliver_alerts(alerts: list[list]) -> int:
    return len(alerts_deliver(alerts))

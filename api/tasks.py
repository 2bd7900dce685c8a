from celery import shared_task

from .webhooks import webhooks_fan_out, webhooks_send_due


@shared_task(ignore_result=True)
def dispatch_webhooks() -> str:
    """Queue deliveries for new ticket events, then send what is due (beat, every few seconds)."""
    queued = webhooks_fan_out()
    attempted = webhooks_send_due()
    return f"queued {queued}, attempted {attempted}"

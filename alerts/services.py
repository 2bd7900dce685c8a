from collections.abc import Iterable

from django.db import transaction

from .models import Notification


def alerts_send_on_commit(alerts: Iterable[tuple[int, str, int | None]]) -> None:
    """Queue (recipient id, kind, ticket id) alerts to be delivered once the transaction commits.

    Nothing is sent for work that rolls back; one Celery message carries a whole batch.
    """
    alerts = sorted(set(alerts), key=lambda alert: (alert[0], alert[1], alert[2] or 0))
    if not alerts:
        return
    from .tasks import deliver_alerts

    transaction.on_commit(lambda: deliver_alerts.delay([list(alert) for alert in alerts]))


def alerts_deliver(alerts: list[list]) -> list[Notification]:
    """Write the in-app notifications, then hand them to the extra channels."""
    from .channels import extra_channels

    # One transaction: if a channel fails, the retry does not leave duplicate inbox rows.
    with transaction.atomic():
        return _deliver(alerts, extra_channels())


def _deliver(alerts, channels) -> list[Notification]:
    notifications = Notification.objects.bulk_create(
        [Notification(recipient_id=recipient, kind=kind, ticket_id=ticket) for recipient, kind, ticket in alerts]
    )
    for channel in channels:
        channel.send(notifications)
    return notifications

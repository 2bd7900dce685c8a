"""Alerts: written in the same transaction as the change they announce, so none is lost.

The Notification row is the in-app delivery: it appears in the person's inbox the moment
the change commits, or not at all if it rolls back. Extra channels (SMS, e-mail) are
handed the new rows through Celery once the transaction has committed; a row they have
not taken yet keeps `sent_at` empty and the sweep hands it over again.
"""

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from .models import Notification

logger = logging.getLogger(__name__)

# A row a channel has not taken this long after its creation is handed over again.
RESEND_AFTER = dt.timedelta(minutes=5)


def alerts_create(alerts: Iterable[tuple[int, str, int | None]]) -> list[Notification]:
    """Write (recipient id, kind, ticket id) alerts in the caller's transaction."""
    from .channels import extra_channels

    unique = sorted(set(alerts), key=lambda alert: (alert[0], alert[1], alert[2] or 0))
    if not unique:
        return []
    notifications = Notification.objects.bulk_create(
        [Notification(recipient_id=recipient, kind=kind, ticket_id=ticket) for recipient, kind, ticket in unique]
    )
    if extra_channels():
        ids = [notification.pk for notification in notifications]
        transaction.on_commit(lambda: _queue(ids), robust=True)
    return notifications


def _queue(ids: list[int]) -> None:
    from .tasks import send_alerts

    send_alerts.delay(ids)


def alerts_send(ids: list[int]) -> int:
    """Hand unsent notifications to every extra channel, marking each as it is taken.

    Each row is claimed under a row lock and marked in the same transaction as its sending,
    so a retry after a failure resends nothing already sent.
    """
    from .channels import extra_channels

    channels = extra_channels()
    sent = 0
    for pk in ids:
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("recipient", "ticket")
                .filter(pk=pk, sent_at__isnull=True)
                .first()
            )
            if notification is None:
                continue
            for channel in channels:
                channel.send([notification])
            notification.sent_at = timezone.now()
            notification.save(update_fields=["sent_at"])
            sent += 1
    return sent


def alerts_resend_stale(now: dt.datetime | None = None) -> int:
    """Queue again what no channel took (the broker was down, a worker died)."""
    from .channels import extra_channels

    if not extra_channels():
        return 0
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(sent_at__isnull=True, created_at__lt=now - RESEND_AFTER)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
    if ids:
        try:
            _queue(ids)
        except Exception:  # noqa: BLE001 - the broker may still be down; the next sweep retries
            logger.exception("Could not queue %s unsent alerts", len(ids))
            return 0
    return len(ids)

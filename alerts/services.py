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
from kombu.exceptions import OperationalError as KombuOperationalError

from core import clock
from core.bulk import insert_many
from core.redis_pause import BROKER

from .channels import extra_channels
from .models import Notification
from .tasks import send_alerts

logger = logging.getLogger(__name__)

# A row a channel has not taken this long after its creation is handed over again.
RESEND_AFTER = dt.timedelta(minutes=5)


def alerts_create(
    alerts: Iterable[tuple[int, str, int | None]], *, now: dt.datetime | None = None
) -> list[Notification]:
    """Write (recipient id, kind, ticket id) alerts in the caller's transaction, dated `now`."""
    now = clock.now(now)
    unique = sorted(set(alerts), key=lambda alert: (alert[0], alert[1], alert[2] or 0))
    if not unique:
        return []
    return _write(
        [
            Notification(recipient_id=recipient, kind=kind, ticket_id=ticket, created_at=now)
            for recipient, kind, ticket in unique
        ]
    )


def alerts_create_about(
    recipient_ids: Iterable[int], *, kind: str, subject: str, link: str, now: dt.datetime | None = None
) -> list[Notification]:
    """Write one alert of `kind` about something that is not a ticket (named by `subject`, at
    the site path `link`) to each recipient, in the caller's transaction, dated `now`."""
    now = clock.now(now)
    recipients = sorted(set(recipient_ids))
    if not recipients:
        return []
    return _write(
        [
            Notification(recipient_id=recipient, kind=kind, subject=subject[:200], link=link, created_at=now)
            for recipient in recipients
        ]
    )


def _write(notifications: list[Notification]) -> list[Notification]:
    """Insert the rows; once the transaction commits, hand them to the extra channels."""
    notifications = insert_many(notifications)
    if extra_channels():
        ids = [notification.pk for notification in notifications]
        transaction.on_commit(lambda: _queue_after_commit(ids), robust=True)
    return notifications


def _queue(ids: list[int]) -> None:
    send_alerts.delay(ids)


def _queue_after_commit(ids: list[int]) -> None:
    """Hand the committed rows to the channels' task; a broker that does not answer is
    logged, not raised: the change is made, and the sweep re-sends what was not queued. After
    the broker failed, this process publishes nothing for a moment (`core.redis_pause.BROKER`):
    while it is hung, one response per pause waits out its socket timeout, the others none."""
    if not BROKER.answering():
        return
    try:
        _queue(ids)
    except KombuOperationalError as error:
        BROKER.failed()
        logger.warning("Could not queue %s alerts, the sweep will (broker: %s)", len(ids), error)


def alerts_resend_stale(now: dt.datetime | None = None) -> int:
    """Queue again what no channel took (the broker was down, a worker died)."""
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

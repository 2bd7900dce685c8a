"""Handing alerts to the extra channels (SMS, e-mail): what the `send_alerts` task runs.

A channel is an outside service: it is never called while a row lock is held, and each
channel that takes an alert is recorded at once, so a failure of the second channel makes a
retry send through the second only. Two workers never hand over the same alert at once: a
short transaction leases it (`claimed_until`); a worker that dies leaves the lease to run
out, and the sweep queues the alert again (alerts.services.alerts_resend_stale).
"""

import datetime as dt

from django.db import transaction

from core import clock
from core.locks import claim_one, lock_one

from .channels import extra_channels
from .models import Notification

# How long one worker may take to hand an alert to every channel before another may.
LEASE = dt.timedelta(minutes=2)


def _lease(pk: int, now: dt.datetime) -> Notification | None:
    """The unsent alert `pk`, leased to this worker; None if it is sent or leased to another."""
    with transaction.atomic():
        notification = claim_one(
            Notification.objects.select_related("recipient", "ticket").filter(sent_at__isnull=True), pk
        )
        if notification is None or (notification.claimed_until and notification.claimed_until > now):
            return None
        notification.claimed_until = now + LEASE
        notification.save(update_fields=["claimed_until"])
        return notification


def _record(pk: int, *, channel: str | None = None, release: bool = False, now: dt.datetime | None = None) -> None:
    """Note that `channel` took the alert; with `now`, that every channel did (sent)."""
    with transaction.atomic():
        notification = lock_one(Notification.objects, pk)
        fields = []
        if channel is not None and channel not in notification.channels_done:
            notification.channels_done = [*notification.channels_done, channel]
            fields.append("channels_done")
        if now is not None:
            notification.sent_at = now
            fields.append("sent_at")
        if release or now is not None:
            notification.claimed_until = None
            fields.append("claimed_until")
        notification.save(update_fields=fields)


def alerts_send(ids: list[int], *, now: dt.datetime | None = None) -> int:
    """Hand unsent notifications to every extra channel that has not taken them yet.

    Returns how many were fully sent. A channel's failure releases the lease and is raised,
    so the Celery task retries: what other channels took already is not sent again.
    """
    channels = extra_channels()
    sent = 0
    for pk in ids:
        notification = _lease(pk, clock.now(now))
        if notification is None:
            continue
        for name, channel in channels:
            if name in notification.channels_done:
                continue
            try:
                channel.send([notification])
            except Exception:
                _record(pk, release=True)
                raise
            _record(pk, channel=name)
        _record(pk, now=clock.now(now))
        sent += 1
    return sent

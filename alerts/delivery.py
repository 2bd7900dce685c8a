"""Handing alerts to the extra channels (SMS, e-mail): what the `send_alerts` task runs."""

from django.db import transaction
from django.utils import timezone

from core.locks import claim_one

from .channels import extra_channels
from .models import Notification


def alerts_send(ids: list[int]) -> int:
    """Hand unsent notifications to every extra channel, marking each as it is taken.

    Each row is claimed under a row lock and marked in the same transaction as its sending,
    so a retry after a failure resends nothing already sent.
    """
    channels = extra_channels()
    sent = 0
    for pk in ids:
        with transaction.atomic():
            notification = claim_one(
                Notification.objects.select_related("recipient", "ticket").filter(sent_at__isnull=True), pk
            )
            if notification is None:
                continue
            for channel in channels:
                channel.send([notification])
            notification.sent_at = timezone.now()
            notification.save(update_fields=["sent_at"])
            sent += 1
    return sent

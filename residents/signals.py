from django.dispatch import receiver
from django.utils import timezone

from grievances.privacy import household_erased

from .models import ResidentMessage


@receiver(household_erased)
def forget_erased_numbers(sender, ticket_ids, **kwargs):
    """An erased reporter's number leaves the SMS outbox too, in the erasure's transaction;
    what was still waiting is not sent (and the page's link, made from the number, is dead)."""
    if not ticket_ids:
        return
    messages = ResidentMessage.objects.filter(ticket_id__in=ticket_ids)
    messages.filter(sent_at__isnull=True, failed_at__isnull=True).update(failed_at=timezone.now(), error="erased")
    messages.update(phone="")

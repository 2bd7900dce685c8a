"""Mark a street's public figures stale (reports.public) when they may have changed: a
ticket opened or its status changed (resolved, closed, reopened...: every status is written
by the transitions with `save(update_fields=[..., "status", ...])`), a resident's verdict
recorded, a month's report issued. Once the change commits, never for one rolled back."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from grievances.models import Feedback, Ticket

from .models import MonthlyReport
from .public import public_figures_stale


def _stale_on_commit(street_id: int) -> None:
    transaction.on_commit(lambda: public_figures_stale(street_id))


@receiver(post_save, sender=Ticket)
def ticket_saved(sender, instance, created, update_fields=None, **kwargs):
    if created or update_fields is None or "status" in update_fields:
        _stale_on_commit(instance.street_id)


@receiver(post_save, sender=Feedback)
def feedback_saved(sender, instance, created, **kwargs):
    if created:
        _stale_on_commit(instance.ticket.street_id)


@receiver(post_save, sender=MonthlyReport)
def report_issued(sender, instance, created, **kwargs):
    if created:
        _stale_on_commit(instance.street_id)

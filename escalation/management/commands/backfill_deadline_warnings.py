from django.core.management.base import BaseCommand
from django.utils import timezone

from escalation.transitions import backfill_warnings


class Command(BaseCommand):
    help = (
        "Once, after upgrading: give open tickets opened before the deadline warnings existed their "
        "two warning moments (a quarter of the time left, one working day left). Safe to run again."
    )

    def handle(self, *args, **options):
        count = backfill_warnings(now=timezone.now())
        self.stdout.write(self.style.SUCCESS(f"Warning moments set on {count} open tickets."))

from django.core.management.base import BaseCommand

from escalation.sweep import sweep_overdue_tickets


class Command(BaseCommand):
    help = "Run the overdue sweep once, now: escalate, flag and close what has fallen due."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, help="Tickets per transaction (default: the setting).")

    def handle(self, *args, batch_size=None, **options):
        report = sweep_overdue_tickets(batch_size=batch_size)
        self.stdout.write(self.style.SUCCESS(f"Sweep done: {report}"))

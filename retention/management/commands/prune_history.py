from django.core.management.base import BaseCommand

from retention.services import KIND_NAMES, history_prune


class Command(BaseCommand):
    help = (
        "Delete the history past its keep days (ZHITONG_*_KEEP_DAYS): old idempotency records, settled "
        "webhook deliveries, read alerts, sent SMS, sign-ins, expired sessions. Never a ticket or an event. "
        "Safe beside the nightly run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, help="Rows per transaction (default: the setting).")
        parser.add_argument(
            "--only", action="append", choices=KIND_NAMES, help="Prune this kind only (repeatable; default: all)."
        )

    def handle(self, *args, batch_size=None, only=None, **options):
        report = history_prune(batch_size=batch_size, kinds=tuple(only or KIND_NAMES))
        self.stdout.write(self.style.SUCCESS("Pruned: " + ", ".join(f"{k} {n}" for k, n in report.items())))

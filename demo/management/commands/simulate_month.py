import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demo.month import APPLICATIONS, simulate_month


class Command(BaseCommand):
    help = (
        "Simulate a month of activity on the demo street through the real services (tickets, "
        "visits, meetings, referrals, feedback) and issue its monthly report. Default: last month."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM, a month that has ended (default: last month).")
        parser.add_argument("--tickets", type=int, default=200, help="Tickets opened in the month (default 200).")
        parser.add_argument(
            "--applications",
            type=int,
            default=APPLICATIONS,
            help=f"Applications at the service window in the month (default {APPLICATIONS}).",
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed, the same month.")
        parser.add_argument(
            "--if-new", action="store_true", help="Do nothing (and succeed) if the month already has activity."
        )

    def handle(self, *args, **options):
        if options["month"]:
            try:
                month = dt.datetime.strptime(options["month"], "%Y-%m").date()
            except ValueError:
                raise CommandError(f"--month must be YYYY-MM, not {options['month']!r}.") from None
        else:
            month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
        if options["tickets"] < 1:
            raise CommandError("--tickets must be 1 or more.")
        if options["applications"] < 0:
            raise CommandError("--applications must be 0 or more.")
        try:
            ledger, report = simulate_month(
                month=month, tickets=options["tickets"], seed=options["seed"], applications=options["applications"]
            )
        except ValueError as error:
            if options["if_new"]:
                self.stdout.write(f"Month not simulated: {error}")
                return
            raise CommandError(str(error)) from None
        head = report.data["headline"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Simulated {month:%Y-%m} on {report.street}: {ledger.created} tickets opened, "
                f"{ledger.resolved} settled, {sum(ledger.meetings_held.values())} meetings held, "
                f"{len(ledger.visited)} households visited. Report issued: {head['received']} received, "
                f"resolution rate {head['resolution_rate']}."
            )
        )

from django.core.management.base import BaseCommand

from demo.duplicates import play


class Command(BaseCommand):
    help = (
        "On the demo street this week: a lift reported at the door, by phone and by 12345 as one ticket "
        "with three reporters, and a recurring leak proposed to the risk-screening meeting. Idempotent."
    )

    def handle(self, *args, **options):
        self.stdout.write(self.style.SUCCESS(play()))

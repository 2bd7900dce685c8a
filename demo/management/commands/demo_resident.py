from django.conf import settings
from django.core.management.base import BaseCommand

from demo.resident import DEMO_PHONE, demo_resident_ticket


class Command(BaseCommand):
    help = (
        "Open (once) the demo resident's hotline request, dealt with and waiting for their verdict, "
        "and print the address of the resident's page (what their SMS links to)."
    )

    def handle(self, *args, **options):
        ticket, path, created = demo_resident_ticket()
        self.stdout.write(
            f"{'Opened' if created else 'Found'} the demo resident's request {ticket.reference} "
            f"(phone {DEMO_PHONE}, last four digits {DEMO_PHONE[-4:]}).\n"
            f"Resident's page: {settings.ZHITONG_PUBLIC_URL}{path}\n"
            f"Look-up form:    {settings.ZHITONG_PUBLIC_URL}/r/"
        )

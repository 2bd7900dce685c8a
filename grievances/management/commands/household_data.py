"""A resident's request about their data, by an operator on the server (the screens do the
same for the street's staff): export a household's data as JSON, or erase it. Both logged."""

import getpass
import json

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from core.errors import InvalidInput
from grievances import privacy
from grievances.models import Household


class Command(BaseCommand):
    help = "Export a household's personal data as JSON, or erase it (irreversible), at the resident's request."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Print (or write) the household's data as JSON.")
        export.add_argument("household", type=int, help="The household's id.")
        export.add_argument("--note", required=True, help="The resident's request: who asked, when.")
        export.add_argument("--output", help="Write to this file instead of standard output.")
        erase = sub.add_parser("erase", help="Erase the household's personal data; tickets stay, anonymised.")
        erase.add_argument("household", type=int, help="The household's id.")
        erase.add_argument("--reason", required=True, help="Why: who asked, when, how their identity was checked.")
        erase.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, action, household, **options):
        found = Household.objects.select_related("zone__committee__street", "building").filter(pk=household).first()
        if found is None:
            raise CommandError(f"No household {household}.")
        label = f"manage.py household_data ({getpass.getuser()})"
        if action == "export":
            data = privacy.export_household(found, note=options["note"], actor_label=label)
            body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
            if options.get("output"):
                with open(options["output"], "w", encoding="utf-8") as out:
                    out.write(body + "\n")
                self.stderr.write(f"Wrote {options['output']}.")
            else:
                self.stdout.write(body)
            return
        if not options["yes"]:
            answer = input(f"Erase the personal data of {found.address} ({found.zone})? This cannot be undone. [y/N] ")
            if answer.strip().lower() not in {"y", "yes"}:
                raise CommandError("Nothing erased.")
        try:
            erasure = privacy.erase_household(found, reason=options["reason"], actor_label=label)
        except InvalidInput as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Erased household {found.pk}: {len(erasure.ticket_ids)} tickets anonymised, "
                f"{erasure.visits} visit notes cleared."
            )
        )

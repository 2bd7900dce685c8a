from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from demo import street as demo
from demo.consultation import (
    seed_consultation,
    seed_hearing_and_covenant,
    seed_invitation,
    seed_livelihood,
    seed_year_end_evaluation,
)
from meetings.services import schedule_recurring
from responders.models import StreetOffice


class Command(BaseCommand):
    help = (
        "Seed the demo street (Wuliqiao-like: 4 committees, 14 zones, about 4,000 households, "
        "one login per role). --scale district|city, or the numbers, add generated streets for benchmarks. "
        "Deterministic and idempotent: a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(demo.SCALES), default="demo")
        parser.add_argument("--districts", type=int, help="Override the scale's number of districts.")
        parser.add_argument("--streets", type=int, help="Streets per district.")
        parser.add_argument("--committees", type=int, help="Residential committees per street.")
        parser.add_argument("--zones", type=int, help="Responsibility zones per committee.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar.")

    def handle(self, *args, **options):
        preset = demo.SCALES[options["scale"]]
        overrides = {
            "districts": options["districts"],
            "streets_per_district": options["streets"],
            "committees_per_street": options["committees"],
            "zones_per_committee": options["zones"],
        }
        for name, value in overrides.items():
            if value is not None and value < 0:
                raise CommandError(f"--{name.split('_')[0]} must be zero or more, not {value}.")
        scale = demo.Scale(
            **{name: (value if value is not None else getattr(preset, name)) for name, value in overrides.items()}
        )
        total = sum(n for _, _, n in demo.DEMO_COMMITTEES) + scale.zones
        with tqdm(total=total, unit="zone", disable=options["no_progress"], file=self.stderr) as bar:
            street = demo.seed_demo_street(progress=bar.update)
            extra = demo.seed_scale(scale, progress=bar.update)
        demo_street = StreetOffice.objects.get(code=demo.DEMO_STREET[0])
        matters = seed_consultation(demo_street)
        projects = seed_livelihood(demo_street)
        invited = seed_invitation(demo_street)
        seed_hearing_and_covenant(demo_street)
        seed_year_end_evaluation(demo_street)
        # What beat would plan tonight: each unit's next recurring meeting (idempotent).
        meetings = schedule_recurring()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo street: {street.zones} zones, {street.households_created} households created. "
                f"Generated: {extra.zones} zones, {extra.households_created} households created. "
                f"Recurring meetings planned: {meetings}. "
                f"Consultation matters: {matters}, livelihood projects: {projects}, invitations: {invited}. "
                f"Demo logins use the password '{demo.DEMO_PASSWORD}'."
            )
        )

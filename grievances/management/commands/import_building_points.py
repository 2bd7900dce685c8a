"""Buildings' points from a CSV file (a survey, the district's address register):

    manage.py import_building_points points.csv

A header line names the columns: `lat` and `long` (WGS-84 degrees; both empty clears the
point), and the building either by `building` (its id) or by `zone` (the zone's code) and
`name`. Every line is checked first; when any is wrong, each wrong line is reported with its
number and nothing is written. Importing the same file again changes nothing.
"""

import csv

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.errors import InvalidInput
from core.geo import check_point
from grievances.models import Building


class Command(BaseCommand):
    help = "Set buildings' coordinates from a CSV file (building or zone+name, lat, long); all lines or none."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV with a header: building (id) or zone (code) and name; lat; long.")

    def handle(self, *args, file, **options):
        try:
            with open(file, encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.DictReader(handle))
                header = set(rows[0]) if rows else set()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{file} is not UTF-8 text.") from error
        if not rows:
            raise CommandError(f"{file} has no lines after its header.")
        if not {"lat", "long"} <= header or not ("building" in header or {"zone", "name"} <= header):
            raise CommandError(
                f"{file}: the header must name lat, long and either building or zone and name "
                f"(it has: {', '.join(sorted(h for h in header if h)) or 'nothing'})."
            )
        by_id = Building.objects.in_bulk([int(r["building"]) for r in rows if (r.get("building") or "").isdigit()])
        by_name = {
            (zone_code, name): building
            for building, zone_code, name in (
                (b, b.zone.code, b.name)
                for b in Building.objects.select_related("zone").filter(
                    zone__code__in={(r.get("zone") or "").strip() for r in rows}
                )
            )
        }
        points, problems = {}, []
        for number, row in enumerate(rows, start=2):  # line 1 is the header
            building_id = (row.get("building") or "").strip()
            if building_id:
                building = by_id.get(int(building_id)) if building_id.isdigit() else None
                where = f"building {building_id}"
            else:
                zone_code, name = (row.get("zone") or "").strip(), (row.get("name") or "").strip()
                building = by_name.get((zone_code, name))
                where = f"building {name!r} in zone {zone_code!r}" if zone_code or name else "no building named"
            if building is None:
                problems.append(f"line {number}: {where}: no such building.")
                continue
            try:
                point = check_point(row.get("lat"), row.get("long"))
            except InvalidInput as error:
                problems.append(f"line {number}: {error.field}: {error.message}")
                continue
            if building.pk in points and points[building.pk] != point:
                problems.append(f"line {number}: {where} is on an earlier line with another point.")
                continue
            points[building.pk] = point
        if problems:
            raise CommandError("Nothing imported:\n" + "\n".join(problems))
        changed = []
        buildings = {**by_id, **{b.pk: b for b in by_name.values()}}
        for pk, point in points.items():
            building = buildings[pk]
            lat, long = point or (None, None)
            if (building.lat, building.long) != (lat, long):
                building.lat, building.long = lat, long
                changed.append(building)
        with transaction.atomic():
            Building.objects.bulk_update(changed, ["lat", "long"], batch_size=1000)
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(points)} buildings read, {len(changed)} changed, {len(points) - len(changed)} as before."
            )
        )

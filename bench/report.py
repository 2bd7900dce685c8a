"""How fast are the statistics behind the reports? Prints figures; it is not a test.

    .venv/bin/python bench/sweep.py --tickets 1000000 --overdue 0   # builds zhitong_bench first
    .venv/bin/python bench/report.py                                # a street's month and year
    .venv/bin/python bench/report.py --database-url postgres://postgres@127.0.0.1:5432/zhitong_city \\
        --city                                                      # after seed_demo --scale city there

It reads (never writes) the given database: by default the one bench/sweep.py builds, whose
demo street WLQ holds every generated ticket. It times reports.selectors.statistics for the
street's busiest month and its whole year, and with --city the whole database's year.
"""

import argparse
import datetime as dt
import os
import statistics as stats
import sys
import time
from pathlib import Path

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zhitong_bench"


def configure(database_url: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.local", DATABASE_URL=database_url, DEBUG="false", LOG_LEVEL="WARNING"
    )
    import django

    django.setup()


def timed(label: str, call, repeat: int) -> None:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        runs.append(time.perf_counter() - started)
    head = result["headline"]
    print(
        f"{label}: median {stats.median(runs):.2f} s, min {min(runs):.2f} s over {repeat} runs; "
        f"{head['received']:,} received, {head['resolved']:,} resolved, "
        f"{len(result['by_category'])} categories, {len(result['by_zone'])} zones"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--city", action="store_true", help="also time a city-wide year (all streets)")
    args = parser.parse_args(argv)
    configure(args.database_url)

    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from grievances.models import Ticket
    from reports.selectors import Unit, statistics
    from responders.models import StreetOffice
    from responders.selectors import EVERYTHING

    street = StreetOffice.objects.annotate(n=Count("tickets")).order_by("-n").first()
    if street is None or not street.n:
        sys.exit("No tickets here: build them first with bench/sweep.py (or seed a city).")
    months = (
        Ticket.objects.filter(street=street)
        .annotate(m=TruncMonth("created_at"))
        .values("m")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    busiest = months[0]
    month = busiest["m"].date() if hasattr(busiest["m"], "date") else busiest["m"]
    month_end = (month + dt.timedelta(days=32)).replace(day=1)
    year = dt.date(month.year, 1, 1)
    print(
        f"Zhitong report benchmark: {Ticket.objects.count():,} tickets in all; street {street.code} has "
        f"{street.n:,}; its busiest month {month:%Y-%m} has {busiest['n']:,}"
    )
    timed(
        f"street {street.code}, month {month:%Y-%m} (goal < 2 s with 100,000 tickets in the year)",
        lambda: statistics(EVERYTHING, Unit(street_id=street.pk), month, month_end),
        args.repeat,
    )
    timed(
        f"street {street.code}, year {month.year} to {month_end}",
        lambda: statistics(EVERYTHING, Unit(street_id=street.pk), year, month_end),
        args.repeat,
    )
    if args.city:
        timed(
            f"city-wide year {month.year} (goal < 10 s on seed_demo --scale city data)",
            lambda: statistics(EVERYTHING, Unit(), year, month_end),
            args.repeat,
        )


if __name__ == "__main__":
    main()

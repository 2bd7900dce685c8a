"""How fast are the statistics behind the reports? Prints figures; it is not a test.

    .venv/bin/python bench/sweep.py --tickets 1000000 --overdue 0   # builds zhitong_bench first
    .venv/bin/python bench/report.py                                # a street's month and year
    .venv/bin/python bench/report.py --make-events                  # first add timelines, feedback...
    .venv/bin/python bench/report.py --database-url postgres://postgres@127.0.0.1:5432/zhitong_city \\
        --city                                                      # after seed_demo --scale city there

Without --make-events it reads (never writes) the given database: by default the one
bench/sweep.py builds, whose demo street WLQ holds every generated ticket. It times
reports.selectors.statistics for the street's busiest month and its whole year, and with --city
the whole database's year (only that, if the database has no tickets yet).

bench/sweep.py writes tickets only: no timeline events, feedback, referrals or households, so
the late-response and carried-up tests, satisfaction and the department scorecards find empty
tables. --make-events (opt-in; only a database whose name contains "bench") first replaces the
ticket events, feedback and referrals with generated ones derived from each ticket's columns:
created, acknowledged, started, resolved, closed, feedback (about 5 events per ticket), a
response flagged late on 1 ticket in 20, a sweep escalation zone -> committee on 1 in 20
committee/street tickets, feedback on 3 in 5 closed tickets, a referral on 1 in 25, and 2 in 5
tickets get a household of their zone (for the hot spots; an UPDATE, so the ticket table grows by
its dead rows). bench/sweep.py empties the events again on its next run: run --make-events after it.
"""

import argparse
import datetime as dt
import os
import statistics as stats
import sys
import time

from _common import ROOT, bench_database

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zhitong_bench"


def configure(database_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.local", DATABASE_URL=database_url, DEBUG="false", LOG_LEVEL="WARNING"
    )
    import django

    django.setup()


def make_events(database_url: str) -> None:
    """Replace the timelines, feedback and referrals of every ticket with generated ones."""
    from django.db import connection, transaction

    bench_database(database_url, "--make-events truncates tables")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("TRUNCATE grievances_ticketevent, grievances_feedback, escalation_referral CASCADE")
        cursor.execute(EVENTS)
        events = cursor.rowcount
        cursor.execute(FEEDBACK)
        feedback = cursor.rowcount
        cursor.execute(REFERRALS)
        referrals = cursor.rowcount
        cursor.execute(HOUSEHOLDS)
        households = cursor.rowcount
    with connection.cursor() as cursor:
        for table in ("grievances_ticket", "grievances_ticketevent", "grievances_feedback", "escalation_referral"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(
        f"made {events:,} events, {feedback:,} feedback, {referrals:,} referrals; {households:,} tickets "
        f"given a household ({time.perf_counter() - started:.1f} s)"
    )


# One row per (ticket, step it went through), from the ticket's columns and id alone.
EVENTS = """
INSERT INTO grievances_ticketevent
    (ticket_id, kind, at, actor_label, from_status, to_status, from_tier, to_tier, note, data)
SELECT t.id, e.kind, e.at, e.actor_label, e.from_status, e.to_status, e.from_tier, e.to_tier, '', '{}'::jsonb
FROM grievances_ticket t
CROSS JOIN LATERAL (VALUES
    ('created', t.created_at, '', '', 'new', '', t.tier, true),
    ('respond_overdue', t.created_at + interval '1 day', 'sweep', '', '', '', '', mod(t.id, 20) = 3),
    ('escalated', t.created_at + interval '2 days', 'sweep', 'in_progress', 'new', 'zone', 'committee',
     mod(t.id, 20) = 7 AND t.tier <> 'zone'),
    ('acknowledged', t.responded_at, '', 'new', 'acknowledged', '', '', t.responded_at IS NOT NULL),
    ('started', t.responded_at + interval '1 hour', '', 'acknowledged', 'in_progress', '', '',
     t.status IN ('in_progress', 'referred', 'resolved', 'closed')),
    ('resolved', t.resolved_at, '', 'in_progress', 'resolved', '', '', t.resolved_at IS NOT NULL),
    ('feedback', t.resolved_at + interval '1 day', '', '', '', '', '', t.resolved_at IS NOT NULL AND mod(t.id, 5) < 3),
    ('closed', t.closed_at, '', 'resolved', 'closed', '', '', t.closed_at IS NOT NULL)
) AS e(kind, at, actor_label, from_status, to_status, from_tier, to_tier, happened)
WHERE e.happened
ORDER BY t.id, e.at
"""
FEEDBACK = """
INSERT INTO grievances_feedback (ticket_id, satisfaction, comment, collected_via, created_at)
SELECT id,
       CASE WHEN mod(id / 5, 10) < 7 THEN 'satisfied' WHEN mod(id / 5, 10) < 9 THEN 'basically_satisfied'
            ELSE 'dissatisfied' END,
       '', 'phone', resolved_at + interval '1 day'
FROM grievances_ticket WHERE resolved_at IS NOT NULL AND mod(id, 5) < 3
"""
REFERRALS = """
INSERT INTO escalation_referral
    (ticket_id, department_id, duty, answer_by, answer, progress, return_reason, answered_at, created_at)
SELECT t.id, d.ids[1 + mod(t.id / 25, array_length(d.ids, 1))], '', t.created_at + interval '5 days', '', '', '',
       CASE WHEN t.resolved_at IS NULL THEN NULL
            ELSE t.created_at + CASE WHEN mod(t.id, 4) = 0 THEN interval '7 days' ELSE interval '3 days' END END,
       t.created_at + interval '1 day'
FROM grievances_ticket t CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM responders_department) d
WHERE mod(t.id, 25) = 11 AND d.ids IS NOT NULL
"""
HOUSEHOLDS = """
UPDATE grievances_ticket t SET household_id = h.id
FROM (SELECT id, zone_id, row_number() OVER (PARTITION BY zone_id ORDER BY id) AS n,
             count(*) OVER (PARTITION BY zone_id) AS of
      FROM grievances_household) h
WHERE h.zone_id = t.zone_id AND h.n = 1 + mod(t.id * 7919, h.of) AND mod(t.id, 5) < 2
  AND t.household_id IS DISTINCT FROM h.id
"""


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
        f"{len(result['by_category'])} categories, {len(result['by_zone'])} zones, "
        f"{result['visits']['households']:,} households"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--city", action="store_true", help="also time a city-wide year (all streets)")
    parser.add_argument(
        "--make-events",
        action="store_true",
        help="first replace ticket events, feedback and referrals with generated ones (bench databases only)",
    )
    args = parser.parse_args(argv)
    configure(args.database_url)
    if args.make_events:
        make_events(args.database_url)

    from django.db.models import Count
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    from grievances.models import Ticket
    from reports.selectors import ReportUnit, statistics
    from responders.models import StreetOffice
    from responders.selectors import EVERYTHING

    street = StreetOffice.objects.annotate(n=Count("tickets")).order_by("-n").first()
    if (street is None or not street.n) and args.city:
        # A city just seeded has org units and households but no tickets yet.
        today = timezone.localdate()
        print("Zhitong report benchmark: no tickets; timing the city-wide year to date only")
        timed(
            f"city-wide year {today.year} (goal < 10 s on seed_demo --scale city data)",
            lambda: statistics(EVERYTHING, ReportUnit(), dt.date(today.year, 1, 1), today + dt.timedelta(days=1)),
            args.repeat,
        )
        return
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
        lambda: statistics(EVERYTHING, ReportUnit(street_id=street.pk), month, month_end),
        args.repeat,
    )
    timed(
        f"street {street.code}, year {month.year} to {month_end}",
        lambda: statistics(EVERYTHING, ReportUnit(street_id=street.pk), year, month_end),
        args.repeat,
    )
    if args.city:
        timed(
            f"city-wide year {month.year} (goal < 10 s on seed_demo --scale city data)",
            lambda: statistics(EVERYTHING, ReportUnit(), year, month_end),
            args.repeat,
        )


if __name__ == "__main__":
    main()

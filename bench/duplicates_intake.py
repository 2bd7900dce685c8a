"""The time of a duplicate suggestion at intake, on the city-scale database. Prints figures; not a test.

    .venv/bin/python bench/duplicates_intake.py                      # 300 suggestions
    .venv/bin/python bench/duplicates_intake.py --suggestions 500 --database-url postgres://…/zhitong_bench_x

Read-only: the session is `default_transaction_read_only`, so nothing can be written. The
database (default postgres://postgres@127.0.0.1:5432/zhitong_bench_city, built by seed_demo
--scale city and bench/sweep.py: about 3 million tickets on street WLQ's 14 zones) must have
been built; the script refuses one whose name lacks `bench`.

What is timed is the whole suggestion as the desk asks for it (intake.views.duplicate_suggestions):
grievances.duplicates.likely_duplicates with the `acting_scope(user)` of a street
staff member and of a committee's staff — the candidate query (open tickets of the household's
building, or of the zone and category, within the category's window, the newest SCANNED) and
the comparison of the new description with each candidate. The requests are varied: each
takes the zone and category of an open ticket drawn at random across the zones (every other
one also a household of that zone, so its building's tickets are candidates too) and a
description from the labelled pairs of a like category, so the new report is real Chinese (the
generated candidates read "Benchmark ticket N", short and alike: the comparison with real
texts is timed by bench/duplicates.py). All the suggestions run twice: first with the comparison's
profile cache cleared before each (every candidate read from its text, as after a restart),
then again with the cache kept (as in a running server, where the newest open tickets of a
zone are compared again and again).

Prints p50, p90, p99 and the slowest of the whole call and of its query alone (the same
queryset evaluated), the candidates compared, the goal (under 50 ms), and EXPLAIN (ANALYZE,
BUFFERS) of the candidate queries (grievances.duplicates.candidate_queries) of a request placed
by a household (its building's, and its zone and category's) and of one placed by zone. Each
request is asked by someone who acts for its zone (the committee's staff when its committee
does, every other time; else the street's), as the desk and a partner's key only ask of their
own units.
"""

import argparse
import csv
import os
import random
import statistics
import sys
import time

from _common import ROOT, bench_database

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zhitong_bench_city"
GOAL_MS = 50
# Which labelled pairs' texts read like a ticket of each category (grievances' seeded codes).
LABELLED = {
    "housing": ("leak", "drainage", "clutter", "lift"),
    "environment": ("rubbish", "noise", "greenery"),
    "neighbour_dispute": ("dispute", "noise"),
    "public_facilities": ("lift", "lighting", "drainage"),
    "public_safety": ("security", "clutter"),
    "urban_management": ("parking", "dispute"),
}


def configure(database_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.local", DATABASE_URL=database_url, DEBUG="false", LOG_LEVEL="WARNING"
    )
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET default_transaction_read_only = on")


def texts_by_category() -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    for name in ("duplicate_pairs.tsv", "duplicate_pairs_extra.tsv"):
        with (ROOT / "tests" / "data" / name).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                texts.setdefault(row["category"], []).extend((row["a"], row["b"]))
    return texts


def _place(request: dict) -> dict:
    """The request without its description: what the candidate query takes."""
    return {key: value for key, value in request.items() if key != "description"}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_CITY_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--suggestions", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args(argv)
    bench_database(args.database_url, "it reads the city-scale tickets")
    configure(args.database_url)

    from django.db import connection
    from django.db.models import Max, Min

    from core import similarity
    from core.enums import OPEN_STATUSES
    from escalation.policy import acting_scope
    from grievances import duplicates
    from grievances.models import Category, Household, Ticket
    from responders.models import User

    street_staff = User.objects.filter(role=User.Role.STREET_STAFF, is_active=True).order_by("pk").first()
    committee_staff = User.objects.filter(role=User.Role.COMMITTEE_STAFF, is_active=True).order_by("pk").first()
    callers = [user for user in (street_staff, committee_staff) if user is not None]
    if not callers:
        sys.exit("no street or committee staff in this database: was it built by seed_demo?")
    texts = texts_by_category()
    categories = {c.pk: c for c in Category.objects.all()}
    open_count = Ticket.objects.filter(status__in=OPEN_STATUSES).count()
    print(f"database {connection.settings_dict['NAME']}: {open_count:,} open tickets, {len(categories)} categories")

    # Requests like the ones a desk takes: the place and category of open tickets drawn at random.
    rng = random.Random(args.seed)
    top = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    household_ids: dict[int, dict] = {}  # each zone's lowest and highest household id

    def household_of(zone_id: int):
        if zone_id not in household_ids:
            household_ids[zone_id] = Household.objects.filter(zone_id=zone_id).aggregate(low=Min("pk"), high=Max("pk"))
        low, high = household_ids[zone_id]["low"], household_ids[zone_id]["high"]
        if low is None:
            return None
        return (
            Household.objects.filter(zone_id=zone_id, pk__gte=rng.randint(low, high))
            .select_related("building")
            .order_by("pk")
            .first()
        )

    requests, callers_of = [], []
    for _round in range(50):  # a database with few open tickets gives fewer suggestions
        if len(requests) >= args.suggestions:
            break
        ids = [rng.randint(1, top) for _ in range(args.suggestions * 2)]
        for ticket in Ticket.objects.filter(pk__in=ids, status__in=OPEN_STATUSES).select_related("household"):
            if ticket.category_id is None or ticket.zone_id is None:
                continue
            category = categories[ticket.category_id]
            kinds = LABELLED.get(category.code) or tuple(texts)
            words = [text for kind in kinds for text in texts[kind]]
            # Every other request comes from a resident of the ticket's zone: its household (building)
            # if it has one, else one drawn from the zone's households.
            household = None
            if len(requests) % 2 == 0:
                household = ticket.household or household_of(ticket.zone_id)
            # The desk asks for its own units only: every other request is the committee staff's
            # when the committee acts for the zone, the others the street staff's.
            place = {"street_id": ticket.street_id, "committee_id": ticket.committee_id, "zone_id": ticket.zone_id}
            able = [user for user in callers if acting_scope(user).covers(**place)]
            callers_of.append(able[len(requests) % len(able)] if able else callers[0])
            requests.append(
                {
                    "category": category,
                    "description": rng.choice(words),
                    "household": household,
                    "zone_id": None if household else ticket.zone_id,
                }
            )
    requests, callers_of = requests[: args.suggestions], callers_of[: args.suggestions]
    if not requests:
        sys.exit("no open tickets with a zone and category in this database")
    kinds = sum(r["household"] is not None for r in requests)
    zones = len({r["zone_id"] or r["household"].zone_id for r in requests})
    print(
        f"{len(requests)} suggestions: {kinds} placed by a household (building or zone and category), "
        f"{len(requests) - kinds} by zone and category only; {zones} zones, "
        f"{len({r['category'].pk for r in requests})} categories; callers: "
        + ", ".join(f"{u.username} ({u.role}) {callers_of.count(u)}" for u in callers)
    )

    def suggest_all(cold: bool) -> tuple[list[float], list[int]]:
        times, shown = [], []
        for i, request in enumerate(requests):
            scope = acting_scope(callers_of[i])
            if cold:
                similarity.profile.cache_clear()
            start = time.perf_counter()
            found = duplicates.likely_duplicates(scope, **request)
            times.append((time.perf_counter() - start) * 1e3)
            shown.append(len(found))
        return times, shown

    whole, counts = suggest_all(cold=True)
    warm, _shown = suggest_all(cold=False)

    query_times, scanned = [], []
    for i, request in enumerate(requests):
        scope = acting_scope(callers_of[i])
        start = time.perf_counter()
        rows = duplicates.candidates(scope, **_place(request))
        query_times.append((time.perf_counter() - start) * 1e3)
        scanned.append(len(rows))

    def line(name, values):
        return (
            f"  {name:28} p50 {percentile(values, 0.5):6.1f}  p90 {percentile(values, 0.9):6.1f}  "
            f"p99 {percentile(values, 0.99):6.1f}  max {max(values):6.1f} ms"
        )

    print(f"\ntime of one suggestion (goal: under {GOAL_MS} ms), {len(requests)} suggestions:")
    print(line("whole, profiles cold", whole))
    print(line("whole, profiles cached", warm))
    print(line("candidate query alone", query_times))
    for name, values in (("cold", whole), ("cached", warm)):
        p99 = percentile(values, 0.99)
        print(f"  goal {'met' if p99 < GOAL_MS else 'not met'} at p99, {name} ({p99:.1f} ms against {GOAL_MS} ms)")
    print(
        f"  candidates compared per suggestion: median {statistics.median(scanned):.0f}, max {max(scanned)} "
        f"(at most {duplicates.SCANNED}); suggestions shown: median {statistics.median(counts):.0f}"
    )

    for i in (
        next((i for i, r in enumerate(requests) if r["household"] is not None), None),
        next((i for i, r in enumerate(requests) if r["household"] is None and callers_of[i] != callers[0]), None),
    ):
        if i is None:
            continue
        request = requests[i]
        queries = duplicates.candidate_queries(acting_scope(callers_of[i]), **_place(request))
        how = "by a household" if request["household"] is not None else "by zone and category"
        for (query, _same_building), what in zip(
            queries, ("building", "zone and category")[-len(queries) :], strict=True
        ):
            print(f"\nEXPLAIN (ANALYZE, BUFFERS), {callers_of[i].role}, a request placed {how}: the {what} query")
            print(query.explain(analyze=True, buffers=True))


if __name__ == "__main__":
    main()

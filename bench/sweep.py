"""How fast is the overdue sweep on a big ticket table? Prints figures; it is not a test.

    .venv/bin/python bench/sweep.py                      # 200k open, 400k closed, 100k overdue
    .venv/bin/python bench/sweep.py --open 1000000 --closed 2000000 --overdue 100000

It works in its own PostgreSQL database (default zhitong_bench, created if missing; a database
whose name lacks "bench" is refused, because the ticket table gets truncated): migrate,
seed_demo (the demo street WLQ has staff at every tier), then the ticket table is built with
set-based SQL. A second run with the same sizes keeps the table and only resets the rows an
earlier run changed. Alerts go to kombu's filesystem broker in a temporary folder and are
counted, never delivered. See bench/README.md.
"""

import argparse
import base64
import cProfile
import datetime as dt
import functools
import inspect
import io
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from _common import ROOT, bench_database, ensure_database, postgres_cpu_seconds

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zhitong_bench"

# The goals (lead engineer's brief).
GOAL_IDLE_MS, GOAL_IDLE_OPEN = 50, 1_000_000
GOAL_ESCALATE_S, GOAL_ESCALATE_N = 30, 100_000

OPEN = ("new", "acknowledged", "in_progress", "referred")  # grievances.models.OPEN_STATUSES

# One row per generated ticket, from its id `s.g` alone, so any row can be regenerated.
# Ids 1..closed are closed tickets (older), the rest open ones. By id % 10: 0-4 zone tier,
# 5-7 committee, 8-9 street. Open deadlines lie 1-13 days ahead; nothing is due.
COLUMNS = (
    "id, reference, description, urgency, channel, address, reporter_name, reporter_phone, external_id, "
    "tier, status, respond_by, resolve_by, answer_by, feedback_due_by, respond_overdue, overdue, answer_overdue, "
    "responded_at, first_responded_at, resolved_at, closed_at, outcome, outcome_reason, cancel_reason, version, "
    "created_at, updated_at, "
    "category_id, zone_id, committee_id, street_id, owner_id, "
    "kind, documents_received, paused_at, pause_reason, pause_ends_at, paused_seconds, "
    "warn_quarter_at, warn_day_at, warned_quarter, warned_day"
)
ROWS = """
SELECT
    s.g AS id,
    'BENCH-' || lpad(s.g::text, 9, '0') AS reference,
    'Benchmark ticket ' || s.g AS description,
    CASE WHEN mod(s.g, 7) = 0 THEN 'urgent' ELSE 'normal' END AS urgency,
    (ARRAY['visit', 'phone', 'walk_in', 'opinion_day', 'hotline'])[1 + mod(s.g / 3, 5)] AS channel,
    '' AS address, '' AS reporter_name, '' AS reporter_phone, '' AS external_id,
    x.tier,
    x.status,
    CASE WHEN x.is_open THEN %(now)s + interval '1 day' + mod(s.g, 100000) * interval '5 seconds'
         ELSE x.created_at + interval '1 day' END AS respond_by,
    CASE WHEN x.is_open THEN %(now)s + interval '7 days' + mod(s.g, 100000) * interval '5 seconds'
         ELSE x.created_at + interval '10 days' END AS resolve_by,
    NULL::timestamptz AS answer_by, NULL::timestamptz AS feedback_due_by,
    false AS respond_overdue, false AS overdue, false AS answer_overdue,
    CASE WHEN x.status = 'new' THEN NULL ELSE x.created_at + interval '10 minutes' END AS responded_at,
    CASE WHEN x.status = 'new' THEN NULL ELSE x.created_at + interval '10 minutes' END AS first_responded_at,
    CASE WHEN x.is_open THEN NULL ELSE x.created_at + interval '5 days' END AS resolved_at,
    CASE WHEN x.is_open THEN NULL ELSE x.created_at + interval '12 days' END AS closed_at,
    CASE WHEN x.is_open THEN '' ELSE 'solved' END AS outcome,
    '' AS outcome_reason, '' AS cancel_reason,
    1 AS version,
    x.created_at,
    x.created_at + CASE WHEN x.is_open THEN interval '10 minutes' ELSE interval '12 days' END AS updated_at,
    (%(categories)s::bigint[])[1 + mod(s.g, %(category_count)s)] AS category_id,
    u.zone_id, u.committee_id, u.street_id,
    CASE x.tier WHEN 'zone' THEN u.zone_owner WHEN 'committee' THEN u.committee_owner
         ELSE u.street_owner END AS owner_id,
    CASE WHEN mod(s.g, 20) = 3 THEN 'service' ELSE 'request' END AS kind,
    '[]'::jsonb AS documents_received,
    CASE WHEN x.paused THEN x.created_at + interval '30 minutes' END AS paused_at,
    CASE WHEN x.paused THEN 'documents' ELSE '' END AS pause_reason,
    CASE WHEN x.paused THEN %(now)s + interval '3 days' + mod(s.g, 100000) * interval '5 seconds' END AS pause_ends_at,
    0 AS paused_seconds,
    -- The warnings before the breach (issue 19): for open tickets all still ahead, so a sweep
    -- has nothing to warn of; closed ones were warned.
    CASE WHEN x.is_open THEN %(now)s + interval '5 days' + mod(s.g, 100000) * interval '5 seconds'
         ELSE x.created_at + interval '7 days' END AS warn_quarter_at,
    CASE WHEN x.is_open THEN %(now)s + interval '6 days' + mod(s.g, 100000) * interval '5 seconds'
         ELSE x.created_at + interval '9 days' END AS warn_day_at,
    NOT x.is_open AS warned_quarter, NOT x.is_open AS warned_day
FROM {source}
JOIN bench_unit u ON u.k = mod(s.g, %(unit_count)s)
CROSS JOIN LATERAL (
    SELECT
        s.g > %(closed)s AS is_open,
        CASE WHEN mod(s.g, 10) < 5 THEN 'zone' WHEN mod(s.g, 10) < 8 THEN 'committee' ELSE 'street' END AS tier,
        CASE WHEN s.g > %(closed)s
             THEN (ARRAY['new', 'acknowledged', 'in_progress'])[1 + mod(s.g / 10, 3)]
             ELSE 'closed' END AS status,
        CASE WHEN s.g > %(closed)s THEN %(now)s - interval '1 hour' - mod(s.g, 72) * interval '1 hour'
             ELSE %(now)s - interval '30 days' - (%(closed)s - s.g) * %(closed_spacing)s END AS created_at,
        -- 1 in 10 in-progress tickets waits on its resident, its clock paused.
        s.g > %(closed)s AND mod(s.g / 10, 3) = 2 AND mod(s.g, 10) = 1 AS paused
) x
"""
# Rows an earlier run changed (escalated, made overdue) or whose deadlines have come close.
DRIFTED = f"""
(SELECT id FROM grievances_ticket
 WHERE version <> 1
    OR (status IN {OPEN!r} AND (resolve_by < %(horizon)s OR respond_by < %(horizon)s))) AS s(g)
"""
# The open statuses the generator makes; all of them escalate when resolve-by passes.
ESCALATABLE = "status IN ('new', 'acknowledged', 'in_progress') AND tier IN ('zone', 'committee') AND paused_at IS NULL"


def main(argv=None) -> None:
    global THREADS
    args = parse_args(argv)
    THREADS = args.threads
    sys.stdout.reconfigure(line_buffering=True)  # figures appear as they come, in order with warnings
    var_dir = configure(args.database_url)
    try:
        run(args, var_dir)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, help="shorthand for --open N --closed 2N (explicit ones win)")
    parser.add_argument("--open", type=int, help="open tickets over the three tiers (default 200,000)")
    parser.add_argument("--closed", type=int, help="closed tickets, outcome solved (default 400,000)")
    parser.add_argument("--overdue", type=int, default=100_000, help="zone/committee tickets to make overdue")
    parser.add_argument("--repeat", type=int, default=7, help="timed sweeps with nothing due (default 7)")
    parser.add_argument("--batch-size", type=int, help="sweep batch size (default ZHITONG_SWEEP_BATCH_SIZE)")
    parser.add_argument("--threads", type=int, help="threads draining a step (default ZHITONG_SWEEP_THREADS)")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="parts",
        choices=["parts", "cprofile"],
        help="escalate the overdue tickets once more and print where the time goes: timing the parts "
        "of a batch (default) or under cProfile",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the ticket table even if its size matches")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"env BENCH_DATABASE_URL, default {DEFAULT_DATABASE_URL}",
    )
    args = parser.parse_args(argv)
    if args.open is None:
        args.open = args.tickets if args.tickets is not None else 200_000
    if args.closed is None:
        args.closed = 2 * args.tickets if args.tickets is not None else 400_000
    if min(args.open, args.closed, args.overdue) < 0 or args.repeat < 1 or (args.threads or 1) < 1:
        parser.error("sizes must be zero or more, --repeat and --threads at least 1")
    escalatable = _escalatable(args.closed + args.open) - _escalatable(args.closed)
    if args.overdue > escalatable:
        parser.error(f"--overdue {args.overdue:,} is more than the {escalatable:,} open zone/committee tickets")
    return args


def _escalatable(last_id: int) -> int:
    """How many of the ids 1..last_id are zone or committee tier (id % 10 < 8)."""
    return (last_id + 1) // 10 * 8 + min((last_id + 1) % 10, 8) - 1


def configure(database_url: str) -> Path:
    """Environment for config.settings.local, the bench database, then django.setup()."""
    name = bench_database(database_url, "the benchmark truncates tables")
    var_dir = Path(tempfile.mkdtemp(prefix="zhitong-bench-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=database_url,
        ZHITONG_VAR_DIR=str(var_dir),  # the filesystem broker's folder lives under it
        DEBUG="0",  # as in production: no query log kept in memory
    )
    os.environ.pop("REDIS_URL", None)  # so alerts go to the filesystem broker, not Redis
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    ensure_database(database_url, name)

    import django

    django.setup()
    return var_dir


# --- the run ----------------------------------------------------------------------------


def run(args, var_dir: Path) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    batch_size = args.batch_size or settings.ZHITONG_SWEEP_BATCH_SIZE
    started = time.perf_counter()
    quiet = io.StringIO()
    call_command("migrate", interactive=False, verbosity=0, stdout=quiet)
    call_command("seed_demo", no_progress=True, stdout=quiet, stderr=quiet)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    print(
        f"Zhitong sweep benchmark: database {connection.settings_dict['NAME']} (PostgreSQL {version}), "
        f"{os.cpu_count()} CPUs, sweep batch size {batch_size}, "
        f"{THREADS or settings.ZHITONG_SWEEP_THREADS} thread(s) per step, DEBUG {settings.DEBUG}"
    )
    print(f"setup (migrate, seed_demo): {time.perf_counter() - started:.1f} s")

    data = GeneratorData.load()
    prepare(args, data)
    broker = var_dir / "celery-broker"

    print(f"\n[a] sweep with nothing due, {args.open:,} open tickets")
    bench_idle(args, batch_size)

    print(f"\n[b] escalating {args.overdue:,} overdue zone/committee tickets in one sweep")
    due_plan = bench_escalation(args, batch_size, broker)

    print(f"\n[c] the claim query of sweep_escalate_due (batch {batch_size})")
    print_plans(due_plan, explain_claim(batch_size), args.overdue)

    if args.profile:
        print(f"\n[profile] the same {args.overdue:,} tickets escalated again ({args.profile})")
        reset(data)
        make_overdue(args.overdue)
        profile_escalation(batch_size, args.profile)
    print(f"\ntotal run time {time.perf_counter() - started:.0f} s")


class GeneratorData:
    """What generated rows point at: the demo street's zones with their owner at each tier,
    and the categories."""

    def __init__(self, units: list[tuple], categories: list[int], closed: int = 0):
        self.units, self.categories, self.closed = units, categories, closed
        # How far apart closed tickets were opened, the newest a month ago (bench/history.py
        # spreads them over years).
        self.closed_spacing = dt.timedelta(seconds=10)

    @classmethod
    def load(cls) -> "GeneratorData":
        from demo import street as demo
        from grievances.models import Category
        from responders.models import ResponsibilityZone
        from responders.selectors import OwnerFinder

        zones = list(
            ResponsibilityZone.objects.filter(committee__street__code=demo.DEMO_STREET[0])
            .select_related("committee")
            .order_by("pk")
        )
        if not zones:
            sys.exit("The demo street has no zones: did seed_demo run?")
        finder, units = OwnerFinder(), []
        for k, zone in enumerate(zones):
            where = {"zone_id": zone.pk, "committee_id": zone.committee_id, "street_id": zone.committee.street_id}
            owners = [finder.owner(tier=tier, **where) for tier in ("zone", "committee", "street")]
            if None in owners:
                sys.exit(f"Zone {zone.code} lacks an owner at some tier: the sweep could not escalate its tickets.")
            units.append((k, zone.pk, zone.committee_id, zone.committee.street_id, *(o.pk for o in owners)))
        categories = list(Category.objects.order_by("pk").values_list("pk", flat=True))
        return cls(units, categories)

    def params(self, **extra) -> dict:
        from django.utils import timezone

        return {
            "now": timezone.now(),
            "closed": self.closed,
            "closed_spacing": self.closed_spacing,
            "categories": self.categories,
            "category_count": len(self.categories),
            "unit_count": len(self.units),
            **extra,
        }

    def create_unit_table(self, cursor) -> None:
        cursor.execute(
            "CREATE TEMP TABLE bench_unit (k int PRIMARY KEY, zone_id bigint, committee_id bigint, "
            "street_id bigint, zone_owner bigint, committee_owner bigint, street_owner bigint) ON COMMIT DROP"
        )
        cursor.executemany("INSERT INTO bench_unit VALUES (%s, %s, %s, %s, %s, %s, %s)", self.units)


def prepare(args, data: GeneratorData) -> None:
    """Build the table if its size is not the one asked for, else reset what earlier runs changed."""
    from django.db import connection

    placeholders = ", ".join(["%s"] * len(OPEN))
    with connection.cursor() as cursor:
        _check_columns(cursor)
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE status IN ({placeholders})), count(*) FILTER (WHERE status = 'closed'), "
            "count(*), coalesce(max(id), 0) FROM grievances_ticket",
            OPEN,
        )
        open_now, closed_now, total, max_id = cursor.fetchone()
    data.closed = args.closed
    want = args.open + args.closed
    if not args.rebuild and (open_now, closed_now, total, max_id) == (args.open, args.closed, want, want):
        started = time.perf_counter()
        changed = reset(data)
        print(f"tickets: reusing the table; reset {changed:,} changed rows in {time.perf_counter() - started:.1f} s")
    else:
        print(f"tickets: building ({total:,} rows there: {open_now:,} open, {closed_now:,} closed)")
        build(args, data)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tier, count(*) FROM grievances_ticket WHERE status = ANY(%s) GROUP BY tier ORDER BY tier",
            [list(OPEN)],
        )
        tiers = ", ".join(f"{n:,} {tier}" for tier, n in cursor.fetchall())
        cursor.execute(
            "SELECT pg_size_pretty(pg_relation_size('grievances_ticket')), "
            "pg_size_pretty(pg_indexes_size('grievances_ticket'))"
        )
        heap, indexes = cursor.fetchone()
    print(f"tickets: {args.open:,} open ({tiers}), {args.closed:,} closed; table {heap}, its indexes {indexes}")


def _check_columns(cursor) -> None:
    """Every NOT NULL column without a default must be one the generator fills."""
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'grievances_ticket' "
        "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'"
    )
    filled = {name.strip() for name in COLUMNS.split(",")}
    missing = sorted(name for (name,) in cursor.fetchall() if name not in filled)
    if missing:
        sys.exit(
            f"grievances_ticket has NOT NULL columns the generator does not fill: {missing}; update bench/sweep.py"
        )


def build(args, data: GeneratorData) -> None:
    """One transaction: truncate, drop the secondary indexes and the foreign keys, insert
    every row from generate_series, recreate the indexes, re-add (and so validate) the keys."""
    from django.db import connection, transaction

    phases: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        phases[name] = now - clock
        clock = now

    total = args.open + args.closed
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("TRUNCATE grievances_ticket RESTART IDENTITY CASCADE")
        cursor.execute(
            "SELECT quote_ident(conname), pg_get_constraintdef(oid), contype FROM pg_constraint "
            "WHERE conrelid = 'grievances_ticket'::regclass AND contype IN ('f', 'u') ORDER BY contype, conname"
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT quote_ident(i.relname), pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = 'grievances_ticket'::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid "
            "AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u', 'x')) ORDER BY i.relname"
        )
        indexes = cursor.fetchall()
        for name, _, _ in constraints:
            cursor.execute(f"ALTER TABLE grievances_ticket DROP CONSTRAINT {name}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        data.create_unit_table(cursor)
        lap("truncate")
        cursor.execute(
            f"INSERT INTO grievances_ticket ({COLUMNS}) " + ROWS.format(source="generate_series(1, %(total)s) AS s(g)"),
            data.params(total=total),
        )
        lap(f"insert {total:,} rows")
        for _, definition in indexes:
            cursor.execute(definition)
        for name, definition, kind in constraints:
            if kind == "u":
                cursor.execute(f"ALTER TABLE grievances_ticket ADD CONSTRAINT {name} {definition}")
        lap(f"{len(indexes)} indexes and {sum(kind == 'u' for _, _, kind in constraints)} unique constraints")
        for name, definition, kind in constraints:
            if kind == "f":
                cursor.execute(f"ALTER TABLE grievances_ticket ADD CONSTRAINT {name} {definition}")
        cursor.execute("SELECT setval(pg_get_serial_sequence('grievances_ticket', 'id'), %s)", [max(total, 1)])
        lap(f"{sum(kind == 'f' for _, _, kind in constraints)} foreign keys (validated)")
    lap("commit")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) grievances_ticket")
    lap("vacuum analyze")
    print(
        f"tickets: built in {sum(phases.values()):.1f} s ("
        + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
        + ")"
    )


def reset(data: GeneratorData) -> int:
    """Put back the rows earlier runs changed and empty the timelines and inboxes, with what
    refers to them (the escalate-once-per-tier constraint would refuse a second escalation of
    a reset ticket)."""
    from django.db import connection, transaction
    from django.utils import timezone

    sets = ", ".join(f"{c} = r.{c}" for c in (c.strip() for c in COLUMNS.split(",")) if c != "id")
    params = data.params(horizon=timezone.now() + dt.timedelta(hours=1))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE grievances_ticketevent, alerts_notification CASCADE")
        data.create_unit_table(cursor)
        cursor.execute(
            f"UPDATE grievances_ticket t SET {sets} FROM ({ROWS.format(source=DRIFTED)}) r WHERE t.id = r.id", params
        )
        changed = cursor.rowcount
    if changed:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) grievances_ticket")
    return changed


def make_overdue(count: int) -> int:
    """The `count` zone/committee tickets with the earliest resolve-by: due since 1-61 minutes."""
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE grievances_ticket SET resolve_by = %s - interval '1 minute' - mod(id, 3600) * interval '1 second' "
            f"WHERE id IN (SELECT id FROM grievances_ticket WHERE {ESCALATABLE} ORDER BY resolve_by, id LIMIT %s)",
            [timezone.now(), count],
        )
        return cursor.rowcount


# --- the measurements ---------------------------------------------------------------------


class QueryLog:
    """Time and count the SQL statements run inside the block, by what they are for."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.count: dict[str, int] = defaultdict(int)

    def __enter__(self):
        from django.db import connection

        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            kind = self.kind(sql)
            self.seconds[kind] += time.perf_counter() - started
            self.count[kind] += 1

    @staticmethod
    def kind(sql: str) -> str:
        head, tail = sql[:60].upper(), sql[-120:].upper()
        if head.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")):
            return "savepoints"
        if head.startswith("SELECT") and '"GRIEVANCES_TICKET"' in head and "SKIP LOCKED" in tail:
            return "claim (SELECT ... FOR UPDATE SKIP LOCKED)"
        if head.startswith(('UPDATE "GRIEVANCES_TICKET"', "UPDATE GRIEVANCES_TICKET ")):
            return "the tickets' UPDATE"
        if head.startswith(('INSERT INTO "GRIEVANCES_TICKETEVENT"', 'COPY "GRIEVANCES_TICKETEVENT"')):
            return "the events (INSERT or COPY)"
        if head.startswith(('INSERT INTO "GRIEVANCES_EVENTOUTBOX"', 'COPY "GRIEVANCES_EVENTOUTBOX"')):
            return "the events' outbox rows (INSERT or COPY)"
        if head.startswith(('INSERT INTO "ALERTS_NOTIFICATION"', 'COPY "ALERTS_NOTIFICATION"')):
            return "the notifications (INSERT or COPY)"
        if "NEXTVAL(PG_GET_SERIAL_SEQUENCE" in head:
            return "ids for a COPY"
        if head.startswith('UPDATE "ESCALATION_REFERRAL"'):
            return "withdraw referrals"
        if "ESCALATION_SLAPOLICY" in sql[:400].upper() or "ESCALATION_CALENDAROVERRIDE" in sql[:400].upper():
            return "SLA and calendar load"
        if '"RESPONDERS_' in sql[:400].upper():
            return "owner lookups"
        return "other"

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    @property
    def total_count(self) -> int:
        return sum(self.count.values())

    def print(self, wall: float, indent: str = "    ") -> None:
        for kind in sorted(self.seconds, key=self.seconds.get, reverse=True):
            print(f"{indent}{kind:<44} {self.count[kind]:>6} queries {self.seconds[kind]:>8.2f} s")
        print(
            f"{indent}{'all SQL':<44} {self.total_count:>6} queries {self.total_seconds:>8.2f} s; "
            f"Python, commits and broker publishing {wall - self.total_seconds:.2f} s"
        )


THREADS = None  # --threads; None: ZHITONG_SWEEP_THREADS


def _sweep(batch_size: int, threads: int | None = None):
    from escalation.sweep import sweep_overdue_tickets

    started = time.perf_counter()
    report = sweep_overdue_tickets(batch_size=batch_size, threads=threads or THREADS)
    return report, time.perf_counter() - started


def _print_goal(goal: str, ok: bool, scale_ok: bool, goal_scale: str) -> None:
    if not scale_ok:
        verdict = f"{'met' if ok else 'NOT MET'} at this size (the goal is stated for {goal_scale})"
    else:
        verdict = "MET" if ok else "NOT MET"
    print(f"    goal: {goal} -> {verdict}")


def bench_idle(args, batch_size: int) -> None:
    report, first = _sweep(batch_size)
    if any(vars(report).values()):
        print(f"    warning: the first sweep found work to do ({report}); the table was not idle")
    times = []
    with QueryLog() as log:
        for _ in range(args.repeat):
            report, seconds = _sweep(batch_size)
            times.append(seconds * 1000)
    median = statistics.median(times)
    print(f"    first call {first * 1000:.1f} ms (connection, imports, caches), then {args.repeat} calls:")
    print(
        f"    median {median:.1f} ms, min {min(times):.1f} ms, max {max(times):.1f} ms; "
        f"{log.total_count / args.repeat:.0f} queries per sweep, {log.total_seconds * 1000 / args.repeat:.1f} ms "
        f"of it in SQL; report: {report}"
    )
    _print_goal(
        f"< {GOAL_IDLE_MS} ms with nothing due at {GOAL_IDLE_OPEN:,} open tickets",
        median < GOAL_IDLE_MS,
        args.open >= GOAL_IDLE_OPEN,
        f"{GOAL_IDLE_OPEN:,} open",
    )


def bench_escalation(args, batch_size: int, broker: Path) -> tuple[str, str]:
    from django.conf import settings
    from django.db import connection
    from django.db.models import Max

    from alerts.models import Notification
    from grievances.models import TicketEvent

    last_event = TicketEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    last_notification = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
    messages_before = set(broker.glob("*.msg"))
    started = time.perf_counter()
    made = make_overdue(args.overdue)
    print(f"    made {made:,} tickets overdue in {time.perf_counter() - started:.1f} s (one UPDATE)")
    due_plan = explain_claim(batch_size)

    cpu_before, server_before = time.process_time(), postgres_cpu_seconds()
    with QueryLog() as log:
        report, seconds = _sweep(batch_size)
    cpu, server_after = time.process_time() - cpu_before, postgres_cpu_seconds()
    rate = report.escalated / seconds if seconds else 0
    print(f"    one sweep: {seconds:.2f} s, {report.escalated:,} escalated, {rate:,.0f} tickets/s; report: {report}")
    # CPU, unlike the wall time, hardly moves with what else the machine is doing: the figure to
    # compare two versions of the code by on a shared machine.
    server = f"{server_after - server_before:.1f} s" if server_before is not None else "not known here"
    print(f"    CPU: this process (every thread) {cpu:.1f} s, PostgreSQL's processes {server}")
    log.print(seconds)
    if (THREADS or settings.ZHITONG_SWEEP_THREADS) > 1:
        print("    (the SQL above is the sweep's own thread's; its helper threads ran as many batches beside it)")

    events = TicketEvent.objects.filter(pk__gt=last_event, kind=TicketEvent.Kind.ESCALATED).count()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM grievances_ticket WHERE {ESCALATABLE} AND resolve_by < now()")
        (still_due,) = cursor.fetchone()
    again, again_seconds = _sweep(batch_size)
    print(
        f"    check: {events:,} escalation events written (expected {made:,}: {'ok' if events == made else 'WRONG'}); "
        f"{still_due} zone/committee tickets still due; a second sweep escalated {again.escalated} "
        f"({'ok' if again.escalated == 0 else 'WRONG'}) in {again_seconds * 1000:.1f} ms"
    )
    notifications = Notification.objects.filter(pk__gt=last_notification).count()
    messages, items, size = _broker_messages(set(broker.glob("*.msg")) - messages_before)
    print(
        f"    alerts: {notifications:,} notifications written; {messages} Celery messages queued on the "
        f"filesystem broker (not delivered), carrying {items} items, {size / 1e6:.1f} MB"
    )
    _print_goal(
        f"{GOAL_ESCALATE_N:,} overdue escalated in < {GOAL_ESCALATE_S} s",
        seconds < GOAL_ESCALATE_S,
        args.overdue >= GOAL_ESCALATE_N,
        f"{GOAL_ESCALATE_N:,} overdue",
    )
    return due_plan


def _broker_messages(paths: set[Path]) -> tuple[int, int | str, int]:
    """(messages, items in their first argument, bytes) of kombu filesystem messages."""
    items: int | str = 0
    for path in paths:
        try:
            message = json.loads(path.read_text())
            body = message["body"]
            if message.get("properties", {}).get("body_encoding") == "base64":
                body = base64.b64decode(body)
            args = json.loads(body)[0]
            items += len(args[0])
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            items = "?"
            break
    return len(paths), items, sum(path.stat().st_size for path in paths)


class _Explained(Exception):
    pass


def explain_claim(batch_size: int) -> tuple[str, str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the claim exactly as sweep_escalate_due sends it: the
    sweep step runs in a transaction, its first claim statement is explained instead of
    run, and everything is rolled back (EXPLAIN ANALYZE of FOR UPDATE takes the row locks)."""
    import psycopg
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone, translation

    from escalation import transitions

    captured: list[str] = []

    def explain_instead(execute, sql, params, many, context):
        if not captured and QueryLog.kind(sql).startswith("claim"):
            # The statement with its values in (psycopg 3 binds them on the server: a client-side
            # cursor of the same connection writes them in).
            captured.append(psycopg.ClientCursor(context["connection"].connection).mogrify(sql, params))
            execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params, many, context)
            captured.extend(row[0] for row in context["cursor"].fetchall())
            raise _Explained
        return execute(sql, params, many, context)

    try:
        with (
            translation.override(settings.LANGUAGE_CODE),
            connection.execute_wrapper(explain_instead),
            transaction.atomic(),
        ):
            transitions.sweep_escalate_due(now=timezone.now(), batch_size=batch_size, skip=set())
    except _Explained:
        pass
    if not captured:
        return "(sweep_escalate_due sent no claim statement this benchmark recognises)", ""
    return captured[0], "\n".join(captured[1:])


def print_plans(due: tuple[str, str], idle: tuple[str, str], overdue: int) -> None:
    sql, plan = due
    print(f"    SQL: {sql}")
    print(f"    plan with {overdue:,} due (first batch):")
    print("\n".join(f"      {line}" for line in plan.splitlines()))
    print("    plan with nothing due:")
    print("\n".join(f"      {line}" for line in idle[1].splitlines()))


class PartTimers:
    """Wall time and calls of named functions, wrapped in place for the duration of a block
    (about a microsecond per call). Nested parts are included in their callers' time."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._patches: list[tuple] = []

    def wrap(self, owner, name: str, label) -> None:
        """Time owner.name under `label`, or under label(*args) when it is callable."""
        raw = inspect.getattr_static(owner, name, None)
        if raw is None:  # not in this version of the code: say so rather than print a silent zero
            print(f"    (not timed: {getattr(owner, '__name__', owner)}.{name} is not there)")
            return
        descriptor = type(raw) if isinstance(raw, staticmethod | classmethod) else None
        function = raw.__func__ if descriptor else raw

        @functools.wraps(function)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                key = label(*args) if callable(label) else label
                self.seconds[key] += time.perf_counter() - started
                self.calls[key] += 1

        self._patches.append((owner, name, raw, name in vars(owner)))
        setattr(owner, name, descriptor(timed) if descriptor else timed)

    def restore(self) -> None:
        for owner, name, raw, own in reversed(self._patches):
            if own:
                setattr(owner, name, raw)
            else:
                delattr(owner, name)
        self._patches.clear()


def profile_escalation(batch_size: int, how: str) -> None:
    """Escalate once more, timing the parts of a batch (or under cProfile); print where the time goes."""
    from django.db import connections
    from django.db.models.query import QuerySet

    from escalation.sla import SLA
    from escalation.transitions import moves, sweep_steps
    from responders.selectors import OwnerFinder

    if how == "cprofile":
        profiler = cProfile.Profile()
        started = time.perf_counter()
        report = profiler.runcall(_sweep, batch_size)[0]
        print(f"    {report.escalated:,} escalated in {time.perf_counter() - started:.2f} s under cProfile")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        print("\n".join(f"      {line}" for line in out.getvalue().splitlines() if line.strip()))
        return

    database = type(connections["default"])

    def model_label(queryset, *args, **kwargs) -> str:
        return f"{queryset.model.__name__}.objects.bulk_create"

    # Wrapped where the sweep's steps look them up (escalation.transitions.sweep_steps and
    # .moves): a part that has moved elsewhere is reported as not timed, not as a silent zero.
    wrapped = [
        (SLA, "load", "SLA.load"),
        (sweep_steps, "_claim", "_claim: query, locks, Ticket objects"),
        (sweep_steps, "escalate_one", "escalate_one, per ticket"),
        (SLA, "clock", "SLA.clock: the new deadlines"),
        (OwnerFinder, "owner", "OwnerFinder.owner"),
        (OwnerFinder, "_find", "its queries (cache misses)"),
        (moves, "new_event", "new_event: a TicketEvent object"),
        (sweep_steps, "_write_fields", "_write_fields: the tickets' UPDATE"),
        (sweep_steps, "append_events", "append_events"),
        (QuerySet, "bulk_create", model_label),
        (sweep_steps, "number_transfers", "number_transfers"),
        (sweep_steps, "alerts_create", "alerts_create"),
        (sweep_steps, "withdraw_referrals", "withdraw_referrals"),
        (database, "_commit", "COMMIT (deferred foreign-key checks)"),
        (database, "run_and_clear_commit_hooks", "on-commit hooks (Celery messages)"),
    ]
    shown = [  # (label, depth): a part's time includes the deeper ones below it
        ("SLA.load", 1),
        ("_claim: query, locks, Ticket objects", 1),
        ("escalate_one, per ticket", 1),
        ("SLA.clock: the new deadlines", 2),
        ("OwnerFinder.owner", 2),
        ("its queries (cache misses)", 3),
        ("new_event: a TicketEvent object", 2),
        ("_write_fields: the tickets' UPDATE", 1),
        ("append_events", 1),
        ("TicketEvent.objects.bulk_create", 2),
        ("EventOutbox.objects.bulk_create", 2),
        ("number_transfers", 1),
        ("alerts_create", 1),
        ("Notification.objects.bulk_create", 2),
        ("withdraw_referrals", 1),
        ("COMMIT (deferred foreign-key checks)", 1),
        ("on-commit hooks (Celery messages)", 1),
    ]
    timers = PartTimers()
    try:
        for owner, name, label in wrapped:
            timers.wrap(owner, name, label)
        with QueryLog() as log:
            report, wall = _sweep(batch_size, threads=1)  # the parts are timed on this thread
    finally:
        timers.restore()
    print(f"    {report.escalated:,} escalated in {wall:.2f} s with the parts timed (wall time, nested):")
    for label, depth in shown:
        if timers.calls[label]:
            indent = "  " * depth
            print(
                f"      {indent + label:<48} {timers.calls[label]:>8,} calls {timers.seconds[label]:>8.2f} s "
                f"{timers.seconds[label] / wall:>5.0%}"
            )
    per_ticket = timers.seconds["escalate_one, per ticket"]
    inside = sum(
        timers.seconds[label]
        for label in ("SLA.clock: the new deadlines", "OwnerFinder.owner", "new_event: a TicketEvent object")
    )
    print(f"      {'  escalate_one itself (besides the above)':<48} {'':>14} {per_ticket - inside:>8.2f} s")
    listed = sum(timers.seconds[label] for label, depth in shown if depth == 1)
    print(f"      {'the rest (reason text, loops, savepoints...)':<48} {'':>14} {wall - listed:>8.2f} s")
    print("    SQL statements in that sweep:")
    log.print(wall, indent="      ")


if __name__ == "__main__":
    main()

"""Does five years of history slow the present? Prints figures; it is not a test.

    .venv/bin/python bench/history.py                       # 5 years at 400 tickets a day
    .venv/bin/python bench/history.py --years 5 --per-day 400 --open 20000

It works in its own PostgreSQL database (default zhitong_bench_history, created if missing; a
name without "bench" is refused: its tables are truncated). Like bench/sweep.py (whose builders
it uses): migrate, seed_demo, then the demo street WLQ gets `--open` open tickets and
`--years` years of closed ones at `--per-day` a day, with their history built by set-based SQL
from each ticket's columns: the timelines of bench/report.py (about 5 events a ticket), alerts
(the owner's, the leader's for 1 in 20 late responses and every street-tier ticket; all read
but a third of the last two weeks'), a partner's webhook deliveries of the created and closed
events with one attempt each (1 in 100 given up), an Idempotency-Key for 1 in 3 tickets,
residents' SMS (received and resolved) for 1 in 2 tickets, 20 sign-ins and 20 sessions a day.

Then it times, three times over: with the history; after `retention.services.history_prune`
with the default keep days (timed too, and once more with nothing left to prune); and with no
history at all (the open tickets alone, rebuilt):

  (a) a ticket page through Django's test client as street_staff: the newest open ticket, and
      a closed one from last month;
  (b) the overdue sweep with nothing due, and escalating `--due` tickets;
  (c) the home page with its alerts (as leader_wang and as street_staff), and a webhook pass
      (beat's dispatch_webhooks: fan-out and sending) with nothing due and with `--due-webhooks`
      deliveries due, to a receiver on 127.0.0.1 that answers 204.

See bench/README.md.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import sweep as sweep_bench
from _common import bench_database

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zhitong_bench_history"

# --- the history, from the tickets' own columns ------------------------------------------------

ALERTS = """
INSERT INTO alerts_notification
    (recipient_id, kind, ticket_id, subject, link, created_at, read_at, sent_at, channels_done, claimed_until)
SELECT a.recipient, a.kind, t.id, '', '', least(a.at, %(now)s),
       CASE WHEN a.at < %(now)s - interval '14 days' OR mod(t.id + a.n, 3) <> 0
            THEN least(a.at + interval '2 hours', %(now)s) END,
       NULL, '[]'::jsonb, NULL
FROM grievances_ticket t
CROSS JOIN LATERAL (VALUES
    (1, t.owner_id, 'assigned', t.created_at, true),
    (2, %(leader)s, 'respond_overdue', t.created_at + interval '1 day', mod(t.id, 20) = 3),
    (3, %(leader)s, 'reached_street', t.created_at, t.tier = 'street')
) AS a(n, recipient, kind, at, happened)
WHERE a.happened
"""
DELIVERIES = """
INSERT INTO api_webhookdelivery
    (subscription_id, event_id, event_uuid, payload, attempts, next_attempt_at, delivered_at, gave_up_at,
     last_status_code, last_error, created_at)
SELECT %(subscription)s, e.id, md5('bench-delivery-' || e.id)::uuid,
       jsonb_build_object('id', md5('bench-delivery-' || e.id)::uuid, 'type', 'ticket.' || e.kind,
                          'created_at', e.at, 'data', jsonb_build_object('event', e.id, 'ticket', e.ticket_id,
                          'description', repeat('x', 300))),
       1, NULL,
       CASE WHEN mod(e.id, 100) <> 0 THEN e.at + interval '5 seconds' END,
       CASE WHEN mod(e.id, 100) = 0 THEN least(e.at + interval '3 days', %(now)s) END,
       CASE WHEN mod(e.id, 100) <> 0 THEN 200 ELSE 503 END, '', e.at
FROM grievances_ticketevent e
WHERE e.kind IN ('created', 'closed')
"""
ATTEMPTS = """
INSERT INTO api_webhookattempt (delivery_id, at, status_code, error, duration_ms)
SELECT id, coalesce(delivered_at, gave_up_at), last_status_code, '', 40 FROM api_webhookdelivery
"""
IDEMPOTENCY = """
INSERT INTO api_idempotencyrecord (key_id, idempotency_key, request_hash, status_code, response, created_at)
SELECT %(key)s, 'bench-' || t.id, md5(t.id::text) || md5(t.reference), 201,
       jsonb_build_object('id', t.id, 'reference', t.reference, 'status', 'new'), t.created_at
FROM grievances_ticket t WHERE mod(t.id, 3) = 0
"""
SMS = """
INSERT INTO residents_residentmessage
    (ticket_id, phone, kind, text, params, created_at, send_after, sent_at, failed_at, error, attempts,
     claimed_until, dedupe_key)
SELECT t.id, '139' || lpad(mod(t.id, 100000000)::text, 8, '0'), m.kind,
       '【直通】您反映的问题（' || t.reference || '）已受理，进度可查看链接。', '{}'::jsonb,
       m.at, m.at, m.at + interval '1 minute', NULL, '', 1, NULL, NULL
FROM grievances_ticket t
CROSS JOIN LATERAL (VALUES ('received', t.created_at, true), ('resolved', t.resolved_at, t.resolved_at IS NOT NULL))
    AS m(kind, at, happened)
WHERE m.happened AND mod(t.id, 2) = 0
"""
SIGN_INS = """
INSERT INTO axes_accesslog (user_agent, ip_address, username, http_accept, path_info, attempt_time, logout_time,
                            session_hash)
SELECT 'Mozilla/5.0', ('203.0.113.' || mod(g, 200))::inet, 'staff' || mod(g, 40), 'text/html', '/accounts/login/',
       %(now)s - g * interval '72 minutes', NULL, ''
FROM generate_series(1, %(count)s) AS g
"""
SESSIONS = """
INSERT INTO django_session (session_key, session_data, expire_date)
SELECT md5('bench-session-' || g), 'e30:bench', %(now)s - g * interval '72 minutes' + interval '10 hours'
FROM generate_series(1, %(count)s) AS g
"""
HISTORY_TABLES = (
    "grievances_ticketevent",
    "alerts_notification",
    "api_webhookdelivery",
    "api_webhookattempt",
    "api_idempotencyrecord",
    "residents_residentmessage",
    "axes_accesslog",
    "django_session",
)


def fill(cursor, table: str, sql: str, params: dict | None = None) -> tuple[int, float]:
    """Insert with `sql` into `table` with its secondary indexes and foreign keys dropped,
    then put them back (re-adding a key validates every row), as bench/sweep.py builds tickets."""
    started = time.perf_counter()
    cursor.execute(
        "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
        [table],
    )
    keys = cursor.fetchall()
    cursor.execute(
        "SELECT quote_ident(i.relname), pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid "
        "AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u', 'x')) ORDER BY i.relname",
        [table],
    )
    indexes = cursor.fetchall()
    for name, _ in keys:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    cursor.execute(sql, params or {})
    rows = cursor.rowcount
    for _, definition in indexes:
        cursor.execute(definition)
    for name, definition in keys:
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    return rows, time.perf_counter() - started


def build_history(args, data, *, closed: int, partner) -> None:
    """Tickets (bench/sweep.py), then everything that hangs off them."""
    import report as report_bench
    from django.db import connection, transaction
    from django.utils import timezone

    from responders.models import User

    started = time.perf_counter()
    sweep_bench.build(argparse.Namespace(open=args.open, closed=closed), data)
    now = timezone.now()
    days = round(closed / args.per_day) if closed else 0
    params = {
        "now": now,
        "leader": User.objects.get(username="leader_wang").pk,
        "subscription": partner["subscription"].pk,
        "key": partner["key"].pk,
        "count": days * 20,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute(
            f"TRUNCATE {', '.join(HISTORY_TABLES)}, grievances_feedback, escalation_referral RESTART IDENTITY CASCADE"
        )
        for table, sql in (
            ("grievances_ticketevent", report_bench.EVENTS),
            ("alerts_notification", ALERTS),
            ("api_webhookdelivery", DELIVERIES),
            ("api_webhookattempt", ATTEMPTS),
            ("api_idempotencyrecord", IDEMPOTENCY),
            ("residents_residentmessage", SMS),
            ("axes_accesslog", SIGN_INS),
            ("django_session", SESSIONS),
        ):
            rows, seconds = fill(cursor, table, sql, params)
            print(f"    {table:<28} {rows:>10,} rows in {seconds:6.1f} s")
        # The subscription starts after the last event: what is there counts as already fanned out.
        cursor.execute("DELETE FROM grievances_eventoutbox")
    with connection.cursor() as cursor:
        for table in HISTORY_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"    history built in {time.perf_counter() - started:.0f} s")
    print_sizes()


def print_sizes() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reltuples::bigint, pg_size_pretty(pg_total_relation_size(c.oid)) "
            "FROM pg_class c WHERE c.relname = ANY(%s) ORDER BY c.relname",
            [["grievances_ticket", *HISTORY_TABLES]],
        )
        print("    " + "; ".join(f"{name} ~{rows:,} rows {size}" for name, rows, size in cursor.fetchall()))


# --- the measurements ----------------------------------------------------------------------


def timed(call, repeat: int) -> tuple[float, float, int]:
    """(median ms, min ms, SQL statements per call, BEGIN, COMMIT and savepoints included)
    after one warm-up call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()
    runs = []
    with CaptureQueriesContext(connection) as queries:
        for _ in range(repeat):
            started = time.perf_counter()
            call()
            runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), min(runs), len(queries) // repeat


class Receiver:
    """A partner's endpoint on 127.0.0.1 that answers 204 to every POST."""

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def measure(args, label: str, receiver: Receiver, partner) -> dict[str, str]:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from api.models import WebhookDelivery
    from api.tasks import dispatch_webhooks
    from grievances.models import Ticket
    from responders.models import User

    figures = {}

    def show(name: str, median: float, least: float, queries: int, note: str = "") -> None:
        figures[name] = f"{median:.1f}"
        print(f"    {name:<44} median {median:8.1f} ms, min {least:8.1f} ms, {queries:>3} statements {note}")

    print(f"\n[{label}]")
    staff, leader = Client(), Client()
    staff.force_login(User.objects.get(username="street_staff"))
    leader.force_login(User.objects.get(username="leader_wang"))
    newest = Ticket.objects.filter(status__in=sweep_bench.OPEN).order_by("-pk").values_list("pk", flat=True)[0]
    last_month = Ticket.objects.filter(status="closed").order_by("-pk").values_list("pk", flat=True).first()

    def page(client, url):
        def get():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return get

    show("(a) ticket page, newest open ticket", *timed(page(staff, reverse("ticket", args=[newest])), args.repeat))
    if last_month:
        url = reverse("ticket", args=[last_month])
        show("(a) ticket page, a ticket closed last month", *timed(page(staff, url), args.repeat))

    show("(b) sweep, nothing due", *timed(lambda: sweep_bench._sweep(args.sweep_batch), args.repeat))
    sweep_bench.make_overdue(args.due)
    started = time.perf_counter()
    report, _ = sweep_bench._sweep(args.sweep_batch)
    wall = (time.perf_counter() - started) * 1000
    figures[f"(b) sweep, {args.due:,} due"] = f"{wall:.0f}"
    print(f"    {'(b) sweep, ' + format(args.due, ',') + ' due':<44} {wall:8.0f} ms once: {report}")

    show("(c) home and alerts, leader_wang", *timed(page(leader, reverse("home")), args.repeat))
    show("(c) home and alerts, street_staff", *timed(page(staff, reverse("home")), args.repeat))

    partner["subscription"].__class__.objects.filter(pk=partner["subscription"].pk).update(url=receiver.url)
    # The sweep's escalations above made events to fan out and send: drain them first.
    drained = 0
    while (result := dispatch_webhooks()) != "queued 0, attempted 0":
        drained += int(result.rsplit(" ", 1)[1])
    print(f"    (the sweep's {drained:,} new deliveries sent first)")
    show("(c) webhook pass, nothing due", *timed(dispatch_webhooks, args.repeat))
    # The newest settled deliveries made due again, as after a partner's outage.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE api_webhookdelivery SET delivered_at = NULL, gave_up_at = NULL, next_attempt_at = now() "
            "WHERE id IN (SELECT id FROM api_webhookdelivery ORDER BY created_at DESC LIMIT %s)",
            [args.due_webhooks],
        )
    started = time.perf_counter()
    result = dispatch_webhooks()
    wall = (time.perf_counter() - started) * 1000
    delivered = WebhookDelivery.objects.filter(delivered_at__isnull=False).count()
    figures[f"(c) webhook pass, {args.due_webhooks} due"] = f"{wall:.0f}"
    print(
        f"    {'(c) webhook pass, ' + str(args.due_webhooks) + ' due':<44} {wall:8.0f} ms once: {result} "
        f"({delivered:,} delivered in the table)"
    )
    return figures


def prune(args) -> None:
    from django.db import connection

    from retention.services import history_prune

    print("\n[prune] retention.services.history_prune with the default keep days")
    started = time.perf_counter()
    report = history_prune()
    print(f"    first run, five years' backlog: {time.perf_counter() - started:.1f} s: {report}")
    started = time.perf_counter()
    report = history_prune()
    print(f"    again, nothing left (a night's run is this plus one day's rows): {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in HISTORY_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"    VACUUM (ANALYZE) of the pruned tables {time.perf_counter() - started:.1f} s (autovacuum's job in life)")
    print_sizes()


def partner_objects() -> dict:
    from api.models import PartnerKey, WebhookSubscription
    from api.services import partner_key_create
    from responders.models import PartnerSystem, StreetOffice

    partner, _ = PartnerSystem.objects.get_or_create(code="bench-history", defaults={"name": "bench history"})
    key = PartnerKey.objects.filter(partner=partner).first()
    if key is None:
        key, _raw = partner_key_create(
            partner=partner, name="bench", streets=[StreetOffice.objects.get(code="WLQ")], scopes=["tickets:read"]
        )
    subscription = WebhookSubscription.objects.filter(key=key).first() or WebhookSubscription.objects.create(
        key=key, url="http://127.0.0.1:9/hook"
    )
    return {"key": key, "subscription": subscription}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--years", type=float, default=5, help="years of closed tickets (default 5)")
    parser.add_argument("--per-day", type=int, default=400, help="closed tickets a day (default 400)")
    parser.add_argument("--open", type=int, default=20_000, help="open tickets (default 20,000)")
    parser.add_argument("--due", type=int, default=1000, help="tickets made overdue for the sweep (default 1,000)")
    parser.add_argument(
        "--due-webhooks", type=int, default=100, help="deliveries made due (default 100: one pass sends 100)"
    )
    parser.add_argument("--repeat", type=int, default=15, help="timed calls after a warm-up (default 15)")
    parser.add_argument("--sweep-batch", type=int, default=1000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_HISTORY_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"env BENCH_HISTORY_DATABASE_URL, default {DEFAULT_DATABASE_URL}",
    )
    return parser.parse_args(argv)


def main(argv=None) -> None:
    import io
    import shutil

    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    bench_database(args.database_url, "the benchmark truncates tables")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["ZHITONG_WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    var_dir = sweep_bench.configure(args.database_url)
    try:
        from django.core.management import call_command
        from django.db import connection

        quiet = io.StringIO()
        call_command("migrate", interactive=False, verbosity=0, stdout=quiet)
        from responders.models import StreetOffice

        # Once: the builds below truncate tables a second seed_demo would expect to find filled.
        if not StreetOffice.objects.filter(code="WLQ").exists():
            call_command("seed_demo", no_progress=True, stdout=quiet, stderr=quiet)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            (version,) = cursor.fetchone()
        closed = round(args.years * 365 * args.per_day)
        print(
            f"Zhitong history benchmark: database {connection.settings_dict['NAME']} (PostgreSQL {version}), "
            f"{os.cpu_count()} CPUs (shared with other jobs: load {os.getloadavg()[0]:.1f}); "
            f"street WLQ: {args.open:,} open tickets, {closed:,} closed over {args.years:g} years"
        )
        data = sweep_bench.GeneratorData.load()
        data.closed_spacing = dt.timedelta(days=1) / args.per_day
        partner = partner_objects()
        receiver = Receiver()

        print("\n[build] five years of history")
        data.closed = closed
        build_history(args, data, closed=closed, partner=partner)
        with_history = measure(args, "with the history", receiver, partner)

        prune(args)
        pruned = measure(args, "pruned by retention", receiver, partner)

        print("\n[build] no history: the open tickets alone")
        data.closed = 0
        build_history(args, data, closed=0, partner=partner)
        empty = measure(args, "no history", receiver, partner)

        print("\n[summary] milliseconds: with five years' history / pruned / none")
        for name in with_history:
            print(f"    {name:<44} {with_history[name]:>8} {pruned.get(name, '-'):>8} {empty.get(name, '-'):>8}")
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

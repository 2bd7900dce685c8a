"""How fast are the screens people touch every minute, signed in, under load? Prints figures;
it is not a test.

    .venv/bin/python bench/screens.py --seed                 # the demo street alone (zhitong_bench_screens_demo)
    .venv/bin/python bench/screens.py --database-url postgres://postgres@127.0.0.1:5432/zhitong_bench_city
    .venv/bin/python bench/screens.py --only queue --queries # one page, then its SQL in-process
    .venv/bin/python bench/screens.py --no-load --generic    # generic plans against plans made for the values

Real Django sessions (one per role: street staff, committee staff, zone member), gunicorn with
config.settings.production on a free port of 127.0.0.1, wrk (apt-get install wrk) with a Lua
script carrying the session cookie, 2 threads × 8 connections: the street's triage queue
(default, filtered, searched by a phone), a ticket page, a household search by phone and by
address, my tickets, the dashboard, the meeting calendar. Each page: p50 and p99 beside the
goal (p50 < 100 ms, p99 < 300 ms). Without --seed it writes nothing but its sessions (deleted
at the end) and the statistics of tables that lack them (ANALYZE). See bench/README.md.
"""

import argparse
import contextlib
import datetime as dt
import importlib.util
import io
import os
import random
import re
import secrets
import shutil
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from _common import ROOT, analyze_stale, bench_database, ensure_database

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zhitong_bench_screens_demo"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
GOAL_P50_MS, GOAL_P99_MS = 100, 300

# bench/api.py's gunicorn runner and wrk tally (loaded under another name: `api` is the app's).
_spec = importlib.util.spec_from_file_location("bench_api", Path(__file__).with_name("api.py"))
bench_api = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_api)

# Each request takes the next path of the list (the ticket page goes round 500 tickets); the
# session cookie says who is signed in.
LUA = r"""
local paths = {%(paths)s}
local cookie = "%(cookie)s"
local threads = {}
local n = 0
non2xx, bad = 0, nil
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
function request()
  n = n + 1
  local path = paths[(n * 7919 + tid) %% #paths + 1]
  return wrk.format("GET", path, {["Cookie"] = cookie, ["Accept-Language"] = "zh-CN"})
end
"""


@dataclass
class Page:
    name: str
    label: str
    login: str  # the demo account signed in
    paths: list[str]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2: one per core)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--duration", type=int, default=8, help="seconds measured per page (default 8)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per page (default 2)")
    parser.add_argument("--only", action="append", help="run only this page (repeatable; names in the table)")
    parser.add_argument(
        "--seed",
        action="store_true",
        help="first migrate, seed_demo and play last month (simulate_month --if-new): a demo-street database",
    )
    parser.add_argument(
        "--queries",
        action="store_true",
        help="afterwards, each page once in-process: its SQL statements, their time in PostgreSQL and buffers",
    )
    parser.add_argument("--plans", action="store_true", help="with --queries: the plan of each page's costliest")
    parser.add_argument(
        "--generic",
        action="store_true",
        help="afterwards, each statement a page runs with generic plans (core.plans) against a plan for its values",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="afterwards, each page 100 times in-process: this process's CPU per request and where it goes",
    )
    parser.add_argument("--no-load", action="store_true", help="no gunicorn and no wrk (with --queries: only those)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_SCREENS_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"env BENCH_SCREENS_DATABASE_URL, default {DEFAULT_DATABASE_URL}",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_SCREENS_REDIS_URL", DEFAULT_REDIS_URL),
        help=f"env BENCH_SCREENS_REDIS_URL, default {DEFAULT_REDIS_URL}",
    )
    args = parser.parse_args(argv)
    if min(args.workers, args.connections, args.wrk_threads, args.duration) < 1 or args.warmup < 0:
        parser.error("counts and durations must be positive")
    args.worker_class, args.threads = "sync", 1
    return args


def configure(args, work_dir: Path) -> dict:
    """The environment of config.settings.production for this process and gunicorn; django.setup()."""
    name = bench_database(args.database_url, "benchmarks stay off real databases")
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP to gunicorn, as behind the TLS proxy
        "ZHITONG_VAR_DIR": str(work_dir),
        "STATIC_ROOT": str(work_dir / "static"),  # the pages name their stylesheets: collected below
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    if args.seed:
        ensure_database(args.database_url, name)

    import django

    django.setup()
    return {**os.environ, **env}


def prepare(args) -> dict:
    """Seed when asked; the pages to drive, and what the database holds."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from demo.street import DEMO_STREET
    from grievances.models import Category, Household, Ticket, TicketEvent
    from responders.models import ResidentialCommittee, StreetOffice

    quiet = io.StringIO()
    if args.seed:
        call_command("migrate", interactive=False, verbosity=0, stdout=quiet)
        call_command("seed_demo", no_progress=True, stdout=quiet, stderr=quiet)
        with contextlib.suppress(Exception):
            call_command("simulate_month", if_new=True, stdout=quiet, stderr=quiet)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    with connection.cursor() as cursor:
        analyzed = analyze_stale(cursor)
    if analyzed:
        print(f"ANALYZE: {len(analyzed)} table(s) had no statistics or old ones: {', '.join(analyzed[:8])}")
    call_command("collectstatic", interactive=False, verbosity=0, stdout=quiet)
    executor = MigrationExecutor(connection)
    unapplied = [f"{m.app_label}.{m.name}" for m, _ in executor.migration_plan(executor.loader.graph.leaf_nodes())]

    street = StreetOffice.objects.filter(code=DEMO_STREET[0]).first()
    if street is None:
        sys.exit("The demo street WLQ is missing: run with --seed, or point at a seeded database.")
    committee = ResidentialCommittee.objects.filter(street=street).order_by("code").first()
    # The category of one of the committee's tickets (no count over a city's tickets).
    sample = Ticket.objects.filter(committee=committee).order_by("-pk").first()
    category = sample.category if sample else Category.objects.order_by("pk").first()
    # 500 tickets of the street for the ticket page (TABLESAMPLE: no sort of a city's tickets).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM grievances_ticket TABLESAMPLE SYSTEM (5) WHERE street_id = %s LIMIT 500", [street.pk]
        )
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) < 500:
        ids += list(Ticket.objects.filter(street=street).values_list("pk", flat=True)[: 500 - len(ids)])
    ids = list(dict.fromkeys(ids))
    random.Random(1).shuffle(ids)
    if not ids:
        sys.exit("The demo street has no tickets: run with --seed (it plays last month).")
    # A phone to search for: a reporter's on a ticket of the street if any, else a household's.
    reporter_phone = (
        Ticket.objects.filter(street=street, status__in=["new", "acknowledged", "in_progress"])
        .exclude(reporter_phone="")
        .values_list("reporter_phone", flat=True)
        .first()
    )
    household = Household.objects.filter(zone__committee=committee).exclude(phone="").order_by("pk").first()
    queue_phone = reporter_phone or household.phone
    # The address typed without spaces, the way the desk types it: "141弄1号".
    lane = re.search(r"(\d+)\s*弄\s*(\d+)\s*号", household.address)
    address_query = f"{lane.group(1)}弄{lane.group(2)}号" if lane else household.address[:6]

    def path(base, **params):
        return base + ("?" + urlencode(params, quote_via=quote) if params else "")

    pages = [
        Page("queue", "triage queue (street tier)", "street_staff", ["/queue/"]),
        Page(
            "queue_filtered",
            "queue: a committee and a category, every tier",
            "street_staff",
            [path("/queue/", tier="", committee=committee.pk, category=category.pk)],
        ),
        Page("queue_overdue", "queue: overdue only, every tier", "street_staff", [path("/queue/", tier="", overdue=1)]),
        Page("queue_phone", "queue: search by a phone", "street_staff", [path("/queue/", q=queue_phone)]),
        Page("queue_committee", "queue of a committee's staff", "committee_staff", ["/queue/"]),
        Page("ticket", "ticket page (500 tickets in turn)", "street_staff", [f"/tickets/{pk}/" for pk in ids]),
        Page("households_phone", "households: search by phone", "street_staff", [path("/zone/", q=household.phone)]),
        Page("households_address", "households: search by address", "street_staff", [path("/zone/", q=address_query)]),
        Page("my_tickets", "my tickets (a zone member)", "zone_member", ["/tickets/mine/"]),
        Page("dashboard", "dashboard (street)", "street_staff", ["/dashboard/"]),
        Page("meetings", "meeting calendar (committee)", "committee_staff", ["/meetings/"]),
    ]
    if args.only:
        unknown = set(args.only) - {page.name for page in pages}
        if unknown:
            sys.exit(f"No such page: {', '.join(sorted(unknown))}; the pages: {', '.join(p.name for p in pages)}")
        pages = [page for page in pages if page.name in args.only]
    # For scale, on the same machine at the same moment: Django's cheapest answer (on a machine
    # shared with other work, the pages' figures mean little without it).
    pages.append(Page("healthz", "for scale: GET /healthz", "street_staff", ["/healthz"]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", ["grievances_ticketevent"])
        (events,) = cursor.fetchone()
    return {
        "pages": pages,
        "street": street,
        "street_tickets": Ticket.objects.filter(street=street).count(),
        "street_open": Ticket.objects.filter(street=street, status__in=["new", "acknowledged", "in_progress"]).count(),
        "tickets": Ticket.objects.count(),
        "events": max(events, 0) or TicketEvent.objects.count(),
        "households": Household.objects.count(),
        "unapplied": unapplied,
        "queries": {"phone": queue_phone, "household phone": household.phone, "address": address_query},
    }


def sign_in(logins) -> dict[str, str]:
    """A real session per demo account (as the sign-in page makes it; no password check, no
    write but the session row): {username: cookie header}."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from config.middleware import SlideSessionExpiry
    from responders.models import User

    cookies = {}
    for username in sorted(set(logins)):
        user = User.objects.filter(username=username).first()
        if user is None:
            sys.exit(f"No account {username!r}: is the demo street seeded?")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        # Slid just now: no page of the run writes the session (the middleware writes every 5 min).
        session[SlideSessionExpiry.KEY] = int(time.time())
        session.create()
        cookies[username] = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    return cookies


def sign_out(cookies: dict[str, str]) -> None:
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key__in=[cookie.split("=", 1)[1] for cookie in cookies.values()]).delete()


def drive(wrk: str, args, url: str, work_dir: Path, page: Page, cookie: str, seconds: int) -> dict:
    script = work_dir / f"{page.name}-{secrets.token_hex(3)}.lua"
    paths = ", ".join('"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in page.paths)
    script.write_text(LUA % {"paths": paths, "cookie": cookie} + bench_api.LUA_TALLY)
    return bench_api.run_wrk(wrk, args, url, script, seconds)


def first_request(url: str, page: Page, cookie: str) -> float:
    """One request alone before the load, in ms: what the first reader pays (a cold cache)."""
    request = urllib.request.Request(url + page.paths[0], headers={"Cookie": cookie, "Accept-Language": "zh-CN"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=300) as answer:
            answer.read()
    except OSError as error:  # e.g. the worker killed at gunicorn's 30 s timeout
        print(f"{page.name}: the first request failed after {time.perf_counter() - started:.1f} s ({error})")
        return float("nan")
    return (time.perf_counter() - started) * 1000


def report(results: list[tuple[Page, dict]]) -> None:
    print(
        f"\n{'page':<20} {'what':<46} {'first':>7} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'non-2xx':>7}  goal p50 < {GOAL_P50_MS} ms, p99 < {GOAL_P99_MS} ms"
    )
    for page, r in results:
        p50, p99 = r["p50_us"] / 1000, r["p99_us"] / 1000
        errors = r["non2xx"] + r["socket_errors"]
        met = r["requests"] > 0 and p50 < GOAL_P50_MS and p99 < GOAL_P99_MS and errors == 0
        print(
            f"{page.name:<20} {page.label:<46} {r['first_ms']:>7.0f} {r['rps']:>7.1f} {p50:>7.1f} {p99:>7.1f} "
            f"{r['max_us'] / 1000:>7.1f} {errors:>7,}  {'MET' if met else 'NOT MET'}"
        )
        if r["bad_sample"]:
            print(f"{'':<20} first answer that was not 2xx: {r['bad_sample'][:200]}")


def explained(cursor) -> tuple[int, float, float]:
    """The answer of an `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` just run: the 8 kB buffers its
    top node touched, its execution time and its planning time (ms)."""
    import json

    (plan,) = cursor.fetchone()
    plan = (plan if isinstance(plan, list) else json.loads(plan))[0]
    top = plan["Plan"]
    return (
        top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0),
        plan["Execution Time"],
        plan.get("Planning Time", 0.0),
    )


def explain_queries(pages: list[Page], cookies: dict[str, str], plans: bool) -> None:
    """Each page once through Django's test client, then each of its SELECTs again under
    EXPLAIN (ANALYZE, BUFFERS): how many statements, their time in PostgreSQL, and the 8 kB
    buffers they touched. The buffers do not depend on the machine's load: the same figure on
    the demo street and on the city is the cost flat in the size of the city."""

    from django.db import connection
    from django.test import Client

    print(
        "\n[queries] each page once in-process, then its SELECTs under EXPLAIN (ANALYZE, BUFFERS)\n"
        f"{'page':<20} {'SQL':>4} {'in PG ms':>9} {'plan ms':>8} {'buffers':>8}  the costliest statement (buffers, ms)"
    )
    for page in pages:
        client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-CN")
        client.cookies.load(cookies[page.login])
        client.get(page.paths[0])
        statements = []

        def keep(execute, sql, params, many, context, statements=statements):
            statements.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(keep):
            answer = client.get(page.paths[0])
        costs = []
        with connection.cursor() as cursor:
            for sql, params in statements:
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
                buffers, ms, planning_ms = explained(cursor)
                costs.append((buffers, ms, sql, params, planning_ms))
        worst = max(costs, default=(0, 0.0, "", None, 0.0), key=lambda c: (c[0], c[1]))
        print(
            f"{page.name:<20} {len(statements):>4} {sum(c[1] for c in costs):>9.1f} {sum(c[4] for c in costs):>8.1f} "
            f"{sum(c[0] for c in costs):>8,}  "
            f"({worst[0]:,}, {worst[1]:.1f} ms) {' '.join(worst[2].split())[:110]}"
            + ("" if answer.status_code == 200 else f"  [answered {answer.status_code}]")
        )
        if plans and worst[2]:
            for buffers, ms, sql, _params, planning_ms in costs:
                print(f"    {buffers:>8,} buffers {ms:7.1f} ms (plan {planning_ms:.1f})  {' '.join(sql.split())[:150]}")
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + worst[2], worst[3])
                for (line,) in cursor.fetchall():
                    print(f"    {line}")


def compare_plans(pages: list[Page], cookies: dict[str, str]) -> None:
    """Each statement a page runs inside core.plans.generic_plans, prepared and run three times
    under EXPLAIN (ANALYZE, BUFFERS) with a plan made for its values and with the generic plan
    the page uses: buffers and best time (planning included). A generic plan that reads more
    than the other is one the page should not ask for (on the city data, with the statuses as
    parameters, the queue's cards went from 31 buffers to 609,397)."""
    import datetime as dt

    import psycopg
    from django.db import connection
    from django.test import Client

    from core.postgresql.base import searches_text

    def sql_type(value) -> str:
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, int):
            return "bigint"
        return {dt.datetime: "timestamptz", dt.date: "date"}.get(type(value), "text")

    def best_of_three(cursor, execute: str, params: list, mode: str) -> tuple[int, float]:
        cursor.execute(f"SET plan_cache_mode = {mode}")
        runs = []
        for _ in range(3):
            cursor.execute(psycopg.ClientCursor(connection.connection).mogrify(execute, params).replace("%", "%%"))
            buffers, ms, planning_ms = explained(cursor)
            runs.append((buffers, ms + planning_ms))
        return min(runs, key=lambda run: run[1])

    print(
        "\n[generic plans] each statement run under core.plans.generic_plans: a plan made for its values "
        "against the generic one (buffers, best of 3 ms with planning)"
    )
    for page in pages:
        client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-CN")
        client.cookies.load(cookies[page.login])
        client.get(page.paths[0])
        statements, inside = [], [False]

        def keep(execute, sql, params, many, context, statements=statements, inside=inside):
            if sql.startswith(("SET plan_cache_mode", "RESET plan_cache_mode")):
                inside[0] = sql.startswith("SET")
            elif inside[0] and sql.lstrip().startswith("SELECT") and params and not searches_text(sql):
                # (a search is sent with its words written in: planned for them, never generic)
                statements.append((sql, list(params)))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(keep):
            client.get(page.paths[0])
        with connection.cursor() as cursor:
            for sql, params in statements:
                pieces = sql.replace("%%", "%").split("%s")
                prepared = pieces[0] + "".join(f"${number}{piece}" for number, piece in enumerate(pieces[1:], 1))
                types = ", ".join(sql_type(value) for value in params)
                execute = f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE compared({', '.join(['%s'] * len(params))})"
                figures = []
                for mode in ("force_custom_plan", "force_generic_plan"):
                    cursor.execute(f"PREPARE compared({types}) AS {prepared}".replace("%", "%%"))
                    try:
                        figures.append(best_of_three(cursor, execute, params, mode))
                    finally:
                        cursor.execute("DEALLOCATE compared")
                        cursor.execute("RESET plan_cache_mode")
                (custom_buffers, custom_ms), (generic_buffers, generic_ms) = figures
                worse = "  GENERIC READS MORE" if generic_buffers > 2 * custom_buffers + 10 else ""
                print(
                    f"{page.name:<20} custom {custom_buffers:>9,} buffers {custom_ms:8.2f} ms | generic "
                    f"{generic_buffers:>9,} buffers {generic_ms:8.2f} ms  {' '.join(sql.split())[:60]}{worse}"
                )


def profile(pages: list[Page], cookies: dict[str, str], count: int = 100) -> None:
    """Each page `count` times through Django's test client, one at a time: this process's CPU
    per request (what the machine's load hardly changes; with 8 connections on 2 sync workers a
    page's p50 is about four of these), its SQL, and under cProfile where the time goes."""
    import cProfile

    from django.db import connection
    from django.test import Client

    print(f"\n[profile] each page {count} times in-process, one at a time (Django test client)")
    for page in pages:
        client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-CN")
        client.cookies.load(cookies[page.login])
        paths = page.paths
        for n in range(10):
            client.get(paths[n % len(paths)])
        sql = {"n": 0, "s": 0.0}

        def timed(execute, statement, params, many, context, sql=sql):
            begin = time.perf_counter()
            try:
                return execute(statement, params, many, context)
            finally:
                sql["n"] += 1
                sql["s"] += time.perf_counter() - begin

        cpu_started = time.process_time()
        with connection.execute_wrapper(timed):
            for n in range(count):
                client.get(paths[n % len(paths)])
        cpu = (time.process_time() - cpu_started) / count * 1000
        profiler = cProfile.Profile()
        profiler.enable()
        for n in range(count):
            answer = client.get(paths[n % len(paths)])
        profiler.disable()
        if os.environ.get("BENCH_PROFILE_DIR"):
            _keep_profiles(Path(os.environ["BENCH_PROFILE_DIR"]), page.name, profiler, client, paths, count)
        refused = "" if answer.status_code == 200 else f" [answered {answer.status_code}]"
        print(
            f"{page.name:<20} {cpu:6.2f} ms CPU per request, {sql['n'] / count:.1f} SQL taking "
            f"{sql['s'] / count * 1000:.2f} ms{refused}"
        )
        print(f"{'':<20} own time by package: {bench_api.by_package(profiler)}")
        bench_api.print_own_functions(profiler, 8, " " * 21)


def _keep_profiles(folder: Path, name: str, profiler, client, paths: list[str], count: int) -> None:
    """BENCH_PROFILE_DIR: the page's whole cProfile (`<page>.prof`, for pstats), and, with
    pyinstrument installed (pip install pyinstrument), where its time goes by call tree
    (`<page>.txt`), which cProfile's cost per call distorts for small functions."""
    profiler.dump_stats(folder / f"{name}.prof")
    try:
        from pyinstrument import Profiler
    except ImportError:
        return
    sampler = Profiler(interval=0.0002)
    sampler.start()
    for n in range(count):
        client.get(paths[n % len(paths)])
    sampler.stop()
    (folder / f"{name}.txt").write_text(sampler.output_text(unicode=False, show_all=False))


def main(argv=None) -> None:
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is not installed: apt-get install wrk, then run again.")
    work_dir = Path(tempfile.mkdtemp(prefix="zhitong-bench-screens-"))
    cookies = {}
    try:
        env = configure(args, work_dir)
        started = time.perf_counter()
        data = prepare(args)
        cookies = sign_in(page.login for page in data["pages"])

        from django.core.cache import cache
        from django.db import connection, connections

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            (pg_version,) = cursor.fetchone()
        print(
            f"Zhitong screens, signed in: {os.cpu_count()} CPUs shared by gunicorn ({args.workers} sync workers, "
            f"config.settings.production), PostgreSQL {pg_version}, Redis and wrk ({args.wrk_threads} threads, "
            f"{args.connections} connections), {args.warmup} s warm-up + {args.duration} s per page, "
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC\n"
            f"data ({connection.settings_dict['NAME']}): {data['tickets']:,} tickets, about {data['events']:,} "
            f"events, {data['households']:,} households; street {data['street'].code}: "
            f"{data['street_tickets']:,} tickets, {data['street_open']:,} open; setup "
            f"{time.perf_counter() - started:.0f} s\n"
            f"searched for: {data['queries']}"
        )
        if data["unapplied"]:
            print(f"NOTE: migrations not applied to this database: {', '.join(data['unapplied'])}")
        cache.clear()
        connections.close_all()
        results = []
        server = bench_api.Gunicorn(args, env, work_dir)
        try:
            if not args.no_load:
                server.start()
            for page in data["pages"] if not args.no_load else []:
                cookie = cookies[page.login]
                first = first_request(server.url, page, cookie)
                if args.warmup:
                    drive(wrk, args, server.url, work_dir, page, cookie, args.warmup)
                result = drive(wrk, args, server.url, work_dir, page, cookie, args.duration)
                results.append((page, {**result, "first_ms": first}))
        finally:
            server.stop()
        if results:
            report(results)
        if args.queries:
            explain_queries(data["pages"], cookies, args.plans)
        if args.generic:
            compare_plans(data["pages"], cookies)
        if args.profile:
            profile(data["pages"], cookies)
        print(f"\ntotal run time {time.perf_counter() - started:.0f} s")
    finally:
        if cookies:
            sign_out(cookies)
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

"""How fast is the public street page (/public/<code>/, reports.public)? Prints figures; it is
not a test.

    .venv/bin/python bench/public.py                     # 3 sync workers, 12 connections, 15 s
    .venv/bin/python bench/public.py --tickets 20000 --duration 20

It works in its own PostgreSQL database (default zhitong_bench_public, created if missing; a
name without "bench" is refused) and Redis database 13: migrate, seed_demo (street WLQ), last
month played by simulate_month (its report issued) and --tickets tickets this month. Then:

1. in-process, the cost of computing the page's figures (what a reader pays when the cache is
   stale or Redis is down), median of 20;
2. gunicorn with config.settings.production on a free port of 127.0.0.1 driven by wrk at the
   page, served from the cache (the goal: the page a whole city might open after a mass SMS);
3. the first answer after a ticket is closed (the figures recomputed by that reader);
4. for scale, GET /healthz driven the same way.

See bench/README.md.
"""

import argparse
import contextlib
import datetime as dt
import importlib.util
import io
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import ROOT, bench_database, ensure_database

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zhitong_bench_public"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"

# bench/api.py's gunicorn runner and wrk tally (loaded under another name: `api` is the app's).
_spec = importlib.util.spec_from_file_location("bench_api", Path(__file__).with_name("api.py"))
bench_api = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_api)

LUA = r"""
local path = "%(path)s"
local threads = {}
non2xx, bad = 0, nil
function setup(thread) table.insert(threads, thread) end
function request() return wrk.format("GET", path, {["Accept-Language"] = "zh-CN"}) end
"""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--connections", type=int, default=12, help="wrk connections (default 12)")
    parser.add_argument("--duration", type=int, default=15, help="seconds measured (default 15)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up (default 3)")
    parser.add_argument("--tickets", type=int, default=3000, help="tickets this month in WLQ (default 3,000)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_PUBLIC_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"env BENCH_PUBLIC_DATABASE_URL, default {DEFAULT_DATABASE_URL}",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_PUBLIC_REDIS_URL", DEFAULT_REDIS_URL),
        help=f"env BENCH_PUBLIC_REDIS_URL, default {DEFAULT_REDIS_URL}",
    )
    args = parser.parse_args(argv)
    if min(args.workers, args.connections, args.duration) < 1 or args.warmup < 0 or args.tickets < 0:
        parser.error("counts and durations must be positive")
    args.worker_class, args.threads, args.wrk_threads = "sync", 1, 1
    return args


def configure(args, work_dir: Path) -> dict:
    name = bench_database(args.database_url, "the benchmark fills it with tickets")
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "SECURE_SSL_REDIRECT": "0",
        "ZHITONG_VAR_DIR": str(work_dir),
        "STATIC_ROOT": str(work_dir / "static"),  # the page names its stylesheet: collected below
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    ensure_database(args.database_url, name)

    import django

    django.setup()
    return {**os.environ, **env}


def prepare(args) -> dict:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from core.clock import SHANGHAI
    from demo.month import simulate_month
    from demo.street import DEMO_STREET
    from grievances.models import Category, Ticket
    from intake.services import ticket_create
    from responders.models import ResponsibilityZone, StreetOffice

    quiet = io.StringIO()
    call_command("migrate", interactive=False, verbosity=0, stdout=quiet)
    call_command("seed_demo", no_progress=True, stdout=quiet, stderr=quiet)
    call_command("collectstatic", interactive=False, verbosity=0, stdout=quiet)
    street = StreetOffice.objects.get(code=DEMO_STREET[0])
    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    with contextlib.suppress(ValueError):  # played on an earlier run
        simulate_month(month=last_month, tickets=200, seed=1)
    since = dt.datetime.combine(today.replace(day=1), dt.time.min, tzinfo=SHANGHAI)
    have = Ticket.objects.filter(street=street, created_at__gte=since).count()
    zones = list(ResponsibilityZone.objects.filter(committee__street=street))
    categories = list(Category.objects.filter(active=True))
    rng = random.Random(1)
    for i in range(args.tickets - have):
        ticket_create(
            actor="bench",
            category=rng.choice(categories),
            description=f"bench {i}: 路灯不亮",
            channel="phone",
            zone=rng.choice(zones),
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"street": street, "tickets": Ticket.objects.filter(street=street).count()}


def compute_cost(street) -> tuple[float, float]:
    from reports.public import compute_public_figures

    compute_public_figures(street)
    times = []
    for _ in range(20):
        started = time.perf_counter()
        compute_public_figures(street)
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def drive(wrk: str, args, url: str, work_dir: Path, seconds: int, path: str = "/public/WLQ/") -> dict:
    script = work_dir / f"public-{secrets.token_hex(3)}.lua"
    script.write_text(LUA % {"path": path} + bench_api.LUA_TALLY)
    return bench_api.run_wrk(wrk, args, url, script, seconds)


def first_after_a_close(url: str, street) -> float:
    """A ticket of the street resolved and closed; how long the next reader waits."""
    from escalation import transitions
    from grievances.models import Ticket

    ticket = Ticket.objects.filter(street=street, status="new").order_by("-pk").first()
    ticket = transitions.ticket_resolve(ticket=ticket, actor="bench", outcome="solved", reason="bench")
    transitions.ticket_record_feedback(ticket=ticket, actor="bench", satisfaction="satisfied", collected_via="phone")
    started = time.perf_counter()
    with urllib.request.urlopen(f"{url}/public/WLQ/", timeout=10) as answer:
        answer.read()
    return time.perf_counter() - started


def main(argv=None) -> None:
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is not installed: apt-get install wrk, then run again.")
    work_dir = Path(tempfile.mkdtemp(prefix="zhitong-bench-public-"))
    try:
        env = configure(args, work_dir)
        started = time.perf_counter()
        data = prepare(args)
        median, worst = compute_cost(data["street"])
        print(
            f"Zhitong public street page: {os.cpu_count()} CPUs shared by gunicorn ({args.workers} sync workers, "
            f"config.settings.production), PostgreSQL, Redis and wrk ({args.connections} connections)\n"
            f"data: {data['tickets']:,} tickets in WLQ, {args.tickets:,} of them this month; setup "
            f"{time.perf_counter() - started:.0f} s\n"
            f"computing the figures (cache stale or Redis down): median {median * 1000:.1f} ms, "
            f"max {worst * 1000:.1f} ms (of 20)"
        )
        from django.core.cache import cache
        from django.db import connections

        cache.clear()
        connections.close_all()
        server = bench_api.Gunicorn(args, env, work_dir)
        try:
            server.start()
            if args.warmup:
                drive(wrk, args, server.url, work_dir, args.warmup)
            result = drive(wrk, args, server.url, work_dir, args.duration)
            refresh = first_after_a_close(server.url, data["street"])
            # For scale, on the same machine at the same moment: Django's cheapest answer.
            health = drive(wrk, args, server.url, work_dir, args.duration, path="/healthz")
        finally:
            server.stop()
        print(
            f"served from the cache: {result['rps']:,.0f} requests/s, p50 {result['p50_us'] / 1000:.1f} ms, "
            f"p99 {result['p99_us'] / 1000:.1f} ms, max {result['max_us'] / 1000:.1f} ms; "
            f"{result['requests']:,} requests, {result['non2xx']} not 200, {result['socket_errors']} socket errors"
            + (f" (e.g. {result['bad_sample'][:200]})" if result["bad_sample"] else "")
        )
        print(f"first answer after a ticket was closed (recomputed): {refresh * 1000:.1f} ms")
        print(
            f"for scale, GET /healthz: {health['rps']:,.0f} requests/s, p50 {health['p50_us'] / 1000:.1f} ms, "
            f"p99 {health['p99_us'] / 1000:.1f} ms"
        )
        print(f"total run time {time.perf_counter() - started:.0f} s")
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

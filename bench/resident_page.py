"""How fast is the resident's page after a mass SMS? Prints figures; it is not a test.

    .venv/bin/python bench/resident_page.py                  # 3 sync workers, 12 connections, 15 s
    .venv/bin/python bench/resident_page.py --tickets 20000 --workers 4

Goal (issue 17): 1,000 resident pages/s with p99 under 100 ms on this machine. It works in
its own PostgreSQL database (default zhitong_bench_residents, created if missing; a name
without "bench" is refused) and Redis database 13: migrate, seed_demo (street WLQ), then
tickets with residents' phones up to --tickets (a third resolved with a stated reason, a
third in progress, a third just received). It starts gunicorn with config.settings.production
on a free port of 127.0.0.1 (bench/api.py's Gunicorn) and drives it with wrk over every
ticket's link, each request a different resident, warmed up, then measured.
"""

import argparse
import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import ROOT, bench_database, ensure_database

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zhitong_bench_residents"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
GOAL_PER_SECOND, GOAL_P99_MS = 1000, 100

LUA = r"""
local paths = {%(paths)s}
local threads, n = {}, 0
non2xx = 0
function setup(thread) table.insert(threads, thread) end
function request()
  n = n + 1
  return wrk.format("GET", paths[(n * 7919) %% #paths + 1], {["Accept-Language"] = "zh-CN"})
end
function response(status) if status ~= 200 then non2xx = non2xx + 1 end end
function done(summary, latency)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("non2xx") end
  io.write(string.format('BENCH {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"max_us": %%d, "non2xx": %%d}\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), latency.max, total))
end
"""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--connections", type=int, default=12, help="wrk connections (default 12)")
    parser.add_argument("--duration", type=int, default=15, help="seconds measured (default 15)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up (default 3)")
    parser.add_argument("--tickets", type=int, default=3000, help="residents' tickets (default 3,000)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_RESIDENTS_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_RESIDENTS_REDIS_URL", DEFAULT_REDIS_URL))
    return parser.parse_args(argv)


def configure(args, work_dir: Path) -> dict:
    name = bench_database(args.database_url, "the benchmark fills it with tickets")
    static_root = work_dir / "static"
    static_root.mkdir()
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "bench-" + secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "SECURE_SSL_REDIRECT": "0",
        "ZHITONG_VAR_DIR": str(work_dir),
        "STATIC_ROOT": str(static_root),  # collectstatic fills it, as the Docker image does
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    ensure_database(args.database_url, name)
    import django

    django.setup()
    return {**os.environ, **env}


def prepare(count: int) -> list[str]:
    """`count` residents' tickets in WLQ (made once; a later run adds what is missing), and
    the path of each one's page."""
    from django.core.management import call_command

    from core.enums import Channel, Outcome
    from escalation.transitions import ticket_resolve, ticket_start
    from grievances.models import Category, Ticket
    from intake.services import ticket_create
    from residents import tokens
    from residents.services import no_resident_messages
    from responders.models import PartnerSystem, ResponsibilityZone

    call_command("migrate", "--noinput", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)  # the pages name hashed static files
    call_command("seed_demo", "--no-progress", verbosity=0)
    zones = list(ResponsibilityZone.objects.filter(committee__street__code="WLQ").order_by("pk"))
    category = Category.objects.get(code="environment")
    hotline, _ = PartnerSystem.objects.get_or_create(code="bench-residents", defaults={"name": "12345 (bench)"})
    have = Ticket.objects.filter(external_id__startswith="bench-resident-").count()
    with no_resident_messages():
        for n in range(have, count):
            ticket = ticket_create(
                actor="bench",
                category=category,
                description=f"小区门口垃圾没人清运（压测 {n}）",
                channel=Channel.HOTLINE,
                zone=zones[n % len(zones)],
                reporter_name="居民",
                reporter_phone=f"139{n:08d}",
                partner=hotline,
                external_id=f"bench-resident-{n}",
            )
            if n % 3:
                ticket = ticket_start(ticket=ticket, actor=ticket.owner)
            if n % 3 == 2:
                ticket_resolve(ticket=ticket, actor=ticket.owner, outcome=Outcome.EXPLAINED, reason="属物业管理范围")
            if n and n % 500 == 0:
                print(f"  {n:,} tickets")
    return [
        tokens.page_path(ticket, tokens.resident_phone(ticket))
        for ticket in Ticket.objects.filter(external_id__startswith="bench-resident-").order_by("pk")[:count]
    ]


def wrk(url: str, script: Path, seconds: int, connections: int) -> dict:
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(re.search(r"^BENCH (.*)$", output, re.M).group(1))


def main(argv=None) -> None:
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk, then run again.")
    work_dir = Path(tempfile.mkdtemp(prefix="zhitong-bench-residents-"))
    try:
        env = configure(args, work_dir)
        paths = prepare(args.tickets)
        from django.db import connections

        connections.close_all()
        script = work_dir / "pages.lua"
        script.write_text(LUA % {"paths": ", ".join(f'"{path}"' for path in paths)})
        spec = importlib.util.spec_from_file_location("bench_api", ROOT / "bench" / "api.py")
        bench_api = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bench_api)
        server = bench_api.Gunicorn(args, env, work_dir)
        server.start()
        try:
            if args.warmup:
                wrk(server.url, script, args.warmup, args.connections)
            result = wrk(server.url, script, args.duration, args.connections)
        finally:
            server.stop()
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    rate = result["requests"] / (result["duration_us"] / 1e6)
    p50, p99 = result["p50_us"] / 1000, result["p99_us"] / 1000
    print(
        f"resident's page: {os.cpu_count()} CPUs shared by gunicorn ({args.workers} {args.worker_class}), "
        f"PostgreSQL, Redis and wrk; {len(paths):,} residents, {args.connections} connections, {args.duration} s"
    )
    print(
        f"  {rate:,.0f} pages/s (goal {GOAL_PER_SECOND:,}), p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        f"(goal < {GOAL_P99_MS}), max {result['max_us'] / 1000:.0f} ms, non-200 {result['non2xx']}"
    )
    met = rate >= GOAL_PER_SECOND and p99 < GOAL_P99_MS
    print("  goal met" if met else "  goal NOT met on this machine")


if __name__ == "__main__":
    main()

"""How fast is the partner REST API under load? Prints figures; it is not a test.

    .venv/bin/python bench/api.py                        # 2 sync workers, wrk 2 threads x 8 connections
    .venv/bin/python bench/api.py --build-tickets 10000000 --database-url .../zhitong_bench_api10m
    .venv/bin/python bench/api.py --profile              # and where the time of one request goes
    .venv/bin/python bench/api.py --instructions --only create  # the web process's work, counted (valgrind)

It works in its own PostgreSQL database (default zhitong_bench_api, created if missing; a
name without "bench" is refused) and Redis database 13: migrate, seed_demo (street WLQ),
a fresh partner key, tickets up to --tickets. Then it starts gunicorn with
config.settings.production on a free port of 127.0.0.1 and drives it with wrk (install it:
apt-get install wrk): `/healthz` (the yardstick), a list of 50, a get by id, and a create
with a unique Idempotency-Key per request, each warmed up and then measured. Absolute rates
do not travel between machines, so every scenario is printed, and judged, as a share of
`/healthz` measured in the same run (before and after the scenarios). See bench/README.md.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

from _common import ROOT, bench_database, ensure_database

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zhitong_bench_api"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
PARTNER = "bench-api"

# The goals (issue 21): (share of /healthz's requests/s in the same run at least, p99 under ms
# or None). Absolute figures do not travel between machines; the ratio does.
GOALS = {"list": (0.25, None), "get": (0.30, None), "create": (0.15, 300)}
LABELS = {"healthz": "/healthz", "list": "list of 50", "get": "get by id", "create": "create"}
LIST_PATH = "/api/v1/tickets/?page_size=50"
# Of the tickets `get` picks among, this many are the newest (made through ticket_create, with
# their timelines) and as many again are drawn from anywhere in the street's table.
GET_IDS = 2000

# One wrk script for the three scenarios. request() builds each request (a unique
# Idempotency-Key per create), response() counts the answers that are not 2xx, done() prints
# one JSON line that the benchmark reads back.
LUA = r"""
local mode, run, key = "%(mode)s", "%(run)s", "%(key)s"
local ids = {%(ids)s}
local zones = {%(zones)s}
local categories = {%(categories)s}
local threads = {}
local n = 0
non2xx, bad = 0, nil

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function request()
  n = n + 1
  local headers = {["Authorization"] = "Api-Key " .. key, ["Accept"] = "application/json"}
  if mode == "healthz" then
    return wrk.format("GET", "/healthz", {["Accept"] = "application/json"})
  elseif mode == "list" then
    return wrk.format("GET", "%(list_path)s", headers)
  elseif mode == "get" then
    return wrk.format("GET", "/api/v1/tickets/" .. ids[(n * 7919) %% #ids + 1] .. "/", headers)
  end
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = run .. "-" .. tid .. "-" .. n
  local body = string.format(
    '{"category": "%%s", "description": "bench %%s-%%d-%%d: streetlight out", "zone": %%d}',
    categories[n %% #categories + 1], run, tid, n, zones[n %% #zones + 1])
  return wrk.format("POST", "/api/v1/tickets/", headers, body)
end
"""

# What every scenario's script ends with (bench/public.py's too): count the answers that are
# not 2xx, and print one JSON line of figures that `run_wrk` reads back.
LUA_TALLY = r"""
function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if bad == nil then bad = status .. " " .. string.sub(body or "", 1, 300) end
  end
end

function done(summary, latency, requests)
  local total, sample = 0, ""
  for _, thread in ipairs(threads) do
    total = total + thread:get("non2xx")
    sample = thread:get("bad") or sample
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"non2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    total, e.connect + e.read + e.write + e.timeout))
  if sample ~= "" then io.write("BENCHBAD " .. sample:gsub("\n", " ") .. "\n") end
end
"""


def main(argv=None) -> None:
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    if args.instructions_child:
        count_child(args)
        return
    if args.instructions:
        instructions(args)
        return
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is not installed: apt-get install wrk (Debian/Ubuntu) or brew install wrk, then run again.")
    work_dir = Path(tempfile.mkdtemp(prefix="zhitong-bench-api-"))
    try:
        env = configure(args, work_dir)
        run(args, env, wrk, work_dir)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync", help="default sync")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--duration",
        type=int,
        default=5,
        help="seconds per slice (default 5): --rounds slices of a scenario and as many of /healthz, in turns",
    )
    parser.add_argument("--rounds", type=int, default=3, help="slices of each scenario and of /healthz (default 3)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per scenario (default 3)")
    parser.add_argument("--tickets", type=int, default=5000, help="tickets in WLQ before the run (default 5,000)")
    parser.add_argument(
        "--build-tickets",
        type=int,
        metavar="N",
        help="first give the database a ticket table of N tickets in WLQ (N/3 open, the rest closed) with "
        "bench/sweep.py's generate_series builder, unless it already holds N or more (then it is kept); "
        "then --tickets more are made through ticket_create, so the newest have real timelines",
    )
    parser.add_argument(
        "--only", action="append", choices=list(GOALS), help="run only this scenario (repeatable; default all)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="afterwards, run each scenario in-process under cProfile and show where a request's time goes",
    )
    parser.add_argument(
        "--profile-only", action="store_true", help="--profile without the runs under load (no gunicorn, no wrk)"
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="instead of the runs under load: the web process's instructions per request of each scenario and "
        "of /healthz, counted by valgrind's callgrind (the same whatever else the machine does; a few minutes)",
    )
    parser.add_argument("--instructions-child", default="", help=argparse.SUPPRESS)
    parser.add_argument(
        "--count", type=int, default=50, help="--instructions: requests of each scenario counted (default 50)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_API_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"env BENCH_API_DATABASE_URL, default {DEFAULT_DATABASE_URL}",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_API_REDIS_URL", DEFAULT_REDIS_URL),
        help=f"env BENCH_API_REDIS_URL, default {DEFAULT_REDIS_URL}",
    )
    args = parser.parse_args(argv)
    counts = (args.workers, args.threads, args.connections, args.wrk_threads, args.duration, args.rounds)
    if min(counts) < 1 or args.warmup < 0:
        parser.error("counts and durations must be positive")
    args.only = args.only or list(GOALS)
    return args


def configure(args, work_dir: Path) -> dict:
    """The environment of config.settings.production for this process and gunicorn; django.setup()."""
    name = bench_database(args.database_url, "the benchmark fills it with tickets")
    static_root = work_dir / "static"
    static_root.mkdir()
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP to gunicorn, as behind the TLS proxy
        "ZHITONG_API_RATE": "1000000/s",  # throttle counted in Redis as usual, never reached
        "ZHITONG_VAR_DIR": str(work_dir),
        "STATIC_ROOT": str(static_root),  # empty: the API serves no static files
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    ensure_database(args.database_url, name)

    import django

    django.setup()
    return {**os.environ, **env}


# --- the run ----------------------------------------------------------------------------


def run(args, env: dict, wrk: str, work_dir: Path) -> None:
    from django.db import connection, connections

    started = time.perf_counter()
    data = prepare(args)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (pg_version,) = cursor.fetchone()
    connections.close_all()
    workers = f"{args.workers} {args.worker_class}" + (
        f" × {args.threads} threads" if args.worker_class == "gthread" else ""
    )
    print(
        f"Zhitong partner API benchmark: {os.cpu_count()} CPUs shared by gunicorn, PostgreSQL {pg_version}, "
        f"Redis and wrk\ngunicorn {workers}, config.settings.production; wrk {args.wrk_threads} thread(s), "
        f"{args.connections} connections; per scenario a {args.warmup} s warm-up, then {args.rounds} slices of "
        f"{args.duration} s of it and as many of /healthz, in turns"
    )
    print(
        f"data: {data['total']:,} tickets in {data['street']}, get picks among {len(data['ids']):,} of them; "
        f"{len(data['zones'])} zones, {len(data['categories'])} categories; "
        f"setup {time.perf_counter() - started:.0f} s"
    )

    if args.profile_only:
        profile(data, args.only)
        return
    rows = []  # (scenario, its figures, /healthz's figures in the slices between)
    server = Gunicorn(args, env, work_dir)
    try:
        server.start()
        for mode in args.only:
            if mode == "create":
                data["max_id"] = _max_ticket_id()
            rows.append((mode, *measure(wrk, args, server.url, work_dir, data, mode)))
    finally:
        server.stop()

    report(rows)
    for mode, figures, _healthz in rows:
        if mode == "create":
            check_creates(figures, data)
    if args.profile:
        profile(data, args.only)
    print(f"\ntotal run time {time.perf_counter() - started:.0f} s")


def measure(wrk: str, args, url: str, work_dir: Path, data: dict, mode: str) -> tuple[dict, dict]:
    """A scenario and /healthz in turns: a warm-up of each, then `--rounds` slices of each,
    alternating, so that both meet the same load on a shared machine. Their figures."""
    run_id = secrets.token_hex(4)
    if args.warmup:
        drive(wrk, args, url, work_dir, data, "healthz", f"w{run_id}h", args.warmup)
        drive(wrk, args, url, work_dir, data, mode, f"w{run_id}", args.warmup)
    slices = {"healthz": [], mode: []}
    for index in range(args.rounds):
        for which in ("healthz", mode) if index % 2 == 0 else (mode, "healthz"):
            slices[which].append(drive(wrk, args, url, work_dir, data, which, f"{run_id}{index}", args.duration))
    scenario = combine(slices[mode])
    scenario["run"] = run_id
    return scenario, combine(slices["healthz"])


def combine(slices: list[dict]) -> dict:
    """One set of figures for several wrk runs: rates over the sum, p50 weighted by requests,
    p99 and max the worst slice's."""
    requests = sum(r["requests"] for r in slices)
    return {
        "requests": requests,
        "rps": requests / (sum(r["duration_us"] for r in slices) / 1e6),
        "p50_us": sum(r["p50_us"] * r["requests"] for r in slices) / max(requests, 1),
        "p99_us": max(r["p99_us"] for r in slices),
        "max_us": max(r["max_us"] for r in slices),
        "slice_rps": [r["rps"] for r in slices],
        "non2xx": sum(r["non2xx"] for r in slices),
        "socket_errors": sum(r["socket_errors"] for r in slices),
        "bad_sample": next((r["bad_sample"] for r in slices if r["bad_sample"]), ""),
    }


def _max_ticket_id() -> int:
    from django.db import connections
    from django.db.models import Max

    from grievances.models import Ticket

    found = Ticket.objects.aggregate(top=Max("pk"))["top"] or 0
    connections.close_all()
    return found


def prepare(args) -> dict:
    """migrate, seed_demo, a new key of the bench partner, enough tickets; what wrk needs."""
    from django.core.management import call_command
    from django.db import connection

    from api.services import partner_key_create
    from demo import street as demo
    from grievances.models import Category, Ticket
    from intake.services import ticket_create
    from responders.models import PartnerSystem, ResponsibilityZone, StreetOffice

    quiet = io.StringIO()
    call_command("migrate", interactive=False, verbosity=0, stdout=quiet)
    # Once: a second seed_demo after bench/sweep.py's builder truncated the tickets (and what
    # refers to them, the meetings' agendas among it) would trip over what is left.
    if not StreetOffice.objects.filter(code=demo.DEMO_STREET[0]).exists():
        call_command("seed_demo", no_progress=True, stdout=quiet, stderr=quiet)
    street = StreetOffice.objects.get(code=demo.DEMO_STREET[0])
    system, _ = PartnerSystem.objects.get_or_create(code=PARTNER, defaults={"name": PARTNER})
    _key, raw = partner_key_create(
        partner=system,
        name=f"bench {time.strftime('%Y-%m-%d %H:%M:%S')}",
        streets=[street],
        scopes=["tickets:read", "tickets:write"],
    )
    zones = list(ResponsibilityZone.objects.filter(committee__street=street).order_by("pk"))
    categories = list(Category.objects.filter(active=True).order_by("pk"))
    if not zones or not categories:
        sys.exit("The demo street has no zones or no categories: did seed_demo run?")
    if args.build_tickets:
        build_tickets(args.build_tickets, street)
        top_up = args.tickets
    else:
        top_up = args.tickets - Ticket.objects.filter(street=street).count()
    if top_up > 0:
        seeding = time.perf_counter()
        rng = random.Random(1)
        for i in range(top_up):
            ticket_create(
                actor=f"partner:{PARTNER}",
                category=rng.choice(categories),
                description=f"bench seed {i}: 路灯不亮",
                channel="partner",
                zone=rng.choice(zones),
                partner=system,
            )
        print(f"seeded {top_up:,} tickets through ticket_create in {time.perf_counter() - seeding:.0f} s")
    with connection.cursor() as cursor:
        # Fresh planner statistics: right after a seed, PostgreSQL still believes the ticket
        # table is nearly empty and plans the list as a hash join over every ticket. And the
        # dead rows of earlier runs cleared, as autovacuum keeps a live database (a machine
        # with autovacuum off, as some here are, otherwise measures each run's creates
        # against every earlier run's leftovers: 12-14 % of /healthz after a few runs, 15 %
        # right after a VACUUM, the same code).
        cursor.execute("VACUUM (ANALYZE)")
    return {
        "key": raw,
        "street": street.code,
        "total": Ticket.objects.filter(street=street).count(),
        "ids": get_ids(street),
        "zones": [zone.pk for zone in zones],
        "categories": [category.code for category in categories],
    }


def get_ids(street) -> list[int]:
    """What `get` asks for: the street's newest GET_IDS tickets and GET_IDS more drawn evenly
    from its whole id range (without sorting the table: random ids, kept where they exist)."""
    from django.db.models import Max, Min

    from grievances.models import Ticket

    tickets = Ticket.objects.filter(street=street)
    newest = list(tickets.order_by("-pk").values_list("pk", flat=True)[:GET_IDS])
    bounds = tickets.aggregate(low=Min("pk"), high=Max("pk"))
    rng = random.Random(2)
    anywhere: set[int] = set()
    for _ in range(20):
        if len(anywhere) >= GET_IDS or bounds["low"] is None:
            break
        draw = {rng.randint(bounds["low"], bounds["high"]) for _ in range(GET_IDS)}
        anywhere |= set(tickets.filter(pk__in=draw).values_list("pk", flat=True))
    ids = newest + sorted(anywhere - set(newest))[:GET_IDS]
    rng.shuffle(ids)
    return ids


def build_tickets(count: int, street) -> None:
    """A ticket table of `count` tickets with bench/sweep.py's builder (one INSERT ... SELECT
    FROM generate_series; a third open, the rest closed, all in the demo street), unless the
    street holds `count` or more already. The build truncates the ticket table (and what
    refers to it)."""
    from types import SimpleNamespace

    import sweep
    from django.db import connection

    from grievances.models import Ticket

    have = Ticket.objects.filter(street=street).count()
    if have >= count:
        print(f"tickets: keeping the {have:,} tickets of {street.code} (--build-tickets {count:,})")
        return
    started = time.perf_counter()
    data = sweep.GeneratorData.load()
    data.closed = count - count // 3
    with connection.cursor() as cursor:
        sweep._check_columns(cursor)
    sweep.build(SimpleNamespace(open=count // 3, closed=data.closed), data)
    print(f"tickets: built {count:,} with bench/sweep.py's builder in {time.perf_counter() - started:.0f} s")


class Gunicorn:
    """config.wsgi on a free port of 127.0.0.1, its log in the work folder."""

    def __init__(self, args, env: dict, work_dir: Path):
        self.args, self.env, self.log_path = args, env, work_dir / "gunicorn.log"
        self.process = None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.args.workers}",
            f"--worker-class={self.args.worker_class}",
            f"--threads={self.args.threads if self.args.worker_class == 'gthread' else 1}",
            "--backlog=2048",
            "--worker-tmp-dir=/dev/shm" if Path("/dev/shm").is_dir() else "--worker-tmp-dir=/tmp",
            "--log-level=warning",
        ]
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        sys.exit(f"gunicorn did not come up:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self.log.close()
            errors = [line for line in self.log_path.read_text().splitlines() if "Traceback" in line or "ERROR" in line]
            if errors:
                print(f"gunicorn logged {len(errors)} error line(s), e.g. {errors[0][:200]}")


def drive(wrk: str, args, url: str, work_dir: Path, data: dict, mode: str, run_id: str, seconds: int) -> dict:
    """One wrk run of `seconds`; its figures."""
    script = work_dir / f"{mode}-{run_id}.lua"
    script.write_text(
        LUA
        % {
            "mode": mode,
            "run": run_id,
            "key": data["key"],
            "ids": ", ".join(map(str, data["ids"])),
            "zones": ", ".join(map(str, data["zones"])),
            "categories": ", ".join(f'"{code}"' for code in data["categories"]),
            "list_path": LIST_PATH,
        }
        + LUA_TALLY
    )
    return run_wrk(wrk, args, url, script, seconds)


def run_wrk(wrk: str, args, url: str, script: Path, seconds: int) -> dict:
    """wrk with `script` (which ends with LUA_TALLY) for `seconds`; its figures."""
    command = [
        wrk,
        f"--threads={args.wrk_threads}",
        f"--connections={max(args.connections, args.wrk_threads)}",
        f"--duration={seconds}s",
        "--timeout=10s",
        f"--script={script}",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    figures, bad = None, ""
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            figures = json.loads(line[len("BENCH ") :])
        elif line.startswith("BENCHBAD "):
            bad = line[len("BENCHBAD ") :]
    if done.returncode != 0 or figures is None:
        sys.exit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["bad_sample"] = bad
    return figures


def report(rows: list) -> None:
    """Each scenario's figures and /healthz's from the slices between, and the share."""
    print(
        f"\n{'scenario':<12} {'req/s':>8} {'share':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'requests':>9} "
        f"{'non-2xx':>8} {'sock err':>8}  goal (share of /healthz in the same slices)"
    )
    for mode, r, healthz in rows:
        share_goal, p99_goal = GOALS[mode]
        share = r["rps"] / healthz["rps"]
        met = share >= share_goal and (p99_goal is None or r["p99_us"] / 1000 < p99_goal)
        met = met and r["non2xx"] == 0 and r["socket_errors"] == 0 and healthz["non2xx"] == 0
        goal = f">= {share_goal:.0%}" + (f", p99 < {p99_goal} ms" if p99_goal else "") + ", no errors"
        for label, figures, text in (
            (LABELS[mode], r, f"{goal}: {'MET' if met else 'NOT MET'}"),
            ("  /healthz", healthz, "the yardstick"),
        ):
            print(
                f"{label:<12} {figures['rps']:>8.1f} {(f'{share:.1%}' if figures is r else ''):>7} "
                f"{figures['p50_us'] / 1000:>8.1f} {figures['p99_us'] / 1000:>8.1f} {figures['max_us'] / 1000:>8.1f} "
                f"{figures['requests']:>9,} {figures['non2xx']:>8,} {figures['socket_errors']:>8,}  {text}; "
                f"slices {', '.join(f'{x:.0f}' for x in figures['slice_rps'])}/s"
            )
            if figures["bad_sample"]:
                print(f"{'':<12} first non-2xx answer: {figures['bad_sample'][:200]}")
    print(
        "p50: the slices' weighted by requests; p99 and max: the worst slice's. "
        f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)"
    )


def check_creates(result: dict, data: dict) -> None:
    """Did every 2xx create make exactly one ticket? wrk does not count the answers still in
    flight when it stops, so the database may hold up to one more per connection."""
    from api.models import IdempotencyRecord
    from grievances.models import Ticket, TicketEvent

    prefix = f"bench {result['run']}"  # the slices' runs: the run's id and the slice's number
    # Only the tickets made since the run began: no scan of a big table's descriptions.
    tickets = Ticket.objects.filter(pk__gt=data.get("max_id", 0), description__startswith=prefix)
    created = tickets.count()
    events = TicketEvent.objects.filter(ticket__in=tickets, kind=TicketEvent.Kind.CREATED).count()
    records = IdempotencyRecord.objects.filter(idempotency_key__startswith=result["run"], status_code=201)
    ok = result["requests"] - result["non2xx"]
    print(
        f"create check: wrk saw {ok:,} answers 2xx (of {result['requests']:,}); the database holds {created:,} "
        f"tickets of this run, {events:,} 'created' events, {records.count():,} idempotency records with 201 "
        f"({created - ok:+,} tickets against wrk's count: requests still in flight when wrk stopped)"
    )


# --- --instructions: the web process's work, counted -----------------------------------------


def instructions(args) -> None:
    """Each scenario's and /healthz's instructions per request in the web process, counted by
    callgrind: this script again under valgrind once with no requests, then once per scenario
    with --count of them after the same warm-up; the difference over the count. The counts
    do not move with the machine's load (wall times do, by half from one hour to the next),
    so a change's effect shows in one run. The database's own work is not counted: under wrk
    it shares the cores, which is why the goals are judged there."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("valgrind is not installed: apt-get install valgrind, then run again.")
    work_dir = Path(tempfile.mkdtemp(prefix="zhitong-bench-api-"))
    try:
        configure(args, work_dir)
        data = prepare(args)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    print(
        f"instructions per request in the web process (valgrind --tool=callgrind), {args.count} requests "
        f"of each after a warm-up; {data['total']:,} tickets in {data['street']}"
    )
    base = [a for a in sys.argv[1:] if a != "--instructions"]

    def counted(mode: str, count: int) -> int:
        command = [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__]
        command += [*base, "--tickets", "0", "--instructions-child", f"{mode}:{count}"]
        done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        found = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode != 0 or found is None:
            sys.exit(f"the counted run of {mode} failed:\n{done.stderr[-2000:]}")
        return int(found.group(1))

    nothing = counted("healthz", 0)
    per = {mode: (counted(mode, args.count) - nothing) / args.count / 1e6 for mode in ["healthz", *args.only]}
    print(f"  {'/healthz':<10} {per['healthz']:6.2f} M instructions (the yardstick)")
    for mode in args.only:
        share = per["healthz"] / per[mode]
        print(
            f"  {LABELS[mode]:<10} {per[mode]:6.2f} M instructions, {share:.1%} of /healthz's "
            f"(the goal, judged under wrk: {GOALS[mode][0]:.0%})"
        )


def count_child(args) -> None:
    """Under valgrind: set up as --instructions' parent did (no tickets added), warm up, then
    the counted requests. The reference data is kept for the whole run and the heap frozen out
    of the garbage collector after the warm-up, so neither a reload nor a collection's size
    lands in one scenario's count and not another's."""
    import gc

    mode, count = args.instructions_child.split(":")
    work_dir = Path(tempfile.mkdtemp(prefix="zhitong-bench-api-"))
    try:
        configure(args, work_dir)
        data = prepare(args)
        from core import refdata

        refdata.TTL = float("inf")
        call = in_process(data)
        for n in range(20):  # the same warm-up in every counted run, the one of no requests too
            for each in ("healthz", *args.only):
                call(each, 10_000 + n)
        gc.collect()
        gc.freeze()
        for n in range(int(count)):
            answer = call(mode, 20_000 + n)
            if not 200 <= answer.status_code < 300:
                sys.exit(f"{mode}: answered {answer.status_code}: {answer.content[:300]!r}")
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


# --- --profile: one request at a time, in-process -------------------------------------------


def in_process(data: dict):
    """call(mode, n): the nth request of a scenario (or /healthz) through Django's test client."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Api-Key {data['key']}")
    run_id = "p" + secrets.token_hex(4)

    def call(mode: str, n: int):
        if mode == "healthz":
            return client.get("/healthz")
        if mode == "list":
            return client.get(LIST_PATH)
        if mode == "get":
            return client.get(f"/api/v1/tickets/{data['ids'][n % len(data['ids'])]}/")
        body = {
            "category": data["categories"][n % len(data["categories"])],
            "description": f"bench {run_id}-{n}: streetlight out",
            "zone": data["zones"][n % len(data["zones"])],
        }
        return client.post(
            "/api/v1/tickets/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"{run_id}-{n}"
        )

    return call


def profile(data: dict, modes: list[str], count: int = 300) -> None:
    """Each scenario `count` times through Django's test client (no gunicorn, no concurrency):
    wall time and SQL per request, then cProfile's own time grouped by package."""
    from django.db import connection

    call = in_process(data)

    print(f"\n[profile] each scenario {count} times in-process, one at a time (Django test client)")
    cpu_ms = {}
    for mode in ["healthz", *modes]:
        sql = {"n": 0, "s": 0.0, "by": defaultdict(float)}

        def timed(execute, statement, params, many, context, sql=sql):
            begin = time.perf_counter()
            try:
                return execute(statement, params, many, context)
            finally:
                spent = time.perf_counter() - begin
                sql["n"] += 1
                sql["s"] += spent
                sql["by"][_statement_kind(statement)] += spent

        for n in range(20):  # warm
            call(mode, n)
        # This process's CPU time without the profiler: what the machine's load hardly changes.
        cpu_started = time.process_time()
        for n in range(20 + count, 20 + 2 * count):
            call(mode, n)
        cpu = cpu_ms[mode] = (time.process_time() - cpu_started) / count * 1000
        if mode == "healthz":
            print(f"/healthz: {cpu:.2f} ms of this process's CPU per request (the yardstick of the shares below)")
            continue
        profiler = cProfile.Profile()
        with connection.execute_wrapper(timed):
            begin = time.perf_counter()
            profiler.enable()
            for n in range(20, 20 + count):
                answer = call(mode, n)
                if not 200 <= answer.status_code < 300:
                    sys.exit(f"{mode}: answered {answer.status_code}: {answer.content[:300]!r}")
            profiler.disable()
            wall = time.perf_counter() - begin
        per = wall / count * 1000
        kinds = ", ".join(f"{k} {v / count * 1000:.2f}" for k, v in sorted(sql["by"].items(), key=lambda kv: -kv[1]))
        print(
            f"{LABELS[mode]}: {cpu:.2f} ms of this process's CPU per request without cProfile "
            f"(as a share of /healthz's: {cpu_ms['healthz'] / cpu:.1%}); "
            f"{per:.2f} ms per request under cProfile, {sql['n'] / count:.1f} SQL statements "
            f"taking {sql['s'] / count * 1000:.2f} ms ({kinds})"
        )
        print(f"  own time by package: {by_package(profiler)}")
        print(f"  the project's functions by cumulative time (ms per request = cumtime / {count} * 1000):")
        print_own_functions(profiler, int(os.environ.get("BENCH_PROFILE_LINES", "12")), "  ")


def _statement_kind(statement: str) -> str:
    """'INSERT grievances_ticket', 'SELECT', 'UPDATE core_counter'...: a write by its table."""
    words = statement.split()
    kind = words[0].upper() if words else "?"
    if kind in ("INSERT", "UPDATE", "DELETE", "COPY") and len(words) > 2:
        table = words[2] if kind in ("INSERT", "DELETE") else words[1]
        kind = f"{kind} {table.strip(chr(34))}"
    return kind


def print_own_functions(profiler: cProfile.Profile, limit: int, indent: str) -> None:
    """The project's costliest functions by cumulative time, under cProfile's header."""
    out = io.StringIO()
    own_code = rf"^{re.escape(str(ROOT))}/(?!\.venv/|bench/)"
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(own_code, limit)
    lines = out.getvalue().splitlines()
    header = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), len(lines))
    for line in lines[header:]:
        if line.strip():
            print(f"{indent}{line.replace(str(ROOT) + '/', '')[:140]}")


def by_package(profiler: cProfile.Profile) -> str:
    """cProfile's own (not cumulative) time summed by where the code lives."""
    totals = defaultdict(float)
    stats = pstats.Stats(profiler).stats
    for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in stats.items():
        totals[_package(filename, function)] += own
    whole = sum(totals.values()) or 1
    top = sorted(totals.items(), key=lambda kv: -kv[1])[:9]
    return ", ".join(f"{name} {share / whole:.0%}" for name, share in top)


def _package(filename: str, function: str) -> str:
    if filename == "~":
        return "psycopg/C" if "psycopg" in function or "execute" in function else "builtins"
    path = filename.replace("\\", "/")
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0]
    if path.startswith(str(ROOT)):
        return "zhitong:" + Path(path).relative_to(ROOT).parts[0]
    return "stdlib"


if __name__ == "__main__":
    main()

"""What the benchmark scripts share: the repository root and their own PostgreSQL database.

The scripts run as `.venv/bin/python bench/<name>.py`, which puts bench/ first on sys.path, so
they import this module as `_common`.
"""

import os
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent


def bench_database(url: str, why: str) -> str:
    """The database name in `url`; exits unless it contains "bench" (`why`: what the run does to it)."""
    name = unquote(urlsplit(url).path.lstrip("/"))
    if "bench" not in name:
        sys.exit(f"Refusing database {name!r}: {why}; use one whose name contains 'bench', like zhitong_bench.")
    return name


def ensure_database(url: str, name: str) -> None:
    """Create the database `name` on the server of `url` if it is missing."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    conn = psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=unquote(parts.username or "") or None,
        password=unquote(parts.password or "") or None,
        dbname="postgres",
    )
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"created database {name}")
    finally:
        conn.close()


def postgres_cpu_seconds() -> float | None:
    """CPU seconds used so far by this machine's PostgreSQL processes (None where /proc cannot
    tell: another OS, or a server on another machine, whose work this then does not count).

    A backend's time counts while it runs; once it has exited, its parent (the postmaster) holds
    it among its children's times, which are counted too. So the difference of two readings is
    the server's work in between, whatever the number of connections, give or take autovacuum
    and other databases' clients on the same server."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks, found = 0, False
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, _, rest = text.partition(" (")[2].rpartition(") ")
        if not name.startswith("postgres"):
            continue
        fields = rest.split()
        # After the name: state, ppid, ..., utime (11), stime (12), cutime (13), cstime (14).
        ticks += sum(int(value) for value in fields[11:15])
        found = True
    return ticks / os.sysconf("SC_CLK_TCK") if found else None

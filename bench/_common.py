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


def analyze_stale(cursor) -> list[str]:
    """ANALYZE the tables whose statistics PostgreSQL lacks or has let fall behind (a table
    never analyzed, or changed by more than a tenth since), and name them. Autovacuum does this
    on a live server; a benchmark database just built, or a server run with autovacuum off (as
    this machine's is), has none, and PostgreSQL then plans for an empty table: on the city
    data a street's zones were found by walking all 30,254 (16 ms instead of 0.8). ANALYZE
    writes statistics only, never rows."""
    cursor.execute(
        "SELECT s.schemaname, s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
        " WHERE n_live_tup + n_mod_since_analyze > 0"
        " AND (coalesce(last_analyze, last_autoanalyze) IS NULL OR c.reltuples < 0"
        " OR n_mod_since_analyze > 0.1 * greatest(c.reltuples, 1000))"
        " ORDER BY s.schemaname, s.relname"
    )
    found = cursor.fetchall()
    for schema, name in found:
        quoted = ".".join('"' + part.replace('"', '""') + '"' for part in (schema, name))
        cursor.execute(f"ANALYZE {quoted}")
    return [name for _schema, name in found]

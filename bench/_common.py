"""What the benchmark scripts share: the repository root and their own PostgreSQL database.

The scripts run as `.venv/bin/python bench/<name>.py`, which puts bench/ first on sys.path, so
they import this module as `_common`.
"""

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

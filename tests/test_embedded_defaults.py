"""`make run` on its embedded defaults: SQLite, no PostgreSQL. The screens lean on PostgreSQL
for city scale (CREATE INDEX CONCURRENTLY, trigram indexes, a UNION of limited arms); the demo
street must still migrate, seed and show them on SQLite. One subprocess, as `make run` does."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import django
from django.core.management import call_command
django.setup()
call_command("migrate", verbosity=0)
call_command("seed_demo", "--no-progress", verbosity=0)
from django.test import Client
for username in ("street_staff", "committee_staff", "zone_member"):
    client = Client()
    assert client.post("/accounts/login/", {"username": username, "password": "zhitong-demo"}).status_code == 302
    for url in ("/queue/", "/queue/?overdue=1", "/queue/?q=138", "/tickets/mine/", "/dashboard/", "/zone/?q=1"):
        print(username, url, client.get(url).status_code)
"""


def test_the_demo_street_migrates_seeds_and_shows_its_screens_on_sqlite(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="config.settings.local",
        ZHITONG_VAR_DIR=str(tmp_path / "var"),
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="ERROR",
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answers = [line.rsplit(" ", 1) for line in result.stdout.splitlines() if line.count(" ") == 2]
    assert len(answers) == 18
    assert {status for _page, status in answers} == {"200"}, result.stdout

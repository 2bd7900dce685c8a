"""A real Celery worker with embedded beat, on Redis, picks up an overdue ticket and escalates it."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.utils import timezone

from alerts.models import Notification
from core.enums import Tier
from grievances.models import Ticket
from tests.factories import make_ticket

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("ZHITONG_TEST_CELERY_REDIS_URL", "redis://127.0.0.1:6379/14")


def test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


@pytest.fixture
def celery_worker(tmp_path):
    redis.Redis.from_url(BROKER).flushdb()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "ZHITONG_SWEEP_INTERVAL_SECONDS": "1",
    }
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-B",
                "--pool=solo",
                "--loglevel=INFO",
                "--schedule",
                str(tmp_path / "beat-schedule"),
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield log
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def test_worker_and_beat_escalate_an_overdue_ticket(celery_worker):
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(resolve_by=timezone.now() - dt.timedelta(minutes=1))

    escalated = wait_for(lambda: Ticket.objects.get(pk=ticket.pk).tier == Tier.COMMITTEE)

    log = celery_worker.read_text()
    assert escalated, f"the worker did not escalate the ticket; its log:\n{log}"
    ticket.refresh_from_db()
    assert ticket.events.filter(kind="escalated", actor_label="sweep").count() == 1
    # The alert travelled through Redis to the worker, which wrote the new owner's inbox row.
    assert wait_for(
        lambda: Notification.objects.filter(ticket=ticket, recipient=ticket.owner, kind="escalated").exists()
    )
    assert "escalation.tasks.sweep_overdue_tickets" in log

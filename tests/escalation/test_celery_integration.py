"""A real Celery worker with embedded beat, on Redis, picks up an overdue ticket and escalates it."""

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
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
    # make run's worker (no -Q) consumes every queue, the sweep's and the alerts' included.
    from tests.test_celery_queues import QUEUES

    with broker_client() as client:
        answers = client.control.inspect(timeout=5).active_queues() or {}
    assert [sorted(q["name"] for q in queues) for queues in answers.values()] == [sorted(QUEUES)]


@contextmanager
def broker_client():
    """A Celery client of the test broker that is not the current app: were it, the project's
    shared tasks would send to it instead of running eagerly, in every test after this one in
    the process (a webhook test then saw nothing sent)."""
    from celery import Celery
    from django.conf import settings

    client = Celery("zhitong-test", broker=BROKER, set_as_current=False)
    client.conf.update(task_routes=settings.CELERY_TASK_ROUTES, task_queues=settings.CELERY_TASK_QUEUES)
    try:
        yield client
    finally:
        client.close()


def start_worker(command: list[str], log: Path, env: dict) -> subprocess.Popen:
    with log.open("w") as output:
        return subprocess.Popen(
            [sys.executable, "-m", *command, "--pool=solo"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def stop(workers) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def test_each_queue_is_consumed_by_its_own_worker_as_docker_compose_runs_them(tmp_path):
    """docker-compose.yml's worker services, started with their own commands: each task,
    routed by name, runs on the worker of its queue; a worker without -Q (make run's) takes
    every queue."""
    from tests.test_celery_queues import QUEUES, compose_worker_commands, compose_workers

    redis.Redis.from_url(BROKER).flushdb()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    services, commands = compose_workers(), compose_worker_commands()
    logs = {name: tmp_path / f"{name}.log" for name in services}
    workers = []
    with ExitStack() as stack:
        stack.callback(stop, workers)  # the workers started so far, whatever fails
        for index, name in enumerate(services):
            workers.append(start_worker([*commands[name], "-n", f"{name}-{index}@%h"], logs[name], env))
        client = stack.enter_context(broker_client())
        # Every worker up and listening on its queues before anything is sent.
        expected = {f"{name}-{index}": sorted(queues) for index, (name, queues) in enumerate(services.items())}
        listening = {}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and listening != expected:
            answers = client.control.inspect(timeout=2).active_queues() or {}
            listening = {node.split("@")[0]: sorted(q["name"] for q in queues) for node, queues in answers.items()}
            time.sleep(0.5)
        assert listening == expected, {name: log.read_text()[-2000:] for name, log in logs.items()}
        assert sorted(q for queues in listening.values() for q in queues) == sorted(QUEUES)

        sent = {
            "worker-sweep": ("escalation.tasks.sweep_overdue_tickets", []),
            "worker-alerts": ("alerts.tasks.send_alerts", [[]]),
            "worker-webhooks": ("api.tasks.dispatch_webhooks", []),
            "worker-reports": ("reports.tasks.generate_monthly_reports", []),
            "worker": ("retention.tasks.prune_history", []),
        }
        assert set(sent) == set(services)
        for task, args in sent.values():
            client.send_task(task, args=args)

        def ran_where_routed():
            return all(
                re.search(rf"Task {re.escape(task)}\[[^]]+\] succeeded", logs[name].read_text())
                for name, (task, _args) in sent.items()
            )

        assert wait_for(ran_where_routed, timeout=90), {name: log.read_text()[-2000:] for name, log in logs.items()}
        for name, (task, _args) in sent.items():
            for other, log in logs.items():
                if other != name:
                    assert f"Task {task}[" not in log.read_text(), f"{task} ran on {other}"

"""Celery's queues by kind (config.settings.base): every task lands on a queue some worker
consumes, docker-compose.yml runs one worker per group covering them all, and `make run`'s
single worker consumes every queue. The integration test starts those workers for real."""

import shlex
from pathlib import Path

import yaml
from celery import current_app
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
QUEUES = {"celery", "sweep", "alerts", "webhooks", "reports"}


def compose_worker_commands() -> dict[str, list[str]]:
    """docker-compose.yml's worker services and their commands."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return {
        name: service["command"]
        for name, service in services.items()
        if (service.get("command") or [])[:4] == ["celery", "-A", "config", "worker"]
    }


def compose_workers() -> dict[str, list[str]]:
    """docker-compose.yml's worker services and the queues each consumes (-Q; all without)."""
    return {
        name: command[command.index("-Q") + 1].split(",") if "-Q" in command else sorted(QUEUES)
        for name, command in compose_worker_commands().items()
    }


def queue_of(task_name: str) -> str:
    route = current_app.amqp.router.route({}, task_name)
    return route["queue"].name


def test_each_kind_of_work_has_its_queue():
    assert {queue.name for queue in settings.CELERY_TASK_QUEUES} == QUEUES
    assert queue_of("escalation.tasks.sweep_overdue_tickets") == "sweep"
    assert queue_of("alerts.tasks.send_alerts") == "alerts"
    assert queue_of("api.tasks.dispatch_webhooks") == "webhooks"
    assert queue_of("reports.tasks.generate_monthly_reports") == "reports"
    assert queue_of("meetings.tasks.find_recurring_problem_topics") == "reports"
    assert queue_of("retention.tasks.prune_history") == "celery"


def test_every_task_and_every_beat_entry_lands_on_a_declared_queue():
    current_app.loader.import_default_modules()
    ours = [name for name in current_app.tasks if not name.startswith("celery.")]
    assert ours, "no tasks registered"
    for name in ours + [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]:
        assert queue_of(name) in QUEUES, name


def test_docker_compose_runs_one_worker_per_queue_group_and_covers_every_queue():
    consumed = [queue for queues in compose_workers().values() for queue in queues]
    assert sorted(consumed) == sorted(QUEUES), "each queue consumed by exactly one worker service"


def test_make_run_starts_one_worker_that_consumes_every_queue():
    # A worker without -Q consumes every queue in CELERY_TASK_QUEUES.
    lines = [line for line in (ROOT / "scripts/run.sh").read_text().splitlines() if "-A config worker" in line]
    assert len(lines) == 1
    assert "-Q" not in shlex.split(lines[0]) and "--queues" not in lines[0]

"""Views of the project itself, outside any app."""

import functools
import logging

import redis
from django.conf import settings
from django.db import Error as DatabaseError
from django.db import connection
from django.http import JsonResponse

from api.cache import REDIS_ERRORS, redis_client
from escalation.sweep import sweep_status

logger = logging.getLogger(__name__)


def healthz(request):
    """For the load balancer and docker-compose, and for people: each part on its own.

    HTTP 200 while the database answers, 503 when it does not: web is of no use without
    PostgreSQL, but a Redis blip or a stopped beat is no reason for a load balancer to take
    web out (the API goes on without Redis, and a new web process would not start beat).
    `status` is `ok` when every part is, `degraded` when the database is but another is not
    (`cache`, `broker` or `sweep`: see each), `down` without the database.
    """
    parts = {
        "database": _database(),
        "cache": _redis(redis_client()),
        "broker": _broker(),
        "sweep": _sweep(),
    }
    if parts["database"]["state"] != "ok":
        status, code = "down", 503
    elif all(part["state"] in ("ok", "local") for part in parts.values()):
        status, code = "ok", 200
    else:
        status, code = "degraded", 200
    return JsonResponse({"status": status, **parts}, status=code)


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.warning("Health check: the database did not answer: %s", error)
        return {"state": "down"}
    return {"state": "ok"}


def _redis(client) -> dict:
    if client is None:
        return {"state": "local"}  # `make run` without REDIS_URL: the process's own memory
    try:
        client.ping()
    except REDIS_ERRORS as error:
        return {"state": "down", "error": type(error).__name__}
    return {"state": "ok"}


def _broker() -> dict:
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return {"state": "local"}  # the filesystem transport of `make run`: no server to ask
    return _redis(_broker_client(url))


@functools.cache
def _broker_client(url: str):
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    return redis.Redis.from_url(
        url, socket_timeout=options.get("socket_timeout"), socket_connect_timeout=options.get("socket_connect_timeout")
    )


def _sweep() -> dict:
    try:
        status = sweep_status()
    except DatabaseError:
        return {"state": "unknown"}
    return {
        "state": status.state,
        "last_run": status.last_run.isoformat(timespec="seconds") if status.last_run else None,
        "age_seconds": round(status.age_seconds) if status.age_seconds is not None else None,
        "late_after_seconds": round(status.late_after_seconds),
    }

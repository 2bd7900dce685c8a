"""The test suite: PostgreSQL and Redis on this machine unless the environment says otherwise."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zhitong")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")

from .base import *  # noqa: E402, F403

SECRET_KEY = "test-only-not-secret"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Unit tests run Celery tasks inline; the integration test starts a real worker instead.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "1") == "1"
CELERY_TASK_EAGER_PROPAGATES = True
# The webhook tests' receiver listens on this machine; a test that checks the refusal of
# inside addresses empties this list.
ZHITONG_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# No external map tiles in the tests: the street's map draws its plain grid unless a test
# sets a tile URL (which it never fetches).
ZHITONG_MAP_TILE_URL = ""
# Photos in tests stay in memory: nothing is left under var/.
STORAGES = {**STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}  # noqa: F405
# Residents' SMS go to a file in the tests (each test that reads it points it at its own
# tmp_path, or a worker's environment names it); no quiet hours unless a test sets them, so a
# run at night behaves as by day.
ZHITONG_SMS_BACKEND = "file"
ZHITONG_SMS_FILE = os.environ.get(
    "ZHITONG_SMS_FILE", os.path.join(os.environ.get("TMPDIR", "/tmp"), f"zhitong-test-sms-{os.getpid()}.jsonl")
)
ZHITONG_SMS_QUIET_HOURS = ""
ZHITONG_PUBLIC_URL = "http://testserver"
# The dashboard counts its figures for every page unless a test keeps them.
ZHITONG_DASHBOARD_CACHE_SECONDS = 0

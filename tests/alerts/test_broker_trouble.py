"""Publishing after a commit never holds a response for long (issue 14, item 5): a hung
broker costs one response its socket timeout, then this process stops trying for a while
(the sweep re-sends what was not queued)."""

import ast
import os
import subprocess
import sys
from pathlib import Path

from tests.redis_process import own_redis  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parents[2]

PUBLISH = """
import time
import django
django.setup()
from alerts import services
took = []
for _ in range(3):
    start = time.monotonic()
    services._queue_after_commit([1])
    took.append(time.monotonic() - start)
print(took)
"""


def test_publishing_to_a_hung_broker_gives_up_at_its_timeout_then_waits_for_the_sweep(own_redis):  # noqa: F811
    own_redis.hang()
    try:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "REDIS_URL": own_redis.url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
        }
        run = subprocess.run(
            [sys.executable, "-c", PUBLISH], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
    finally:
        own_redis.resume()
    assert run.returncode == 0, run.stderr
    first, second, third = ast.literal_eval(run.stdout.strip().splitlines()[-1])
    assert first < 1.0  # the broker's socket timeout, not forever
    assert second < 0.05 and third < 0.05  # not tried again for a while
    assert "Could not queue 1 alerts, the sweep will" in run.stderr

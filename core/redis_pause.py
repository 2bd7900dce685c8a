"""Redis trouble degrades, never stalls: after a server fails to answer, this process leaves
it alone for a moment, so while it is hung one request per process per pause waits out the
socket timeout and the others do not try at all.

- The default cache's Redis (`REDIS_TIMEOUT_SECONDS`): callers that can go on without it (the
  partner API's key cache and throttle, the public street page's cache) ask
  `redis_answering()` first and report a failure with `redis_failed`.
- The Celery broker (`BROKER`): what publishes a task after a commit (alerts, residents' SMS)
  skips publishing while it is paused; the rows wait for the sweep or beat to send them.
"""

import logging
import time

logger = logging.getLogger(__name__)

PAUSE_SECONDS = 2.0
WARN_EVERY_SECONDS = 60.0


class Pause:
    """Leave a server alone for `seconds` after it last failed this process."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.until = 0.0

    def answering(self) -> bool:
        return time.monotonic() >= self.until

    def failed(self) -> None:
        self.until = time.monotonic() + self.seconds

    def reset(self) -> None:
        self.until = 0.0


CACHE = Pause(PAUSE_SECONDS)
# The broker's socket timeout is longer (`CELERY_BROKER_TRANSPORT_OPTIONS`), so is its pause.
BROKER = Pause(5.0)
_warned_at: float | None = None


def redis_answering() -> bool:
    """False for a while after Redis last failed this process (`redis_failed`)."""
    return CACHE.answering()


def redis_failed(what: str, error: BaseException) -> None:
    """Redis did not answer `what`: leave it alone for a moment, and say so in the log (once
    a minute, not once a request)."""
    global _warned_at
    CACHE.failed()
    now = time.monotonic()
    if _warned_at is None or now - _warned_at >= WARN_EVERY_SECONDS:
        _warned_at = now
        logger.warning(
            "Redis did not answer (%s: %s: %s). Until it does, partner keys are read from PostgreSQL, "
            "the API is not throttled and cached pages are computed; this is logged once a minute.",
            what,
            type(error).__name__,
            error,
        )


def redis_reset() -> None:
    """Forget past failures (tests)."""
    global _warned_at
    CACHE.reset()
    BROKER.reset()
    _warned_at = None

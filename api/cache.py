"""The Redis behind Django's default cache, for the API's short-lived per-request state
(resolved partner keys, throttle counters).

Django's RedisCache builds a new redis client object for every call (some 50 µs each); the
API asks Redis twice per request, so it keeps one client per cache backend instead. Its
connection pool is the cache's own: the same server, database and options (the short socket
timeouts of `REDIS_TIMEOUT_SECONDS`), and what `cache.clear()` clears.

Redis trouble degrades, never stalls. Callers catch `REDIS_ERRORS` and go on without Redis
(the key from PostgreSQL, the throttle open), and report it with `redis_failed`, which makes
this process leave Redis alone for `PAUSE_SECONDS`: while Redis is hung, one request per
process per pause waits out the socket timeout, the others do not try at all.
"""

import logging
import time
import weakref

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

# Down (refused, reset), hung (past the socket timeout) or refusing the command.
REDIS_ERRORS = (redis.exceptions.RedisError, OSError)

PAUSE_SECONDS = 2.0
WARN_EVERY_SECONDS = 60.0

_clients: "weakref.WeakKeyDictionary[RedisCache, object]" = weakref.WeakKeyDictionary()
_paused_until = 0.0
_warned_at: float | None = None


def redis_client():
    """A redis.Redis on the default cache's connection pool, or None when that cache is not
    Redis (`make run` without REDIS_URL), in which case callers fall back to plainer ways."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    client = _clients.get(backend)
    if client is None:
        client = _clients[backend] = backend._cache.get_client(write=True)
    return client


def redis_answering() -> bool:
    """False for a while after Redis last failed this process (`redis_failed`)."""
    return time.monotonic() >= _paused_until


def redis_failed(what: str, error: BaseException) -> None:
    """Redis did not answer `what`: leave it alone for a moment, and say so in the log (once
    a minute, not once a request)."""
    global _paused_until, _warned_at
    now = time.monotonic()
    _paused_until = now + PAUSE_SECONDS
    if _warned_at is None or now - _warned_at >= WARN_EVERY_SECONDS:
        _warned_at = now
        logger.warning(
            "Redis did not answer (%s: %s: %s). Until it does, partner keys are read from PostgreSQL "
            "and the API is not throttled; this is logged once a minute.",
            what,
            type(error).__name__,
            error,
        )


def redis_reset() -> None:
    """Forget past failures (tests)."""
    global _paused_until, _warned_at
    _paused_until = 0.0
    _warned_at = None


def cache_key(name: str) -> str:
    """`name` under the default cache's KEY_PREFIX and VERSION, like the cache's own keys."""
    return caches["default"].make_key(name)

"""The Redis behind Django's default cache, for the API's short-lived per-request state
(resolved partner keys, throttle counters).

Django's RedisCache builds a new redis client object for every call (some 50 µs each); the
API asks Redis twice per request, so it keeps one client per cache backend instead. Its
connection pool is the cache's own: the same server, database and options (the short socket
timeouts of `REDIS_TIMEOUT_SECONDS`), and what `cache.clear()` clears.

Redis trouble degrades, never stalls. Callers catch `REDIS_ERRORS` and go on without Redis
(the key from PostgreSQL, the throttle open), and report it with `redis_failed`, which makes
this process leave Redis alone for a moment (`core.redis_pause`): while Redis is hung, one
request per process per pause waits out the socket timeout, the others do not try at all.
"""

import weakref

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

# The pause after a failure is core's, shared with other callers that go on without Redis.
from core.redis_pause import redis_answering, redis_failed, redis_reset  # noqa: F401

# Down (refused, reset), hung (past the socket timeout) or refusing the command.
REDIS_ERRORS = (redis.exceptions.RedisError, OSError)

_clients: "weakref.WeakKeyDictionary[RedisCache, object]" = weakref.WeakKeyDictionary()


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


def cache_key(name: str) -> str:
    """`name` under the default cache's KEY_PREFIX and VERSION, like the cache's own keys."""
    return caches["default"].make_key(name)

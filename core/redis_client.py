"""One redis.Redis per process on the default cache's connection pool, for hot paths that ask
Redis directly (the partner API's key cache and throttle, a kept value marked stale).

Django's RedisCache builds a new redis client object for every call (some 50 µs each, most of
it the client's table of response callbacks); this keeps one per cache backend instead. Its
connection pool is the cache's own: the same server, database and options (the short socket
timeouts of `REDIS_TIMEOUT_SECONDS`), and what `cache.clear()` clears."""

import weakref

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

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

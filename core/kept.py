"""Figures kept in the cache (Redis) for a short while, recomputed by one reader at a time.

For what is costly to compute and may be a little old, saying how old (the dashboard's
figures of the month so far, the public street page's figures): fresh for `fresh_seconds`, or
until `kept_stale` says they changed; then the first reader recomputes them while the others
read the previous copy; with no copy at all (or one `still_good` refuses), each reader
computes. Redis not answering: computed for each request (fail open), never a 500; after one
failure the cache is left alone for a moment (`core.redis_pause`), so a hung Redis costs one
request per process per pause its socket timeout, not every request several.
"""

import contextlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

from .redis_client import cache_key, redis_client
from .redis_pause import redis_answering, redis_failed

# A stale copy is served while one reader recomputes it; one reader may take this long.
KEEP_SECONDS = 24 * 3600
RECOMPUTE_LOCK_SECONDS = 60


class CacheSkipped(Exception):
    """Redis failed a moment ago: not asked again yet."""


def cache_call(method: str, *args):
    """`cache.<method>(*args)`, or CacheSkipped at once while Redis is paused after a failure
    (the failure is logged by core.redis_pause, once a minute)."""
    if not redis_answering():
        raise CacheSkipped
    try:
        return getattr(cache, method)(*args)
    except Exception as error:
        redis_failed("a kept value", error)
        raise


def keys(name: str) -> tuple[str, str, str]:
    """The cache keys of the value kept as `name`, its freshness mark and its recompute lock."""
    return f"kept:{name}", f"kept:{name}:fresh", f"kept:{name}:lock"


def kept(
    name: str, compute: Callable[[], Any], fresh_seconds: int, *, still_good: Callable[[Any], bool] | None = None
) -> Any:
    """`compute()`'s value kept as `name`, at most `fresh_seconds` old (0: always computed); a
    copy `still_good` refuses (yesterday's figures) is never served."""
    if fresh_seconds <= 0:
        return compute()
    value_key, fresh_key, lock_key = keys(name)
    try:
        found = cache_call("get_many", [value_key, fresh_key])
    except Exception:  # Redis down or hung: compute, never fail the page
        return compute()
    value = found.get(value_key)
    good = value is not None and (still_good is None or still_good(value))
    if good and fresh_key in found:
        return value
    try:
        recompute = not good or cache_call("add", lock_key, 1, RECOMPUTE_LOCK_SECONDS)
    except Exception:
        recompute = True
    if not recompute:
        return value  # another reader is recomputing it: the previous copy meanwhile
    value = compute()
    with contextlib.suppress(Exception):
        cache_call("set", value_key, value, KEEP_SECONDS)
        cache_call("set", fresh_key, 1, fresh_seconds)
        cache_call("delete", lock_key)
    return value


def kept_stale(name: str) -> None:
    """The value kept as `name` changed: the next reader recomputes it (the others read the
    previous copy meanwhile). Redis not answering: it lapses by itself when no longer fresh."""
    _value, fresh_key, _lock = keys(name)
    client = redis_client()  # every ticket written marks its street's figures: no new client each time
    if client is None:
        with contextlib.suppress(Exception):
            cache_call("delete", fresh_key)
        return
    if not redis_answering():
        return
    try:
        client.delete(cache_key(fresh_key))
    except Exception as error:  # noqa: BLE001 - Redis trouble: the mark lapses by itself
        redis_failed("a kept value", error)

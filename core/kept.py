"""Figures kept in the cache (Redis) for a short while, recomputed by one reader at a time.

For what is costly to compute and may be a little old, saying how old (the dashboard's
figures of the month so far): fresh for `fresh_seconds`; then the first reader recomputes
them while the others read the previous copy; with no copy at all, each reader computes.
Redis not answering: computed for each request (fail open), never a 500.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)

# A stale copy is served while one reader recomputes it; one reader may take this long.
KEEP_SECONDS = 24 * 3600
RECOMPUTE_LOCK_SECONDS = 60


def kept(key: str, compute: Callable[[], Any], fresh_seconds: int) -> Any:
    """`compute()`'s value under `key`, at most `fresh_seconds` old (0: always computed)."""
    if fresh_seconds <= 0:
        return compute()
    value_key, fresh_key, lock_key = f"kept:{key}", f"kept:{key}:fresh", f"kept:{key}:lock"
    try:
        found = cache.get_many([value_key, fresh_key])
        if value_key in found and fresh_key in found:
            return found[value_key]
        if value_key in found and not cache.add(lock_key, 1, RECOMPUTE_LOCK_SECONDS):
            return found[value_key]  # another reader is recomputing it: the previous copy meanwhile
    except Exception as error:  # Redis down or hung: compute, never fail the page
        logger.warning("Cache not answering (%s): computing %s.", type(error).__name__, key)
        return compute()
    value = compute()
    try:
        cache.set_many({value_key: value}, KEEP_SECONDS)
        cache.set(fresh_key, 1, fresh_seconds)
        cache.delete(lock_key)
    except Exception as error:
        logger.warning("Cache not answering (%s): %s not kept.", type(error).__name__, key)
    return value

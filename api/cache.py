"""The Redis behind Django's default cache, for the API's short-lived per-request state
(resolved partner keys, throttle counters): one client per process (`core.redis_client`).

Redis trouble degrades, never stalls. Callers catch `REDIS_ERRORS` and go on without Redis
(the key from PostgreSQL, the throttle open), and report it with `redis_failed`, which makes
this process leave Redis alone for a moment (`core.redis_pause`): while Redis is hung, one
request per process per pause waits out the socket timeout, the others do not try at all.
"""

import redis

from core.redis_client import cache_key, redis_client  # noqa: F401  (the API's callers read them here)

# The pause after a failure is core's, shared with other callers that go on without Redis.
from core.redis_pause import redis_answering, redis_failed, redis_reset  # noqa: F401

# Down (refused, reset), hung (past the socket timeout) or refusing the command.
REDIS_ERRORS = (redis.exceptions.RedisError, OSError)

from rest_framework.throttling import SimpleRateThrottle

from .cache import REDIS_ERRORS, cache_key, redis_answering, redis_client, redis_failed

# INCR the window's counter and give the window its lifetime if it has none: one round trip,
# atomic, so a counter can never be left without an expiry (which would refuse a key forever).
FIXED_WINDOW = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


class FixedWindowThrottle(SimpleRateThrottle):
    """A fixed window in Redis: the first request of a caller opens a window of the rate's
    period, every request counts in it, and requests past the rate are refused (429,
    Retry-After: the rest of the window) until it ends. At a window's edge a caller may send
    up to twice the rate within one period, the price of one INCR per request instead of
    DRF's list of request times, read and written whole on every request. Without Redis:
    DRF's own throttle.

    When Redis does not answer, the throttle lets requests through (a warning in the log,
    once a minute): refusing requests because a counter cannot be kept would turn a Redis
    blip into an outage of the API.
    """

    _script = None

    def allow_request(self, request, view):
        client = redis_client()
        if client is None:
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        name = self.get_cache_key(request, view)
        if name is None:
            return True
        if not redis_answering():
            return True
        if FixedWindowThrottle._script is None:
            FixedWindowThrottle._script = client.register_script(FIXED_WINDOW)
        try:
            count, ttl_ms = self._script(keys=[cache_key(name)], args=[self.duration * 1000], client=client)
        except REDIS_ERRORS as error:
            redis_failed("throttle", error)
            return True
        self.window_left = ttl_ms / 1000
        return count <= self.num_requests

    def wait(self):
        if hasattr(self, "window_left"):
            return max(self.window_left, 0)
        return super().wait()


class PartnerKeyThrottle(FixedWindowThrottle):
    """Requests per partner key (staff sessions are not throttled)."""

    scope = "partner"

    def get_cache_key(self, request, view):
        key = getattr(request, "auth", None)
        prefix = getattr(key, "prefix", None)
        if prefix is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": prefix}


class AddressThrottle(FixedWindowThrottle):
    """Requests without a key per client address (the public Open311 view): the address the
    connection came from, or behind `ZHITONG_TRUSTED_PROXIES` proxies the one the outermost
    of ours saw (DRF's `NUM_PROXIES`). A request with a key is the key's throttle's."""

    scope = "public"

    def get_cache_key(self, request, view):
        if getattr(request, "auth", None) is not None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

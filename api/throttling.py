from rest_framework.throttling import SimpleRateThrottle


class PartnerKeyThrottle(SimpleRateThrottle):
    """Requests per partner key (staff sessions are not throttled)."""

    scope = "partner"

    def get_cache_key(self, request, view):
        key = getattr(request, "auth", None)
        prefix = getattr(key, "prefix", None)
        if prefix is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": prefix}

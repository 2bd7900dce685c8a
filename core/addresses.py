"""Where a request comes from: the one reading of the client's address, shared by the
sign-in lockout (config.lockout) and the residents' look-up limits (residents.limits)."""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The connection's address, or behind ZHITONG_TRUSTED_PROXIES proxies the one the
    outermost of ours saw (the entries before it can be forged)."""
    address = request.META.get("REMOTE_ADDR")
    proxies = settings.ZHITONG_TRUSTED_PROXIES
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return request.META.get("REMOTE_ADDR")

"""Requests we send out (partner webhooks) reach only public addresses.

A subscriber chooses the URL, so without a check a key holder could make our worker POST
signed ticket data to the cloud metadata service, the database's host or anything else on
the inside. Every address a host name resolves to must be a global unicast address (no
loopback, private, link-local, shared, multicast, reserved or unspecified address, IPv4 or
IPv6), checked when the subscription is made and again when each request connects, on the
very address the socket then connects to (so a DNS answer that changes in between cannot
slip through). Hosts named in `ZHITONG_WEBHOOK_ALLOWED_HOSTS` are exempt: the tests' local
receiver, an on-premises partner. Outside DEBUG-free deployments `ZHITONG_WEBHOOK_HTTPS_ONLY`
refuses plain http. No proxy from the environment is used.
"""

import http.client
import ipaddress
import socket
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import InvalidInput


class AddressNotAllowed(OSError):
    """The host resolves to an address webhooks may not reach."""


def _allowed_hosts() -> set[str]:
    return {host.strip().lower() for host in settings.ZHITONG_WEBHOOK_ALLOWED_HOSTS if host.strip()}


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def vetted_address(host: str, port: int) -> str:
    """The address to connect to for `host`: every address it resolves to must be public
    (unless the host is allowed by name). Raises AddressNotAllowed, or OSError if it does
    not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise AddressNotAllowed(f"{host} has no address")
    if host.lower() not in _allowed_hosts():
        refused = [address for address in addresses if not _is_public(address)]
        if refused:
            raise AddressNotAllowed(f"{host} resolves to {refused[0]}, which webhooks may not reach")
    return addresses[0]


def check_url(url: str) -> None:
    """At subscription: the scheme this deployment accepts, and a host that does not
    resolve to an inside address. Raises InvalidInput naming `url`."""
    parts = urlsplit(url)
    if settings.ZHITONG_WEBHOOK_HTTPS_ONLY and parts.scheme != "https":
        raise InvalidInput(_("Give an https:// URL: webhooks are sent over TLS only."), field="url")
    try:
        vetted_address(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
    except AddressNotAllowed:
        raise InvalidInput(
            _("This URL points inside a private network (loopback, private, link-local or reserved address)."),
            field="url",
        ) from None
    except (OSError, UnicodeError):
        # Not resolvable from here now (DNS down, a name only the partner's network knows):
        # nothing to reach yet; every send checks the address it connects to.
        return


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def connect(self):
        address = vetted_address(self.host, self.port)
        self.sock = socket.create_connection((address, self.port), self.timeout, self.source_address)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self):
        address = vetted_address(self.host, self.port)
        sock = socket.create_connection((address, self.port), self.timeout, self.source_address)
        # The certificate is checked against the host name, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)


def build_opener() -> urllib.request.OpenerDirector:
    """HTTP and HTTPS to vetted addresses only, no proxy, and no redirects: following one
    would turn the POST into a GET (301-303) or send a partner's data to an address nobody
    subscribed, so a 3xx is a failure."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        _GuardedHTTPHandler(),
        _GuardedHTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener

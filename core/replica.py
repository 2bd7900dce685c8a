"""Reads that may go to a read replica (`DATABASE_REPLICA_URL`), and only those named.

Nothing reads from the replica unless asked: a view wrapped in `replica_view`, or a
computation run through `on_replica` (the monthly report). Everything else, and every write,
stays on the primary, so a screen never shows less than what its user just did. Inside such a
read, the primary is used instead when

- the request comes from a browser or client that wrote something in the last
  `ZHITONG_REPLICA_PIN_SECONDS` (`PinAfterWrites` sets a short-lived cookie on the answer
  to every POST, PUT, PATCH and DELETE): a report issued, then opened, is read back from where
  it was written;
- this same read has written something (a write goes to the primary, and so does every read
  after it), or a transaction is open on the primary;
- the replica answers "not found" (a 404): the row may not have arrived yet, so the primary
  is asked before the reader is told it does not exist;
- the replica is down, slow to connect (`ZHITONG_REPLICA_CONNECT_TIMEOUT_SECONDS`) or a query
  on it fails (a hot standby cancels long queries that conflict with replay): a warning is
  logged and the read is run again on the primary; the replica is then left alone for
  `ZHITONG_REPLICA_RETRY_SECONDS`. Never a 500 for it.

Reads that could have written before failing are not run twice (the failure is raised).
"""

import contextvars
import logging
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed, ObjectDoesNotExist
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import InterfaceError, OperationalError
from django.http import Http404

REPLICA = "replica"
PIN_COOKIE = "zt_primary"
SAFE_METHODS = ("GET", "HEAD")

logger = logging.getLogger(__name__)


class _Read:
    """One read routed to the replica; `wrote` once anything in it wrote to the primary."""

    __slots__ = ("wrote",)

    def __init__(self):
        self.wrote = False


_current_read: contextvars.ContextVar[_Read | None] = contextvars.ContextVar("zhitong_replica_read", default=None)
_pinned: contextvars.ContextVar[bool] = contextvars.ContextVar("zhitong_replica_pinned", default=False)
# Monotonic time until which this process leaves a failed replica alone.
_down_until = 0.0


def replica_configured() -> bool:
    return REPLICA in connections.settings


class ReplicaRouter:
    """Writes, migrations and every read not inside `on_replica` go to the primary."""

    def db_for_read(self, model, **hints):
        read = _current_read.get()
        if read is None or read.wrote or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model, **hints):
        read = _current_read.get()
        if read is not None:
            read.wrote = True  # read-your-own-writes: the rest of this read stays on the primary
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db, app_label, **hints):
        return db == DEFAULT_DB_ALIAS


def _mark_down(error: Exception) -> None:
    global _down_until
    _down_until = time.monotonic() + settings.ZHITONG_REPLICA_RETRY_SECONDS
    try:
        connections[REPLICA].close()
    except Exception:  # noqa: BLE001 — a broken connection may fail to close; it is dropped either way
        logger.debug("closing the replica's connection failed", exc_info=True)
    logger.warning(
        "Read replica unavailable (%s): reading from the primary for the next %s s",
        str(error).strip() or type(error).__name__,
        settings.ZHITONG_REPLICA_RETRY_SECONDS,
    )


def _replica_ready() -> bool:
    if not replica_configured() or _pinned.get() or _current_read.get() is not None:
        return False
    if time.monotonic() < _down_until:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except (OperationalError, InterfaceError) as error:
        _mark_down(error)
        return False
    return True


class _NotFoundOnReplica(Exception):
    pass


def on_replica(read: Callable, *args, not_found: Callable[[object], bool] | None = None, **kwargs):
    """`read(*args, **kwargs)` with its reads on the replica when it is configured, up and the
    caller is not pinned to the primary; otherwise, or when the replica fails or answers not
    found (Http404, DoesNotExist, or a result `not_found` says is one), on the primary."""
    if not _replica_ready():
        return read(*args, **kwargs)
    this = _Read()
    token = _current_read.set(this)
    try:
        result = read(*args, **kwargs)
        if not_found is not None and not this.wrote and not_found(result):
            raise _NotFoundOnReplica
        return result
    except (OperationalError, InterfaceError) as error:
        if this.wrote:
            raise
        _mark_down(error)
    except (Http404, ObjectDoesNotExist, _NotFoundOnReplica):
        if this.wrote:
            raise
    finally:
        _current_read.reset(token)
    return read(*args, **kwargs)


def replica_view(view=None, *, when: Callable | None = None):
    """A view whose GET and HEAD read from the replica (`on_replica`); a 404 from the replica
    is asked again of the primary. `when(request)` may narrow it further (Open311 sends only
    its public, keyless reads)."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method not in SAFE_METHODS or (when is not None and not when(request)):
                return view(request, *args, **kwargs)
            return on_replica(view, request, *args, not_found=_is_404, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate


def _is_404(response) -> bool:
    return getattr(response, "status_code", None) == 404


class PinAfterWrites:
    """After a POST, PUT, PATCH or DELETE, the same browser reads from the primary for
    ZHITONG_REPLICA_PIN_SECONDS (a cookie, so no session write and no query): long enough for
    the replica to catch up with what it just did. Only installed with a replica."""

    def __init__(self, get_response):
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        token = _pinned.set(PIN_COOKIE in request.COOKIES)
        try:
            response = self.get_response(request)
        finally:
            _pinned.reset(token)
        if request.method not in SAFE_METHODS and request.method != "OPTIONS":
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.ZHITONG_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

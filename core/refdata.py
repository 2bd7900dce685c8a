"""Reference data kept in each process between requests of the partner API.

What a partner's request reads over and over and staff change rarely — the SLA policy table
and the calendar, who owns a unit's tickets, the streets' lists of affairs, staff names —
is read from PostgreSQL once and kept in the process, as long as one number in Redis, the
reference-data *version*, stays the same:

- Saving or deleting a row of a model in `WATCHED` (any of those tables, through the ORM or
  the admin) bumps the version: at once, and again when the transaction commits, so that a
  request that read the old rows in between cannot keep them (the partner keys' cache in
  api.authentication works the same way).
- Only an API request (`request()`, opened by api.middleware) uses the cache, and only after
  it has read the version (`use_version`, which the partner key's authentication does within
  the Redis round trip it makes anyway); any other caller (the staff screens, the sweep, a
  shell, tests) reads PostgreSQL every time, as before.
- A process drops everything it keeps when the version it reads is not the one it kept it
  under, and anything kept for longer than `TTL` seconds regardless: the bound on staleness
  when a change could not reach Redis (Redis down at that moment, or a bulk `.update()`,
  which sends no signal).

Values are shared between requests: callers must not change them.
"""

import logging
import secrets
import time
from collections.abc import Callable, Hashable
from contextlib import contextmanager
from contextvars import ContextVar

from django.apps import apps
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

logger = logging.getLogger(__name__)

TTL = 60.0
NAME = "refdata:version"  # under the default cache's prefix (core.refdata.version_key)
# app_label.ModelName of every table whose rows the cached reads depend on.
WATCHED = frozenset(
    {
        "escalation.SLAPolicy",
        "escalation.CalendarOverride",
        "responders.User",
        "responders.TeamMembership",
        "responders.ServiceTeam",
        "responders.ResponsibilityZone",
        "responders.ResidentialCommittee",
        "responders.StreetOffice",
        "responders.Department",
        "responders.DepartmentKind",
        "affairs.AffairsEntry",
        "catalogue.ServiceItem",
        "catalogue.ServiceClass",
        "grievances.Category",
    }
)

# Within an API request (`request()`): _OPEN until the request has read the version, then the
# version. Outside one: None, and nothing is kept.
_OPEN = object()
_version: ContextVar = ContextVar("zhitong_refdata_version", default=None)
_kept: dict[Hashable, tuple[float, object]] = {}
_kept_version: int | None = None


def version_key() -> str:
    from django.core.cache import caches

    return caches["default"].make_key(NAME)


def read_version(client) -> int | None:
    """The version in Redis through `client`; a missing one (a new or cleared Redis) is set to a
    random number first, so that it never repeats one a process may have kept rows under."""
    value = client.get(version_key())
    if value is None:
        client.set(version_key(), secrets.randbelow(2**48), nx=True)
        value = client.get(version_key())
    return None if value is None else int(value)


@contextmanager
def request():
    """The span of one API request: within it, `use_version` lets the cache serve it; after
    it, nothing this request read about the version is left behind for the thread's next
    work (a sweep, a test)."""
    token = _version.set(_OPEN)
    try:
        yield
    finally:
        _version.reset(token)


def use_version(version: int | None) -> None:
    """This request read `version` from Redis (None: it could not): cached reads may serve
    it. Outside `request()` (a call from a shell, a task, a test), nothing changes."""
    if _version.get() is not None:
        _version.set(_OPEN if version is None else version)


def cached(name: Hashable, load: Callable[[], object]):
    """`load()`, or what it gave under the same `name` since the version last changed."""
    global _kept_version
    version = _version.get()
    if version is None or version is _OPEN:
        return load()
    now = time.monotonic()
    if version != _kept_version:
        _kept.clear()
        _kept_version = version
    entry = _kept.get(name)
    if entry is not None and now - entry[0] < TTL:
        return entry[1]
    value = load()
    _kept[name] = (now, value)
    return value


def cached_many(prefix: Hashable, keys, load_many: Callable[[list], dict]) -> dict:
    """{key: value} for `keys`, as `cached((prefix, key), ...)` would give each, the missing
    ones loaded together: `load_many(missing_keys)` returns {key: value} (absent: not found,
    which is not kept)."""
    keys = list(keys)
    version = _version.get()
    if version is None or version is _OPEN:
        return load_many(keys)
    found, missing = {}, []
    for key in keys:
        value = cached((prefix, key), lambda: _MISSING)
        if value is _MISSING:
            _kept.pop((prefix, key), None)
            missing.append(key)
        else:
            found[key] = value
    if missing:
        loaded = load_many(missing)
        now = time.monotonic()
        for key, value in loaded.items():
            _kept[(prefix, key)] = (now, value)
        found.update(loaded)
    return found


_MISSING = object()


def clear() -> None:
    """Forget everything this process keeps (tests)."""
    global _kept_version
    _kept.clear()
    _kept_version = None


def bump() -> None:
    """Make every process's kept reference data stale: now and when the transaction commits."""
    _bump()
    connection = transaction.get_connection()
    if connection.in_atomic_block and not any(func is _bump for _sids, func, _robust in connection.run_on_commit):
        transaction.on_commit(_bump, robust=True)


def _bump() -> None:
    global _kept_version
    _kept.clear()  # this process at once, whatever Redis says
    _kept_version = None
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return
    try:
        backend._cache.get_client(write=True).incr(version_key())
    except Exception as error:  # noqa: BLE001 — Redis trouble must not refuse the change itself
        logger.warning(
            "Could not bump the reference-data version in Redis (%s: %s); other processes may use the old "
            "rows for up to %s s.",
            type(error).__name__,
            error,
            TTL,
        )


def _changed(sender, **kwargs) -> None:
    if sender._meta.label in WATCHED:
        bump()


def _m2m_changed(sender, instance, action, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear") and type(instance)._meta.label in WATCHED:
        bump()


def connect() -> None:
    """Watch every model's saves and deletes (called once, when the apps are ready)."""
    for label in WATCHED:
        apps.get_model(label)  # a misspelt label fails here, not silently
    post_save.connect(_changed, dispatch_uid="zhitong_refdata_save")
    post_delete.connect(_changed, dispatch_uid="zhitong_refdata_delete")
    m2m_changed.connect(_m2m_changed, dispatch_uid="zhitong_refdata_m2m")

"""`Authorization: Api-Key <key>` for partner systems; staff keep their browser session."""

import pickle
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from core import refdata
from responders.models import PartnerSystem

from .cache import REDIS_ERRORS, cache_key, redis_answering, redis_client, redis_failed
from .models import PartnerKey


@dataclass(frozen=True)
class Partner:
    """The caller behind a partner key, standing where DRF expects a user."""

    key: PartnerKey

    is_authenticated = True
    is_active = True
    is_superuser = False
    pk = None

    def __str__(self):
        return f"partner:{self.key.partner.code}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith(f"{self.keyword} "):
            return None
        key = partner_key_for(header[len(self.keyword) + 1 :].strip())
        return Partner(key), key

    def authenticate_header(self, request):
        return self.keyword


def partner_key_for(raw: str) -> PartnerKey:
    """The active key `raw` is, with its street ids loaded; AuthenticationFailed otherwise."""
    prefix = raw.split(".", 1)[0]
    key, epoch, version = KeyCache.get(prefix)
    # The reference data this process keeps may serve this request (core.refdata).
    refdata.use_version(version)
    if key is None:
        read_at = time.time()
        key = _load(prefix)
        if key is not None and epoch is not None:
            KeyCache.offer(key, epoch, read_at)
    if key is None or not key.matches(raw):
        raise exceptions.AuthenticationFailed(_("Unknown API key."))
    if not key.is_active:
        raise exceptions.AuthenticationFailed(_("This API key has been revoked."))
    return key


def _load(prefix: str) -> PartnerKey | None:
    key = PartnerKey.objects.select_related("partner").filter(prefix=prefix).first()
    if key is None:
        return None
    now = timezone.now()
    # Record use at most once a minute: a write per request would cost more than the check.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        PartnerKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    key.street_ids = frozenset(key.streets.values_list("pk", flat=True))
    return key


class KeyCache:
    """Resolved partner keys in Redis for a few seconds, so that a request does not read the
    key, its partner and its streets from PostgreSQL every time: one Redis round trip instead.

    A revoked key is refused from the next request on, in every worker, even when Redis
    cannot be written at the moment of the change:

    - Whatever changes a key, its partner or its streets (api.signals) bumps the key's epoch
      in Redis, at once and again when the transaction commits. A cached key carries the
      epoch that was current before it was read from the database and counts only while
      that is still the current one, so a request that read the old rows just before a
      change cannot put them back.
    - A cached key also counts only for `SECONDS` after it was read from the database (by
      the clock of the process reading it; the hosts' clocks are taken to agree within
      `CLOCK_MARGIN`). When the epoch cannot be bumped after the commit (Redis hung or
      down), the change waits until every copy read before it has lapsed, and only then
      returns: the next request finds no copy, or one read after the change.
    - A request that cannot read Redis reads PostgreSQL, and caches nothing.

    Without Redis (`make run` on the embedded defaults) nothing is cached.
    """

    SECONDS = 2.0
    CLOCK_MARGIN = 0.5
    EPOCH_SECONDS = 24 * 60 * 60  # far longer than any cached key lives
    _watchers: ContextVar[list | None] = ContextVar("key_cache_watchers", default=None)
    # The key last built from its cached bytes, per prefix: (bytes, key).
    _last: dict[str, tuple[bytes, PartnerKey]] = {}

    @staticmethod
    def _names(prefix: str) -> tuple[str, str]:
        return cache_key(f"api:key2:{prefix}"), cache_key(f"api:key-epoch:{prefix}")

    @classmethod
    def get(cls, prefix: str) -> tuple[PartnerKey | None, int | None, int | None]:
        """The cached key, if it is current, the key's epoch (None: Redis is not there to
        cache in) and the reference-data version (core.refdata), all in one round trip."""
        client = redis_client()
        if client is None or not redis_answering():
            return None, None, None
        name, epoch_name = cls._names(prefix)
        try:
            stored, epoch, version = client.mget([name, epoch_name, refdata.version_key()])
            if version is None:
                version = refdata.read_version(client)
        except REDIS_ERRORS as error:
            redis_failed("partner key cache", error)
            return None, None, None
        epoch = int(epoch or 0)
        version = None if version is None else int(version)
        if stored is None:
            return None, epoch, version
        stored_epoch, read_at, key_values, partner_values, street_ids = pickle.loads(stored)
        if stored_epoch != epoch or not -cls.CLOCK_MARGIN <= time.time() - read_at < cls.SECONDS:
            return None, epoch, version
        # The same bytes as the last request's: the same key, without building it again.
        last = cls._last.get(prefix)
        if last is not None and last[0] == stored:
            return last[1], epoch, version
        key = PartnerKey.from_db("default", [f.attname for f in PartnerKey._meta.concrete_fields], key_values)
        key.partner = PartnerSystem.from_db(
            "default", [f.attname for f in PartnerSystem._meta.concrete_fields], partner_values
        )
        key.street_ids = frozenset(street_ids)
        cls._last[prefix] = (stored, key)
        return key, epoch, version

    @classmethod
    def offer(cls, key: PartnerKey, epoch: int, read_at: float) -> None:
        """Cache `key`, read from the database from `read_at` on, after `epoch` was current."""
        client = redis_client()
        if client is None or not redis_answering():
            return
        stored = pickle.dumps(
            (
                epoch,
                read_at,
                [getattr(key, f.attname) for f in PartnerKey._meta.concrete_fields],
                [getattr(key.partner, f.attname) for f in PartnerSystem._meta.concrete_fields],
                sorted(key.street_ids),
            )
        )
        try:
            client.set(cls._names(key.prefix)[0], stored, px=int((cls.SECONDS + cls.CLOCK_MARGIN) * 1000))
        except REDIS_ERRORS as error:
            redis_failed("partner key cache", error)

    @classmethod
    def forget(cls, prefixes) -> None:
        """Make the keys' cached copies stale from the next request on (see the class)."""
        if redis_client() is None:
            return
        epochs = {cls._names(prefix)[1] for prefix in prefixes if prefix}
        if not epochs:
            return
        connection = transaction.get_connection()
        if not connection.in_atomic_block:
            cls._bump_or_wait(epochs)
            return
        # At once, for whoever reads this transaction's own writes; again after the commit,
        # for whoever read the rows in between. One wait, if any, for the whole transaction.
        cls._bump(epochs)
        pending = getattr(connection, "_zhitong_forget_after_commit", None)
        if pending is None or not any(func == pending.run for _sids, func, _robust in connection.run_on_commit):
            pending = connection._zhitong_forget_after_commit = _AfterCommit(set())
            transaction.on_commit(pending.run, robust=True)
        pending.epochs |= epochs

    @classmethod
    def _bump(cls, epochs) -> bool:
        if not redis_answering():
            return False
        try:
            with redis_client().pipeline(transaction=False) as pipe:
                for name in epochs:
                    pipe.incr(name)
                    pipe.expire(name, cls.EPOCH_SECONDS)
                pipe.execute()
        except REDIS_ERRORS as error:
            redis_failed("partner key cache", error)
            return False
        return True

    @classmethod
    def _bump_or_wait(cls, epochs) -> None:
        committed_by = time.time()
        if cls._bump(epochs):
            cls._tell("cleared", 0.0)
            return
        # Every copy that could predate the change was read before `committed_by`.
        wait = committed_by + cls.SECONDS + cls.CLOCK_MARGIN - time.time()
        if wait > 0:
            time.sleep(wait)
        cls._tell("waited", cls.SECONDS + cls.CLOCK_MARGIN)

    @classmethod
    def _tell(cls, outcome: str, seconds: float) -> None:
        watchers = cls._watchers.get()
        if watchers is not None:
            watchers.append((outcome, seconds))

    @classmethod
    @contextmanager
    def watch(cls):
        """Collect what `forget` did within the block: ("cleared" | "waited", seconds) each."""
        outcomes: list[tuple[str, float]] = []
        token = cls._watchers.set(outcomes)
        try:
            yield outcomes
        finally:
            cls._watchers.reset(token)


@dataclass
class _AfterCommit:
    epochs: set

    def run(self):
        KeyCache._bump_or_wait(self.epochs)

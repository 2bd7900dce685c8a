"""`Authorization: Api-Key <key>` for partner systems; staff keep their browser session."""

import pickle
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from responders.models import PartnerSystem

from .cache import cache_key, redis_client
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
    key, epoch = KeyCache.get(prefix)
    if key is None:
        key = _load(prefix)
        if key is not None:
            KeyCache.offer(key, epoch)
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
    # (A cached key comes back here when its minute in the cache is over.)
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        PartnerKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    key.street_ids = frozenset(key.streets.values_list("pk", flat=True))
    return key


class KeyCache:
    """Resolved partner keys in Redis for a minute, so that a request does not read the key,
    its partner and its streets from PostgreSQL every time.

    Whatever changes a key, its partner or its streets (api.signals) bumps the key's epoch,
    at once and again when the transaction commits. A cached key carries the epoch that was
    current before it was read from the database and counts only while that is still the
    current one, so a request that read the old rows just before a change cannot put them
    back: a revoked key is refused from the next request on, in every worker. Without Redis
    (`make run` on the embedded defaults) nothing is cached.
    """

    SECONDS = 60
    EPOCH_SECONDS = 24 * 60 * 60  # far longer than any cached key lives

    @staticmethod
    def _names(prefix: str) -> tuple[str, str]:
        return cache_key(f"api:key:{prefix}"), cache_key(f"api:key-epoch:{prefix}")

    @classmethod
    def get(cls, prefix: str) -> tuple[PartnerKey | None, int]:
        """The cached key, if it is current, and the key's epoch."""
        client = redis_client()
        if client is None:
            return None, 0
        stored, epoch = client.mget(cls._names(prefix))
        epoch = int(epoch or 0)
        if stored is None:
            return None, epoch
        stored_epoch, key_values, partner_values, street_ids = pickle.loads(stored)
        if stored_epoch != epoch:
            return None, epoch
        key = PartnerKey.from_db("default", [f.attname for f in PartnerKey._meta.concrete_fields], key_values)
        key.partner = PartnerSystem.from_db(
            "default", [f.attname for f in PartnerSystem._meta.concrete_fields], partner_values
        )
        key.street_ids = frozenset(street_ids)
        return key, epoch

    @classmethod
    def offer(cls, key: PartnerKey, epoch: int) -> None:
        """Cache `key`, read from the database after `epoch` was current."""
        client = redis_client()
        if client is None:
            return
        stored = pickle.dumps(
            (
                epoch,
                [getattr(key, f.attname) for f in PartnerKey._meta.concrete_fields],
                [getattr(key.partner, f.attname) for f in PartnerSystem._meta.concrete_fields],
                sorted(key.street_ids),
            )
        )
        client.set(cls._names(key.prefix)[0], stored, ex=cls.SECONDS)

    @classmethod
    def forget(cls, prefixes) -> None:
        if redis_client() is None:
            return
        epochs = [cls._names(prefix)[1] for prefix in prefixes if prefix]
        if not epochs:
            return

        def bump():
            with redis_client().pipeline(transaction=False) as pipe:
                for name in epochs:
                    pipe.incr(name)
                    pipe.expire(name, cls.EPOCH_SECONDS)
                pipe.execute()

        bump()
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(bump)

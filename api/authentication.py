"""`Authorization: Api-Key <key>` for partner systems; staff keep their browser session."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

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
    key = PartnerKey.objects.select_related("partner").filter(prefix=prefix).first()
    if key is None or not key.matches(raw):
        raise exceptions.AuthenticationFailed(_("Unknown API key."))
    if not key.is_active:
        raise exceptions.AuthenticationFailed(_("This API key has been revoked."))
    now = timezone.now()
    # Record use at most once a minute: a write per request would cost more than the check.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        PartnerKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.street_ids = frozenset(key.streets.values_list("pk", flat=True))
    return key

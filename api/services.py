from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput
from responders.models import PartnerSystem, StreetOffice

from .models import PartnerKey, Scope, hash_key


@transaction.atomic
def partner_key_create(
    *, partner: PartnerSystem, name: str, streets: list[StreetOffice], scopes: list[str]
) -> tuple[PartnerKey, str]:
    """Issue a key; the full key is returned once and only its hash is stored."""
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        raise InvalidInput(_("Unknown scopes: %(scopes)s.") % {"scopes": ", ".join(unknown)}, field="scopes")
    if not streets:
        raise InvalidInput(_("A key must be scoped to at least one street."), field="streets")
    prefix, raw = PartnerKey.generate()
    key = PartnerKey.objects.create(
        partner=partner, name=name, prefix=prefix, key_hash=hash_key(raw), scopes=sorted(set(scopes))
    )
    key.streets.set(streets)
    return key, raw


def partner_key_revoke(*, key: PartnerKey) -> PartnerKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key

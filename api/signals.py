"""Forget cached partner keys (api.authentication.KeyCache) whenever what they carry changes:
the key itself (revoked, scopes), its streets, or its partner system (deactivated)."""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from responders.models import PartnerSystem

from .authentication import KeyCache
from .models import PartnerKey


@receiver([post_save, post_delete], sender=PartnerKey)
def forget_key(sender, instance, created=False, **kwargs):
    if not created:  # a new key has no cached copy to forget
        KeyCache.forget([instance.prefix])


@receiver(m2m_changed, sender=PartnerKey.streets.through)
def forget_key_streets(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        KeyCache.forget([instance.prefix])
    elif pk_set:
        KeyCache.forget(PartnerKey.objects.filter(pk__in=pk_set).values_list("prefix", flat=True))
    else:  # a street's keys cleared: they are still linked before the clear
        KeyCache.forget(instance.partner_keys.values_list("prefix", flat=True))


@receiver([post_save, pre_delete], sender=PartnerSystem)
def forget_partner_keys(sender, instance, **kwargs):
    KeyCache.forget(PartnerKey.objects.filter(partner=instance).values_list("prefix", flat=True))

"""Forget cached partner keys (api.authentication.KeyCache) whenever what they carry changes:
the key itself (revoked, scopes), its streets, or its partner system (deactivated). And when a
household's personal data is erased, scrub what is kept here for partners."""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from grievances.privacy import ANONYMISED, household_erased
from responders.models import PartnerSystem

from .authentication import KeyCache
from .models import IdempotencyRecord, PartnerKey, WebhookDelivery


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


def _anonymised(ticket) -> bool:
    """Set an API ticket's reporter to the erased one; whether there was one to change."""
    if not isinstance(ticket, dict) or not isinstance(ticket.get("reporter"), dict):
        return False
    ticket["reporter"] = {**ticket["reporter"], "name": ANONYMISED, "phone": ""}
    return True


@receiver(household_erased)
def scrub_partner_copies(sender, ticket_ids, **kwargs):
    """The erased reporters leave no name or phone in webhook payloads, queued or sent (a
    retry would send the old ones), nor in the first responses kept for Idempotency-Key
    replays: in the erasure's transaction (DESIGN.md rule 9)."""
    if not ticket_ids:
        return
    deliveries = list(WebhookDelivery.objects.filter(event__ticket_id__in=ticket_ids).only("pk", "payload"))
    changed = [d for d in deliveries if _anonymised((d.payload or {}).get("data", {}).get("ticket"))]
    WebhookDelivery.objects.bulk_update(changed, ["payload"], batch_size=500)
    records = list(IdempotencyRecord.objects.filter(response__id__in=ticket_ids).only("pk", "response"))
    IdempotencyRecord.objects.bulk_update([r for r in records if _anonymised(r.response)], ["response"], batch_size=500)

"""Partner access: API keys, idempotency records, webhook subscriptions and deliveries."""

import hashlib
import hmac
import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from responders.models import PartnerSystem, StreetOffice


class Scope(models.TextChoices):
    TICKETS_READ = "tickets:read", _("read tickets")
    TICKETS_WRITE = "tickets:write", _("file and act on tickets")
    PII_READ = "pii:read", _("see reporters' phone numbers")
    WEBHOOKS = "webhooks:manage", _("manage webhook subscriptions")


KEY_PREFIX = "zt_"


def hash_key(raw: str) -> str:
    # The secret part carries 256 bits of randomness, so one SHA-256 is enough: a slow
    # password hash would cost milliseconds on every request for no gain.
    return hashlib.sha256(raw.encode()).hexdigest()


class PartnerKey(models.Model):
    """An API key of a partner system: stored hashed, shown once, scoped to streets and scopes."""

    partner = models.ForeignKey(PartnerSystem, on_delete=models.PROTECT, related_name="keys", verbose_name=_("partner"))
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=20, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    streets = models.ManyToManyField(StreetOffice, related_name="partner_keys", verbose_name=_("streets"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("partner API key")
        verbose_name_plural = _("partner API keys")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.partner} · {self.name} ({self.prefix}…)"

    @staticmethod
    def generate() -> tuple[str, str]:
        """A new (prefix, full key). The prefix is the visible, searchable part."""
        prefix = KEY_PREFIX + secrets.token_hex(4)
        return prefix, f"{prefix}.{secrets.token_urlsafe(32)}"

    def matches(self, raw: str) -> bool:
        return hmac.compare_digest(self.key_hash, hash_key(raw))

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.partner.active

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotencyRecord(models.Model):
    """The first response to a POST with an Idempotency-Key, replayed for the same key."""

    key = models.ForeignKey(PartnerKey, on_delete=models.CASCADE, related_name="+")
    idempotency_key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "idempotency_key"], name="idempotency_unique_per_key"),
        ]

    def __str__(self):
        return f"{self.key_id}:{self.idempotency_key}"


class WebhookSubscription(models.Model):
    """A partner's URL that receives signed POSTs for ticket events in the key's streets."""

    key = models.ForeignKey(PartnerKey, on_delete=models.CASCADE, related_name="subscriptions", verbose_name=_("key"))
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=100, default=secrets.token_urlsafe, editable=False)
    event_kinds = models.JSONField(_("event kinds"), default=list, blank=True, help_text=_("Empty: every kind."))
    active = models.BooleanField(_("active"), default=True)
    # The latest ticket event when the subscription was made: it is sent only later ones.
    starts_after_event_id = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["-created_at"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One ticket event for one subscription, tried until it is taken or three days pass."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("subscription")
    )
    event = models.ForeignKey("grievances.TicketEvent", on_delete=models.PROTECT, related_name="+")
    event_uuid = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField(_("payload"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    gave_up_at = models.DateTimeField(_("gave up at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once_per_event"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=Q(delivered_at__isnull=True, gave_up_at__isnull=True),
            ),
            # The admin's newest-first list, and retention's oldest-first range (retention/).
            models.Index(fields=["created_at"], name="webhook_delivery_created"),
        ]

    def __str__(self):
        return f"{self.event_uuid}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["at"]

    def __str__(self):
        return f"{self.delivery_id} {self.status_code or self.error[:30]}"

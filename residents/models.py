"""What residents hear from us (SMS) and their wish to hear nothing (opt-out)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ResidentMessage(models.Model):
    """One SMS to a resident about their ticket: an outbox row, written in the transaction of
    the change it announces and sent after commit (residents.delivery). Held by quiet hours
    (`send_after`), retried with back-off, never sent twice."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("request received")
        MOVED = "moved", _("passed to another unit")
        RESOLVED = "resolved", _("resolved")
        EXPLAINED = "explained", _("answered with a reason")
        REMINDER = "reminder", _("verdict reminder")

    ticket = models.ForeignKey(
        "grievances.Ticket", on_delete=models.PROTECT, related_name="resident_messages", verbose_name=_("ticket")
    )
    phone = models.CharField(_("phone"), max_length=20)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text = models.CharField(_("text"), max_length=500)
    params = models.JSONField(_("template parameters"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    send_after = models.DateTimeField(_("send after"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("given up at"), null=True, blank=True)
    error = models.CharField(_("last error"), max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_until = models.DateTimeField(_("being sent until"), null=True, blank=True)
    # A message that must go at most once (the verdict reminder of one resolution).
    dedupe_key = models.CharField(max_length=100, null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("SMS to a resident")
        verbose_name_plural = _("SMS to residents")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["send_after"],
                name="resident_message_due",
                condition=Q(sent_at__isnull=True, failed_at__isnull=True),
            ),
            # Retention's range (retention/): only what has gone or was given up.
            models.Index(
                fields=["created_at"],
                name="resident_message_settled",
                condition=Q(sent_at__isnull=False) | Q(failed_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.kind}"


class SmsOptOut(models.Model):
    """A phone that asked for no more SMS (a reply such as TD, or the button on the page)."""

    class Via(models.TextChoices):
        REPLY = "reply", _("SMS reply")
        LINK = "link", _("the resident's page")
        STAFF = "staff", _("staff, at the resident's request")

    phone = models.CharField(_("phone"), max_length=20, unique=True)
    via = models.CharField(_("how"), max_length=10, choices=Via.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("SMS opt-out")
        verbose_name_plural = _("SMS opt-outs")
        ordering = ["-at"]

    def __str__(self):
        from grievances.models import mask_phone

        return mask_phone(self.phone)

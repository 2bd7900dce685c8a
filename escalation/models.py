"""How tickets move: SLA policies, the working-day calendar's overrides, department referrals."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.enums import Tier, Urgency


class DurationUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    WORKING_HOURS = "working_hours", _("working hours")
    HOURS = "hours", _("hours (around the clock)")
    CALENDAR_MONTHS = "calendar_months", _("calendar months")


class SLAPolicy(models.Model):
    """How soon to respond and to resolve: one row per tier and urgency (DESIGN.md's table),
    and rows that also name a category or a service item — a lift breakdown is not a policy
    question. The most specific row wins (escalation.sla.SLA.policy)."""

    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    category = models.ForeignKey(
        "grievances.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
        help_text=_("Only requests of this category (empty: every category)."),
    )
    service_item = models.ForeignKey(
        "catalogue.ServiceItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service item"),
        help_text=_("Only applications for this item (empty: the item's own time limit, else the tier's row)."),
    )
    respond_within = models.PositiveIntegerField(_("respond within"), validators=[MinValueValidator(1)])
    respond_unit = models.CharField(_("unit"), max_length=20, choices=DurationUnit.choices)
    resolve_within = models.PositiveIntegerField(_("resolve within"), validators=[MinValueValidator(1)])
    resolve_unit = models.CharField(_("unit"), max_length=20, choices=DurationUnit.choices)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["tier", "urgency", "category", "service_item"]
        constraints = [
            models.UniqueConstraint(
                fields=["tier", "urgency"],
                condition=Q(category__isnull=True, service_item__isnull=True),
                name="sla_policy_one_per_tier_urgency",
            ),
            models.UniqueConstraint(
                fields=["tier", "urgency", "category"],
                condition=Q(category__isnull=False),
                name="sla_policy_one_per_category",
            ),
            models.UniqueConstraint(
                fields=["tier", "urgency", "service_item"],
                condition=Q(service_item__isnull=False),
                name="sla_policy_one_per_service_item",
            ),
            models.CheckConstraint(
                condition=Q(category__isnull=True) | Q(service_item__isnull=True),
                name="sla_policy_category_or_item",
            ),
        ]

    def __str__(self):
        named = self.service_item or self.category
        base = f"{self.get_tier_display()} · {self.get_urgency_display()}"
        return f"{base} · {named}" if named else base


class CalendarOverride(models.Model):
    """A day an administrator declares working or not, over the official calendar."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["-date"]

    def __str__(self):
        return f"{self.date} {'+' if self.is_working_day else '-'}"


class Referral(models.Model):
    """转办 — a matter referred to a functional department, which must answer by a date."""

    ticket = models.ForeignKey(
        "grievances.Ticket", on_delete=models.PROTECT, related_name="referrals", verbose_name=_("ticket")
    )
    department = models.ForeignKey(
        "responders.Department", on_delete=models.PROTECT, related_name="referrals", verbose_name=_("department")
    )
    duty = models.TextField(_("duty"), blank=True, help_text=_("What the department is asked to do."))
    answer_by = models.DateTimeField(_("answer by"))
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # The department's latest interim reply (正在处理): the referral stays open.
    progress = models.TextField(_("progress"), blank=True)
    progress_at = models.DateTimeField(_("progress reported at"), null=True, blank=True)
    # Sent back by the department (not its matter): withdrawn, with the department's reason.
    return_reason = models.TextField(_("reason sent back"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["department", "answer_by"],
                name="referral_open_by_department",
                condition=Q(answered_at__isnull=True, withdrawn_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.ticket} → {self.department}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None and self.withdrawn_at is None


class TransferRecord(models.Model):
    """群众诉求转接单 (诉求转接制): numbered when a committee passes a ticket to its street;
    the street's mediation meeting turns it into referrals."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    ticket = models.ForeignKey(
        "grievances.Ticket", on_delete=models.PROTECT, related_name="transfers", verbose_name=_("ticket")
    )
    committee = models.ForeignKey(
        "responders.ResidentialCommittee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from committee"),
    )
    street = models.ForeignKey(
        "responders.StreetOffice", on_delete=models.PROTECT, related_name="transfers", verbose_name=_("street office")
    )
    reason = models.TextField(_("help asked of the street"))
    created_at = models.DateTimeField(_("transferred at"))
    referred_at = models.DateTimeField(_("referred at"), null=True, blank=True)
    meeting = models.ForeignKey(
        "meetings.Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
        verbose_name=_("mediation meeting"),
    )

    class Meta:
        verbose_name = _("request transfer")
        verbose_name_plural = _("request transfers")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.number


class TransferSequence(models.Model):
    """The last transfer form number issued per street and year (WLQ-ZJ-2026-0001)."""

    street = models.ForeignKey("responders.StreetOffice", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["street", "year"], name="transfer_sequence_unique")]

    def __str__(self):
        return f"{self.street_id}/{self.year}: {self.last_value}"


class SweepRun(models.Model):
    """When the scheduled overdue sweep last ran (one row, rewritten by every sweep beat
    starts), so that /healthz and the admin's front page can say when sweeps have stopped:
    beat or every worker dead, or a sweep that fails each time."""

    name = models.CharField(max_length=40, primary_key=True)
    finished_at = models.DateTimeField()
    took_ms = models.PositiveIntegerField(default=0)
    report = models.CharField(max_length=500, blank=True)

    def __str__(self):
        return f"{self.name} at {self.finished_at.isoformat()}"

"""What residents ask, and where they live."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from responders.models import ResponsibilityZone


class Building(models.Model):
    """楼/弄 — a building or lane inside a responsibility zone."""

    zone = models.ForeignKey(
        ResponsibilityZone, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("responsibility zone")
    )
    name = models.CharField(_("name"), max_length=200, help_text=_("For example 瞿溪路 500 弄 3 号."))

    class Meta:
        verbose_name = _("building or lane")
        verbose_name_plural = _("buildings and lanes")
        ordering = ["zone", "name"]
        constraints = [models.UniqueConstraint(fields=["zone", "name"], name="building_unique_in_zone")]

    def __str__(self):
        return self.name


class Household(models.Model):
    """户 — one household; its contact name and phone are personal data."""

    class Type(models.TextChoices):
        PERMANENT = "permanent", _("permanent resident")
        RENTAL = "rental", _("tenant")
        TEMPORARY = "temporary", _("temporary resident")

    zone = models.ForeignKey(
        ResponsibilityZone, on_delete=models.PROTECT, related_name="households", verbose_name=_("responsibility zone")
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="households",
        verbose_name=_("building or lane"),
    )
    address = models.CharField(_("address"), max_length=255)
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    household_type = models.CharField(_("household type"), max_length=20, choices=Type.choices, default=Type.PERMANENT)
    elderly_living_alone = models.BooleanField(_("elderly living alone"), default=False)
    low_income = models.BooleanField(_("low income"), default=False)
    disability = models.BooleanField(_("disability"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["zone", "address"]
        constraints = [models.UniqueConstraint(fields=["zone", "address"], name="household_unique_address_in_zone")]

    def __str__(self):
        return self.address

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def care_flags(self) -> list[str]:
        flags = []
        for field in ("elderly_living_alone", "low_income", "disability"):
            if getattr(self, field):
                flags.append(str(self._meta.get_field(field).verbose_name))
        return flags


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognise a number without disclosing it."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"

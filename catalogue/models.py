"""The service catalogue (服务事项目录, seed 004): the items a resident applies for at a
window — "one window accepts, everyone helps" (一口受理，全员协办) — gathered in classes, each
with its time limit in working days (限时办结: ordinary and urgent), the documents it needs
and the office that completes it. Seeded by a data migration with a Shanghai street's list;
edited in the admin. A class or item without a street serves every street; a street may add
its own."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.enums import Tier
from responders.models import DepartmentKind, StreetOffice


class _Named(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    street = models.ForeignKey(
        StreetOffice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("street office"),
        help_text=_("Empty: offered in every street."),
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)

    class Meta:
        abstract = True

    def __str__(self):
        if self.name_en and (translation.get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class ServiceClass(_Named):
    """事项类别 — one of the classes the street's items are gathered in (seed 004: 50 items, 12 classes)."""

    class Meta:
        verbose_name = _("service class")
        verbose_name_plural = _("service classes")
        ordering = ["position", "code"]


class ServiceItem(_Named):
    """服务事项 — what a resident applies for at a window, with its time limit."""

    service_class = models.ForeignKey(
        ServiceClass, on_delete=models.PROTECT, related_name="items", verbose_name=_("service class")
    )
    limit_ordinary = models.PositiveSmallIntegerField(
        _("time limit, ordinary (working days)"), validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    limit_urgent = models.PositiveSmallIntegerField(
        _("time limit, urgent (working days)"), validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    documents = models.TextField(
        _("documents needed"), blank=True, help_text=_("One document per line, as the window's checklist shows them.")
    )
    completing_office = models.CharField(
        _("completing office"), max_length=150, help_text=_("The office that completes the item, as residents know it.")
    )
    completing_tier = models.CharField(
        _("completed at"),
        max_length=10,
        choices=[(Tier.COMMITTEE.value, Tier.COMMITTEE.label), (Tier.STREET.value, Tier.STREET.label)],
        default=Tier.STREET,
        help_text=_("The unit that answers for the application: the residential committee or the street office."),
    )
    department_kind = models.ForeignKey(
        DepartmentKind,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department that decides"),
        help_text=_("Where the street hands the file on when a functional department decides (residence: the police)."),
    )

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["service_class__position", "position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(limit_urgent__lte=models.F("limit_ordinary")), name="service_item_urgent_not_longer"
            )
        ]

    @property
    def document_list(self) -> list[str]:
        return [line.strip() for line in self.documents.splitlines() if line.strip()]

    def limit(self, urgency: str) -> int:
        """Working days for an application of this urgency (urgent and emergency: 急事特办)."""
        return self.limit_ordinary if urgency == "normal" else self.limit_urgent

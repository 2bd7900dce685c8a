"""The two lists (两份清单, seed 003): a street's catalogue of administrative affairs (行政事务,
a functional department's duty) and social affairs (社会事务, the community's own). Seed 003
asks to "sort out the two lists of administrative and social affairs and end the practice of
pushing administrative work down onto the community" (改变过去事务性工作大包大揽下移社区做法).

An administrative entry names the department that answers for it (a kind of department, the
one serving the street, or one department). When it also names a request category, a new
ticket of that category goes straight to the department (直通快办, escalation.transitions.opening)
instead of climbing the pyramid; any administrative entry may be cited by a committee that
declines a task pushed down to it (`ticket_decline_by_list`). Kept by the street's staff on
their own page or in the admin.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grievances.models import Category
from responders.models import Department, DepartmentKind, StreetOffice


class AffairsEntry(models.Model):
    """清单事项 — one line of a street's list of administrative or social affairs."""

    class Kind(models.TextChoices):
        ADMINISTRATIVE = "administrative", _("Administrative affair (a department's duty)")
        SOCIAL = "social", _("Social affair (the community's)")

    street = models.ForeignKey(
        StreetOffice, on_delete=models.PROTECT, related_name="affairs_entries", verbose_name=_("street office")
    )
    kind = models.CharField(_("list"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("affair"), max_length=100)
    basis = models.TextField(
        _("basis and scope"),
        blank=True,
        max_length=2000,
        help_text=_("What the affair covers, and the rule that gives it to the department or the community."),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("request category"),
        help_text=_("Administrative: new tickets of this category go straight to the department (直通快办)."),
    )
    department_kind = models.ForeignKey(
        DepartmentKind,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department kind"),
        help_text=_("The kind of department whose duty it is; the one serving the street answers."),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
        help_text=_("Or one department by name (it must serve the street)."),
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("list entry")
        verbose_name_plural = _("the two lists")
        ordering = ["street", "kind", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="social", department_kind__isnull=True, department__isnull=True)
                | Q(kind="administrative") & (Q(department_kind__isnull=False) | Q(department__isnull=False)),
                name="affairs_entry_department_iff_administrative",
            ),
            # One entry decides where a category's new tickets go.
            models.UniqueConstraint(
                fields=["street", "category"],
                condition=Q(active=True, category__isnull=False),
                name="affairs_entry_one_active_per_category",
            ),
            models.UniqueConstraint(fields=["street", "kind", "name"], name="affairs_entry_unique_name"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_administrative(self) -> bool:
        return self.kind == self.Kind.ADMINISTRATIVE

    @property
    def answering(self) -> str:
        """Whose duty it is, as the list prints it."""
        if not self.is_administrative:
            return str(_("the community"))
        return str(self.department or self.department_kind)

    def clean(self):
        if self.is_administrative and not (self.department_id or self.department_kind_id):
            raise ValidationError(
                {"department_kind": _("Name the department kind or the department whose duty it is.")}
            )
        if not self.is_administrative and (self.department_id or self.department_kind_id):
            raise ValidationError({"department_kind": _("A social affair is the community's: name no department.")})
        if self.department_id and self.street_id:
            department, street = self.department, self.street
            if department.street_id not in (None, street.pk) or department.district_id != street.district_id:
                raise ValidationError({"department": _("This department does not serve this street.")})
        if self.category_id and self.street_id:
            others = AffairsEntry.objects.filter(street_id=self.street_id, category_id=self.category_id, active=True)
            if self.active and others.exclude(pk=self.pk).exists():
                raise ValidationError({"category": _("Another active entry of this street has this category.")})

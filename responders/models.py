"""Who responds: the organisation tree, service teams, staff accounts and leader duty."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

# A responsibility zone is meant to hold 250-350 households (DOMAIN.md); real zones vary,
# so a zone outside the range is flagged in the admin, never refused.
ZONE_HOUSEHOLDS_MIN = 250
ZONE_HOUSEHOLDS_MAX = 350
# 领导包干制: each street leader answers for one or two committees.
MAX_COMMITTEES_PER_LEADER = 2


class District(models.Model):
    """区 — the district a street office belongs to."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=20, unique=True)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["code"]

    def __str__(self):
        return self.name


class StreetOffice(models.Model):
    """街道办事处 — the street office, top of the three-tier pyramid."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="streets", verbose_name=_("district"))
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=20, unique=True, help_text=_("Short code used in ticket references."))

    class Meta:
        verbose_name = _("street office")
        verbose_name_plural = _("street offices")
        ordering = ["code"]

    def __str__(self):
        return self.name


class ResidentialCommittee(models.Model):
    """居民区/居委会 — the residential committee, the pyramid's middle tier."""

    street = models.ForeignKey(
        StreetOffice, on_delete=models.PROTECT, related_name="committees", verbose_name=_("street office")
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=30, unique=True)
    duty_leader = models.ForeignKey(
        "User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duty_committees",
        limit_choices_to={"role": "street_leader"},
        verbose_name=_("responsible street leader"),
        help_text=_("领导包干制: the street leader personally responsible for this committee."),
    )

    class Meta:
        verbose_name = _("residential committee")
        verbose_name_plural = _("residential committees")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        leader = self.duty_leader
        if leader is None:
            return
        if leader.role != User.Role.STREET_LEADER:
            raise ValidationError({"duty_leader": _("Only a street leader can be responsible for a committee.")})
        if self.street_id and leader.street_id != self.street_id:
            raise ValidationError({"duty_leader": _("The leader must belong to this committee's street.")})
        others = ResidentialCommittee.objects.filter(duty_leader=leader).exclude(pk=self.pk).count()
        if others >= MAX_COMMITTEES_PER_LEADER:
            raise ValidationError({"duty_leader": _("A street leader is responsible for at most two committees.")})


class ResponsibilityZone(models.Model):
    """责任区 — 250-350 households served by one neighbourhood service team."""

    committee = models.ForeignKey(
        ResidentialCommittee,
        on_delete=models.PROTECT,
        related_name="zones",
        verbose_name=_("residential committee"),
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=40, unique=True)
    opinion_day = models.PositiveSmallIntegerField(
        _("public-opinion day"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("民情议事日: the fixed day of each month (1-28) the zone's public-opinion day is held."),
    )

    class Meta:
        verbose_name = _("responsibility zone")
        verbose_name_plural = _("responsibility zones")
        ordering = ["code"]

    def __str__(self):
        return self.name


class DepartmentKind(models.Model):
    """The kinds of functional department (an editable list, seeded by a migration)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department kind")
        verbose_name_plural = _("department kinds")
        ordering = ["code"]

    def __str__(self):
        # In the reader's language, as categories are: the English name on English screens.
        if self.name_en and (translation.get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class Department(models.Model):
    """职能部门派出机构 — a functional department stationed in a street."""

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="departments", verbose_name=_("district")
    )
    street = models.ForeignKey(
        StreetOffice,
        on_delete=models.PROTECT,
        related_name="departments",
        null=True,
        blank=True,
        verbose_name=_("stationed in street"),
        help_text=_("Empty for a district-wide department."),
    )
    kind = models.ForeignKey(
        DepartmentKind, on_delete=models.PROTECT, related_name="departments", verbose_name=_("kind")
    )
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["district", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="department_unique_name_in_district"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.street_id and self.district_id and self.street.district_id != self.district_id:
            raise ValidationError({"street": _("The street must belong to the department's district.")})


# The three units that hold meetings and answer for tickets (a street, a committee, a zone).
OrgUnit = StreetOffice | ResidentialCommittee | ResponsibilityZone


class User(AbstractUser):
    """A staff account. Its role and org unit decide what it may see (responders.selectors)."""

    class Role(models.TextChoices):
        ZONE_MEMBER = "zone_member", _("zone team member")
        COMMITTEE_STAFF = "committee_staff", _("committee staff")
        STREET_STAFF = "street_staff", _("street staff")
        STREET_LEADER = "street_leader", _("street leader")
        DEPARTMENT_LIAISON = "department_liaison", _("department liaison")
        ADMINISTRATOR = "administrator", _("administrator")

    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # Least privilege by default: a zone member with no team membership sees nothing.
    role = models.CharField(_("role"), max_length=30, choices=Role.choices, default=Role.ZONE_MEMBER)
    street = models.ForeignKey(
        StreetOffice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("street office"),
    )
    committee = models.ForeignKey(
        ResidentialCommittee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("residential committee"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="liaisons",
        verbose_name=_("department"),
    )

    class Meta:
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="committee_staff") | Q(committee__isnull=False),
                name="user_committee_staff_has_committee",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=["street_staff", "street_leader"]) | Q(street__isnull=False),
                name="user_street_staff_has_street",
            ),
            models.CheckConstraint(
                condition=~Q(role="department_liaison") | Q(department__isnull=False),
                name="user_liaison_has_department",
            ),
        ]

    def __str__(self):
        return self.full_name or self.username

    # The org unit each role must name; the check constraints above enforce it in the database.
    REQUIRED_UNIT = {
        Role.COMMITTEE_STAFF: "committee",
        Role.STREET_STAFF: "street",
        Role.STREET_LEADER: "street",
        Role.DEPARTMENT_LIAISON: "department",
    }

    def clean(self):
        super().clean()
        field = self.REQUIRED_UNIT.get(self.role)
        if field and getattr(self, f"{field}_id") is None:
            raise ValidationError({field: _("This role requires this org unit.")})

    @property
    def org_unit(self):
        """The unit this person works for, as shown to them."""
        field = self.REQUIRED_UNIT.get(self.role)
        if field:
            return getattr(self, field)
        return self.committee or self.street or self.department


class ServiceTeam(models.Model):
    """责任区服务团队 — the mixed team that serves one zone."""

    zone = models.OneToOneField(
        ResponsibilityZone, on_delete=models.PROTECT, related_name="team", verbose_name=_("responsibility zone")
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("service team")
        verbose_name_plural = _("service teams")
        ordering = ["zone__code"]

    def __str__(self):
        return self.name


class TeamMembership(models.Model):
    """One person on a service team, with the organisation they come from."""

    class HomeKind(models.TextChoices):
        STREET = "street", _("street office")
        COMMITTEE = "committee", _("residential committee")
        DEPARTMENT = "department", _("functional department")
        COMMUNITY_UNIT = "community_unit", _("community unit")

    class TeamRole(models.TextChoices):
        LEAD = "lead", _("team lead")
        MEMBER = "member", _("member")

    team = models.ForeignKey(
        ServiceTeam, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("service team")
    )
    user = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("staff account"),
        help_text=_("Empty for a volunteer without an account."),
    )
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    role = models.CharField(_("team role"), max_length=10, choices=TeamRole.choices, default=TeamRole.MEMBER)
    home_kind = models.CharField(_("home organisation kind"), max_length=20, choices=HomeKind.choices)
    home_street = models.ForeignKey(
        StreetOffice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("home street office"),
    )
    home_committee = models.ForeignKey(
        ResidentialCommittee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("home committee"),
    )
    home_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("home department"),
    )
    home_unit_name = models.CharField(
        _("community unit"), max_length=100, blank=True, help_text=_("For volunteers from local units.")
    )

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        ordering = ["team", "role", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team"], condition=Q(role="lead"), name="team_has_one_lead"),
            models.UniqueConstraint(fields=["team", "user"], condition=Q(user__isnull=False), name="team_member_once"),
        ]

    def __str__(self):
        return f"{self.name} ({self.team})"

    HOME_FIELD = {
        HomeKind.STREET: "home_street",
        HomeKind.COMMITTEE: "home_committee",
        HomeKind.DEPARTMENT: "home_department",
        HomeKind.COMMUNITY_UNIT: "home_unit_name",
    }

    def clean(self):
        field = self.HOME_FIELD.get(self.home_kind)
        if field and not getattr(self, field if field == "home_unit_name" else f"{field}_id"):
            raise ValidationError({field: _("Name the organisation this member comes from.")})

    @property
    def home_organisation(self):
        field = self.HOME_FIELD.get(self.home_kind)
        return getattr(self, field) if field else ""


class PartnerSystem(models.Model):
    """A system that files and follows tickets over the API: the city hotline (12345) and others."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    informs_residents = models.BooleanField(
        _("informs residents itself"),
        default=False,
        help_text=_("Ticked: this partner tells its residents how their requests stand, and we send them no SMS."),
    )

    class Meta:
        verbose_name = _("partner system")
        verbose_name_plural = _("partner systems")
        ordering = ["code"]

    def __str__(self):
        return self.name

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import (
    ZONE_HOUSEHOLDS_MAX,
    ZONE_HOUSEHOLDS_MIN,
    Department,
    DepartmentKind,
    District,
    PartnerSystem,
    ResidentialCommittee,
    ResponsibilityZone,
    ServiceTeam,
    StreetOffice,
    TeamMembership,
    User,
)


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(StreetOffice)
class StreetOfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "district"]
    list_filter = ["district"]
    search_fields = ["name", "code"]


@admin.register(ResidentialCommittee)
class ResidentialCommitteeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "street", "duty_leader"]
    list_filter = ["street__district", "street"]
    search_fields = ["name", "code", "duty_leader__full_name"]
    autocomplete_fields = ["street", "duty_leader"]
    list_select_related = ["street", "duty_leader"]


class ZoneSizeFilter(admin.SimpleListFilter):
    title = _("size")
    parameter_name = "size"

    def lookups(self, request, model_admin):
        return [
            ("small", _("fewer than %(min)s households") % {"min": ZONE_HOUSEHOLDS_MIN}),
            ("normal", _("%(min)s–%(max)s households") % {"min": ZONE_HOUSEHOLDS_MIN, "max": ZONE_HOUSEHOLDS_MAX}),
            ("large", _("more than %(max)s households") % {"max": ZONE_HOUSEHOLDS_MAX}),
        ]

    def queryset(self, request, queryset):
        if self.value() == "small":
            return queryset.filter(household_count__lt=ZONE_HOUSEHOLDS_MIN)
        if self.value() == "normal":
            return queryset.filter(household_count__range=(ZONE_HOUSEHOLDS_MIN, ZONE_HOUSEHOLDS_MAX))
        if self.value() == "large":
            return queryset.filter(household_count__gt=ZONE_HOUSEHOLDS_MAX)
        return queryset


def zone_size_warning(count: int) -> str | None:
    """The admin's warning for a zone outside 250-350 households, or None."""
    if count < ZONE_HOUSEHOLDS_MIN:
        return _("Only %(count)s households: a zone usually has %(min)s–%(max)s.") % {
            "count": count,
            "min": ZONE_HOUSEHOLDS_MIN,
            "max": ZONE_HOUSEHOLDS_MAX,
        }
    if count > ZONE_HOUSEHOLDS_MAX:
        return _("%(count)s households: a zone usually has %(min)s–%(max)s.") % {
            "count": count,
            "min": ZONE_HOUSEHOLDS_MIN,
            "max": ZONE_HOUSEHOLDS_MAX,
        }
    return None


@admin.register(ResponsibilityZone)
class ResponsibilityZoneAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "committee", "households"]
    list_filter = [ZoneSizeFilter, "committee__street", "committee"]
    search_fields = ["name", "code", "committee__name"]
    autocomplete_fields = ["committee"]
    list_select_related = ["committee"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(household_count=Count("households"))

    @admin.display(description=_("households"), ordering="household_count")
    def households(self, zone):
        warning = zone_size_warning(zone.household_count)
        if warning:
            return format_html('<span class="zone-size-warning" title="{}">⚠ {}</span>', warning, zone.household_count)
        return zone.household_count

    def change_view(self, request, object_id, form_url="", extra_context=None):
        zone = self.get_object(request, object_id)
        if zone is not None and request.method == "GET":
            warning = zone_size_warning(zone.household_count)
            if warning:
                messages.warning(request, warning)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(DepartmentKind)
class DepartmentKindAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "active"]
    list_filter = ["active"]
    search_fields = ["name", "name_en", "code"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "street", "district", "active"]
    list_filter = ["kind", "district", "street", "active"]
    search_fields = ["name"]
    list_select_related = ["kind", "street", "district"]


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    autocomplete_fields = ["user", "home_street", "home_committee", "home_department"]


@admin.register(ServiceTeam)
class ServiceTeamAdmin(admin.ModelAdmin):
    list_display = ["name", "zone", "member_count"]
    list_filter = ["zone__committee__street", "zone__committee"]
    search_fields = ["name", "zone__name", "memberships__name"]
    autocomplete_fields = ["zone"]
    inlines = [TeamMembershipInline]
    list_select_related = ["zone"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, team):
        return team.member_count


@admin.register(TeamMembership)
class TeamMembershipAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "role", "home_kind", "home_organisation", "user"]
    list_filter = ["role", "home_kind", "team__zone__committee"]
    search_fields = ["name", "phone", "team__name", "user__username"]
    autocomplete_fields = ["team", "user", "home_street", "home_committee", "home_department"]
    list_select_related = ["team", "user", "home_street", "home_committee", "home_department"]

    @admin.display(description=_("home organisation"))
    def home_organisation(self, membership):
        return membership.home_organisation


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "full_name", "role", "org_unit_display", "is_active", "is_staff"]
    list_filter = ["role", "street", "committee", "department", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "phone", "email"]
    list_select_related = ["street", "committee", "department"]
    autocomplete_fields = ["street", "committee", "department"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "phone", "email")}),
        (_("Role and org unit"), {"fields": ("role", "street", "committee", "department")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        (_("Role and org unit"), {"fields": ("full_name", "role", "street", "committee", "department")}),
    )

    @admin.display(description=_("org unit"))
    def org_unit_display(self, user):
        return user.org_unit or "—"


@admin.register(PartnerSystem)
class PartnerSystemAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "active", "informs_residents"]
    list_filter = ["active"]
    search_fields = ["name", "code"]

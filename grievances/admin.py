from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyFieldsAdminMixin, ReadOnlyTabularInline

from .models import Building, Category, Feedback, Household, Ticket, TicketEvent


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["name", "zone"]
    list_filter = ["zone__committee__street", "zone__committee"]
    search_fields = ["name", "zone__name"]
    autocomplete_fields = ["zone"]
    list_select_related = ["zone"]


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["address", "contact_name", "masked_phone", "household_type", "zone", "care"]
    list_filter = [
        "household_type",
        "elderly_living_alone",
        "low_income",
        "disability",
        "zone__committee__street",
        "zone__committee",
    ]
    search_fields = ["address", "contact_name", "phone", "building__name"]
    autocomplete_fields = ["zone", "building"]
    list_select_related = ["zone"]
    list_per_page = 50
    # Counting millions of rows on every page load is slow; the paginator estimates instead.
    show_full_result_count = False

    @admin.display(description=_("phone"))
    def masked_phone(self, household):
        return household.masked_phone

    @admin.display(description=_("care flags"))
    def care(self, household):
        return "、".join(household.care_flags) or "—"


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "position", "active"]
    list_editable = ["position", "active"]
    list_filter = ["active"]
    search_fields = ["name", "name_en", "code"]


class TicketEventInline(ReadOnlyTabularInline):
    model = TicketEvent
    fields = ["at", "kind", "actor", "actor_label", "from_status", "to_status", "from_tier", "to_tier", "note"]


class FeedbackInline(ReadOnlyTabularInline):
    model = Feedback
    fields = ["created_at", "satisfaction", "comment", "collected_via", "recorded_by"]


@admin.register(Ticket)
class TicketAdmin(ReadOnlyFieldsAdminMixin, admin.ModelAdmin):
    """Read-only: tickets move through the state machine (the screens and the API), never here."""

    list_display = [
        "reference",
        "category",
        "urgency",
        "tier",
        "status",
        "owner",
        "resolve_by",
        "overdue",
        "street",
        "created_at",
    ]
    list_filter = [
        "status",
        "tier",
        "urgency",
        "overdue",
        "respond_overdue",
        "channel",
        "category",
        "street",
        "committee",
    ]
    search_fields = ["reference", "description", "address", "reporter_name", "external_id"]
    list_select_related = ["category", "owner", "street"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [TicketEventInline, FeedbackInline]

    def has_delete_permission(self, request, obj=None):
        return False

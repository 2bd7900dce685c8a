from django.contrib import admin
from django.db import connection
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyFieldsAdminMixin, ReadOnlyTabularInline

from . import privacy
from .models import Building, Category, Feedback, Household, PersonalDataAccess, Photo, Ticket, TicketEvent


class LogsPersonalData:
    """An admin whose pages show residents' personal data logs each showing (DESIGN.md rule
    9): a list page as one row naming its records, a record's page as one."""

    subject: str
    list_fields: tuple = ()
    detail_fields: tuple = ()

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None and self.list_fields:
            privacy.record_access(
                user=request.user,
                how=privacy.How.ADMIN,
                subject=self.subject,
                ids=[obj.pk for obj in changelist.result_list],
                fields=self.list_fields,
                path=request.path,
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        original = getattr(response, "context_data", {}).get("original")
        if request.method == "GET" and original is not None:
            privacy.record_access(
                user=request.user,
                how=privacy.How.ADMIN,
                subject=self.subject,
                ids=[original.pk],
                fields=self.detail_fields,
                path=request.path,
            )
        return response


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    # lat/long are edited here, or many at once by `manage.py import_building_points`.
    list_display = ["name", "zone", "lat", "long"]
    fields = ["zone", "name", ("lat", "long")]
    list_filter = ["zone__committee__street", "zone__committee"]
    search_fields = ["name", "zone__name"]
    autocomplete_fields = ["zone"]
    list_select_related = ["zone"]


@admin.register(Household)
class HouseholdAdmin(LogsPersonalData, admin.ModelAdmin):
    subject = privacy.Subject.HOUSEHOLD
    list_fields = ("contact_name", "care_flags")
    detail_fields = privacy.HOUSEHOLD_FIELDS
    readonly_fields = ["erased_at", "erased_by"]
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
    list_display = ["name", "name_en", "code", "position", "active", "public"]
    list_editable = ["position", "active", "public"]
    list_filter = ["active", "public"]
    search_fields = ["name", "name_en", "code"]


class TicketEventInline(ReadOnlyTabularInline):
    model = TicketEvent
    fields = ["at", "kind", "actor", "actor_label", "from_status", "to_status", "from_tier", "to_tier", "note"]


class FeedbackInline(ReadOnlyTabularInline):
    model = Feedback
    fields = ["created_at", "satisfaction", "comment", "collected_via", "recorded_by"]


@admin.register(Ticket)
class TicketAdmin(LogsPersonalData, ReadOnlyFieldsAdminMixin, admin.ModelAdmin):
    """Read-only: tickets move through the state machine (the screens and the API), never here."""

    subject = privacy.Subject.TICKET
    detail_fields = privacy.REPORTER_FIELDS

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
        "kind",
        "channel",
        "category",
        "service_item__service_class",
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


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    """The access log of residents' personal data: read only, never added, changed or deleted.
    Search by a household's or ticket's id, a staff member, a partner's key, a page."""

    list_display = ["at", "who", "how", "subject", "records", "shown_fields", "path"]
    list_filter = ["how", "subject", "at", "user__role"]
    search_fields = ["user__username", "user__full_name", "actor_label", "partner__name", "path", "note"]
    list_select_related = ["user", "partner"]
    date_hierarchy = "at"
    show_full_result_count = False
    list_per_page = 100

    @admin.display(description=_("who"))
    def who(self, access):
        return access.who

    @admin.display(description=_("record ids"))
    def records(self, access):
        ids = [str(pk) for pk in access.object_ids]
        return ", ".join(ids[:10]) + (f" … (+{len(ids) - 10})" if len(ids) > 10 else "")

    @admin.display(description=_("fields"))
    def shown_fields(self, access):
        return ", ".join(access.fields)

    def get_search_results(self, request, queryset, search_term):
        results, duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term.isascii() and term.isdigit():
            # A record's id: the accesses that showed it (JSON containment where the database has it).
            if connection.features.supports_json_field_contains:
                results |= queryset.filter(object_ids__contains=[int(term)])
            else:
                results |= queryset.filter(object_ids__icontains=term)
        return results, duplicates

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    """Photos: listed by ticket, never added or changed here (they come through the ticket
    page and the API, checked); an administrator may delete one (an unsuitable picture), which
    removes its files from storage too. The files have no URL here: the guarded views serve them."""

    list_display = ["id", "ticket", "stage", "uploaded_by", "uploaded_via", "created_at", "width", "height", "size"]
    list_filter = ["stage", "created_at"]
    search_fields = ["ticket__reference", "sha256"]
    list_select_related = ["ticket", "uploaded_by", "uploaded_via"]
    raw_id_fields = ["ticket", "visit"]
    fields = ["ticket", "visit", "stage", "referral_id", "uploaded_by", "uploaded_via", "created_at", "width", "height"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        obj.image.delete(save=False)
        obj.thumbnail.delete(save=False)

    def delete_queryset(self, request, queryset):
        photos = list(queryset)
        super().delete_queryset(request, queryset)
        for photo in photos:
            photo.image.delete(save=False)
            photo.thumbnail.delete(save=False)

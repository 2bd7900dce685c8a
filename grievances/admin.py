from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Building, Household


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

from django.contrib import admin

from .models import AffairsEntry


@admin.register(AffairsEntry)
class AffairsEntryAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "street", "category", "department_kind", "department", "position", "active"]
    list_editable = ["position", "active"]
    list_filter = ["street", "kind", "active"]
    search_fields = ["name", "basis"]
    list_select_related = ["street", "category", "department_kind", "department"]

from django.contrib import admin

from .models import MonthlyReport


@admin.register(MonthlyReport)
class MonthlyReportAdmin(admin.ModelAdmin):
    """Issued reports are kept as they were: viewable here, never edited."""

    list_display = ["street", "month", "generated_at", "generated_by"]
    list_filter = ["street"]
    date_hierarchy = "month"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

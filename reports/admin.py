from django.contrib import admin

from core.admin import ReadOnlyFieldsAdminMixin

from .models import MonthlyReport


@admin.register(MonthlyReport)
class MonthlyReportAdmin(ReadOnlyFieldsAdminMixin, admin.ModelAdmin):
    """Issued reports are kept as they were: viewable here, never edited."""

    list_display = ["street", "month", "generated_at", "generated_by"]
    list_filter = ["street"]
    date_hierarchy = "month"

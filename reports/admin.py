from django.contrib import admin

from core.admin import ReadOnlyAdminMixin

from .models import MonthlyReport


@admin.register(MonthlyReport)
class MonthlyReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Issued reports are kept as they were: viewable here, never edited or deleted (deleting
    one would let the month be issued again from today's data; the database refuses it too)."""

    list_display = ["street", "month", "generated_at", "generated_by"]
    list_filter = ["street"]
    date_hierarchy = "month"

from django.contrib import admin

from .models import ServiceClass, ServiceItem


class ServiceItemInline(admin.TabularInline):
    model = ServiceItem
    fields = ["code", "name", "limit_ordinary", "limit_urgent", "completing_office", "active"]
    extra = 0
    show_change_link = True


@admin.register(ServiceClass)
class ServiceClassAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "street", "position", "active"]
    list_editable = ["position", "active"]
    list_filter = ["street", "active"]
    search_fields = ["name", "name_en", "code"]
    inlines = [ServiceItemInline]


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "service_class",
        "limit_ordinary",
        "limit_urgent",
        "completing_office",
        "completing_tier",
        "street",
        "active",
    ]
    list_editable = ["limit_ordinary", "limit_urgent", "active"]
    list_filter = ["service_class", "completing_tier", "street", "active"]
    search_fields = ["name", "name_en", "code", "completing_office"]
    list_select_related = ["service_class", "street"]

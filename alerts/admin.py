from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "ticket", "read_at"]
    list_filter = ["kind", "read_at"]
    search_fields = ["recipient__username", "recipient__full_name", "ticket__reference"]
    raw_id_fields = ["recipient", "ticket"]
    list_select_related = ["recipient", "ticket"]

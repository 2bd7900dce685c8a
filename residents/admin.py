from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from grievances.models import mask_phone

from .models import ResidentMessage, SmsOptOut


@admin.register(ResidentMessage)
class ResidentMessageAdmin(admin.ModelAdmin):
    list_display = ["ticket", "masked_phone", "kind", "created_at", "send_after", "sent_at", "failed_at", "attempts"]
    list_filter = ["kind"]
    search_fields = ["ticket__reference"]
    exclude = ["phone", "params", "text"]
    readonly_fields = [
        "ticket",
        "masked_phone",
        "kind",
        "created_at",
        "send_after",
        "sent_at",
        "failed_at",
        "error",
        "attempts",
        "claimed_until",
    ]

    @admin.display(description=_("phone"))
    def masked_phone(self, message):
        return mask_phone(message.phone)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SmsOptOut)
class SmsOptOutAdmin(admin.ModelAdmin):
    """Delete a row to let a phone receive SMS again, at the resident's request."""

    list_display = ["__str__", "via", "at"]
    list_filter = ["via"]
    readonly_fields = ["via", "at"]

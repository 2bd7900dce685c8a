"""Webhooks in the admin: subscriptions to manage, deliveries and their attempts to inspect."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, ReadOnlyTabularInline
from core.errors import InvalidInput
from grievances.models import TicketEvent

from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from .webhooks import latest_event_id, webhook_validate


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    event_kinds = forms.MultipleChoiceField(
        label=_("event kinds"),
        choices=TicketEvent.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every kind."),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["key", "url", "event_kinds", "active"]

    def clean(self):
        data = super().clean()
        if "url" in data:
            # The checks of webhook_subscribe, so the admin cannot make what the service refuses.
            # An existing subscription's key was checked when it was made; switching off the
            # subscription of a key revoked since must still be possible.
            key = data.get("key") if self.instance.pk is None else None
            try:
                data["event_kinds"] = webhook_validate(key=key, url=data["url"], event_kinds=data["event_kinds"])
            except InvalidInput as exc:
                self.add_error(exc.field, exc.message)
        return data


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["url", "key", "kinds", "active", "created_at"]
    list_filter = ["active", "key__partner"]
    search_fields = ["url", "key__name", "key__prefix", "key__partner__name"]
    list_select_related = ["key__partner"]
    readonly_fields = ["secret", "starts_after_event_id", "created_at"]

    def has_delete_permission(self, request, obj=None):
        # Switch a subscription off instead (active): its deliveries and attempts are the
        # record of what was sent, and deleting them mid-send would lose it.
        return False

    def get_readonly_fields(self, request, obj=None):
        # The key decides what the subscription may see; another key needs its own subscription.
        return [*self.readonly_fields, "key"] if obj else self.readonly_fields

    @admin.display(description=_("event kinds"))
    def kinds(self, subscription):
        return ", ".join(subscription.event_kinds) or _("all")

    def save_model(self, request, obj, form, change):
        if not change:
            # Like webhook_subscribe: start after the latest event, not replay the whole log.
            obj.starts_after_event_id = latest_event_id()
        super().save_model(request, obj, form, change)


class DeliveryStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("pending", _("pending")), ("delivered", _("delivered")), ("gave_up", _("given up"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(delivered_at__isnull=True, gave_up_at__isnull=True)
        if self.value() == "delivered":
            return queryset.filter(delivered_at__isnull=False)
        if self.value() == "gave_up":
            return queryset.filter(gave_up_at__isnull=False)
        return queryset


class WebhookAttemptInline(ReadOnlyTabularInline):
    model = WebhookAttempt
    fields = ["at", "status_code", "duration_ms", "error"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the record of what was sent, tried and answered."""

    list_display = [
        "event_uuid",
        "subscription",
        "event_type",
        "attempts",
        "delivered_at",
        "gave_up_at",
        "last_status_code",
        "next_attempt_at",
    ]
    list_filter = [DeliveryStateFilter, "last_status_code", "subscription"]
    search_fields = ["event_uuid", "subscription__url", "event__ticket__reference"]
    list_select_related = ["subscription"]
    date_hierarchy = "created_at"
    inlines = [WebhookAttemptInline]

    @admin.display(description=_("type"))
    def event_type(self, delivery):
        return delivery.payload.get("type", "")

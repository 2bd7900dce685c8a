from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.admin import NoDeleteAdminMixin

from . import admin_webhooks  # noqa: F401 - registers the webhook admins
from .models import PartnerKey, Scope, hash_key
from .services import partner_key_revoke


class PartnerKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(label=_("scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = PartnerKey
        fields = ["partner", "name", "streets", "scopes"]


@admin.register(PartnerKey)
class PartnerKeyAdmin(NoDeleteAdminMixin, admin.ModelAdmin):
    """Keys are created here or with `manage.py partner_key create`; the key is shown once.
    A key is revoked (the action), never deleted: its idempotency records and webhook
    subscriptions stay on record."""

    form = PartnerKeyForm
    list_display = ["prefix", "partner", "name", "scope_list", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["partner", "revoked_at"]
    search_fields = ["prefix", "name", "partner__name"]
    filter_horizontal = ["streets"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return ["partner", "name", "streets", "scopes", *self.readonly_fields] if obj else PartnerKeyForm.Meta.fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.prefix, raw = PartnerKey.generate()
            obj.key_hash = hash_key(raw)
            messages.warning(
                request,
                _("The new key is %(key)s — copy it now: it is stored hashed and will not be shown again.")
                % {"key": raw},
            )
        super().save_model(request, obj, form, change)

    @admin.display(description=_("scopes"))
    def scope_list(self, key):
        return ", ".join(key.scopes)

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        # One transaction: while Redis is down, the revocation waits out the cache's life once
        # for all the selected keys, not once per key (KeyCache.forget).
        with transaction.atomic():
            for key in queryset:
                partner_key_revoke(key=key)
        self.message_user(request, _("%(n)s keys revoked.") % {"n": queryset.count()})

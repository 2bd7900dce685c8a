"""Admin building blocks shared by the apps."""

from django.contrib import admin


class ReadOnlyAdminMixin:
    """For a ModelAdmin of records that only their own code writes (the state machine, the
    webhook sender): shown in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NoDeleteAdminMixin:
    """For records whose end is a state, not a deletion (a meeting is cancelled, a partner key
    revoked, a referral withdrawn by the state machine): the admin never deletes them, one
    by one or in bulk, so what hangs from them (evaluations, idempotency records, a
    ticket's waiting state) is never lost with them."""

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyFieldsAdminMixin:
    """For a ModelAdmin of records made elsewhere and kept as they were: none added here, and
    every field read-only on its page. The page itself stays a change page (for its inlines and
    history); a subclass that must not delete says so."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False


class ReadOnlyTabularInline(admin.TabularInline):
    """A record shown under its parent, never added, changed or deleted there: logs,
    feedback, webhook attempts. Subclasses name the `fields`."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

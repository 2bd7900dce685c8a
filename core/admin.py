"""Admin building blocks shared by the apps."""

from django.contrib import admin


class ReadOnlyTabularInline(admin.TabularInline):
    """A record shown under its parent, never added, changed or deleted there: logs,
    feedback, webhook attempts. Subclasses name the `fields`."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

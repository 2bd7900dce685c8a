from django.contrib import admin

from core.admin import NoDeleteAdminMixin, ReadOnlyTabularInline

from .models import Matter, MatterEvent, Milestone, StepRecord, Supervisor


class StepInline(ReadOnlyTabularInline):
    """The steps are recorded from the matter's page, in order (the service checks it)."""

    model = StepRecord
    fields = ["number", "held_on", "meeting", "outcome", "passed", "present", "votes_for", "votes_against"]


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ["title", "due_on", "done_on", "late_alerted_at"]
    readonly_fields = ["done_on", "late_alerted_at"]


class SupervisorInline(admin.TabularInline):
    model = Supervisor
    extra = 0
    fields = ["body", "name", "signed_off_on", "opinion"]
    readonly_fields = ["signed_off_on", "opinion"]


class MatterEventInline(ReadOnlyTabularInline):
    model = MatterEvent
    fields = ["at", "kind", "actor", "actor_label", "note"]


@admin.register(Matter)
class MatterAdmin(NoDeleteAdminMixin, admin.ModelAdmin):
    """A matter ends rejected or with its result published, never deleted. Its title, text,
    notice period and responsible unit can be corrected here; its steps only from its page."""

    list_display = ["title", "street", "committee", "step", "progress", "created_at"]
    list_filter = ["step", "source", "street"]
    search_fields = ["title", "description", "committee__name"]
    date_hierarchy = "created_at"
    list_select_related = ["street", "committee"]
    readonly_fields = [
        "step",
        "rejected_at",
        "rejection_reason",
        "notice_ends_on",
        "progress",
        "created_by",
        "created_at",
    ]
    raw_id_fields = ["ticket", "responsible_user"]
    inlines = [StepInline, MilestoneInline, SupervisorInline, MatterEventInline]

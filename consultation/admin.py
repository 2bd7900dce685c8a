from django.contrib import admin

from core.admin import NoDeleteAdminMixin, ReadOnlyTabularInline

from .models import (
    ContractReview,
    CovenantVersion,
    Hearing,
    LivelihoodProject,
    MaintenanceContract,
    Matter,
    MatterEvent,
    Milestone,
    ProjectEvent,
    StepRecord,
    Supervisor,
)


class StepInline(ReadOnlyTabularInline):
    """The steps are recorded from the matter's page, in order (the service checks it)."""

    model = StepRecord
    fields = ["number", "held_on", "meeting", "outcome", "passed", "present", "votes_for", "votes_against"]


class MilestoneInline(admin.TabularInline):
    model = Milestone
    fk_name = "matter"
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


class ProjectMilestoneInline(MilestoneInline):
    fk_name = "project"


class ProjectEventInline(ReadOnlyTabularInline):
    model = ProjectEvent
    fields = ["at", "kind", "actor", "actor_label", "note"]


@admin.register(LivelihoodProject)
class LivelihoodProjectAdmin(NoDeleteAdminMixin, admin.ModelAdmin):
    """A proposal ends selected, not selected or completed, never deleted; its decision is
    recorded from its page, which checks the proposal meeting."""

    list_display = ["title", "period", "street", "committee", "status", "budget", "due_on", "progress"]
    list_filter = ["period", "status", "street"]
    search_fields = ["title", "location", "proposer"]
    list_select_related = ["street", "committee"]
    readonly_fields = ["status", "meeting", "decided_at", "progress", "completed_on", "created_by", "created_at"]
    raw_id_fields = ["responsible_user"]
    inlines = [ProjectMilestoneInline, ProjectEventInline]


class ContractReviewInline(ReadOnlyTabularInline):
    model = ContractReview
    fields = ["reviewed_on", "findings", "breach", "ticket", "reviewed_by"]


@admin.register(MaintenanceContract)
class MaintenanceContractAdmin(NoDeleteAdminMixin, admin.ModelAdmin):
    list_display = ["project", "manager", "signed_on", "ends_on", "review_every_months"]
    search_fields = ["project__title", "manager", "beneficiaries"]
    readonly_fields = ["project", "created_by"]
    inlines = [ContractReviewInline]


@admin.register(Hearing)
class HearingAdmin(NoDeleteAdminMixin, admin.ModelAdmin):
    list_display = ["meeting", "matter", "project", "recorded_at"]
    list_select_related = ["meeting__type", "meeting__street", "meeting__committee", "matter", "project"]
    raw_id_fields = ["meeting", "matter", "project"]
    readonly_fields = ["recorded_by", "recorded_at"]


@admin.register(CovenantVersion)
class CovenantVersionAdmin(NoDeleteAdminMixin, admin.ModelAdmin):
    """Versions are adopted from the committee's covenant page; here they are read."""

    list_display = ["committee", "version", "adopted_on"]
    list_filter = ["committee__street"]
    list_select_related = ["committee"]
    readonly_fields = ["committee", "version", "meeting", "adopted_on", "adopted_by", "recorded_at"]

from django.contrib import admin

from core.admin import NoDeleteAdminMixin, ReadOnlyTabularInline

from .models import AgendaItem, Evaluation, Meeting, MeetingEvent, MeetingType, Participant


@admin.register(MeetingType)
class MeetingTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "tier", "purpose", "cadence", "day_of_month", "active"]
    list_filter = ["tier", "purpose", "cadence", "active"]
    list_editable = ["active"]
    search_fields = ["name", "name_en", "code"]


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    autocomplete_fields = ["user"]


class AgendaItemInline(ReadOnlyTabularInline):
    """Decisions go through the state machine from the meeting page, not here."""

    model = AgendaItem
    fk_name = "meeting"
    fields = ["position", "ticket", "topic", "decision", "decision_note", "decided_at", "deferred_to"]


class EvaluationInline(ReadOnlyTabularInline):
    model = Evaluation
    fields = ["department", "body_name", "scores", "opinion"]


class MeetingEventInline(ReadOnlyTabularInline):
    """Who planned, changed, decided, recorded or cancelled the meeting."""

    model = MeetingEvent
    fields = ["at", "kind", "actor", "actor_label", "note", "data"]


@admin.register(Meeting)
class MeetingAdmin(NoDeleteAdminMixin, admin.ModelAdmin):
    """A meeting is cancelled with a reason on its page, never deleted (a held one takes its
    minutes, decisions and evaluations with it). Its time, place and title can be corrected
    here; its status only through the meeting page, which records who did it."""

    list_display = ["starts_at", "type", "street", "committee", "zone", "status"]
    list_filter = ["status", "type__tier", "type", "street"]
    search_fields = ["title", "place", "zone__name", "committee__name"]
    date_hierarchy = "starts_at"
    list_select_related = ["type", "street", "committee", "zone"]
    readonly_fields = ["status", "cancel_reason", "period", "held_at", "created_by", "created_at"]
    raw_id_fields = ["chair"]
    inlines = [ParticipantInline, AgendaItemInline, EvaluationInline, MeetingEventInline]

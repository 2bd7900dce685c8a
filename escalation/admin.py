import datetime as dt

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin

from .calendar import official_calendar_knows
from .models import CalendarOverride, Referral, SLAPolicy, TransferRecord


class CalendarWarningMixin:
    """Say so, where deadlines are configured, when the official calendar lacks a year."""

    def changelist_view(self, request, extra_context=None):
        this_year = timezone.localdate().year
        for year in (this_year, this_year + 1):
            has_overrides = CalendarOverride.objects.filter(date__year=year).exists()
            if not official_calendar_knows(year) and not has_overrides:
                messages.warning(
                    request,
                    _(
                        "The official holiday calendar has no data for %(year)s: deadlines in %(year)s count "
                        "weekends only. Enter that year's holidays and make-up working days as calendar overrides, "
                        "or upgrade chinesecalendar."
                    )
                    % {"year": year},
                )
        return super().changelist_view(request, extra_context)


@admin.register(SLAPolicy)
class SLAPolicyAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = ["tier", "urgency", "respond_within", "respond_unit", "resolve_within", "resolve_unit"]
    list_editable = ["respond_within", "respond_unit", "resolve_within", "resolve_unit"]
    list_filter = ["tier", "urgency"]


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = ["date", "weekday", "is_working_day", "note"]
    list_filter = ["is_working_day"]
    search_fields = ["note"]
    date_hierarchy = "date"

    @admin.display(description=_("weekday"))
    def weekday(self, override):
        return dt.date.strftime(override.date, "%a")


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Referrals are made, answered and withdrawn by the state machine; here they are read.
    (Deleting one left its ticket waiting, referred, on nothing.)"""

    list_display = ["ticket", "department", "answer_by", "answered_at", "withdrawn_at"]
    list_filter = ["department__kind", "department"]
    search_fields = ["ticket__reference", "department__name", "duty", "answer"]
    raw_id_fields = ["ticket", "created_by"]
    list_select_related = ["ticket", "department"]


@admin.register(TransferRecord)
class TransferRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Numbered by the state machine when a committee passes a ticket to its street."""

    list_display = ["number", "ticket", "committee", "created_at", "referred_at", "meeting"]
    list_filter = ["street", "referred_at"]
    search_fields = ["number", "ticket__reference"]
    list_select_related = ["ticket", "committee", "meeting__type"]

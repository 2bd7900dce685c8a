import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalogue.models import ServiceItem
from core.admin import ReadOnlyAdminMixin
from core.enums import Tier, Urgency
from grievances.models import Category

from .calendar import official_calendar_knows
from .models import CalendarOverride, Referral, SLAPolicy, TransferRecord
from .sla import SLA, MissingPolicy


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


class WhichPolicyForm(forms.Form):
    """An example matter: which policy row gives its clock (the most specific wins)."""

    tier = forms.ChoiceField(label=_("tier"), choices=Tier.choices)
    urgency = forms.ChoiceField(label=_("urgency"), choices=Urgency.choices)
    category = forms.ModelChoiceField(label=_("category"), queryset=Category.objects.all(), required=False)
    service_item = forms.ModelChoiceField(label=_("service item"), queryset=ServiceItem.objects.all(), required=False)
    received_at = forms.DateTimeField(
        label=_("received at"), required=False, help_text=_("YYYY-MM-DD HH:MM, Shanghai time; empty: now.")
    )


@admin.register(SLAPolicy)
class SLAPolicyAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = [
        "tier",
        "urgency",
        "category",
        "service_item",
        "respond_within",
        "respond_unit",
        "resolve_within",
        "resolve_unit",
    ]
    list_editable = ["respond_within", "respond_unit", "resolve_within", "resolve_unit"]
    list_filter = ["tier", "urgency", "category"]
    autocomplete_fields = ["service_item"]
    change_list_template = "admin/escalation/slapolicy/change_list.html"

    def get_urls(self):
        return [
            path("which/", self.admin_site.admin_view(self.which_view), name="escalation_slapolicy_which"),
            *super().get_urls(),
        ]

    def which_view(self, request):
        """Which row applies to an example matter, and the deadlines it gives (issue 19)."""
        form = WhichPolicyForm(request.GET or None)
        answer = None
        if form.is_valid():
            data = form.cleaned_data
            sla = SLA.load()
            start = data["received_at"] or timezone.now()
            ids = {
                "category_id": data["category"].pk if data["category"] else None,
                "service_item_id": data["service_item"].pk if data["service_item"] else None,
            }
            try:
                row = sla.policy(data["tier"], data["urgency"], **ids)
                clock = sla.clock(data["tier"], data["urgency"], start, **ids)
            except MissingPolicy as error:
                messages.error(request, error.message)
            else:
                answer = {"row": row, "item_limit": row.pk is None, "clock": clock, "start": start}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Which SLA policy applies?"),
            "form": form,
            "answer": answer,
        }
        return TemplateResponse(request, "admin/escalation/slapolicy/which.html", context)


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

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _

from consultation.models import LivelihoodProject, Matter
from core.enums import Status, Tier
from grievances.models import Ticket


class UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 moment, turned into UTC here: an offset the database refuses (+21:16)
    or a moment outside its range is the client's error, not the server's."""

    def clean(self, value):
        moment = super().clean(value)
        if moment is None:
            return None
        try:
            if moment.utcoffset() is not None and abs(moment.utcoffset()) > dt.timedelta(hours=14):
                raise ValueError
            return moment.astimezone(dt.UTC)
        except (ValueError, OverflowError) as error:
            raise forms.ValidationError(_("Not a moment we can use: %(value)s.") % {"value": value}) from error


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class StrictFilterSet(django_filters.FilterSet):
    """A filter given empty (or a flag given other than true/false) is a 400 naming it."""

    def is_valid(self):
        # An empty number, date, choice or flag is a client mistake, not "no filter": say so
        # rather than silently answer with everything. (An empty text filter is schema-valid
        # and means no filter.)
        valid = super().is_valid()
        for name, field in self.filters.items():
            if isinstance(field, django_filters.CharFilter) and not isinstance(field, django_filters.ChoiceFilter):
                continue
            if self.data is None or name not in self.data:
                continue
            value = self.data.get(name, None)
            if value == "":
                self.form.add_error(name, _("Give a value, or leave the parameter out."))
                valid = False
            elif isinstance(field, django_filters.BooleanFilter) and value not in ("true", "false"):
                self.form.add_error(name, _("Use true or false."))
                valid = False
        return valid


class TicketFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    category = django_filters.CharFilter(field_name="category__code")
    zone = django_filters.NumberFilter(field_name="zone_id")
    committee = django_filters.NumberFilter(field_name="committee_id")
    overdue = django_filters.BooleanFilter(field_name="overdue")
    updated_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    external_id = django_filters.CharFilter(
        method="filter_external_id",
        help_text="The partner's own id: the ticket filed with it and, once that was merged into another "
        "(a duplicate), the surviving ticket it joined.",
    )

    class Meta:
        model = Ticket
        fields = ["status", "tier", "category", "zone", "committee", "overdue", "updated_since", "external_id"]

    def filter_external_id(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Q(external_id=value) | Q(reporters__external_id=value)).distinct()


class MatterFilter(StrictFilterSet):
    committee = django_filters.NumberFilter(field_name="committee_id")
    step = django_filters.ChoiceFilter(choices=[(n, str(n)) for n in range(8)], field_name="step")

    class Meta:
        model = Matter
        fields = ["committee", "step"]


class LivelihoodProjectFilter(StrictFilterSet):
    committee = django_filters.NumberFilter(field_name="committee_id")
    status = django_filters.ChoiceFilter(choices=LivelihoodProject.Status.choices)
    period = django_filters.CharFilter(field_name="period", help_text="The half-year, as 2026-H2.")

    class Meta:
        model = LivelihoodProject
        fields = ["committee", "status", "period"]

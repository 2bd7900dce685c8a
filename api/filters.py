import django_filters

from grievances.models import Status, Ticket, Tier


class TicketFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    category = django_filters.CharFilter(field_name="category__code")
    zone = django_filters.NumberFilter(field_name="zone_id")
    committee = django_filters.NumberFilter(field_name="committee_id")
    overdue = django_filters.BooleanFilter(field_name="overdue")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    external_id = django_filters.CharFilter(field_name="external_id")

    class Meta:
        model = Ticket
        fields = ["status", "tier", "category", "zone", "committee", "overdue", "updated_since", "external_id"]

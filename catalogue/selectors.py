"""Reads of the service catalogue."""

from django.db.models import Q, QuerySet

from .models import ServiceItem


def items_for_street(street_id: int) -> QuerySet[ServiceItem]:
    """The active items a street's windows offer: every street's, and its own."""
    return (
        ServiceItem.objects.filter(active=True, service_class__active=True)
        .filter(Q(street__isnull=True) | Q(street_id=street_id))
        .filter(Q(service_class__street__isnull=True) | Q(service_class__street_id=street_id))
        .select_related("service_class", "department_kind")
    )

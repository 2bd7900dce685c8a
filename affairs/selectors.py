"""Reads of the two lists."""

from django.db.models import QuerySet

from core import refdata

from .models import AffairsEntry


def street_entries(street_id: int) -> QuerySet[AffairsEntry]:
    """A street's list, administrative first, as the page and the admin print it."""
    return (
        AffairsEntry.objects.filter(street_id=street_id)
        .select_related("category", "department_kind", "department")
        .order_by("kind", "position", "pk")
    )


def routing_entry(street_id: int, category_id: int) -> AffairsEntry | None:
    """The active administrative entry that sends a category's new tickets straight to a
    department in this street, if the street's list has one."""
    return refdata.cached(
        ("routing", street_id, category_id),
        lambda: (
            AffairsEntry.objects.filter(
                street_id=street_id, category_id=category_id, active=True, kind=AffairsEntry.Kind.ADMINISTRATIVE
            )
            .select_related("department_kind", "department")
            .first()
        ),
    )


def citable_entries(street_id: int) -> QuerySet[AffairsEntry]:
    """The administrative entries a committee of this street may cite to decline a task."""
    return street_entries(street_id).filter(active=True, kind=AffairsEntry.Kind.ADMINISTRATIVE)

"""The one place that answers "what may this person or partner see" (DESIGN.md rule 4).

Every list, detail page, API endpoint, export and report narrows its queryset through
`Scope.filter`, so a list never shows what a detail page then refuses.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from grievances.models import Household

from .models import ResidentialCommittee, ResponsibilityZone, StreetOffice, TeamMembership, User


@dataclass(frozen=True)
class Scope:
    """The org units a caller may see. A row is visible if it lies under any of them."""

    everything: bool = False
    street_ids: frozenset[int] = frozenset()
    committee_ids: frozenset[int] = frozenset()
    zone_ids: frozenset[int] = frozenset()
    department_ids: frozenset[int] = frozenset()

    def filter(
        self,
        queryset: QuerySet,
        *,
        street: str | None = None,
        committee: str | None = None,
        zone: str | None = None,
        department: str | None = None,
    ) -> QuerySet:
        """Narrow `queryset`; each keyword is the lookup path from its model to that unit's id.

        A path left out means the model cannot be reached that way, so that part of the
        scope grants nothing on it.
        """
        if self.everything:
            return queryset
        condition = Q()
        granted = False
        for path, ids in (
            (street, self.street_ids),
            (committee, self.committee_ids),
            (zone, self.zone_ids),
            (department, self.department_ids),
        ):
            if path is not None and ids:
                condition |= Q(**{f"{path}__in": sorted(ids)})
                granted = True
        return queryset.filter(condition) if granted else queryset.none()


NOTHING = Scope()
EVERYTHING = Scope(everything=True)


def user_scope(user: User) -> Scope:
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_superuser or user.role == User.Role.ADMINISTRATOR:
        return EVERYTHING
    if user.role in (User.Role.STREET_STAFF, User.Role.STREET_LEADER):
        return Scope(street_ids=frozenset({user.street_id}))
    if user.role == User.Role.COMMITTEE_STAFF:
        return Scope(committee_ids=frozenset({user.committee_id}))
    if user.role == User.Role.DEPARTMENT_LIAISON:
        # A liaison sees what is referred to the department, never org units or households.
        return Scope(department_ids=frozenset({user.department_id}))
    zone_ids = TeamMembership.objects.filter(user=user).values_list("team__zone_id", flat=True)
    return Scope(zone_ids=frozenset(zone_ids))


def visible_streets(scope: Scope) -> QuerySet[StreetOffice]:
    return scope.filter(
        StreetOffice.objects.all(),
        street="pk",
        committee="committees",
        zone="committees__zones",
    ).distinct()


def visible_committees(scope: Scope) -> QuerySet[ResidentialCommittee]:
    return scope.filter(
        ResidentialCommittee.objects.select_related("street"),
        street="street",
        committee="pk",
        zone="zones",
    ).distinct()


def visible_zones(scope: Scope) -> QuerySet[ResponsibilityZone]:
    return scope.filter(
        ResponsibilityZone.objects.select_related("committee__street"),
        street="committee__street",
        committee="committee",
        zone="pk",
    )


def visible_households(scope: Scope) -> QuerySet[Household]:
    return scope.filter(
        Household.objects.select_related("zone", "building"),
        street="zone__committee__street",
        committee="zone__committee",
        zone="zone",
    )

"""The visibility rule (DESIGN.md rule 4): which org units a person or partner may see.

`user_scope` and `partner_scope` give a `Scope`; every list, detail page, API endpoint,
export and report narrows its queryset through `Scope.filter`, so a list never shows what a
detail page then refuses. The org units' own querysets are here; each app that owns rows
under them applies the same Scope next to its models (grievances.selectors for households
and tickets, meetings.selectors for meetings), so this app imports from none of them.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from core import refdata

from .models import ResidentialCommittee, ResponsibilityZone, StreetOffice, TeamMembership, User

Path = str | Callable[[list[int]], Q] | None


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
        street: Path = None,
        committee: Path = None,
        zone: Path = None,
        department: Path = None,
    ) -> QuerySet:
        """Narrow `queryset`; each keyword is the lookup path from its model to that unit's id,
        or a function from the unit ids to a Q (for paths that would repeat rows).

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
                condition |= path(sorted(ids)) if callable(path) else Q(**{f"{path}__in": sorted(ids)})
                granted = True
        return queryset.filter(condition) if granted else queryset.none()

    def covers(self, *, street_id=None, committee_id=None, zone_id=None) -> bool:
        """Whether a row under these units is visible, as `filter` would say (departments apart)."""
        return (
            self.everything
            or street_id in self.street_ids
            or committee_id in self.committee_ids
            or zone_id in self.zone_ids
        )


NOTHING = Scope()
EVERYTHING = Scope(everything=True)


def user_scope(user: User) -> Scope:
    """The role's units, plus the zones of every service team the person serves on (a
    police officer or a committee cadre on a zone's team sees that zone, like its members).

    Kept on the user object once worked out, as Django keeps a user's permissions
    (`_perm_cache`): one request or task asks many times (each list, each transition's
    policy check). A change to the person's role or teams shows from the next request.
    """
    cached = getattr(user, "_zhitong_scope", None)
    if cached is None:
        cached = _user_scope(user)
        if isinstance(user, User):
            user._zhitong_scope = cached
    return cached


def _user_scope(user: User) -> Scope:
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_superuser or user.role == User.Role.ADMINISTRATOR:
        return EVERYTHING
    zone_ids = frozenset(TeamMembership.objects.filter(user=user).values_list("team__zone_id", flat=True))
    if user.role in (User.Role.STREET_STAFF, User.Role.STREET_LEADER):
        return Scope(street_ids=frozenset({user.street_id}), zone_ids=zone_ids)
    if user.role == User.Role.COMMITTEE_STAFF:
        return Scope(committee_ids=frozenset({user.committee_id}), zone_ids=zone_ids)
    if user.role == User.Role.DEPARTMENT_LIAISON:
        # A liaison sees what is referred to the department, and no household outside a team.
        return Scope(department_ids=frozenset({user.department_id}), zone_ids=zone_ids)
    return Scope(zone_ids=zone_ids)


def partner_scope(street_ids) -> Scope:
    """A partner key sees everything under the streets it is scoped to, and nothing else."""
    return Scope(street_ids=frozenset(street_ids))


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


class OwnerFinder:
    """Who owns a ticket at a tier when nobody names an owner (事有交办: there is always one).

    zone: the acting person if they serve on the zone's team, else the team's members with an
    account (the lead first), else the committee's staff; committee: its staff, else its
    responsible street leader; street: the committee's responsible leader (领导包干制), else
    the street's staff, else its leaders. Each tier falls back to the one above it; a street
    with none of these gets no owner (the caller refuses), never a stranger from elsewhere.
    Answers are cached, so one finder serves a whole sweep batch with a query per unit.
    """

    def __init__(self):
        self._cache: dict[tuple, User | None] = {}

    def owner(self, *, tier: str, zone_id, committee_id, street_id, prefer: User | None = None) -> User | None:
        if (
            tier == "zone"
            and prefer is not None
            and zone_id is not None
            and TeamMembership.objects.filter(team__zone_id=zone_id, user=prefer, user__is_active=True).exists()
        ):
            return prefer
        chain = {"zone": ("zone", "committee", "street"), "committee": ("committee", "street"), "street": ("street",)}
        for level in chain[tier]:
            found = self._cached(level, zone_id, committee_id, street_id)
            if found is not None:
                return found
        return None

    def _cached(self, level, zone_id, committee_id, street_id) -> User | None:
        key = (level, zone_id, committee_id, street_id)
        if key not in self._cache:
            # Kept between an API process's requests while the staff tables stay as they are.
            self._cache[key] = refdata.cached(("owner", *key), lambda: self._find(*key))
        return self._cache[key]

    @staticmethod
    def _find(level, zone_id, committee_id, street_id) -> User | None:
        active = User.objects.filter(is_active=True).order_by("pk")
        if level == "zone":
            if zone_id is None:
                return None
            membership = (
                TeamMembership.objects.filter(team__zone_id=zone_id, user__isnull=False, user__is_active=True)
                .select_related("user")
                .order_by("role", "pk")  # "lead" sorts before "member"
                .first()
            )
            return membership.user if membership else None
        committee = None
        if committee_id is not None:
            committee = ResidentialCommittee.objects.select_related("duty_leader").get(pk=committee_id)
        leader = (
            committee.duty_leader if committee and committee.duty_leader and committee.duty_leader.is_active else None
        )
        if level == "committee":
            if committee is None:
                return None
            return active.filter(role=User.Role.COMMITTEE_STAFF, committee_id=committee_id).first() or leader
        return (
            leader
            or active.filter(role=User.Role.STREET_STAFF, street_id=street_id).first()
            or active.filter(role=User.Role.STREET_LEADER, street_id=street_id).first()
        )

    def duty_leaders(self, *, committee_id, street_id) -> list[User]:
        """Who answers personally for a committee's street-tier tickets: its leader, else all the street's."""
        key = ("leaders", committee_id, street_id)
        if key not in self._cache:
            leader = None
            if committee_id is not None:
                leader = ResidentialCommittee.objects.select_related("duty_leader").get(pk=committee_id).duty_leader
            if leader is not None and leader.is_active:
                self._cache[key] = [leader]
            else:
                self._cache[key] = list(
                    User.objects.filter(is_active=True, role=User.Role.STREET_LEADER, street_id=street_id)
                )
        return self._cache[key]

"""Who may do what (DESIGN.md rule 7): the one module that answers it.

Beside the visibility rule (responders.selectors.user_scope: which units a person may
*see*), this module says what they may *do*:

- `permitted_actions` / `allowed_actions`: the state machine's actions a person may take on
  a ticket, by role and the ticket's tier (and, for `allowed_actions`, its status);
- `acts_for`: whether a person acts for an org unit (plans and runs its meetings, issues
  and reads its monthly report). Reading a unit and acting for it are different rights: a
  committee's staff see their street's name, but act only for their committee and its zones;
- `may(user, action, obj)` and `require(...)`: the same questions asked by name, for
  services to enforce and for views, forms and serializers to ask;
- `owner_candidates`: who may own a ticket; `departments_serving`: which departments a
  street may refer to; `default_queue_tier` and `home_unit`: where a role starts;
- personal data (DESIGN.md rule 9): `personal_data_scope` and `care_flags_scope` (whose
  names, phones and care flags a person may see), `handles_data_requests` (who exports or
  erases a household's data on the resident's request).

Services enforce these rules (the transitions refuse a person's action their role does not
allow, whoever calls them); the screens and the API only ask, to offer what will succeed.
"""

from dataclasses import replace
from enum import StrEnum

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from core.enums import Status, Tier
from core.errors import NotPermitted
from grievances.models import Household, Ticket
from grievances.selectors import ticket_visible_to
from responders.models import Department, ResidentialCommittee, ResponsibilityZone, StreetOffice, User
from responders.selectors import EVERYTHING, NOTHING, Scope, user_scope

# The table itself, not the package: the transitions ask this module in turn.
from .transitions.table import ALLOWED_FROM, BLOCKED_WHILE_PAUSED, Action

# --- tickets -----------------------------------------------------------------------------

# Moving a ticket along, at a tier a person works at.
_HANDLE = frozenset(
    {
        Action.ACKNOWLEDGE,
        Action.START,
        Action.ESCALATE,
        Action.RESOLVE,
        Action.REOPEN,
        Action.CANCEL,
        Action.ASSIGN,
        Action.FEEDBACK,
        Action.PAUSE,
        Action.RESUME,
    }
)
# Closing without the resident's verdict (e.g. unreachable) is the street's call.
_STREET = _HANDLE | {Action.REFER, Action.DEPARTMENT_REPLY, Action.DEPARTMENT_UPDATE, Action.CLOSE}
# Whoever can see a ticket can tell the resident its outcome and record their verdict
# (首问负责制: the first receiver follows it wherever it went), and record that the resident
# answered, which ends a pause that waits on them.
_FOLLOW_UP = frozenset({Action.FEEDBACK, Action.REOPEN, Action.RESUME})
# A department liaison, on a ticket waiting for their department.
_DEPARTMENT = frozenset({Action.DEPARTMENT_REPLY, Action.DEPARTMENT_UPDATE, Action.RETURN_REFERRAL})

ROLE_ACTIONS: dict[str, dict[str, frozenset]] = {
    User.Role.ZONE_MEMBER: {Tier.ZONE: _HANDLE},
    # The committee takes up its zones' matters and acts as the residents' agent (群众事务代理).
    # At its own tier it may decline a task the street's list names as a department's (两份清单).
    User.Role.COMMITTEE_STAFF: {
        Tier.ZONE: _HANDLE | {Action.REFER, Action.DEPARTMENT_REPLY, Action.DEPARTMENT_UPDATE},
        Tier.COMMITTEE: _HANDLE
        | {Action.REFER, Action.DEPARTMENT_REPLY, Action.DEPARTMENT_UPDATE, Action.DECLINE_BY_LIST},
    },
    # The street supervises every tier and records departments' answers on their behalf.
    User.Role.STREET_STAFF: dict.fromkeys(Tier, _STREET),
    User.Role.STREET_LEADER: dict.fromkeys(Tier, _STREET),
}


def _is_administrator(user: User) -> bool:
    return user.is_superuser or user.role == User.Role.ADMINISTRATOR


def permitted_actions(user: User, ticket: Ticket, scope: Scope | None = None) -> set[Action]:
    """What `user`'s role lets them do to `ticket` at its tier, whatever its status (a
    meeting's decision, say, which the state machine then checks against the status).
    `scope`: the person's, when the caller has it already (a list of tickets)."""
    if not ticket_visible_to(user, ticket, scope):
        return set()
    if _is_administrator(user):
        return set(Action)
    if user.role == User.Role.DEPARTMENT_LIAISON:
        referred_now = ticket.referrals.filter(
            department_id=user.department_id, answered_at__isnull=True, withdrawn_at__isnull=True
        ).exists()
        # The department answers, reports progress (正在处理), or sends back what is not its own.
        return set(_DEPARTMENT) if referred_now else set()
    return set(ROLE_ACTIONS.get(user.role, {}).get(ticket.tier, frozenset())) | _FOLLOW_UP


def allowed_actions(user: User, ticket: Ticket, scope: Scope | None = None) -> list[Action]:
    """The actions `user` may take on `ticket` now, in the table's order."""
    legal = {action for action, statuses in ALLOWED_FROM.items() if ticket.status in statuses}
    legal -= BLOCKED_WHILE_PAUSED if ticket.paused_at is not None else {Action.RESUME}
    if ticket.tier == Tier.STREET:
        legal.discard(Action.ESCALATE)  # the top of the pyramid: refer to a department instead
    permitted = permitted_actions(user, ticket, scope)
    return [action for action in Action if action in legal and action in permitted]


def owner_candidates_in_street(street_id: int) -> QuerySet[User]:
    """Who may own any ticket of a street: its staff and leaders (the queue's bulk assign)."""
    return User.objects.filter(
        is_active=True, street_id=street_id, role__in=[User.Role.STREET_STAFF, User.Role.STREET_LEADER]
    ).order_by("full_name")


def owner_candidates(ticket: Ticket) -> QuerySet[User]:
    """Who may own `ticket` (事有交办): the active staff and leaders of its street, the staff of
    its committee, and the members of its zone's team with an account. The automatic owner
    (responders.selectors.OwnerFinder) is always one of them."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(street_id=ticket.street_id, role__in=[User.Role.STREET_STAFF, User.Role.STREET_LEADER])
            | Q(committee_id=ticket.committee_id, role=User.Role.COMMITTEE_STAFF)
            | Q(memberships__team__zone_id=ticket.zone_id)
        )
        .distinct()
        .order_by("role", "full_name")
    )


def may_own(user: User, ticket: Ticket) -> bool:
    return owner_candidates(ticket).filter(pk=user.pk).exists()


def departments_serving(street_ids) -> QuerySet[Department]:
    """The active departments a ticket of these streets may be referred to: those stationed
    in the street, and the district-wide ones of its district."""
    street_ids = list(street_ids)
    return (
        Department.objects.filter(active=True)
        .filter(Q(street_id__in=street_ids) | Q(street__isnull=True, district__streets__in=street_ids))
        .distinct()
        .order_by("name")
    )


def serves(department: Department, ticket: Ticket) -> bool:
    return department.active and (
        department.street_id == ticket.street_id
        or (department.street_id is None and department.district_id == ticket.street.district_id)
    )


def default_queue_tier(user: User) -> str:
    """Street staff triage what has reached the street; everyone else works from all the
    open tickets they may see."""
    return Tier.STREET if user.role in (User.Role.STREET_STAFF, User.Role.STREET_LEADER) else ""


# --- org units: acting for one -----------------------------------------------------------


def acting_scope(user: User) -> Scope:
    """The units a person acts for: their street (street staff and leaders), their committee
    (its staff), the zones of the teams they serve on. A department liaison acts for none:
    departments answer referrals and attend meetings; the units' own staff run them."""
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    if _is_administrator(user):
        return EVERYTHING
    if user.role == User.Role.DEPARTMENT_LIAISON:
        return NOTHING
    scope = user_scope(user)
    return Scope(street_ids=scope.street_ids, committee_ids=scope.committee_ids, zone_ids=scope.zone_ids)


def acts_for_any(user: User) -> bool:
    """Whether the person acts for any unit at all (may plan a meeting somewhere)."""
    scope = acting_scope(user)
    return scope.everything or bool(scope.street_ids or scope.committee_ids or scope.zone_ids)


def acts_for(user: User, *, street_id: int, committee_id: int | None = None, zone_id: int | None = None) -> bool:
    """Whether `user` acts for the unit given by its ids (a zone: all three; a committee: its
    street and itself; a street: itself). Downward only: acting for a street covers its
    committees and zones, acting for a committee its zones, never the other way."""
    scope = acting_scope(user)
    if scope.everything or street_id in scope.street_ids:
        return True
    if committee_id is not None and committee_id in scope.committee_ids:
        return True
    return zone_id is not None and zone_id in scope.zone_ids


def _unit_ids(unit) -> dict:
    if isinstance(unit, ResponsibilityZone):
        return {"street_id": unit.committee.street_id, "committee_id": unit.committee_id, "zone_id": unit.pk}
    if isinstance(unit, ResidentialCommittee):
        return {"street_id": unit.street_id, "committee_id": unit.pk}
    if isinstance(unit, StreetOffice):
        return {"street_id": unit.pk}
    # A row held by a unit (a meeting): its street, committee and zone columns.
    return {"street_id": unit.street_id, "committee_id": unit.committee_id, "zone_id": unit.zone_id}


def units_acted_for(user: User) -> tuple[QuerySet, QuerySet, QuerySet]:
    """The streets, committees and zones `user` acts for (e.g. may plan a meeting of)."""
    scope = acting_scope(user)
    streets = scope.filter(StreetOffice.objects.all(), street="pk")
    committees = scope.filter(ResidentialCommittee.objects.all(), street="street", committee="pk")
    zones = scope.filter(
        ResponsibilityZone.objects.select_related("committee"),
        street="committee__street",
        committee="committee",
        zone="pk",
    )
    return streets, committees, zones


def home_unit(user: User) -> dict:
    """The unit a person's dashboard counts: their street or committee; else ({}) all they see."""
    if user.role in (User.Role.STREET_STAFF, User.Role.STREET_LEADER):
        return {"street_id": user.street_id}
    if user.role == User.Role.COMMITTEE_STAFF:
        return {"committee_id": user.committee_id}
    return {}


def own_report_scope(user: User) -> Scope | None:
    """The units whose figures are a person's own monthly report, when it is not the street's
    stored report (which names every committee's hot spots and is for those who act for the
    street): a committee's staff, their committee; a zone member, their teams' zones. Street
    staff, leaders and administrators read the street's report; others have none (None)."""
    if not user.is_authenticated or not user.is_active or _is_administrator(user):
        return None
    scope = user_scope(user)
    if user.role == User.Role.COMMITTEE_STAFF and user.committee_id:
        return Scope(committee_ids=frozenset({user.committee_id}))
    if user.role == User.Role.ZONE_MEMBER and scope.zone_ids:
        return Scope(zone_ids=scope.zone_ids)
    return None


# --- personal data (DESIGN.md rule 9) ----------------------------------------------------
#
# Residents' names and phones (a household's contact, a ticket's reporter) are for the people
# who deal with the resident: whoever sees the household or ticket through their own units —
# the zone's team (they visit), the committee's staff (the residents' agent), the street's
# staff and leaders (triage, the feedback call), administrators. Not a department liaison on
# a ticket referred to the department: the department gets the matter, not the person.
# Care flags (elderly living alone, low income, disability) are sensitive personal
# information under the PIPL (health, disability, financial hardship): narrower still, only
# those who visit and look after the household — its zone's team, its committee's staff,
# administrators. A resident's request to export or erase their data is the street's to handle.


def personal_data_scope(user: User) -> Scope:
    """The units whose residents' names and phones `user` may see: the units of their role and
    teams, not the tickets they see only because one was referred to their department."""
    return replace(user_scope(user), department_ids=frozenset())


def care_flags_scope(user: User) -> Scope:
    """The units whose households' care flags `user` may see: their committee and their teams'
    zones (administrators: all). A street's staff and leaders, a liaison: none but their teams'."""
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    if _is_administrator(user):
        return EVERYTHING
    scope = user_scope(user)
    return Scope(committee_ids=scope.committee_ids, zone_ids=scope.zone_ids)


def personal_data_everywhere(user: User) -> bool:
    """Whether `user` may see the names and phones of everything they may see at all (the API's
    one switch per request): everyone but a department liaison, who also sees referred tickets."""
    scope = user_scope(user)
    return scope.everything or not scope.department_ids


def _residence(obj) -> dict:
    """The street, committee and zone ids of a household or a ticket."""
    if isinstance(obj, Household):
        zone = obj.zone
        return {"street_id": zone.committee.street_id, "committee_id": zone.committee_id, "zone_id": zone.pk}
    return {"street_id": obj.street_id, "committee_id": obj.committee_id, "zone_id": obj.zone_id}


def may_see_personal_data(user: User, obj: Household | Ticket) -> bool:
    """A household's contact name and phone, a ticket's reporter's name and phone."""
    return personal_data_scope(user).covers(**_residence(obj))


def may_see_care_flags(user: User, household: Household) -> bool:
    return care_flags_scope(user).covers(**_residence(household))


def handles_data_requests(user: User, household: Household) -> bool:
    """Whether `user` may export or erase `household`'s personal data at the resident's request
    (PIPL art. 45, 47): the staff and leaders of its street, administrators."""
    if not user.is_authenticated or not user.is_active:
        return False
    if _is_administrator(user):
        return True
    return (
        user.role in (User.Role.STREET_STAFF, User.Role.STREET_LEADER)
        and user.street_id == _residence(household)["street_id"]
    )


def may_add_photo(user: User, ticket: Ticket) -> bool:
    """Whoever sees a ticket may add a photo to it (the visit's team, the desk, the department
    answering a referral); nobody adds to a cancelled one."""
    return ticket.status != Status.CANCELLED and ticket_visible_to(user, ticket)


# --- asking by name ----------------------------------------------------------------------


class Right(StrEnum):
    """What a person may do beyond a ticket's actions; `obj` is given with each."""

    PLAN_MEETING = "plan_meeting"  # obj: the street, committee or zone that holds it
    RUN_MEETING = "run_meeting"  # obj: the meeting (record, cancel, agenda, decisions)
    ISSUE_REPORT = "issue_report"  # obj: the street
    READ_REPORT = "read_report"  # obj: the street
    OWN = "own"  # obj: the ticket
    SEE_PERSONAL_DATA = "see_personal_data"  # obj: the household or ticket
    SEE_CARE_FLAGS = "see_care_flags"  # obj: the household
    EXPORT_PERSONAL_DATA = "export_personal_data"  # obj: the household
    ERASE_PERSONAL_DATA = "erase_personal_data"  # obj: the household
    ADD_PHOTO = "add_photo"  # obj: the ticket
    ADD_REPORTER = "add_reporter"  # obj: the ticket (a new report attached as "also reported by")
    RUN_CONSULTATION = "run_consultation"  # obj: the committee or street that holds the matter
    KEEP_AFFAIRS_LIST = "keep_affairs_list"  # obj: the street whose two lists these are


def may(user: User, action: str, obj) -> bool:
    """The one question: may `user` do `action` (a ticket Action or a Right) to `obj`?"""
    if action in Action.values:
        return Action(action) in permitted_actions(user, obj)
    match Right(action):
        case Right.PLAN_MEETING | Right.RUN_MEETING | Right.ISSUE_REPORT | Right.READ_REPORT | Right.RUN_CONSULTATION:
            return acts_for(user, **_unit_ids(obj))
        case Right.KEEP_AFFAIRS_LIST:
            # The street keeps its lists; a committee reads them (and cites them), never edits.
            return isinstance(obj, StreetOffice) and acts_for(user, street_id=obj.pk)
        case Right.OWN:
            return may_own(user, obj)
        case Right.SEE_PERSONAL_DATA:
            return may_see_personal_data(user, obj)
        case Right.SEE_CARE_FLAGS:
            return may_see_care_flags(user, obj)
        case Right.EXPORT_PERSONAL_DATA | Right.ERASE_PERSONAL_DATA:
            return handles_data_requests(user, obj)
        case Right.ADD_PHOTO:
            return may_add_photo(user, obj)
        case Right.ADD_REPORTER:
            return obj.is_open and ticket_visible_to(user, obj)


def require(user: User, action: str, obj, *, message: str | None = None, field: str | None = None) -> None:
    """Raise NotPermitted unless `may(user, action, obj)`: what services call."""
    if not may(user, action, obj):
        raise NotPermitted(message or _("You may not do this."), field=field)

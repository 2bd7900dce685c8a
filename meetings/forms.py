"""The meeting screens' forms; the services check the rules, the forms the types."""

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.enums import Outcome, Tier
from core.params import whole_number
from escalation import policy
from escalation.forms import AnswerByField
from escalation.transitions.table import Action
from grievances.models import Ticket
from responders.models import Department, User

from .models import Decision, Meeting, MeetingType, RiskAssessment

# How far from today a meeting can be planned or recorded.
MEETING_HORIZON = dt.timedelta(days=3653)


def unit_choices(streets, committees, zones) -> list[tuple[str, list[tuple[str, str]]]]:
    """Units grouped by tier for a select: ("zone:12", name). A tier with none is left out."""
    groups = [
        (Tier.STREET, "street", streets),
        (Tier.COMMITTEE, "committee", committees),
        (Tier.ZONE, "zone", zones),
    ]
    choices = []
    for tier, kind, units in groups:
        options = [(f"{kind}:{unit.pk}", str(unit)) for unit in units.order_by("code")]
        if options:
            choices.append((str(tier.label), options))
    return choices


# The tier whose meetings a person plans: their own (a committee's staff plan the committee's
# meetings, not its zones' public-opinion days, which the zones' teams plan). The street's
# staff and leaders, who supervise every tier, and administrators: any they act for.
ROLE_TIER = {
    User.Role.ZONE_MEMBER: Tier.ZONE,
    User.Role.COMMITTEE_STAFF: Tier.COMMITTEE,
}


def planning_units(user: User) -> tuple:
    """The streets, committees and zones `user` acts for, narrowed to their own tier."""
    streets, committees, zones = policy.units_acted_for(user)
    tier = ROLE_TIER.get(user.role)
    if tier is None:
        return streets, committees, zones
    return (
        streets if tier == Tier.STREET else streets.none(),
        committees if tier == Tier.COMMITTEE else committees.none(),
        zones if tier == Tier.ZONE else zones.none(),
    )


class MeetingForm(forms.Form):
    type = forms.ModelChoiceField(label=_("Meeting type"), queryset=MeetingType.objects.filter(active=True))
    unit = forms.ChoiceField(label=_("Held by"))
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    place = forms.CharField(label=_("Place"), required=False, max_length=200)
    title = forms.CharField(label=_("Title (optional)"), required=False, max_length=200)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Planning is acting for the unit (the policy), not merely seeing it; the screen
        # offers the types and units of the person's own tier.
        units = planning_units(user)
        self.fields["unit"].choices = unit_choices(*units)
        # Only the types of those units' tiers are offered; another type sent anyway is
        # refused by the service, on the unit (a type belongs to a tier).
        tiers = [
            tier for tier, group in zip((Tier.STREET, Tier.COMMITTEE, Tier.ZONE), units, strict=True) if group.exists()
        ]
        offered = MeetingType.objects.filter(active=True, tier__in=tiers).order_by("tier", "name")
        self.fields["type"].widget.choices = [("", "---------"), *((t.pk, str(t)) for t in offered)]

    def clean_starts_at(self):
        starts_at = self.cleaned_data["starts_at"]
        if abs(starts_at.date() - timezone.localdate()) > MEETING_HORIZON:
            raise forms.ValidationError(_("Choose a date within ten years of today."))
        return starts_at

    def clean_unit(self):
        kind, _sep, pk = self.cleaned_data["unit"].partition(":")
        streets, committees, zones = planning_units(self.user)
        lookup = {"street": streets, "committee": committees, "zone": zones}
        if kind not in lookup or whole_number(pk) is None:
            raise forms.ValidationError(_("Choose who holds the meeting."))
        unit = lookup[kind].filter(pk=whole_number(pk)).first()
        if unit is None:
            raise forms.ValidationError(_("Choose who holds the meeting."))
        return unit


class ParticipantForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Staff"), queryset=User.objects.none(), required=False)
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none(), required=False)
    name = forms.CharField(label=_("Or a person by name"), required=False, max_length=100)
    role = forms.CharField(label=_("Role at the meeting"), required=False, max_length=100)

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff_of_unit(meeting)
        self.fields["department"].queryset = policy.departments_serving([meeting.street_id])
        roles = [*meeting.type.required_participants, *meeting.type.optional_participants]
        self.fields["role"].widget.attrs["list"] = "roles"
        self.roles = roles


def staff_of_unit(meeting: Meeting):
    """The people who work for the meeting's unit: a zone's team, its committee's staff and
    the street's staff and leaders; for a committee, its staff, its zones' teams and the
    street's; for the street, all of the street's. Never another committee's staff."""
    street = Q(street_id=meeting.street_id, role__in=[User.Role.STREET_STAFF, User.Role.STREET_LEADER])
    if meeting.zone_id:
        unit = Q(committee_id=meeting.committee_id) | Q(memberships__team__zone_id=meeting.zone_id)
    elif meeting.committee_id:
        unit = Q(committee_id=meeting.committee_id) | Q(memberships__team__zone__committee_id=meeting.committee_id)
    else:
        unit = Q(committee__street_id=meeting.street_id) | Q(
            memberships__team__zone__committee__street_id=meeting.street_id
        )
    return User.objects.filter(is_active=True).filter(street | unit).distinct().order_by("full_name", "username")


class RecordForm(forms.Form):
    minutes = forms.CharField(label=_("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    attended = forms.MultipleChoiceField(
        label=_("Present"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    # Not ticked by default: minutes drafted before the meeting must not mark it held.
    held = forms.BooleanField(label=_("The meeting was held"), required=False)

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [(str(p.pk), str(p)) for p in meeting.participants.all()]
        self.fields["held"].initial = meeting.status == Meeting.Status.HELD


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why it is cancelled"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class TopicForm(forms.Form):
    topic = forms.CharField(label=_("Free topic"), max_length=300)


# A decision that moves the ticket reads as the ticket page's button for that action.
DECISION_LABELS = {
    Decision.RESOLVE: Action.RESOLVE.label,
    Decision.REFER: Action.REFER.label,
    Decision.ESCALATE: Action.ESCALATE.label,
    Decision.ASSIGN: Action.ASSIGN.label,
}
# The fields each decision uses (the note serves every one); the page shows only the chosen
# decision's (static/zhitong.js), and without JavaScript shows them all.
DECISION_FIELDS = {
    "outcome": (Decision.RESOLVE,),
    "departments": (Decision.REFER,),
    "answer_by": (Decision.REFER,),
    "owner": (Decision.ASSIGN,),
}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(value, DECISION_LABELS.get(value, label)) for value, label in Decision.choices],
        widget=forms.RadioSelect(attrs={"data-decision-choice": ""}),
    )
    note = forms.CharField(
        label=_("What was decided"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    outcome = forms.ChoiceField(label=_("Outcome (resolve)"), required=False, choices=[("", "—"), *Outcome.choices])
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments (refer)"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    answer_by = AnswerByField(label=_("Answer by (refer; default: one month)"))
    owner = forms.ModelChoiceField(label=_("New owner (assign)"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, meeting: Meeting, ticket: Ticket | None, options: dict | None = None, **kwargs):
        """`options`: a dict shared by the decision forms of one page, so that the agenda's
        forms load the street's departments once, and the owners of each unit once, rather
        than both once per form (validating still reads the fields' querysets)."""
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = policy.departments_serving([meeting.street_id])
        if options is not None:
            _shared_choices(self.fields["departments"], options, ("departments", meeting.street_id))
        if ticket is None:  # a free topic: only its written decision
            self.fields["decision"].choices = [(Decision.NOTE, Decision.NOTE.label)]
        else:
            if ticket.tier == Tier.STREET:  # the top of the pyramid, as on the ticket page
                self.fields["decision"].choices = [
                    choice for choice in self.fields["decision"].choices if choice[0] != Decision.ESCALATE
                ]
            # The ticket's possible owners who work for the meeting's unit.
            self.fields["owner"].queryset = policy.owner_candidates(ticket).filter(
                pk__in=staff_of_unit(meeting).values("pk")
            )
            if options is not None:
                unit = (ticket.street_id, ticket.committee_id, ticket.zone_id)  # what owner_candidates reads
                _shared_choices(self.fields["owner"], options, ("owners", *unit))

    def rows(self):
        """(bound field, the decisions it belongs to: "" for every one) for the template."""
        return [(field, " ".join(DECISION_FIELDS.get(field.name, ()))) for field in self]

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision == Decision.REFER and not data.get("departments"):
            self.add_error("departments", _("Choose at least one department."))
        if decision == Decision.RESOLVE and not data.get("outcome"):
            self.add_error("outcome", _("Choose an outcome: solved or explained."))
        return data


def _shared_choices(field: forms.ModelChoiceField, options: dict, key: tuple) -> None:
    """Render `field` with the choices stored under `key`, loading them on first use."""
    if key not in options:
        # Through iter(): list() would first ask the choices their length, a COUNT query.
        options[key] = list(iter(field.choices))
    field.choices = options[key]


class RiskForm(forms.Form):
    met = forms.MultipleChoiceField(
        label=_("Preconditions met"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    responsible_unit = forms.CharField(label=_("Responsible unit"), max_length=200)
    responsible_person = forms.CharField(label=_("Responsible person"), max_length=100)
    level = forms.ChoiceField(label=_("Risk level"), choices=RiskAssessment.Level.choices, widget=forms.RadioSelect)
    mitigation = forms.CharField(
        label=_("Mitigation"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["met"].choices = [(entry, entry) for entry in meeting.type.checklist]


class EvaluationForm(forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none(), required=False)
    body_name = forms.CharField(label=_("Or a property company"), required=False, max_length=200)
    superior = forms.CharField(label=_("Its superior"), required=False, max_length=200)
    comments = forms.CharField(
        label=_("Representatives' comments"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    opinion = forms.CharField(label=_("Written opinion"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = policy.departments_serving([meeting.street_id])
        self.criteria = list(meeting.type.criteria)
        for index, criterion in enumerate(self.criteria):
            self.fields[f"score_{index}"] = forms.TypedChoiceField(
                label=criterion,
                choices=[(n, n) for n in range(1, 6)],
                coerce=int,
                widget=forms.RadioSelect,
            )

    def scores(self) -> dict[str, int]:
        return {criterion: self.cleaned_data[f"score_{i}"] for i, criterion in enumerate(self.criteria)}

"""The consultation screens' forms: they read the types; the services check the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.params import whole_number
from escalation import policy
from grievances.models import Category
from meetings.forms import unit_choices
from meetings.models import Meeting
from responders.models import Department, User

from .models import DECIDING_STEPS, MEETING_STEPS, LivelihoodProject, Matter, Source, Step, Supervisor

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def consultation_units(user: User) -> tuple:
    """The streets and committees `user` acts for: who holds consultation matters (not zones)."""
    streets, committees, _zones = policy.units_acted_for(user)
    if user.role == User.Role.COMMITTEE_STAFF:
        streets = streets.none()
    return streets, committees


class MatterForm(forms.Form):
    unit = forms.ChoiceField(label=_("Held by"))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    source = forms.ChoiceField(label=_("Raised from"), choices=Source.choices, initial=Source.STAFF)
    source_note = forms.CharField(label=_("Where it came from"), required=False, max_length=300)
    notice_days = forms.IntegerField(label=_("Notice period (days)"), min_value=0, max_value=90, initial=7)
    ticket = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        streets, committees = consultation_units(user)
        self.fields["unit"].choices = unit_choices(streets, committees, committees.none())

    def clean_unit(self):
        kind, _sep, pk = self.cleaned_data["unit"].partition(":")
        streets, committees = consultation_units(self.user)
        lookup = {"street": streets, "committee": committees}
        unit = lookup[kind].filter(pk=whole_number(pk)).first() if kind in lookup and whole_number(pk) else None
        if unit is None:
            raise forms.ValidationError(_("Choose who holds the matter."))
        return unit


class StepForm(forms.Form):
    """The next step of a matter; the fields are those of that step."""

    held_on = forms.DateField(label=_("Date"), required=False, widget=DATE)
    meeting = forms.ModelChoiceField(label=_("At the meeting"), queryset=Meeting.objects.none(), required=False)
    participants = forms.CharField(label=_("Who took part"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 3}))
    passed = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("agreed")), ("no", _("turned down"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        required=False,
    )
    representatives = forms.IntegerField(label=_("Representatives"), min_value=1, max_value=9999, required=False)
    present = forms.IntegerField(label=_("Present"), min_value=0, max_value=9999, required=False)
    votes_for = forms.IntegerField(label=_("For"), min_value=0, max_value=9999, required=False)
    votes_against = forms.IntegerField(label=_("Against"), min_value=0, max_value=9999, required=False)
    votes_abstaining = forms.IntegerField(label=_("Abstaining"), min_value=0, max_value=9999, required=False)
    rejection_reason = forms.CharField(
        label=_("Reason, if turned down"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    responsible_unit = forms.CharField(label=_("Responsible unit"), max_length=200, required=False)
    responsible_person = forms.CharField(label=_("Responsible person"), max_length=100, required=False)
    responsible_user = forms.ModelChoiceField(
        label=_("Their account (for alerts)"), queryset=User.objects.none(), required=False
    )

    VOTE_FIELDS = ("representatives", "present", "votes_for", "votes_against", "votes_abstaining")

    def __init__(self, *args, matter: Matter, step: Step, meetings, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.step = step
        keep = {"held_on", "meeting", "outcome"}
        if step in MEETING_STEPS:
            keep.add("participants")
        if step in DECIDING_STEPS:
            keep.add("rejection_reason")
            keep |= set(self.VOTE_FIELDS) if step == Step.RESOLVED else {"passed"}
        if step == Step.IMPLEMENTED:
            keep |= {"responsible_unit", "responsible_person", "responsible_user"}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self.fields["meeting"].queryset = meetings
        if "responsible_user" in self.fields:
            self.fields["responsible_user"].queryset = people
        if step == Step.RESULT_PUBLISHED:
            self.fields["outcome"].label = _("The result")

    def clean(self):
        data = super().clean()
        if self.step == Step.RESOLVED:
            for name in ("representatives", "present", "votes_for"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Give this number."))
        return data


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=200)
    due_on = forms.DateField(label=_("Due on"), widget=DATE)


class ProgressForm(forms.Form):
    progress = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class SupervisorForm(forms.Form):
    body = forms.ChoiceField(label=_("Body"), choices=Supervisor.Body.choices)
    name = forms.CharField(label=_("Name"), max_length=100)


class SignOffForm(forms.Form):
    opinion = forms.CharField(label=_("Opinion"), widget=forms.Textarea(attrs={"rows": 2}))
    signed_off_on = forms.DateField(label=_("Date"), required=False, widget=DATE)


# --- livelihood projects -----------------------------------------------------------------


class ProposalForm(forms.Form):
    unit = forms.ChoiceField(label=_("Where"))
    title = forms.CharField(label=_("Project"), max_length=200)
    location = forms.CharField(label=_("Place"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    proposed_by = forms.ChoiceField(label=_("Proposed by"), choices=LivelihoodProject.ProposedBy.choices)
    proposer = forms.CharField(label=_("Proposer (name or group)"), required=False, max_length=100)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        streets, committees = consultation_units(user)
        self.fields["unit"].choices = unit_choices(streets, committees, committees.none())

    clean_unit = MatterForm.clean_unit


class ProjectDecisionForm(forms.Form):
    meeting = forms.ModelChoiceField(label=_("Proposal meeting"), queryset=Meeting.objects.none())
    selected = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("selected")), ("no", _("not selected"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    budget = forms.DecimalField(label=_("Budget (yuan)"), max_digits=12, decimal_places=2, min_value=0, required=False)
    responsible_unit = forms.CharField(label=_("Responsible unit"), max_length=200, required=False)
    responsible_person = forms.CharField(label=_("Responsible person"), max_length=100, required=False)
    responsible_user = forms.ModelChoiceField(
        label=_("Their account (for alerts)"), queryset=User.objects.none(), required=False
    )
    starts_on = forms.DateField(label=_("Starts on"), required=False, widget=DATE)
    due_on = forms.DateField(label=_("Due on"), required=False, widget=DATE)
    note = forms.CharField(label=_("Note, or the reason if not selected"), required=False, max_length=1000)

    def __init__(self, *args, meetings, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings
        self.fields["responsible_user"].queryset = people


class ContractForm(forms.Form):
    manager = forms.CharField(label=_("Manager"), max_length=200)
    beneficiaries = forms.CharField(label=_("Beneficiaries"), max_length=300)
    manager_duties = forms.CharField(label=_("The manager's obligations"), widget=forms.Textarea(attrs={"rows": 3}))
    beneficiary_duties = forms.CharField(
        label=_("The beneficiaries' obligations"), widget=forms.Textarea(attrs={"rows": 3})
    )
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE)
    ends_on = forms.DateField(label=_("Maintenance period ends"), widget=DATE)
    review_every_months = forms.IntegerField(label=_("Review every (months)"), min_value=1, max_value=24, initial=6)


class ReviewForm(forms.Form):
    reviewed_on = forms.DateField(label=_("Reviewed on"), required=False, widget=DATE)
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 3}))
    breach = forms.BooleanField(label=_("A breach was found: open a ticket"), required=False)
    category = forms.ModelChoiceField(
        label=_("The ticket's category"), queryset=Category.objects.filter(active=True), required=False
    )


# --- invitations -------------------------------------------------------------------------


class InvitationForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("Department (its head)"), queryset=Department.objects.none(), required=False
    )
    leader = forms.ModelChoiceField(label=_("Or a street leader"), queryset=User.objects.none(), required=False)
    invitee_name = forms.CharField(label=_("Name and post of the invited"), max_length=100, required=False)
    proposed_at = forms.DateTimeField(
        label=_("Proposed time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )

    def __init__(self, *args, street_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = policy.departments_serving([street_id])
        self.fields["leader"].queryset = User.objects.filter(
            street_id=street_id, role=User.Role.STREET_LEADER, is_active=True
        ).order_by("full_name")


class AnswerForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("Answer"),
        choices=[("yes", _("accept")), ("no", _("decline"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason, if declining"), required=False, max_length=1000)


class InvitationDecisionForm(forms.Form):
    decision = forms.CharField(label=_("The one decision"), widget=forms.Textarea(attrs={"rows": 3}))
    follow_up_by = forms.DateField(label=_("Follow up by"), widget=DATE)


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("How it was carried out"), widget=forms.Textarea(attrs={"rows": 2}))


# --- hearings and the covenant -----------------------------------------------------------


class HearingForm(forms.Form):
    meeting = forms.ModelChoiceField(label=_("Hearing meeting"), queryset=Meeting.objects.none())
    participants = forms.CharField(label=_("Who took part"), widget=forms.Textarea(attrs={"rows": 2}))
    opinions = forms.CharField(
        label=_("Opinions heard, one a line (speaker: opinion)"), widget=forms.Textarea(attrs={"rows": 4})
    )
    conclusion = forms.CharField(label=_("Conclusion"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings


class CovenantForm(forms.Form):
    meeting = forms.ModelChoiceField(
        label=_("Representatives' meeting that adopted it"), queryset=Meeting.objects.none()
    )
    text = forms.CharField(label=_("Text of the covenant"), widget=forms.Textarea(attrs={"rows": 10}))

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings


# --- the year-end democratic evaluation -----------------------------------------------------


class DutyReportForm(forms.Form):
    duty_report = forms.CharField(label=_("Report on duty"), widget=forms.Textarea(attrs={"rows": 10}))


class ProblemForm(forms.Form):
    text = forms.CharField(label=_("Problem"), max_length=300)


class TaskForm(forms.Form):
    text = forms.CharField(label=_("Task"), max_length=300)
    responsible = forms.CharField(label=_("Responsible"), max_length=100)
    due_on = forms.DateField(label=_("Due"), widget=DATE)


class TaskTrackForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"))
    note = forms.CharField(label=_("Progress note"), required=False, max_length=1000)

    def __init__(self, *args, **kwargs):
        from .models import EvaluationTask

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (value, label) for value, label in EvaluationTask.Status.choices if value != EvaluationTask.Status.CARRIED
        ]


class ScoreForm(forms.Form):
    """The representatives' scores of the committee or of a cadre, one field per criterion."""

    subject = forms.ChoiceField(label=_("Scores for"))
    name = forms.CharField(label=_("Cadre's name"), required=False, max_length=100)
    post = forms.CharField(label=_("Post"), required=False, max_length=100)
    raters = forms.IntegerField(label=_("Representatives scoring"), min_value=1, max_value=999)

    def __init__(self, *args, criteria, **kwargs):
        from .models import EvaluationScore

        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = EvaluationScore.Subject.choices
        self.criteria = list(criteria)
        for index, criterion in enumerate(self.criteria):
            self.fields[f"score_{index}"] = forms.DecimalField(
                label=criterion,
                min_value=1,
                max_value=5,
                decimal_places=1,
                widget=forms.NumberInput(attrs={"step": "0.1"}),
            )

    def scores(self) -> dict:
        return {criterion: self.cleaned_data[f"score_{i}"] for i, criterion in enumerate(self.criteria)}


class OpinionForm(forms.Form):
    opinion = forms.CharField(label=_("The evaluation's opinion"), widget=forms.Textarea(attrs={"rows": 5}))

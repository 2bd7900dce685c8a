from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.enums import Urgency
from grievances.models import Category, Household, Visit
from responders.models import TeamMembership


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    method = forms.ChoiceField(
        label=_("How"), choices=Visit.Method.choices, widget=forms.RadioSelect, initial=Visit.Method.DOOR
    )
    visitors = forms.ModelMultipleChoiceField(
        label=_("Visitors from the team"),
        required=False,
        queryset=TeamMembership.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    result = forms.ChoiceField(
        label=_("Outcome"), choices=Visit.Result.choices, widget=forms.RadioSelect, initial=Visit.Result.NOTHING
    )

    def __init__(self, *args, household: Household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visitors"].queryset = TeamMembership.objects.filter(team__zone_id=household.zone_id)
        self.fields["visitors"].label_from_instance = lambda member: f"{member.name}（{member.get_role_display()}）"
        self.fields["visited_on"].initial = timezone.localdate()


class MatterForm(forms.Form):
    """One matter raised at the visit; a row left blank is ignored."""

    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(active=True), required=False
    )
    description = forms.CharField(
        label=_("What the resident asks"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)

    def clean(self):
        data = super().clean()
        if data.get("description") and not data.get("category"):
            self.add_error("category", _("Choose a category for this matter."))
        if data.get("category") and not data.get("description"):
            self.add_error("description", _("Describe the matter."))
        return data


MatterFormSet = forms.formset_factory(MatterForm, extra=3, max_num=10)

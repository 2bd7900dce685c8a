from django import forms
from django.utils.translation import gettext_lazy as _

from grievances.models import Feedback


class LookupForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference"), max_length=40, help_text=_("As in the SMS, e.g. WLQ-2026-000123.")
    )
    digits = forms.RegexField(
        label=_("Last four digits of your phone"),
        regex=r"^\d{4}$",
        max_length=4,
        error_messages={"invalid": _("Type the last four digits of the phone you gave us.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class VerdictForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("Are you satisfied?"),
        choices=[(value, label) for value, label in Feedback.Satisfaction.choices],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed if you are not satisfied: tell us why."),
    )

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReportGenerateForm(forms.Form):
    """Which street's report, for which ended month (the street among those the person sees)."""

    street = forms.ModelChoiceField(queryset=None, label=_("Street"))
    month = forms.CharField(label=_("Month"))

    def __init__(self, *args, streets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = streets

    def clean_month(self) -> dt.date:
        try:
            month = dt.datetime.strptime(self.cleaned_data["month"], "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("Choose a month as YYYY-MM.")) from None
        if month >= timezone.localdate().replace(day=1):
            raise forms.ValidationError(_("A month can be reported once it has ended."))
        return month

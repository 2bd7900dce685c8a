import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput


class ReportGenerateForm(forms.Form):
    """Which street's report, for which ended month within the street's data (the street
    among those the person acts for); `confirm` once they have seen that it is permanent."""

    street = forms.ModelChoiceField(queryset=None, label=_("Street"))
    month = forms.CharField(label=_("Month"))
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

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

    def clean(self):
        from .services import report_month_check

        data = super().clean()
        street, month = data.get("street"), data.get("month")
        if street is not None and month is not None and not street.monthly_reports.filter(month=month).exists():
            try:
                report_month_check(street, month)
            except InvalidInput as error:
                self.add_error("month", error.message)
        return data


def month_param(value: str) -> dt.date | None:
    """A month given as YYYY-MM (a query parameter), or None."""
    try:
        month = dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        return None
    return month if dt.MINYEAR < month.year < dt.MAXYEAR else None

"""One small form per action of the state machine, shared by the ticket page and bulk actions."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from affairs.models import AffairsEntry
from affairs.selectors import citable_entries
from core.clock import end_of_working_day
from core.enums import CancelReason, Outcome, PauseReason, ResumeHow
from grievances.models import Feedback, Ticket
from grievances.selectors import visible_tickets
from responders.models import Department, User
from responders.selectors import user_scope

from . import policy
from .transitions import Action


class AnswerByField(forms.DateField):
    """A department's answer-by date: optional, after today and within a year, due at the end
    of that working day in Shanghai (a referral from the ticket page or from a meeting's
    decision). One after the ticket's resolve-by is accepted with a warning (`late_for`):
    the department's month often outlasts a zone's ten days, but the sweep will not wait."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    HORIZON_DAYS = 366

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)
        today = timezone.localdate()  # the browser's date picker offers the same days
        self.widget.attrs.update(
            min=f"{today + dt.timedelta(days=1):%Y-%m-%d}",
            max=f"{today + dt.timedelta(days=self.HORIZON_DAYS):%Y-%m-%d}",
        )

    def clean(self, value):
        day = super().clean(value)
        if day is None:
            return None
        today = timezone.localdate()
        if day <= today:
            raise forms.ValidationError(_("Choose a day after today."))
        if day > today + dt.timedelta(days=self.HORIZON_DAYS):
            raise forms.ValidationError(_("Choose a day within a year of today."))
        return end_of_working_day(day)

    @staticmethod
    def late_for(answer_by, ticket: Ticket) -> str | None:
        """The warning to show when `answer_by` falls after `ticket`'s resolve-by, else None."""
        if answer_by is None or ticket.resolve_by is None or answer_by <= ticket.resolve_by:
            return None
        return _(
            "The answer is due %(answer_by)s, after the ticket's resolve-by %(resolve_by)s: the ticket "
            "will be overdue before the department must answer."
        ) % {
            "answer_by": timezone.localtime(answer_by).strftime("%Y-%m-%d"),
            "resolve_by": timezone.localtime(ticket.resolve_by).strftime("%Y-%m-%d"),
        }


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class EscalateForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the tier above is needed"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("What the resident was told"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReferForm(forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none())
    duty = forms.CharField(
        label=_("What the department is asked to do"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    answer_by = AnswerByField(label=_("Answer by (default: one month)"))

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = policy.departments_serving([ticket.street_id])


class ReplyForm(forms.Form):
    answer = forms.CharField(
        label=_("The department's answer"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ProgressForm(forms.Form):
    note = forms.CharField(
        label=_("What the department has done so far"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReturnReferralForm(forms.Form):
    reason = forms.CharField(
        label=_("Why this is not the department's matter"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CancelForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=CancelReason.choices)
    duplicate_of = forms.CharField(label=_("Original ticket (for a duplicate)"), required=False, max_length=40)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, ticket: Ticket, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket, self.user = ticket, user

    def clean_duplicate_of(self):
        reference = self.cleaned_data.get("duplicate_of", "").strip()
        if not reference:
            return None
        original = visible_tickets(user_scope(self.user)).filter(reference=reference).first()
        if original is None:
            raise forms.ValidationError(_("You have no ticket %(ref)s.") % {"ref": reference})
        return original


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("Why close it without the resident's feedback"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the resident is not satisfied"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


# "partner system" is for the API, "by the resident" for the resident's own page.
STAFF_RECORDS_NOT = (Feedback.Via.PARTNER, Feedback.Via.RESIDENT)


class FeedbackForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("Satisfaction"), choices=Feedback.Satisfaction.choices, widget=forms.RadioSelect
    )
    # Staff collect a verdict at the door, by phone or face to face.
    collected_via = forms.ChoiceField(
        label=_("Collected"),
        choices=[(value, label) for value, label in Feedback.Via.choices if value not in STAFF_RECORDS_NOT],
        initial="visit",
    )
    comment = forms.CharField(
        label=_("The resident's words"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=User.objects.none())

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = policy.owner_candidates(ticket)


class PauseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Waiting on"), choices=PauseReason.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("What is awaited"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For a third party: who, and for what."),
    )


class ResumeForm(forms.Form):
    how = forms.ChoiceField(
        label=_("What ended the wait"),
        choices=[
            (value, label)
            for value, label in ResumeHow.choices
            if value in (ResumeHow.RESIDENT_REPLIED, ResumeHow.RESIDENT_VISIT, ResumeHow.BY_HAND)
        ],
        initial=ResumeHow.RESIDENT_REPLIED,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class DeclineByListForm(forms.Form):
    """A committee declines a task the street's list names as a department's (两份清单)."""

    entry = forms.ModelChoiceField(
        label=_("The affair on the street's list"),
        queryset=AffairsEntry.objects.none(),
        help_text=_("The department whose duty it is must answer; the street sees that you declined."),
    )
    note = forms.CharField(
        label=_("Note for the department"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry"].queryset = citable_entries(ticket.street_id)
        self.fields["entry"].label_from_instance = lambda entry: f"{entry.name} → {entry.answering}"


FORMS = {
    Action.ACKNOWLEDGE: NoteForm,
    Action.START: NoteForm,
    Action.REFER: ReferForm,
    Action.DEPARTMENT_REPLY: ReplyForm,
    Action.DEPARTMENT_UPDATE: ProgressForm,
    Action.RETURN_REFERRAL: ReturnReferralForm,
    Action.ESCALATE: EscalateForm,
    Action.RESOLVE: ResolveForm,
    Action.CLOSE: CloseForm,
    Action.REOPEN: ReopenForm,
    Action.CANCEL: CancelForm,
    Action.FEEDBACK: FeedbackForm,
    Action.ASSIGN: AssignForm,
    Action.PAUSE: PauseForm,
    Action.RESUME: ResumeForm,
    Action.DECLINE_BY_LIST: DeclineByListForm,
}
NEEDS_TICKET = {ReferForm, AssignForm, DeclineByListForm}


def action_form(action: str, ticket: Ticket, user: User, data=None, prefix: str | None = None) -> forms.Form:
    form_class = FORMS[action]
    kwargs = {"ticket": ticket} if form_class in NEEDS_TICKET else {}
    if form_class is CancelForm:
        kwargs = {"ticket": ticket, "user": user}
    return form_class(data, prefix=prefix or action, **kwargs)

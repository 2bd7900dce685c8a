from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalogue.models import ServiceItem
from core.enums import Channel, Urgency
from grievances.models import Category, Feedback, Household, Visit
from responders.models import TeamMembership

from .services import DESCRIPTION_MAX, VISIT_DATE_WINDOW


class LongText(forms.CharField):
    """Text with a limit the server enforces and the page counts (static/zhitong.js reads
    `data-maxlength`): no `maxlength` attribute, which would make the browser cut a pasted
    text silently."""

    def __init__(self, *, max_chars: int, **kwargs):
        self.max_chars = max_chars
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "data-maxlength": str(self.max_chars)}

    def to_python(self, value):
        # A browser sends a textarea's line breaks as CRLF; count them as the page did.
        return super().to_python(value).replace("\r\n", "\n")

    def validate(self, value):
        super().validate(value)
        if value and len(value) > self.max_chars:
            raise forms.ValidationError(
                _("This text is %(n)s characters; at most %(max)s.") % {"n": len(value), "max": self.max_chars},
                code="max_length",
            )


class LocationFields(forms.Form):
    """Where the phone was, filled by "use my location" (static/zhitong.js, [data-locate]);
    empty: the household's building's point, if any. The service checks the numbers
    (core.geo.check_point), naming `lat` or `long`; intake/_location.html shows its refusals."""

    lat = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput(attrs={"data-location": "lat"}))
    long = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput(attrs={"data-location": "long"}))


class VisitForm(LocationFields):
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
    notes = LongText(label=_("Notes"), required=False, max_chars=4000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, household: Household, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        members = TeamMembership.objects.filter(team__zone_id=household.zone_id)
        self.fields["visitors"].queryset = members
        # Brackets in the reader's language: 沈华（团队负责人）, Shen Hua (team lead).
        self.fields["visitors"].label_from_instance = lambda member: (
            gettext("%(name)s (%(role)s)")
            % {
                "name": member.name,
                "role": member.get_role_display(),
            }
        )
        today = timezone.localdate()
        self.fields["visited_on"].initial = today
        self.fields["visited_on"].widget.attrs.update(
            {"min": (today - VISIT_DATE_WINDOW).isoformat(), "max": today.isoformat()}
        )
        if user is not None:
            # Whoever signs in is usually one who went.
            self.fields["visitors"].initial = [m.pk for m in members if m.user_id == user.pk]

    def clean_visited_on(self):
        visited_on = self.cleaned_data["visited_on"]
        today = timezone.localdate()
        if visited_on > today:
            raise forms.ValidationError(_("The visit date cannot be in the future."))
        if visited_on < today - VISIT_DATE_WINDOW:
            raise forms.ValidationError(
                _("The visit date must be within the last year (from %(date)s).")
                % {"date": (today - VISIT_DATE_WINDOW).isoformat()}
            )
        return visited_on


class MatterForm(forms.Form):
    """One matter brought to a visit or the desk; a row left blank is ignored."""

    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(active=True), required=False
    )
    description = LongText(
        label=_("What the resident asks"),
        required=False,
        max_chars=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    # Chosen among the likely duplicates shown under the matter (intake/_duplicates.html).
    attach_to = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("description") and not data.get("category"):
            self.add_error("category", _("Choose a category for this matter."))
        if data.get("category") and not data.get("description") and "description" not in self.errors:
            self.add_error("description", _("Describe the matter."))
        return data


class VisitMatterForm(MatterForm):
    """A matter at a visit has its own outcome: settled on the spot, with the resident's
    verdict asked at the door, or raised as a ticket for the tiers to handle."""

    RAISED, SETTLED = "raised", "settled"

    outcome = forms.ChoiceField(
        label=_("Outcome of this matter"),
        choices=[(RAISED, _("needs follow-up: raise a ticket")), (SETTLED, _("settled on the spot"))],
        widget=forms.RadioSelect,
        initial=RAISED,
        required=False,
    )
    satisfaction = forms.ChoiceField(
        label=_("The resident's verdict (settled matters)"),
        choices=[("", _("— ask the resident —")), *Feedback.Satisfaction.choices],
        required=False,
    )

    def clean(self):
        data = super().clean()
        settled = data.get("outcome") == self.SETTLED
        if settled and data.get("description") and not data.get("satisfaction"):
            self.add_error("satisfaction", _("Ask the resident whether they are satisfied with how it was settled."))
        if not settled and data.get("satisfaction"):
            self.add_error("satisfaction", _("Only a matter settled on the spot has the resident's verdict."))
        return data


MatterFormSet = forms.formset_factory(MatterForm, extra=3, max_num=10)
VisitMatterFormSet = forms.formset_factory(VisitMatterForm, extra=3, max_num=10)


class DeskForm(forms.Form):
    """The caller and how they came; the matters come in a MatterFormSet beside it."""

    channel = forms.ChoiceField(
        label=_("Came in by"),
        choices=[
            (Channel.WALK_IN, _("walk-in")),
            (Channel.PHONE, _("phoned in")),
            (Channel.LETTER, _("letter")),
        ],
        widget=forms.RadioSelect,
        initial=Channel.WALK_IN,
    )
    household = forms.ModelChoiceField(
        label=_("Household"), queryset=Household.objects.none(), required=False, widget=forms.HiddenInput
    )
    reporter_name = forms.CharField(label=_("Resident's name"), required=False, max_length=100)
    reporter_phone = forms.CharField(label=_("Resident's phone"), required=False, max_length=30)
    place = forms.ChoiceField(label=_("Belongs to"), required=False, choices=())
    address = forms.CharField(label=_("Address"), required=False, max_length=255)

    def __init__(self, *args, households, places: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = households
        self.fields["place"].choices = [("", _("— choose —")), *places]
        if len(places) == 1:
            self.fields["place"].initial = places[0][0]


class ServiceApplicationForm(forms.Form):
    """An application for one item of the service catalogue (办事申请), beside a DeskForm for
    the caller: its urgency (急事特办), the item's documents the window received, a note."""

    item = forms.ModelChoiceField(
        label=_("Service item"), queryset=ServiceItem.objects.none(), widget=forms.HiddenInput
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=[(Urgency.NORMAL, _("ordinary")), (Urgency.URGENT, _("urgent"))],
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
    )
    documents = forms.MultipleChoiceField(
        label=_("Documents received"), required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, items, item: ServiceItem | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        if item is not None:
            self.fields["item"].initial = item.pk
            self.fields["documents"].choices = [(document, document) for document in item.document_list]
            self.fields["urgency"].choices = [
                (Urgency.NORMAL, _("ordinary: %(days)s working days") % {"days": item.limit_ordinary}),
                (Urgency.URGENT, _("urgent: %(days)s working days") % {"days": item.limit_urgent}),
            ]

"""The street's two lists (两份清单) on a page: read by the street's committees and zone teams,
kept by the street's staff (escalation.affairs_list)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from affairs.models import AffairsEntry
from affairs.selectors import street_entries
from core.errors import InvalidInput
from core.params import whole_number

from . import policy
from .affairs_list import affairs_entry_save, lists_street


class AffairsEntryForm(forms.ModelForm):
    class Meta:
        model = AffairsEntry
        fields = ["kind", "name", "basis", "category", "department_kind", "department", "position", "active"]
        widgets = {"basis": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"position": gettext_lazy("Smaller first.")}

    def __init__(self, *args, street, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.street = street
        self.fields["department"].queryset = policy.departments_serving([street.pk])
        self.fields["category"].queryset = self.fields["category"].queryset.filter(active=True)

    def validate_unique(self):
        """Left to the service, which names the field (affairs_entry_save)."""


def _save(request, form: AffairsEntryForm) -> bool:
    if not form.is_valid():
        return False
    try:
        affairs_entry_save(actor=request.user, entry=form.instance)
    except InvalidInput as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def affairs_lists(request):
    """GET: the street's two lists; POST (the street's staff): add an entry."""
    street = lists_street(request.user, whole_number(request.GET.get("street", "")))
    if street is None:
        raise Http404
    keeps = policy.may(request.user, policy.Right.KEEP_AFFAIRS_LIST, street)
    form = AffairsEntryForm(street=street) if keeps else None
    status = 200
    if request.method == "POST":
        if not keeps:
            raise Http404
        form = AffairsEntryForm(request.POST, street=street)
        if _save(request, form):
            messages.success(request, _("The entry is on the list."))
            return redirect(f"{reverse('affairs_lists')}?street={street.pk}")
        status = 400
    entries = list(street_entries(street.pk))
    return render(
        request,
        "escalation/affairs_lists.html",
        {
            "street": street,
            "administrative": [entry for entry in entries if entry.is_administrative],
            "social": [entry for entry in entries if not entry.is_administrative],
            "form": form,
            "keeps": keeps,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def affairs_entry_edit(request, pk):
    entry = get_object_or_404(AffairsEntry.objects.select_related("street"), pk=pk)
    # Another street's list: as if it did not exist.
    if not policy.may(request.user, policy.Right.KEEP_AFFAIRS_LIST, entry.street):
        raise Http404
    form = AffairsEntryForm(request.POST or None, instance=entry, street=entry.street)
    if request.method == "POST":
        if _save(request, form):
            messages.success(request, _("The entry is saved."))
            return redirect(f"{reverse('affairs_lists')}?street={entry.street_id}")
        return render(request, "escalation/affairs_entry_form.html", {"form": form, "entry": entry}, status=400)
    return render(request, "escalation/affairs_entry_form.html", {"form": form, "entry": entry})

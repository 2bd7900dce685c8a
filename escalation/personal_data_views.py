"""A resident's requests about their personal data, handled by the street (PIPL art. 45, 47):
export a household's data as a JSON download, or erase it. Each is a form that says who asked
and why; the policy decides who may (escalation.policy.handles_data_requests), the services
in escalation.personal_data log and do it."""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.errors import InvalidInput, NotPermitted
from grievances.selectors import visible_households
from responders.selectors import user_scope

from . import personal_data, policy
from .policy import Right


class ExportForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("The resident's request: who asked, when, how their identity was checked"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why the data is erased: who asked, when, how their identity was checked"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I understand that the names, phone numbers, care flags and notes are erased for good; "
            "the tickets stay, with the resident anonymised."
        )
    )


def _household(request, pk, right: Right):
    """The household, if the person may see it (else 404) and handle its data requests (else 403)."""
    household = get_object_or_404(
        visible_households(user_scope(request.user)).select_related("zone__committee__street"), pk=pk
    )
    if not policy.may(request.user, right, household):
        raise PermissionDenied(_("Only the street's staff and leaders handle residents' data requests."))
    return household


@login_required
@require_http_methods(["GET", "POST"])
def household_export(request, pk):
    household = _household(request, pk, Right.EXPORT_PERSONAL_DATA)
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            data = personal_data.export_household(
                actor=request.user, household=household, note=form.cleaned_data["note"], path=request.path
            )
        except NotPermitted as error:
            raise PermissionDenied(error.message) from error
        body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        filename = f"household-{household.pk}-{timezone.localdate():%Y%m%d}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response
    status = 400 if request.method == "POST" else 200
    context = {"household": household, "form": form, "mode": "export"}
    return render(request, "grievances/household_data_request.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def household_erase(request, pk):
    household = _household(request, pk, Right.ERASE_PERSONAL_DATA)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            erasure = personal_data.erase_household(
                actor=request.user, household=household, reason=form.cleaned_data["reason"], path=request.path
            )
        except NotPermitted as error:
            raise PermissionDenied(error.message) from error
        except InvalidInput as error:
            form.add_error("reason", error.message)
        else:
            messages.success(
                request,
                _("The household's personal data is erased; %(count)s tickets keep their record, anonymised.")
                % {"count": len(erasure.ticket_ids)},
            )
            return redirect("household", pk=household.pk)
    status = 400 if request.method == "POST" else 200
    context = {"household": household, "form": form, "mode": "erase"}
    return render(request, "grievances/household_data_request.html", context, status=status)

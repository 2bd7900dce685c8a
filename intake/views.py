"""Screens through which requests come in: the visit form (and, later, the desk)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import ZhitongError
from grievances.selectors import visible_households
from responders.selectors import user_scope

from .forms import MatterFormSet, VisitForm
from .services import RaisedMatter, visit_log


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request, household_pk):
    """Log a visit in one form: who went, how, and what came of it (nothing, settled, raised)."""
    household = get_object_or_404(visible_households(user_scope(request.user)), pk=household_pk)
    form = VisitForm(request.POST or None, household=household)
    matters = MatterFormSet(request.POST or None, prefix="matter")
    if request.method == "POST" and form.is_valid() and matters.is_valid():
        raised = [
            RaisedMatter(category=m["category"], description=m["description"], urgency=m["urgency"])
            for m in matters.cleaned_data
            if m.get("description")
        ]
        try:
            visit = visit_log(
                actor=request.user,
                household=household,
                visited_on=form.cleaned_data["visited_on"],
                method=form.cleaned_data["method"],
                result=form.cleaned_data["result"],
                visitors=list(form.cleaned_data["visitors"]),
                notes=form.cleaned_data["notes"],
                matters=raised,
            )
        except ZhitongError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, error.message)
        else:
            tickets = list(visit.tickets.values_list("reference", flat=True))
            if tickets:
                messages.success(request, _("Visit logged; tickets %(refs)s.") % {"refs": "、".join(tickets)})
            else:
                messages.success(request, _("Visit logged."))
            return redirect("household", pk=household.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "grievances/visit_form.html", {"household": household, "form": form, "matters": matters}, status=status
    )

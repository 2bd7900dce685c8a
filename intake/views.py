"""Screens through which requests come in: the visit form and the desk."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import NotPermitted, ZhitongError
from core.params import whole_number
from escalation.photos import check_all, visit_photos_add
from escalation.policy import acting_scope, acts_for_any, personal_data_scope, units_acted_for
from grievances.photos import read_upload
from grievances.selectors import household_search, visible_households
from responders.selectors import user_scope

from .forms import DeskForm, MatterFormSet, VisitForm, VisitMatterFormSet
from .services import DeskMatter, RaisedMatter, desk_intake, visit_log

# How many households a desk search lists: the caller is one of the first few or the
# query needs another word.
DESK_SEARCH_LIMIT = 20


def _add_service_error(error: ZhitongError, form, matters) -> int:
    """Show a refusal of the service on the field it names (a matter's field on the first
    filled matter), else above the form; the status to answer with (403 for a refusal of
    the person's rights, else 400)."""
    status = 403 if isinstance(error, NotPermitted) else 400
    if error.field in form.fields:
        form.add_error(error.field, error.message)
        return status
    for matter in matters:
        if error.field in matter.fields and matter.has_changed():
            matter.add_error(error.field, error.message)
            return status
    form.add_error(None, error.message)
    return status


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request, household_pk):
    """Log a visit in one form: who went, how, and what came of each matter (settled on the
    spot with the resident's verdict, or raised as a ticket); nothing raised is a visit too."""
    household = get_object_or_404(visible_households(user_scope(request.user)), pk=household_pk)
    form = VisitForm(request.POST or None, household=household, user=request.user)
    status = 400 if request.method == "POST" else 200
    matters = VisitMatterFormSet(request.POST or None, prefix="matter")
    photos = []
    if request.method == "POST" and request.FILES.getlist("photos"):
        try:  # every photo checked before the visit is logged
            photos = check_all([read_upload(upload, "photos") for upload in request.FILES.getlist("photos")])
        except ZhitongError as error:
            form.add_error(None, error.message)
    if request.method == "POST" and form.is_valid() and matters.is_valid():
        raised = [
            RaisedMatter(
                category=m["category"],
                description=m["description"],
                urgency=m["urgency"],
                settled=m.get("outcome") == matters.form.SETTLED,
                satisfaction=m.get("satisfaction") or "",
            )
            for m in matters.cleaned_data
            if m.get("description")
        ]
        try:
            visit = visit_log(
                actor=request.user,
                household=household,
                visited_on=form.cleaned_data["visited_on"],
                method=form.cleaned_data["method"],
                visitors=list(form.cleaned_data["visitors"]),
                notes=form.cleaned_data["notes"],
                matters=raised,
                lat=form.cleaned_data["lat"],
                long=form.cleaned_data["long"],
            )
        except ZhitongError as error:
            status = _add_service_error(error, form, matters)
        else:
            if photos and not visit_photos_add(visit=visit, actor=request.user, processed=photos):
                messages.warning(request, _("Photos are kept with the tickets a visit raises; this one raised none."))
            tickets = list(visit.tickets.values_list("reference", flat=True))
            if tickets:
                messages.success(request, _("Visit logged; tickets %(refs)s.") % {"refs": "、".join(tickets)})
            else:
                messages.success(request, _("Visit logged."))
            return redirect("household", pk=household.pk)
    return render(
        request, "grievances/visit_form.html", {"household": household, "form": form, "matters": matters}, status=status
    )


def _places(user) -> tuple[list[tuple[str, str]], dict]:
    """The units a person takes desk requests for, as choices ("zone:3") and by choice."""
    streets, committees, zones = units_acted_for(user)
    units = {}
    for kind, queryset in (("street", streets), ("committee", committees), ("zone", zones)):
        for unit in queryset.order_by("pk")[:500]:
            units[f"{kind}:{unit.pk}"] = (kind, unit)
    return [(key, str(unit)) for key, (_kind, unit) in units.items()], units


@login_required
@require_http_methods(["GET", "POST"])
def desk(request):
    """来访、来电、信件: a resident at the desk, on the phone or by letter. Find the household
    (phone, name or address) or take a name and phone without one; one ticket per matter,
    opened like every other channel; no visit is recorded."""
    if not acts_for_any(request.user):
        raise PermissionDenied
    households = visible_households(acting_scope(request.user))
    query = request.GET.get("q", "").strip()
    found = None
    if query:
        found = list(
            household_search(
                acting_scope(request.user), query, phone_scope=personal_data_scope(request.user)
            ).select_related("zone")[: DESK_SEARCH_LIMIT + 1]
        )
    places, units = _places(request.user)
    initial = {}
    chosen = whole_number(request.GET.get("household"))
    if chosen:
        initial["household"] = get_object_or_404(households, pk=chosen)
    form = DeskForm(request.POST or None, initial=initial, households=households, places=places)
    matters = MatterFormSet(request.POST or None, prefix="matter")
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid() and matters.is_valid():
        data = form.cleaned_data
        kind, unit = units.get(data["place"], (None, None))
        try:
            tickets = desk_intake(
                actor=request.user,
                channel=data["channel"],
                household=data["household"],
                reporter_name=data["reporter_name"],
                reporter_phone=data["reporter_phone"],
                zone=unit if kind == "zone" else None,
                committee=unit if kind == "committee" else None,
                street=unit if kind == "street" else None,
                address=data["address"],
                matters=[
                    DeskMatter(category=m["category"], description=m["description"], urgency=m["urgency"])
                    for m in matters.cleaned_data
                    if m.get("description")
                ],
            )
        except ZhitongError as error:
            status = _add_service_error(error, form, matters)
        else:
            messages.success(
                request,
                _("Request taken; tickets %(refs)s.") % {"refs": "、".join(t.reference for t in tickets)},
            )
            return redirect("desk")
    household = form["household"].value() if request.method == "POST" else initial.get("household")
    if household and not hasattr(household, "pk"):
        household = households.filter(pk=whole_number(str(household))).first()
    return render(
        request,
        "intake/desk.html",
        {
            "form": form,
            "matters": matters,
            "query": query,
            "found": found[:DESK_SEARCH_LIMIT] if found is not None else None,
            "more": found is not None and len(found) > DESK_SEARCH_LIMIT,
            "household": household,
        },
        status=status,
    )

"""Screens through which requests come in: the visit form and the desk, and the outbox's
endpoint for visits saved on a phone offline (POST /visits/)."""

import json
import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalogue.models import ServiceItem
from core.errors import InvalidInput, InvalidTransition, NotPermitted, ZhitongError
from core.params import whole_number
from escalation.photos import check_all
from escalation.policy import acting_scope, acts_for_any, personal_data_scope, units_acted_for
from grievances.duplicates import likely_duplicates
from grievances.models import Category
from grievances.photos import read_upload
from grievances.selectors import household_search, visible_households, visible_tickets
from responders.selectors import user_scope

from .forms import DeskForm, MatterFormSet, ServiceApplicationForm, VisitForm, VisitMatterFormSet
from .services import (
    DeskMatter,
    RaisedMatter,
    desk_intake,
    desk_service_apply,
    visit_by_client_id,
    visit_log_once,
)

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


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _visit_json(visit, replayed: bool) -> JsonResponse:
    """The outbox's answer: the visit and its tickets; 201 the first time, 200 on a retry."""
    tickets = list(visit.tickets.order_by("pk"))
    refs = "、".join(t.reference for t in tickets)
    return JsonResponse(
        {
            "id": visit.pk,
            "client_id": str(visit.client_id) if visit.client_id else None,
            "household": visit.household_id,
            "household_url": reverse("household", args=[visit.household_id]),
            "visited_on": visit.visited_on.isoformat(),
            "recorded_at": timezone.localtime(visit.recorded_at).isoformat(),
            "result": visit.result,
            "replayed": replayed,
            "photos": visit.photos.count(),
            "tickets": [
                {"reference": t.reference, "status": t.status, "url": reverse("ticket", args=[t.pk])} for t in tickets
            ],
            "message": _("Visit logged; tickets %(refs)s.") % {"refs": refs} if refs else _("Visit logged."),
        },
        status=200 if replayed else 201,
    )


def _refusal_json(status: int, reasons: list[str], errors: dict | None = None, code: str = "invalid") -> JsonResponse:
    """A refusal the outbox keeps beside the visit: the reasons in words, and per field."""
    return JsonResponse(
        {"code": code, "detail": " ".join(reasons), "reasons": reasons, "errors": errors or {}}, status=status
    )


def _form_reasons(form, matters) -> tuple[list[str], dict]:
    """Every error of the visit form and its matters, as "label: message" and by field name."""
    reasons, errors = [], {}
    for bound, prefix in [(form, ""), *((m, _("Matter %(n)s") % {"n": n + 1} + " · ") for n, m in enumerate(matters))]:
        for name, messages_ in bound.errors.items():
            label = bound.fields[name].label if name in bound.fields else ""
            key = bound.add_prefix(name) if name in bound.fields else name
            errors[key] = list(messages_)
            for message in messages_:
                reasons.append(f"{prefix}{label}: {message}" if label else f"{prefix}{message}")
    for message in matters.non_form_errors():
        reasons.append(message)
    return reasons, errors


def _phone_record(data) -> tuple[uuid.UUID | None, object]:
    """The outbox's `client_id` and `recorded_at` (ISO 8601 with its offset), when sent;
    raises InvalidInput naming the field when they cannot be read."""
    client_id = recorded_at = None
    if data.get("client_id"):
        try:
            client_id = uuid.UUID(str(data["client_id"]))
        except ValueError:
            raise InvalidInput(_("The visit's id from the phone is not a valid id."), field="client_id") from None
    if data.get("recorded_at"):
        try:
            recorded_at = parse_datetime(str(data["recorded_at"]))
        except ValueError:
            recorded_at = None
        if recorded_at is None or timezone.is_naive(recorded_at):
            raise InvalidInput(
                _("The time the visit was recorded is not a date and time with its time zone."), field="recorded_at"
            )
    return client_id, recorded_at


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request, household_pk):
    """Log a visit in one form: who went, how, and what came of each matter (settled on the
    spot with the resident's verdict, or raised as a ticket); nothing raised is a visit too.

    Asked for JSON (the outbox, static/outbox.js), with the phone's `client_id` and
    `recorded_at`: answers as POST /visits/ does."""
    if request.method == "POST" and _wants_json(request):
        return _visit_from_phone(request, household_pk, request.POST)
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
    if request.method == "POST" and form.is_valid() and matters.is_valid() and _attachable(request, matters):
        raised = _raised_matters(matters)
        try:
            visit = _log_online(
                request,
                photos=photos,
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
            if photos and not visit.photos.exists():
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


def _log_online(request, photos, **visit):
    """The form sent online: once per the id the page made (static/outbox.js), when it has
    one, so a double tap or a resend after a lost answer logs one visit."""
    try:
        client_id = uuid.UUID(request.POST.get("client_id", ""))
    except ValueError:
        client_id = None
    return visit_log_once(client_id=client_id, photos=photos, **visit)[0]


def _raised_matters(matters) -> list[RaisedMatter]:
    return [
        RaisedMatter(
            category=m["category"],
            description=m["description"],
            urgency=m["urgency"],
            settled=m.get("outcome") == matters.form.SETTLED,
            satisfaction=m.get("satisfaction") or "",
            attach_to=m.get("attach_ticket"),
        )
        for m in matters.cleaned_data
        if m.get("description")
    ]


def _visit_from_phone(request, household_pk, data) -> JsonResponse:
    """A visit from the outbox, logged at most once per `client_id` (a retry answers with the
    first visit, 200; another person's id is refused, 409), dated when the phone recorded it.
    A household no longer the person's is 404, a bad field 400 naming it, in words."""
    try:
        client_id, recorded_at = _phone_record(data)
    except ZhitongError as error:
        return _refusal_json(400, [error.message], {error.field: [error.message]}, code=error.code)
    if client_id is None:
        return _refusal_json(400, [_("The visit's id from the phone is missing.")], code="required")
    try:
        existing = visit_by_client_id(actor=request.user, client_id=client_id)
    except InvalidTransition as error:
        return _refusal_json(409, [error.message], {error.field: [error.message]}, code=error.code)
    if existing is not None:
        return _visit_json(existing, replayed=True)
    try:
        household = get_object_or_404(visible_households(user_scope(request.user)), pk=household_pk)
    except Http404:
        return _refusal_json(
            404,
            [_("This household is no longer in your zones: the visit cannot be logged by you.")],
            {"household": [_("Not yours any more.")]},
            code="not_found",
        )
    form = VisitForm(data, household=household, user=request.user)
    matters = VisitMatterFormSet(data, prefix="matter")
    if not (form.is_valid() and matters.is_valid() and _attachable(request, matters)):
        reasons, errors = _form_reasons(form, matters)
        return _refusal_json(400, reasons, errors)
    try:  # every photo checked before the visit is logged; they arrive with it or not at all
        photos = check_all([read_upload(upload, "photos") for upload in request.FILES.getlist("photos")])
        visit, replayed = visit_log_once(
            actor=request.user,
            client_id=client_id,
            photos=photos,
            household=household,
            visited_on=form.cleaned_data["visited_on"],
            method=form.cleaned_data["method"],
            visitors=list(form.cleaned_data["visitors"]),
            notes=form.cleaned_data["notes"],
            matters=_raised_matters(matters),
            lat=form.cleaned_data["lat"],
            long=form.cleaned_data["long"],
            recorded_at=recorded_at,
        )
    except ZhitongError as error:
        status = 403 if isinstance(error, NotPermitted) else 409 if isinstance(error, InvalidTransition) else 400
        return _refusal_json(status, [error.message], {error.field or "__all__": [error.message]}, code=error.code)
    return _visit_json(visit, replayed)


def _json_body(request) -> QueryDict | None:
    """A JSON object as form data: a list is a repeated field (visitors)."""
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict):
        return None
    data = QueryDict(mutable=True)
    for key, value in body.items():
        values = value if isinstance(value, list) else [value]
        data.setlist(str(key), ["" if v is None else str(v) for v in values])
    return data


@require_POST
def visits_create(request):
    """POST /visits/: a visit from a phone's outbox, as JSON or a form: `household`,
    `client_id` (a UUID the phone made), `recorded_at`, and the visit form's fields.
    201 with the visit and its tickets; 200 with the same on a retry; 400 naming the fields
    at fault; 401 signed out; 404 a household no longer the person's; 409 another's id."""
    if not request.user.is_authenticated:
        return _refusal_json(401, [_("You are signed out: sign in again, then send.")], code="signed_out")
    data = _json_body(request) if request.content_type == "application/json" else request.POST
    if data is None:
        return _refusal_json(400, [_("The visit could not be read.")], code="parse_error")
    household_pk = whole_number(data.get("household"))
    if not household_pk:
        return _refusal_json(400, [_("Say which household was visited.")], {"household": []}, code="required")
    return _visit_from_phone(request, household_pk, data)


def _attachable(request, matters) -> bool:
    """Each matter the clerk attached to a likely duplicate: that ticket, if the person sees it
    (as `attach_ticket`); else the matter's error, naming the field."""
    visible = visible_tickets(acting_scope(request.user))
    fine = True
    for form in matters.forms:
        chosen = form.cleaned_data.get("attach_to")
        if not chosen or not form.cleaned_data.get("description"):
            continue
        ticket = visible.filter(pk=chosen).first()
        if ticket is None or not ticket.is_open:
            form.add_error(None, _("The ticket chosen as the same problem is not open, or not one you see."))
            fine = False
        else:
            form.cleaned_data["attach_ticket"] = ticket
    return fine


@login_required
@require_GET
def duplicate_suggestions(request):
    """Under a desk or visit matter, as the clerk types (htmx): open tickets that may be the
    same problem, to attach the report to one instead of opening another."""
    n = whole_number(request.GET.get("n")) or 0
    category = Category.objects.filter(pk=whole_number(request.GET.get(f"matter-{n}-category")) or 0).first()
    description = request.GET.get(f"matter-{n}-description", "")
    scope = acting_scope(request.user)
    household = visible_households(scope).filter(pk=whole_number(request.GET.get("household")) or 0).first()
    zone_id = None
    place = request.GET.get("place", "")
    if household is None and place.startswith("zone:"):
        zone_id = whole_number(place.split(":", 1)[1])
    suggestions = []
    if len(description.strip()) >= 4 and (household is not None or zone_id):
        suggestions = likely_duplicates(
            scope, category=category, description=description, household=household, zone_id=zone_id
        )
    chosen = whole_number(request.GET.get(f"matter-{n}-attach_to"))
    return render(request, "intake/_duplicates.html", {"suggestions": suggestions, "n": n, "chosen": chosen})


def _places(user) -> tuple[list[tuple[str, str]], dict]:
    """The units a person takes desk requests for, as choices ("zone:3") and by choice."""
    streets, committees, zones = units_acted_for(user)
    units = {}
    for kind, queryset in (("street", streets), ("committee", committees), ("zone", zones)):
        for unit in queryset.order_by("pk")[:500]:
            units[f"{kind}:{unit.pk}"] = (kind, unit)
    return [(key, str(unit)) for key, (_kind, unit) in units.items()], units


@dataclass
class _Caller:
    """Who is at the desk or the window: the households the person may take requests for,
    the search typed (`found`, at most DESK_SEARCH_LIMIT, `more` when there were more), the
    household chosen from it, and the units the person takes requests for."""

    households: object
    query: str
    found: list | None
    more: bool
    places: list
    units: dict
    initial: dict

    @classmethod
    def of(cls, request) -> "_Caller":
        scope = acting_scope(request.user)
        households = visible_households(scope)
        query = request.GET.get("q", "").strip()
        found = None
        if query:
            phones = personal_data_scope(request.user)
            found = list(
                household_search(scope, query, phone_scope=phones).select_related("zone")[: DESK_SEARCH_LIMIT + 1]
            )
        places, units = _places(request.user)
        initial = {}
        chosen = whole_number(request.GET.get("household"))
        if chosen:
            initial["household"] = get_object_or_404(households, pk=chosen)
        return cls(
            households=households,
            query=query,
            found=found[:DESK_SEARCH_LIMIT] if found is not None else None,
            more=found is not None and len(found) > DESK_SEARCH_LIMIT,
            places=places,
            units=units,
            initial=initial,
        )

    def form(self, request) -> DeskForm:
        return DeskForm(request.POST or None, initial=self.initial, households=self.households, places=self.places)

    def household(self, request, form):
        """The household the page shows as chosen (a refused form keeps the one it was sent with)."""
        household = form["household"].value() if request.method == "POST" else self.initial.get("household")
        if household and not hasattr(household, "pk"):
            household = self.households.filter(pk=whole_number(str(household))).first()
        return household


@login_required
@require_http_methods(["GET", "POST"])
def desk(request):
    """来访、来电、信件: a resident at the desk, on the phone or by letter. Find the household
    (phone, name or address) or take a name and phone without one; one ticket per matter,
    opened like every other channel; no visit is recorded."""
    if not acts_for_any(request.user):
        raise PermissionDenied
    caller = _Caller.of(request)
    units = caller.units
    form = caller.form(request)
    matters = MatterFormSet(request.POST or None, prefix="matter")
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid() and matters.is_valid() and _attachable(request, matters):
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
                    DeskMatter(
                        category=m["category"],
                        description=m["description"],
                        urgency=m["urgency"],
                        attach_to=m.get("attach_ticket"),
                    )
                    for m in matters.cleaned_data
                    if m.get("description")
                ],
            )
        except ZhitongError as error:
            status = _add_service_error(error, form, matters)
        else:
            asked = [m for m in matters.cleaned_data if m.get("description")]
            joined = {m["attach_ticket"].pk for m in asked if m.get("attach_ticket")}
            opened = [t.reference for t in tickets if t.pk not in joined]
            if opened:
                messages.success(request, _("Request taken; tickets %(refs)s.") % {"refs": "、".join(opened)})
            if joined:
                messages.success(
                    request,
                    _("The resident was added to %(refs)s, already open: no new ticket for that.")
                    % {"refs": "、".join(t.reference for t in tickets if t.pk in joined)},
                )
            return redirect("desk")
    return render(
        request,
        "intake/desk.html",
        {"form": form, "matters": matters, "caller": caller, "household": caller.household(request, form)},
        status=status,
    )


def _window_items(user):
    """The items a clerk's windows offer: every street's, and those of the streets they act for."""
    streets, committees, _zones = units_acted_for(user)
    street_ids = {*streets.values_list("pk", flat=True), *committees.values_list("street_id", flat=True)}
    items = ServiceItem.objects.filter(active=True, service_class__active=True).filter(
        Q(street__isnull=True) | Q(street_id__in=street_ids)
    )
    return items.filter(Q(service_class__street__isnull=True) | Q(service_class__street_id__in=street_ids))


@login_required
@require_http_methods(["GET", "POST"])
def service_apply_view(request):
    """办事申请 at a window (一口受理，全员协办): choose the item (its time limit, the documents it
    needs, who completes it), find the resident as at the desk, tick the documents received;
    the application is a ticket of kind "service" for the unit that completes the item."""
    if not acts_for_any(request.user):
        raise PermissionDenied
    items = (
        _window_items(request.user)
        .select_related("service_class")
        .order_by("service_class__position", "position", "code")
    )
    chosen_item = whole_number(request.POST.get("item") or request.GET.get("item"))
    item = items.filter(pk=chosen_item).first() if chosen_item else None
    caller = _Caller.of(request)
    units = caller.units
    form = caller.form(request)
    application = ServiceApplicationForm(request.POST or None, items=items, item=item)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid() and application.is_valid():
        data, applied = form.cleaned_data, application.cleaned_data
        kind, unit = units.get(data["place"], (None, None))
        try:
            ticket = desk_service_apply(
                actor=request.user,
                channel=data["channel"],
                item=applied["item"],
                urgency=applied["urgency"],
                documents_received=applied["documents"],
                note=applied["note"],
                household=data["household"],
                reporter_name=data["reporter_name"],
                reporter_phone=data["reporter_phone"],
                zone=unit if kind == "zone" else None,
                committee=unit if kind == "committee" else None,
                street=unit if kind == "street" else None,
                address=data["address"],
            )
        except ZhitongError as error:
            target = application if error.field in application.fields or error.field == "service_item" else form
            field = "item" if error.field == "service_item" else error.field
            target.add_error(field if field in target.fields else None, error.message)
        else:
            messages.success(
                request,
                _("Application taken: %(ref)s, due by %(due)s.")
                % {"ref": ticket.reference, "due": timezone.localtime(ticket.resolve_by).strftime("%Y-%m-%d %H:%M")},
            )
            return redirect("ticket", ticket.pk)
    return render(
        request,
        "intake/service_apply.html",
        {
            "form": form,
            "application": application,
            "items": items,
            "item": item,
            "caller": caller,
            "household": caller.household(request, form),
        },
        status=status,
    )

"""The field and desk screens. Views only translate HTTP; reads come from selectors, writes
from services and transitions, and every id is looked up inside the visibility rule (404)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from config.params import whole_number
from escalation.errors import ZhitongError
from escalation.forms import action_form, assignable_owners
from escalation.permissions import allowed_actions
from escalation.transitions import Action
from responders.models import User
from responders.selectors import user_scope, visible_committees, visible_households, visible_tickets

from . import selectors
from .forms import MatterFormSet, VisitForm
from .models import Category, Status, Tier, Urgency
from .services import RaisedMatter, visit_log

PAGE_SIZE = 50


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def my_zone(request):
    """Households to visit, this year's coverage, and the search a team member needs."""
    scope = user_scope(request.user)
    year = timezone.localdate().year
    query = request.GET.get("q", "")
    zone_id = request.GET.get("zone") or None
    show = request.GET.get("show", "all")
    households = selectors.household_search(scope, query, whole_number(zone_id))
    if show == "unvisited":
        households = households.exclude(selectors.visited_this_year(year))
    coverage = selectors.visit_coverage(scope, year)
    return render(
        request,
        "grievances/zone.html",
        {
            "coverage": coverage,
            "visited": sum(c.visited for c in coverage),
            "total": sum(c.households for c in coverage),
            "page": _page(request, households.annotate(visited=selectors.visited_this_year(year))),
            "query": query,
            "zone_id": zone_id,
            "show": show,
            "year": year,
        },
    )


@login_required
def household_detail(request, pk):
    household = get_object_or_404(visible_households(user_scope(request.user)), pk=pk)
    return render(
        request,
        "grievances/household.html",
        {
            "household": household,
            "visits": household.visits.prefetch_related("visitors").select_related("recorded_by")[:20],
            "tickets": visible_tickets(user_scope(request.user))
            .filter(household=household)
            .select_related("category")
            .order_by("-created_at")[:20],
        },
    )


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


def _queue_filters(request, default_tier: str) -> selectors.QueueFilters:
    get = request.GET

    def number(name):
        return whole_number(get.get(name, ""))

    return selectors.QueueFilters(
        tier=get.get("tier", default_tier) if get.get("tier", default_tier) in Tier.values else "",
        committee=number("committee"),
        category=number("category"),
        urgency=get.get("urgency", "") if get.get("urgency", "") in Urgency.values else "",
        status=get.get("status", "") if get.get("status", "") in Status.values else "",
        overdue=get.get("overdue") == "1",
        query=get.get("q", ""),
    )


@login_required
def queue(request):
    """The queue a person works from: the street's triage (street tier by default), the
    committee's tickets, a zone's tickets — whatever the visibility rule gives them."""
    user = request.user
    filters = _queue_filters(request, selectors.default_queue_tier(user))
    scope = user_scope(user)
    tickets = selectors.ticket_queue(scope, filters)
    page = _page(request, tickets)
    return render(
        request,
        "grievances/queue.html",
        {
            "page": page,
            "filters": filters,
            "counts": selectors.queue_counts(tickets),
            "committees": visible_committees(scope).order_by("code"),
            "categories": Category.objects.filter(active=True),
            "tiers": Tier.choices,
            "urgencies": Urgency.choices,
            "statuses": Status.choices,
            "owners": assignable_owners_for_street(user),
            "bulk_actions": [Action.ACKNOWLEDGE, Action.ASSIGN],
            "querystring": request.GET.urlencode(),
            "now": timezone.now(),
        },
    )


def assignable_owners_for_street(user):
    if user.street_id is None:
        return User.objects.none()
    return User.objects.filter(
        is_active=True, street_id=user.street_id, role__in=[User.Role.STREET_STAFF, User.Role.STREET_LEADER]
    ).order_by("full_name")


@login_required
def my_tickets(request):
    """The open tickets I own or first received (首问负责制), deadlines counting down, and the
    resolved ones whose resident I still owe a call for feedback."""
    scope = user_scope(request.user)
    tickets = selectors.ticket_queue(scope, selectors.QueueFilters(owner_id=request.user.pk))
    awaiting = selectors.ticket_queue(scope, selectors.QueueFilters(owner_id=request.user.pk, status=Status.RESOLVED))
    return render(
        request,
        "grievances/my_tickets.html",
        {
            "page": _page(request, tickets),
            "awaiting": awaiting[:PAGE_SIZE],
            "now": timezone.now(),
        },
    )


@login_required
def ticket_detail(request, pk, forms=None, status=200):
    ticket = get_object_or_404(
        visible_tickets(user_scope(request.user)).select_related(
            "category", "owner", "first_receiver", "zone", "committee", "street", "household", "duplicate_of"
        ),
        pk=pk,
    )
    actions = allowed_actions(request.user, ticket)
    forms = forms or {}
    action_forms = [(action, forms.get(action) or action_form(action, ticket, request.user)) for action in actions]
    return render(
        request,
        "grievances/ticket_detail.html",
        {
            "ticket": ticket,
            "deadline": selectors.deadline_state(ticket),
            "events": ticket.events.select_related("actor"),
            "feedback": ticket.feedback.select_related("recorded_by"),
            "referrals": ticket.referrals.select_related("department"),
            "action_forms": action_forms,
            "has_transfer": ticket.transfers.exists(),
            "owners": assignable_owners(ticket),
        },
        status=status,
    )

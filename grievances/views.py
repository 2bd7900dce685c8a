"""The field screens that only read: a zone's households and visit coverage, a household's
page. Every id is looked up inside the visibility rule (404)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from core.pages import page_of
from core.params import whole_number
from responders.selectors import user_scope

from . import maps, selectors


@login_required
def my_zone(request, phone_scope_of=None):
    """Households to visit, this year's coverage, and the search a team member needs.

    `phone_scope_of(user)`: whose phones the person may search by, the personal-data rule of
    escalation.policy, which sits above this app (config.urls passes it); without it, none."""
    scope = user_scope(request.user)
    year = timezone.localdate().year
    query = request.GET.get("q", "")
    zone_id = request.GET.get("zone") or None
    show = request.GET.get("show", "all")
    phone_scope = phone_scope_of(request.user) if phone_scope_of is not None else None
    households = selectors.household_search(scope, query, whole_number(zone_id), phone_scope=phone_scope)
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
            "page": page_of(request, households.annotate(visited=selectors.visited_this_year(year))),
            "query": query,
            "zone_id": zone_id,
            "show": show,
            "year": year,
        },
    )


@login_required
def household_detail(request, pk):
    household = get_object_or_404(selectors.visible_households(user_scope(request.user)), pk=pk)
    return render(
        request,
        "grievances/household.html",
        {
            "household": household,
            "next_unvisited": selectors.next_unvisited(household, timezone.localdate().year),
            "visits": household.visits.prefetch_related("visitors").select_related("recorded_by")[:20],
            "tickets": selectors.visible_tickets(user_scope(request.user))
            .filter(household=household)
            .select_related("category")
            .order_by("-created_at")[:20],
        },
    )


@login_required
def street_map(request):
    """The open tickets the person sees that carry a point, coloured by their deadline, over
    the base map of ZHITONG_MAP_TILE_URL (a plain grid without one). Only this page lets
    the tile server's images in (the CSP's img-src, for this response)."""
    scope = user_scope(request.user)
    now = timezone.now()
    tickets = list(selectors.map_tickets(scope)[: selectors.MAP_MAX_POINTS])
    tile_url = settings.ZHITONG_MAP_TILE_URL
    drawing = maps.draw([(ticket, selectors.deadline_state(ticket, now)) for ticket in tickets], tile_url)
    states = dict.fromkeys(("overdue", "due_soon", "on_time"), 0)
    for point in drawing.points:
        states[point.state] = states.get(point.state, 0) + 1
    response = render(
        request,
        "grievances/map.html",
        {
            "drawing": drawing,
            "states": states,
            "unplaced": selectors.unplaced_open_count(scope),
            "truncated": len(tickets) == selectors.MAP_MAX_POINTS,
        },
    )
    host = maps.tile_host(tile_url) if drawing.tiles else None
    if host:
        response._csp_update = {"img-src": [host]}
    return response

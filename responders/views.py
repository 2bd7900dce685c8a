from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from . import selectors


@login_required
def home(request):
    """Where a person stands: who they are, their role and unit, and what they may see."""
    scope = selectors.user_scope(request.user)
    context = {
        "org_unit": request.user.org_unit,
        "zones": selectors.visible_zones(scope).order_by("code")[:50],
        "zone_count": selectors.visible_zones(scope).count(),
        "household_count": selectors.visible_households(scope).count(),
        "duty_committees": request.user.duty_committees.order_by("code"),
        "notifications": request.user.notifications.select_related("ticket")[:10],
        "unread_count": request.user.notifications.filter(read_at__isnull=True).count(),
    }
    return render(request, "responders/home.html", context)


def healthz(request):
    """For the load balancer and docker-compose: the process is up and the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})

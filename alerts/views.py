"""Home: where a person stands (role, unit, zones) and their alerts."""

from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from grievances.models import Ticket
from grievances.selectors import visible_households, visible_tickets
from responders.selectors import user_scope, visible_zones


@login_required
def home(request):
    """Where a person stands: who they are, their role and unit, and what they may see."""
    scope = user_scope(request.user)
    # Alerts about tickets the person can no longer see (moved away, team changed) are hidden.
    # Asked of each alert's own ticket (EXISTS by its key), not as "among the tickets the
    # person sees", which PostgreSQL answered by reading the street's whole history: 11 s
    # for a leader with five years of it (bench/history.py).
    inbox = request.user.notifications.select_related("ticket").filter(
        Q(ticket__isnull=True) | Exists(visible_tickets(scope).filter(pk=OuterRef("ticket_id")))
    )
    zone_count = visible_zones(scope).count()
    context = {
        "org_unit": request.user.org_unit,
        "zones": visible_zones(scope).order_by("code")[:50],
        "zone_count": zone_count,
        "household_count": visible_households(scope).count(),
        "duty_committees": request.user.duty_committees.order_by("code"),
        "notifications": inbox[:10],
        "unread_count": inbox.filter(read_at__isnull=True).count(),
        # A liaison's day is the department's referrals, not zones and households (unless
        # they also serve on a zone's team).
        "zoneless_department": bool(request.user.department_id) and not zone_count,
        "referrals": _open_referrals(request.user, scope) if request.user.department_id else None,
        "now": timezone.now(),
    }
    return render(request, "responders/home.html", context)


def _open_referrals(user, scope):
    """The department's open referrals, soonest answer-by first (escalation.Referral, reached
    through its relation: escalation sits above this app)."""
    referrals = Ticket._meta.get_field("referrals").related_model.objects
    return (
        referrals.filter(department_id=user.department_id, answered_at__isnull=True, withdrawn_at__isnull=True)
        .filter(ticket__in=visible_tickets(scope))
        .select_related("ticket__category", "ticket__committee", "ticket__zone", "ticket__street")
        .order_by("answer_by", "pk")[:20]
    )


@login_required
@require_POST
def alerts_read(request):
    """Mark every alert of this person read."""
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("home")

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.params import whole_number
from grievances.models import Tier
from grievances.views import ticket_detail
from responders.selectors import user_scope, visible_tickets

from .actions import perform_action
from .errors import InvalidInput, ZhitongError
from .forms import action_form
from .permissions import allowed_actions
from .transitions import Action


def _version(request) -> int | None:
    return whole_number(request.POST.get("version", ""))


@login_required
@require_POST
def ticket_action(request, pk, action):
    """Perform one action from the ticket page; on refusal, show the page again with the reason."""
    ticket = get_object_or_404(visible_tickets(user_scope(request.user)), pk=pk)
    if action not in Action.values:
        raise Http404
    if action not in allowed_actions(request.user, ticket):
        messages.error(request, _('You cannot use "%(action)s" on this ticket now.') % {"action": Action(action).label})
        return redirect("ticket", pk=pk)
    form = action_form(action, ticket, request.user, request.POST)
    if form.is_valid():
        try:
            perform_action(
                action, ticket=ticket, actor=request.user, params=form.cleaned_data, expected_version=_version(request)
            )
        except InvalidInput as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        except ZhitongError as error:
            messages.error(request, error.message)
            return redirect("ticket", pk=pk)
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": Action(action).label})
            return redirect("ticket", pk=pk)
    return ticket_detail(request, pk, forms={action: form}, status=400)


@login_required
@require_POST
def bulk_action(request):
    """Acknowledge, or assign an owner to, several tickets from the queue at once."""
    action = request.POST.get("action", "")
    ids = [pk for pk in map(whole_number, request.POST.getlist("tickets")) if pk is not None]
    back = redirect(f"{reverse('queue')}?{request.POST.get('querystring', '')}")
    if action not in (Action.ACKNOWLEDGE, Action.ASSIGN) or not ids:
        messages.error(request, _("Choose tickets and an action."))
        return back
    done, refused = [], []
    for ticket in visible_tickets(user_scope(request.user)).filter(pk__in=ids).order_by("pk"):
        form = action_form(action, ticket, request.user, request.POST, prefix="bulk")
        if action not in allowed_actions(request.user, ticket):
            refused.append(_("%(ref)s: not allowed now") % {"ref": ticket.reference})
            continue
        if not form.is_valid():
            refused.append(f"{ticket.reference}: {'; '.join(e for errs in form.errors.values() for e in errs)}")
            continue
        try:
            perform_action(action, ticket=ticket, actor=request.user, params=form.cleaned_data)
        except ZhitongError as error:
            refused.append(error.message)
        else:
            done.append(ticket.reference)
    if done:
        messages.success(
            request, _("%(action)s: %(count)s tickets.") % {"action": Action(action).label, "count": len(done)}
        )
    for reason in refused:
        messages.error(request, reason)
    return back


@login_required
def transfer_form(request, pk):
    """群众诉求转接单: the committee's printable request to the street for help."""
    ticket = get_object_or_404(
        visible_tickets(user_scope(request.user)).select_related("category", "committee", "street", "zone"), pk=pk
    )
    record = ticket.transfers.order_by("created_at", "pk").first()
    transfer = ticket.events.filter(kind="escalated", from_tier=Tier.COMMITTEE).select_related("actor").first()
    if transfer is None or record is None:
        raise Http404
    arrived = ticket.events.filter(kind="escalated", to_tier=Tier.COMMITTEE).first()
    at_committee = ticket.events.filter(at__gte=arrived.at if arrived else ticket.created_at, at__lt=transfer.at)
    if arrived:
        at_committee = at_committee.exclude(pk=arrived.pk)
    return render(
        request,
        "escalation/transfer_form.html",
        {
            "ticket": ticket,
            "transfer": transfer,
            "record": record,
            "history": ticket.events.filter(at__lte=transfer.at).select_related("actor"),
            "committee_work": at_committee.select_related("actor"),
        },
    )

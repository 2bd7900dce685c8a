"""The invitation screens (约请): the committee's invitations and those to a department or a
leader, inviting from a ticket or a consultation matter, answering, the session's decision
and its follow-up."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import InvalidInput, NotPermitted, ZhitongError
from core.params import whole_number
from escalation import policy
from grievances.selectors import visible_tickets
from responders.selectors import user_scope

from . import forms, invitations, selectors
from .models import Invitation


@login_required
def invitation_list(request):
    return render(
        request,
        "consultation/invitation_list.html",
        {"invitations": selectors.visible_invitations(user_scope(request.user))[:200]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def invitation_new(request):
    """Invite about the ticket or the matter named in the query string (`ticket=`, `matter=`)."""
    scope = user_scope(request.user)
    ticket = matter = None
    if (pk := whole_number(request.GET.get("ticket", ""))) is not None:
        ticket = get_object_or_404(visible_tickets(scope).filter(committee__isnull=False), pk=pk)
        committee = ticket.committee
    elif (pk := whole_number(request.GET.get("matter", ""))) is not None:
        matter = get_object_or_404(selectors.visible_matters(scope).filter(committee__isnull=False), pk=pk)
        committee = matter.committee
    else:
        raise Http404
    if not policy.may(request.user, policy.Right.RUN_CONSULTATION, committee):
        raise Http404
    form = forms.InvitationForm(request.POST or None, street_id=committee.street_id)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitations.invitation_send(
                actor=request.user, committee=committee, ticket=ticket, matter=matter, **form.cleaned_data
            )
        except (InvalidInput, NotPermitted) as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Invitation sent to %(who)s.") % {"who": invitation.invitee})
            return redirect("invitation", pk=invitation.pk)
    return render(
        request,
        "consultation/invitation_form.html",
        {"form": form, "ticket": ticket, "matter": matter, "committee": committee},
        status=400 if form.errors else 200,
    )


def _visible(request, pk) -> Invitation:
    return get_object_or_404(selectors.visible_invitations(user_scope(request.user)), pk=pk)


@login_required
def invitation_detail(request, pk, bound=None, status=200):
    invitation = _visible(request, pk)
    bound = bound or {}
    acts = policy.may(request.user, policy.Right.RUN_CONSULTATION, invitation.committee)
    context = {"invitation": invitation}
    if invitation.status == Invitation.Status.INVITED and invitations.may_answer(request.user, invitation):
        context["answer_form"] = bound.get("answer") or forms.AnswerForm()
    if acts and invitation.status == Invitation.Status.ACCEPTED:
        context["decision_form"] = bound.get("decide") or forms.InvitationDecisionForm()
    if acts and invitation.status == Invitation.Status.DECIDED:
        context["follow_up_form"] = bound.get("follow_up") or forms.FollowUpForm()
    return render(request, "consultation/invitation_detail.html", context, status=status)


@login_required
@require_POST
def invitation_act(request, pk, action):
    invitation = _visible(request, pk)
    form = None
    try:
        if action == "answer":
            form = forms.AnswerForm(request.POST)
            if form.is_valid():
                invitations.invitation_answer(invitation=invitation, actor=request.user, **form.cleaned_data)
                messages.success(request, _("Answer recorded."))
        elif action == "decide":
            form = forms.InvitationDecisionForm(request.POST)
            if form.is_valid():
                invitations.invitation_decide(invitation=invitation, actor=request.user, **form.cleaned_data)
                messages.success(request, _("Decision recorded."))
        elif action == "follow_up":
            form = forms.FollowUpForm(request.POST)
            if form.is_valid():
                invitations.invitation_follow_up(invitation=invitation, actor=request.user, **form.cleaned_data)
                messages.success(request, _("Follow-up recorded."))
        else:
            raise Http404
    except (InvalidInput, NotPermitted) as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
    except ZhitongError as error:
        messages.error(request, error.message)
        return redirect("invitation", pk=pk)
    if form is not None and form.errors:
        return invitation_detail(request, pk, bound={action: form}, status=400)
    return redirect("invitation", pk=pk)

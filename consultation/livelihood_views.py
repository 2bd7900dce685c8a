"""The livelihood-project screens (民生实事): this half-year's proposals and earlier rounds, a
project's page (the proposal meeting's decision, milestones, progress, completion, the
maintenance contract and its reviews) and the printable contract."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import InvalidInput, NotPermitted, ZhitongError
from core.params import whole_number
from escalation import policy
from meetings.models import Meeting
from meetings.selectors import visible_meetings
from responders.selectors import user_scope

from . import covenant_views, forms, livelihood, selectors, services
from .models import LivelihoodProject, MaintenanceContract
from .views import _unit_people


@login_required
def project_list(request):
    projects = selectors.visible_projects(user_scope(request.user))
    periods = list(projects.order_by("-period").values_list("period", flat=True).distinct())
    current = livelihood.half_year(timezone.localdate())
    period = request.GET.get("period", "") or (periods[0] if periods else current)
    streets, committees = forms.consultation_units(request.user)
    return render(
        request,
        "consultation/project_list.html",
        {
            "projects": projects.filter(period=period[:7]).order_by("status", "pk"),
            "periods": sorted(set(periods) | {current}, reverse=True),
            "period": period[:7],
            "may_propose": streets.exists() or committees.exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_new(request):
    streets, committees = forms.consultation_units(request.user)
    if not (streets.exists() or committees.exists()):
        raise Http404
    form = forms.ProposalForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            project = livelihood.project_propose(actor=request.user, **form.cleaned_data)
        except (InvalidInput, NotPermitted) as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Proposal recorded: %(title)s.") % {"title": project.title})
            return redirect("livelihood_project", pk=project.pk)
    return render(request, "consultation/project_form.html", {"form": form}, status=400 if form.errors else 200)


def _visible_project(request, pk) -> LivelihoodProject:
    return get_object_or_404(selectors.visible_projects(user_scope(request.user)), pk=pk)


def _decision_form(request, project, data=None):
    meetings = (
        visible_meetings(user_scope(request.user))
        .filter(
            type__code=livelihood.PROPOSAL_MEETING,
            street=project.street_id,
            committee__isnull=True,
            starts_at__lte=timezone.now(),
        )
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("-starts_at")
    )
    return forms.ProjectDecisionForm(data, meetings=meetings, people=_unit_people(project))


@login_required
def project_detail(request, pk, bound=None, status=200):
    project = _visible_project(request, pk)
    bound = bound or {}
    today = timezone.localdate()
    acts = policy.may(request.user, policy.Right.RUN_CONSULTATION, project.unit)
    contract = getattr(project, "contract", None)
    context = {
        "project": project,
        "milestones": [(m, m.is_late(today)) for m in project.milestones.all()],
        "contract": contract,
        "reviews": contract.reviews.select_related("ticket", "reviewed_by") if contract else [],
        "next_review": livelihood.contract_reviews_due(contract, today) if contract else None,
        "events": project.events.select_related("actor"),
        "hearings": project.hearings.select_related("meeting"),
        "may_act": acts,
        "implementing": project.status == LivelihoodProject.Status.SELECTED,
    }
    if acts:
        context.update(
            decision_form=(bound.get("decide") or _decision_form(request, project))
            if project.status == LivelihoodProject.Status.PROPOSED
            and policy.may(request.user, policy.Right.RUN_CONSULTATION, project.street)
            else None,
            milestone_form=bound.get("milestone") or forms.MilestoneForm(),
            progress_form=bound.get("progress") or forms.ProgressForm(initial={"progress": project.progress}),
            contract_form=bound.get("contract") or forms.ContractForm(),
            review_form=bound.get("review") or forms.ReviewForm(),
            hearing_form=bound.get("hearing") or covenant_views.hearing_form(request, project),
        )
    return render(request, "consultation/project_detail.html", context, status=status)


@login_required
@require_POST
def project_act(request, pk, action):
    project = _visible_project(request, pk)
    if not policy.may(request.user, policy.Right.RUN_CONSULTATION, project.unit):
        raise Http404
    user = request.user
    form = None
    try:
        if action == "decide":
            form = _decision_form(request, project, request.POST)
            if form.is_valid():
                livelihood.project_decide(project=project, actor=user, **form.cleaned_data)
                messages.success(request, _("Decision recorded."))
        elif action == "milestone":
            form = forms.MilestoneForm(request.POST)
            if form.is_valid():
                services.milestone_add(project=project, actor=user, **form.cleaned_data)
                messages.success(request, _("Milestone added."))
        elif action == "milestone_done":
            milestone = get_object_or_404(project.milestones, pk=whole_number(request.POST.get("milestone", "")) or 0)
            services.milestone_done(milestone=milestone, actor=user)
            messages.success(request, _("Milestone done."))
        elif action == "progress":
            form = forms.ProgressForm(request.POST)
            if form.is_valid():
                services.progress_report(project=project, actor=user, **form.cleaned_data)
                messages.success(request, _("Progress saved."))
        elif action == "hearing":
            form = covenant_views.hearing_post(request, project)
            if not form.errors:
                form = None
        elif action == "complete":
            livelihood.project_complete(project=project, actor=user)
            messages.success(request, _("The project is completed."))
        elif action == "contract":
            form = forms.ContractForm(request.POST)
            if form.is_valid():
                livelihood.contract_sign(project=project, actor=user, **form.cleaned_data)
                messages.success(request, _("Maintenance contract recorded."))
        elif action == "review":
            contract = getattr(project, "contract", None)
            if contract is None:
                raise Http404
            form = forms.ReviewForm(request.POST)
            if form.is_valid():
                review = livelihood.contract_review(contract=contract, actor=user, **form.cleaned_data)
                if review.ticket_id:
                    messages.warning(
                        request, _("Breach recorded: ticket %(ref)s opened.") % {"ref": review.ticket.reference}
                    )
                else:
                    messages.success(request, _("Review recorded."))
        else:
            raise Http404
    except (InvalidInput, NotPermitted) as error:
        if form is None:
            messages.error(request, error.message)
            return redirect("livelihood_project", pk=pk)
        form.add_error(error.field if error.field in form.fields else None, error.message)
    except ZhitongError as error:
        messages.error(request, error.message)
        return redirect("livelihood_project", pk=pk)
    if form is not None and form.errors:
        return project_detail(request, pk, bound={action: form}, status=400)
    return redirect("livelihood_project", pk=pk)


@login_required
def contract_print(request, pk):
    project = _visible_project(request, pk)
    contract = get_object_or_404(MaintenanceContract, project=project)
    return render(request, "consultation/contract.html", {"project": project, "contract": contract})

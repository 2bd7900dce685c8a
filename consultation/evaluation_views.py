"""The year-end democratic evaluation's screens (民主评议会): the committees' evaluations by
year, opening one for a meeting, its page (report on duty, problem and task lists, scores,
opinion) and the printable opinion."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ZhitongError
from core.params import whole_number
from escalation import policy
from meetings.models import Meeting
from meetings.selectors import visible_meetings
from responders.selectors import user_scope, visible_committees

from . import evaluation as services
from . import forms
from .models import EvaluationScore, EvaluationTask, YearEndEvaluation


def visible_evaluations(user):
    return YearEndEvaluation.objects.filter(committee__in=visible_committees(user_scope(user)).values("pk"))


def _evaluation(request, pk) -> YearEndEvaluation:
    return get_object_or_404(
        visible_evaluations(request.user).select_related("committee__street", "meeting__type"), pk=pk
    )


@login_required
def evaluation_list(request):
    evaluations = (
        visible_evaluations(request.user).select_related("committee", "meeting").order_by("-year", "committee")
    )
    # The evaluation meetings of committees the person acts for that have none opened yet.
    meetings = [
        meeting
        for meeting in visible_meetings(user_scope(request.user))
        .filter(
            type__code=services.EVALUATION_TYPE, committee__isnull=False, zone__isnull=True, year_end_evaluation=None
        )
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("committee", "type")
        .order_by("-starts_at")[:20]
        if policy.may(request.user, policy.Right.RUN_CONSULTATION, meeting.committee)
    ]
    return render(
        request, "consultation/evaluation_list.html", {"evaluations": evaluations[:200], "meetings": meetings}
    )


@login_required
@require_POST
def evaluation_open(request):
    meeting = get_object_or_404(
        visible_meetings(user_scope(request.user)).select_related("committee", "type"),
        pk=whole_number(request.POST.get("meeting", "")) or 0,
    )
    try:
        evaluation = services.evaluation_open(actor=request.user, meeting=meeting)
    except ZhitongError as error:
        messages.error(request, error.message)
        return redirect("evaluations")
    return redirect("evaluation", pk=evaluation.pk)


def _page(request, evaluation, bound=None, status=200):
    bound = bound or {}
    acts = policy.may(request.user, policy.Right.RUN_CONSULTATION, evaluation.committee)
    criteria = evaluation.meeting.type.criteria
    context = {
        "evaluation": evaluation,
        "criteria": criteria,
        "problems": evaluation.problems.all(),
        "tasks": evaluation.tasks.select_related("carried_from__evaluation"),
        "scores": [(row, row.in_order(criteria)) for row in evaluation.scores.all()],
        "last_year": YearEndEvaluation.objects.filter(committee=evaluation.committee, year=evaluation.year - 1)
        .prefetch_related("tasks")
        .first(),
        "acts": acts,
    }
    if acts:
        context.update(
            report_form=bound.get("report") or forms.DutyReportForm(initial={"duty_report": evaluation.duty_report}),
            problem_form=bound.get("problem") or forms.ProblemForm(),
            task_form=bound.get("task") or forms.TaskForm(),
            track_form=forms.TaskTrackForm(),
            score_form=bound.get("score") or forms.ScoreForm(criteria=criteria),
            opinion_form=bound.get("opinion") or forms.OpinionForm(initial={"opinion": evaluation.opinion}),
        )
    return render(request, "consultation/evaluation_detail.html", context, status=status)


@login_required
def evaluation_detail(request, pk):
    return _page(request, _evaluation(request, pk))


@login_required
@require_POST
def evaluation_act(request, pk, action):
    evaluation = _evaluation(request, pk)
    if not policy.may(request.user, policy.Right.RUN_CONSULTATION, evaluation.committee):
        raise Http404
    user, form = request.user, None
    try:
        if action == "report":
            form = forms.DutyReportForm(request.POST)
            if form.is_valid():
                services.duty_report_save(evaluation=evaluation, actor=user, text=form.cleaned_data["duty_report"])
                messages.success(request, _("Report on duty saved."))
        elif action == "problem":
            form = forms.ProblemForm(request.POST)
            if form.is_valid():
                services.problem_add(evaluation=evaluation, actor=user, **form.cleaned_data)
                messages.success(request, _("Problem added."))
        elif action == "task":
            form = forms.TaskForm(request.POST)
            if form.is_valid():
                services.task_add(evaluation=evaluation, actor=user, **form.cleaned_data)
                messages.success(request, _("Task added."))
        elif action == "track":
            task = get_object_or_404(evaluation.tasks, pk=whole_number(request.POST.get("task", "")) or 0)
            form = forms.TaskTrackForm(request.POST)
            if form.is_valid():
                services.task_track(task=task, actor=user, **form.cleaned_data)
                messages.success(request, _("Task updated."))
            else:
                messages.error(request, _("Choose the task's status."))
                return redirect("evaluation", pk=pk)
            form = None
        elif action == "score":
            form = forms.ScoreForm(request.POST, criteria=evaluation.meeting.type.criteria)
            if form.is_valid():
                data = form.cleaned_data
                services.score_record(
                    evaluation=evaluation,
                    actor=user,
                    subject=data["subject"],
                    name=data["name"],
                    post=data["post"],
                    raters=data["raters"],
                    scores=form.scores(),
                )
                messages.success(request, _("Scores recorded."))
        elif action == "opinion":
            form = forms.OpinionForm(request.POST)
            if form.is_valid():
                services.opinion_give(evaluation=evaluation, actor=user, text=form.cleaned_data["opinion"])
                messages.success(request, _("Opinion recorded."))
        else:
            raise Http404
    except ZhitongError as error:
        if form is None:
            messages.error(request, error.message)
            return redirect("evaluation", pk=pk)
        form.add_error(error.field if error.field in form.fields else None, error.message)
    if form is not None and form.errors:
        return _page(request, evaluation, bound={action: form}, status=400)
    return redirect("evaluation", pk=pk)


@login_required
@require_http_methods(["GET"])
def evaluation_print(request, pk):
    """The evaluation's opinion, printable: the report on duty, the lists, the scores."""
    evaluation = _evaluation(request, pk)
    criteria = evaluation.meeting.type.criteria
    scores = [(row, row.in_order(criteria)) for row in evaluation.scores.all()]
    return render(
        request,
        "consultation/evaluation_print.html",
        {
            "evaluation": evaluation,
            "criteria": criteria,
            "committee_score": next((s for s in scores if s[0].subject == EvaluationScore.Subject.COMMITTEE), None),
            "cadres": [s for s in scores if s[0].subject == EvaluationScore.Subject.CADRE],
            "problems": evaluation.problems.all(),
            "tasks": evaluation.tasks.all(),
            "task_statuses": EvaluationTask.Status,
        },
    )

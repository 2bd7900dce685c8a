"""Writes for the year-end democratic evaluation (民主评议会, seed 002).

Once a year per committee, at a meeting of the type `democratic_evaluation` (meetings): the
evaluation is opened for the meeting (its year is the meeting's), with the report on duty
(述职) drafted from the year's own figures for the committee to edit; the tasks of last year's
evaluation still unfinished are carried into it. The problem and task lists are kept by the
committee; once the meeting has begun, the representatives' scores of the committee and of
each cadre (百姓评领导) on the type's criteria, and the meeting's opinion, are recorded. Only
those who act for the committee (Right.RUN_CONSULTATION) write; each write locks the
evaluation's row (core.locks) and is safe to retry.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock
from core.enums import Status
from core.errors import InvalidInput, InvalidTransition
from core.locks import lock_one
from grievances.models import Ticket
from meetings.models import Meeting
from responders.models import User

from .models import EvaluationProblem, EvaluationScore, EvaluationTask, Matter, Step, YearEndEvaluation
from .services import Actor, _require_acts_for, _text

EVALUATION_TYPE = "democratic_evaluation"


def _year_of(meeting: Meeting) -> int:
    return timezone.localtime(meeting.starts_at, clock.SHANGHAI).year


def duty_report_draft(committee, year: int) -> str:
    """A first draft of the report on duty from the committee's own figures of the year."""
    start = dt.datetime(year, 1, 1, tzinfo=clock.SHANGHAI)
    end = dt.datetime(year + 1, 1, 1, tzinfo=clock.SHANGHAI)
    tickets = Ticket.objects.filter(committee=committee, created_at__gte=start, created_at__lt=end).exclude(
        status=Status.CANCELLED
    )
    received = tickets.count()
    resolved = tickets.filter(status__in=(Status.RESOLVED, Status.CLOSED)).count()
    settled_here = tickets.filter(status__in=(Status.RESOLVED, Status.CLOSED), tier__in=("zone", "committee")).count()
    meetings = Meeting.objects.filter(
        committee=committee, status=Meeting.Status.HELD, starts_at__gte=start, starts_at__lt=end
    ).count()
    matters = Matter.objects.filter(committee=committee, created_at__gte=start, created_at__lt=end)
    return _(
        "In %(year)s the committee received %(received)s requests and resolved %(resolved)s of them "
        "(%(here)s within the committee and its zones). It held %(meetings)s meetings. "
        "%(matters)s consultation matters were raised, %(done)s of them carried out with the result published.\n"
        "What went well:\n\nWhat fell short:\n"
    ) % {
        "year": year,
        "received": received,
        "resolved": resolved,
        "here": settled_here,
        "meetings": meetings,
        "matters": matters.count(),
        "done": matters.filter(step=Step.RESULT_PUBLISHED).count(),
    }


def evaluation_open(*, actor: Actor, meeting: Meeting | None, now: dt.datetime | None = None) -> YearEndEvaluation:
    """The evaluation of the meeting's committee and year, with its report drafted and last
    year's unfinished tasks carried in. Opening it again returns the one there is."""
    now = clock.now(now)
    if meeting is None:
        raise InvalidInput(_("Name the meeting."), field="meeting")
    if meeting.type.code != EVALUATION_TYPE or meeting.committee_id is None or meeting.zone_id is not None:
        raise InvalidInput(_("That is not a committee's year-end democratic evaluation meeting."), field="meeting")
    committee = meeting.committee
    _require_acts_for(actor, committee)
    if meeting.status == Meeting.Status.CANCELLED:
        raise InvalidInput(_("That meeting was cancelled."), field="meeting")
    year = _year_of(meeting)
    existing = YearEndEvaluation.objects.filter(committee=committee, year=year).first()
    if existing is not None:
        if existing.meeting_id != meeting.pk:
            raise InvalidInput(
                _("%(committee)s has its %(year)s evaluation at another meeting.")
                % {"committee": committee, "year": year},
                field="meeting",
            )
        return existing
    try:
        with transaction.atomic():
            evaluation = YearEndEvaluation.objects.create(
                committee=committee,
                year=year,
                meeting=meeting,
                duty_report=duty_report_draft(committee, year),
                created_by=actor if isinstance(actor, User) else None,
                created_at=now,
            )
            earlier = YearEndEvaluation.objects.filter(committee=committee, year__lt=year).order_by("-year").first()
            if earlier is not None:
                unfinished = EvaluationTask.objects.filter(
                    evaluation=earlier, status__in=EvaluationTask.UNFINISHED
                ).order_by("position", "pk")
                for position, task in enumerate(unfinished):
                    EvaluationTask.objects.create(
                        evaluation=evaluation,
                        text=task.text,
                        responsible=task.responsible,
                        due_on=task.due_on,
                        status=task.status,
                        note=task.note,
                        carried_from=task,
                        position=position,
                    )
                unfinished.update(status=EvaluationTask.Status.CARRIED)
            return evaluation
    except IntegrityError:
        # Opened at the same moment by someone else: theirs is the one.
        return YearEndEvaluation.objects.get(committee=committee, year=year)


def _locked(evaluation: YearEndEvaluation, actor: Actor) -> YearEndEvaluation:
    evaluation = lock_one(YearEndEvaluation.objects.select_related("committee", "meeting__type"), evaluation.pk)
    _require_acts_for(actor, evaluation.committee)
    return evaluation


def _begun(evaluation: YearEndEvaluation, now: dt.datetime) -> None:
    if evaluation.meeting.starts_at > now:
        raise InvalidTransition(_("The evaluation meeting has not begun yet."), code="not_begun")


def duty_report_save(
    *, evaluation: YearEndEvaluation, actor: Actor, text: str, now: dt.datetime | None = None
) -> YearEndEvaluation:
    text = _text(text, "duty_report", _("the report on duty"))
    with transaction.atomic():
        evaluation = _locked(evaluation, actor)
        evaluation.duty_report = text
        evaluation.save(update_fields=["duty_report"])
    return evaluation


def problem_add(*, evaluation: YearEndEvaluation, actor: Actor, text: str) -> EvaluationProblem:
    """A line of the problem list; the same line twice is kept once (a retried post)."""
    text = _text(text, "text", _("the problem"), max_length=300)
    with transaction.atomic():
        evaluation = _locked(evaluation, actor)
        problem = evaluation.problems.filter(text=text).first()
        if problem is None:
            last = evaluation.problems.aggregate(n=Max("position"))["n"]
            problem = EvaluationProblem.objects.create(
                evaluation=evaluation, text=text, position=0 if last is None else last + 1
            )
    return problem


def task_add(
    *, evaluation: YearEndEvaluation, actor: Actor, text: str, responsible: str, due_on: dt.date | None
) -> EvaluationTask:
    """A line of the task list, for the year after the evaluation: who answers for it and by
    when. The same task twice is kept once (a retried post)."""
    text = _text(text, "text", _("the task"), max_length=300)
    responsible = _text(responsible, "responsible", _("who is responsible"), max_length=100)
    if due_on is None:
        raise InvalidInput(_("Give the date it is due."), field="due_on")
    if due_on.year < evaluation.year:
        raise InvalidInput(_("A task is due after the year it comes from."), field="due_on")
    with transaction.atomic():
        evaluation = _locked(evaluation, actor)
        task = evaluation.tasks.filter(text=text).first()
        if task is None:
            last = evaluation.tasks.aggregate(n=Max("position"))["n"]
            task = EvaluationTask.objects.create(
                evaluation=evaluation,
                text=text,
                responsible=responsible,
                due_on=due_on,
                position=0 if last is None else last + 1,
            )
    return task


def task_track(
    *, task: EvaluationTask, actor: Actor, status: str, note: str = "", now: dt.datetime | None = None
) -> EvaluationTask:
    """The committee's tracking of a task through its year: not started, in progress, done.
    A task carried into the next year is tracked there."""
    now = clock.now(now)
    if status not in EvaluationTask.UNFINISHED + (EvaluationTask.Status.DONE,):
        raise InvalidInput(_("Choose the task's status."), field="status")
    with transaction.atomic():
        _locked(task.evaluation, actor)
        task = lock_one(EvaluationTask.objects.all(), task.pk)
        if task.status == EvaluationTask.Status.CARRIED:
            raise InvalidTransition(_("This task was carried into the next year: track it there."), code="carried")
        task.status = status
        task.note = (note or "").strip() or task.note
        task.done_on = timezone.localtime(now, clock.SHANGHAI).date() if status == EvaluationTask.Status.DONE else None
        task.save(update_fields=["status", "note", "done_on"])
    return task


def _score(value, criterion: str) -> float:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Score %(criterion)s from 1 to 5.") % {"criterion": criterion}, field=criterion) from None
    if not Decimal(1) <= number <= Decimal(5):
        raise InvalidInput(_("Score %(criterion)s from 1 to 5.") % {"criterion": criterion}, field=criterion)
    return float(round(number, 1))


def score_record(
    *,
    evaluation: YearEndEvaluation,
    actor: Actor,
    subject: str,
    scores: dict,
    raters: int | None,
    name: str = "",
    post: str = "",
    now: dt.datetime | None = None,
) -> EvaluationScore:
    """The representatives' scores of the committee, or of one cadre (named, with their post),
    on every criterion of the meeting's type: the mean of their ballots, 1 to 5. Recording
    the same subject again replaces its scores (a recount, a retried post)."""
    now = clock.now(now)
    if subject not in EvaluationScore.Subject.values:
        raise InvalidInput(_("Choose whom the scores are for."), field="subject")
    if subject == EvaluationScore.Subject.CADRE:
        name = _text(name, "name", _("the cadre's name"), max_length=100)
    if not raters or raters < 1:
        raise InvalidInput(_("Give how many representatives scored."), field="raters")
    with transaction.atomic():
        evaluation = _locked(evaluation, actor)
        _begun(evaluation, now)
        criteria = list(evaluation.meeting.type.criteria)
        clean = {criterion: _score(scores.get(criterion), criterion) for criterion in criteria}
        if subject == EvaluationScore.Subject.COMMITTEE:
            name, post = evaluation.committee.name, ""
        row, _created = EvaluationScore.objects.update_or_create(
            evaluation=evaluation,
            subject=subject,
            name=name,
            defaults={
                "post": post.strip(),
                "scores": clean,
                "raters": raters,
                "recorded_by": actor if isinstance(actor, User) else None,
                "recorded_at": now,
            },
        )
    return row


def opinion_give(
    *, evaluation: YearEndEvaluation, actor: Actor, text: str, now: dt.datetime | None = None
) -> YearEndEvaluation:
    """The meeting's opinion (评议意见), once the committee has been scored; it may be
    corrected afterwards (the printed page shows the latest)."""
    now = clock.now(now)
    text = _text(text, "opinion", _("the opinion"))
    with transaction.atomic():
        evaluation = _locked(evaluation, actor)
        _begun(evaluation, now)
        if not evaluation.scores.filter(subject=EvaluationScore.Subject.COMMITTEE).exists():
            raise InvalidTransition(_("Record the committee's scores first."), code="not_scored")
        evaluation.opinion = text
        evaluation.opinion_on = evaluation.opinion_on or timezone.localtime(now, clock.SHANGHAI).date()
        evaluation.save(update_fields=["opinion", "opinion_on"])
    return evaluation

"""The consultation screens: the matters a person sees, a matter's page (its seven steps, its
implementation) and the public notices (公示) anyone may read without signing in."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.clock import SHANGHAI
from core.errors import InvalidInput, NotPermitted, ZhitongError
from core.params import whole_number
from escalation import policy
from grievances.selectors import visible_tickets
from meetings.models import Meeting
from meetings.selectors import visible_meetings
from meetings.topics import visible_topics
from responders.models import User
from responders.selectors import user_scope

from . import covenant_views, forms, selectors, services
from .models import Matter, MatterStatus, Step

STATUSES = {
    MatterStatus.DELIBERATING: Q(step__lt=Step.RESOLVED),
    MatterStatus.RESOLVED: Q(step=Step.RESOLVED),
    MatterStatus.IN_NOTICE: Q(step=Step.PUBLISHED),
    MatterStatus.IMPLEMENTING: Q(step=Step.IMPLEMENTED),
    MatterStatus.COMPLETED: Q(step=Step.RESULT_PUBLISHED),
}


def _may_run(user: User, matter: Matter) -> bool:
    return policy.may(user, policy.Right.RUN_CONSULTATION, matter.unit)


@login_required
def matter_list(request):
    matters = selectors.visible_matters(user_scope(request.user))
    status = request.GET.get("status", "")
    if status == MatterStatus.REJECTED:
        matters = matters.filter(rejected_at__isnull=False)
    elif status in STATUSES:
        matters = matters.filter(STATUSES[status], rejected_at__isnull=True)
    streets, committees = forms.consultation_units(request.user)
    return render(
        request,
        "consultation/matter_list.html",
        {
            "matters": matters[:200],
            "statuses": MatterStatus.choices,
            "status": status,
            "may_raise": streets.exists() or committees.exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def matter_new(request):
    streets, committees = forms.consultation_units(request.user)
    if not (streets.exists() or committees.exists()):
        raise Http404
    ticket = None
    ticket_pk = whole_number(request.POST.get("ticket") or request.GET.get("ticket") or "")
    if ticket_pk is not None:
        ticket = get_object_or_404(visible_tickets(user_scope(request.user)), pk=ticket_pk)
    topic = None
    topic_pk = whole_number(request.POST.get("topic") or request.GET.get("topic") or "")
    if topic_pk is not None:
        topic = get_object_or_404(visible_topics(user_scope(request.user)), pk=topic_pk)
    initial = {}
    if topic is not None:
        initial = {"source": "hot_spot", "title": topic.summary[:200], "source_note": topic.summary[:300]}
        initial["unit"] = f"committee:{topic.committee_id}" if topic.committee_id else f"street:{topic.street_id}"
    if ticket is not None:
        initial = {"ticket": ticket.pk, "source": "ticket", "description": ticket.description}
        unit = f"committee:{ticket.committee_id}" if ticket.committee_id else f"street:{ticket.street_id}"
        initial["unit"] = unit
    form = forms.MatterForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            matter = services.matter_raise(
                actor=request.user,
                unit=data["unit"],
                title=data["title"],
                description=data["description"],
                source=data["source"],
                source_note=data["source_note"],
                notice_days=data["notice_days"],
                ticket=ticket,
                recurring_topic=topic,
            )
        except (InvalidInput, NotPermitted) as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Consultation matter raised: %(title)s.") % {"title": matter.title})
            return redirect("consultation_matter", pk=matter.pk)
    return render(
        request,
        "consultation/matter_form.html",
        {"form": form, "ticket": ticket, "topic": topic},
        status=400 if form.errors else 200,
    )


def _visible_matter(request, pk) -> Matter:
    return get_object_or_404(selectors.visible_matters(user_scope(request.user)), pk=pk)


def _unit_meetings(request, matter: Matter):
    """The meetings a step may name: the matter's unit's, not cancelled, latest first."""
    meetings = visible_meetings(user_scope(request.user)).filter(
        street=matter.street_id, committee=matter.committee_id, zone__isnull=True
    )
    return meetings.exclude(status=Meeting.Status.CANCELLED).order_by("-starts_at")[:40]


def _unit_people(matter: Matter):
    people = Q(street_id=matter.street_id, role__in=[User.Role.STREET_STAFF, User.Role.STREET_LEADER])
    if matter.committee_id:
        people |= Q(committee_id=matter.committee_id)
    return User.objects.filter(is_active=True).filter(people).order_by("full_name", "username")


def _step_form(request, matter: Matter, data=None):
    return forms.StepForm(
        data,
        matter=matter,
        step=matter.next_step,
        meetings=Meeting.objects.filter(pk__in=[m.pk for m in _unit_meetings(request, matter)]).order_by("-starts_at"),
        people=_unit_people(matter),
        initial={"held_on": timezone.localdate()},
    )


@login_required
def matter_detail(request, pk, bound=None, status=200):
    matter = _visible_matter(request, pk)
    bound = bound or {}
    may_run = _may_run(request.user, matter)
    today = timezone.localdate()
    next_step = matter.next_step
    context = {
        "matter": matter,
        "steps": matter.steps.select_related("meeting__type", "recorded_by"),
        "pending": [step for step in Step if step > matter.step] if not matter.rejected_at else [],
        "milestones": [(m, m.is_late(today)) for m in matter.milestones.all()],
        "supervisors": [(supervisor, None) for supervisor in matter.supervisors.all()],
        "events": matter.events.select_related("actor"),
        "hearings": matter.hearings.select_related("meeting"),
        "may_run": may_run,
        "next_step": next_step,
        "planning": not matter.rejected_at and Step.RESOLVED <= matter.step < Step.RESULT_PUBLISHED,
        "implementing": not matter.rejected_at and matter.step == Step.IMPLEMENTED,
        "notice_over": matter.notice_over(today),
    }
    if may_run:
        context.update(
            step_form=(bound.get("step") or _step_form(request, matter)) if next_step else None,
            milestone_form=bound.get("milestone") or forms.MilestoneForm(),
            progress_form=bound.get("progress") or forms.ProgressForm(initial={"progress": matter.progress}),
            supervisor_form=bound.get("supervisor") or forms.SupervisorForm(),
            hearing_form=bound.get("hearing") or covenant_views.hearing_form(request, matter),
        )
        # One sign-off form per supervisor, each with its own field ids.
        context["supervisors"] = [
            (supervisor, bound.get(("sign_off", supervisor.pk)) or forms.SignOffForm(prefix=f"s{supervisor.pk}"))
            for supervisor, _form in context["supervisors"]
        ]
    return render(request, "consultation/matter_detail.html", context, status=status)


@login_required
@require_POST
def matter_act(request, pk, action):
    """One change to a matter from its page; a refusal shows the page again with the reason."""
    matter = _visible_matter(request, pk)
    if not _may_run(request.user, matter):
        raise Http404
    user = request.user
    form = None
    key = action
    try:
        if action == "step":
            if matter.next_step is None:
                raise services.InvalidTransition(_("No step is left to record."))
            form = _step_form(request, matter, request.POST)
            # The step the page showed: a second tab's or a retried post is refused, not moved on.
            shown = whole_number(request.POST.get("number", ""))
            if form.is_valid():
                data = form.cleaned_data
                vote = None
                if matter.next_step == Step.RESOLVED:
                    vote = services.Vote(
                        representatives=data["representatives"],
                        present=data["present"],
                        votes_for=data["votes_for"],
                        votes_against=data.get("votes_against") or 0,
                        votes_abstaining=data.get("votes_abstaining") or 0,
                    )
                services.step_record(
                    matter=matter,
                    actor=user,
                    number=shown if shown is not None else matter.next_step,
                    held_on=data.get("held_on"),
                    meeting=data.get("meeting"),
                    participants=data.get("participants", ""),
                    outcome=data["outcome"],
                    passed=data.get("passed") if data.get("passed") != "" else None,
                    vote=vote,
                    rejection_reason=data.get("rejection_reason", ""),
                    responsible_unit=data.get("responsible_unit", ""),
                    responsible_person=data.get("responsible_person", ""),
                    responsible_user=data.get("responsible_user"),
                )
                messages.success(request, _("Step recorded."))
        elif action == "milestone":
            form = forms.MilestoneForm(request.POST)
            if form.is_valid():
                services.milestone_add(matter=matter, actor=user, **form.cleaned_data)
                messages.success(request, _("Milestone added."))
        elif action == "milestone_done":
            milestone = get_object_or_404(matter.milestones, pk=whole_number(request.POST.get("milestone", "")) or 0)
            services.milestone_done(milestone=milestone, actor=user)
            messages.success(request, _("Milestone done."))
        elif action == "progress":
            form = forms.ProgressForm(request.POST)
            if form.is_valid():
                services.progress_report(matter=matter, actor=user, **form.cleaned_data)
                messages.success(request, _("Progress saved."))
        elif action == "supervisor":
            form = forms.SupervisorForm(request.POST)
            if form.is_valid():
                services.supervisor_add(matter=matter, actor=user, **form.cleaned_data)
                messages.success(request, _("Supervisor named."))
        elif action == "hearing":
            form = covenant_views.hearing_post(request, matter)
            if not form.errors:
                form = None
        elif action == "sign_off":
            supervisor = get_object_or_404(matter.supervisors, pk=whole_number(request.POST.get("supervisor", "")) or 0)
            form = forms.SignOffForm(request.POST, prefix=f"s{supervisor.pk}")
            key = ("sign_off", supervisor.pk)
            if form.is_valid():
                services.supervisor_sign_off(supervisor=supervisor, actor=user, **form.cleaned_data)
                messages.success(request, _("Sign-off recorded."))
        else:
            raise Http404
    except (InvalidInput, NotPermitted) as error:
        if form is None:
            messages.error(request, error.message)
            return redirect("consultation_matter", pk=pk)
        form.add_error(error.field if error.field in form.fields else None, error.message)
    except ZhitongError as error:
        if form is not None and error.field in form.fields:
            form.add_error(error.field, error.message)
        else:
            messages.error(request, error.message)
            return redirect("consultation_matter", pk=pk)
    if form is not None and form.errors:
        return matter_detail(request, pk, bound={key: form}, status=400)
    return redirect("consultation_matter", pk=pk)


# --- public notices (公示): no sign-in ----------------------------------------------------


def public_list(request):
    return render(request, "consultation/public_list.html", {"matters": selectors.public_matters()[:100]})


def public_detail(request, pk):
    matter = get_object_or_404(selectors.public_matters(), pk=pk)
    today = timezone.localtime(timezone.now(), SHANGHAI).date()
    return render(
        request,
        "consultation/public_detail.html",
        {
            "matter": matter,
            # Names of who took part stay off the public page (DESIGN.md rule 9): counts only.
            "steps": matter.steps.all(),
            "milestones": matter.milestones.all(),
            "supervisors": matter.supervisors.filter(signed_off_on__isnull=False)
            if matter.step == Step.RESULT_PUBLISHED
            else [],
            "in_notice": matter.step == Step.PUBLISHED and not matter.notice_over(today),
        },
    )

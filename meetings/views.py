"""The meeting screens: a calendar per org unit, the meeting page (agenda, attendance,
minutes, decisions) and printable minutes and evaluation opinions."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.clock import SHANGHAI
from core.errors import InvalidInput, NotPermitted, ZhitongError
from core.params import whole_number
from escalation import policy
from escalation.forms import AnswerByField
from grievances.selectors import visible_tickets
from responders.models import User
from responders.selectors import user_scope, visible_committees, visible_streets, visible_zones

from . import forms, selectors, services
from . import topics as topics_module
from .models import Decision, Evaluation, Meeting, Purpose, RecurringTopic


def _scope(request):
    return user_scope(request.user)


def _may_run(user: User, meeting: Meeting) -> bool:
    """Whoever acts for the meeting's unit runs it (the policy); others, department liaisons
    among them, may only read it."""
    return policy.may(user, policy.Right.RUN_MEETING, meeting)


def _month(value: str) -> dt.date:
    """The month asked for, or this one (also for the first and last years a date can hold,
    whose neighbouring months the calendar links to)."""
    try:
        month = dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        month = None
    if month is None or not dt.MINYEAR < month.year < dt.MAXYEAR:
        return timezone.localdate().replace(day=1)
    return month


@login_required
def calendar(request):
    """This month's meetings of the units the person may see, day by day."""
    scope = _scope(request)
    month = _month(request.GET.get("month", ""))
    following = (month + dt.timedelta(days=32)).replace(day=1)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    start = dt.datetime.combine(month, dt.time(), tzinfo=SHANGHAI)
    end = dt.datetime.combine(following, dt.time(), tzinfo=SHANGHAI)
    meetings = selectors.meetings_in(scope, start, end)
    unit = request.GET.get("unit", "")
    kind, _sep, raw_pk = unit.partition(":")
    pk = whole_number(raw_pk)
    if kind in ("street", "committee", "zone") and pk is not None:
        meetings = meetings.filter(**{kind: pk})
        if kind != "zone":
            meetings = meetings.filter(**({"committee__isnull": True} if kind == "street" else {"zone__isnull": True}))
    days: dict[dt.date, list[Meeting]] = {}
    for meeting in meetings:
        days.setdefault(timezone.localtime(meeting.starts_at).date(), []).append(meeting)
    # The month's weeks, Monday first, for the grid a desk shows (a phone lists only the days
    # with meetings: static/meetings.css).
    today = timezone.localdate()
    first = month - dt.timedelta(days=month.weekday())
    last = following - dt.timedelta(days=1)
    last += dt.timedelta(days=6 - last.weekday())
    cells = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    weeks = [
        [
            {"date": day, "in_month": day.month == month.month, "today": day == today, "meetings": days.get(day, [])}
            for day in cells[start : start + 7]
        ]
        for start in range(0, len(cells), 7)
    ]
    return render(
        request,
        "meetings/calendar.html",
        {
            "month": month,
            "previous": previous,
            "following": following,
            "days": sorted(days.items()),
            "weeks": weeks,
            "weekdays": [dt.date(2024, 1, day) for day in range(1, 8)],  # a Monday to a Sunday
            "units": forms.unit_choices(visible_streets(scope), visible_committees(scope), visible_zones(scope)),
            "unit": unit,
            "may_plan": policy.acts_for_any(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request):
    if not policy.acts_for_any(request.user):
        raise Http404
    form = forms.MeetingForm(request.POST or None, user=request.user, initial={"unit": request.GET.get("unit", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_schedule(
                type=data["type"],
                unit=data["unit"],
                starts_at=data["starts_at"],
                place=data["place"],
                title=data["title"],
                chair=request.user,
                actor=request.user,
            )
        except (InvalidInput, NotPermitted) as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Meeting planned: %(meeting)s.") % {"meeting": meeting.display_title})
            return redirect("meeting", pk=meeting.pk)
    return render(request, "meetings/meeting_form.html", {"form": form}, status=400 if form.errors else 200)


def _visible_meeting(request, pk) -> Meeting:
    return get_object_or_404(selectors.visible_meetings(_scope(request)), pk=pk)


@login_required
def meeting_detail(request, pk, bound=None, status=200):
    meeting = _visible_meeting(request, pk)
    bound = bound or {}
    agenda = list(
        meeting.agenda.select_related("ticket__category", "decided_by", "deferred_to", "risk").order_by("position")
    )
    may_run = _may_run(request.user, meeting) and meeting.status != Meeting.Status.CANCELLED
    decision_forms = {}
    if may_run:
        options = {}
        for item in agenda:
            if not item.decided_at:
                decision_forms[item.pk] = bound.get(("decide", item.pk)) or forms.DecisionForm(
                    meeting=meeting, ticket=item.ticket, prefix=f"item{item.pk}", options=options
                )
    risk_forms = {}
    if may_run and meeting.type.purpose == Purpose.RISK_SCREENING:
        for item in agenda:
            initial = {}
            if hasattr(item, "risk"):
                risk = item.risk
                initial = {
                    "met": [entry["item"] for entry in risk.checklist if entry.get("met")],
                    "responsible_unit": risk.responsible_unit,
                    "responsible_person": risk.responsible_person,
                    "level": risk.level,
                    "mitigation": risk.mitigation,
                }
            risk_forms[item.pk] = bound.get(("risk", item.pk)) or forms.RiskForm(
                meeting=meeting, prefix=f"risk{item.pk}", initial=initial
            )
    items = [(item, decision_forms.get(item.pk), risk_forms.get(item.pk)) for item in agenda]
    conflicts = {item.pk for item in selectors.deadline_conflicts(meeting)}
    context = {
        "meeting": meeting,
        "items": items,
        "conflicts": conflicts,
        "participants": meeting.participants.select_related("user", "department"),
        "evaluations": meeting.evaluations.select_related("department"),
        "transfers": meeting.transfers.select_related("ticket"),
        "may_run": may_run,
        "planned": meeting.status == Meeting.Status.PLANNED,
    }
    if may_run:
        context.update(
            candidates=selectors.meeting_candidates(_scope(request), meeting)
            if meeting.status == Meeting.Status.PLANNED
            else [],
            participant_form=bound.get("participant") or forms.ParticipantForm(meeting=meeting),
            record_form=bound.get("record")
            or forms.RecordForm(
                meeting=meeting,
                initial={
                    "minutes": meeting.minutes,
                    "attended": [str(p.pk) for p in meeting.participants.all() if p.attended],
                },
            ),
            cancel_form=bound.get("cancel") or forms.CancelForm(),
            topic_form=bound.get("topic") or forms.TopicForm(),
            evaluation_form=(bound.get("evaluate") or forms.EvaluationForm(meeting=meeting))
            if meeting.type.purpose == Purpose.EVALUATION
            else None,
        )
    return render(request, "meetings/meeting_detail.html", context, status=status)


def _item(meeting: Meeting, request):
    pk = whole_number(request.POST.get("item", ""))
    if pk is None:
        raise Http404
    return get_object_or_404(meeting.agenda, pk=pk)


@login_required
@require_POST
def meeting_act(request, pk, action):
    """One change to a meeting from its page; a refusal shows the page again with the reason."""
    meeting = _visible_meeting(request, pk)
    if not _may_run(request.user, meeting):
        raise Http404
    user = request.user
    form = None
    key = action
    try:
        if action == "participant":
            form = forms.ParticipantForm(request.POST, meeting=meeting)
            if form.is_valid():
                services.participant_add(meeting=meeting, actor=user, **form.cleaned_data)
                messages.success(request, _("Participant added."))
        elif action == "record":
            form = forms.RecordForm(request.POST, meeting=meeting)
            if form.is_valid():
                data = form.cleaned_data
                services.meeting_record(
                    meeting=meeting,
                    actor=user,
                    minutes=data["minutes"],
                    attended=[int(v) for v in data["attended"]],
                    held=data["held"],
                )
                messages.success(request, _("Minutes and attendance saved."))
        elif action == "cancel":
            form = forms.CancelForm(request.POST)
            if form.is_valid():
                services.meeting_cancel(meeting=meeting, actor=user, reason=form.cleaned_data["reason"])
                messages.success(request, _("Meeting cancelled."))
        elif action == "topic":
            form = forms.TopicForm(request.POST)
            if form.is_valid():
                services.agenda_add_topic(meeting=meeting, topic=form.cleaned_data["topic"], actor=user)
        elif action == "add_ticket":
            reference = request.POST.get("reference", "").strip()
            if reference:  # typed on the page: a ticket the person may see, by its reference
                ticket = visible_tickets(_scope(request)).filter(reference__iexact=reference[:40]).first()
                if ticket is None:
                    messages.error(request, _("You have no ticket %(ref)s.") % {"ref": reference[:40]})
                    return redirect("meeting", pk=pk)
            else:
                ticket_pk = whole_number(request.POST.get("ticket", "")) or 0
                ticket = get_object_or_404(visible_tickets(_scope(request)), pk=ticket_pk)
            _item_added, late = services.agenda_add_ticket(meeting=meeting, ticket=ticket, actor=user)
            if late:
                messages.warning(
                    request,
                    _(
                        "%(ref)s is due %(deadline)s, before this meeting: the deadline does not stop for a "
                        "meeting, so the ticket will be escalated first unless it is settled or the meeting is "
                        "brought forward."
                    )
                    % {
                        "ref": ticket.reference,
                        "deadline": timezone.localtime(ticket.resolve_by).strftime("%Y-%m-%d %H:%M"),
                    },
                )
            else:
                messages.success(request, _("%(ref)s is on the agenda.") % {"ref": ticket.reference})
        elif action == "decide":
            item = _item(meeting, request)
            key = ("decide", item.pk)
            form = forms.DecisionForm(request.POST, meeting=meeting, ticket=item.ticket, prefix=f"item{item.pk}")
            if form.is_valid():
                data = form.cleaned_data
                services.agenda_decide(
                    item=item,
                    actor=user,
                    decision=data["decision"],
                    note=data["note"],
                    outcome=data["outcome"],
                    departments=list(data["departments"]),
                    answer_by=data["answer_by"],
                    owner=data["owner"],
                )
                messages.success(request, _("Decision recorded."))
                if data["decision"] == Decision.REFER and item.ticket is not None:
                    late = AnswerByField.late_for(data["answer_by"], item.ticket)
                    if late:
                        messages.warning(request, late)
        elif action == "risk":
            item = _item(meeting, request)
            key = ("risk", item.pk)
            form = forms.RiskForm(request.POST, meeting=meeting, prefix=f"risk{item.pk}")
            if form.is_valid():
                services.risk_assess(item=item, actor=user, **form.cleaned_data)
                messages.success(request, _("Risk assessment saved."))
        elif action == "evaluate":
            form = forms.EvaluationForm(request.POST, meeting=meeting)
            if form.is_valid():
                data = form.cleaned_data
                services.evaluation_record(
                    meeting=meeting,
                    actor=user,
                    scores=form.scores(),
                    opinion=data["opinion"],
                    department=data["department"],
                    body_name=data["body_name"],
                    superior=data["superior"],
                    comments=data["comments"],
                )
                messages.success(request, _("Evaluation recorded."))
        else:
            raise Http404
    except (InvalidInput, NotPermitted) as error:
        if form is None:
            messages.error(request, error.message)
            return redirect("meeting", pk=pk)
        form.add_error(error.field if error.field in form.fields else None, error.message)
    except ZhitongError as error:
        messages.error(request, error.message)
        return redirect("meeting", pk=pk)
    if form is not None and form.errors:
        return meeting_detail(request, pk, bound={key: form}, status=400)
    return redirect("meeting", pk=pk)


@login_required
def meeting_minutes(request, pk):
    meeting = _visible_meeting(request, pk)
    return render(
        request,
        "meetings/minutes.html",
        {
            "meeting": meeting,
            "participants": meeting.participants.select_related("user", "department"),
            "agenda": meeting.agenda.select_related("ticket", "deferred_to", "risk").order_by("position"),
            "evaluations": meeting.evaluations.select_related("department"),
        },
    )


@login_required
def evaluation_opinion(request, pk):
    evaluation = get_object_or_404(
        Evaluation.objects.select_related("meeting__type", "department", "meeting__street", "meeting__committee"),
        pk=pk,
        meeting__in=selectors.visible_meetings(_scope(request)),
    )
    return render(request, "meetings/opinion.html", {"evaluation": evaluation, "meeting": evaluation.meeting})


@login_required
@require_http_methods(["GET", "POST"])
def recurring_topics(request):
    """Recurring problems found for the street (meetings.topics): what the nightly job
    proposed, with the tickets behind each; staff put one on a meeting or set it aside."""
    scope = _scope(request)
    topics = topics_module.visible_topics(scope)
    if request.method == "POST":
        topic = get_object_or_404(topics, pk=whole_number(request.POST.get("topic")) or 0)
        try:
            if request.POST.get("action") == "dismiss":
                topics_module.topic_dismiss(topic=topic, actor=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, _("The topic is set aside."))
            else:
                meetings = selectors.visible_meetings(scope).filter(status=Meeting.Status.PLANNED)
                meeting = meetings.filter(pk=whole_number(request.POST.get("meeting")) or 0).first()
                if meeting is None:
                    raise InvalidInput(_("Choose a planned meeting."), field="meeting")
                topics_module.topic_table(topic=topic, meeting=meeting, actor=request.user)
                messages.success(request, _("The topic is on the agenda of %(meeting)s.") % {"meeting": meeting})
        except ZhitongError as error:
            messages.error(request, error.message)
        return redirect("recurring_topics")
    show = request.GET.get("show", "open")
    if show == "open":
        topics = topics.filter(status__in=RecurringTopic.OPEN)
    topics = list(topics.prefetch_related("tickets")[:100])
    planned = list(
        selectors.visible_meetings(scope)
        .filter(status=Meeting.Status.PLANNED, starts_at__gt=timezone.now(), zone__isnull=True)
        .order_by("starts_at")[:30]
    )
    rows = []
    for topic in topics:
        meetings = [
            m
            for m in planned
            if m.street_id == topic.street_id
            and (m.committee_id is None or m.committee_id == topic.committee_id)
            and _may_run(request.user, m)
        ]
        rows.append((topic, meetings))
    return render(request, "meetings/topics.html", {"rows": rows, "show": show})

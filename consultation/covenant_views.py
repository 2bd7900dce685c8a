"""Hearings on a matter's or a project's page, and the residents' covenant: the committee's
versions, adopting a new one, and its public page (no sign-in)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import InvalidInput, InvalidTransition, NotPermitted
from escalation import policy
from meetings.models import Meeting
from meetings.selectors import visible_meetings
from responders.models import ResidentialCommittee
from responders.selectors import user_scope, visible_committees

from . import forms, hearings
from .models import CovenantVersion


def begun_meetings(request, *, code: str, committee_ids):
    """The begun, not cancelled meetings of type `code` of these committees the person sees."""
    return (
        visible_meetings(user_scope(request.user))
        .filter(type__code=code, committee__in=committee_ids, zone__isnull=True, starts_at__lte=timezone.now())
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("-starts_at")
    )


def hearing_form(request, subject, data=None):
    committees = (
        [subject.committee_id]
        if subject.committee_id
        else ResidentialCommittee.objects.filter(street=subject.street_id).values("pk")
    )
    return forms.HearingForm(
        data, meetings=begun_meetings(request, code=hearings.HEARING_TYPE, committee_ids=committees)
    )


def hearing_post(request, subject):
    """Record a hearing from the page of `subject` (a matter or a project); the form back, with
    its errors, or None once recorded."""
    form = hearing_form(request, subject, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        kind = "matter" if subject.__class__.__name__ == "Matter" else "project"
        try:
            hearings.hearing_record(
                actor=request.user,
                meeting=data["meeting"],
                participants=data["participants"],
                opinions=hearings.parse_opinions(data["opinions"]),
                conclusion=data["conclusion"],
                **{kind: subject},
            )
        except (InvalidInput, NotPermitted) as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Hearing recorded."))
    return form


@login_required
def covenant_list(request):
    committees = visible_committees(user_scope(request.user)).order_by("code")
    versions = {v.committee_id: v for v in CovenantVersion.objects.filter(committee__in=committees).order_by("version")}
    return render(
        request,
        "consultation/covenant_list.html",
        {"rows": [(committee, versions.get(committee.pk)) for committee in committees]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def covenant_detail(request, pk):
    committee = get_object_or_404(visible_committees(user_scope(request.user)), pk=pk)
    acts = policy.may(request.user, policy.Right.RUN_CONSULTATION, committee)
    form = None
    if acts:
        meetings = begun_meetings(request, code=hearings.COVENANT_TYPE, committee_ids=[committee.pk])
        form = forms.CovenantForm(request.POST or None, meetings=meetings)
    elif request.method == "POST":
        raise Http404
    if request.method == "POST" and form.is_valid():
        try:
            version = hearings.covenant_adopt(actor=request.user, committee=committee, **form.cleaned_data)
        except (InvalidInput, NotPermitted) as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        except InvalidTransition as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Version %(n)s adopted and published.") % {"n": version.version})
            return redirect("covenant", pk=committee.pk)
    return render(
        request,
        "consultation/covenant_detail.html",
        {"committee": committee, "versions": committee.covenant_versions.select_related("meeting"), "form": form},
        status=400 if form is not None and form.errors else 200,
    )


def covenant_public(request, pk):
    """The covenant in force and its earlier versions, for anyone."""
    versions = list(CovenantVersion.objects.filter(committee=pk).select_related("committee").order_by("-version"))
    if not versions:
        raise Http404
    return render(request, "consultation/covenant_public.html", {"current": versions[0], "history": versions[1:]})

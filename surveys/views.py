import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ZhitongError
from escalation import policy
from grievances.selectors import visible_households
from responders.selectors import user_scope

from .forms import QuestionnaireForm
from .selectors import link_for_token, questionnaire_in_use
from .services import survey_answer_record, survey_link_create


def _household_taken_by(request, pk):
    """A household the person sees and acts for (its zone team, its committee's or street's
    staff); 404 for any other."""
    household = get_object_or_404(visible_households(user_scope(request.user)).select_related("zone__committee"), pk=pk)
    zone = household.zone
    if not policy.acts_for(
        request.user, street_id=zone.committee.street_id, committee_id=zone.committee_id, zone_id=zone.pk
    ):
        raise Http404
    return household


@login_required
def survey_door(request, household_pk):
    """The questionnaire taken at the household's door (on the zone team's phone)."""
    household = _household_taken_by(request, household_pk)
    questionnaire = questionnaire_in_use(household.zone.committee.street_id)
    if questionnaire is None:
        messages.error(request, _("The street has no questionnaire in use."))
        return redirect("household", pk=household.pk)
    questions = questionnaire.questions.all()
    form = QuestionnaireForm(request.POST or None, questions=questions, initial={"client_id": uuid.uuid4()})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                survey_answer_record(
                    household=household,
                    scores=form.scores(),
                    comment=form.cleaned_data["comment"],
                    actor=request.user,
                    client_id=form.cleaned_data["client_id"],
                )
            except ZhitongError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("Thank you: the household's answers are recorded."))
                return redirect("household", pk=household.pk)
    return render(
        request,
        "surveys/door.html",
        {"household": household, "questionnaire": questionnaire, "form": form},
        status=status,
    )


@login_required
@require_POST
def survey_link_new(request, household_pk):
    """A link for the household to answer on its own phone; shown once, to copy and send."""
    household = _household_taken_by(request, household_pk)
    try:
        link, token = survey_link_create(household=household, actor=request.user)
    except ZhitongError as error:
        messages.error(request, error.message)
        return redirect("household", pk=household.pk)
    url = request.build_absolute_uri(reverse("survey_public", args=[token]))
    return render(request, "surveys/link_made.html", {"household": household, "link": link, "url": url})


def survey_public(request, token):
    """The questionnaire behind a link: no login, the household's own answers once."""
    link = link_for_token(token)
    if link is None:
        raise Http404
    questionnaire = link.questionnaire
    context = {"questionnaire": questionnaire}
    if hasattr(link, "response"):
        return render(request, "surveys/public.html", {**context, "answered": True})
    form = QuestionnaireForm(request.POST or None, questions=questionnaire.questions.all())
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                survey_answer_record(
                    household=link.household, scores=form.scores(), comment=form.cleaned_data["comment"], link=link
                )
            except ZhitongError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                return render(request, "surveys/public.html", {**context, "answered": True, "thanks": True})
    return render(request, "surveys/public.html", {**context, "form": form}, status=status)

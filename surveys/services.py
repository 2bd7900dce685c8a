"""Writes of the residents' questionnaire: answers at the door and by link, links made."""

import datetime as dt
import secrets
import uuid

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core import clock
from core.errors import InvalidInput, NotPermitted
from escalation import policy
from grievances.models import Household
from responders.models import User

from .models import SCORES, Answer, Questionnaire, SurveyLink, SurveyResponse
from .selectors import questionnaire_in_use, token_hash

COMMENT_MAX = 2000


def _require_acts_for(actor: User, household: Household) -> None:
    """The household's zone team (and those who act for its committee or street) take the
    questionnaire at its door or send it the link (escalation.policy.acts_for)."""
    zone = household.zone
    if not policy.acts_for(actor, street_id=zone.committee.street_id, committee_id=zone.committee_id, zone_id=zone.pk):
        raise NotPermitted(_("Only the household's zone team takes its questionnaire."))


def _in_use(household: Household) -> Questionnaire:
    questionnaire = questionnaire_in_use(household.zone.committee.street_id)
    if questionnaire is None:
        raise InvalidInput(_("The street has no questionnaire in use."), field="questionnaire")
    return questionnaire


def _checked_scores(questionnaire: Questionnaire, scores: dict[int, int]) -> list[tuple[int, int]]:
    """One score of 1 to 5 for every question, or InvalidInput naming the first at fault."""
    checked = []
    for question_id in questionnaire.questions.values_list("pk", flat=True):
        score = scores.get(question_id)
        if score not in SCORES:
            raise InvalidInput(_("Answer every question with 1 to 5 points."), field=f"q{question_id}")
        checked.append((question_id, score))
    return checked


def survey_answer_record(
    *,
    household: Household,
    scores: dict[int, int],
    comment: str = "",
    actor: User | None = None,
    link: SurveyLink | None = None,
    client_id: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> SurveyResponse:
    """The household's answers, taken at the door by `actor` (who must act for its zone) or
    given through `link`. Retry-safe: the same door form (`client_id`) or a second answer
    through one link returns the answer already recorded."""
    now = clock.now(now)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise InvalidInput(_("At most %(n)d characters.") % {"n": COMMENT_MAX}, field="comment")
    if link is not None:
        questionnaire, via = link.questionnaire, SurveyResponse.Via.LINK
    else:
        _require_acts_for(actor, household)
        questionnaire, via = _in_use(household), SurveyResponse.Via.DOOR
    checked = _checked_scores(questionnaire, scores)
    zone = household.zone
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                questionnaire=questionnaire,
                household=household,
                zone=zone,
                committee_id=zone.committee_id,
                street_id=zone.committee.street_id,
                via=via,
                link=link,
                client_id=client_id,
                comment=comment,
                recorded_by=actor if link is None else None,
                created_at=now,
            )
            Answer.objects.bulk_create(
                Answer(response=response, question_id=question_id, score=score) for question_id, score in checked
            )
    except IntegrityError:
        existing = SurveyResponse.objects.filter(link=link) if link is not None else None
        if existing is None and client_id is not None:
            existing = SurveyResponse.objects.filter(client_id=client_id)
        found = existing.first() if existing is not None else None
        if found is None:
            raise
        return found
    return response


def survey_link_create(*, household: Household, actor: User, now: dt.datetime | None = None) -> tuple[SurveyLink, str]:
    """A link for the household to answer the questionnaire in use: (the link, its token).
    The token is shown once; only its SHA-256 is kept."""
    now = clock.now(now)
    _require_acts_for(actor, household)
    token = secrets.token_urlsafe(32)
    link = SurveyLink.objects.create(
        questionnaire=_in_use(household),
        household=household,
        token_hash=token_hash(token),
        created_by=actor,
        created_at=now,
        expires_at=now + dt.timedelta(days=SurveyLink.LINK_DAYS),
    )
    return link, token

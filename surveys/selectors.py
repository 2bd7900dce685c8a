"""Reads of the residents' questionnaire."""

import datetime as dt
import hashlib

from django.db.models import Avg, Count, F, Q, QuerySet

from core import clock

from .models import Answer, Questionnaire, SurveyLink, SurveyResponse

SATISFIED = 4  # 4 satisfied, 5 very satisfied

ANSWER_FIGURES = {
    "responses": Count("response", distinct=True),
    "answers": Count("pk"),
    "satisfied": Count("pk", filter=Q(score__gte=SATISFIED)),
    "mean": Avg("score"),
}


def questionnaire_in_use(street_id: int) -> Questionnaire | None:
    return Questionnaire.objects.filter(street_id=street_id, active=True).first()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_for_token(token: str, *, now: dt.datetime | None = None) -> SurveyLink | None:
    """The link a token opens while it is valid (None: unknown or expired)."""
    now = clock.now(now)
    return (
        SurveyLink.objects.select_related("questionnaire", "household__zone__committee", "response")
        .filter(token_hash=token_hash(token), expires_at__gt=now)
        .first()
    )


def _rated(row: dict) -> dict:
    return {
        **row,
        "mean": round(row["mean"], 2) if row["mean"] is not None else None,
        "satisfied_rate": round(row["satisfied"] / row["answers"], 4) if row["answers"] else None,
    }


def ratings(responses: QuerySet[SurveyResponse], key: str, label: str, *, minimum: int) -> list[dict]:
    """Per value of `key` (zone, committee): how many households answered, how many answers,
    the mean score (1-5) and the share of answers 4 or 5. Ranked by mean score only where at
    least `minimum` households answered; the others follow, unranked, by name."""
    rows = (
        Answer.objects.filter(response__in=responses.values("pk"))
        .order_by()
        .values(key=F(f"response__{key}"), name=F(f"response__{label}"))
        .annotate(**ANSWER_FIGURES)
    )
    rated = [_rated(row) for row in rows]
    ranked = sorted((row for row in rated if row["responses"] >= minimum), key=lambda row: (-row["mean"], row["name"]))
    unranked = sorted((row for row in rated if row["responses"] < minimum), key=lambda row: row["name"])
    for position, row in enumerate(ranked, 1):
        row["rank"] = position
    for row in unranked:
        row["rank"] = None
    return ranked + unranked


def overall(responses: QuerySet[SurveyResponse]) -> dict:
    return _rated(Answer.objects.filter(response__in=responses.values("pk")).aggregate(**ANSWER_FIGURES))


def per_question(responses: QuerySet[SurveyResponse]) -> list[dict]:
    rows = (
        Answer.objects.filter(response__in=responses.values("pk"))
        .order_by()
        .values(key=F("question_id"), name=F("question__text"), position=F("question__position"))
        .annotate(**ANSWER_FIGURES)
        .order_by("position", "key")
    )
    return [_rated(row) for row in rows]

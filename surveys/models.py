"""Residents rate the community (居民评社区, seed 003): a street's short questionnaire,
answered at the door during the yearly visit round or through a link sent to the household,
five points a question and an optional comment. The answers are counted per zone and
committee in the reports (reports.selectors.community_ratings)."""

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grievances.models import Household
from responders.models import ResidentialCommittee, ResponsibilityZone, StreetOffice

SCORES = range(1, 6)


class Questionnaire(models.Model):
    """居民评社区问卷 — a street's questionnaire; one at a time is in use."""

    street = models.ForeignKey(
        StreetOffice, on_delete=models.PROTECT, related_name="questionnaires", verbose_name=_("street office")
    )
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True, help_text=_("Shown to the resident above the questions."))
    active = models.BooleanField(
        _("in use"), default=True, help_text=_("The one the street's teams take at the door and send as links.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("residents' questionnaire")
        verbose_name_plural = _("residents' questionnaires")
        ordering = ["street", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["street"], condition=Q(active=True), name="one_questionnaire_in_use")
        ]

    def __str__(self):
        return self.title


class Question(models.Model):
    """One question, answered on five points (1 very dissatisfied … 5 very satisfied)."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions", verbose_name=_("questionnaire")
    )
    text = models.CharField(_("question"), max_length=300)
    text_en = models.CharField(_("question in English"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.text


class SurveyLink(models.Model):
    """A link to the questionnaire made for one household, for a team member to send; only
    the SHA-256 of its token is kept. Answered once, valid for `LINK_DAYS`."""

    LINK_DAYS = 30

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="links", verbose_name=_("questionnaire")
    )
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+", verbose_name=_("household"))
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("made by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("valid until"))

    class Meta:
        verbose_name = _("questionnaire link")
        verbose_name_plural = _("questionnaire links")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.questionnaire} {self.created_at:%Y-%m-%d}"


class SurveyResponse(models.Model):
    """One household's answers. The zone, committee and street are the household's when it
    answered, kept so that the counts stay put if a household is later moved."""

    class Via(models.TextChoices):
        DOOR = "door", _("at the door")
        LINK = "link", _("by link")

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="responses", verbose_name=_("questionnaire")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("household")
    )
    zone = models.ForeignKey(
        ResponsibilityZone, on_delete=models.PROTECT, related_name="+", verbose_name=_("responsibility zone")
    )
    committee = models.ForeignKey(
        ResidentialCommittee, on_delete=models.PROTECT, related_name="+", verbose_name=_("residential committee")
    )
    street = models.ForeignKey(
        StreetOffice, on_delete=models.PROTECT, related_name="+", verbose_name=_("street office")
    )
    via = models.CharField(_("taken"), max_length=10, choices=Via.choices)
    link = models.OneToOneField(
        SurveyLink, on_delete=models.PROTECT, null=True, blank=True, related_name="response", verbose_name=_("link")
    )
    # The door form's own id: a form sent twice (a retry on a weak network) is one answer.
    client_id = models.UUIDField(_("client id"), null=True, blank=True, unique=True, editable=False)
    comment = models.TextField(_("comment"), blank=True, validators=[MaxLengthValidator(2000)])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("answered at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("questionnaire answer")
        verbose_name_plural = _("questionnaire answers")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.questionnaire} · {self.zone} · {self.created_at:%Y-%m-%d}"


class Answer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    score = models.PositiveSmallIntegerField(_("score"), validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="answer_score_one_to_five"),
        ]

    def __str__(self):
        return f"{self.question}: {self.score}"

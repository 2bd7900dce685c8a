"""Each tier's meetings (DOMAIN.md): the zone's public-opinion day, the committee's hearing,
coordination and evaluation meetings, the street's five meetings, and their decisions."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.enums import Tier


class Cadence(models.TextChoices):
    AD_HOC = "ad_hoc", _("when needed")
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    HALF_YEARLY = "half_yearly", _("half-yearly")
    YEARLY = "yearly", _("yearly")


class Purpose(models.TextChoices):
    """What a meeting type does beyond its agenda: the page shows the matching tools."""

    GENERAL = "general", _("general")
    OPINION_DAY = "opinion_day", _("public-opinion day")
    HEARING = "hearing", _("hearing")
    COORDINATION = "coordination", _("coordination")
    EVALUATION = "evaluation", _("evaluation")
    MEDIATION = "mediation", _("mediation and referral")
    RISK_SCREENING = "risk_screening", _("risk screening")


class MeetingType(models.Model):
    """A kind of meeting at one tier (seeded by a migration; editable in the admin)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.GENERAL)
    cadence = models.CharField(_("cadence"), max_length=12, choices=Cadence.choices, default=Cadence.AD_HOC)
    day_of_month = models.PositiveSmallIntegerField(
        _("day of month"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("For recurring types: the day scheduled meetings fall on (a zone's own public-opinion day wins)."),
    )
    hour = models.PositiveSmallIntegerField(_("hour"), default=14, validators=[MaxValueValidator(23)])
    required_participants = models.JSONField(
        _("required participants"), default=list, blank=True, help_text=_("Who must attend, one role per entry.")
    )
    optional_participants = models.JSONField(
        _("optional participants"), default=list, blank=True, help_text=_("Who may be invited.")
    )
    criteria = models.JSONField(
        _("evaluation criteria"),
        default=list,
        blank=True,
        help_text=_("Evaluation meetings: what each body is scored on."),
    )
    checklist = models.JSONField(
        _("precondition checklist"),
        default=list,
        blank=True,
        help_text=_("Risk screening meetings: the preconditions checked for each matter."),
    )
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("meeting type")
        verbose_name_plural = _("meeting types")
        ordering = ["tier", "position", "code"]

    def __str__(self):
        return self.name


class Meeting(models.Model):
    """One meeting of an org unit: a street, a committee or a zone (by its type's tier)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        HELD = "held", _("held")
        CANCELLED = "cancelled", _("cancelled")

    type = models.ForeignKey(MeetingType, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("type"))
    # The unit: always its street (for the visibility rule); a committee for committee and
    # zone meetings; a zone for zone meetings.
    street = models.ForeignKey(
        "responders.StreetOffice", on_delete=models.PROTECT, related_name="meetings", verbose_name=_("street office")
    )
    committee = models.ForeignKey(
        "responders.ResidentialCommittee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("residential committee"),
    )
    zone = models.ForeignKey(
        "responders.ResponsibilityZone",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("responsibility zone"),
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chair"),
    )
    minutes = models.TextField(_("minutes"), blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    # Recurring meetings scheduled by beat name their period ("2026-12", "2026-Q4",
    # "2026-H2", "2026"): one per type, unit and period, however often the task runs.
    period = models.CharField(_("period"), max_length=10, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    held_at = models.DateTimeField(_("held at"), null=True, blank=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["type", "street", "committee", "zone", "period"],
                condition=~Q(period=""),
                nulls_distinct=False,
                name="meeting_once_per_period",
            ),
        ]

    def __str__(self):
        return f"{self.unit} {self.type} {self.starts_at:%Y-%m-%d}"

    @property
    def unit(self):
        return self.zone or self.committee or self.street

    @property
    def display_title(self) -> str:
        return self.title or f"{self.unit} · {self.type}"


class Participant(models.Model):
    """Who is invited and whether they came: staff, a department's head, or a resident
    representative named in text."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff"),
    )
    department = models.ForeignKey(
        "responders.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
    )
    name = models.CharField(
        _("name"), max_length=100, blank=True, help_text=_("A resident representative, a lawyer...")
    )
    role = models.CharField(_("role"), max_length=100, blank=True)
    attended = models.BooleanField(_("attended"), null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(department__isnull=False) | ~Q(name=""),
                name="participant_is_someone",
            )
        ]

    def __str__(self):
        who = self.name or self.user or self.department
        return f"{who} ({self.role})" if self.role else str(who)


class Decision(models.TextChoices):
    RESOLVE = "resolve", _("resolve")
    REFER = "refer", _("refer to departments")
    ESCALATE = "escalate", _("escalate")
    ASSIGN = "assign", _("assign an owner")
    DEFER = "defer", _("defer to the next meeting")
    NOTE = "note", _("record a decision")


class AgendaItem(models.Model):
    """A ticket or a free topic on a meeting's agenda, and what the meeting decided."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    ticket = models.ForeignKey(
        "grievances.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
        verbose_name=_("ticket"),
    )
    topic = models.CharField(_("topic"), max_length=300, blank=True)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    deferred_to = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("deferred to")
    )

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "ticket"], condition=Q(ticket__isnull=False), name="agenda_ticket_once"
            ),
            models.CheckConstraint(condition=Q(ticket__isnull=False) | ~Q(topic=""), name="agenda_item_has_subject"),
        ]

    def __str__(self):
        return str(self.ticket or self.topic)


class RiskAssessment(models.Model):
    """社会稳定风险评估: the risk screening meeting's judgement of one agenda item."""

    class Level(models.TextChoices):
        LOW = "low", _("low")
        MEDIUM = "medium", _("medium")
        HIGH = "high", _("high")

    item = models.OneToOneField(AgendaItem, on_delete=models.CASCADE, related_name="risk")
    # [{"item": "...", "met": true}, ...]: the preconditions a major project must meet.
    checklist = models.JSONField(_("precondition checklist"), default=list)
    responsible_unit = models.CharField(_("responsible unit"), max_length=200)
    responsible_person = models.CharField(_("responsible person"), max_length=100)
    level = models.CharField(_("risk level"), max_length=10, choices=Level.choices)
    mitigation = models.TextField(_("mitigation"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assessed_at = models.DateTimeField(_("assessed at"), default=timezone.now)

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")

    def __str__(self):
        return f"{self.item}: {self.get_level_display()}"

    @property
    def preconditions_met(self) -> int:
        return sum(1 for entry in self.checklist if entry.get("met"))


class Evaluation(models.Model):
    """评议: residents' representatives rate a stationed department or a property company;
    the written opinion goes to the body, its superior and the street office."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="evaluations")
    department = models.ForeignKey(
        "responders.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations",
        verbose_name=_("department"),
    )
    body_name = models.CharField(
        _("evaluated body"), max_length=200, blank=True, help_text=_("A property company, when not a department.")
    )
    superior = models.CharField(_("its superior"), max_length=200, blank=True)
    # {"<criterion>": 1..5}, the criteria of the meeting's type.
    scores = models.JSONField(_("scores"), default=dict)
    comments = models.TextField(_("comments"), blank=True)
    opinion = models.TextField(_("written opinion"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(department__isnull=False) | ~Q(body_name=""), name="evaluation_names_its_body"
            )
        ]

    def __str__(self):
        return self.evaluated

    @property
    def evaluated(self) -> str:
        return str(self.department) if self.department_id else self.body_name

    @staticmethod
    def mean(scores: dict) -> float | None:
        """The mean of a set of scores (criterion -> 1..5), unrounded."""
        values = [v for v in scores.values() if isinstance(v, int)]
        return sum(values) / len(values) if values else None

    @property
    def average(self) -> float | None:
        mean = self.mean(self.scores)
        return None if mean is None else round(mean, 1)


class MeetingEvent(models.Model):
    """会议记录 — who did what to a meeting, and when: its audit trail, append-only like the
    tickets' timeline. A meeting planned by beat's recurring schedule has no planning event
    (no one planned it); every action of a person through the services has one."""

    class Kind(models.TextChoices):
        PLANNED = "planned", _("planned")
        PARTICIPANT_ADDED = "participant_added", _("participant added")
        TICKET_TABLED = "ticket_tabled", _("ticket put on the agenda")
        TOPIC_ADDED = "topic_added", _("topic added")
        DECIDED = "decided", _("decision recorded")
        RECORDED = "recorded", _("minutes and attendance recorded")
        CANCELLED = "cancelled", _("cancelled")
        RISK_ASSESSED = "risk_assessed", _("risk assessed")
        EVALUATED = "evaluated", _("evaluation recorded")

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="events", verbose_name=_("meeting"))
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    actor_label = models.CharField(_("by (system)"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("meeting event")
        verbose_name_plural = _("meeting events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["meeting", "at"], name="meeting_event_timeline")]

    def __str__(self):
        return f"{self.meeting}: {self.get_kind_display()}"


class RecurringTopic(models.Model):
    """A recurring problem the street should take up as a whole (每月一题, 汇总研判), found by
    the nightly job (meetings.topics): the same category in one building or lane three or more
    times in 30 days, a category rising sharply in a committee against its own last three
    months, or one household filing again and again. Proposed once: an open topic (proposed or
    on an agenda) is unique by its `key`; a new one for the same cluster only after it closes."""

    class Kind(models.TextChoices):
        PLACE = "place", _("same problem in one building or lane")
        RISING = "rising", _("a category rising in a committee")
        HOUSEHOLD = "household", _("one household filing repeatedly")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        TABLED = "tabled", _("on a meeting's agenda")
        DISMISSED = "dismissed", _("dismissed")

    OPEN = (Status.PROPOSED, Status.TABLED)
    WINDOW_DAYS = 30  # the tickets of how many days a cluster is found among

    key = models.CharField(_("cluster"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    street = models.ForeignKey(
        "responders.StreetOffice", on_delete=models.PROTECT, related_name="+", verbose_name=_("street office")
    )
    committee = models.ForeignKey(
        "responders.ResidentialCommittee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("residential committee"),
    )
    category = models.ForeignKey(
        "grievances.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    place = models.CharField(_("where"), max_length=255, blank=True)
    summary = models.CharField(_("summary"), max_length=300)
    tickets = models.ManyToManyField("grievances.Ticket", related_name="recurring_topics", verbose_name=_("tickets"))
    count = models.PositiveIntegerField(_("tickets in the window"))
    baseline = models.FloatField(_("monthly average before"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    agenda_item = models.OneToOneField(
        AgendaItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recurring_topic",
        verbose_name=_("agenda item"),
    )
    dismissed_reason = models.TextField(_("why dismissed"), blank=True)
    found_at = models.DateTimeField(_("found at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("recurring problem")
        verbose_name_plural = _("recurring problems")
        ordering = ["-found_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(status__in=["proposed", "tabled"]), name="one_open_topic_per_cluster"
            )
        ]

    def __str__(self):
        return self.summary

    def describe(self) -> str:
        """The topic in the reader's language (`summary` keeps the words of the night it was
        found, as the agenda item does)."""
        values = {"place": self.place, "n": self.count, "days": self.WINDOW_DAYS, "category": str(self.category or "")}
        if self.kind == self.Kind.PLACE:
            return gettext("%(place)s: %(category)s, %(n)s times in %(days)s days") % values
        if self.kind == self.Kind.HOUSEHOLD:
            return gettext("%(place)s: %(n)s requests in %(days)s days") % values
        return gettext(
            "%(committee)s: %(category)s rising, %(n)s in %(days)s days against %(before)s a month before"
        ) % {**values, "committee": self.place, "before": f"{self.baseline or 0:.1f}"}

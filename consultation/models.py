"""社区协商: consultation matters carried through seed 002's seven steps, and the
implementation of a resolved matter tracked like a promise (responsible unit and person,
milestones, progress, the supervising committees' sign-off)."""

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Step(models.IntegerChoices):
    """Seed 002's procedure, in its order; none may be skipped."""

    PROPOSED = 1, _("The committee proposes")  # 居委会提议
    DELIBERATED = 2, _("The two committees deliberate")  # 社区两委会商议
    REVIEWED = 3, _("Residents' group leaders review")  # 居民小组长会议审议
    RESOLVED = 4, _("The representatives' meeting resolves")  # 居民代表大会决议
    PUBLISHED = 5, _("The resolution is published")  # 决议公开
    IMPLEMENTED = 6, _("The resolution is carried out")  # 组织实施
    RESULT_PUBLISHED = 7, _("The result is published")  # 实施结果公布


# The steps that decide (and may turn the matter down): deliberation, review, the vote.
DECIDING_STEPS = (Step.DELIBERATED, Step.REVIEWED, Step.RESOLVED)
# Steps held as a meeting of people: who took part is recorded.
MEETING_STEPS = (Step.DELIBERATED, Step.REVIEWED, Step.RESOLVED)


class Source(models.TextChoices):
    TICKET = "ticket", _("a ticket")
    HOT_SPOT = "hot_spot", _("a hot spot")
    VISIT_ROUND = "visit_round", _("a visit round")
    RESIDENT_PROPOSAL = "resident_proposal", _("a resident proposal")
    STAFF = "staff", _("the staff")


class MatterStatus(models.TextChoices):
    DELIBERATING = "deliberating", _("under deliberation")
    RESOLVED = "resolved", _("resolved")
    IN_NOTICE = "in_notice", _("published, in its notice period")
    IMPLEMENTING = "implementing", _("being carried out")
    COMPLETED = "completed", _("result published")
    REJECTED = "rejected", _("rejected")


class Matter(models.Model):
    """协商议题: one matter a residential committee (or the street) consults residents on."""

    street = models.ForeignKey(
        "responders.StreetOffice", on_delete=models.PROTECT, related_name="+", verbose_name=_("street office")
    )
    committee = models.ForeignKey(
        "responders.ResidentialCommittee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultation_matters",
        verbose_name=_("residential committee"),
        help_text=_("Empty: a matter of the street itself."),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("raised from"), max_length=20, choices=Source.choices, default=Source.STAFF)
    ticket = models.ForeignKey(
        "grievances.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultation_matters",
        verbose_name=_("ticket"),
    )
    # Raised from a recurring problem the street was handed (meetings.topics): its tickets are
    # the matter's tickets too.
    recurring_topic = models.ForeignKey(
        "meetings.RecurringTopic",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultation_matters",
        verbose_name=_("recurring problem"),
    )
    source_note = models.CharField(_("where it came from"), max_length=300, blank=True)
    # The last step recorded (0: none yet); the next one must be step + 1.
    step = models.PositiveSmallIntegerField(_("last step"), default=0, validators=[MaxValueValidator(7)])
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejecting"), blank=True)
    notice_days = models.PositiveSmallIntegerField(
        _("notice period (days)"),
        default=7,
        validators=[MaxValueValidator(90)],
        help_text=_("Days between publishing the resolution and starting to carry it out."),
    )
    notice_ends_on = models.DateField(_("notice period ends"), null=True, blank=True)
    responsible_unit = models.CharField(_("responsible unit"), max_length=200, blank=True)
    responsible_person = models.CharField(_("responsible person"), max_length=100, blank=True)
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible person's account"),
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0, validators=[MaxValueValidator(100)])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("raised at"), default=timezone.now)

    class Meta:
        verbose_name = _("consultation matter")
        verbose_name_plural = _("consultation matters")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(step__lte=7), name="matter_step_in_range"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="matter_progress_in_range"),
            models.CheckConstraint(
                condition=Q(rejected_at__isnull=True) | ~Q(rejection_reason=""), name="matter_rejection_has_reason"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def unit(self):
        return self.committee or self.street

    @property
    def status(self) -> str:
        if self.rejected_at:
            return MatterStatus.REJECTED
        return {
            Step.RESOLVED: MatterStatus.RESOLVED,
            Step.PUBLISHED: MatterStatus.IN_NOTICE,
            Step.IMPLEMENTED: MatterStatus.IMPLEMENTING,
            Step.RESULT_PUBLISHED: MatterStatus.COMPLETED,
        }.get(self.step, MatterStatus.DELIBERATING)

    def get_status_display(self) -> str:
        return MatterStatus(self.status).label

    @property
    def next_step(self) -> Step | None:
        if self.rejected_at or self.step >= Step.RESULT_PUBLISHED:
            return None
        return Step(self.step + 1)

    @property
    def is_public(self) -> bool:
        """Published (决议公开 recorded): its page is open to everyone."""
        return self.step >= Step.PUBLISHED

    def notice_over(self, today: dt.date) -> bool:
        return self.notice_ends_on is not None and today >= self.notice_ends_on


class StepRecord(models.Model):
    """One of the seven steps, as it happened: when, at which meeting, who took part, the
    outcome, and for the representatives' meeting the votes against its quorum."""

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="steps", verbose_name=_("matter"))
    number = models.PositiveSmallIntegerField(_("step"), choices=Step.choices)
    held_on = models.DateField(_("date"))
    meeting = models.ForeignKey(
        "meetings.Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultation_steps",
        verbose_name=_("meeting"),
    )
    participants = models.TextField(_("who took part"), blank=True)
    outcome = models.TextField(_("outcome"))
    # Deliberation, review and the vote agree or turn the matter down; other steps: None.
    passed = models.BooleanField(_("agreed"), null=True, blank=True)
    representatives = models.PositiveSmallIntegerField(_("representatives"), null=True, blank=True)
    present = models.PositiveSmallIntegerField(_("present"), null=True, blank=True)
    votes_for = models.PositiveSmallIntegerField(_("for"), null=True, blank=True)
    votes_against = models.PositiveSmallIntegerField(_("against"), null=True, blank=True)
    votes_abstaining = models.PositiveSmallIntegerField(_("abstaining"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("consultation step")
        verbose_name_plural = _("consultation steps")
        ordering = ["matter", "number"]
        constraints = [
            # A double-submitted step (a retry, two people at once) is refused, never doubled.
            models.UniqueConstraint(fields=["matter", "number"], name="consultation_step_once"),
            models.CheckConstraint(
                condition=Q(number__lt=4) | Q(number__gt=4) | Q(votes_for__isnull=False, present__isnull=False),
                name="consultation_vote_counted",
            ),
        ]

    def __str__(self):
        return f"{self.matter}: {self.get_number_display()}"


class Milestone(models.Model):
    """A dated stage of carrying out a resolved matter or a selected livelihood project
    (Decidim's accountability)."""

    matter = models.ForeignKey(
        Matter, on_delete=models.PROTECT, null=True, blank=True, related_name="milestones", verbose_name=_("matter")
    )
    project = models.ForeignKey(
        "LivelihoodProject",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="milestones",
        verbose_name=_("livelihood project"),
    )
    title = models.CharField(_("milestone"), max_length=200)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    # Set once by the late-milestone sweep: the alert is sent exactly once.
    late_alerted_at = models.DateTimeField(_("late alert sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(matter__isnull=False, project__isnull=True) | Q(matter__isnull=True, project__isnull=False),
                name="milestone_of_one_thing",
            )
        ]
        indexes = [
            models.Index(
                fields=["due_on"],
                name="milestone_may_fall_late",
                condition=Q(done_on__isnull=True, late_alerted_at__isnull=True),
            )
        ]

    def __str__(self):
        return self.title

    def is_late(self, today: dt.date) -> bool:
        return self.done_on is None and self.due_on < today


class Supervisor(models.Model):
    """A named reviewer of the implementation from one of the two supervising bodies (seed 002:
    社区议事协商委员会 and 社区监督委员会), who signs off the result."""

    class Body(models.TextChoices):
        CONSULTATION_COMMITTEE = "consultation", _("community consultation committee")
        SUPERVISION_COMMITTEE = "supervision", _("community supervision committee")

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="supervisors", verbose_name=_("matter"))
    body = models.CharField(_("body"), max_length=20, choices=Body.choices)
    name = models.CharField(_("name"), max_length=100)
    signed_off_on = models.DateField(_("signed off on"), null=True, blank=True)
    opinion = models.TextField(_("opinion"), blank=True)

    class Meta:
        verbose_name = _("supervisor")
        verbose_name_plural = _("supervisors")
        ordering = ["body", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["matter", "body", "name"], name="supervisor_once_per_matter"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_body_display()})"


class Event(models.Model):
    """Who did what, and when: an audit trail, append-only (the subclass names its subject
    and its kinds)."""

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
        abstract = True
        ordering = ["at", "pk"]


class MatterEvent(Event):
    """A consultation matter's record."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("raised")
        STEP = "step", _("step recorded")
        REJECTED = "rejected", _("rejected")
        MILESTONE_ADDED = "milestone_added", _("milestone added")
        MILESTONE_DONE = "milestone_done", _("milestone done")
        MILESTONE_LATE = "milestone_late", _("milestone late")
        PROGRESS = "progress", _("progress reported")
        SUPERVISOR_ADDED = "supervisor_added", _("supervisor named")
        SIGNED_OFF = "signed_off", _("signed off")

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="events", verbose_name=_("matter"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta(Event.Meta):
        verbose_name = _("consultation event")
        verbose_name_plural = _("consultation events")
        indexes = [models.Index(fields=["matter", "at"], name="matter_event_timeline")]

    def __str__(self):
        return f"{self.matter}: {self.get_kind_display()}"


# --- livelihood projects (民生实事) ---------------------------------------------------------


class LivelihoodProject(models.Model):
    """民生实事: a project proposed by a committee or residents in a half-year, selected (or not)
    by the street's proposal meeting (民生实事提议会) with a budget, a responsible unit and a
    timetable, carried out under milestones, then kept under a maintenance contract."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        SELECTED = "selected", _("selected")
        NOT_SELECTED = "not_selected", _("not selected")
        COMPLETED = "completed", _("completed")

    class ProposedBy(models.TextChoices):
        COMMITTEE = "committee", _("a residential committee")
        RESIDENTS = "residents", _("residents")

    street = models.ForeignKey(
        "responders.StreetOffice", on_delete=models.PROTECT, related_name="+", verbose_name=_("street office")
    )
    committee = models.ForeignKey(
        "responders.ResidentialCommittee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="livelihood_projects",
        verbose_name=_("residential committee"),
        help_text=_("Where the project is; empty: street-wide."),
    )
    # The half-year its proposal was gathered in ("2026-H2"): the proposal meeting's round.
    period = models.CharField(_("half-year"), max_length=7, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    location = models.CharField(_("place"), max_length=200)
    proposed_by = models.CharField(_("proposed by"), max_length=10, choices=ProposedBy.choices)
    proposer = models.CharField(_("proposer"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED)
    meeting = models.ForeignKey(
        "meetings.Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="livelihood_projects",
        verbose_name=_("proposal meeting"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)
    budget = models.DecimalField(_("budget (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    responsible_unit = models.CharField(_("responsible unit"), max_length=200, blank=True)
    responsible_person = models.CharField(_("responsible person"), max_length=100, blank=True)
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible person's account"),
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0, validators=[MaxValueValidator(100)])
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("proposed at"), default=timezone.now)

    class Meta:
        verbose_name = _("livelihood project")
        verbose_name_plural = _("livelihood projects")
        ordering = ["-period", "status", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="project_progress_in_range"),
            models.CheckConstraint(
                condition=~Q(status__in=["selected", "completed"])
                | (Q(budget__isnull=False, starts_on__isnull=False, due_on__isnull=False) & ~Q(responsible_unit="")),
                name="project_selected_with_plan",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def unit(self):
        return self.committee or self.street


class MaintenanceContract(models.Model):
    """征询契约: after completion, who maintains the project and what the beneficiaries owe it,
    for how long, reviewed periodically."""

    project = models.OneToOneField(
        LivelihoodProject, on_delete=models.PROTECT, related_name="contract", verbose_name=_("project")
    )
    manager = models.CharField(_("manager"), max_length=200)
    beneficiaries = models.CharField(_("beneficiaries"), max_length=300)
    manager_duties = models.TextField(_("the manager's obligations"))
    beneficiary_duties = models.TextField(_("the beneficiaries' obligations"))
    signed_on = models.DateField(_("signed on"))
    ends_on = models.DateField(_("maintenance period ends"))
    review_every_months = models.PositiveSmallIntegerField(_("review every (months)"), default=6)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("maintenance contract")
        verbose_name_plural = _("maintenance contracts")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=models.F("signed_on")), name="contract_has_a_period")
        ]

    def __str__(self):
        return f"{self.project} · {self.manager}"


class ContractReview(models.Model):
    """A periodic review of a maintenance contract; a breach found opens a ticket."""

    contract = models.ForeignKey(
        MaintenanceContract, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("contract")
    )
    reviewed_on = models.DateField(_("reviewed on"))
    findings = models.TextField(_("findings"))
    breach = models.BooleanField(_("breach found"), default=False)
    ticket = models.OneToOneField(
        "grievances.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contract_review",
        verbose_name=_("ticket opened"),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("contract review")
        verbose_name_plural = _("contract reviews")
        ordering = ["reviewed_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(breach=False) | Q(ticket__isnull=False), name="breach_opens_a_ticket"),
        ]

    def __str__(self):
        return f"{self.contract}: {self.reviewed_on}"


class ProjectEvent(Event):
    """A livelihood project's record."""

    class Kind(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        SELECTED = "selected", _("selected")
        NOT_SELECTED = "not_selected", _("not selected")
        MILESTONE_ADDED = "milestone_added", _("milestone added")
        MILESTONE_DONE = "milestone_done", _("milestone done")
        MILESTONE_LATE = "milestone_late", _("milestone late")
        PROGRESS = "progress", _("progress reported")
        COMPLETED = "completed", _("completed")
        CONTRACT = "contract", _("maintenance contract signed")
        REVIEWED = "reviewed", _("contract reviewed")

    project = models.ForeignKey(
        LivelihoodProject, on_delete=models.PROTECT, related_name="events", verbose_name=_("project")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta(Event.Meta):
        verbose_name = _("livelihood project event")
        verbose_name_plural = _("livelihood project events")
        indexes = [models.Index(fields=["project", "at"], name="project_event_timeline")]

    def __str__(self):
        return f"{self.project}: {self.get_kind_display()}"


# --- invitations (约请: 一事一议一决) -------------------------------------------------------


class Invitation(models.Model):
    """约请: a committee invites a department's head or a street leader to settle one matter (a
    ticket or a consultation matter) at a session of its own: one matter, one discussion, one
    decision (一事一议一决), then a follow-up by a date the sweep watches."""

    class Status(models.TextChoices):
        INVITED = "invited", _("invited")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        DECIDED = "decided", _("decided")
        FOLLOWED_UP = "followed_up", _("followed up")

    street = models.ForeignKey(
        "responders.StreetOffice", on_delete=models.PROTECT, related_name="+", verbose_name=_("street office")
    )
    committee = models.ForeignKey(
        "responders.ResidentialCommittee",
        on_delete=models.PROTECT,
        related_name="invitations",
        verbose_name=_("residential committee"),
    )
    department = models.ForeignKey(
        "responders.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("department"),
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("street leader"),
    )
    invitee_name = models.CharField(_("invited person"), max_length=100, blank=True)
    ticket = models.ForeignKey(
        "grievances.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("ticket"),
    )
    matter = models.ForeignKey(
        Matter, on_delete=models.PROTECT, null=True, blank=True, related_name="invitations", verbose_name=_("matter")
    )
    proposed_at = models.DateTimeField(_("proposed time"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.INVITED)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    meeting = models.OneToOneField(
        "meetings.Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitation",
        verbose_name=_("session"),
    )
    decision = models.TextField(_("the decision"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    follow_up_by = models.DateField(_("follow up by"), null=True, blank=True)
    followed_up_at = models.DateTimeField(_("followed up at"), null=True, blank=True)
    follow_up_note = models.TextField(_("follow-up"), blank=True)
    late_alerted_at = models.DateTimeField(_("late alert sent at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("invited at"), default=timezone.now)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(department__isnull=False, leader__isnull=True)
                | Q(department__isnull=True, leader__isnull=False),
                name="invitation_invites_one",
            ),
            models.CheckConstraint(
                condition=Q(ticket__isnull=False, matter__isnull=True) | Q(ticket__isnull=True, matter__isnull=False),
                name="invitation_about_one_matter",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""), name="invitation_declined_with_reason"
            ),
        ]
        indexes = [
            models.Index(
                fields=["follow_up_by"],
                name="invitation_may_fall_late",
                condition=Q(status="decided", late_alerted_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.committee} → {self.invitee}: {self.subject}"

    @property
    def invitee(self) -> str:
        who = str(self.department) if self.department_id else str(self.leader)
        return f"{who} {self.invitee_name}".strip()

    @property
    def subject(self) -> str:
        return self.ticket.reference if self.ticket_id else self.matter.title


# --- hearings and the residents' covenant (三会一代理一公约) ----------------------------------


class Hearing(models.Model):
    """听证会 before a decision that touches residents' interests: attached to a consultation
    matter or a livelihood project, held at a hearing meeting, with who took part and the
    opinions heard."""

    matter = models.ForeignKey(
        Matter, on_delete=models.PROTECT, null=True, blank=True, related_name="hearings", verbose_name=_("matter")
    )
    project = models.ForeignKey(
        LivelihoodProject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hearings",
        verbose_name=_("livelihood project"),
    )
    meeting = models.OneToOneField(
        "meetings.Meeting", on_delete=models.PROTECT, related_name="hearing_record", verbose_name=_("meeting")
    )
    participants = models.TextField(_("who took part"))
    # [{"speaker": "...", "opinion": "..."}]: each opinion as it was heard.
    opinions = models.JSONField(_("opinions"), default=list)
    conclusion = models.TextField(_("conclusion"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("hearing")
        verbose_name_plural = _("hearings")
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(matter__isnull=False, project__isnull=True) | Q(matter__isnull=True, project__isnull=False),
                name="hearing_about_one_thing",
            )
        ]

    def __str__(self):
        return f"{self.meeting}: {self.matter or self.project}"


class CovenantVersion(models.Model):
    """居民公约: one version of a committee's residents' covenant, adopted by a representatives'
    meeting and published; a new version supersedes the one before."""

    committee = models.ForeignKey(
        "responders.ResidentialCommittee",
        on_delete=models.PROTECT,
        related_name="covenant_versions",
        verbose_name=_("residential committee"),
    )
    version = models.PositiveSmallIntegerField(_("version"))
    text = models.TextField(_("text"))
    meeting = models.OneToOneField(
        "meetings.Meeting",
        on_delete=models.PROTECT,
        related_name="covenant_version",
        verbose_name=_("adopted at"),
    )
    adopted_on = models.DateField(_("adopted on"))
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("residents' covenant")
        verbose_name_plural = _("residents' covenants")
        ordering = ["committee", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "version"], name="covenant_version_once"),
        ]

    def __str__(self):
        return f"{self.committee} · v{self.version}"


# --- the year-end democratic evaluation (民主评议会, seed 002) ---------------------------------


class YearEndEvaluation(models.Model):
    """民主评议会: once a year per committee, at a meeting of the type `democratic_evaluation`,
    the committee reports on its year (述职), lists its problems and the tasks it takes into
    next year, and the representatives score the committee and each of its cadres
    (百姓评领导) on the type's criteria; the meeting's opinion is printed."""

    committee = models.ForeignKey(
        "responders.ResidentialCommittee",
        on_delete=models.PROTECT,
        related_name="year_end_evaluations",
        verbose_name=_("residential committee"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    meeting = models.OneToOneField(
        "meetings.Meeting",
        on_delete=models.PROTECT,
        related_name="year_end_evaluation",
        verbose_name=_("meeting"),
    )
    duty_report = models.TextField(_("report on duty"), blank=True)
    opinion = models.TextField(_("the evaluation's opinion"), blank=True)
    opinion_on = models.DateField(_("opinion given on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("year-end democratic evaluation")
        verbose_name_plural = _("year-end democratic evaluations")
        ordering = ["-year", "committee"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "year"], name="year_end_evaluation_once_a_year"),
        ]

    def __str__(self):
        return f"{self.committee} · {self.year}"

    @property
    def street_id(self):
        return self.committee.street_id

    @property
    def unit(self):
        return self.committee


class EvaluationProblem(models.Model):
    """One line of the problem list (问题清单) the committee reports."""

    evaluation = models.ForeignKey(YearEndEvaluation, on_delete=models.CASCADE, related_name="problems")
    text = models.CharField(_("problem"), max_length=300)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.text


class EvaluationTask(models.Model):
    """One line of the task list (任务清单), taken into the year after the evaluation and
    tracked there; one not done when the next evaluation opens is carried into it."""

    class Status(models.TextChoices):
        OPEN = "open", _("not started")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")
        CARRIED = "carried", _("carried into the next year")

    UNFINISHED = (Status.OPEN, Status.IN_PROGRESS)

    evaluation = models.ForeignKey(YearEndEvaluation, on_delete=models.CASCADE, related_name="tasks")
    text = models.CharField(_("task"), max_length=300)
    responsible = models.CharField(_("responsible"), max_length=100)
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(_("progress note"), blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    carried_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carried_into",
        verbose_name=_("carried from"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.text

    @property
    def late(self) -> bool:
        return self.status in self.UNFINISHED and self.due_on < timezone.localdate()


class EvaluationScore(models.Model):
    """The representatives' scores of the committee or of one of its cadres (百姓评领导), on
    every criterion of the meeting's type, 1-5 (the mean of their ballots, one decimal)."""

    class Subject(models.TextChoices):
        COMMITTEE = "committee", _("the committee")
        CADRE = "cadre", _("a cadre")

    evaluation = models.ForeignKey(YearEndEvaluation, on_delete=models.CASCADE, related_name="scores")
    subject = models.CharField(_("scored"), max_length=10, choices=Subject.choices)
    name = models.CharField(_("name"), max_length=100)
    post = models.CharField(_("post"), max_length=100, blank=True)
    scores = models.JSONField(_("scores"), default=dict)
    raters = models.PositiveSmallIntegerField(_("representatives scoring"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("evaluation score")
        verbose_name_plural = _("evaluation scores")
        ordering = ["evaluation", "-subject", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "subject", "name"], name="evaluation_score_once"),
            models.UniqueConstraint(
                fields=["evaluation"], condition=Q(subject="committee"), name="evaluation_committee_scored_once"
            ),
        ]

    def __str__(self):
        return self.name

    def in_order(self, criteria) -> list[tuple[str, float | None]]:
        """The scores in the order of the type's criteria (jsonb keeps its keys in its own order)."""
        return [(criterion, self.scores.get(criterion)) for criterion in criteria]

    @property
    def average(self) -> float | None:
        values = [v for v in self.scores.values() if isinstance(v, int | float)]
        return round(sum(values) / len(values), 1) if values else None

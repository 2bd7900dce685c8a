"""Writes for livelihood projects (民生实事, seed 000): proposals gathered each half-year from
committees and residents; the street's proposal meeting (民生实事提议会) selects them with a
budget, a responsible unit and a timetable; a selected project is carried out under
milestones (consultation.services: milestone_add, milestone_done, progress_report, the
late-milestone sweep); after completion, the consultation and maintenance contract
(征询契约制) between the manager and the beneficiaries, reviewed periodically: a review that
finds a breach opens a ticket.

As for matters: each action locks the project's row, asks the policy whether the person acts
for the project's unit (`Right.RUN_CONSULTATION`; selection is the street's), and records
who did it. `now=` drives the clock.
"""

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock
from core.enums import Channel
from core.errors import InvalidInput, InvalidTransition
from grievances.models import Category
from intake.services import ticket_create
from meetings.models import Meeting
from meetings.selectors import visible_meetings
from responders.models import ResidentialCommittee, StreetOffice, User
from responders.selectors import user_scope

from .models import ContractReview, LivelihoodProject, MaintenanceContract, ProjectEvent
from .services import Actor, _locked, _log, _require_acts_for, _text, _today

# The meeting type that selects projects (seeded by meetings' migration 0002).
PROPOSAL_MEETING = "livelihood"
BREACH_CATEGORY = "public_facilities"


def half_year(day: dt.date) -> str:
    """The proposal round a date falls in: "2026-H1" (January-June) or "2026-H2"."""
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def project_propose(
    *,
    actor: Actor,
    unit: ResidentialCommittee | StreetOffice,
    title: str,
    location: str,
    proposed_by: str,
    proposer: str = "",
    description: str = "",
    now: dt.datetime | None = None,
) -> LivelihoodProject:
    """A proposal for this half-year's round, from a committee or from residents (recorded by
    the staff of the committee or street it concerns)."""
    now = clock.now(now)
    _require_acts_for(actor, unit)
    title = _text(title, "title", _("the title"), max_length=200)
    location = _text(location, "location", _("the place"), max_length=200)
    if proposed_by not in LivelihoodProject.ProposedBy.values:
        raise InvalidInput(_("Say who proposed it."), field="proposed_by")
    committee = unit if isinstance(unit, ResidentialCommittee) else None
    with transaction.atomic():
        project = LivelihoodProject.objects.create(
            street_id=unit.street_id if committee else unit.pk,
            committee=committee,
            period=half_year(_today(now)),
            title=title,
            description=(description or "").strip(),
            location=location,
            proposed_by=proposed_by,
            proposer=(proposer or "").strip()[:100],
            created_by=actor if isinstance(actor, User) else None,
            created_at=now,
        )
        _log(project, ProjectEvent.Kind.PROPOSED, actor, now, project.proposer)
    return project


def _check_proposal_meeting(project: LivelihoodProject, meeting: Meeting | None, actor: Actor, now) -> None:
    if meeting is None:
        raise InvalidInput(_("Name the proposal meeting that decided."), field="meeting")
    seen = visible_meetings(user_scope(actor)) if isinstance(actor, User) else Meeting.objects.all()
    if not seen.filter(pk=meeting.pk).exists():
        raise InvalidInput(_("No such meeting."), field="meeting")
    if (
        meeting.type.code != PROPOSAL_MEETING
        or meeting.street_id != project.street_id
        or meeting.committee_id is not None
    ):
        raise InvalidInput(
            _("Projects are selected by %(street)s's livelihood-project proposal meeting.")
            % {"street": project.street},
            field="meeting",
        )
    if meeting.status == Meeting.Status.CANCELLED:
        raise InvalidInput(_("That meeting was cancelled."), field="meeting")
    if meeting.starts_at > now:
        raise InvalidInput(_("The meeting has not begun yet."), field="meeting")


def project_decide(
    *,
    project: LivelihoodProject,
    actor: Actor,
    meeting: Meeting | None,
    selected: bool,
    note: str = "",
    budget: Decimal | None = None,
    responsible_unit: str = "",
    responsible_person: str = "",
    responsible_user: User | None = None,
    starts_on: dt.date | None = None,
    due_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> LivelihoodProject:
    """The proposal meeting's decision on one proposal: selected with a budget, a responsible
    unit and person and a timetable, or not selected with the reason. Once."""
    now = clock.now(now)
    with transaction.atomic():
        project = _locked(project, actor)
        _require_acts_for(actor, project.street)  # selection is the street's
        if project.status != LivelihoodProject.Status.PROPOSED:
            raise InvalidTransition(_("This proposal has been decided already."), code="decided")
        _check_proposal_meeting(project, meeting, actor, now)
        fields = ["status", "meeting", "decided_at", "decision_note"]
        if selected:
            if budget is None or budget <= 0:
                raise InvalidInput(_("Give the budget."), field="budget")
            project.budget = budget
            project.responsible_unit = _text(
                responsible_unit, "responsible_unit", _("the responsible unit"), max_length=200
            )
            project.responsible_person = _text(
                responsible_person, "responsible_person", _("the responsible person"), max_length=100
            )
            project.responsible_user = responsible_user
            if starts_on is None:
                raise InvalidInput(_("Give the date it starts."), field="starts_on")
            if due_on is None or due_on < starts_on:
                raise InvalidInput(_("Give the date it is due, on or after its start."), field="due_on")
            project.starts_on, project.due_on = starts_on, due_on
            project.status = LivelihoodProject.Status.SELECTED
            fields += ["budget", "responsible_unit", "responsible_person", "responsible_user", "starts_on", "due_on"]
        else:
            note = _text(note, "note", _("the reason"))
            project.status = LivelihoodProject.Status.NOT_SELECTED
        project.meeting, project.decided_at, project.decision_note = meeting, now, (note or "").strip()
        project.save(update_fields=fields)
        _log(
            project,
            ProjectEvent.Kind.SELECTED if selected else ProjectEvent.Kind.NOT_SELECTED,
            actor,
            now,
            project.decision_note,
            meeting=meeting.pk,
            budget=str(project.budget or ""),
        )
    return project


def project_complete(
    *, project: LivelihoodProject, actor: Actor, completed_on: dt.date | None = None, now: dt.datetime | None = None
) -> LivelihoodProject:
    """Completed: every milestone done and progress at 100 %."""
    now = clock.now(now)
    completed_on = completed_on or _today(now)
    if completed_on > _today(now):
        raise InvalidInput(_("The date is in the future."), field="completed_on")
    with transaction.atomic():
        project = _locked(project, actor)
        if project.status != LivelihoodProject.Status.SELECTED:
            raise InvalidTransition(_("The project is not being carried out."), code="not_implementing")
        if project.milestones.filter(done_on__isnull=True).exists():
            raise InvalidTransition(_("Some milestones are not done yet."), code="milestones_open")
        if project.progress < 100:
            raise InvalidTransition(_("Progress has not reached 100 percent yet."), code="progress")
        project.status, project.completed_on = LivelihoodProject.Status.COMPLETED, completed_on
        project.save(update_fields=["status", "completed_on"])
        _log(project, ProjectEvent.Kind.COMPLETED, actor, now, completed_on=completed_on.isoformat())
    return project


def contract_sign(
    *,
    project: LivelihoodProject,
    actor: Actor,
    manager: str,
    beneficiaries: str,
    manager_duties: str,
    beneficiary_duties: str,
    signed_on: dt.date | None,
    ends_on: dt.date | None,
    review_every_months: int = 6,
    now: dt.datetime | None = None,
) -> MaintenanceContract:
    """征询契约: once the project is completed, one contract binding its manager and its
    beneficiaries for the maintenance period."""
    now = clock.now(now)
    fields = {
        "manager": _text(manager, "manager", _("the manager"), max_length=200),
        "beneficiaries": _text(beneficiaries, "beneficiaries", _("the beneficiaries"), max_length=300),
        "manager_duties": _text(manager_duties, "manager_duties", _("the manager's obligations")),
        "beneficiary_duties": _text(beneficiary_duties, "beneficiary_duties", _("the beneficiaries' obligations")),
    }
    if signed_on is None or signed_on > _today(now):
        raise InvalidInput(_("Give the date it was signed (not in the future)."), field="signed_on")
    if ends_on is None or ends_on <= signed_on:
        raise InvalidInput(_("The maintenance period ends after the signing."), field="ends_on")
    if not 1 <= review_every_months <= 24:
        raise InvalidInput(_("Review every 1 to 24 months."), field="review_every_months")
    with transaction.atomic():
        project = _locked(project, actor)
        if project.status != LivelihoodProject.Status.COMPLETED:
            raise InvalidTransition(_("The contract is signed once the project is completed."), code="not_completed")
        if signed_on < project.completed_on:
            raise InvalidInput(_("The contract is signed once the project is completed."), field="signed_on")
        try:
            with transaction.atomic():
                contract = MaintenanceContract.objects.create(
                    project=project,
                    signed_on=signed_on,
                    ends_on=ends_on,
                    review_every_months=review_every_months,
                    created_by=actor if isinstance(actor, User) else None,
                    **fields,
                )
        except IntegrityError as error:
            raise InvalidTransition(_("This project has its contract already."), code="contract_exists") from error
        _log(project, ProjectEvent.Kind.CONTRACT, actor, now, fields["manager"], ends_on=ends_on.isoformat())
    return contract


def contract_review(
    *,
    contract: MaintenanceContract,
    actor: Actor,
    findings: str,
    breach: bool,
    reviewed_on: dt.date | None = None,
    category: Category | None = None,
    now: dt.datetime | None = None,
) -> ContractReview:
    """A periodic review, by those who act for the project's committee or street. A breach found
    opens a ticket at the project's place (the committee's, or the street's), in the same
    transaction, which the review links."""
    now = clock.now(now)
    reviewed_on = reviewed_on or _today(now)
    findings = _text(findings, "findings", _("the findings"))
    with transaction.atomic():
        project = _locked(contract.project, actor)
        contract = MaintenanceContract.objects.get(pk=contract.pk)
        if not contract.signed_on <= reviewed_on <= _today(now):
            raise InvalidInput(_("The review date falls between the signing and today."), field="reviewed_on")
        ticket = None
        if breach:
            ticket = ticket_create(
                actor=actor,
                category=category or Category.objects.get(code=BREACH_CATEGORY),
                description=_("Maintenance contract breached (%(project)s, %(manager)s): %(findings)s")
                % {"project": project.title, "manager": contract.manager, "findings": findings},
                channel=Channel.VISIT,
                committee=project.committee,
                street=project.street,
                address=project.location,
                now=now,
            )
        review = ContractReview.objects.create(
            contract=contract,
            reviewed_on=reviewed_on,
            findings=findings,
            breach=breach,
            ticket=ticket,
            reviewed_by=actor if isinstance(actor, User) else None,
            created_at=now,
        )
        _log(
            project,
            ProjectEvent.Kind.REVIEWED,
            actor,
            now,
            findings,
            breach=breach,
            ticket=ticket.reference if ticket else "",
        )
    return review


def contract_reviews_due(contract: MaintenanceContract, today: dt.date | None = None) -> dt.date | None:
    """The next review's date: every `review_every_months` from the last review (or the
    signing), while the maintenance period lasts; None after it."""
    today = today or timezone.localdate()
    last = contract.reviews.order_by("-reviewed_on").values_list("reviewed_on", flat=True).first() or contract.signed_on
    months = last.month - 1 + contract.review_every_months
    year, month = last.year + months // 12, months % 12 + 1
    day = min(last.day, 28)
    due = dt.date(year, month, day)
    return due if due <= contract.ends_on else None

"""The figures a street is judged by (DOMAIN.md), computed in the database under the
visibility rule: every count is one aggregate query, never a Python loop over tickets.

Definitions (also in the README):
- received: tickets created in the period, in the unit (a duplicate merged into another is
  cancelled: one problem counts once); reporters: those received tickets' reporters, the
  first and those who joined (also reported by);
- response rate: received tickets that were answered (acknowledged, started or resolved)
  and never flagged late for their response, over received;
- resolution rate: received tickets now resolved or closed, over received (cancelled ones
  left out of both);
- satisfaction rate: feedback on received tickets that is satisfied or basically satisfied,
  over all such feedback;
- on-time rate: resolved received tickets resolved by their resolve-by and never carried up
  by the sweep, over resolved received tickets;
- pyramid: resolved received tickets by the tier they were resolved at;
- meetings: meetings of the unit recorded as held whose start lies in the period, by type;
  hearings and coordination meetings are the types of those purposes;
- conflicts defused: tickets a coordination or mediation meeting of the period (not
  cancelled) decided to resolve;
- referrals (agency cases): referrals to departments made in the period for the unit's
  tickets, whenever those were received;
- the two lists (两份清单): referrals made in the period for the unit's tickets because the
  street's list names the matter an administrative affair: straight at opening, or declined
  by a committee citing the list;
- department scorecards: per department, its referrals of received tickets (answered, on
  time, late and unanswered), the evaluations of it at the period's meetings (their
  number and mean score, 1-5, over every criterion), and the residents' verdicts on the
  received tickets referred to it (not withdrawn): how many, and the share satisfied or
  basically satisfied; an evaluated body that is not a department (a property company)
  has a row of its own;
- residents rate the community (居民评社区): the questionnaire's answers of the year up to
  the period's end, overall, per question, per committee and per zone, each with the number
  of households that answered; ranked only where at least ZHITONG_SURVEY_MIN_SAMPLE did;
- consultation (a street's or a committee's report; none for a zone): the matters raised
  before the period's end by the last step recorded before it (0 = none yet; turned down
  counted apart, so the steps and "turned down" add up to the matters), and those raised in
  the period; the livelihood projects completed in the period, on time (by their due date)
  or late, and those selected, due before the period's end and still not completed; the
  invitations sent in the period, answered (accepted or declined) before its end or not;
  the year-end democratic evaluations of the year before (the committee's mean score, its
  cadres' mean, the tasks set there: done, carried into the next year, still open).
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from consultation.models import EvaluationScore, EvaluationTask, Invitation, LivelihoodProject, YearEndEvaluation
from consultation.selectors import visible_invitations, visible_matters, visible_projects
from core.clock import SHANGHAI
from core.enums import OPEN_STATUSES, Status, TicketKind, Tier
from escalation.calendar import WorkingCalendar
from escalation.models import Referral
from escalation.transitions import SWEEP
from grievances.models import Feedback, Household, Ticket, TicketEvent, TicketReporter, Visit
from grievances.selectors import overdue_tickets, visible_households, visible_tickets
from meetings.models import AgendaItem, Decision, Evaluation, Meeting, Purpose
from meetings.selectors import visible_meetings
from responders.selectors import Scope, visible_committees
from surveys.models import SurveyResponse
from surveys.selectors import overall, per_question, ratings

RESOLVED = (Status.RESOLVED, Status.CLOSED)
SATISFIED_VERDICTS = (Feedback.Satisfaction.SATISFIED, Feedback.Satisfaction.BASICALLY_SATISFIED)
GOAL_RESOLUTION_RATE = 0.9  # 90% of grassroots problems solved within the year (seed 000)


@dataclass(frozen=True)
class ReportUnit:
    """The org unit a report counts: a street, a committee or a zone (by id), or all visible."""

    street_id: int | None = None
    committee_id: int | None = None
    zone_id: int | None = None

    def narrow(self, rows: QuerySet) -> QuerySet:
        """Tickets or meetings (both carry their street, committee and zone) of the unit."""
        if self.zone_id:
            return rows.filter(zone_id=self.zone_id)
        if self.committee_id:
            return rows.filter(committee_id=self.committee_id)
        if self.street_id:
            return rows.filter(street_id=self.street_id)
        return rows

    def narrow_households(self, households: QuerySet[Household]) -> QuerySet[Household]:
        if self.zone_id:
            return households.filter(zone_id=self.zone_id)
        if self.committee_id:
            return households.filter(zone__committee_id=self.committee_id)
        if self.street_id:
            return households.filter(zone__committee__street_id=self.street_id)
        return households


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in Asia/Shanghai as aware datetimes."""
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=SHANGHAI),
        dt.datetime.combine(end, dt.time.min, tzinfo=SHANGHAI),
    )


def received(scope: Scope, unit: ReportUnit, start: dt.date, end: dt.date) -> QuerySet[Ticket]:
    since, until = period_bounds(start, end)
    return unit.narrow(visible_tickets(scope)).filter(created_at__gte=since, created_at__lt=until)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


ANSWERED = ~Q(status=Status.NEW) | Q(first_responded_at__isnull=False)
RESOLVED_BY_DEADLINE = Q(status__in=RESOLVED, resolved_at__lte=F("resolve_by"))
# The two marks only the timeline keeps (the ticket's flags are cleared when it moves up or
# reopens): a response flagged late at some tier, a carrying up by the sweep.
LATE_RESPONSE = Q(events__kind=TicketEvent.Kind.RESPOND_OVERDUE)
CARRIED_UP = Q(events__kind=TicketEvent.Kind.ESCALATED, events__actor_label=SWEEP)


def headline(tickets: QuerySet[Ticket]) -> dict:
    """Received, the three rates, on-time and the pyramid for a set of received tickets.

    Three queries: one pass over the tickets with a filtered count per figure (and those who
    joined each received ticket: one problem, several reporters); one join of
    those tickets to just their late-response and sweep-escalation events (a ticket can have
    several, hence the distinct counts), whose answered/on-time ones are taken off the
    responded and on-time counts; and the feedback."""
    resolved = Q(status__in=RESOLVED)
    # One problem, several reporters: those who joined a received ticket (also reported by,
    # a merged duplicate's reporters) count as reporters, not as more problems.
    joined = (
        TicketReporter.objects.filter(ticket=OuterRef("pk"))
        .order_by()
        .values("ticket")
        .annotate(n=Count("pk"))
        .values("n")
    )
    counts = (
        tickets.order_by()
        .annotate(joined_here=Coalesce(Subquery(joined), 0))
        .aggregate(
            joined=Coalesce(Sum("joined_here", filter=~Q(status=Status.CANCELLED)), 0),
            received=Count("pk", filter=~Q(status=Status.CANCELLED)),
            cancelled=Count("pk", filter=Q(status=Status.CANCELLED)),
            answered=Count("pk", filter=~Q(status=Status.CANCELLED) & ANSWERED),
            resolved=Count("pk", filter=resolved),
            by_deadline=Count("pk", filter=RESOLVED_BY_DEADLINE),
            zone=Count("pk", filter=resolved & Q(tier=Tier.ZONE)),
            committee=Count("pk", filter=resolved & Q(tier=Tier.COMMITTEE)),
            street=Count("pk", filter=resolved & Q(tier=Tier.STREET)),
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        )
    )
    marked = (
        tickets.filter(LATE_RESPONSE | CARRIED_UP)
        .order_by()
        .aggregate(
            answered_late=Count("pk", distinct=True, filter=LATE_RESPONSE & ~Q(status=Status.CANCELLED) & ANSWERED),
            carried_up=Count("pk", distinct=True, filter=CARRIED_UP & RESOLVED_BY_DEADLINE),
        )
    )
    feedback = Feedback.objects.filter(ticket__in=tickets.values("pk")).aggregate(
        total=Count("pk"),
        satisfied=Count("pk", filter=Q(satisfaction__in=SATISFIED_VERDICTS)),
    )
    counts["responded"] = counts.pop("answered") - marked["answered_late"]
    counts["on_time"] = counts.pop("by_deadline") - marked["carried_up"]
    return {
        **counts,
        "reporters": counts["received"] + counts.pop("joined"),
        "feedback": feedback["total"],
        "satisfied": feedback["satisfied"],
        "response_rate": rate(counts["responded"], counts["received"]),
        "resolution_rate": rate(counts["resolved"], counts["received"]),
        "satisfaction_rate": rate(feedback["satisfied"], feedback["total"]),
        "on_time_rate": rate(counts["on_time"], counts["resolved"]),
        "pyramid": {tier: rate(counts[tier], counts["resolved"]) for tier in ("zone", "committee", "street")},
    }


def year_to_date(tickets: QuerySet[Ticket]) -> dict:
    """Received and resolved only: the year's line needs nothing else."""
    return tickets.order_by().aggregate(
        received=Count("pk", filter=~Q(status=Status.CANCELLED)),
        resolved=Count("pk", filter=Q(status__in=RESOLVED)),
    )


def breakdown(tickets: QuerySet[Ticket], field: str, label: str) -> list[dict]:
    """Received and resolved per value of `field` (category, committee, zone, channel)."""
    rows = (
        tickets.exclude(status=Status.CANCELLED)
        .order_by()
        .values(key=F(field), name=F(label))
        .annotate(received=Count("pk"), resolved=Count("pk", filter=Q(status__in=RESOLVED)))
        .order_by("-received", "name")
    )
    return [{**row, "resolution_rate": rate(row["resolved"], row["received"])} for row in rows]


def hot_spots(tickets: QuerySet[Ticket], minimum: int = 2) -> list[dict]:
    """Buildings where one kind of matter keeps coming back."""
    return list(
        tickets.exclude(status=Status.CANCELLED)
        .exclude(household__building__isnull=True)
        .order_by()
        .values(building=F("household__building__name"), category_name=F("category__name"))
        .annotate(tickets=Count("pk"))
        .filter(tickets__gte=minimum)
        .order_by("-tickets", "building")[:20]
    )


def overdue(scope: Scope, unit: ReportUnit, now: dt.datetime | None = None) -> QuerySet[Ticket]:
    now = now or timezone.now()
    tickets = unit.narrow(visible_tickets(scope))
    return (
        tickets.filter(pk__in=overdue_tickets(tickets, now))
        .select_related("category", "owner", "committee")
        .order_by("resolve_by")
    )


def visit_coverage(scope: Scope, unit: ReportUnit, year: int, until: dt.date | None = None) -> dict:
    """Households visited at least once in `year`, up to (not including) `until`: a month's
    report counts the visits of its year up to its end, never one made after it."""
    households = unit.narrow_households(visible_households(scope))
    total = households.count()
    visits = Visit.objects.filter(household__in=households.values("pk"), visited_on__year=year)
    if until is not None:
        visits = visits.filter(visited_on__lt=until)
    visited = visits.values("household").distinct().count()
    return {"households": total, "visited": visited, "rate": rate(visited, total)}


def department_scorecards(
    tickets: QuerySet[Ticket],
    meetings: QuerySet[Meeting],
    now: dt.datetime | None = None,
    invitations: QuerySet[Invitation] | None = None,
) -> list[dict]:
    """Per department: its referrals of these tickets (answered, on time, still late), the
    evaluations of it at these meetings, and the invitations (约请) of its head among
    `invitations` (accepted, declined, decided); evaluated bodies that are not departments too."""
    now = now or timezone.now()
    referrals = (
        Referral.objects.filter(ticket__in=tickets.values("pk"), withdrawn_at__isnull=True)
        .order_by()
        .values(department_name=F("department__name"))
        .annotate(
            referrals=Count("pk"),
            answered=Count("pk", filter=Q(answered_at__isnull=False)),
            on_time=Count("pk", filter=Q(answered_at__lte=F("answer_by"))),
            late_open=Count("pk", filter=Q(answered_at__isnull=True, answer_by__lt=now)),
        )
    )
    # The residents' verdicts on the tickets each department was referred (one join: a ticket
    # referred to two departments counts for both).
    verdicts = (
        Feedback.objects.filter(
            ticket__in=tickets.values("pk"),
            ticket__referrals__isnull=False,
            ticket__referrals__withdrawn_at__isnull=True,
        )
        .order_by()
        .values(department_name=F("ticket__referrals__department__name"))
        .annotate(
            verdicts=Count("pk", distinct=True),
            verdicts_satisfied=Count("pk", distinct=True, filter=Q(satisfaction__in=SATISFIED_VERDICTS)),
        )
    )
    # A handful of evaluations a month (never tickets): their scores are averaged here, the
    # same way the evaluation's own page does, whatever the database.
    ratings: dict[str, list[float]] = {}
    evaluated = Evaluation.objects.filter(meeting__in=meetings.values("pk")).values_list(
        Coalesce(F("department__name"), F("body_name")), "scores"
    )
    for name, scores in evaluated:
        ratings.setdefault(name, []).append(Evaluation.mean(scores))
    invited = (
        invitations.filter(department__isnull=False)
        .order_by()
        .values(department_name=F("department__name"))
        .annotate(
            invitations=Count("pk"),
            invitations_accepted=Count(
                "pk", filter=~Q(status__in=[Invitation.Status.INVITED, Invitation.Status.DECLINED])
            ),
            invitations_declined=Count("pk", filter=Q(status=Invitation.Status.DECLINED)),
            invitations_decided=Count("pk", filter=Q(decided_at__isnull=False)),
        )
        if invitations is not None
        else []
    )
    rows: dict[str, dict] = {}
    blank = {
        "invitations": 0,
        "invitations_accepted": 0,
        "invitations_declined": 0,
        "invitations_decided": 0,
        "referrals": 0,
        "answered": 0,
        "on_time": 0,
        "late_open": 0,
        "evaluations": 0,
        "rating": None,
        "verdicts": 0,
        "verdicts_satisfied": 0,
    }
    for row in referrals:
        rows[row["department_name"]] = {**blank, **row}
    for row in verdicts:
        rows.setdefault(row["department_name"], {**blank, "department_name": row["department_name"]}).update(row)
    for row in invited:
        rows.setdefault(row["department_name"], {**blank, "department_name": row["department_name"]}).update(row)
    for name, means in ratings.items():
        scored = [mean for mean in means if mean is not None]
        rows.setdefault(name, {**blank, "department_name": name}).update(
            evaluations=len(means), rating=round(sum(scored) / len(scored), 2) if scored else None
        )
    return [
        {
            **row,
            "on_time_rate": rate(row["on_time"], row["referrals"]),
            "verdict_rate": rate(row["verdicts_satisfied"], row["verdicts"]),
        }
        for row in sorted(
            rows.values(),
            key=lambda row: (-row["referrals"], -row["evaluations"], -row["invitations"], row["department_name"]),
        )
    ]


def held_meetings(scope: Scope, unit: ReportUnit, start: dt.date, end: dt.date) -> QuerySet[Meeting]:
    """The unit's meetings starting in the period that were not cancelled."""
    since, until = period_bounds(start, end)
    return (
        unit.narrow(visible_meetings(scope))
        .filter(starts_at__gte=since, starts_at__lt=until)
        .exclude(status=Meeting.Status.CANCELLED)
    )


def meeting_counts(scope: Scope, unit: ReportUnit, meetings: QuerySet[Meeting], start: dt.date, end: dt.date) -> dict:
    """Meetings held by type, hearings, coordination meetings, conflicts defused and
    referrals (agency cases) in the period."""
    held = meetings.filter(status=Meeting.Status.HELD).order_by()
    by_type = list(
        held.values(code=F("type__code"), name=F("type__name"), purpose=F("type__purpose"))
        .annotate(held=Count("pk"))
        .order_by("type__position", "code")
    )
    defused = (
        AgendaItem.objects.filter(
            meeting__in=meetings.values("pk"),
            meeting__type__purpose__in=(Purpose.COORDINATION, Purpose.MEDIATION),
            decision=Decision.RESOLVE,
            ticket__isnull=False,
        )
        .values("ticket")
        .distinct()
        .count()
    )
    since, until = period_bounds(start, end)
    referred = Referral.objects.filter(
        ticket__in=unit.narrow(visible_tickets(scope)).values("pk"), created_at__gte=since, created_at__lt=until
    ).aggregate(referrals=Count("pk"), tickets=Count("ticket", distinct=True))
    return {
        "held": sum(row["held"] for row in by_type),
        "hearings": sum(row["held"] for row in by_type if row["purpose"] == Purpose.HEARING),
        "coordination": sum(row["held"] for row in by_type if row["purpose"] == Purpose.COORDINATION),
        "conflicts_defused": defused,
        "referrals": referred["referrals"],
        "referred_tickets": referred["tickets"],
        "by_type": by_type,
    }


def list_routes(scope: Scope, unit: ReportUnit, start: dt.date, end: dt.date) -> dict:
    """The two lists (两份清单) at work in the period: matters that went straight to their
    department as administrative affairs, and tasks a committee declined citing the list."""
    since, until = period_bounds(start, end)
    return TicketEvent.objects.filter(
        ticket__in=unit.narrow(visible_tickets(scope)).values("pk"),
        kind=TicketEvent.Kind.REFERRED,
        at__gte=since,
        at__lt=until,
        data__list_route__isnull=False,
    ).aggregate(
        straight=Count("pk", filter=Q(data__list_route="straight")),
        declined=Count("pk", filter=Q(data__list_route="declined")),
    )


def community_ratings(scope: Scope, unit: ReportUnit, start: dt.date, end: dt.date) -> dict:
    """Residents rate the community: the questionnaire's answers given in [start, end) in the
    unit, overall, per question, per committee and per zone (surveys.selectors.ratings: the
    number of households beside every rate, no rank below the minimum sample)."""
    since, until = period_bounds(start, end)
    responses = unit.narrow(
        scope.filter(SurveyResponse.objects.all(), street="street", committee="committee", zone="zone")
    ).filter(created_at__gte=since, created_at__lt=until)
    minimum = settings.ZHITONG_SURVEY_MIN_SAMPLE
    return {
        "since": start.isoformat(),
        "minimum": minimum,
        "overall": overall(responses),
        "questions": per_question(responses),
        "by_committee": ratings(responses, "committee_id", "committee__name", minimum=minimum),
        "by_zone": ratings(responses, "zone_id", "zone__name", minimum=minimum),
    }


def first_data_day(street_id: int) -> dt.date | None:
    """The first day the street has data for: its first ticket's or visit's, whichever came
    first (None: none yet). No report is issued for a month before it."""
    first_ticket = (
        Ticket.objects.filter(street_id=street_id).order_by("created_at").values_list("created_at", flat=True).first()
    )
    first_visit = (
        Visit.objects.filter(zone__committee__street_id=street_id)
        .order_by("visited_on")
        .values_list("visited_on", flat=True)
        .first()
    )
    days = [day for day in (first_ticket and timezone.localtime(first_ticket).date(), first_visit) if day]
    return min(days) if days else None


def statistics(scope: Scope, unit: ReportUnit, start: dt.date, end: dt.date) -> dict:
    """Everything a report or dashboard shows, for one unit and period."""
    tickets = received(scope, unit, start, end)
    meetings = held_meetings(scope, unit, start, end)
    head = headline(tickets)
    year_start = dt.date(start.year, 1, 1)
    # A period from 1 January is the year to date itself: its counts are already in hand.
    year = head if start == year_start else year_to_date(received(scope, unit, year_start, end))
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "headline": head,
        "year": {
            "resolution_rate": rate(year["resolved"], year["received"]),
            "goal": GOAL_RESOLUTION_RATE,
            "received": year["received"],
            "resolved": year["resolved"],
        },
        "by_category": breakdown(tickets, "category__code", "category__name"),
        "by_committee": breakdown(tickets.exclude(committee__isnull=True), "committee_id", "committee__name"),
        "by_zone": breakdown(tickets.exclude(zone__isnull=True), "zone_id", "zone__name"),
        "by_channel": breakdown(tickets, "channel", "channel"),
        "hot_spots": hot_spots(tickets),
        "departments": department_scorecards(
            tickets, meetings, invitations=_period_invitations(scope, unit, start, end)
        ),
        "meetings": meeting_counts(scope, unit, meetings, start, end),
        "two_lists": list_routes(scope, unit, start, end),
        "visits": visit_coverage(scope, unit, start.year, until=end),
        # The questionnaire goes with the yearly visit round: its answers of the year so far.
        "community": community_ratings(scope, unit, year_start, end),
        "consultation": consultation_figures(scope, unit, start, end),
    }


def _period_invitations(scope: Scope, unit: ReportUnit, start: dt.date, end: dt.date) -> QuerySet | None:
    """The unit's invitations (约请) sent in the period, for the department scorecards."""
    invitations = _consultation_unit(unit, visible_invitations(scope))
    if invitations is None:
        return None
    since, until = period_bounds(start, end)
    return invitations.filter(created_at__gte=since, created_at__lt=until)


def _consultation_unit(unit: ReportUnit, rows: QuerySet) -> QuerySet | None:
    """Consultation is held by streets and committees, never by a zone."""
    if unit.zone_id:
        return None
    if unit.committee_id:
        return rows.filter(committee_id=unit.committee_id)
    if unit.street_id:
        return rows.filter(street_id=unit.street_id)
    return rows


def consultation_figures(scope: Scope, unit: ReportUnit, start: dt.date, end: dt.date) -> dict | None:
    """Seed 002's and 000's procedures in the report (see the module's definitions)."""
    matters = _consultation_unit(unit, visible_matters(scope))
    if matters is None:
        return None
    since, until = period_bounds(start, end)
    matters = (
        matters.filter(created_at__lt=until)
        .annotate(step_then=Coalesce(Max("steps__number", filter=Q(steps__held_on__lt=end)), 0))
        .values_list("step_then", "rejected_at", "created_at")
        .order_by()
    )
    by_step = dict.fromkeys(range(8), 0)
    rejected = raised = 0
    for step, rejected_at, created_at in matters:
        if rejected_at is not None and rejected_at < until:
            rejected += 1
        else:
            by_step[step] += 1
        raised += created_at >= since
    projects = (
        _consultation_unit(unit, visible_projects(scope))
        .order_by()
        .aggregate(
            completed=Count("pk", filter=Q(completed_on__gte=start, completed_on__lt=end)),
            on_time=Count("pk", filter=Q(completed_on__gte=start, completed_on__lt=end, completed_on__lte=F("due_on"))),
            overdue=Count(
                "pk",
                filter=Q(
                    status__in=(LivelihoodProject.Status.SELECTED, LivelihoodProject.Status.COMPLETED), due_on__lt=end
                )
                & (Q(completed_on__isnull=True) | Q(completed_on__gte=end)),
            ),
        )
    )
    invitations = _consultation_unit(unit, visible_invitations(scope)).filter(
        created_at__gte=since, created_at__lt=until
    )
    invited = invitations.order_by().aggregate(
        sent=Count("pk"),
        answered=Count("pk", filter=Q(answered_at__lt=until)),
        declined=Count("pk", filter=Q(answered_at__lt=until, status=Invitation.Status.DECLINED)),
    )
    return {
        "matters": {
            "total": len(matters),
            "raised": raised,
            "by_step": [{"step": step, "matters": count} for step, count in by_step.items()],
            "rejected": rejected,
        },
        "projects": {**projects, "late": projects["completed"] - projects["on_time"]},
        "invitations": {
            **invited,
            "accepted": invited["answered"] - invited["declined"],
            "unanswered": invited["sent"] - invited["answered"],
        },
        "evaluations": last_year_evaluations(scope, unit, start.year - 1),
    }


def last_year_evaluations(scope: Scope, unit: ReportUnit, year: int) -> list[dict]:
    """The year-end democratic evaluations of `year` of the unit's committees: the scores
    (the committee's mean over the criteria, its cadres' mean) and how the tasks set there
    went. A handful of rows a year: the means are taken here, as the evaluation's page does."""
    committees = visible_committees(scope)
    if unit.committee_id:
        committees = committees.filter(pk=unit.committee_id)
    elif unit.street_id:
        committees = committees.filter(street_id=unit.street_id)
    evaluations = (
        YearEndEvaluation.objects.filter(year=year, committee__in=committees.values("pk"))
        .select_related("committee")
        .annotate(
            tasks_total=Count("tasks", distinct=True),
            tasks_done=Count("tasks", filter=Q(tasks__status=EvaluationTask.Status.DONE), distinct=True),
            tasks_carried=Count("tasks", filter=Q(tasks__status=EvaluationTask.Status.CARRIED), distinct=True),
        )
        .order_by("committee__code")
    )
    evaluations = list(evaluations)
    scores: dict[int, list[EvaluationScore]] = {}
    for row in EvaluationScore.objects.filter(evaluation__in=[e.pk for e in evaluations]):
        scores.setdefault(row.evaluation_id, []).append(row)
    rows = []
    for evaluation in evaluations:
        mine = scores.get(evaluation.pk, [])
        committee = next((s.average for s in mine if s.subject == EvaluationScore.Subject.COMMITTEE), None)
        cadres = [s.average for s in mine if s.subject == EvaluationScore.Subject.CADRE and s.average is not None]
        rows.append(
            {
                "evaluation": evaluation.pk,
                "year": evaluation.year,
                "committee_name": evaluation.committee.name,
                "committee_score": committee,
                "cadres": len(cadres),
                "cadres_score": round(sum(cadres) / len(cadres), 1) if cadres else None,
                "tasks": evaluation.tasks_total,
                "tasks_done": evaluation.tasks_done,
                "tasks_carried": evaluation.tasks_carried,
                "tasks_open": evaluation.tasks_total - evaluation.tasks_done - evaluation.tasks_carried,
            }
        )
    return rows


# --- the service window's figures (限时办结, issue 19) -------------------------------------


@dataclass
class ServiceFigures:
    """One service item's, one class's, or the whole window's applications of a period."""

    name: str
    code: str = ""
    applications: int = 0
    completed: int = 0
    on_time: int = 0
    # Of those on time, how many only with the working time their clock was paused: the
    # deadline moved by the wait, and the report says so.
    on_time_with_pause: int = 0
    late: int = 0  # completed after resolve-by, or open past it
    paused_now: int = 0  # open with the clock paused: neither on time nor late yet
    working_seconds: int = 0  # from application to completion, over the completed ones
    paused_seconds: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.on_time, self.completed)

    @property
    def average_working_days(self) -> float | None:
        return round(self.working_seconds / WORKING_DAY_SECONDS / self.completed, 1) if self.completed else None

    @property
    def paused_working_days(self) -> float:
        return round(self.paused_seconds / WORKING_DAY_SECONDS, 1)

    def add(self, row: dict, calendar: WorkingCalendar, now: dt.datetime) -> None:
        self.applications += 1
        self.paused_seconds += row["paused_seconds"]
        resolved_at, resolve_by = row["resolved_at"], row["resolve_by"]
        if row["status"] in RESOLVED and resolved_at is not None:
            self.completed += 1
            self.working_seconds += int(calendar.working_time_between(row["created_at"], resolved_at).total_seconds())
            if resolved_at <= resolve_by:
                self.on_time += 1
                paused = dt.timedelta(seconds=row["paused_seconds"])
                if paused and resolved_at > calendar.subtract_working_time(resolve_by, paused):
                    self.on_time_with_pause += 1
            else:
                self.late += 1
        elif row["paused_at"] is not None:
            self.paused_now += 1
        elif resolve_by is not None and resolve_by < now:
            self.late += 1


WORKING_DAY_SECONDS = WorkingCalendar.WORKING_DAY.total_seconds()


def service_figures(scope: Scope, unit: ReportUnit, start: dt.date, end: dt.date, now: dt.datetime | None = None):
    """The window's applications received in [start, end) under the visibility rule, per item
    and per class: how many, completed, on time (resolved by resolve-by, which a pause moved
    by the working time paused; those that needed it are counted apart), late (completed
    after it, or open past it), paused now (never counted on time), the average working days
    from application to completion, the working time paused; and the items most often late.
    One query; the working days are counted in Python on the calendar (a street's month is
    a few hundred applications)."""
    now = now or timezone.now()
    calendar = WorkingCalendar.load()
    rows = (
        received(scope, unit, start, end)
        .filter(kind=TicketKind.SERVICE)
        .exclude(status=Status.CANCELLED)
        .values(
            "service_item_id",
            "service_item__code",
            "service_item__name",
            "service_item__name_en",
            "service_item__service_class_id",
            "service_item__service_class__name",
            "service_item__service_class__name_en",
            "service_item__service_class__position",
            "status",
            "created_at",
            "resolved_at",
            "resolve_by",
            "paused_at",
            "paused_seconds",
        )
        .order_by("service_item__service_class__position", "service_item__position", "service_item_id")
    )
    english = (translation.get_language() or "").startswith("en")
    total = ServiceFigures(name=_("All applications"))
    items: dict[int, ServiceFigures] = {}
    classes: dict[int, ServiceFigures] = {}
    for row in rows:
        item_name = (english and row["service_item__name_en"]) or row["service_item__name"]
        class_name = (english and row["service_item__service_class__name_en"]) or row[
            "service_item__service_class__name"
        ]
        item = items.setdefault(row["service_item_id"], ServiceFigures(name=item_name, code=row["service_item__code"]))
        group = classes.setdefault(row["service_item__service_class_id"], ServiceFigures(name=class_name))
        for figures in (item, group, total):
            figures.add(row, calendar, now)
    most_late = sorted((f for f in items.values() if f.late), key=lambda f: (-f.late, f.name))[:5]
    return {"total": total, "classes": list(classes.values()), "items": list(items.values()), "most_late": most_late}

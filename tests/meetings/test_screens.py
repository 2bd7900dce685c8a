"""The meeting screens, through the Django test client: a street's month of meetings."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from core.enums import Status, Tier
from escalation import transitions
from escalation.models import TransferRecord
from escalation.sweep import sweep_overdue_tickets
from meetings.models import AgendaItem, Evaluation, Meeting, MeetingType
from meetings.services import meeting_schedule
from responders.models import User
from tests.factories import (
    CommitteeFactory,
    UserFactory,
    ZoneFactory,
    begun,
    department_for,
    make_ticket,
    staffed_zone,
)

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def plan(client, code, unit, when):
    response = client.post(
        "/meetings/new/",
        {"type": MeetingType.objects.get(code=code).pk, "unit": unit, "starts_at": local(when), "place": "会议室"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Meeting.objects.latest("pk")


def act(client, meeting, action, data, status=302):
    response = client.post(f"/meetings/{meeting.pk}/{action}/", data, follow=False)
    assert response.status_code == status, response.content.decode()[:3000]
    return response


def decide(client, item, **data):
    prefix = f"item{item.pk}-"
    body = {"item": item.pk, **{prefix + key: value for key, value in data.items()}}
    return act(client, item.meeting, "decide", body)


def error_on(response, field: str) -> bool:
    """Whether the page shows an error on the form field named `field`."""
    return f'has-error" data-field="{field}"' in response.content.decode()


def page(client, meeting) -> str:
    response = client.get(f"/meetings/{meeting.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_street_runs_a_month_of_its_meeting_cycle(client, django_capture_on_commit_callbacks):
    zone = staffed_zone()
    street, committee = zone.committee.street, zone.committee
    member = User.objects.get(memberships__team__zone=zone)
    committee_staff = User.objects.get(role=User.Role.COMMITTEE_STAFF, committee=committee)
    leader = User.objects.get(role=User.Role.STREET_LEADER, street=street)
    now = timezone.now()

    # 1. The zone's public-opinion day takes what the visit could not settle, and settles it.
    unsettled = make_ticket(zone=zone, description="楼道灯坏了，物业一直没修")
    client.force_login(member)
    opinion_day = plan(client, "opinion_day", f"zone:{zone.pk}", now + DAY)
    assert unsettled.reference in page(client, opinion_day)  # proposed
    act(client, opinion_day, "add_ticket", {"ticket": unsettled.pk})
    act(client, opinion_day, "participant", {"name": "张阿姨", "role": "居民代表"})
    item = opinion_day.agenda.get()
    begun(opinion_day)  # decisions and "held" only once the meeting has started
    decide(client, item, decision="resolve", outcome="solved", note="物业承诺三日内修好")
    act(
        client,
        opinion_day,
        "record",
        {"minutes": "到会居民代表 1 人。", "attended": [opinion_day.participants.get().pk], "held": "on"},
    )
    unsettled.refresh_from_db()
    opinion_day.refresh_from_db()
    assert unsettled.status == Status.RESOLVED and opinion_day.status == Meeting.Status.HELD
    ticket_page = client.get(f"/tickets/{unsettled.pk}/").content.decode()
    assert opinion_day.display_title in ticket_page  # the timeline names the meeting

    # 2. The committee's coordination meeting settles a dispute between neighbours.
    dispute = make_ticket(zone=zone, category="neighbour_dispute", description="楼上漏水，邻里纠纷")
    transitions.ticket_escalate(ticket=dispute, actor=member, reason="双方各执一词")
    client.force_login(committee_staff)
    coordination = plan(client, "coordination", f"committee:{committee.pk}", now + 2 * DAY)
    act(client, coordination, "add_ticket", {"ticket": dispute.pk})
    begun(coordination)
    decide(
        client,
        coordination.agenda.get(),
        decision="resolve",
        outcome="solved",
        note="楼上住户承担维修费用，双方签字",
    )
    dispute.refresh_from_db()
    assert dispute.status == Status.RESOLVED
    assert dispute.events.get(kind="resolved").data["meeting"] == coordination.pk

    # 3. A matter the committee cannot settle goes to the street with a numbered transfer form;
    #    the mediation meeting refers it to two departments.
    matter = make_ticket(zone=zone, description="小区围墙倒塌，涉及房管和城管")
    transitions.ticket_escalate(ticket=matter, actor=member, reason="需要居委协调")
    transitions.ticket_escalate(ticket=matter, actor=committee_staff, reason="涉及多个职能部门")
    transfer = TransferRecord.objects.get(ticket=matter)
    form = client.get(f"/tickets/{matter.pk}/transfer-form/")
    assert transfer.number in form.content.decode()
    housing = department_for(matter, name="房管办")
    urban = department_for(matter, name="城管中队")
    housing_liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=housing)
    urban_liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=urban)
    client.force_login(leader)
    mediation = plan(client, "mediation", f"street:{street.pk}", now + 3 * DAY)
    assert matter.reference in page(client, mediation)  # the transfer is proposed
    act(client, mediation, "add_ticket", {"ticket": matter.pk})
    begun(mediation)
    decide(
        client,
        mediation.agenda.get(),
        decision="refer",
        departments=[housing.pk, urban.pk],
        note="房管办负责修复，城管中队清理现场",
    )
    matter.refresh_from_db()
    assert matter.status == Status.REFERRED and matter.referrals.count() == 2

    # The housing office answers on time from its liaison's ticket page; urban management is late.
    client.force_login(housing_liaison)
    answered = client.post(f"/tickets/{matter.pk}/actions/department_reply/", {"department_reply-answer": "已修复围墙"})
    assert answered.status_code == 302, re.findall(r"role=\"alert\">[^<]*<", answered.content.decode())
    client.force_login(UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department_for(matter)))
    assert client.get(f"/tickets/{matter.pk}/").status_code == 404  # not referred to this one
    with django_capture_on_commit_callbacks(execute=True):
        sweep_overdue_tickets(now=matter.referrals.get(department=urban).answer_by + DAY)
    matter.refresh_from_db()
    assert matter.answer_overdue and matter.status == Status.REFERRED
    client.force_login(urban_liaison)
    assert (
        client.post(
            f"/tickets/{matter.pk}/actions/department_reply/", {"department_reply-answer": "现场已清理"}
        ).status_code
        == 302
    )
    matter.refresh_from_db()
    assert matter.status == Status.IN_PROGRESS
    timeline = client.get(f"/tickets/{matter.pk}/").content.decode()
    assert "房管办" in timeline and "城管中队" in timeline and mediation.display_title in timeline

    # 4. The evaluation meeting rates a stationed department and prints its written opinion.
    client.force_login(committee_staff)
    evaluation_meeting = plan(client, "evaluation", f"committee:{committee.pk}", now + 4 * DAY)
    criteria = evaluation_meeting.type.criteria
    refused = act(
        client,
        evaluation_meeting,
        "evaluate",
        {"department": housing.pk, "opinion": ""},
        status=400,
    )
    assert error_on(refused, "opinion") and not Evaluation.objects.exists()
    act(
        client,
        evaluation_meeting,
        "evaluate",
        {
            "department": housing.pk,
            "superior": "区房管局",
            "opinion": "维修及时，望保持。",
            **{f"score_{i}": 5 for i in range(len(criteria))},
        },
    )
    evaluation = Evaluation.objects.get()
    printed = client.get(f"/meetings/evaluations/{evaluation.pk}/").content.decode()
    assert "维修及时，望保持。" in printed and "区房管局" in printed and str(street) in printed

    # The month on the street's calendar.
    client.force_login(leader)
    calendar = client.get(f"/meetings/?month={timezone.localtime(mediation.starts_at):%Y-%m}").content.decode()
    assert mediation.display_title in calendar and opinion_day.display_title in calendar
    minutes = client.get(f"/meetings/{opinion_day.pk}/minutes/").content.decode()
    assert "物业承诺三日内修好" in minutes and "张阿姨" in minutes


def test_adding_a_ticket_due_before_the_meeting_warns_the_chair(client):
    ticket = make_ticket()
    client.force_login(User.objects.get(memberships__team__zone=ticket.zone))
    meeting = plan(client, "opinion_day", f"zone:{ticket.zone.pk}", timezone.now() + 40 * DAY)

    response = client.post(f"/meetings/{meeting.pk}/add_ticket/", {"ticket": ticket.pk}, follow=True)

    body = response.content.decode()
    assert "does not stop for a meeting" in body or "期限不会因开会而停止" in body
    assert 'data-testid="conflicts"' in body and ticket.reference in body


def test_bad_input_names_the_field_and_writes_nothing(client):
    zone = staffed_zone()
    client.force_login(User.objects.get(memberships__team__zone=zone))

    no_time = client.post(
        "/meetings/new/",
        {"type": MeetingType.objects.get(code="opinion_day").pk, "unit": f"zone:{zone.pk}", "starts_at": "tomorrow"},
    )
    wrong_tier = client.post(
        "/meetings/new/",
        {
            "type": MeetingType.objects.get(code="mediation").pk,
            "unit": f"zone:{zone.pk}",
            "starts_at": local(timezone.now() + DAY),
        },
    )
    other_zone = staffed_zone()
    not_mine = client.post(
        "/meetings/new/",
        {
            "type": MeetingType.objects.get(code="opinion_day").pk,
            "unit": f"zone:{other_zone.pk}",
            "starts_at": local(timezone.now() + DAY),
        },
    )

    assert no_time.status_code == 400 and error_on(no_time, "starts_at")
    assert wrong_tier.status_code == 400 and error_on(wrong_tier, "unit")
    assert not_mine.status_code == 400 and error_on(not_mine, "unit")
    assert not Meeting.objects.exists()


def test_a_decision_without_its_departments_is_refused_on_the_page(client):
    ticket = make_ticket()
    transitions.ticket_escalate(ticket=ticket, actor="test", reason="x")
    transitions.ticket_escalate(ticket=ticket, actor="test", reason="y")
    client.force_login(User.objects.get(role=User.Role.STREET_LEADER, street=ticket.street))
    meeting = plan(client, "mediation", f"street:{ticket.street_id}", timezone.now() + DAY)
    act(client, meeting, "add_ticket", {"ticket": ticket.pk})
    item = AgendaItem.objects.get()

    response = client.post(f"/meetings/{meeting.pk}/decide/", {"item": item.pk, f"item{item.pk}-decision": "refer"})

    assert response.status_code == 400 and error_on(response, f"item{item.pk}-departments")
    item.refresh_from_db()
    ticket.refresh_from_db()
    assert item.decided_at is None and ticket.status == Status.NEW and ticket.tier == Tier.STREET


def test_meetings_of_other_units_are_not_found(client):
    zone, other = staffed_zone(), staffed_zone()
    theirs = meeting_schedule(
        type=MeetingType.objects.get(code="opinion_day"), unit=other, starts_at=timezone.now() + DAY, actor=None
    )
    client.force_login(User.objects.get(memberships__team__zone=zone))

    assert client.get(f"/meetings/{theirs.pk}/").status_code == 404
    assert client.post(f"/meetings/{theirs.pk}/topic/", {"topic": "x"}).status_code == 404
    assert client.get(f"/meetings/{theirs.pk}/minutes/").status_code == 404
    calendar = client.get(f"/meetings/?month={timezone.localtime(theirs.starts_at):%Y-%m}").content.decode()
    assert theirs.display_title not in calendar
    assert not AgendaItem.objects.exists()


def test_an_empty_month_says_so(client):
    zone = staffed_zone()
    client.force_login(User.objects.get(memberships__team__zone=zone))

    response = client.get("/meetings/?month=2031-02")

    assert response.status_code == 200
    assert 'class="empty"' in response.content.decode()


def test_a_meeting_takes_up_only_its_own_units_matters(client):
    zone = staffed_zone()
    neighbour = ZoneFactory(committee=CommitteeFactory(street=zone.committee.street))
    theirs, ours = make_ticket(zone=neighbour), make_ticket(zone=zone)
    client.force_login(User.objects.get(street=zone.committee.street, role="street_staff"))
    opinion_day = plan(client, "opinion_day", f"zone:{zone.pk}", timezone.now() + DAY)

    refused = client.post(f"/meetings/{opinion_day.pk}/add_ticket/", {"ticket": theirs.pk}, follow=True)
    act(client, opinion_day, "add_ticket", {"ticket": ours.pk})

    assert f"工单 {theirs.reference} 不属于" in refused.content.decode()
    assert [item.ticket for item in opinion_day.agenda.all()] == [ours]
    assert theirs.reference not in page(client, opinion_day)


def test_a_decision_is_recorded_only_by_someone_who_could_take_that_action(client):
    zone = staffed_zone()
    carried_up = transitions.ticket_escalate(ticket=make_ticket(zone=zone), actor="test", reason="楼组长协调不了")
    member = User.objects.get(role="zone_member", memberships__team__zone=zone)
    client.force_login(User.objects.get(street=zone.committee.street, role="street_staff"))
    opinion_day = plan(client, "opinion_day", f"zone:{zone.pk}", timezone.now() + DAY)
    act(client, opinion_day, "add_ticket", {"ticket": carried_up.pk})
    item = opinion_day.agenda.get()
    client.force_login(member)

    response = client.post(
        f"/meetings/{opinion_day.pk}/decide/",
        {"item": item.pk, f"item{item.pk}-decision": "resolve", f"item{item.pk}-outcome": "solved"},
    )

    carried_up.refresh_from_db()
    assert response.status_code == 400 and error_on(response, f"item{item.pk}-decision")
    assert "不由您记录" in response.content.decode()
    assert (carried_up.status, carried_up.tier) == (Status.NEW, Tier.COMMITTEE)
    assert AgendaItem.objects.get(pk=item.pk).decided_at is None


def test_a_meeting_is_planned_within_ten_years_and_a_calendar_month_out_of_range_is_this_month(client):
    zone = staffed_zone()
    client.force_login(User.objects.get(street=zone.committee.street, role="street_staff"))
    kind = MeetingType.objects.get(code="opinion_day").pk

    response = client.post("/meetings/new/", {"type": kind, "unit": f"zone:{zone.pk}", "starts_at": "0001-01-01T00:00"})
    calendars = [client.get("/meetings/", {"month": month}) for month in ("0001-01", "9999-12", "2026-13")]

    assert response.status_code == 400 and error_on(response, "starts_at") and "十年以内" in response.content.decode()
    assert not Meeting.objects.exists()
    assert [calendar.status_code for calendar in calendars] == [200, 200, 200]

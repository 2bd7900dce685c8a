"""Issue 20, item 3: recurring problems found for the street, proposed once (an alert to the
responsible leader and an item on the next risk-screening meeting), racing cleanly with
themselves; staff table or set aside the ones waiting."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from alerts.models import Notification
from core.enums import CancelReason
from escalation.transitions import ticket_cancel
from meetings.models import MeetingType, RecurringTopic
from meetings.services import meeting_schedule
from meetings.topics import find_recurring_problems
from responders.models import User
from tests.factories import BuildingFactory, HouseholdFactory, make_ticket

pytestmark = pytest.mark.django_db

LEAKS = ["屋顶漏水，天花板发霉", "下雨天楼上往下滴水", "外墙渗水，墙皮脱落"]


def leaks_in_one_lane(zone, n=3):
    """Leaks from n households in three buildings of 丽园路 141 弄."""
    tickets = []
    for number, text in zip(range(1, n + 1), LEAKS * 2, strict=False):
        building = BuildingFactory(zone=zone, name=f"丽园路 141 弄 {number} 号")
        household = HouseholdFactory(zone=zone, building=building, address=f"丽园路 141 弄 {number} 号 201 室")
        tickets.append(make_ticket(zone=zone, household=household, category="housing", description=text))
    return tickets


def leader_of(zone):
    return zone.committee.duty_leader


def test_a_leak_recurring_in_one_lane_is_handed_to_the_leader_as_a_risk_screening_topic(zone):
    tickets = leaks_in_one_lane(zone)
    risk = MeetingType.objects.get(code="risk_screening")
    meeting = meeting_schedule(
        type=risk, unit=zone.committee.street, starts_at=timezone.now() + dt.timedelta(days=3), actor=None
    )

    assert find_recurring_problems() == 1

    topic = RecurringTopic.objects.get()
    assert topic.kind == RecurringTopic.Kind.PLACE and topic.place == "丽园路 141 弄"
    assert set(topic.tickets.all()) == set(tickets)
    assert topic.status == RecurringTopic.Status.TABLED and topic.agenda_item.meeting == meeting
    assert "丽园路 141 弄" in topic.agenda_item.topic and tickets[0].reference in topic.agenda_item.topic
    alert = Notification.objects.get(kind=Notification.Kind.RECURRING_TOPIC)
    assert alert.recipient == leader_of(zone)

    # Every night after: the same cluster is not proposed again; a new leak joins the topic.
    more = make_ticket(zone=zone, household=tickets[0].household, category="housing", description="又漏了")
    assert find_recurring_problems() == 0
    assert RecurringTopic.objects.count() == 1 and more in RecurringTopic.objects.get().tickets.all()
    assert Notification.objects.filter(kind=Notification.Kind.RECURRING_TOPIC).count() == 1


def test_two_leaks_are_no_cluster_and_a_merged_duplicate_counts_once(zone):
    first, second, third = leaks_in_one_lane(zone)
    ticket_cancel(
        ticket=third,
        actor=User.objects.get(committee=zone.committee),
        reason=CancelReason.DUPLICATE,
        duplicate_of=first,
    )
    assert find_recurring_problems() == 0
    assert not RecurringTopic.objects.exists()


def test_a_household_filing_again_and_again_and_a_rising_category(zone):
    for days in range(35, 120, 7):  # three months of history here: about four a month
        make_ticket(zone=zone, description="绿化带缺补种", now=timezone.now() - dt.timedelta(days=days))
    household = HouseholdFactory(zone=zone)
    for text in ("楼上噪音", "楼道堆物", "门口积水"):
        make_ticket(zone=zone, household=household, description=text)
    for n in range(5):  # parking, never before in this committee
        make_ticket(zone=zone, category="urban_management", description=f"小区门口乱停车 {n}")

    assert find_recurring_problems() == 2
    kinds = dict(RecurringTopic.objects.values_list("kind", "count"))
    assert kinds == {RecurringTopic.Kind.HOUSEHOLD: 3, RecurringTopic.Kind.RISING: 5}
    # No risk-screening meeting planned: they wait for staff on the page.
    assert set(RecurringTopic.objects.values_list("status", flat=True)) == {RecurringTopic.Status.PROPOSED}


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_propose_a_cluster_once(zone):
    leaks_in_one_lane(zone)
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(find_recurring_problems())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [0, 1]
    assert RecurringTopic.objects.count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.RECURRING_TOPIC).count() == 1


def test_staff_table_a_waiting_topic_on_their_meeting_or_set_it_aside(client, zone):
    leaks_in_one_lane(zone)
    find_recurring_problems()
    topic = RecurringTopic.objects.get()
    street = zone.committee.street
    staff = User.objects.get(role=User.Role.STREET_STAFF, street=street)
    harmony = meeting_schedule(
        type=MeetingType.objects.get(code="harmony_council"),
        unit=street,
        starts_at=timezone.now() + dt.timedelta(days=5),
        actor=staff,
    )
    client.force_login(staff)

    page = client.get("/recurring/").content.decode()
    assert topic.summary in page and str(harmony.pk) in page
    assert client.post("/recurring/", {"topic": topic.pk, "action": "dismiss", "reason": ""}).status_code == 302
    assert RecurringTopic.objects.get().status == RecurringTopic.Status.PROPOSED  # a reason is needed
    client.post("/recurring/", {"topic": topic.pk, "meeting": harmony.pk})
    topic.refresh_from_db()
    assert topic.status == RecurringTopic.Status.TABLED and topic.agenda_item.meeting == harmony

    # Another street's staff see nothing of it.
    other = make_ticket(description="x").street
    outsider = User.objects.get(role=User.Role.STREET_STAFF, street=other)
    client.force_login(outsider)
    assert topic.summary not in client.get("/recurring/").content.decode()
    assert client.post("/recurring/", {"topic": topic.pk, "action": "dismiss", "reason": "不是"}).status_code == 404


def test_nothing_rises_where_there_is_no_history_to_rise_against(zone):
    for n in range(6):
        make_ticket(zone=zone, category="urban_management", description=f"小区门口乱停车 {n}")

    assert find_recurring_problems() == 0


def test_a_topic_becomes_a_consultation_matter_with_its_tickets(client, zone):
    from consultation.models import Matter

    tickets = leaks_in_one_lane(zone)
    find_recurring_problems()
    topic = RecurringTopic.objects.get()
    staff = User.objects.get(role=User.Role.COMMITTEE_STAFF, committee=zone.committee)
    client.force_login(staff)

    page = client.get("/recurring/").content.decode()
    assert f"/consultation/new/?topic={topic.pk}" in page
    form = client.get(f"/consultation/new/?topic={topic.pk}").content.decode()
    assert 'data-testid="from-topic"' in form and "3 张工单" in form
    response = client.post(
        "/consultation/new/",
        {
            "topic": topic.pk,
            "unit": f"committee:{zone.committee_id}",
            "title": "丽园路 141 弄屋面渗漏统一维修",
            "description": "三户先后反映屋顶漏水",
            "source": "hot_spot",
            "source_note": "",
            "notice_days": 7,
        },
    )

    assert response.status_code == 302, response.content.decode()[:800]
    matter = Matter.objects.get()
    assert matter.recurring_topic == topic and matter.source == "hot_spot"
    assert set(matter.recurring_topic.tickets.all()) == set(tickets)
    assert matter.title in client.get("/recurring/").content.decode()

    # Another street's staff cannot raise one from it.
    other = make_ticket(description="x").street
    client.force_login(User.objects.get(role=User.Role.STREET_STAFF, street=other))
    assert client.get(f"/consultation/new/?topic={topic.pk}").status_code == 404


def test_an_english_reader_sees_the_topic_in_english(client, zone):
    leaks_in_one_lane(zone)
    find_recurring_problems()
    client.force_login(User.objects.get(role=User.Role.COMMITTEE_STAFF, committee=zone.committee))
    client.cookies["django_language"] = "en"

    page = client.get("/recurring/").content.decode()

    assert "丽园路 141 弄: Housing and property, 3 times in 30 days" in page

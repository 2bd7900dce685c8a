"""The desk's day (issue 15, items 2, 4 and 5): finding a ticket in the queue, a triage queue
that tells the truth, and the department liaison's referrals — answered in part (正在处理)
or sent back."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.models import Notification
from core import pages
from core.enums import Status, Tier
from core.errors import InvalidInput, NotPermitted
from escalation import transitions
from escalation.models import Referral, TransferRecord
from grievances.models import Ticket
from responders.models import User
from tests.factories import UserFactory, department_for, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def street_staff(zone) -> User:
    return User.objects.get(role=User.Role.STREET_STAFF, street=zone.committee.street)


def page(client, path) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


# --- item 2: the queue's search --------------------------------------------------------------


@pytest.fixture
def reported(zone):
    """An emergency (street tier) with a reporter and an address, and another ticket beside it."""
    wanted = make_ticket(
        zone=zone,
        urgency="emergency",
        description="楼顶水箱漏水，顶层渗水严重",
        address="141 弄 1 号 101",
        reporter_name="王建国",
        reporter_phone="13900001111",
    )
    other = make_ticket(zone=zone, urgency="emergency", description="路灯不亮", reporter_phone="13700002222")
    return wanted, other


@pytest.mark.parametrize(
    "query",
    ["REFERENCE", "水箱漏水", "王建国", "13900001111", "1390000", "141 弄 1 号", "141弄1号101"],
    ids=["reference", "words", "reporter name", "phone", "part of the phone", "address", "address without spaces"],
)
def test_the_queue_finds_a_ticket_by_each_field(client, zone, reported, query):
    wanted, other = reported
    client.force_login(street_staff(zone))

    content = page(client, f"/queue/?q={wanted.reference if query == 'REFERENCE' else query}")

    assert f'data-ref="{wanted.reference}"' in content
    assert f'data-ref="{other.reference}"' not in content


@pytest.mark.parametrize("cap", [1000, 2], ids=["matches read once", "more matches than the cap"])
def test_a_search_counts_its_matches_at_this_tier_and_the_others(client, zone, monkeypatch, cap):
    """Within the cap a search's matches are read once and then listed and counted by their
    ids; beyond it every count repeats the words. The cards say the same either way."""
    monkeypatch.setattr(pages, "COUNT_CAP", cap)
    lift = "电梯停运，老人上下楼困难"
    at_street = make_ticket(zone=zone, urgency="emergency", description=lift)
    at_zone = [make_ticket(zone=zone, description=lift) for _ in range(2)]
    unrelated = make_ticket(zone=zone, urgency="emergency", description="路灯不亮")
    client.force_login(street_staff(zone))

    with CaptureQueriesContext(connection) as sent:
        content = page(client, "/queue/?q=电梯停运")

    assert f'data-ref="{at_street.reference}"' in content
    assert all(f'data-ref="{ticket.reference}"' not in content for ticket in [*at_zone, unrelated])
    assert '<a class="count" href="?q=%E7%94%B5%E6%A2%AF%E5%81%9C%E8%BF%90"><strong>1</strong> 未办结</a>' in content
    assert "责任区层级 2 件" in content  # what the tier filter hides: the two at the zone tier
    searches = [query["sql"] for query in sent.captured_queries if "电梯停运" in query["sql"]]
    assert len(searches) == (1 if cap == 1000 else 3)  # the matches; beyond the cap the rows and counts too


def test_a_search_for_overdue_ones_at_one_tier_is_not_crowded_out_by_other_tiers(client, zone, monkeypatch):
    """With "overdue only", the first overdue tickets (up to the cap) of the tier shown are read: the
    search's matches must not be read across tiers, where others due earlier would fill it."""
    monkeypatch.setattr(pages, "COUNT_CAP", 2)
    lift = "电梯停运，老人上下楼困难"
    at_street = make_ticket(zone=zone, urgency="emergency", description=lift)
    at_zone = [make_ticket(zone=zone, description="路灯不亮") for _ in range(3)]
    long_ago = timezone.now() - dt.timedelta(days=30)
    for days, ticket in enumerate([*at_zone, at_street]):
        Ticket.objects.filter(pk=ticket.pk).update(resolve_by=long_ago + dt.timedelta(days=days))
    client.force_login(street_staff(zone))

    content = page(client, "/queue/?q=电梯停运&overdue=1")

    assert f'data-ref="{at_street.reference}"' in content


def test_a_liaison_cannot_find_a_ticket_by_the_reporters_phone_or_name(client, zone, reported):
    wanted, _other = reported
    department = department_for(wanted)
    liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department)
    transitions.ticket_acknowledge(ticket=wanted, actor="test")
    transitions.ticket_refer(ticket=wanted, actor="test", department=department)
    client.force_login(liaison)

    # The ticket is theirs to see (by its reference) ...
    assert f'data-ref="{wanted.reference}"' in page(client, f"/queue/?q={wanted.reference}")
    # ... but the resident's phone and name are not theirs to search by.
    assert f'data-ref="{wanted.reference}"' not in page(client, "/queue/?q=13900001111")
    assert f'data-ref="{wanted.reference}"' not in page(client, "/queue/?q=王建国")


def test_the_queue_has_a_status_filter_for_every_status(client, zone):
    staff = street_staff(zone)
    open_one = make_ticket(zone=zone, urgency="emergency")
    closed = transitions.ticket_resolve(
        ticket=make_ticket(zone=zone, urgency="emergency"), actor=staff, outcome="solved"
    )
    client.force_login(staff)

    default = page(client, "/queue/")
    every = page(client, "/queue/?status=all")

    assert f'data-ref="{open_one.reference}"' in default and f'data-ref="{closed.reference}"' not in default
    assert f'data-ref="{open_one.reference}"' in every and f'data-ref="{closed.reference}"' in every
    assert '<option value="all" selected>' in every


# --- item 4: the triage queue tells the truth -------------------------------------------------


def test_the_street_queue_says_what_the_tier_filter_hides_and_offers_it(client, zone):
    make_ticket(zone=zone)  # zone tier
    make_ticket(zone=zone)
    client.force_login(street_staff(zone))

    content = page(client, "/queue/")

    assert "没有符合条件的未办结工单" in content  # nothing at the street tier ...
    assert 'data-testid="hidden-tiers"' in content  # ... but two tickets at the zone tier
    assert "责任区层级 2 件" in content
    assert 'href="?tier="' in content
    assert "hidden-tiers" not in page(client, "/queue/?tier=")


def test_the_counter_cards_describe_the_filter_in_force(client, zone):
    staff = street_staff(zone)
    make_ticket(zone=zone, urgency="emergency")
    make_ticket(zone=zone, urgency="emergency")
    closed = transitions.ticket_resolve(
        ticket=make_ticket(zone=zone, urgency="emergency"), actor=staff, outcome="solved"
    )
    transitions.ticket_close(ticket=closed, actor=staff, note="居民电话无法接通")
    client.force_login(staff)

    content = page(client, "/queue/?status=closed")
    counts = content[content.index('data-testid="counts"') : content.index("</section>", content.index("counts"))]

    assert "<strong>1</strong> 已关闭" in counts  # one closed ticket, not "2 open"
    assert "逾期" not in counts.split("统计范围")[1].split("</p>")[1]  # no overdue card for closed ones
    assert "统计范围： 街道办事处层级 · 已关闭" in counts
    open_counts = page(client, "/queue/")
    assert "<strong>2</strong> 未办结" in open_counts and "统计范围： 街道办事处层级 · 未办结" in open_counts


def test_the_queue_can_select_every_row_at_once(client, zone):
    make_ticket(zone=zone, urgency="emergency")
    client.force_login(street_staff(zone))

    content = page(client, "/queue/")

    assert 'data-select-all="tickets"' in content
    assert 'name="tickets"' in content


def test_a_row_shows_the_transfer_number_of_a_ticket_the_committee_passed_up(client, zone):
    staff = street_staff(zone)
    ticket = make_ticket(zone=zone)
    ticket = transitions.ticket_escalate(ticket=ticket, actor="test", reason="责任区协调无果")
    ticket = transitions.ticket_escalate(ticket=ticket, actor="test", reason="居委会协调无果，请街道协助")
    number = TransferRecord.objects.get(ticket=ticket).number
    client.force_login(staff)

    content = page(client, "/queue/")
    row = content[content.index(f'data-ref="{ticket.reference}"') :]
    row = row[: row.index("</tr>")]

    assert number in row
    assert "居委会上报" in row


def test_every_street_staff_and_leader_is_alerted_when_a_ticket_reaches_the_street(zone):
    street = zone.committee.street
    second = UserFactory(role=User.Role.STREET_STAFF, street=street, full_name="值班干部")
    UserFactory(role=User.Role.STREET_STAFF, street=street, full_name="离职干部", is_active=False)
    ticket = transitions.ticket_escalate(ticket=make_ticket(zone=zone), actor="test", reason="协调无果")
    ticket = transitions.ticket_escalate(ticket=ticket, actor="test", reason="居委会协调无果")

    desk = User.objects.filter(
        street=street, role__in=[User.Role.STREET_STAFF, User.Role.STREET_LEADER], is_active=True
    )
    alerted = set(
        Notification.objects.filter(ticket=ticket, kind__in=["escalated", "reached_street"]).values_list(
            "recipient_id", flat=True
        )
    )
    assert ticket.tier == Tier.STREET
    assert set(desk.values_list("pk", flat=True)) <= alerted
    assert second.pk in alerted
    assert Notification.objects.filter(recipient=ticket.owner, ticket=ticket, kind="escalated").count() == 1
    assert not Notification.objects.filter(recipient=ticket.owner, ticket=ticket, kind="reached_street").exists()


def test_the_street_staff_see_the_arrival_among_their_alerts(client, zone):
    street = zone.committee.street
    second = UserFactory(role=User.Role.STREET_STAFF, street=street, full_name="值班干部")
    ticket = transitions.ticket_escalate(ticket=make_ticket(zone=zone), actor="test", reason="协调无果")
    ticket = transitions.ticket_escalate(ticket=ticket, actor="test", reason="居委会协调无果")
    client.force_login(second)

    alerts = page(client, "/").split('data-testid="alerts"')[1]

    assert "有工单上报到街道，请分拣" in alerts and ticket.reference in alerts


def test_the_sweep_alerts_the_street_desk_too(zone):
    from escalation.sweep import sweep_overdue_tickets

    ticket = transitions.ticket_escalate(ticket=make_ticket(zone=zone), actor="test", reason="协调无果")
    staff = street_staff(zone)

    sweep_overdue_tickets(now=ticket.resolve_by + DAY)

    ticket.refresh_from_db()
    assert ticket.tier == Tier.STREET
    assert Notification.objects.filter(ticket=ticket, recipient__in=[staff, ticket.owner]).count() == 2


def test_an_emergency_opened_at_the_street_alerts_the_street_desk(zone):
    ticket = make_ticket(zone=zone, urgency="emergency")

    desk = User.objects.filter(street=zone.committee.street, is_active=True).exclude(pk=ticket.owner_id)
    assert ticket.tier == Tier.STREET and desk.exists()
    for person in desk:
        assert Notification.objects.filter(recipient=person, ticket=ticket, kind="reached_street").exists()


# --- item 5: the department liaison's day ---------------------------------------------------


@pytest.fixture
def referred(zone):
    """Two tickets referred to one department by the street's staff, the later answer-by first
    opened; the department's liaison."""
    staff = street_staff(zone)
    first, second = make_ticket(zone=zone), make_ticket(zone=zone)
    department = department_for(first, name="五里桥派出所")
    liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department, full_name="联络员")
    now = timezone.now()
    for ticket, days in ((first, 20), (second, 5)):
        transitions.ticket_acknowledge(ticket=ticket, actor=staff)
        transitions.ticket_refer(ticket=ticket, actor=staff, department=department, answer_by=now + days * DAY)
    return staff, liaison, department, first, second


def test_the_liaisons_home_lists_the_referrals_by_answer_by_not_zones(client, referred):
    _staff, liaison, _department, first, second = referred
    client.force_login(liaison)

    content = page(client, "/")

    assert 'data-testid="department-referrals"' in content
    assert content.index(second.reference) < content.index(first.reference)  # answer-by order
    assert "zone-count" not in content and "household-count" not in content
    assert "您的责任区" not in content and "Your zones" not in content


def test_the_liaisons_my_tickets_lists_the_referrals_due_by_the_answer_by(client, referred):
    _staff, liaison, _department, first, second = referred
    client.force_login(liaison)

    content = page(client, "/tickets/mine/")

    section = content[content.index('data-testid="department-referrals"') :]
    assert section.index(second.reference) < section.index(first.reference)
    answer_by = Referral.objects.get(ticket=second).answer_by
    local = timezone.localtime(answer_by)
    assert f'datetime="{local.isoformat()}"' in section or local.strftime("%m-%d %H:%M") in section
    assert "没有您的未办结工单" not in section.split("</section>")[0]


def test_an_interim_reply_keeps_the_referral_open_and_shows_on_the_timeline(client, referred):
    _staff, liaison, _department, first, _second = referred
    client.force_login(liaison)

    response = client.post(
        f"/tickets/{first.pk}/actions/department_update/", {"department_update-note": "已派民警走访，正在调查取证"}
    )

    assert response.status_code == 302
    first.refresh_from_db()
    referral = Referral.objects.get(ticket=first)
    assert first.status == Status.REFERRED and referral.is_open
    assert referral.progress == "已派民警走访，正在调查取证"
    content = page(client, f"/tickets/{first.pk}/")
    timeline = content[content.index('data-testid="timeline"') :]
    assert "部门正在处理" in timeline and "已派民警走访，正在调查取证" in timeline
    # The liaison can still answer, report again or send it back.
    assert 'data-action="department_reply"' in content and 'data-action="return_referral"' in content


def test_an_interim_reply_needs_words_and_names_the_field(client, referred):
    _staff, liaison, _department, first, _second = referred
    client.force_login(liaison)

    response = client.post(f"/tickets/{first.pk}/actions/department_update/", {"department_update-note": " "})

    assert response.status_code == 400
    assert 'id="id_department_update-note"' in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode() or "error" in response.content.decode()


def test_sending_a_referral_back_with_a_reason_alerts_the_referrer_and_reopens_work(client, referred):
    staff, liaison, _department, first, _second = referred
    client.force_login(liaison)

    refused = client.post(f"/tickets/{first.pk}/actions/return_referral/", {"return_referral-reason": ""})
    assert refused.status_code == 400
    response = client.post(
        f"/tickets/{first.pk}/actions/return_referral/", {"return_referral-reason": "属于城管执法范围，非派出所职责"}
    )

    assert response.status_code == 302
    first.refresh_from_db()
    referral = Referral.objects.get(ticket=first)
    assert first.status == Status.IN_PROGRESS and first.answer_by is None
    assert not referral.is_open and referral.return_reason == "属于城管执法范围，非派出所职责"
    assert Notification.objects.filter(recipient=staff, ticket=first, kind="referral_returned").exists()
    event = first.events.last()
    assert (event.kind, event.from_status, event.to_status) == ("referral_returned", "referred", "in_progress")
    # Gone from the liaison's list; the staff see why on the ticket page.
    assert first.reference not in page(client, "/tickets/mine/")
    client.force_login(staff)
    assert "属于城管执法范围，非派出所职责" in page(client, f"/tickets/{first.pk}/")


def test_sending_back_one_of_two_referrals_leaves_the_ticket_waiting_for_the_other(zone):
    staff = street_staff(zone)
    ticket = transitions.ticket_acknowledge(ticket=make_ticket(zone=zone), actor=staff)
    police, housing = department_for(ticket, name="派出所"), department_for(ticket, name="房管办")
    liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=police)
    now = timezone.now()
    transitions.ticket_refer(ticket=ticket, actor=staff, departments=[police, housing], answer_by=now + 3 * DAY)
    Referral.objects.filter(department=housing).update(answer_by=now + 9 * DAY)

    ticket = transitions.ticket_return_referral(ticket=ticket, actor=liaison, reason="不属本所", department=police)

    assert ticket.status == Status.REFERRED
    assert ticket.answer_by == Referral.objects.get(department=housing).answer_by


def test_only_the_department_sends_its_referral_back(referred):
    staff, _liaison, _department, first, _second = referred
    committee_staff = User.objects.get(role=User.Role.COMMITTEE_STAFF, committee=first.committee)

    for person in (staff, committee_staff):
        with pytest.raises(NotPermitted):
            transitions.ticket_return_referral(ticket=first, actor=person, reason="不属本部门")


def test_a_liaison_cannot_send_back_another_departments_referral(referred):
    _staff, _liaison, _department, first, _second = referred
    other = department_for(first, name="城管中队")
    stranger = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=other)

    with pytest.raises((NotPermitted, InvalidInput)):
        transitions.ticket_return_referral(ticket=first, actor=stranger, reason="不属本部门", department=other)


def test_a_fresh_zone_is_unaffected(client):
    """A zone member's home still counts their zones (the liaison's page changed, not theirs)."""
    zone = staffed_zone()
    client.force_login(User.objects.get(memberships__team__zone=zone))
    assert 'data-testid="zone-count">1<' in page(client, "/")

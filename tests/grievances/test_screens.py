"""The field and desk screens, through Django's test client, role by role."""

import datetime as dt

import pytest
from django.utils import timezone

from core.enums import Status, Tier
from escalation import transitions
from grievances.models import Ticket, Visit
from responders.models import TeamMembership, User
from tests.factories import DepartmentFactory, HouseholdFactory, UserFactory, department_for, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db


def member_of(zone) -> User:
    return User.objects.get(memberships__team__zone=zone)


def visit_post(household, **overrides):
    data = {
        "visited_on": timezone.localdate().isoformat(),
        "method": "door",
        "visitors": [m.pk for m in TeamMembership.objects.filter(team__zone=household.zone)],
        "notes": "",
        "matter-TOTAL_FORMS": "3",
        "matter-INITIAL_FORMS": "0",
        "matter-MIN_NUM_FORMS": "0",
        "matter-MAX_NUM_FORMS": "10",
        "matter-0-category": "",
        "matter-0-description": "",
        "matter-0-urgency": "normal",
        "matter-1-urgency": "normal",
        "matter-2-urgency": "normal",
    }
    data.update(overrides)
    return data


@pytest.fixture
def category():
    from grievances.models import Category

    return Category.objects.get(code="public_facilities")


def test_a_zone_member_logs_a_visit_that_raises_a_ticket(client, zone, category):
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))

    response = client.post(
        f"/households/{household.pk}/visits/new/",
        visit_post(household, **{"matter-0-category": category.pk, "matter-0-description": "电梯经常停运"}),
    )

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.tier, ticket.status, ticket.channel) == (Tier.ZONE, Status.NEW, "visit")
    assert ticket.owner == member_of(zone) and ticket.reporter_name == household.contact_name
    page = client.get(response["Location"]).content.decode()
    assert ticket.reference in page


def test_settled_on_the_spot_is_a_ticket_resolved_at_the_zone(client, zone, category):
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))

    client.post(
        f"/households/{household.pk}/visits/new/",
        visit_post(
            household,
            **{
                "matter-0-category": category.pk,
                "matter-0-description": "楼道灯已更换",
                "matter-0-outcome": "settled",
                "matter-0-satisfaction": "satisfied",
            },
        ),
    )

    ticket = Ticket.objects.get()
    # Resolved at the zone, and closed at once with the verdict the resident gave at the door.
    assert (ticket.tier, ticket.status, ticket.outcome) == (Tier.ZONE, Status.CLOSED, "solved")
    assert ticket.resolved_at is not None and ticket.feedback.get().satisfaction == "satisfied"


def test_nothing_raised_counts_for_coverage(client, zone):
    households = HouseholdFactory.create_batch(3, zone=zone)
    client.force_login(member_of(zone))

    client.post(f"/households/{households[0].pk}/visits/new/", visit_post(households[0]))
    page = client.get("/zone/").content.decode()
    unvisited = client.get("/zone/", {"show": "unvisited"}).content.decode()

    assert Visit.objects.count() == 1 and not Ticket.objects.exists()
    assert "1 / 3" in page
    assert households[0].address not in unvisited and households[1].address in unvisited


@pytest.mark.parametrize(
    ("visited", "households", "shown"),
    [(0, 259, "0%"), (1, 259, "<1%"), (130, 259, "50%"), (258, 259, ">99%"), (259, 259, "100%")],
)
def test_coverage_never_rounds_a_visit_away_nor_the_last_household_into_done(visited, households, shown):
    from grievances.selectors import ZoneCoverage

    coverage = ZoneCoverage(zone_id=1, name="一区", households=households, visited=visited)

    assert coverage.percent_label == shown
    assert 0 <= coverage.percent <= 100  # the meter's value stays a whole number


def test_the_zone_page_shows_one_visit_of_many_as_under_one_percent(client, zone):
    households = HouseholdFactory.create_batch(201, zone=zone)  # one is 0.5 %: rounded, 0
    client.force_login(member_of(zone))

    client.post(f"/households/{households[0].pk}/visits/new/", visit_post(households[0]))
    page = client.get("/zone/").content.decode()

    assert "1 / 201" in page and "&lt;1%" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"visited_on": "1900-01-01"}, "最近一年内"),
        ({"visited_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat()}, "不能是将来"),
        ({"matter-0-description": "没有类别的事项"}, "请为此事项选择类别"),
    ],
)
def test_a_bad_visit_form_says_what_is_wrong_and_saves_nothing(client, zone, overrides, message):
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))

    response = client.post(f"/households/{household.pk}/visits/new/", visit_post(household, **overrides))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Visit.objects.exists() and not Ticket.objects.exists()


def test_households_and_tickets_of_other_zones_are_404_everywhere(client, zone):
    other_zone = staffed_zone()
    theirs = HouseholdFactory(zone=other_zone)
    their_ticket = make_ticket(zone=other_zone)
    client.force_login(member_of(zone))

    assert client.get(f"/households/{theirs.pk}/").status_code == 404
    assert client.get(f"/households/{theirs.pk}/visits/new/").status_code == 404
    assert client.get(f"/tickets/{their_ticket.pk}/").status_code == 404
    assert client.post(f"/tickets/{their_ticket.pk}/actions/acknowledge/", {}).status_code == 404
    assert client.get(f"/tickets/{their_ticket.pk}/transfer-form/").status_code == 404
    assert their_ticket.reference not in client.get("/queue/").content.decode()
    assert f'href="/households/{theirs.pk}/"' not in client.get("/zone/", {"q": theirs.address}).content.decode()


def test_the_ticket_page_offers_only_what_the_person_may_do(client, zone):
    ticket = make_ticket(zone=zone)
    committee_staff = User.objects.get(committee=zone.committee, role="committee_staff")
    liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=DepartmentFactory())

    client.force_login(member_of(zone))
    member_page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    client.force_login(committee_staff)
    committee_page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    client.force_login(liaison)
    liaison_status = client.get(f"/tickets/{ticket.pk}/").status_code

    assert 'data-action="acknowledge"' in member_page and 'data-action="refer"' not in member_page
    assert 'data-action="close"' not in member_page  # not legal while new
    assert 'data-action="refer"' not in committee_page  # refer needs acknowledged or in progress
    assert 'data-action="escalate"' in committee_page
    assert liaison_status == 404


def test_a_liaison_sees_and_answers_only_what_is_referred_to_the_department(client, zone):
    referred = transitions.ticket_start(ticket=make_ticket(zone=zone), actor="test")
    department = department_for(referred)
    liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department)
    referred = transitions.ticket_refer(ticket=referred, actor="test", department=department)
    other = make_ticket(zone=zone)
    client.force_login(liaison)

    queue = client.get("/queue/").content.decode()
    page = client.get(f"/tickets/{referred.pk}/").content.decode()
    answer = client.post(
        f"/tickets/{referred.pk}/actions/department_reply/",
        {"version": referred.version, "department_reply-answer": "已安排维修"},
    )

    assert referred.reference in queue and other.reference not in queue
    assert [a for a in ("department_reply", "resolve", "escalate") if f'data-action="{a}"' in page] == [
        "department_reply"
    ]
    assert answer.status_code == 302
    referred.refresh_from_db()
    assert referred.status == Status.IN_PROGRESS


def test_an_action_with_a_missing_field_is_shown_again_with_the_reason(client, zone):
    ticket = make_ticket(zone=zone)
    client.force_login(member_of(zone))

    response = client.post(
        f"/tickets/{ticket.pk}/actions/resolve/",
        {"version": ticket.version, "resolve-outcome": "explained", "resolve-reason": ""},
    )

    assert response.status_code == 400
    assert "已解释" in response.content.decode() and "需要填写向居民说明的原因" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_acting_on_a_stale_page_says_someone_else_acted(client, zone):
    ticket = make_ticket(zone=zone)
    client.force_login(member_of(zone))
    transitions.ticket_start(ticket=ticket, actor="someone else")

    response = client.post(
        f"/tickets/{ticket.pk}/actions/escalate/", {"version": ticket.version, "escalate-reason": "上报"}, follow=True
    )

    assert "已有他人处理" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.tier == Tier.ZONE


def test_an_action_the_person_may_not_take_is_refused(client, zone):
    ticket = make_ticket(zone=zone)
    transitions.ticket_escalate(ticket=ticket, actor="test", reason="上报居委会")
    client.force_login(member_of(zone))

    response = client.post(f"/tickets/{ticket.pk}/actions/acknowledge/", {"version": 2}, follow=True)

    assert "您现在不能对此工单进行“受理”" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_street_triage_shows_street_tier_soonest_first_with_counts(client, zone):
    street_staff = User.objects.get(street=zone.committee.street, role="street_staff")
    later = make_ticket(zone=zone, urgency="emergency")
    sooner = make_ticket(zone=zone, urgency="emergency")
    Ticket.objects.filter(pk=sooner.pk).update(resolve_by=timezone.now() - dt.timedelta(hours=1), overdue=True)
    zone_tier = make_ticket(zone=zone)
    client.force_login(street_staff)

    page = client.get("/queue/").content.decode()

    assert page.index(sooner.reference) < page.index(later.reference)
    assert zone_tier.reference not in page
    counts = page[page.index('data-testid="counts"') : page.index("</section>")]
    assert "<strong>2</strong> 未办结" in counts and "<strong>1</strong> 已逾期" in counts
    assert "deadline overdue" in page
    filtered = client.get("/queue/", {"overdue": "1"}).content.decode()
    assert sooner.reference in filtered and later.reference not in filtered


def test_bulk_acknowledge_and_assign_from_the_triage_queue(client, zone):
    street = zone.committee.street
    staff = User.objects.get(street=street, role="street_staff")
    tickets = [make_ticket(zone=zone, urgency="emergency") for _ in range(3)]
    client.force_login(staff)

    client.post("/queue/bulk/", {"action": "acknowledge", "tickets": [tickets[0].pk, tickets[1].pk]})
    client.post("/queue/bulk/", {"action": "assign", "tickets": [tickets[2].pk], "bulk-owner": staff.pk})

    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert [statuses[ticket.pk] for ticket in tickets] == ["acknowledged", "acknowledged", "new"]
    assert Ticket.objects.get(pk=tickets[2].pk).owner == staff


def test_the_transfer_form_prints_what_the_committee_tried_and_asks(client, zone):
    ticket = make_ticket(zone=zone)
    ticket = transitions.ticket_escalate(ticket=ticket, actor="test", reason="需居委会协调")
    ticket = transitions.ticket_acknowledge(ticket=ticket, actor="test", note="约谈双方未果")
    ticket = transitions.ticket_escalate(ticket=ticket, actor="test", reason="请街道召集城管和房管协调")
    client.force_login(User.objects.get(committee=zone.committee, role="committee_staff"))

    page = client.get(f"/tickets/{ticket.pk}/transfer-form/").content.decode()

    assert "群众诉求转接单" in page
    assert "约谈双方未果" in page and "请街道召集城管和房管协调" in page
    assert client.get(f"/tickets/{make_ticket(zone=zone).pk}/transfer-form/").status_code == 404


def test_empty_queue_says_so(client, zone):
    client.force_login(member_of(zone))
    assert "没有符合条件的未办结工单" in client.get("/queue/").content.decode()


def test_my_tickets_lists_resolved_ones_awaiting_feedback(client, zone):
    member = member_of(zone)
    open_ticket = make_ticket(zone=zone, actor=member)
    resolved = transitions.ticket_resolve(ticket=make_ticket(zone=zone, actor=member), actor=member, outcome="solved")
    client.force_login(member)

    page = client.get("/tickets/mine/").content.decode()

    assert open_ticket.reference in page and resolved.reference in page
    assert page.index(open_ticket.reference) < page.index("回访")


def test_my_tickets_pages_through_the_owned_and_the_first_received_in_deadline_order(client, zone):
    """Each kind is read from its own index as far as the asked page; merged, the pages hold
    every one once, soonest deadline first, and the pager counts them all."""
    member = member_of(zone)
    colleague = User.objects.get(committee=zone.committee, role="committee_staff")
    owned = [make_ticket(zone=zone, actor=colleague) for _ in range(30)]  # the zone's member owns them
    received = [make_ticket(zone=zone, actor=member) for _ in range(30)]  # the member took them in
    both = received.pop()  # taken in and owned: listed once
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in received]).update(owner=colleague)
    elsewhere = make_ticket(actor=colleague)  # another zone's: neither
    start = timezone.now() + dt.timedelta(days=3)
    # Owned and received alternate by deadline, so every page needs both kinds.
    order = [ticket for pair in zip(owned, received, strict=False) for ticket in pair] + [both]
    for hours, ticket in enumerate(order):
        Ticket.objects.filter(pk=ticket.pk).update(resolve_by=start + dt.timedelta(hours=hours))
    client.force_login(member)

    first = client.get("/tickets/mine/").content.decode()
    second = client.get("/tickets/mine/?page=2").content.decode()
    beyond = client.get("/tickets/mine/?page=9").content.decode()  # the nearest page: the last
    below = client.get("/tickets/mine/?page=0").content.decode()  # Django's paginator: the last too
    odd = client.get("/tickets/mine/", {"page": "²"}).content.decode()  # a digit, not a number: the first

    def listed(page):
        return sorted((ticket for ticket in order if ticket.reference in page), key=lambda t: page.index(t.reference))

    assert listed(first) == order[:50]
    assert listed(second) == order[50:] == listed(beyond) == listed(below)
    assert listed(odd) == order[:50]
    assert "第 1 / 2 页" in first and "第 2 / 2 页" in second
    assert elsewhere.reference not in first + second


def test_a_persons_list_read_only_as_far_as_a_page_refuses_another_filter(zone):
    """Cut to a page's rows, the owned and received arms hold the first of the person's
    tickets, not the first of a narrower list: a tier filter applied after them could empty
    a page that has rows."""
    from grievances.selectors import QueueFilters, ticket_queue
    from responders.selectors import user_scope

    member = member_of(zone)
    scope = user_scope(member)
    assert list(ticket_queue(scope, QueueFilters(owner_id=member.pk), upto=51)) == []
    with pytest.raises(ValueError, match="no other filter"):
        ticket_queue(scope, QueueFilters(owner_id=member.pk, tier=Tier.ZONE), upto=51)


def test_the_screens_speak_english_on_request(client, zone):
    client.force_login(member_of(zone))
    client.post("/i18n/setlang/", {"language": "en", "next": "/queue/"})
    page = client.get("/queue/").content.decode()
    assert "Nothing here" in page and "Overdue only" in page


def test_street_staff_are_not_offered_escalation_at_the_top_or_zone_members_a_bare_close(client, zone):
    street_ticket = make_ticket(zone=zone, urgency="emergency")
    resolved = transitions.ticket_resolve(ticket=make_ticket(zone=zone), actor="test", outcome="solved")
    street_staff = User.objects.get(street=zone.committee.street, role="street_staff")

    client.force_login(street_staff)
    street_page = client.get(f"/tickets/{street_ticket.pk}/").content.decode()
    street_resolved = client.get(f"/tickets/{resolved.pk}/").content.decode()
    client.force_login(member_of(zone))
    member_resolved = client.get(f"/tickets/{resolved.pk}/").content.decode()

    assert 'data-action="escalate"' not in street_page and 'data-action="refer"' not in street_page
    assert 'data-action="acknowledge"' in street_page
    assert 'data-action="close"' in street_resolved
    assert 'data-action="close"' not in member_resolved and 'data-action="feedback"' in member_resolved


def test_the_queue_counts_its_tickets_without_the_rows_names(client, zone, monkeypatch):
    """The queue's rows come with their category's, street's and people's names; its count
    must not: joined into the count's statement, those tables made one count in a hundred take
    half a second on the city data."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 2)  # a list longer than its page is counted
    tickets = [make_ticket(zone=zone) for _ in range(3)]
    client.force_login(User.objects.get(role=User.Role.COMMITTEE_STAFF, committee=zone.committee))
    with CaptureQueriesContext(connection) as sent:
        answer = client.get("/queue/", {"tier": ""})

    assert answer.status_code == 200
    assert all(ticket.reference in answer.content.decode() for ticket in tickets[:2])
    # The page's own count: one capped count (the cards' are several in one statement).
    (counted,) = [q["sql"] for q in sent.captured_queries if q["sql"].count("count(*)") == 1]
    assert "grievances_category" not in counted and "responders_streetoffice" not in counted, counted


def test_overdue_only_reads_the_overdue_tickets_without_the_rows_names(client, zone):
    """The "overdue only" filter narrows the list by a statement of its own inside the list's: the rows'
    joins (category, street, people) belong to the list alone, once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = make_ticket(zone=zone)
    Ticket.objects.filter(pk=ticket.pk).update(overdue=True)
    client.force_login(User.objects.get(role=User.Role.COMMITTEE_STAFF, committee=zone.committee))
    with CaptureQueriesContext(connection) as sent:
        answer = client.get("/queue/", {"tier": "", "overdue": "1"})

    assert answer.status_code == 200 and ticket.reference in answer.content.decode()
    (listed,) = [q["sql"] for q in sent.captured_queries if "transfer_number" in q["sql"]]
    assert "UNION" in listed  # the overdue ones, read inside the list's statement
    assert listed.count('JOIN "grievances_category"') == 1, listed

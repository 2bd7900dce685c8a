"""The two lists (两份清单, seed 003): an administrative affair goes straight to its department
with the committee informed; a social one climbs the pyramid as before; a committee declines a
task the list names as a department's; the street sees how often; each street's list is its own."""

import uuid
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from affairs.models import AffairsEntry
from alerts.models import Notification
from api.services import partner_key_create
from core.enums import Status, Tier
from core.errors import InvalidInput, NotPermitted
from escalation import transitions
from escalation.models import Referral
from grievances.models import Category, Ticket, TicketEvent, Visit
from intake.services import RaisedMatter, visit_log
from responders.models import DepartmentKind, PartnerSystem, User
from tests.factories import DepartmentFactory, HouseholdFactory, UserFactory, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db


def entry(street, name, *, kind="administrative", category=None, department_kind=None, **fields):
    return AffairsEntry.objects.create(
        street=street,
        kind=kind,
        name=name,
        category=Category.objects.get(code=category) if category else None,
        department_kind=DepartmentKind.objects.get(code=department_kind) if department_kind else None,
        **fields,
    )


@pytest.fixture
def street_with_lists():
    """A staffed zone whose street keeps the two lists: illegal building goes to urban
    management; household registration is the police's (cited only); neighbour disputes are
    the community's. With an urban-management squad and a police station, each with a liaison."""
    zone = staffed_zone()
    street = zone.committee.street
    squad = DepartmentFactory(
        district=street.district,
        street=street,
        kind=DepartmentKind.objects.get(code="urban_management"),
        name=f"{street.name}城管中队",
    )
    police = DepartmentFactory(district=street.district, street=street, name=f"{street.name}派出所")
    UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=squad, username=f"squad{squad.pk}")
    UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=police, username=f"police{police.pk}")
    entries = {
        "building": entry(
            street, "违章搭建", category="urban_management", department_kind="urban_management", basis="城管执法职责"
        ),
        "residence": entry(street, "户籍管理", department_kind="police"),
        "dispute": entry(street, "邻里纠纷", kind="social", category="neighbour_dispute"),
    }
    return zone, squad, police, entries


def member_of(zone) -> User:
    return User.objects.get(memberships__team__zone=zone)


def committee_staff_of(zone) -> User:
    return User.objects.get(role=User.Role.COMMITTEE_STAFF, committee=zone.committee)


def at_the_door(zone, category: str, *, settled=False):
    household = HouseholdFactory(zone=zone)
    visit = visit_log(
        actor=member_of(zone),
        household=household,
        visited_on=timezone.localdate(),
        method=Visit.Method.DOOR,
        matters=[
            RaisedMatter(category=Category.objects.get(code=category), description="院内违章搭建", settled=settled)
        ],
    )
    return visit.tickets.get()


def test_an_administrative_matter_filed_at_the_door_goes_straight_to_its_department(street_with_lists):
    zone, squad, police, entries = street_with_lists
    # given the list names illegal building the urban-management squad's duty
    # when a zone member files one at the door
    ticket = at_the_door(zone, "urban_management")

    # then it is referred at once to the squad, not left to climb: the status, the referral,
    # the event that cites the list, the respond-by clock stopped
    assert (ticket.status, ticket.tier) == (Status.REFERRED, Tier.ZONE)
    referral = Referral.objects.get(ticket=ticket)
    assert (referral.department, referral.duty) == (squad, "违章搭建")
    assert ticket.answer_by == referral.answer_by and ticket.first_responded_at is not None
    event = ticket.events.get(kind=TicketEvent.Kind.REFERRED)
    assert (event.from_status, event.to_status, event.actor) == (Status.NEW, Status.REFERRED, member_of(zone))
    assert event.data["list_route"] == "straight" and event.data["list_entry"] == entries["building"].pk
    # and the committee's staff are told, the squad's liaison has it to answer
    alerts = set(Notification.objects.filter(ticket=ticket).values_list("recipient__role", "kind"))
    assert (User.Role.COMMITTEE_STAFF, Notification.Kind.STRAIGHT_TO_DEPARTMENT) in alerts
    assert (User.Role.DEPARTMENT_LIAISON, Notification.Kind.REFERRED) in alerts
    assert not Notification.objects.filter(recipient__department=police).exists()
    # the department answers as for any referral; the zone tells the resident
    ticket = transitions.ticket_department_reply(
        ticket=ticket, actor=User.objects.get(department=squad), answer="已立案，限期拆除", department=squad
    )
    assert (ticket.status, ticket.tier) == (Status.IN_PROGRESS, Tier.ZONE)


def test_settled_at_the_door_it_needs_no_department(street_with_lists):
    zone, *_ = street_with_lists
    ticket = at_the_door(zone, "urban_management", settled=True)
    assert ticket.status == Status.RESOLVED and not Referral.objects.filter(ticket=ticket).exists()


def test_a_social_matter_climbs_as_before(street_with_lists):
    zone, *_ = street_with_lists
    ticket = at_the_door(zone, "neighbour_dispute")
    assert (ticket.status, ticket.tier) == (Status.NEW, Tier.ZONE)
    assert not Referral.objects.filter(ticket=ticket).exists()
    ticket = transitions.ticket_escalate(ticket=ticket, actor=member_of(zone), reason="双方各执一词")
    assert (ticket.status, ticket.tier) == (Status.NEW, Tier.COMMITTEE)


def test_another_streets_list_does_not_route_this_streets_matter(street_with_lists):
    zone, *_ = street_with_lists
    elsewhere = staffed_zone()
    ticket = at_the_door(elsewhere, "urban_management")
    assert (ticket.status, ticket.tier) == (Status.NEW, Tier.ZONE)


def test_an_emergency_and_a_list_without_a_serving_department_climb(street_with_lists):
    zone, squad, *_ = street_with_lists
    emergency = make_ticket(zone=zone, category="urban_management", urgency="emergency")
    assert (emergency.status, emergency.tier) == (Status.NEW, Tier.STREET)
    squad.active = False
    squad.save(update_fields=["active"])
    ticket = make_ticket(zone=zone, category="urban_management")
    assert (ticket.status, ticket.tier) == (Status.NEW, Tier.ZONE)


def test_a_partner_ticket_goes_straight_too(street_with_lists):
    zone, squad, *_ = street_with_lists
    ticket = make_ticket(
        zone=None, committee=zone.committee, category="urban_management", channel="hotline", address="瞿溪路 1 号"
    )
    assert (ticket.status, ticket.tier) == (Status.REFERRED, Tier.COMMITTEE)
    assert Referral.objects.get(ticket=ticket).department == squad


def test_through_the_partner_api_and_open311_too(street_with_lists):
    zone, squad, *_ = street_with_lists
    hotline = PartnerSystem.objects.create(code="hotline12345", name="12345 市民服务热线")
    _, raw = partner_key_create(
        partner=hotline, name="test", streets=[zone.committee.street], scopes=["tickets:read", "tickets:write"]
    )
    body = {"category": "urban_management", "description": "天井里违章搭建彩钢板房", "zone": zone.pk}

    filed = Client(HTTP_AUTHORIZATION=f"Api-Key {raw}").post(
        "/api/v1/tickets/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )
    form = urlencode(
        {"api_key": raw, "service_code": "urban_management", "description": "占道设摊", "address_string": "瞿溪路 3 号"}
    )
    georeport = Client().post("/open311/v2/requests.json", form, content_type="application/x-www-form-urlencoded")

    assert filed.status_code == 201 and filed.json()["status"] == Status.REFERRED
    assert georeport.status_code == 200, georeport.content
    opened = Ticket.objects.get(reference=georeport.json()[0]["service_request_id"])
    assert opened.status == Status.REFERRED and opened.referrals.get().department == squad


ROUTE_TABLES = ("affairs_affairsentry", "responders_department")


def test_the_route_is_read_before_the_ticket_is_numbered(street_with_lists):
    """Taking the street's number locks its counter until the commit, and every other ticket
    opened in the street waits: the route (the entry, the department, whom to tell) is read
    before (with its answer-by date), and after the number only its writes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    zone, squad, *_ = street_with_lists
    with CaptureQueriesContext(connection) as seen:
        ticket = make_ticket(zone=zone, category="urban_management", description="天井里违章搭建彩钢板房")
    statements = [query["sql"] for query in seen.captured_queries]
    numbered = next(i for i, sql in enumerate(statements) if "grievances_ticketsequence" in sql)

    assert ticket.status == Status.REFERRED and Referral.objects.get(ticket=ticket).department == squad
    assert any("affairs_affairsentry" in sql for sql in statements[:numbered])
    # The list's entry and the department before the number; nothing of the route after it
    # (the liaisons and the committee's staff are users; the SLA's answer-by is kept).
    assert all(any(table in sql for sql in statements[:numbered]) for table in ROUTE_TABLES)
    after = ("affairs_affairsentry", "responders_department", "responders_user")
    assert [sql for sql in statements[numbered:] if any(table in sql for table in after)] == []
    alerted = set(Notification.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert {Notification.Kind.REFERRED, Notification.Kind.STRAIGHT_TO_DEPARTMENT} <= alerted


def committee_ticket(zone):
    """A task at the committee: a hotline matter about household registration, filed as a
    policy question (its category is not routed)."""
    return make_ticket(
        zone=None,
        committee=zone.committee,
        address="瞿溪路 2 号",
        category="policy",
        channel="hotline",
        description="要求居委会出具户籍证明",
    )


def test_a_committee_declines_a_departments_task_citing_the_list(street_with_lists):
    zone, squad, police, entries = street_with_lists
    ticket = committee_ticket(zone)
    staff = committee_staff_of(zone)
    ticket = transitions.ticket_acknowledge(ticket=ticket, actor=staff)

    ticket = transitions.ticket_decline_by_list(
        ticket=ticket, actor=staff, entry=entries["residence"], note="户籍证明由派出所出具"
    )

    assert ticket.status == Status.REFERRED and ticket.tier == Tier.COMMITTEE
    assert Referral.objects.get(ticket=ticket).department == police
    event = ticket.events.get(kind=TicketEvent.Kind.REFERRED)
    assert (event.data["list_route"], event.data["list_entry_name"], event.note) == (
        "declined",
        "户籍管理",
        "户籍证明由派出所出具",
    )
    desk = set(Notification.objects.filter(kind=Notification.Kind.DECLINED_BY_LIST).values_list("recipient__role"))
    assert desk == {(User.Role.STREET_STAFF,), (User.Role.STREET_LEADER,)}
    assert Notification.objects.filter(recipient__department=police, kind=Notification.Kind.REFERRED).exists()


def test_a_decline_is_refused_off_the_list_or_out_of_role(street_with_lists):
    zone, squad, police, entries = street_with_lists
    ticket = committee_ticket(zone)
    staff = committee_staff_of(zone)
    other_street = staffed_zone().committee.street
    foreign = entry(other_street, "户籍管理", department_kind="police")

    with pytest.raises(InvalidInput) as refused:
        transitions.ticket_decline_by_list(ticket=ticket, actor=staff, entry=foreign)
    assert refused.value.field == "entry"
    with pytest.raises(InvalidInput):
        transitions.ticket_decline_by_list(ticket=ticket, actor=staff, entry=entries["dispute"])
    # a zone member may not decline for the committee; a zone-tier ticket is not declined so
    with pytest.raises(NotPermitted):
        transitions.ticket_decline_by_list(ticket=ticket, actor=member_of(zone), entry=entries["residence"])
    at_zone = make_ticket(zone=zone, category="policy")
    with pytest.raises(NotPermitted):
        transitions.ticket_decline_by_list(ticket=at_zone, actor=staff, entry=entries["residence"])
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and not Referral.objects.filter(ticket=ticket).exists()


def test_the_committee_declines_from_the_ticket_page_and_the_street_sees_the_count(street_with_lists, client):
    zone, squad, police, entries = street_with_lists
    ticket = committee_ticket(zone)
    straight = make_ticket(zone=zone, category="urban_management")
    client.force_login(committee_staff_of(zone))

    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f'action="/tickets/{ticket.pk}/actions/decline_by_list/"' in page
    assert "户籍管理" in page and "邻里纠纷 →" not in page  # only administrative entries are offered
    # another street's entry is not a choice: the form names the field
    foreign = entry(staffed_zone().committee.street, "户籍管理", department_kind="police")
    refused = client.post(f"/tickets/{ticket.pk}/actions/decline_by_list/", {"decline_by_list-entry": foreign.pk})
    assert refused.status_code == 400 and 'data-field="decline_by_list-entry"' in refused.content.decode()
    done = client.post(
        f"/tickets/{ticket.pk}/actions/decline_by_list/",
        {"decline_by_list-entry": entries["residence"].pk, "decline_by_list-note": "户籍证明由派出所出具"},
    )
    assert done.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.REFERRED
    timeline = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="list-declined"' in timeline
    straight_page = client.get(f"/tickets/{straight.pk}/").content.decode()
    assert 'data-testid="list-straight"' in straight_page

    client.force_login(User.objects.get(role=User.Role.STREET_STAFF, street=zone.committee.street))
    dashboard = client.get("/dashboard/").content.decode()
    assert 'data-testid="list-declined-count">1<' in dashboard
    assert 'data-testid="list-straight-count">1<' in dashboard


def test_the_count_is_the_streets_own(street_with_lists, client):
    zone, squad, police, entries = street_with_lists
    ticket = transitions.ticket_acknowledge(ticket=committee_ticket(zone), actor=committee_staff_of(zone))
    transitions.ticket_decline_by_list(ticket=ticket, actor=committee_staff_of(zone), entry=entries["residence"])
    other = staffed_zone()
    client.force_login(User.objects.get(role=User.Role.STREET_STAFF, street=other.committee.street))
    dashboard = client.get("/dashboard/").content.decode()
    assert 'data-testid="list-declined-count">0<' in dashboard


# --- the lists page: read by the street's people, kept by its staff ---------------------


def test_street_staff_keep_the_list_and_the_committee_reads_it(street_with_lists, client):
    zone, squad, police, entries = street_with_lists
    street = zone.committee.street
    staff = User.objects.get(role=User.Role.STREET_STAFF, street=street)
    client.force_login(staff)

    page = client.get("/lists/").content.decode()
    assert "违章搭建" in page and "邻里纠纷" in page and 'action="/lists/?street=' in page
    missing = client.post(f"/lists/?street={street.pk}", {"kind": "administrative", "name": "税务登记", "position": 5})
    assert missing.status_code == 400 and 'data-field="department_kind"' in missing.content.decode()
    added = client.post(
        f"/lists/?street={street.pk}",
        {
            "kind": "administrative",
            "name": "税务登记",
            "department_kind": DepartmentKind.objects.get(code="tax").pk,
            "position": 5,
            "active": "on",
        },
    )
    assert added.status_code == 302
    assert AffairsEntry.objects.get(street=street, name="税务登记").is_administrative
    twice = client.post(
        f"/lists/?street={street.pk}",
        {
            "kind": "social",
            "name": "楼道堆物",
            "category": Category.objects.get(code="neighbour_dispute").pk,
            "position": 5,
            "active": "on",
        },
    )
    assert twice.status_code == 400 and 'data-field="category"' in twice.content.decode()
    edited = client.post(
        f"/lists/{entries['building'].pk}/edit/",
        {
            "kind": "administrative",
            "name": "违章搭建",
            "category": Category.objects.get(code="urban_management").pk,
            "department": squad.pk,
            "position": 1,
            "active": "on",
        },
    )
    assert edited.status_code == 302
    entries["building"].refresh_from_db()
    assert entries["building"].department == squad

    client.force_login(committee_staff_of(zone))
    read = client.get("/lists/")
    assert (
        read.status_code == 200
        and "违章搭建" in read.content.decode()
        and '<form method="post" action="/lists/' not in read.content.decode()
    )
    assert client.post("/lists/", {"kind": "social", "name": "x", "position": 1}).status_code == 404
    assert client.get(f"/lists/{entries['building'].pk}/edit/").status_code == 404


def test_another_streets_list_is_neither_visible_nor_editable(street_with_lists, client):
    zone, squad, police, entries = street_with_lists
    other = staffed_zone().committee.street
    theirs = entry(other, "他街道的清单事项", kind="social")
    client.force_login(User.objects.get(role=User.Role.STREET_STAFF, street=zone.committee.street))

    assert "他街道的清单事项" not in client.get("/lists/").content.decode()
    assert client.get(f"/lists/?street={other.pk}").status_code == 404
    assert client.get(f"/lists/{theirs.pk}/edit/").status_code == 404
    assert client.post(f"/lists/{theirs.pk}/edit/", {"kind": "social", "name": "改", "position": 1}).status_code == 404
    # a department of another district is not a choice for this street's entry
    stranger = DepartmentFactory(name="外区派出所")
    refused = client.post(
        f"/lists/{entries['residence'].pk}/edit/",
        {"kind": "administrative", "name": "户籍管理", "department": stranger.pk, "position": 1, "active": "on"},
    )
    assert refused.status_code == 400 and 'data-field="department"' in refused.content.decode()
    liaison = User.objects.get(department=police)
    client.force_login(liaison)
    assert client.get("/lists/").status_code == 404


def test_the_list_refuses_a_social_entry_with_a_department(street_with_lists):
    zone, *_ = street_with_lists
    from escalation.affairs_list import affairs_entry_save

    staff = User.objects.get(role=User.Role.STREET_STAFF, street=zone.committee.street)
    bad = AffairsEntry(
        street=zone.committee.street,
        kind="social",
        name="楼道堆物",
        department_kind=DepartmentKind.objects.get(code="police"),
    )
    with pytest.raises(InvalidInput) as refused:
        affairs_entry_save(actor=staff, entry=bad)
    assert refused.value.field == "department_kind"
    with pytest.raises(NotPermitted):
        affairs_entry_save(
            actor=committee_staff_of(zone), entry=AffairsEntry(street=zone.committee.street, kind="social", name="x")
        )


def test_without_an_administrative_affair_on_the_list_nothing_is_offered_to_decline(client):
    zone = staffed_zone()
    AffairsEntry.objects.create(street=zone.committee.street, kind="social", name="楼道堆物")
    ticket = committee_ticket(zone)
    client.force_login(committee_staff_of(zone))

    page = client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert 'data-action="acknowledge"' in page and 'data-action="decline_by_list"' not in page


def test_the_lists_read_in_english_on_english_screens(client):
    from django.core.management import call_command

    call_command("seed_demo", "--no-progress")
    entry = AffairsEntry.objects.filter(category__isnull=False, department_kind__isnull=False).first()
    client.force_login(User.objects.filter(role=User.Role.STREET_STAFF, street_id=entry.street_id).first())
    client.cookies["django_language"] = "en"

    page = client.get("/lists/").content.decode()

    assert f"straight through: {entry.category.name_en}" in page
    assert entry.department_kind.name_en and f"→ {entry.department_kind.name_en}" in page

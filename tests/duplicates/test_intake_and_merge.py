"""Issue 20, items 1 and 2: likely duplicates shown at intake within the caller's tickets, a
new report attached to an open ticket as "also reported by", and merging a duplicate moves
its reporters to the surviving ticket, which the partner's external_id still finds."""

import pytest

from core.enums import CancelReason, Channel, Status
from core.errors import InvalidInput
from escalation.transitions import ticket_add_reporter, ticket_cancel
from grievances.duplicates import bigrams, likely_duplicates, similarity
from grievances.models import Ticket, TicketEvent, TicketReporter
from responders.selectors import user_scope
from tests.api.conftest import api_client, hotline  # noqa: F401
from tests.factories import BuildingFactory, HouseholdFactory, make_ticket, staffed_zone
from tests.intake.test_desk_and_visits import committee_staff, desk_post

pytestmark = pytest.mark.django_db

LIFT = "3号楼电梯坏了，老人下不了楼"


def test_chinese_is_compared_by_character_bigrams_not_words():
    assert "电梯" in bigrams("３号楼 电梯！")  # full-width digits, spaces and punctuation do not matter
    assert similarity("3号楼电梯坏了", "３号楼的电梯又坏了") > similarity("3号楼电梯坏了", "楼下有人停车挡路")
    # the hotline's set phrases do not make two different problems alike
    assert similarity("市民反映：小区垃圾无人清运，希望尽快处理", "市民反映：楼道灯不亮，希望尽快处理") < 0.2


def test_an_open_ticket_of_the_same_building_is_suggested_and_a_closed_or_unseen_one_is_not(zone):
    building = BuildingFactory(zone=zone)
    first = make_ticket(zone=zone, household=HouseholdFactory(zone=zone, building=building), description=LIFT)
    elsewhere = staffed_zone()
    make_ticket(zone=elsewhere, description=LIFT)  # another street's: never shown
    staff = committee_staff(zone)

    found = likely_duplicates(
        user_scope(staff),
        category=first.category,
        description="电梯又停了，3 号楼",
        household=HouseholdFactory(zone=zone, building=building),
    )

    assert [s.ticket for s in found] == [first]
    assert found[0].same_building
    ticket_cancel(ticket=first, actor=staff, reason=CancelReason.WITHDRAWN)
    assert likely_duplicates(user_scope(staff), category=first.category, description=LIFT, zone_id=zone.pk) == []


def test_another_buildings_ticket_of_the_zone_and_category_is_suggested_only_when_alike(zone):
    here, there = BuildingFactory(zone=zone), BuildingFactory(zone=zone)
    trapped = make_ticket(
        zone=zone,
        household=HouseholdFactory(zone=zone, building=there),
        category="public_facilities",
        description="3号楼电梯困人，有人关在里面出不来",
    )
    make_ticket(  # the same zone and category, another problem
        zone=zone,
        household=HouseholdFactory(zone=zone, building=there),
        category="public_facilities",
        description="小区东门的路灯晚上都不亮",
    )
    make_ticket(  # alike, but another category and building: not a candidate at all
        zone=zone,
        household=HouseholdFactory(zone=zone, building=there),
        category="housing",
        description="3号楼电梯困人，快来人",
    )

    found = likely_duplicates(
        user_scope(committee_staff(zone)),
        category=trapped.category,
        description="市民反映：3号楼电梯发生困人故障，请求紧急处置。",
        household=HouseholdFactory(zone=zone, building=here),
    )

    assert [s.ticket for s in found] == [trapped]
    assert not found[0].same_building


def test_the_desk_says_why_each_ticket_is_suggested(client, zone):
    here, there = BuildingFactory(zone=zone), BuildingFactory(zone=zone)
    same_building = make_ticket(zone=zone, household=HouseholdFactory(zone=zone, building=here), description=LIFT)
    alike = make_ticket(zone=zone, household=HouseholdFactory(zone=zone, building=there), description=LIFT)
    client.force_login(committee_staff(zone))
    values = {
        "household": HouseholdFactory(zone=zone, building=here).pk,
        "matter-0-category": same_building.category_id,
        "matter-0-description": "3号楼的电梯又坏了，老人下不了楼",
    }

    shown = client.get("/desk/duplicates/", {**desk_post(**values), "n": "0"}).content.decode()

    labels = [label for label in shown.split("<label>") if "value=" in label and "attach_to" in label]
    refs = (same_building.reference, alike.reference)
    reasons = {ref: next(label for label in labels if ref in label) for ref in refs}
    assert "同一幢楼" in reasons[same_building.reference] and "描述相近" not in reasons[same_building.reference]
    assert "描述相近" in reasons[alike.reference] and "同一幢楼" not in reasons[alike.reference]


def test_the_callers_scope_narrows_the_candidates_read_by_place(zone, django_assert_num_queries):
    """The candidates of a zone and category are read first and narrowed to the caller's scope
    after (by each row's units; a department's, by the tickets referred to it): another
    committee's staff see none of the zone's, a department only the one referred to it."""
    from escalation.transitions import ticket_acknowledge, ticket_refer
    from responders.selectors import Scope
    from tests.factories import department_for

    referred = make_ticket(zone=zone, description=LIFT)
    kept = make_ticket(zone=zone, description=LIFT)
    department = department_for(referred)
    ticket_acknowledge(ticket=referred, actor="test")
    ticket_refer(ticket=referred, actor="test", department=department)
    ask = {"category": kept.category, "description": LIFT, "zone_id": zone.pk}

    found = likely_duplicates(user_scope(committee_staff(zone)), **ask)
    assert {s.ticket for s in found} == {referred, kept}
    with django_assert_num_queries(0):  # the desk shows each one's text and date: read with the rows
        shown = {(s.ticket.reference, s.ticket.description, s.ticket.category_id, s.ticket.created_at) for s in found}
    assert shown == {(t.reference, t.description, t.category_id, t.created_at) for t in (referred, kept)}
    assert likely_duplicates(user_scope(committee_staff(staffed_zone())), **ask) == []
    assert [s.ticket for s in likely_duplicates(Scope(department_ids=frozenset({department.pk})), **ask)] == [referred]


def test_the_desk_suggests_and_attaches_a_walk_in_to_the_open_ticket(client, zone):
    building = BuildingFactory(zone=zone)
    first = make_ticket(zone=zone, household=HouseholdFactory(zone=zone, building=building), description=LIFT)
    neighbour = HouseholdFactory(zone=zone, building=building, contact_name="周敏", phone="13900002222")
    client.force_login(committee_staff(zone))
    values = {
        "household": neighbour.pk,
        "matter-0-category": first.category_id,
        "matter-0-description": "我们楼的电梯坏了两天了",
    }

    shown = client.get("/desk/duplicates/", {**desk_post(**values), "n": "0"}).content.decode()
    assert first.reference in shown and "同一幢楼" in shown
    assert LIFT[:20] in shown  # what the open ticket says, for the clerk to judge by
    response = client.post("/desk/", desk_post(**values, **{"matter-0-attach_to": first.pk}))

    assert response.status_code == 302
    assert Ticket.objects.count() == 1  # no second ticket
    said = client.get(response.url).content.decode()
    assert f"已将该居民加为未办结工单 {first.reference} 的反映人" in said and "诉求已受理" not in said
    (joined,) = TicketReporter.objects.filter(ticket=first)
    assert (joined.name, joined.phone, joined.channel, joined.household) == (
        "周敏",
        "13900002222",
        "walk_in",
        neighbour,
    )
    assert first.events.filter(kind=TicketEvent.Kind.ALSO_REPORTED).count() == 1


def test_attaching_to_a_ticket_the_clerk_cannot_see_is_refused_and_nothing_is_written(client, zone):
    unseen = make_ticket(zone=staffed_zone(), description=LIFT)
    household = HouseholdFactory(zone=zone)
    client.force_login(committee_staff(zone))
    values = {"household": household.pk, "matter-0-category": unseen.category_id, "matter-0-description": LIFT}

    response = client.post("/desk/", desk_post(**values, **{"matter-0-attach_to": unseen.pk}))

    assert response.status_code == 400
    assert "不在您的可见范围内" in response.content.decode()
    assert not TicketReporter.objects.exists() and Ticket.objects.count() == 1


def test_merging_moves_every_reporter_to_the_surviving_ticket_and_refuses_a_cycle(zone):
    by_hotline = make_ticket(zone=zone, description=LIFT, channel=Channel.PARTNER, reporter_phone="13900003333")
    door = make_ticket(zone=zone, description="电梯不动了", reporter_name="王芳", reporter_phone="13900004444")
    phoned = make_ticket(zone=zone, description="电梯坏了没人修", reporter_phone="13900005555")
    staff = committee_staff(zone)

    ticket_cancel(ticket=phoned, actor=staff, reason=CancelReason.DUPLICATE, duplicate_of=door)
    ticket_cancel(ticket=door, actor=staff, reason=CancelReason.DUPLICATE, duplicate_of=by_hotline)

    phones = sorted(TicketReporter.objects.filter(ticket=by_hotline).values_list("phone", flat=True))
    assert phones == ["13900004444", "13900005555"]  # the door's reporter, and the one who had joined it
    with pytest.raises(InvalidInput):  # the hotline ticket cannot now become a duplicate of the door's
        ticket_cancel(ticket=by_hotline, actor=staff, reason=CancelReason.DUPLICATE, duplicate_of=door)
    assert Ticket.objects.get(pk=by_hotline.pk).status != Status.CANCELLED


def test_merging_into_a_merged_ticket_names_the_one_it_ended_in(client, zone):
    """The clerk typed the reference on the paper form: that ticket was merged since. The form
    says which one survives, in the clerk's language, and nothing is cancelled."""
    survivor = make_ticket(zone=zone, description=LIFT)
    merged = make_ticket(zone=zone, description="电梯不动了")
    late = make_ticket(zone=zone, description="电梯坏了没人修")
    staff = committee_staff(zone)
    ticket_cancel(ticket=merged, actor=staff, reason=CancelReason.DUPLICATE, duplicate_of=survivor)
    client.force_login(staff)

    answer = client.post(
        f"/tickets/{late.pk}/actions/cancel/",
        {"cancel-reason": CancelReason.DUPLICATE, "cancel-duplicate_of": merged.reference},
        HTTP_HX_REQUEST="true",
    )

    assert f"{merged.reference} 已合并至 {survivor.reference}，请填写 {survivor.reference} 作为原工单" in (
        answer.content.decode()
    )
    assert Ticket.objects.get(pk=late.pk).status != Status.CANCELLED
    with pytest.raises(InvalidInput, match="原工单本身已撤销"):  # withdrawn, not merged: nothing to name
        withdrawn = make_ticket(zone=zone)
        ticket_cancel(ticket=withdrawn, actor=staff, reason=CancelReason.WITHDRAWN)
        ticket_cancel(ticket=late, actor=staff, reason=CancelReason.DUPLICATE, duplicate_of=withdrawn)


def test_a_merged_tickets_page_links_the_surviving_one_by_its_reference(client, zone):
    survivor = make_ticket(zone=zone, description=LIFT)
    merged = make_ticket(zone=zone, description="电梯坏了没人修")
    staff = committee_staff(zone)
    ticket_cancel(ticket=merged, actor=staff, reason=CancelReason.DUPLICATE, duplicate_of=survivor)
    client.force_login(staff)

    merged_page = client.get(f"/tickets/{merged.pk}/").content.decode()
    survivor_page = client.get(f"/tickets/{survivor.pk}/").content.decode()

    assert f'<dt>重复于</dt><dd><a href="/tickets/{survivor.pk}/">{survivor.reference}</a></dd>' in merged_page
    assert "重复于" not in survivor_page
    # The merged ticket's reporter is one of the survivor's, named with where they came from.
    assert f'<a href="/tickets/{merged.pk}/">由 {merged.reference} 合并而来</a>' in survivor_page


def test_the_api_answers_possible_duplicates_in_the_keys_streets_and_finds_a_merged_ticket(api_client, zone):  # noqa: F811
    mine = make_ticket(zone=zone, description=LIFT)
    other_zone = staffed_zone()
    make_ticket(zone=other_zone, description=LIFT)  # alike, but another street's
    client = api_client(zone.committee.street)
    body = {
        "category": mine.category.code,
        "description": "3号楼的电梯坏了，老人下不了楼",
        "zone": zone.pk,
        "external_id": "12345-0001",
    }

    created = client.post("/api/v1/tickets/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="a")

    assert created.status_code == 201, created.content
    assert [d["reference"] for d in created.json()["possible_duplicates"]] == [mine.reference]
    # Staff merge the hotline's ticket into the one already open: its id still finds it.
    ticket_cancel(
        ticket=Ticket.objects.get(pk=created.json()["id"]),
        actor=committee_staff(zone),
        reason=CancelReason.DUPLICATE,
        duplicate_of=mine,
    )
    found = client.get("/api/v1/tickets/", {"external_id": "12345-0001"}).json()["results"]
    assert sorted(t["id"] for t in found) == sorted([created.json()["id"], mine.pk])
    merged = next(t for t in found if t["id"] == created.json()["id"])
    assert merged["status"] == "cancelled" and merged["duplicate_of"] == mine.pk


def test_the_ticket_page_lists_who_else_reported_it(client, zone):
    lift = make_ticket(zone=zone, description=LIFT)
    door = make_ticket(zone=zone, description="电梯不动了", reporter_name="王芳")
    staff = committee_staff(zone)
    ticket_cancel(ticket=door, actor=staff, reason=CancelReason.DUPLICATE, duplicate_of=lift)
    client.force_login(staff)

    page = client.get(f"/tickets/{lift.pk}/").content.decode()

    assert "另有 1 人（渠道）反映同一问题" in page
    assert f"由 {door.reference} 合并而来" in page and "电梯不动了" in page


def test_a_visit_matter_joins_the_open_ticket_with_its_photo(client, zone):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from grievances.models import Photo, Visit
    from tests import photo_files
    from tests.intake.test_desk_and_visits import member_of, visit_post

    building = BuildingFactory(zone=zone)
    first = make_ticket(zone=zone, household=HouseholdFactory(zone=zone, building=building), description=LIFT)
    neighbour = HouseholdFactory(zone=zone, building=building, contact_name="陈静")
    client.force_login(member_of(zone))
    form = f"/households/{neighbour.pk}/visits/new/"
    shown = client.get(
        "/desk/duplicates/",
        {
            "n": "0",
            "household": neighbour.pk,
            "matter-0-category": first.category_id,
            "matter-0-description": "电梯坏了",
        },
    ).content.decode()
    assert first.reference in shown

    data = visit_post(
        neighbour,
        **{
            "matter-0-category": first.category_id,
            "matter-0-description": "电梯坏了，楼里老人出不去",
            "matter-0-attach_to": first.pk,
        },
    )
    data["photos"] = [SimpleUploadedFile("lift.jpg", photo_files.jpeg(), content_type="image/jpeg")]
    response = client.post(form, data)

    assert response.status_code == 302, response.content.decode()[:500]
    visit = Visit.objects.get(household=neighbour)
    assert Ticket.objects.count() == 1 and visit.tickets.count() == 0
    joined = TicketReporter.objects.get(ticket=first)
    assert (joined.visit, joined.household, joined.channel) == (visit, neighbour, "visit")
    assert Photo.objects.get().ticket == first


def test_open311_names_possible_duplicates_in_its_service_notice(zone):
    from api.services import partner_key_create
    from responders.models import PartnerSystem
    from tests.api.test_open311 import file_request

    partner_system = PartnerSystem.objects.create(code="suishoupai", name="随手拍")
    _, raw = partner_key_create(
        partner=partner_system, name="t", streets=[zone.committee.street], scopes=["tickets:read", "tickets:write"]
    )
    first = file_request(raw).json()[0]
    again = file_request(raw, description="瞿溪路500弄3号门口的垃圾好几天没人清运了").json()[0]
    elsewhere = file_request(raw, service_code="housing", description="楼上漏水").json()[0]

    assert first["service_request_id"] not in (first["service_notice"] or "")
    assert f"可能与 {first['service_request_id']} 为同一问题" in again["service_notice"]
    assert "可能与" not in elsewhere["service_notice"]


def test_the_report_counts_one_problem_with_its_reporters(zone):
    from reports.selectors import headline

    lift = make_ticket(zone=zone, description=LIFT)
    door = make_ticket(zone=zone, description="电梯不动了")
    staff = committee_staff(zone)
    ticket_cancel(ticket=door, actor=staff, reason=CancelReason.DUPLICATE, duplicate_of=lift)
    ticket_add_reporter(ticket=lift, actor=staff, channel=Channel.PHONE, phone="13900001234")
    make_ticket(zone=zone, description="楼道灯不亮")

    figures = headline(Ticket.objects.filter(zone=zone))

    assert (figures["received"], figures["reporters"], figures["cancelled"]) == (2, 4, 1)

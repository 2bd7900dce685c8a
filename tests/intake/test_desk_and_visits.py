"""Issue 15, items 1–3 and 8: the desk (来访/来电/信件), finding a household by phone, name or
address typed without spaces, one outcome per matter at a visit, the default visitor, the
next household to visit, and the visit form's refusals of a date of 1900 and a description
over 4,000 characters."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from core.enums import Channel, Status, Tier
from core.errors import InvalidInput, NotPermitted
from escalation.policy import personal_data_scope
from grievances.models import Category, Ticket, Visit
from grievances.selectors import household_search, visit_coverage
from intake.services import DeskMatter, desk_intake, visit_log
from responders.models import TeamMembership, User
from responders.selectors import NOTHING, user_scope
from tests.factories import DepartmentFactory, HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def category():
    return Category.objects.get(code="public_facilities")


def member_of(zone) -> User:
    return User.objects.get(memberships__team__zone=zone)


def committee_staff(zone) -> User:
    return User.objects.get(role=User.Role.COMMITTEE_STAFF, committee=zone.committee)


def field_block(page: str, name: str) -> str:
    """The `_field.html` block of the field `name`."""
    match = re.search(rf'<div class="field[^"]*" data-field="{re.escape(name)}">.*?</div>', page, re.S)
    assert match, f"no field {name}"
    return match.group(0)


def matters_post(prefix="matter", rows=3, **values):
    data = {
        f"{prefix}-TOTAL_FORMS": str(rows),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "10",
    }
    for n in range(rows):
        data[f"{prefix}-{n}-urgency"] = "normal"
        data[f"{prefix}-{n}-outcome"] = "raised"
    data.update(values)
    return data


def visit_post(household, **values):
    return {
        "visited_on": timezone.localdate().isoformat(),
        "method": "door",
        "visitors": [m.pk for m in TeamMembership.objects.filter(team__zone=household.zone)],
        "notes": "",
        **matters_post(**values),
    }


def desk_post(**values):
    data = {
        "channel": "walk_in",
        "household": "",
        "reporter_name": "",
        "reporter_phone": "",
        "place": "",
        "address": "",
    }
    data.update({k: v for k, v in values.items() if not k.startswith("matter-")})
    data.update(matters_post(**{k: v for k, v in values.items() if k.startswith("matter-")}))
    return data


# --- 1. the desk ------------------------------------------------------------------------


def test_a_walk_in_at_the_committee_desk_opens_a_ticket_for_the_household_and_is_no_visit(client, zone, category):
    household = HouseholdFactory(zone=zone, contact_name="李强", phone="13900001111")
    staff = committee_staff(zone)
    client.force_login(staff)
    coverage_before = visit_coverage(user_scope(staff), timezone.localdate().year)

    found = client.get("/desk/", {"q": "13900001111"}).content.decode()
    assert f'href="?household={household.pk}"' in found
    form = client.get("/desk/", {"household": household.pk}).content.decode()
    assert household.address in form and "李强" in form

    response = client.post(
        "/desk/",
        desk_post(
            channel="walk_in",
            household=household.pk,
            **{"matter-0-category": category.pk, "matter-0-description": "楼下路灯坏了一周"},
        ),
    )

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.household, ticket.zone, ticket.tier) == (Channel.WALK_IN, household, zone, Tier.ZONE)
    assert (ticket.reporter_name, ticket.reporter_phone, ticket.first_receiver) == ("李强", "13900001111", staff)
    assert ticket.visit is None and not Visit.objects.exists()
    assert visit_coverage(user_scope(staff), timezone.localdate().year) == coverage_before
    assert ticket.reference in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("channel", [Channel.PHONE, Channel.LETTER])
def test_a_caller_without_a_household_is_taken_by_name_and_phone_at_the_committee(client, zone, category, channel):
    client.force_login(committee_staff(zone))

    response = client.post(
        "/desk/",
        desk_post(
            channel=channel,
            reporter_name="赵先生",
            reporter_phone="13700002222",
            place=f"committee:{zone.committee_id}",
            address="蒙自路 5 号",
            **{
                "matter-0-category": category.pk,
                "matter-0-description": "小区门口积水",
                "matter-1-category": category.pk,
                "matter-1-description": "健身器材损坏",
            },
        ),
    )

    assert response.status_code == 302
    tickets = list(Ticket.objects.order_by("pk"))
    assert [t.channel for t in tickets] == [channel, channel]
    assert {(t.tier, t.committee_id, t.zone_id, t.household_id) for t in tickets} == {
        (Tier.COMMITTEE, zone.committee_id, None, None)
    }
    assert {(t.reporter_name, t.reporter_phone, t.address) for t in tickets} == {
        ("赵先生", "13700002222", "蒙自路 5 号")
    }
    assert not Visit.objects.exists()


def test_the_desk_form_names_the_field_at_fault(client, zone, category):
    client.force_login(committee_staff(zone))

    response = client.post(
        "/desk/",
        desk_post(
            place=f"committee:{zone.committee_id}", **{"matter-0-category": category.pk, "matter-0-description": "x"}
        ),
    )

    assert response.status_code == 400
    assert "has-error" in field_block(response.content.decode(), "reporter_name")
    assert not Ticket.objects.exists()


def test_the_desk_is_for_staff_of_units_and_only_their_own(client, zone, category):
    liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=DepartmentFactory())
    client.force_login(liaison)
    assert client.get("/desk/").status_code == 403

    other = HouseholdFactory()  # another street's household
    client.force_login(committee_staff(zone))
    assert client.get("/desk/", {"household": other.pk}).status_code == 404
    with pytest.raises(NotPermitted):
        desk_intake(
            actor=committee_staff(zone),
            channel=Channel.WALK_IN,
            household=other,
            matters=[DeskMatter(category=category, description="不是本居委的")],
        )
    assert not Ticket.objects.exists()


def test_a_household_outside_the_persons_units_is_refused_naming_it(client, zone, category):
    other = HouseholdFactory()
    client.force_login(committee_staff(zone))

    response = client.post(
        "/desk/",
        desk_post(household=other.pk, **{"matter-0-category": category.pk, "matter-0-description": "别处的住户"}),
    )

    assert response.status_code == 400
    assert 'data-field="household"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_nav_offers_the_desk_to_staff(client, zone):
    client.force_login(member_of(zone))
    assert 'href="/desk/"' in client.get("/").content.decode()


# --- 2. finding a household --------------------------------------------------------------


def test_households_are_found_by_phone_name_and_address_typed_without_spaces(client, zone):
    target = HouseholdFactory(zone=zone, address="蒙自路 141 弄 1 号 101", contact_name="陈小红", phone="13612345678")
    HouseholdFactory(zone=zone, address="蒙自路 141 弄 2 号 202", contact_name="周大伟", phone="13500000000")
    client.force_login(member_of(zone))

    for query in (
        "141弄1号101",
        "141 弄1号 101",
        "陈小红",
        "13612345678",
        "136 1234 5678",
        "5678",
        "+86 136 1234 5678",
    ):
        page = client.get("/zone/", {"q": query}).content.decode()
        assert target.address in page, query
        assert "2 号 202" not in page, query


def test_a_whole_number_finds_a_phone_stored_with_its_country_code_and_dashes(client, zone):
    target = HouseholdFactory(zone=zone, address="蒙自路 141 弄 3 号 301", phone="+86 136-1234-5678")
    HouseholdFactory(zone=zone, address="蒙自路 141 弄 4 号 401", phone="13612345679")
    client.force_login(member_of(zone))

    for query in ("13612345678", "136-1234-5678", "1234-5678", "+86 136 1234 5678", "8613612345678"):
        page = client.get("/zone/", {"q": query}).content.decode()
        assert target.address in page, query
        assert "4 号 401" not in page, query


def test_a_whole_number_is_looked_up_as_a_phone_only(client, zone):
    """Eleven digits are a phone: the address and name arms are left out (they made PostgreSQL
    read every household of the street); fewer digits still search the addresses too."""
    target = HouseholdFactory(zone=zone, address="蒙自路 141 弄 3 号 301", phone="13612345678")
    HouseholdFactory(zone=zone, address="工号13612345678宿舍", phone="13900000000")
    client.force_login(member_of(zone))

    whole = client.get("/zone/", {"q": "13612345678"}).content.decode()
    assert target.address in whole and "工号13612345678宿舍" not in whole
    part = client.get("/zone/", {"q": "3612345678"}).content.decode()
    assert target.address in part and "工号13612345678宿舍" in part


def test_a_searchs_answer_comes_before_the_coverage_table(client, zone):
    target = HouseholdFactory(zone=zone, address="蒙自路 141 弄 5 号 501", phone="13612345670")
    client.force_login(member_of(zone))

    searched = client.get("/zone/", {"q": "13612345670"}).content.decode()
    browsing = client.get("/zone/").content.decode()

    assert searched.index(target.address) < searched.index('data-testid="coverage"')
    assert browsing.index('data-testid="coverage"') < browsing.index(target.address)


def test_a_search_that_finds_nobody_says_so_and_offers_nothing_to_keep_offline(client, zone):
    HouseholdFactory(zone=zone, address="蒙自路 141 弄 6 号 601")
    client.force_login(member_of(zone))

    found = client.get("/zone/", {"q": "141弄6号"}).content.decode()
    nobody = client.get("/zone/", {"q": "99999999999"}).content.decode()

    assert "data-offline-keep-box" in found
    assert "没有符合条件的住户" in nobody and "data-offline-keep-box" not in nobody


def test_phones_are_searched_only_where_the_person_may_see_them(zone):
    household = HouseholdFactory(zone=zone, contact_name="陈小红", phone="13612345678")
    scope = user_scope(member_of(zone))

    assert list(household_search(scope, "13612345678", phone_scope=personal_data_scope(member_of(zone)))) == [household]
    assert list(household_search(scope, "13612345678", phone_scope=NOTHING)) == []
    assert list(household_search(scope, "13612345678")) == []  # no phone scope given: no phone search
    assert list(household_search(scope, "陈小红", phone_scope=NOTHING)) == [household]


# --- 3. one outcome per matter -------------------------------------------------------------


def test_each_matter_of_a_visit_has_its_own_outcome(client, zone, category):
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))

    response = client.post(
        f"/households/{household.pk}/visits/new/",
        visit_post(
            household,
            **{
                "matter-0-category": category.pk,
                "matter-0-description": "楼道灯不亮，当场换了灯泡",
                "matter-0-outcome": "settled",
                "matter-0-satisfaction": "satisfied",
                "matter-1-category": category.pk,
                "matter-1-description": "屋顶漏水，需要物业公司维修",
                "matter-1-outcome": "raised",
            },
        ),
    )

    assert response.status_code == 302
    settled, raised = Ticket.objects.order_by("pk")
    assert (settled.status, settled.outcome, settled.tier) == (Status.CLOSED, "solved", Tier.ZONE)
    assert settled.resolved_at is not None
    verdict = settled.feedback.get()
    assert (verdict.satisfaction, verdict.collected_via) == ("satisfied", "visit")
    assert (raised.status, raised.outcome, raised.resolved_at) == (Status.NEW, "", None)
    assert Visit.objects.get().result == Visit.Result.RAISED


def test_a_settled_matter_asks_for_the_residents_verdict(client, zone, category):
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))

    response = client.post(
        f"/households/{household.pk}/visits/new/",
        visit_post(
            household,
            **{"matter-0-category": category.pk, "matter-0-description": "已当场解决", "matter-0-outcome": "settled"},
        ),
    )

    assert response.status_code == 400
    assert "has-error" in field_block(response.content.decode(), "matter-0-satisfaction")
    assert not Ticket.objects.exists() and not Visit.objects.exists()


def test_the_signed_in_member_is_ticked_as_a_visitor(client, zone):
    household = HouseholdFactory(zone=zone)
    member = member_of(zone)
    other = TeamMembership.objects.create(
        team=member.memberships.get().team, name="志愿者", home_kind=TeamMembership.HomeKind.COMMUNITY_UNIT
    )
    client.force_login(member)

    page = client.get(f"/households/{household.pk}/visits/new/").content.decode()

    mine = member.memberships.get().pk
    assert re.search(rf'<input type="checkbox" name="visitors" value="{mine}"[^>]*checked', page)
    assert not re.search(rf'<input type="checkbox" name="visitors" value="{other.pk}"[^>]*checked', page)


def test_after_a_visit_the_page_links_the_next_household_not_yet_visited(client, zone):
    first, second, third = (HouseholdFactory(zone=zone, address=f"测试路 9 弄 {n} 号") for n in (1, 2, 3))
    visit_log(actor=member_of(zone), household=second, visited_on=timezone.localdate(), method="door", matters=[])
    client.force_login(member_of(zone))

    response = client.post(f"/households/{first.pk}/visits/new/", visit_post(first))
    page = client.get(response["Location"]).content.decode()

    link = re.search(r'data-testid="next-unvisited">.*?</p>', page, re.S).group(0)
    assert f'href="/households/{third.pk}/"' in link and third.address in link


# --- 8. bad input -------------------------------------------------------------------------


def test_a_visit_dated_1900_is_refused_naming_the_date(client, zone):
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))

    response = client.post(
        f"/households/{household.pk}/visits/new/", {**visit_post(household), "visited_on": "1900-01-01"}
    )

    assert response.status_code == 400
    assert "has-error" in field_block(response.content.decode(), "visited_on")
    assert not Visit.objects.exists()
    with pytest.raises(InvalidInput) as refused:
        visit_log(actor=member_of(zone), household=household, visited_on=dt.date(1900, 1, 1), method="door", matters=[])
    assert refused.value.field == "visited_on"


def test_a_description_over_4000_characters_is_refused_not_cut(client, zone, category):
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))

    form = client.get(f"/households/{household.pk}/visits/new/").content.decode()
    description = field_block(form, "matter-0-description")
    assert 'data-maxlength="4000"' in description and "maxlength=" not in description.replace("data-maxlength", "")

    response = client.post(
        f"/households/{household.pk}/visits/new/",
        visit_post(household, **{"matter-0-category": category.pk, "matter-0-description": "漏" * 4001}),
    )

    assert response.status_code == 400
    block = field_block(response.content.decode(), "matter-0-description")
    assert "has-error" in block and "4001" in block
    assert not Ticket.objects.exists() and not Visit.objects.exists()


def test_the_desk_refuses_a_description_over_4000_characters_too(client, zone, category):
    household = HouseholdFactory(zone=zone)
    client.force_login(committee_staff(zone))

    response = client.post(
        "/desk/",
        desk_post(household=household.pk, **{"matter-0-category": category.pk, "matter-0-description": "漏" * 4001}),
    )

    assert response.status_code == 400
    assert "has-error" in field_block(response.content.decode(), "matter-0-description")
    assert not Ticket.objects.exists()

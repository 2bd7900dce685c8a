"""Issue 20 at the desk, in a real Chromium: a neighbour walks in about the lift already
reported from their building; the clerk sees the open ticket under the matter as they type,
attaches the neighbour to it, and no second ticket is opened."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from grievances.models import Household, Ticket, TicketReporter
from tests.browser.conftest import DESK
from tests.factories import make_ticket

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_neighbour_at_the_desk_joins_the_lift_ticket_already_open(sign_in, live_server, screenshot):
    call_command("seed_demo", "--no-progress")
    first, neighbour = Household.objects.filter(zone__code="WLQ-SC-01").order_by("address")[:2]
    assert first.building_id == neighbour.building_id
    lift = make_ticket(
        zone=first.zone,
        household=first,
        category="public_facilities",
        description="我们楼的电梯停了两天，老人下不了楼。",
    )
    before = Ticket.objects.count()

    desk = sign_in("committee_staff", DESK)
    desk.get_by_role("link", name="接待").click()
    desk.get_by_role("searchbox").fill(re.sub(r"\s+", "", neighbour.address))
    desk.get_by_role("button", name="查找").click()
    desk.get_by_test_id("desk-found").get_by_role("link", name=neighbour.address).click()
    expect(desk.get_by_test_id("desk-household")).to_contain_text(neighbour.address)
    desk.get_by_label("来访", exact=True).check()
    matter = desk.get_by_test_id("matter-0")
    matter.get_by_label("类别").select_option(label="公共设施（电梯、道路、照明）")
    words = matter.get_by_label("居民诉求")
    words.fill("电梯又坏了，一直没人来修。")
    # As a clerk's typing ends: a key let go. The suggestions are asked for 800 ms after one
    # (or 300 ms after a choice). fill() alone lets no key go, so only the category's change
    # asked, and when fill() came more than 300 ms after it (the page still settling), that
    # request carried no words and the suggestions never came: the test's race, not a clerk's.
    words.press("End")
    suggestions = desk.get_by_test_id("duplicates-0")
    expect(suggestions).to_contain_text(lift.reference)
    expect(suggestions).to_contain_text("同一幢楼")
    suggestions.get_by_label(re.compile(f"与 {lift.reference} 是同一件事")).check()
    screenshot(desk, "35-desk-likely-duplicate")
    desk.get_by_role("button", name="受理并生成工单").click()
    expect(desk.locator(".messages")).to_contain_text(lift.reference)

    assert Ticket.objects.count() == before
    assert TicketReporter.objects.get(ticket=lift).household == neighbour

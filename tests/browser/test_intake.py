"""A resident at the committee's desk, and a zone member's visit with mixed outcomes on a
phone, in a real Chromium (issue 15: items 1, 3 and 8). Screenshots in test-artifacts/."""

import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from core.enums import Channel, Status
from grievances.models import Household, Ticket, Visit
from grievances.selectors import visited_this_year
from tests.browser.conftest import DESK, PHONE

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_walk_in_at_the_committee_desk(sign_in, live_server, screenshot):
    call_command("seed_demo", "--no-progress")
    household = Household.objects.filter(zone__committee__code="WLQ-SC").order_by("address")[5]
    visits_before = Visit.objects.count()

    desk = sign_in("committee_staff", DESK)
    desk.get_by_role("link", name="接待").click()
    # The clerk types the address without its spaces.
    desk.get_by_role("searchbox").fill(re.sub(r"\s+", "", household.address))
    desk.get_by_role("button", name="查找").click()
    desk.get_by_test_id("desk-found").get_by_role("link", name=household.address).click()
    expect(desk.get_by_test_id("desk-household")).to_contain_text(household.address)
    desk.get_by_label("来访", exact=True).check()
    matter = desk.get_by_test_id("matter-0")
    matter.get_by_label("类别").select_option(label="公共设施（电梯、道路、照明）")
    matter.get_by_label("居民诉求").fill("小区东门的路灯坏了一周，晚上出入不安全。")
    screenshot(desk, "20-desk-walk-in")
    desk.get_by_role("button", name="受理并生成工单").click()
    expect(desk.locator(".messages")).to_contain_text("诉求已受理")

    ticket = Ticket.objects.get(household=household)
    assert (ticket.channel, ticket.status, ticket.first_receiver.username) == (
        Channel.WALK_IN,
        Status.NEW,
        "committee_staff",
    )
    assert Visit.objects.count() == visits_before and ticket.visit is None


def test_a_zone_members_visit_with_mixed_outcomes_on_a_phone(sign_in, live_server, screenshot):
    call_command("seed_demo", "--no-progress")
    year = timezone.localdate().year
    households = Household.objects.filter(zone__code="WLQ-SC-01").exclude(visited_this_year(year)).order_by("address")
    household, following = households[0], households[1]

    phone = sign_in("zone_member", PHONE)
    phone.goto(f"{live_server.url}/households/{household.pk}/")
    phone.get_by_role("link", name="登记走访").click()
    # The signed-in member is ticked as a visitor already.
    expect(phone.locator('input[name="visitors"]:checked')).to_have_count(1)

    settled = phone.get_by_test_id("matter-0")
    settled.get_by_label("类别").select_option(label="公共设施（电梯、道路、照明）")
    settled.get_by_label("居民诉求").fill("楼道灯不亮，当场换了灯泡。")
    settled.get_by_label("现场解决", exact=True).check()
    settled.get_by_label("居民评价（现场解决的事项）").select_option(label="满意")

    raised = phone.get_by_test_id("matter-1")
    raised.get_by_label("类别").select_option(label="公共设施（电梯、道路、照明）")
    description = raised.get_by_label("居民诉求")
    # Over 4,000 characters the page counts and says so, instead of cutting the text.
    description.fill("漏" * 4001)
    expect(raised.locator("[data-counter]")).to_contain_text("超出 1 字")
    description.fill("屋顶漏水，需要物业公司维修。")
    expect(raised.locator("[data-counter]")).to_have_text("14 / 4000 字")
    raised.get_by_label("需后续处理：生成工单").check()
    # The verdict is asked for the settled matter only.
    expect(raised.get_by_label("居民评价（现场解决的事项）")).to_be_hidden()
    screenshot(phone, "21-phone-visit-mixed-outcomes")
    phone.get_by_role("button", name="保存走访").click()
    expect(phone.locator(".messages")).to_contain_text("走访已登记")
    expect(phone.get_by_test_id("next-unvisited")).to_contain_text(following.address)
    screenshot(phone, "22-phone-after-visit")

    done, open_ = Ticket.objects.filter(household=household).order_by("pk")
    assert (done.status, done.outcome, done.feedback.get().satisfaction) == (Status.CLOSED, "solved", "satisfied")
    assert open_.status == Status.NEW
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

"""Issue 19 in a real headless Chromium: a committee clerk takes an application for a service
item at the window (a desk), and the street's owner pauses its clock on a phone while the
resident brings a missing document, then resumes it."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from grievances.models import Household, Ticket
from tests.browser.conftest import DESK, PHONE

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_clerks_application_at_the_window_and_a_pause_on_a_phone(sign_in, live_server, screenshot):
    call_command("seed_demo", "--no-progress")
    household = Household.objects.filter(zone__committee__code="WLQ-SC").order_by("address")[3]

    # At the committee's window: the desk, then the service window, the item, the resident.
    desk = sign_in("committee_staff", DESK)
    desk.get_by_role("link", name="接待").click()
    desk.get_by_test_id("to-service-window").click()
    desk.get_by_test_id("item-choice").select_option(label="老年综合津贴申领")
    expect(desk.get_by_test_id("item-facts")).to_contain_text("7")
    search = desk.get_by_role("searchbox")
    search.fill(household.address)
    search.press("Enter")
    desk.get_by_test_id("desk-found").get_by_role("link", name=household.address).click()
    expect(desk.get_by_test_id("desk-household")).to_contain_text(household.address)
    desk.get_by_label("居民身份证、户口簿").check()
    screenshot(desk, "13-desk-service-application")
    desk.get_by_role("button", name="受理申请").click()

    expect(desk).to_have_url(re.compile(r"/tickets/\d+/$"))
    ticket = Ticket.objects.get(kind="service", household=household)
    expect(desk).to_have_url(f"{live_server.url}/tickets/{ticket.pk}/")
    expect(desk.get_by_test_id("service-item")).to_contain_text("老年综合津贴申领")
    expect(desk.get_by_test_id("documents")).to_contain_text("本人银行卡")  # missing, marked so
    assert ticket.documents_received == ["居民身份证、户口簿"]
    assert ticket.tier == "street" and ticket.first_receiver.username == "committee_staff"

    # The completing office's owner, on a phone: the resident must bring the bank card.
    owner = sign_in(ticket.owner.username, PHONE)
    owner.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    owner.locator('details[data-action="start"] summary').click()
    owner.locator('details[data-action="start"] button[type=submit]').click()
    expect(owner.get_by_test_id("status")).to_have_text("办理中")
    pause = owner.locator('details[data-action="pause"]')
    pause.locator("summary").click()
    pause.get_by_label("等待居民：材料不全").check()
    pause.get_by_label("等待的是什么").fill("请居民补交本人银行卡")
    pause.get_by_role("button").click()
    expect(owner.get_by_test_id("paused")).to_be_visible()
    expect(owner.get_by_test_id("deadline")).to_contain_text("计时暂停")
    expect(owner.locator('details[data-action="escalate"]')).to_have_count(0)
    width = owner.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width
    screenshot(owner, "14-phone-paused-clock")
    resume = owner.locator('details[data-action="resume"]')
    resume.locator("summary").click()
    resume.get_by_role("button").click()
    expect(owner.get_by_test_id("paused")).to_have_count(0)
    expect(owner.get_by_test_id("timeline")).to_contain_text("恢复计时")
    ticket.refresh_from_db()
    assert ticket.paused_at is None and ticket.events.filter(kind="resumed").count() == 1

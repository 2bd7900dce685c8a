"""The street's triage at a desk, and a department liaison's referral on a phone (issue 15,
items 2, 4 and 5), in a real headless Chromium."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from escalation import transitions
from escalation.models import Referral, TransferRecord
from responders.models import ResponsibilityZone, User
from tests.browser.conftest import DESK, PHONE
from tests.factories import make_ticket

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_street_triage_at_a_desk_and_a_liaisons_referral_on_a_phone(sign_in, live_server, screenshot):
    call_command("seed_demo", "--no-progress")
    zone = ResponsibilityZone.objects.get(code="WLQ-SC-01")
    staff = User.objects.get(username="street_staff")
    # At the zone: a matter with a phone to find it by. At the street: one the committee passed up.
    waiting = make_ticket(zone=zone, reporter_name="赵大伟", reporter_phone="13911112222", description="楼道灯坏了")
    passed = make_ticket(zone=zone, description="违章搭建影响邻居采光")
    passed = transitions.ticket_escalate(ticket=passed, actor="test", reason="责任区协调无果")
    passed = transitions.ticket_escalate(ticket=passed, actor="test", reason="居委会协调无果，请街道协助")
    number = TransferRecord.objects.get(ticket=passed).number

    # The street's triage: the transferred ticket with its number, and what lies below.
    desk = sign_in("street_staff", DESK)
    desk.get_by_role("link", name="工单队列").click()
    row = desk.locator(f'tr[data-ref="{passed.reference}"]')
    expect(row).to_contain_text(number)
    expect(row).to_contain_text("居委会上报")
    expect(desk.get_by_test_id("in-force")).to_contain_text("街道办事处层级")
    expect(desk.get_by_test_id("hidden-tiers")).to_contain_text("责任区层级")
    screenshot(desk, "10-desk-triage-hidden-tiers")
    desk.get_by_test_id("show-all-tiers").click()
    expect(desk.locator(f'tr[data-ref="{waiting.reference}"]')).to_be_visible()
    desk.get_by_test_id("select-all").check()
    boxes = desk.locator('input[name="tickets"]')
    assert boxes.count() >= 2
    for index in range(boxes.count()):
        expect(boxes.nth(index)).to_be_checked()
    desk.get_by_test_id("select-all").uncheck()
    expect(boxes.first).not_to_be_checked()
    # Found by the resident's phone number.
    search = desk.get_by_role("searchbox")
    search.fill("13911112222")
    search.press("Enter")
    expect(desk.locator(f'tr[data-ref="{waiting.reference}"]')).to_be_visible()
    expect(desk.locator(f'tr[data-ref="{passed.reference}"]')).to_have_count(0)

    # The street refers the passed-up matter to the police station.
    police = User.objects.get(username="dept_liaison").department
    transitions.ticket_acknowledge(ticket=passed, actor=staff)
    transitions.ticket_refer(
        ticket=passed, actor=staff, department=police, answer_by=timezone.now() + dt.timedelta(days=10)
    )

    # The liaison, on a phone: the referral on the home page, an interim reply on the ticket.
    phone = sign_in("dept_liaison", PHONE)
    referrals = phone.get_by_test_id("department-referrals")
    expect(referrals).to_contain_text(passed.reference)
    expect(phone.get_by_test_id("zone-count")).to_have_count(0)
    screenshot(phone, "11-phone-liaison-home")
    referrals.get_by_role("link", name=passed.reference).click()
    update = phone.locator('details[data-action="department_update"]')
    update.locator("summary").click()
    update.get_by_label("部门目前的办理情况").fill("已派民警到现场核实，正在约谈当事人。")
    update.get_by_role("button", name="答复进展（正在处理）").click()
    expect(phone.get_by_test_id("timeline")).to_contain_text("部门正在处理")
    expect(phone.get_by_test_id("timeline")).to_contain_text("已派民警到现场核实")
    expect(phone.get_by_test_id("progress")).to_contain_text("正在处理")
    screenshot(phone, "12-phone-liaison-interim-reply")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    referral = Referral.objects.get(ticket=passed)
    assert referral.is_open and referral.progress.startswith("已派民警")
    phone.get_by_role("link", name="我的工单").first.click()
    expect(phone.get_by_test_id("department-referrals")).to_contain_text(passed.reference)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

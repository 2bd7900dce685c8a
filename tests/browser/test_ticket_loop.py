"""The whole loop in a real headless Chromium, as the people who use it would go through it:
a zone member on a phone logs a visit that raises a ticket; its deadlines pass and the sweep
carries it up to the street; a street staffer finds it in triage and acts on it; the
resident's feedback closes it. Screenshots of each main page land in test-artifacts/."""

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from core.enums import Status, Tier
from escalation.sweep import sweep_overdue_tickets
from grievances.models import Household, Ticket
from tests.browser.conftest import DESK, PHONE

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def let_deadline_pass(ticket: Ticket) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(resolve_by=timezone.now() - dt.timedelta(minutes=5))
    sweep_overdue_tickets()


def test_visit_to_street_triage_to_feedback(sign_in, live_server, screenshot):
    call_command("seed_demo", "--no-progress")
    household = Household.objects.filter(zone__code="WLQ-SC-01").order_by("address").first()

    # A zone member on a phone finds the household and logs the visit.
    phone = sign_in("zone_member", PHONE)
    expect(phone.get_by_test_id("role")).to_have_text("责任区团队成员")
    screenshot(phone, "01-phone-home")
    phone.get_by_role("link", name="住户").click()
    expect(phone.get_by_test_id("coverage")).to_contain_text("户")
    phone.get_by_role("searchbox").fill(household.address.removesuffix(" 室"))
    phone.get_by_role("button", name="搜索").click()
    screenshot(phone, "02-phone-households")
    phone.get_by_role("link", name=household.address).click()
    phone.get_by_role("link", name="登记走访").click()
    phone.get_by_label("上门", exact=True).check()
    matter = phone.get_by_test_id("matter-0")
    matter.get_by_label("类别").select_option(label="公共设施（电梯、道路、照明）")
    matter.get_by_label("居民诉求").fill("3 号楼电梯一周内停运三次，老人上下楼困难。")
    matter.get_by_label("紧急程度").select_option(label="一般")
    matter.get_by_label("需后续处理：生成工单").check()
    screenshot(phone, "03-phone-log-visit")
    phone.get_by_role("button", name="保存走访").click()
    expect(phone.locator(".messages")).to_contain_text("走访已登记")

    ticket = Ticket.objects.get(household=household)
    assert (ticket.tier, ticket.status, ticket.owner.username) == (Tier.ZONE, Status.NEW, "zone_member")

    # Nobody settles it: the zone's deadline passes, then the committee's.
    let_deadline_pass(ticket)
    ticket.refresh_from_db()
    assert ticket.tier == Tier.COMMITTEE
    let_deadline_pass(ticket)
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.status) == (Tier.STREET, Status.NEW)

    # At the desk, street staff find it in the triage queue and act on it.
    desk = sign_in("street_staff", DESK)
    desk.get_by_role("link", name="工单队列").click()
    row = desk.locator(f'tr[data-ref="{ticket.reference}"]')
    expect(row).to_be_visible()
    expect(desk.get_by_test_id("counts")).to_contain_text("尚未受理")
    screenshot(desk, "04-desk-triage")
    row.get_by_role("checkbox").check()
    desk.get_by_role("button", name="受理", exact=True).click()
    expect(desk.locator(".messages")).to_contain_text("已受理 1 件工单。")
    desk.get_by_role("link", name=ticket.reference).click()
    expect(desk.get_by_test_id("status")).to_have_text("已受理")
    expect(desk.get_by_test_id("timeline")).to_contain_text("系统自动（时限巡检）")
    resolve = desk.locator('details[data-action="resolve"]')
    resolve.locator("summary").click()
    resolve.get_by_label("已解决").check()
    resolve.get_by_label("向居民的说明").fill("已协调物业更换电梯主板，并安排每周检修。")
    screenshot(desk, "05-desk-ticket")
    resolve.get_by_role("button", name="办结").click()
    expect(desk.get_by_test_id("status")).to_have_text("已办结")

    # Back in the field, the first receiver calls the resident and records the verdict.
    phone.get_by_role("link", name="我的工单").click()
    # The household's page the phone is still on links the ticket too: wait for "my tickets"
    # (under load a click on the old page's link once raced the navigation and lost).
    expect(phone).to_have_url(re.compile(r"/tickets/mine/$"))
    phone.get_by_role("link", name=ticket.reference).click()
    expect(phone).to_have_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    feedback = phone.locator('details[data-action="feedback"]')
    feedback.locator("summary").click()
    feedback.get_by_label("满意", exact=True).check()
    feedback.get_by_label("回访方式").select_option(label="电话回访")
    feedback.get_by_label("居民原话").fill("电梯修好了，谢谢。")
    feedback.get_by_role("button", name="登记居民回访").click()
    expect(phone.get_by_test_id("status")).to_have_text("已关闭")
    screenshot(phone, "06-phone-closed-ticket")

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert list(ticket.events.values_list("kind", flat=True)) == [
        "created",
        "escalated",
        "escalated",
        "acknowledged",
        "resolved",
        "feedback",
        "closed",
    ]

    # The committee's request transfer form prints from the ticket page.
    desk.goto(f"{live_server.url}/tickets/{ticket.pk}/transfer-form/")
    expect(desk.locator("h1")).to_contain_text("群众诉求转接单")
    screenshot(desk, "07-transfer-form")


def test_english_at_desk_width(sign_in, live_server, screenshot):
    call_command("seed_demo", "--no-progress")
    desk = sign_in("committee_staff", DESK)
    desk.get_by_role("button", name="English").click()
    expect(desk.get_by_test_id("role")).to_have_text("committee staff")
    desk.get_by_role("link", name="Queue").click()
    # The demo's one open ticket at 桑城: the breach its livelihood project's maintenance
    # contract review found (demo.consultation), shown in English.
    queue = desk.locator("main table")
    expect(queue).to_contain_text("Public facilities")
    expect(queue).to_contain_text("residential committee")
    screenshot(desk, "08-desk-queue-english")

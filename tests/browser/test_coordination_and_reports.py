"""Issue 15 in a real headless Chromium: a committee's coordination meeting takes up a
dispute its zone could not settle and keeps to its date (desk), and each role opens last
month's report: the street's staff issue the street's after a confirmation, a committee and
a zone team read their own."""

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from core.clock import SHANGHAI
from core.enums import Status, Tier
from grievances.models import Household, Ticket
from meetings.models import Meeting
from reports.models import MonthlyReport
from responders.models import ResponsibilityZone
from tests.browser.conftest import DESK, PHONE
from tests.factories import begun, make_ticket

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_committees_coordination_meeting_takes_up_a_zone_ticket_and_keeps_to_its_date(
    sign_in, live_server, screenshot
):
    call_command("seed_demo", "--no-progress")
    household = Household.objects.filter(zone__code="WLQ-SC-01").order_by("address").first()
    dispute = make_ticket(household=household, zone=household.zone, category="neighbour_dispute")
    assert dispute.tier == Tier.ZONE
    starts = timezone.now() + dt.timedelta(days=2)

    desk = sign_in("committee_staff", DESK)
    desk.goto(f"{live_server.url}/meetings/new/")
    # Only the committee's own types and the committee itself are offered.
    units = desk.locator("select[name=unit] option").all_inner_texts()
    assert units == ["桑城居民区"], units
    assert "民情议事日" not in desk.locator("select[name=type]").inner_text()
    desk.locator("select[name=type]").select_option(label="协调会")
    desk.locator("input[name=starts_at]").fill(local(starts))
    desk.locator("input[name=place]").fill("居委会议室")
    desk.locator("main form button[type=submit]").click()
    expect(desk.get_by_test_id("agenda")).to_be_visible()
    meeting = Meeting.objects.get(type__code="coordination", committee__name="桑城居民区", place="居委会议室")

    # The zone's dispute is proposed; it is taken up by typing its reference.
    expect(desk.get_by_test_id("candidates")).to_contain_text(dispute.reference)
    desk.get_by_label("工单编号").fill(dispute.reference)
    desk.get_by_test_id("candidates").get_by_role("button", name="列入议程").first.click()
    expect(desk.get_by_test_id("agenda-item")).to_contain_text(dispute.reference)

    # The decision form: the ticket page's words, and only the chosen decision's fields.
    item = desk.get_by_test_id("agenda-item")
    item.get_by_text("记录决定").first.click()
    expect(item.get_by_label("上报上级", exact=True)).to_be_visible()
    item.get_by_label("办结", exact=True).check()
    expect(item.locator("[data-decision-for=refer]").first).to_be_hidden()
    expect(item.locator("[data-decision-for=resolve]")).to_be_visible()
    item.locator("select[name$=outcome]").select_option(index=1)
    item.get_by_label("决定内容").fill("双方同意分摊维修费用")
    item.get_by_role("button", name="记录决定").click()
    # Six days early is refused: the ticket stays open, the item undecided.
    expect(desk.get_by_text("开始之后才能记录为已召开、记录决定").first).to_be_visible()
    dispute.refresh_from_db()
    assert dispute.status != Status.RESOLVED

    # Minutes drafted before the meeting do not mark it held.
    held = desk.locator("input[name=held]")
    expect(held).not_to_be_checked()
    desk.locator("textarea[name=minutes]").fill("会前准备：通知双方当事人。")
    desk.locator("textarea[name=minutes]").locator("xpath=ancestor::form").get_by_role("button", name="保存").click()
    expect(desk.get_by_text("会前准备：通知双方当事人。").first).to_be_visible()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PLANNED and meeting.minutes

    # On the day: the decision settles the dispute.
    begun(meeting)
    desk.reload()
    item = desk.get_by_test_id("agenda-item")
    item.get_by_text("记录决定").first.click()
    item.get_by_label("办结", exact=True).check()
    item.locator("select[name$=outcome]").select_option(index=1)
    item.get_by_label("决定内容").fill("双方同意分摊维修费用")
    item.get_by_role("button", name="记录决定").click()
    expect(desk.get_by_test_id("decision")).to_contain_text("双方同意分摊维修费用")
    dispute.refresh_from_db()
    assert dispute.status == Status.RESOLVED

    # The calendar is a month grid on a desk and a list of days on a phone.
    month = f"{timezone.localtime(meeting.starts_at):%Y-%m}"
    desk.goto(f"{live_server.url}/meetings/?month={month}")
    grid = desk.get_by_test_id("month-grid")
    assert grid.evaluate("(el) => getComputedStyle(el).display") == "grid"
    assert grid.evaluate("(el) => getComputedStyle(el).gridTemplateColumns.split(' ').length") == 7
    expect(grid).to_contain_text(meeting.display_title)
    screenshot(desk, "10-desk-meetings-calendar")
    phone = sign_in("committee_staff", PHONE)
    phone.goto(f"{live_server.url}/meetings/?month={month}")
    phone_grid = phone.get_by_test_id("month-grid")
    assert phone_grid.evaluate("(el) => getComputedStyle(el).display") == "block"
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360
    expect(phone_grid.locator(".day.no-meetings").first).to_be_hidden()
    expect(phone_grid).to_contain_text(meeting.display_title)


def test_last_months_report_for_each_role(sign_in, live_server, screenshot):
    call_command("seed_demo", "--no-progress")
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    ours = ResponsibilityZone.objects.get(code="WLQ-SC-01")
    theirs = ResponsibilityZone.objects.exclude(committee=ours.committee).order_by("code").first()
    for zone, count in ((ours, 2), (theirs, 3)):
        for household in Household.objects.filter(zone=zone).order_by("pk")[:count]:
            ticket = make_ticket(household=household, zone=zone)
            Ticket.objects.filter(pk=ticket.pk).update(
                created_at=dt.datetime.combine(last_month.replace(day=10), dt.time(10), tzinfo=SHANGHAI)
            )
    month = f"{last_month:%Y-%m}"

    desk = sign_in("street_staff", DESK)
    desk.get_by_role("link", name="统计", exact=True).click()
    desk.get_by_role("link", name="社情民意月报").click()
    desk.locator("input[name=month]").fill(month)
    desk.get_by_role("button", name="查看或生成").click()
    expect(desk.get_by_test_id("confirm-report")).to_be_visible()
    assert not MonthlyReport.objects.exists()
    desk.get_by_role("button", name="确认生成").click()
    expect(desk.get_by_test_id("received")).to_have_text("5")
    expect(desk.get_by_test_id("compare")).to_be_visible()
    desk.emulate_media(media="print")
    expect(desk.get_by_role("link", name="导出 CSV")).to_be_hidden()
    desk.emulate_media(media="screen")
    expect(desk.get_by_role("link", name="导出 CSV")).to_be_visible()

    for username, received in (("committee_staff", "2"), ("zone_member", "2")):
        phone = sign_in(username, PHONE)
        phone.goto(f"{live_server.url}/reports/")
        phone.get_by_test_id("own-report").get_by_role("link", name="本单位上月数据").click()
        expect(phone).to_have_url(re.compile(rf"/reports/mine/\?month={month}$"))
        expect(phone.get_by_test_id("received")).to_have_text(received)
        expect(phone.get_by_test_id("compare")).to_be_visible()
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360
        screenshot(phone, f"11-phone-own-report-{username}")

"""A zone's public-opinion day in a real headless Chromium, on a phone: the team finds the
meeting beat planned, takes up a ticket the visit could not settle, and records the
decision, which resolves the ticket and names the meeting on its timeline."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from core.enums import Status
from grievances.models import Category, Household, Ticket
from intake.services import ticket_create
from meetings.models import Meeting
from tests.browser.conftest import PHONE
from tests.factories import begun

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_public_opinion_day_on_a_phone(sign_in, live_server, screenshot):
    call_command("seed_demo", "--no-progress")
    household = Household.objects.filter(zone__code="WLQ-SC-01").order_by("address").first()
    ticket = ticket_create(
        actor="test",
        category=Category.objects.get(code="environment"),
        description="楼道灯坏了一个月，物业一直没修。",
        channel="visit",
        urgency="normal",
        household=household,
    )
    meeting = Meeting.objects.get(type__code="opinion_day", zone=household.zone)

    phone = sign_in("zone_member", PHONE)
    phone.get_by_role("link", name="会议").click()
    if not phone.get_by_role("link", name=meeting.display_title, exact=False).count():
        phone.goto(f"{live_server.url}/meetings/?month={meeting.starts_at:%Y-%m}")
    phone.get_by_role("link", name=meeting.display_title, exact=False).first.click()
    candidates = phone.get_by_test_id("candidates")
    expect(candidates).to_contain_text(ticket.reference)
    candidates.locator("li", has_text=ticket.reference).get_by_role("button", name="列入议程").click()
    expect(phone.get_by_test_id("agenda-item")).to_contain_text(ticket.reference)

    item = phone.get_by_test_id("agenda-item")
    item.get_by_text("记录决定").first.click()
    item.get_by_label("办结", exact=True).check()
    item.get_by_label("办理结果（办结）").select_option(index=1)
    item.get_by_label("决定内容").fill("物业承诺三日内修好，队员回访。")
    screenshot(phone, "08-phone-opinion-day")
    begun(meeting)  # decisions are recorded once the meeting has started
    item.get_by_role("button", name="记录决定").click()
    expect(phone.get_by_test_id("decision")).to_contain_text("物业承诺三日内修好")

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    phone.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    expect(phone.get_by_test_id("timeline")).to_contain_text(meeting.display_title)
    assert Ticket.objects.filter(pk=ticket.pk, events__kind="tabled").exists()

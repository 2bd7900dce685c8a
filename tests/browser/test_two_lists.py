"""The two lists (两份清单) in a real Chromium at phone width: a committee's staffer declines a
task the street's list names as the police station's, and the street's staff see it counted."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from core.enums import Status, Tier
from escalation.models import Referral
from grievances.models import Ticket
from responders.models import ResidentialCommittee
from tests.browser.conftest import PHONE
from tests.browser.test_phone_ergonomics import MEASURE, MINIMUM, WIDTH
from tests.factories import make_ticket

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def fits_a_phone(page) -> None:
    found = page.evaluate(MEASURE, [MINIMUM, WIDTH])
    assert found["width"] <= WIDTH, found["wide"]
    assert not found["small"], found["small"]


def test_a_committee_declines_a_departments_task_on_a_phone(sign_in, live_server, screenshot):
    call_command("seed_demo", "--no-progress")
    committee = ResidentialCommittee.objects.get(code="WLQ-SC")
    ticket = make_ticket(
        zone=None,
        committee=committee,
        address="瞿溪路 500 弄 3 号",
        category="policy",
        channel="hotline",
        description="12345 转来：居民要求居委会出具户籍证明，用于迁户",
    )
    assert (ticket.tier, ticket.status) == (Tier.COMMITTEE, Status.NEW)

    # The committee's staffer reads the street's lists, then declines the task from the ticket.
    phone = sign_in("committee_staff", PHONE)
    phone.goto(f"{live_server.url}/lists/")
    expect(phone.get_by_test_id("administrative")).to_contain_text("户籍管理")
    expect(phone.get_by_test_id("social")).to_contain_text("楼道堆物")
    fits_a_phone(phone)
    screenshot(phone, "lists-phone-committee")

    phone.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    decline = phone.locator('details[data-action="decline_by_list"]')
    decline.locator("summary").click()
    decline.get_by_label("街道清单中的事项").select_option(label="户籍管理 → 派出所")
    decline.get_by_label("给部门的说明").fill("户籍证明由派出所出具，已告知居民")
    fits_a_phone(phone)
    screenshot(phone, "lists-phone-decline")
    decline.get_by_role("button", name="退回：清单所列部门职责").click()
    expect(phone.locator(".messages")).to_contain_text("已退回")
    expect(phone.get_by_test_id("timeline")).to_contain_text("居委会依据街道清单退回")
    fits_a_phone(phone)
    screenshot(phone, "lists-phone-declined")

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.status == Status.REFERRED
    assert Referral.objects.get(ticket=ticket).department.name == "五里桥派出所"

    # The street's staff see it counted on their figures.
    street = sign_in("street_staff", PHONE)
    street.goto(f"{live_server.url}/dashboard/")
    expect(street.get_by_test_id("list-declined-count")).to_have_text("1")
    fits_a_phone(street)
    screenshot(street, "lists-phone-street-figures")

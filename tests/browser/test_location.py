"""Item 4 in a real Chromium: a zone member adds the phone's location to a visit, and the
street sees the matter as a point on its map. Screenshots in test-artifacts/."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from grievances.models import Household, Ticket
from tests.browser.conftest import DESK, PHONE

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HERE = {"latitude": 31.2059, "longitude": 121.489}


def test_the_phones_location_goes_on_the_matter_and_the_street_sees_it_on_its_map(sign_in, live_server, screenshot):
    call_command("seed_demo", "--no-progress")
    household = Household.objects.filter(zone__code="WLQ-SC-01").order_by("address").first()

    phone = sign_in("zone_member", {**PHONE, "geolocation": HERE, "permissions": ["geolocation"]})
    phone.goto(f"{live_server.url}/households/{household.pk}/visits/new/")
    phone.get_by_role("button", name="使用我的位置").click()
    expect(phone.locator("[data-location-status]")).to_have_text("已将您的位置加到所记事项上。")
    matter = phone.get_by_test_id("matter-0")
    matter.get_by_label("类别").select_option(label="公共设施（电梯、道路、照明）")
    matter.get_by_label("居民诉求").fill("楼下的窨井盖松动，踩上去会晃。")
    matter.get_by_label("需后续处理：生成工单").check()
    phone.get_by_role("button", name="保存走访").click()
    expect(phone.locator(".messages")).to_contain_text("走访已登记")

    ticket = Ticket.objects.get(household=household, description__startswith="楼下的窨井盖")
    assert (ticket.lat, ticket.long) == (31.2059, 121.489)

    desk = sign_in("street_staff", DESK)
    desk.get_by_role("link", name="地图", exact=True).click()
    point = desk.locator(f'svg a[href="/tickets/{ticket.pk}/"]')
    expect(point).to_have_count(1)
    screenshot(desk, "30-desk-street-map")
    point.click()
    expect(desk).to_have_url(f"{live_server.url}/tickets/{ticket.pk}/")

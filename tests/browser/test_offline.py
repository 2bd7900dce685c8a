"""Issue 16, items 1, 2 and 5 (offline): the field app in a stairwell, in a real Chromium at
360 px. The visit form opened online keeps working offline (the service worker); a visit
saved offline waits on the phone (IndexedDB) through a reload, and is sent, once, when the
network returns; the same visit sent from two tabs is one visit."""

import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from grievances.models import Household, Ticket, Visit
from grievances.selectors import visited_this_year
from responders.models import ResponsibilityZone
from tests.browser.conftest import PHONE

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CATEGORY = "公共设施（电梯、道路、照明）"


def a_household():
    year = timezone.localdate().year
    return Household.objects.filter(zone__code="WLQ-SC-01").exclude(visited_this_year(year)).order_by("address").first()


def controlled(page, live_server):
    """Signed in, with the service worker installed and in control of the page."""
    ready = """() => Promise.race([
      navigator.serviceWorker.ready.then(() => true),
      new Promise((done) => setTimeout(() => done(false), 10000)),
    ])"""
    assert page.evaluate(ready), "the service worker did not start"
    page.goto(f"{live_server.url}/")
    assert page.evaluate("() => navigator.serviceWorker.controller !== null")


def fill_two_matters(page):
    first = page.get_by_test_id("matter-0")
    first.get_by_label("类别").select_option(label=CATEGORY)
    first.get_by_label("居民诉求").fill("楼道灯不亮，需要物业更换。")
    second = page.get_by_test_id("matter-1")
    second.get_by_label("类别").select_option(label=CATEGORY)
    second.get_by_label("居民诉求").fill("电梯异响，请维保单位检查。")


def test_a_visit_saved_in_a_stairwell_waits_on_the_phone_and_arrives_once(sign_in, live_server, screenshot):
    call_command("seed_demo", "--no-progress")
    household = a_household()
    visits_before = Visit.objects.count()

    phone = sign_in("zone_member", PHONE)
    controlled(phone, live_server)
    # Opened online that morning: the households list, the household's page and its visit form.
    phone.goto(f"{live_server.url}/zone/")
    last = phone.locator("ul.households > li a").last.inner_text()
    phone.goto(f"{live_server.url}/households/{household.pk}/")
    phone.get_by_role("link", name="登记走访").click()
    expect(phone.get_by_test_id("matter-0")).to_be_visible()
    phone.reload()  # the form as the service worker kept it

    phone.context.set_offline(True)
    expect(phone.locator("[data-offline-bar]")).to_contain_text("离线")
    fill_two_matters(phone)
    phone.get_by_role("button", name="保存走访").click()
    outbox = phone.locator("#outbox")
    expect(outbox).to_contain_text("1 条待发送")
    expect(outbox).to_contain_text("已保存在本机")
    expect(outbox).to_contain_text(household.address)
    screenshot(phone, "30-phone-offline-visit-waiting")
    assert Visit.objects.count() == visits_before

    # Still offline, the page comes back from the phone with the visit still waiting.
    phone.reload()
    expect(phone.get_by_test_id("matter-0")).to_be_visible()
    expect(phone.locator("#outbox")).to_contain_text("1 条待发送")
    expect(phone.locator("[data-offline-bar]")).to_contain_text("离线")
    # So do the household's page and the households list, whose search filters the list kept.
    phone.goto(f"{live_server.url}/households/{household.pk}/")
    expect(phone.locator("main")).to_contain_text(household.address)
    # A household not opened today is not on the phone: the worker says so in both languages.
    other = Household.objects.filter(zone=household.zone).exclude(pk=household.pk).first()
    phone.goto(f"{live_server.url}/households/{other.pk}/")
    expect(phone.locator("main")).to_contain_text("此页今天未在本机打开过")
    phone.goto(f"{live_server.url}/zone/")
    phone.get_by_role("searchbox").fill(last.replace(" ", ""))
    phone.get_by_role("button", name="搜索").click()
    expect(phone.locator("ul.households > li:visible")).to_have_count(1)
    expect(phone.locator("ul.households > li:visible")).to_contain_text(last)

    phone.context.set_offline(False)
    expect(phone.locator("[data-offline-bar]")).to_contain_text("已恢复联网")
    expect(phone.locator("#outbox")).to_contain_text("走访已登记")
    expect(phone.locator("#outbox [data-outbox-count]")).to_have_text("")
    screenshot(phone, "31-phone-visit-sent")

    visit = Visit.objects.get(household=household, client_id__isnull=False)
    assert Visit.objects.count() == visits_before + 1
    assert visit.recorded_at < visit.created_at
    tickets = Ticket.objects.filter(visit=visit)
    assert tickets.count() == 2  # one per matter, each once
    assert Ticket.objects.filter(household=household).count() == 2
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_same_visit_from_two_tabs_is_one_visit(sign_in, live_server):
    call_command("seed_demo", "--no-progress")
    household = a_household()
    visits_before = Visit.objects.count()

    phone = sign_in("zone_member", PHONE)
    controlled(phone, live_server)
    form_url = f"{live_server.url}/households/{household.pk}/visits/new/"
    phone.goto(form_url)
    other = phone.context.new_page()
    other.goto(form_url)

    phone.context.set_offline(True)
    fill_two_matters(phone)
    phone.get_by_role("button", name="保存走访").click()
    expect(phone.locator("#outbox")).to_contain_text("1 条待发送")
    other.reload()
    expect(other.locator("#outbox")).to_contain_text("1 条待发送")

    # Both tabs send when the network returns.
    phone.context.set_offline(False)
    expect(phone.locator("#outbox [data-outbox-count]")).to_have_text("")
    expect(other.locator("#outbox [data-outbox-count]")).to_have_text("")
    assert Visit.objects.count() == visits_before + 1
    assert Ticket.objects.filter(household=household).count() == 2

    # And the same visit sent twice at once, as two tabs without the outbox's lock would.
    client_id = str(uuid.uuid4())
    statuses = phone.evaluate(
        """async ([household, clientId, today]) => {
          const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
          const body = () => {
            const data = new URLSearchParams({
              household, client_id: clientId, recorded_at: new Date().toISOString(),
              visited_on: today, method: "door",
              "matter-TOTAL_FORMS": "1", "matter-INITIAL_FORMS": "0",
              "matter-0-urgency": "normal", "matter-0-outcome": "raised",
            });
            return data;
          };
          const send = () => fetch("/visits/", {method: "POST", body: body(),
            headers: {Accept: "application/json", "X-CSRFToken": token}}).then((r) => r.status);
          return Promise.all([send(), send()]);
        }""",
        [str(household.pk), client_id, timezone.localdate().isoformat()],
    )
    assert sorted(statuses) == [200, 201]
    assert Visit.objects.filter(client_id=client_id).count() == 1


def test_a_refused_visit_stays_with_its_reason_and_signing_out_asks(sign_in, live_server):
    call_command("seed_demo", "--no-progress")
    household = a_household()
    phone = sign_in("zone_member", PHONE)
    controlled(phone, live_server)
    phone.goto(f"{live_server.url}/households/{household.pk}/visits/new/")

    phone.context.set_offline(True)
    fill_two_matters(phone)
    phone.get_by_role("button", name="保存走访").click()
    expect(phone.locator("#outbox")).to_contain_text("1 条待发送")
    # Meanwhile the household moves out of the member's zones.
    elsewhere = ResponsibilityZone.objects.exclude(committee=household.zone.committee).first()
    Household.objects.filter(pk=household.pk).update(zone=elsewhere)

    phone.context.set_offline(False)
    refused = phone.locator("#outbox .outbox-item.refused")
    expect(refused).to_contain_text("该户已不在您的责任区内")
    expect(refused.get_by_role("link", name="修改")).to_be_visible()
    expect(phone.locator("#outbox [data-outbox-count]")).to_have_text("")
    assert not Visit.objects.filter(client_id__isnull=False).exists()

    # Still there after a reload: never silently lost.
    phone.reload()
    expect(phone.locator("#outbox .outbox-item.refused")).to_have_count(1)

    # Signing out asks; saying no keeps the person signed in with the visit.
    phone.once("dialog", lambda dialog: dialog.dismiss())
    phone.get_by_role("button", name="退出").click()
    form_url = f"{live_server.url}/households/{household.pk}/visits/new/"
    phone.wait_for_timeout(300)
    expect(phone).to_have_url(form_url)
    expect(phone.locator("#outbox .outbox-item.refused")).to_have_count(1)
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_role("button", name="退出").click()
    expect(phone).not_to_have_url(form_url)
    expect(phone.get_by_role("button", name="退出")).to_have_count(0)
    assert (
        phone.evaluate(
            """() => new Promise((done) => {
          const open = indexedDB.open("zhitong-outbox", 1);
          open.onsuccess = () => {
            const get = open.result.transaction("visits").objectStore("visits").count();
            get.onsuccess = () => done(get.result);
          };
        })"""
        )
        == 0
    )


def test_a_refused_visit_is_corrected_in_its_form_and_sent(sign_in, live_server):
    call_command("seed_demo", "--no-progress")
    household = a_household()
    phone = sign_in("zone_member", PHONE)
    controlled(phone, live_server)
    phone.goto(f"{live_server.url}/households/{household.pk}/visits/new/")

    phone.context.set_offline(True)
    # A matter without its category: the server will refuse it, naming the field.
    phone.get_by_test_id("matter-0").get_by_label("居民诉求").fill("楼道堆物，需要清理。")
    phone.get_by_role("button", name="保存走访").click()
    expect(phone.locator("#outbox")).to_contain_text("1 条待发送")
    phone.context.set_offline(False)
    refused = phone.locator("#outbox .outbox-item.refused")
    expect(refused).to_contain_text("事项 1 · 类别")

    refused.get_by_role("link", name="修改").click()
    matter = phone.get_by_test_id("matter-0")
    expect(matter.get_by_label("居民诉求")).to_have_value("楼道堆物，需要清理。")
    expect(phone.locator("[data-outbox-reason]")).to_contain_text("类别")
    matter.get_by_label("类别").select_option(label=CATEGORY)
    phone.get_by_role("button", name="保存走访").click()
    expect(phone.locator("#outbox")).to_contain_text("走访已登记")
    expect(phone.locator("#outbox .outbox-item")).to_have_count(0)

    visit = Visit.objects.get(household=household, client_id__isnull=False)
    assert [t.description for t in visit.tickets.all()] == ["楼道堆物，需要清理。"]

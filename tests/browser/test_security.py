"""The screens under the Content-Security-Policy in a real headless Chromium: every kind of
page works with our own scripts only (htmx, static/zhitong.js, the admin's, Swagger UI's), and
the browser reports no refusal on any of them (tests/browser/conftest.py collects the reports;
the last test shows a refusal would be seen). Also: the sign-in lockout as a person meets it."""

import datetime as dt

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from grievances.models import Household
from meetings.models import Meeting
from reports.services import monthly_report_generate
from responders.models import StreetOffice
from tests.browser.conftest import DESK, PHONE
from tests.factories import make_ticket

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

STUB_PRINT = "() => { window.printed = 0; window.print = () => { window.printed += 1; }; }"


def test_every_kind_of_page_works_under_the_policy(sign_in, live_server, screenshot):
    call_command("seed_demo", "--no-progress")
    street = StreetOffice.objects.get(code="WLQ")
    household = Household.objects.filter(zone__code="WLQ-SC-01").order_by("pk").first()
    ticket = make_ticket(household=household, zone=household.zone)
    meeting = Meeting.objects.filter(zone=household.zone).order_by("starts_at", "pk").first()
    report = monthly_report_generate(street=street, month=dt.date(2026, 10, 1))
    url = live_server.url
    desk = sign_in("admin", DESK)
    assert desk.evaluate("() => typeof htmx") == "object"

    # The queue's filters submit through htmx on change (hx-trigger), no inline code.
    desk.get_by_role("link", name="工单队列").click()
    desk.wait_for_url(f"{url}/queue/")
    # htmx has taken up the swapped-in filter form (its triggers are bound) before we use it.
    desk.wait_for_function("() => document.querySelector('form.filters')?.['htmx-internal-data']")
    desk.locator("select[name=urgency]").select_option("normal")
    desk.wait_for_url("**urgency=normal**")
    expect(desk.locator(f'tr[data-ref="{ticket.reference}"]')).to_be_visible()
    desk.get_by_role("link", name=ticket.reference).click()
    expect(desk.get_by_test_id("status")).to_be_visible()

    # The calendar's unit filter sends itself (static/zhitong.js, data-autosubmit).
    desk.goto(f"{url}/meetings/?month={meeting.starts_at:%Y-%m}")
    desk.locator("select#unit").select_option(index=1)
    desk.wait_for_url("**unit=*")
    desk.goto(f"{url}/meetings/{meeting.pk}/")
    # A field the person resized carries a style attribute; htmx must not copy it over the swap.
    desk.evaluate("() => { document.querySelector('#id_topic').style.width = '20rem'; }")
    desk.fill("#id_topic", "楼道堆物清理")
    desk.get_by_role("button", name="添加议题").click()
    expect(desk.get_by_test_id("agenda-item")).to_contain_text("楼道堆物清理")

    # Print buttons (data-print) on the printable minutes and on the monthly report.
    desk.goto(f"{url}/meetings/{meeting.pk}/minutes/")
    desk.evaluate(STUB_PRINT)
    desk.get_by_role("button", name="打印").click()
    assert desk.evaluate("() => window.printed") == 1
    desk.goto(f"{url}/reports/{report.pk}/")
    expect(desk.locator("main h1")).to_contain_text("社情民意月报")
    desk.evaluate(STUB_PRINT)
    desk.get_by_role("button", name="打印").click()
    assert desk.evaluate("() => window.printed") == 1

    # The admin, with its own scripts and styles, and the sign-in attempts it shows.
    desk.goto(f"{url}/admin/")
    expect(desk.locator("#site-name")).to_contain_text("直通")
    desk.goto(f"{url}/admin/responders/responsibilityzone/")
    expect(desk.locator("#result_list")).to_be_visible()
    desk.goto(f"{url}/admin/axes/accessattempt/")
    expect(desk.locator("#content h1")).to_be_visible()

    # The partner API's docs: Swagger UI draws the schema from our static files.
    desk.goto(f"{url}/api/v1/docs/")
    expect(desk.locator("#swagger-ui .info .title")).to_contain_text("Zhitong partner API")
    expect(desk.locator("#swagger-ui .opblock").first).to_be_visible()
    screenshot(desk, "10-desk-api-docs")


def test_a_locked_out_sign_in_on_a_phone(open_page, live_server):
    call_command("seed_demo", "--no-progress")
    phone = open_page(PHONE)
    phone.goto(f"{live_server.url}/accounts/login/")

    def sign_in(password: str) -> int:
        # The last answer swapped the page in through htmx: use the form once htmx has taken
        # it up and nothing is in flight, or the click can land on the form being replaced.
        phone.wait_for_function(
            "() => document.querySelector('main form')?.['htmx-internal-data']"
            " && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
        )
        phone.fill("#id_username", "leader_wang")
        phone.fill("#id_password", password)
        with phone.expect_response(lambda r: r.request.method == "POST") as answer:
            phone.locator("main form button[type=submit]").click()
        return answer.value.status

    assert [sign_in(f"guess-{n}") for n in range(4)] == [200] * 4
    expect(phone.locator("main .error")).to_contain_text("用户名和密码不匹配")
    assert sign_in("guess-4") == 429
    expect(phone.get_by_test_id("locked-out")).to_contain_text("登录已锁定")

    # Even the right password now meets the same page, for 30 minutes.
    phone.get_by_role("link", name="返回登录").click()
    assert sign_in("zhitong-demo") == 429
    expect(phone.get_by_test_id("locked-out")).to_contain_text("请在 30 分钟后再试")


def test_a_refusal_would_be_seen(open_page, live_server, csp_violations):
    page = open_page(DESK)
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = true';"
        " document.body.append(s); document.body.setAttribute('style', 'color: red'); }"
    )
    page.evaluate("() => new Promise((done) => setTimeout(done, 100))")

    assert page.evaluate("() => window.ran") is None
    directives = {report.get("directive") for report in csp_violations}
    assert {"script-src-elem", "style-src-attr"} <= directives
    csp_violations.clear()

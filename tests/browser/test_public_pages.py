"""The pages residents and the public reach on their phones, at 360 px, in Chromium: the street's
public figures (no login) and the residents' questionnaire, taken at the door by the zone team
and answered through a link. Nothing scrolls sideways, every tap target is at least 44 px, and
the Content-Security-Policy refuses nothing (tests/browser/conftest.py)."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from demo.month import simulate_month
from tests.browser.conftest import PHONE
from tests.browser.test_phone_ergonomics import MEASURE, MINIMUM, WIDTH

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _fits(page) -> None:
    found = page.evaluate(MEASURE, [MINIMUM, WIDTH])
    assert found["width"] <= WIDTH, found["wide"]
    assert found["small"] == [], found["small"]


def test_the_public_street_page_on_a_phone(open_page, live_server, screenshot):
    # given: the demo street after last month, its report issued
    from django.core.cache import cache

    from reports.models import MonthlyReport

    cache.clear()
    call_command("seed_demo", "--no-progress")
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    simulate_month(month=last_month, tickets=40, seed=3)
    report = MonthlyReport.objects.get(month=last_month)

    # when: anyone opens it, no login
    phone = open_page(PHONE)
    phone.goto(f"{live_server.url}/public/WLQ/")

    # then: last month's figures are the report's, and it fits the phone
    last = phone.get_by_test_id("last-month")
    expect(last.get_by_test_id("received")).to_have_text(str(report.data["headline"]["received"]))
    expect(last.get_by_test_id("pyramid")).to_be_visible()
    expect(last.get_by_test_id("hot-categories")).to_be_visible()
    expect(phone.get_by_test_id("this-month")).to_be_visible()
    expect(phone.locator("header.topbar")).to_have_count(0)  # no staff navigation
    _fits(phone)
    screenshot(phone, "phone-public-street")
    cache.clear()


def test_the_questionnaire_at_the_door_and_by_link_on_a_phone(sign_in, open_page, live_server, screenshot):
    from grievances.selectors import visible_households
    from responders.models import User
    from responders.selectors import user_scope
    from surveys.models import SurveyResponse

    call_command("seed_demo", "--no-progress")
    member = User.objects.get(username="zone_member")
    household = visible_households(user_scope(member)).order_by("pk").first()

    # at the door: the household's page, the questionnaire, every question answered
    phone = sign_in("zone_member", PHONE)
    phone.goto(f"{live_server.url}/households/{household.pk}/")
    phone.get_by_test_id("survey-actions").get_by_role("link", name="上门填写").click()
    form = phone.get_by_test_id("questionnaire")
    expect(form).to_be_visible()
    _fits(phone)
    screenshot(phone, "phone-questionnaire-door")
    fieldsets = form.locator("fieldset")
    expect(fieldsets).to_have_count(4)
    for index in range(4):
        fieldsets.nth(index).get_by_text("4 满意").click()
    form.get_by_label("还有什么想说的？（选填）").fill("楼道灯修得很快")
    form.get_by_role("button", name="记录答卷").click()
    expect(phone.get_by_role("status")).to_contain_text("答卷已记录")
    response = SurveyResponse.objects.get()
    assert (response.via, response.household_id, response.comment) == ("door", household.pk, "楼道灯修得很快")
    assert sorted(response.answers.values_list("score", flat=True)) == [4, 4, 4, 4]

    # by link: the team member makes one; the resident answers on their own phone
    phone.goto(f"{live_server.url}/households/{household.pk}/")
    phone.get_by_role("button", name="生成链接发给居民").click()
    url = phone.get_by_test_id("survey-link").input_value()
    _fits(phone)
    resident = open_page(PHONE)
    resident.goto(url)
    questions = resident.get_by_test_id("questionnaire").locator("fieldset")
    expect(questions).to_have_count(4)
    _fits(resident)
    screenshot(resident, "phone-questionnaire-link")
    for index in range(4):
        questions.nth(index).get_by_text("5 非常满意").click()
    resident.get_by_role("button", name="提交答卷").click()
    expect(resident.get_by_test_id("answered")).to_contain_text("谢谢")
    assert SurveyResponse.objects.filter(via="link").count() == 1

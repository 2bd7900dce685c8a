"""The year-end democratic evaluation in a real headless Chromium on a 360 px phone: the demo
committee's staff open last year's evaluation (report on duty, problem and task lists with the
task carried over, scores of the committee and its cadres), update a task, and open the
printable opinion, which neither overflows nor hides its print button."""

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from consultation.models import EvaluationTask
from tests.browser.conftest import PHONE

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

OVERFLOW = "document.documentElement.scrollWidth"


def test_last_years_evaluation_and_its_printable_opinion_on_a_phone(sign_in, screenshot):
    call_command("seed_demo", "--no-progress")
    last = timezone.localdate().year - 1
    phone = sign_in("committee_staff", PHONE)
    phone.get_by_role("link", name="社区协商").first.click()
    phone.get_by_role("link", name="民主评议").click()
    phone.get_by_test_id("evaluations").get_by_role("link", name=f"桑城居民区 · {last}").click()
    expect(phone.get_by_test_id("problems")).to_contain_text("老年助餐点覆盖不足")
    tasks = phone.get_by_test_id("tasks")
    expect(tasks).to_contain_text(f"从{last - 1}年结转")
    expect(phone.get_by_test_id("scores")).to_contain_text("王辉")
    assert phone.evaluate(OVERFLOW) <= PHONE["viewport"]["width"]
    screenshot(phone, "evaluation-phone-detail")

    # Track the carried-over task: done.
    carried = EvaluationTask.objects.get(evaluation__year=last, carried_from__isnull=False)
    row = tasks.locator("li").filter(has_text="解决电动车充电难")
    row.locator("select[name=status]").select_option("done")
    row.get_by_role("button", name="更新").click()
    expect(
        phone.get_by_test_id("tasks").locator("li").filter(has_text="解决电动车充电难").locator(".status")
    ).to_have_text("已完成")
    carried.refresh_from_db()
    assert carried.status == EvaluationTask.Status.DONE

    phone.get_by_role("link", name="打印评议意见").click()
    opinion = phone.get_by_test_id("evaluation-opinion")
    expect(opinion).to_contain_text(f"{last} 年度民主评议意见")
    expect(phone.get_by_test_id("print-scores")).to_contain_text("平均分")
    expect(phone.get_by_test_id("print-opinion")).to_contain_text("总体满意")
    assert phone.evaluate(OVERFLOW) <= PHONE["viewport"]["width"]
    button = phone.get_by_role("button", name="打印").bounding_box()
    assert button["height"] >= 44
    screenshot(phone, "evaluation-phone-printable-opinion")

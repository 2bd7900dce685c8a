"""Seed 002's seven steps in a real headless Chromium: the committee's staff raise a matter
at the desk and record every step, its milestones, progress and the supervisors' sign-off
through the screens; then anyone, signed out, reads the public notice on a 360 px phone."""

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from consultation.models import Matter, MatterStatus, Step
from tests.browser.conftest import DESK, PHONE

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

OVERFLOW = "document.documentElement.scrollWidth"


def _record_step(page, number: int):
    form = page.get_by_test_id("step-form")
    form.locator("#id_outcome").fill(f"第{number}步：居民同意实施方案。")
    if number in (2, 3, 4):
        form.locator("#id_participants").fill("王辉（书记）、李明（主任）、居民代表")
    if number in (2, 3):
        form.locator("input[name=passed][value=yes]").check()
    if number == 4:
        form.locator("#id_representatives").fill("30")
        form.locator("#id_present").fill("24")
        form.locator("#id_votes_for").fill("20")
        form.locator("#id_votes_against").fill("3")
        form.locator("#id_votes_abstaining").fill("1")
    if number == 6:
        form.locator("#id_responsible_unit").fill("桑城居委会")
        form.locator("#id_responsible_person").fill("张丽")
    form.get_by_role("button", name="记录此步骤").click()
    expect(page.locator(f"li.step.done[data-step='{number}']")).to_be_visible()


def test_recording_the_seven_steps_and_reading_the_notice_on_a_phone(sign_in, open_page, live_server, screenshot):
    call_command("seed_demo", "--no-progress")
    desk = sign_in("committee_staff", DESK)
    desk.get_by_role("link", name="社区协商").click()
    desk.get_by_role("link", name="提出议题").click()
    desk.locator("#id_title").fill("楼道堆物清理与路面修补")
    desk.locator("#id_description").fill("网线杂乱、道路破损，居民反映强烈。")
    desk.locator("#id_source").select_option("hot_spot")
    desk.locator("#id_notice_days").fill("0")
    desk.get_by_role("button", name="提出议题").click()
    expect(desk.get_by_test_id("matter-status")).to_have_text("协商中")
    matter = Matter.objects.get(title="楼道堆物清理与路面修补")

    for number in range(1, 6):
        _record_step(desk, number)
    expect(desk.get_by_test_id("vote")).to_contain_text("赞成 20")
    expect(desk.get_by_test_id("matter-status")).to_have_text("公示中")

    # During the notice period: plan a milestone and name both supervisors.
    implementation = desk.get_by_test_id("implementation")
    implementation.get_by_text("新增实施节点").click()
    implementation.locator("#id_title").fill("清理楼道堆放物")
    implementation.locator("#id_due_on").fill(f"{timezone.localdate():%Y-%m-%d}")
    implementation.get_by_role("button", name="新增节点").click()
    expect(desk.get_by_test_id("milestones")).to_contain_text("清理楼道堆放物")
    for body, name in (("consultation", "王德明"), ("supervision", "陈桂兰")):
        desk.get_by_test_id("implementation").get_by_text("确定监督人").first.click()
        desk.locator("#id_body").select_option(body)
        desk.locator("#id_name").fill(name)
        desk.get_by_role("button", name="确定", exact=True).click()
        expect(desk.get_by_test_id("supervisors")).to_contain_text(name)

    _record_step(desk, 6)
    expect(desk.get_by_test_id("matter-status")).to_have_text("实施中")
    desk.get_by_test_id("milestones").get_by_role("button", name="标记完成").click()
    expect(desk.get_by_test_id("milestones")).to_contain_text("已完成")
    desk.get_by_text("报告进度").click()
    desk.locator("#id_progress").fill("100")
    desk.locator("#id_note").fill("全部完工")
    desk.get_by_role("button", name="保存进度").click()
    expect(desk.get_by_test_id("progress")).to_have_text("100%")
    for supervisor in matter.supervisors.all():
        row = desk.get_by_test_id("supervisors").locator("li", has_text=supervisor.name)
        row.get_by_text("记录签认").click()
        row.locator(f"#id_s{supervisor.pk}-opinion").fill("经现场查看，同意验收。")
        row.get_by_role("button", name="签认").click()
        expect(desk.get_by_test_id("supervisors").locator("li", has_text=supervisor.name)).to_contain_text("已签认")
    screenshot(desk, "consultation-desk-before-result")
    _record_step(desk, 7)
    expect(desk.get_by_test_id("matter-status")).to_have_text("结果已公布")
    matter.refresh_from_db()
    assert matter.step == Step.RESULT_PUBLISHED and matter.status == MatterStatus.COMPLETED
    assert matter.events.filter(kind="step").count() == 7
    screenshot(desk, "consultation-desk-completed")

    # Anyone, signed out, on a phone: the public notice, with no names of who took part.
    phone = open_page(PHONE)
    phone.goto(f"{live_server.url}/gongshi/")
    phone.get_by_role("link", name="楼道堆物清理与路面修补", exact=True).click()
    notice = phone.get_by_test_id("notice")
    expect(notice).to_contain_text("实施结果公示")
    expect(notice).to_contain_text("应到代表 30 名，实到 24 名")
    expect(notice).not_to_contain_text("王辉")
    assert phone.evaluate(OVERFLOW) <= PHONE["viewport"]["width"]
    screenshot(phone, "consultation-phone-public-notice")

    # The staff's own page of the matter fits the phone too.
    staff_phone = sign_in("committee_staff", PHONE)
    staff_phone.goto(f"{live_server.url}/consultation/{matter.pk}/")
    expect(staff_phone.get_by_test_id("steps")).to_contain_text("实施结果公布")
    assert staff_phone.evaluate(OVERFLOW) <= PHONE["viewport"]["width"]
    screenshot(staff_phone, "consultation-phone-matter")

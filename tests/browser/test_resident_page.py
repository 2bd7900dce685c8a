"""The resident's page on a phone (360 px, Chinese): no sign-in, nothing too wide, every tap
target large enough; the verdict form reopens the ticket at the resident's word."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.test_phone_ergonomics import MEASURE, MINIMUM, WIDTH

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_resident_reads_their_request_and_answers_on_a_phone(live_server, open_page, screenshot):
    from escalation import transitions
    from residents import tokens
    from tests.factories import make_ticket

    ticket = make_ticket(
        reporter_phone="13812345678",
        reporter_name="王先生",
        description="小区门口的垃圾已经三天没有清运了，气味很大，请尽快处理。" * 3,
    )
    ticket = transitions.ticket_resolve(
        ticket=ticket, actor=ticket.owner, outcome="explained", reason="该处属物业管理范围，已转告物业公司。"
    )
    path = tokens.page_path(ticket, "13812345678")

    phone = open_page(PHONE)
    phone.goto(f"{live_server.url}{path}")
    expect(phone.locator("h1")).to_have_text("已答复，请评价")  # the status words, in Chinese
    expect(phone.get_by_text("该处属物业管理范围，已转告物业公司。")).to_be_visible()
    expect(phone.get_by_text("您对办理结果满意吗？").first).to_be_visible()
    measured = phone.evaluate(MEASURE, [MINIMUM, WIDTH])
    assert measured["width"] <= WIDTH, measured["wide"]
    assert measured["small"] == []
    screenshot(phone, "20-phone-resident-page")

    phone.get_by_label("不满意").check()
    phone.fill("#id_comment", "垃圾还在门口")
    phone.get_by_role("button", name="提交评价").click()
    expect(phone.get_by_text("您的评价已记录，您的诉求将重新办理。")).to_be_visible()
    expect(phone.get_by_text("根据您的评价重新办理")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"

    phone.goto(f"{live_server.url}/r/")
    measured = phone.evaluate(MEASURE, [MINIMUM, WIDTH])
    assert measured["width"] <= WIDTH and measured["small"] == [], measured
    phone.fill("#id_reference", ticket.reference)
    phone.fill("#id_digits", "5678")
    phone.get_by_role("button", name="查询").click()
    expect(phone).to_have_url(f"{live_server.url}{path}")

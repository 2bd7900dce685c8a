"""The street's staff open last month's report in a real headless Chromium, after a
simulated month on the demo street: the figures match what happened, the charts are drawn,
the page prints without the navigation, and the CSV downloads."""

import datetime as dt

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from demo.month import simulate_month
from tests.browser.conftest import DESK

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def percent(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%"


def test_street_staff_read_print_and_export_last_months_report(sign_in, screenshot, tmp_path):
    call_command("seed_demo", "--no-progress")
    ledger, report = simulate_month(month=dt.date(2026, 10, 1), tickets=80, seed=3)

    desk = sign_in("street_staff", DESK)
    desk.get_by_role("link", name="统计", exact=True).click()
    desk.get_by_role("link", name="社情民意月报").click()
    desk.get_by_role("link", name="五里桥街道 · 2026-10").click()

    expect(desk.get_by_test_id("received")).to_have_text(str(ledger.received))
    expect(desk.get_by_test_id("resolution-rate")).to_have_text(percent(ledger.resolved, ledger.received))
    expect(desk.get_by_test_id("conflicts-defused")).to_have_text(str(ledger.conflicts_defused))
    expect(desk.get_by_test_id("pyramid")).to_contain_text(f"{ledger.resolved_at['zone']} · ")
    # categories, committees, zones, channels, meetings by type, consultation matters by step
    expect(desk.locator("svg.chart")).to_have_count(6)
    expect(desk.get_by_test_id("consultation")).to_contain_text("民主评议")
    screenshot(desk, "09-desk-monthly-report")

    desk.emulate_media(media="print")
    expect(desk.locator("nav").first).to_be_hidden()
    expect(desk.get_by_test_id("received")).to_be_visible()
    desk.emulate_media(media="screen")

    with desk.expect_download() as download:
        desk.get_by_role("link", name="导出 CSV").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    exported = saved.read_text(encoding="utf-8-sig")
    assert saved.name == "report-WLQ-2026-10.csv"
    assert f"\n受理,{ledger.received}\n" in exported
    assert f"\n化解矛盾,{ledger.conflicts_defused}\n" in exported
    assert report.data["headline"]["received"] == ledger.received

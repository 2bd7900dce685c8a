"""The deadline beside a ticket, as every list and ticket page shows it: the resolve-by time in
Shanghai, coloured by its state, with the time left or past, in the reader's language."""

import datetime as dt

from django.template import Context, Template
from django.utils import translation

from grievances.models import Ticket

NOW = dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.UTC)  # 14:00 in Shanghai


def shown(language: str, **fields) -> str:
    ticket = Ticket(status=fields.pop("status", "acknowledged"), **fields)
    with translation.override(language):
        return Template("{% load tickets %}{% deadline ticket now %}").render(Context({"ticket": ticket, "now": NOW}))


def test_a_deadline_in_each_state_in_chinese():
    later = NOW + dt.timedelta(days=3)
    assert shown("zh-hans", resolve_by=later, warn_day_at=later - dt.timedelta(days=1)) == (
        '<span class="deadline on_time" title="办结期限"><time datetime="2026-12-05T14:00:00+08:00">12-05 14:00</time>'
        " · 剩 3\xa0日</span>"
    )
    soon = NOW + dt.timedelta(hours=5)
    assert shown("zh-hans", resolve_by=soon, warn_day_at=NOW - dt.timedelta(hours=1)) == (
        '<span class="deadline due_soon" title="办结期限"><time datetime="2026-12-02T19:00:00+08:00">12-02 19:00</time>'
        " · 剩 5\xa0小时</span>"
    )
    past = NOW - dt.timedelta(days=2)
    assert shown("zh-hans", resolve_by=past, warn_day_at=past) == (
        '<span class="deadline overdue" title="办结期限"><time datetime="2026-11-30T14:00:00+08:00">11-30 14:00</time>'
        " · 逾期 2\xa0日</span>"
    )
    assert " · 计时暂停</span>" in shown("zh-hans", resolve_by=later, warn_day_at=later, paused_at=NOW)
    assert shown("zh-hans", status="closed", resolve_by=past) == (
        '<span class="deadline done" title="办结期限">'
        '<time datetime="2026-11-30T14:00:00+08:00">11-30 14:00</time></span>'
    )
    assert shown("zh-hans", resolve_by=None) == "—"


def test_a_deadline_in_english():
    later = NOW + dt.timedelta(days=3)
    assert shown("en", resolve_by=later, warn_day_at=later - dt.timedelta(days=1)) == (
        '<span class="deadline on_time" title="Resolve by">'
        '<time datetime="2026-12-05T14:00:00+08:00">12-05 14:00</time> · 3\xa0days left</span>'
    )

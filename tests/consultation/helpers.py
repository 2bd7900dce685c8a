"""Carrying a consultation matter through its steps the way the screens do (the services)."""

import datetime as dt

from consultation import services
from consultation.models import Step, Supervisor
from core.clock import SHANGHAI
from responders.models import User

# A Monday morning in Shanghai; each step is recorded the day it happened.
START = dt.datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


def staff_of(committee) -> User:
    return User.objects.get(committee=committee, role=User.Role.COMMITTEE_STAFF)


def raise_matter(committee, **kwargs):
    return services.matter_raise(
        actor=kwargs.pop("actor", None) or staff_of(committee),
        unit=committee,
        title=kwargs.pop("title", "小区环境改造"),
        description="网线杂乱、道路破损、绿化缺失。",
        now=kwargs.pop("now", START),
        **kwargs,
    )


def day(n: int) -> dt.datetime:
    return START + dt.timedelta(days=n)


def record(matter, number: int, *, on: int, actor=None, **kwargs):
    """Record step `number` on day `on` after START, with what that step needs."""
    actor = actor or staff_of(matter.committee)
    defaults = {"outcome": f"第{number}步的结果"}
    if number in (2, 3, 4):
        defaults["participants"] = "王辉（书记）\n李明（主任）"
    if number in (2, 3):
        defaults["passed"] = True
    if number == 4:
        defaults["vote"] = services.Vote(
            representatives=30, present=24, votes_for=20, votes_against=3, votes_abstaining=1
        )
    if number == 6:
        defaults |= {"responsible_unit": "居委会", "responsible_person": "李明"}
    defaults |= kwargs
    return services.step_record(
        matter=matter, actor=actor, number=number, held_on=day(on).date(), now=day(on), **defaults
    )


def through(matter, last: int):
    """Record steps 1..`last` (6 at most), a day apart, waiting out the notice period."""
    previous = matter.steps.order_by("-number").first()
    on = (previous.held_on - START.date()).days + 1 if previous else 0
    for number in range(matter.step + 1, last + 1):
        if number == Step.IMPLEMENTED:
            on = max(on, (matter.notice_ends_on - START.date()).days)
        record(matter, number, on=on)
        matter.refresh_from_db()
        on += 1
    return matter


def supervise(matter, *, on: int):
    actor = staff_of(matter.committee)
    for body, name in (
        (Supervisor.Body.CONSULTATION_COMMITTEE, "张议事"),
        (Supervisor.Body.SUPERVISION_COMMITTEE, "赵监督"),
    ):
        services.supervisor_add(matter=matter, actor=actor, body=body, name=name, now=day(on))

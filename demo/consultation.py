"""The demo street's consultation (seed 002's seven steps): one matter raised from a hot spot
and carried through to its published result, one resolved and being carried out under its
milestones, through the real services with the clock set to each day. Idempotent: a matter
already there (by its title) is left alone."""

import datetime as dt

from django.utils import timezone

from consultation import services
from consultation.models import Matter, Source, Step, Supervisor
from core.clock import SHANGHAI
from meetings.models import MeetingType
from meetings.services import meeting_record, meeting_schedule
from responders.models import ResidentialCommittee, User

COMPLETED = "岭前式环境改造：楼道堆物清理与路面修补"
IMPLEMENTING = "3号楼电梯更换主板"


def _at(today: dt.date, days_ago: int, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(hour), tzinfo=SHANGHAI)


def _step(matter: Matter, staff: User, number: int, now: dt.datetime, meeting=None) -> None:
    """Record step `number` of `matter` as the demo committee's staff would, at `now`."""
    kwargs = {"outcome": DEMO_OUTCOMES[number]}
    if number in (2, 3, 4):
        kwargs["participants"] = DEMO_PARTICIPANTS[number]
    if number in (2, 3):
        kwargs["passed"] = True
    if number == Step.RESOLVED:
        kwargs["vote"] = services.Vote(
            representatives=32, present=27, votes_for=24, votes_against=2, votes_abstaining=1
        )
    if number == Step.IMPLEMENTED:
        kwargs |= {"responsible_unit": "桑城居委会", "responsible_person": "张丽", "responsible_user": staff}
    services.step_record(
        matter=matter,
        actor=staff,
        number=number,
        held_on=None if meeting else now.date(),
        meeting=meeting,
        now=now,
        **kwargs,
    )
    matter.refresh_from_db()


DEMO_OUTCOMES = {
    1: "居委会根据走访汇总，提议将楼道堆物、路面破损列入协商议题。",
    2: "两委会商议同意提交居民小组长会议审议。",
    3: "居民小组长会议审议通过实施方案，提交居民代表大会。",
    4: "居民代表大会表决通过实施方案。",
    5: "决议在小区公告栏和本系统公示栏公示。",
    6: "公示期满无异议，组织实施。",
    7: "楼道堆物全部清理，破损路面修补完毕，经两委员会验收。",
}
DEMO_PARTICIPANTS = {
    2: "社区党委书记、居委会主任及两委成员7人",
    3: "居民小组长12人",
    4: "居民代表27人（应到32人）",
}


def seed_consultation(street, today: dt.date | None = None) -> int:
    """Seed the demo street's consultation matters; returns how many were created."""
    today = today or timezone.localdate()
    committee = ResidentialCommittee.objects.filter(street=street).order_by("code").first()
    staff = User.objects.filter(committee=committee, role=User.Role.COMMITTEE_STAFF).order_by("pk").first()
    if committee is None or staff is None:
        return 0
    created = 0
    if not Matter.objects.filter(committee=committee, title=COMPLETED).exists():
        matter = services.matter_raise(
            actor=staff,
            unit=committee,
            title=COMPLETED,
            description="网线杂乱、道路破损、楼道堆物，热点问题反复出现。",
            source=Source.HOT_SPOT,
            source_note="社情民意月报热点：桑城第1责任区楼道堆物",
            now=_at(today, 75),
        )
        meeting = meeting_schedule(
            type=MeetingType.objects.get(code="representatives"),
            unit=committee,
            starts_at=_at(today, 64, hour=14),
            actor=staff,
            title="居民代表会议：环境改造",
            now=_at(today, 70),
        )
        meeting_record(
            meeting=meeting, actor=staff, minutes="表决环境改造实施方案。", attended=[], now=_at(today, 64, 16)
        )
        for number, ago in ((1, 74), (2, 70), (3, 67)):
            _step(matter, staff, number, _at(today, ago))
        _step(matter, staff, 4, _at(today, 64, 17), meeting=meeting)
        _step(matter, staff, 5, _at(today, 63))
        first = services.milestone_add(
            matter=matter, actor=staff, title="清理楼道堆放物", due_on=today - dt.timedelta(days=40), now=_at(today, 63)
        )
        second = services.milestone_add(
            matter=matter, actor=staff, title="修补破损路面", due_on=today - dt.timedelta(days=25), now=_at(today, 63)
        )
        for body, name in (
            (Supervisor.Body.CONSULTATION_COMMITTEE, "王德明"),
            (Supervisor.Body.SUPERVISION_COMMITTEE, "陈桂兰"),
        ):
            services.supervisor_add(matter=matter, actor=staff, body=body, name=name, now=_at(today, 63))
        _step(matter, staff, 6, _at(today, 56))
        services.milestone_done(milestone=first, actor=staff, now=_at(today, 42))
        services.progress_report(matter=matter, actor=staff, progress=60, note="楼道清理完毕", now=_at(today, 42))
        services.milestone_done(milestone=second, actor=staff, now=_at(today, 27))
        services.progress_report(matter=matter, actor=staff, progress=100, note="路面修补完工", now=_at(today, 27))
        for supervisor in matter.supervisors.all():
            services.supervisor_sign_off(
                supervisor=supervisor, actor=staff, opinion="经现场查看，符合决议要求，同意验收。", now=_at(today, 24)
            )
        _step(matter, staff, 7, _at(today, 22))
        created += 1
    if not Matter.objects.filter(committee=committee, title=IMPLEMENTING).exists():
        matter = services.matter_raise(
            actor=staff,
            unit=committee,
            title=IMPLEMENTING,
            description="3号楼8部电梯坏了4部，影响近200户居民出行。",
            source=Source.RESIDENT_PROPOSAL,
            now=_at(today, 40),
        )
        for number, ago in ((1, 39), (2, 36), (3, 33), (4, 30), (5, 29)):
            _step(matter, staff, number, _at(today, ago))
        services.milestone_add(
            matter=matter,
            actor=staff,
            title="产权单位确认出资",
            due_on=today - dt.timedelta(days=10),
            now=_at(today, 29),
        )
        services.milestone_add(
            matter=matter,
            actor=staff,
            title="更换4部电梯主板",
            due_on=today + dt.timedelta(days=20),
            now=_at(today, 29),
        )
        services.supervisor_add(
            matter=matter, actor=staff, body=Supervisor.Body.SUPERVISION_COMMITTEE, name="陈桂兰", now=_at(today, 29)
        )
        _step(matter, staff, 6, _at(today, 21))
        services.progress_report(
            matter=matter, actor=staff, progress=30, note="已与产权单位商定方案", now=_at(today, 15)
        )
        created += 1
    return created

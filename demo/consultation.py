"""The demo street's consultation (seed 002's seven steps) and livelihood projects (seed 000):
one matter raised from a hot spot
and carried through to its published result, one resolved and being carried out under its
milestones, through the real services with the clock set to each day. Idempotent: a matter
already there (by its title) is left alone."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from consultation import evaluation, hearings, invitations, livelihood, services
from consultation.models import CovenantVersion, LivelihoodProject, Matter, Source, Step, Supervisor, YearEndEvaluation
from core.clock import SHANGHAI
from meetings.models import Meeting, MeetingType
from meetings.services import meeting_record, meeting_schedule
from responders.models import Department, ResidentialCommittee, User

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
    # 桑城, the committee of the demo's `committee_staff`.
    committee = ResidentialCommittee.objects.filter(street=street, code=f"{street.code}-SC").first()
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


# --- livelihood projects ------------------------------------------------------------------

PROJECTS = [
    # title, place, proposed by, proposer, selected (budget) or the reason it was not
    ("加装楼道扶手", "桑城路 12 弄 1–6 号", "residents", "12 弄老年居民", Decimal("120000")),
    ("弄堂路灯更新", "桑城路 5 弄", "committee", "", Decimal("45000")),
    ("小区增设充电桩", "桑城路 8 弄", "residents", "8 弄居民", "纳入区级充电设施规划统一实施。"),
]


def seed_livelihood(street, today: dt.date | None = None) -> int:
    """A half-year's round on the demo street: three proposals from 桑城, the street's
    proposal meeting selects two; the handrails are completed under a maintenance contract
    whose review today finds a breach and opens a ticket (dated today, so the simulated last
    month stays as it was); the street lights are being carried out."""
    today = today or timezone.localdate()
    committee = ResidentialCommittee.objects.filter(street=street, code=f"{street.code}-SC").first()
    staff = User.objects.filter(committee=committee, role=User.Role.COMMITTEE_STAFF).order_by("pk").first()
    street_staff = User.objects.filter(street=street, role=User.Role.STREET_STAFF).order_by("pk").first()
    if committee is None or staff is None or street_staff is None:
        return 0
    if LivelihoodProject.objects.filter(committee=committee, title=PROJECTS[0][0]).exists():
        return 0
    # Proposals gathered five months ago (their half-year's round), the meeting ten days later.
    proposed = today - dt.timedelta(days=150)
    meeting = meeting_schedule(
        type=MeetingType.objects.get(code=livelihood.PROPOSAL_MEETING),
        unit=street,
        starts_at=_at(today, 140, hour=14),
        actor=street_staff,
        title=f"民生实事提议会（{livelihood.half_year(proposed)}）",
        now=_at(today, 150),
    )
    meeting_record(
        meeting=meeting, actor=street_staff, minutes="审议本半年度民生实事提议。", attended=[], now=_at(today, 140, 17)
    )
    decided = _at(today, 140, 18)
    projects = []
    for title, place, by, proposer, decision in PROJECTS:
        project = livelihood.project_propose(
            actor=staff,
            unit=committee,
            title=title,
            location=place,
            proposed_by=by,
            proposer=proposer,
            now=_at(today, 150),
        )
        if isinstance(decision, Decimal):
            livelihood.project_decide(
                project=project,
                actor=street_staff,
                meeting=meeting,
                selected=True,
                budget=decision,
                responsible_unit="五里桥街道管理办",
                responsible_person="陈静",
                responsible_user=street_staff,
                starts_on=decided.date() + dt.timedelta(days=7),
                due_on=today - dt.timedelta(days=20) if not projects else today + dt.timedelta(days=30),
                note="列入本半年度民生实事。",
                now=decided,
            )
        else:
            livelihood.project_decide(
                project=project, actor=street_staff, meeting=meeting, selected=False, note=decision, now=decided
            )
        projects.append(project)
    handrails, lights = projects[0], projects[1]
    start = decided.date() + dt.timedelta(days=7)
    bought = services.milestone_add(
        project=handrails, actor=street_staff, title="采购扶手", due_on=start + dt.timedelta(days=20), now=decided
    )
    fitted = services.milestone_add(
        project=handrails, actor=street_staff, title="安装到位", due_on=today - dt.timedelta(days=20), now=decided
    )
    finished = today - dt.timedelta(days=25)
    services.milestone_done(milestone=bought, actor=street_staff, now=_at(today, (today - start).days - 18))
    services.milestone_done(milestone=fitted, actor=street_staff, now=_at(today, (today - finished).days))
    services.progress_report(
        project=handrails,
        actor=street_staff,
        progress=100,
        note="全部安装完毕",
        now=_at(today, (today - finished).days),
    )
    livelihood.project_complete(project=handrails, actor=street_staff, now=_at(today, (today - finished).days))
    contract = livelihood.contract_sign(
        project=handrails,
        actor=street_staff,
        manager="五里桥物业公司",
        beneficiaries="桑城路 12 弄 1–6 号全体居民",
        manager_duties="每季度检查扶手牢固情况，损坏七日内修复。",
        beneficiary_duties="爱护扶手，不在扶手上晾晒、悬挂物品，发现损坏及时报告居委会。",
        signed_on=finished + dt.timedelta(days=2),
        ends_on=finished + dt.timedelta(days=2 + 730),
        review_every_months=3,
        now=_at(today, (today - finished).days - 2),
    )
    livelihood.contract_review(
        contract=contract,
        actor=staff,
        findings="3 号楼扶手松动，已报修两周未修复。",
        breach=True,
        now=timezone.now(),
    )
    services.milestone_add(
        project=lights, actor=street_staff, title="旧灯拆除", due_on=today - dt.timedelta(days=5), now=decided
    )
    services.milestone_add(
        project=lights, actor=street_staff, title="新灯安装调试", due_on=today + dt.timedelta(days=25), now=decided
    )
    services.progress_report(project=lights, actor=street_staff, progress=40, note="新灯已到货", now=_at(today, 3))
    return len(projects)


# --- an invitation (约请) -------------------------------------------------------------------

RENTALS = "群租房噪音与消防隐患整治"


def seed_invitation(street, today: dt.date | None = None) -> int:
    """桑城 invites the police station's head to one matter (群租房 from a hot spot): the liaison
    accepts, the session decides, and the decision is followed up before its date."""
    today = today or timezone.localdate()
    committee = ResidentialCommittee.objects.filter(street=street, code=f"{street.code}-SC").first()
    staff = User.objects.filter(committee=committee, role=User.Role.COMMITTEE_STAFF).order_by("pk").first()
    police = Department.objects.filter(street=street, kind__code="police").order_by("pk").first()
    liaison = User.objects.filter(department=police, role=User.Role.DEPARTMENT_LIAISON).order_by("pk").first()
    if (
        None in (committee, staff, police, liaison)
        or Matter.objects.filter(committee=committee, title=RENTALS).exists()
    ):
        return 0
    matter = services.matter_raise(
        actor=staff,
        unit=committee,
        title=RENTALS,
        description="桑城路 734 弄群租户夜间噪音、电动车楼道充电，居民反复反映。",
        source=Source.HOT_SPOT,
        source_note="社情民意月报热点：群租",
        now=_at(today, 25),
    )
    _step(matter, staff, 1, _at(today, 24))
    invitation = invitations.invitation_send(
        actor=staff,
        committee=committee,
        department=police,
        invitee_name="所长",
        matter=matter,
        proposed_at=_at(today, 18, hour=15),
        now=_at(today, 22),
    )
    invitations.invitation_answer(invitation=invitation, actor=liaison, accept=True, now=_at(today, 21))
    invitations.invitation_decide(
        invitation=invitation,
        actor=staff,
        decision="派出所会同城管一周内对 734 弄群租户开展联合检查，清理楼道充电；居委会负责入户告知。",
        follow_up_by=today - dt.timedelta(days=8),
        now=_at(today, 18, hour=17),
    )
    invitations.invitation_follow_up(
        invitation=invitation,
        actor=staff,
        note="联合检查已完成，楼道电动车全部清出，居民回访满意。",
        now=_at(today, 10),
    )
    return 1


# --- a hearing and the covenant -------------------------------------------------------------

COVENANT = """一、爱护小区公共设施，损坏照价赔偿。
二、电动车不进楼道、不入户充电。
三、垃圾分类投放，楼道不堆放杂物。
四、邻里和睦，夜间 22 时后不制造噪音。
五、文明养宠，外出牵绳并及时清理粪便。"""


def seed_hearing_and_covenant(street, today: dt.date | None = None) -> int:
    """桑城 heard residents on the handrails before the proposal meeting, and adopted its
    covenant (version 1) at the representatives' meeting of the environment matter."""
    today = today or timezone.localdate()
    committee = ResidentialCommittee.objects.filter(street=street, code=f"{street.code}-SC").first()
    staff = User.objects.filter(committee=committee, role=User.Role.COMMITTEE_STAFF).order_by("pk").first()
    handrails = LivelihoodProject.objects.filter(committee=committee, title=PROJECTS[0][0]).first()
    adopted_at = Meeting.objects.filter(committee=committee, title="居民代表会议：环境改造").first()
    if None in (committee, staff, handrails, adopted_at) or handrails.hearings.exists():
        return 0
    hearing_meeting = meeting_schedule(
        type=MeetingType.objects.get(code=hearings.HEARING_TYPE),
        unit=committee,
        starts_at=_at(today, 145, hour=19),
        actor=staff,
        title="听证会：加装楼道扶手",
        now=_at(today, 150),
    )
    hearings.hearing_record(
        actor=staff,
        project=handrails,
        meeting=hearing_meeting,
        participants="12 弄居民代表 14 人、物业公司、居委会",
        opinions=hearings.parse_opinions(
            "王阿姨（3 号楼）：老人上下楼困难，支持加装\n"
            "物业公司：同意日常维护，需明确责任\n"
            "李先生（5 号楼）：扶手不要占用消防通道"
        ),
        conclusion="一致支持提交民生实事提议会，安装方案避让消防通道。",
        now=_at(today, 145, hour=21),
    )
    # Each seeded once on its own: a database whose tickets a benchmark rebuilt (bench/sweep.py
    # truncates them, and with them the hearing) still holds the covenant.
    if not CovenantVersion.objects.filter(meeting=adopted_at).exists():
        hearings.covenant_adopt(actor=staff, committee=committee, text=COVENANT, meeting=adopted_at, now=_at(today, 63))
    return 1


# --- the year-end democratic evaluation -------------------------------------------------------

DUTY_REPORT = """一年来，桑城居委会在街道党工委领导下，围绕居民最关心的环境、养老和安全问题开展工作。
主要成绩：完成楼道堆物清理和路面修补；加装 12 弄楼道扶手；建立民情议事日制度，每月按时召开。
存在不足：电动车充电难问题尚未解决；部分居民对协商结果公示关注不够；老年助餐点覆盖不足。"""


def _evaluation_meeting(committee, staff, year: int):
    starts = dt.datetime(year, 12, 20, 14, tzinfo=SHANGHAI)
    return meeting_schedule(
        type=MeetingType.objects.get(code=evaluation.EVALUATION_TYPE),
        unit=committee,
        starts_at=starts,
        actor=staff,
        title=f"{year} 年度民主评议会",
        place="桑城居委会会议室",
        now=starts - dt.timedelta(days=10),
    )


def seed_year_end_evaluation(street, today: dt.date | None = None) -> int:
    """桑城's democratic evaluations of the two years before this one: the earlier one left a
    task unfinished, carried into last year's, which reports on duty, lists its problems and
    tasks (one done this year, one in progress, the carried one), and scores the committee and
    three cadres; its opinion is printed."""
    today = today or timezone.localdate()
    last = today.year - 1
    committee = ResidentialCommittee.objects.filter(street=street, code=f"{street.code}-SC").first()
    staff = User.objects.filter(committee=committee, role=User.Role.COMMITTEE_STAFF).order_by("pk").first()
    if None in (committee, staff) or YearEndEvaluation.objects.filter(committee=committee, year=last).exists():
        return 0
    criteria = list(MeetingType.objects.get(code=evaluation.EVALUATION_TYPE).criteria)

    def at(year, month=12, day=20, hour=16):
        return dt.datetime(year, month, day, hour, tzinfo=SHANGHAI)

    earlier = evaluation.evaluation_open(
        actor=staff, meeting=_evaluation_meeting(committee, staff, last - 1), now=at(last - 1)
    )
    evaluation.task_add(
        evaluation=earlier, actor=staff, text="解决电动车充电难", responsible="张丽", due_on=dt.date(last, 10, 31)
    )
    evaluation.score_record(
        evaluation=earlier,
        actor=staff,
        subject="committee",
        scores=dict.fromkeys(criteria, 4),
        raters=26,
        now=at(last - 1),
    )
    evaluation.opinion_give(evaluation=earlier, actor=staff, text="基本满意。", now=at(last - 1))

    year = evaluation.evaluation_open(actor=staff, meeting=_evaluation_meeting(committee, staff, last), now=at(last))
    evaluation.duty_report_save(evaluation=year, actor=staff, text=DUTY_REPORT)
    for problem in ("电动车充电难，楼道充电隐患仍在", "协商结果公示后居民知晓率不高", "老年助餐点覆盖不足"):
        evaluation.problem_add(evaluation=year, actor=staff, text=problem)
    done = evaluation.task_add(
        evaluation=year,
        actor=staff,
        text="公示栏与线上公示同步，每季度通报",
        responsible="李明",
        due_on=dt.date(today.year, 3, 31),
    )
    doing = evaluation.task_add(
        evaluation=year, actor=staff, text="新增一处老年助餐点", responsible="王辉", due_on=dt.date(today.year, 12, 31)
    )
    raters = 31
    evaluation.score_record(
        evaluation=year,
        actor=staff,
        subject="committee",
        scores=dict(zip(criteria, (4.6, 4.2, 4.3, 4.8), strict=False)),
        raters=raters,
        now=at(last),
    )
    for name, post, marks in (
        ("王辉", "党总支书记", (4.7, 4.4, 4.5, 4.9)),
        ("张丽", "居委会主任", (4.5, 4.1, 4.0, 4.8)),
        ("李明", "居委会委员", (4.3, 4.2, 4.4, 4.7)),
    ):
        evaluation.score_record(
            evaluation=year,
            actor=staff,
            subject="cadre",
            name=name,
            post=post,
            scores=dict(zip(criteria, marks, strict=False)),
            raters=raters,
            now=at(last),
        )
    evaluation.opinion_give(
        evaluation=year,
        actor=staff,
        text="与会代表对居委会一年来的工作总体满意。希望明年重点解决电动车充电难（上年结转任务）和老年助餐问题，"
        "按任务清单逐项落实，并在下次评议会上报告完成情况。",
        now=at(last),
    )
    tracked = min(dt.datetime(today.year, 3, 28, 10, tzinfo=SHANGHAI), at(today.year, today.month, today.day, 9))
    evaluation.task_track(task=done, actor=staff, status="done", note="公示栏已与系统公示同步。", now=tracked)
    evaluation.task_track(task=doing, actor=staff, status="in_progress", note="选址已定。", now=tracked)
    return 1

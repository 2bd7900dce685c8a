"""The demo street (modelled on Wuliqiao, Huangpu) and the bulk generator for benchmarks.

Deterministic: every zone's households come from a random generator seeded with the zone's
code, so the same call always produces the same rows whatever order zones are filled in.
Idempotent: org units and accounts are looked up by their codes, households by their unique
(zone, address); a second run inserts nothing and changes nothing.
"""

import importlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction
from django.db.models import Count

from affairs.models import AffairsEntry
from grievances.models import Building, Category, Household
from responders.models import (
    Department,
    DepartmentKind,
    District,
    ResidentialCommittee,
    ResponsibilityZone,
    ServiceTeam,
    StreetOffice,
    TeamMembership,
    User,
)
from surveys.models import Question, Questionnaire

DEMO_PASSWORD = "zhitong-demo"
BATCH_SIZE = 5000

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧建国平刚桂兰玉珍志红霞文斌晨怡雪琳浩宇佳欣"
ROADS = ["瞿溪路", "制造局路", "丽园路", "蒙自路", "鲁班路", "中山南一路", "局门路", "斜土路", "打浦路", "徐家汇路"]

# The demo street: four committees named after Wuliqiao's, fourteen zones among them.
DEMO_DISTRICT = ("HP", "黄浦区")
DEMO_STREET = ("WLQ", "五里桥街道")
DEMO_COMMITTEES = [("SC", "桑城居民区", 4), ("QX", "瞿溪居民区", 4), ("LY", "丽园居民区", 3), ("MZ", "蒙自居民区", 3)]
DEMO_DEPARTMENTS = {
    "police": "五里桥派出所",
    "urban_management": "五里桥城管中队",
    "greening": "五里桥绿化市容所",
    "market_regulation": "五里桥市场监管所",
    "tax": "五里桥税务所",
    "housing": "五里桥房管办",
    "sanitation": "五里桥环卫所",
    "health": "五里桥社区卫生服务中心",
    "social_security": "五里桥社保服务站",
    "judicial": "五里桥司法所",
    "labour_inspection": "五里桥劳动监察中队",
}


@dataclass(frozen=True)
class Scale:
    """How much to generate beyond the demo street."""

    districts: int
    streets_per_district: int
    committees_per_street: int
    zones_per_committee: int

    @property
    def zones(self) -> int:
        return self.districts * self.streets_per_district * self.committees_per_street * self.zones_per_committee


SCALES = {
    "demo": Scale(0, 0, 0, 0),
    # One district: 12 streets, 1,008 zones, about 300,000 households.
    "district": Scale(1, 12, 12, 7),
    # A city like Shanghai: 224 streets, 6,048 committees, about 9 million households.
    "city": Scale(16, 14, 27, 5),
}


@dataclass
class SeedResult:
    zones: int = 0
    households_created: int = 0


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def phone_number(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def zone_households(zone: ResponsibilityZone, road_index: int) -> Iterator[tuple[str, dict]]:
    """Yield (building name, household fields) for one zone: 250-350 households in lanes."""
    rng = random.Random(f"zhitong:{zone.code}")
    target = rng.randint(250, 350)
    road = ROADS[road_index % len(ROADS)]
    lane = 100 + (road_index * 37 + rng.randrange(20)) % 800
    made = 0
    while made < target:
        for number in range(1, rng.randint(4, 9) + 1):
            building = f"{road} {lane} 弄 {number} 号"
            for floor in range(1, 7):
                for room in range(1, rng.randint(2, 4) + 1):
                    if made == target:
                        return
                    made += 1
                    kind = rng.choices(
                        [Household.Type.PERMANENT, Household.Type.RENTAL, Household.Type.TEMPORARY], [70, 22, 8]
                    )[0]
                    yield (
                        building,
                        {
                            "address": f"{building} {floor}{room:02d} 室",
                            "contact_name": person_name(rng),
                            "phone": phone_number(rng),
                            "household_type": kind,
                            "elderly_living_alone": rng.random() < 0.08,
                            "low_income": rng.random() < 0.04,
                            "disability": rng.random() < 0.03,
                        },
                    )
        lane += rng.randint(3, 40)


# Where the demo street's buildings stand: each zone a block of a grid laid over Wuliqiao
# (Huangpu, Shanghai), its buildings spread over the block, so the street's map has points.
DEMO_ORIGIN = (31.1985, 121.4790)
DEMO_BLOCK = (0.0030, 0.0040)  # degrees of latitude and longitude: about 330 m × 380 m


def demo_point(block: int, number: int, count: int) -> tuple[float, float]:
    """Building `number` of `count` in block `block`: on a small grid inside the block."""
    row, col = divmod(block, 4)
    side = max(1, round(count**0.5))
    inner_row, inner_col = divmod(number, side)
    lat = DEMO_ORIGIN[0] + DEMO_BLOCK[0] * (row + (inner_row + 0.5) / (side + 1))
    long = DEMO_ORIGIN[1] + DEMO_BLOCK[1] * (col + (inner_col + 0.5) / (side + 1))
    return round(lat, 6), round(long, 6)


def fill_zone_households(zones: list[ResponsibilityZone], road_offset: int = 0, placed: bool = False) -> int:
    """Insert the missing buildings and households of `zones`; return how many households.
    `placed`: the buildings get points (demo_point), the zones side by side from `road_offset`."""
    existing = dict(
        Household.objects.filter(zone__in=zones).values_list("zone").annotate(n=Count("id")).values_list("zone", "n")
    )
    created = 0
    for index, zone in enumerate(zones):
        rows = list(zone_households(zone, road_offset + index))
        if existing.get(zone.pk, 0) == len(rows):
            continue
        names = sorted({building for building, _ in rows})
        points = [demo_point(road_offset + index, n, len(names)) if placed else (None, None) for n in range(len(names))]
        buildings = zip(names, points, strict=True)
        Building.objects.bulk_create(
            [Building(zone=zone, name=name, lat=lat, long=long) for name, (lat, long) in buildings],
            ignore_conflicts=True,
            batch_size=BATCH_SIZE,
        )
        building_ids = dict(Building.objects.filter(zone=zone).values_list("name", "id"))
        before = existing.get(zone.pk, 0)
        Household.objects.bulk_create(
            [Household(zone=zone, building_id=building_ids[b], **fields) for b, fields in rows],
            ignore_conflicts=True,
            batch_size=BATCH_SIZE,
        )
        created += len(rows) - before
    return created


def _get_or_create_units(model, parent_field: str, parent, specs: list[tuple[str, str]]) -> list:
    """Bulk get-or-create org units under one parent by code; returns them in `specs` order."""
    model.objects.bulk_create(
        [model(code=code, name=name, **{parent_field: parent}) for code, name in specs],
        ignore_conflicts=True,
    )
    by_code = model.objects.in_bulk([code for code, _ in specs], field_name="code")
    return [by_code[code] for code, _ in specs]


def ensure_teams(zones: list[ResponsibilityZone]) -> None:
    ServiceTeam.objects.bulk_create(
        [ServiceTeam(zone=zone, name=f"{zone.name}服务团队") for zone in zones], ignore_conflicts=True
    )


# The migrations that seed reference data; their seed functions are idempotent.
REFERENCE_DATA = [
    "responders.migrations.0002_seed_department_kinds",
    "grievances.migrations.0003_seed_categories_and_append_only_events",
    "grievances.migrations.0020_category_public",
    "escalation.migrations.0002_seed_sla_policies",
    "catalogue.migrations.0002_seed_shanghai_catalogue",
    "grievances.migrations.0021_service_window_pauses_warnings",
    "escalation.migrations.0009_service_sla_by_kind",
    "meetings.migrations.0002_seed_meeting_types",
    "consultation.migrations.0003_invitation_meeting_type",
]


def ensure_reference_data() -> None:
    """Put back the rows the migrations seed (department kinds, categories, SLA policies,
    meeting types) if something removed them, e.g. `manage.py flush`. Rows that exist are
    left as edited."""
    for module in REFERENCE_DATA:
        importlib.import_module(module).seed(apps, None)


DEMO_QUESTIONNAIRE = (
    "居民评社区：年度走访问卷",
    "请为您所在的社区打分（5 分最满意），大约一分钟。",
    [
        (
            "您对责任区服务团队的走访和联系满意吗？",
            "Are you satisfied with how the zone team visits and keeps in touch?",
        ),
        ("您反映的问题得到及时回应和办理了吗？", "Were the matters you raised answered and handled in good time?"),
        (
            "您对小区环境卫生和公共设施满意吗？",
            "Are you satisfied with the estate's cleanliness and public facilities?",
        ),
        ("您对居委会的工作总体满意吗？", "Overall, are you satisfied with the residential committee's work?"),
    ],
)


# The demo street's two lists (两份清单, seed 003): (list, affair, category it routes or None,
# department kind or None, basis). The demo street has no civil-affairs office of its own:
# social assistance goes to its social security station, which takes the applications.
DEMO_LISTS = [
    ("administrative", "户籍管理", None, "police", "户口登记、迁移、居住证明由派出所办理，居委会不出具户籍类证明。"),
    (
        "administrative",
        "违章搭建与占道设摊",
        "urban_management",
        "urban_management",
        "违法建筑的认定和拆除、占道经营的查处属城管执法职责：此类诉求直通城管中队。",
    ),
    (
        "administrative",
        "社会救助",
        "social_assistance",
        "social_security",
        "低保、临时救助、医疗救助的受理和审核由社保服务站办理，居委会协助告知。",
    ),
    (
        "administrative",
        "食品安全与无证经营",
        None,
        "market_regulation",
        "食品安全、无证无照经营的查处属市场监管所职责。",
    ),
    ("administrative", "劳动报酬与欠薪", None, "labour_inspection", "拖欠工资、劳动合同争议的查处由劳动监察中队办理。"),
    ("social", "楼道堆物", None, None, "楼道、消防通道堆放杂物，由居委会和责任区团队劝导居民自行清理。"),
    (
        "social",
        "邻里纠纷",
        "neighbour_dispute",
        None,
        "噪音、漏水等邻里矛盾先由责任区邻里协商，不成再由居委会召开协调会。",
    ),
    ("social", "小区公共事务协商", None, None, "停车、绿化、加装电梯等公共事务由居民议事会协商决定。"),
    ("social", "为老助餐与邻里互助", None, None, "独居老人的助餐、探访由居委会组织志愿者和社会组织承接。"),
]


def _seed_demo_lists(street: StreetOffice) -> None:
    """The demo street's list of administrative and social affairs (idempotent)."""
    categories = Category.objects.in_bulk(field_name="code")
    kinds = DepartmentKind.objects.in_bulk(field_name="code")
    for position, (kind, name, category, department_kind, basis) in enumerate(DEMO_LISTS, start=1):
        AffairsEntry.objects.get_or_create(
            street=street,
            kind=kind,
            name=name,
            defaults={
                "category": categories.get(category),
                "department_kind": kinds.get(department_kind),
                "basis": basis,
                "position": position,
            },
        )


def _seed_demo_questionnaire(street: StreetOffice) -> None:
    """The residents' questionnaire the demo street takes at the door (居民评社区)."""
    title, intro, questions = DEMO_QUESTIONNAIRE
    if Questionnaire.objects.filter(street=street).exists():
        return
    questionnaire = Questionnaire.objects.create(street=street, title=title, intro=intro)
    Question.objects.bulk_create(
        Question(questionnaire=questionnaire, text=text, text_en=text_en, position=position)
        for position, (text, text_en) in enumerate(questions, start=1)
    )


def seed_demo_street(progress: Callable[[int], None] = lambda n: None) -> SeedResult:
    result = SeedResult()
    ensure_reference_data()
    with transaction.atomic():
        district, _ = District.objects.get_or_create(code=DEMO_DISTRICT[0], defaults={"name": DEMO_DISTRICT[1]})
        street, _ = StreetOffice.objects.get_or_create(
            code=DEMO_STREET[0], defaults={"name": DEMO_STREET[1], "district": district}
        )
        kinds = {kind.code: kind for kind in DepartmentKind.objects.all()}
        departments = {}
        for code, name in DEMO_DEPARTMENTS.items():
            departments[code], _ = Department.objects.get_or_create(
                district=district, name=name, defaults={"street": street, "kind": kinds[code]}
            )
        committees = _get_or_create_units(
            ResidentialCommittee,
            "street",
            street,
            [(f"{street.code}-{code}", name) for code, name, _ in DEMO_COMMITTEES],
        )
        zones = []
        for committee, (_, name, zone_count) in zip(committees, DEMO_COMMITTEES, strict=True):
            short = name.removesuffix("居民区")
            zones += _get_or_create_units(
                ResponsibilityZone,
                "committee",
                committee,
                [(f"{committee.code}-{n:02d}", f"{short}第{n}责任区") for n in range(1, zone_count + 1)],
            )
        ensure_teams(zones)
        users = _seed_demo_users(street, committees, departments)
        _seed_demo_memberships(street, zones, departments, users)
        _seed_demo_questionnaire(street)
        _seed_demo_lists(street)
    for index, zone in enumerate(zones):
        with transaction.atomic():
            result.households_created += fill_zone_households([zone], road_offset=index, placed=True)
        progress(1)
    result.zones = len(zones)
    return result


def _user(username: str, **fields) -> User:
    user, created = User.objects.get_or_create(username=username, defaults=fields)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _seed_demo_users(street, committees, departments) -> dict[str, User]:
    users = {
        "admin": _user("admin", full_name="系统管理员", role=User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True),
        "street_staff": _user("street_staff", full_name="陈静", role=User.Role.STREET_STAFF, street=street),
        "leader_wang": _user("leader_wang", full_name="王建国", role=User.Role.STREET_LEADER, street=street),
        "leader_li": _user("leader_li", full_name="李秀英", role=User.Role.STREET_LEADER, street=street),
        "committee_staff": _user(
            "committee_staff", full_name="张丽", role=User.Role.COMMITTEE_STAFF, committee=committees[0]
        ),
        # Every committee has its staff, so committee-tier tickets land with someone there.
        **{
            f"committee_{code.lower()}": _user(
                f"committee_{code.lower()}", full_name=name, role=User.Role.COMMITTEE_STAFF, committee=committee
            )
            for (code, _, _), name, committee in zip(
                DEMO_COMMITTEES[1:], ["周敏", "吴芳", "孙伟"], committees[1:], strict=True
            )
        },
        "zone_member": _user("zone_member", full_name="刘洋", role=User.Role.ZONE_MEMBER, committee=committees[0]),
        "dept_liaison": _user(
            "dept_liaison", full_name="赵强", role=User.Role.DEPARTMENT_LIAISON, department=departments["police"]
        ),
    }
    # 领导包干制: each leader answers for two of the four committees.
    for committee, leader in zip(committees, ["leader_wang", "leader_wang", "leader_li", "leader_li"], strict=True):
        if committee.duty_leader_id is None:
            committee.duty_leader = users[leader]
            committee.save(update_fields=["duty_leader"])
    return users


def _seed_demo_memberships(street, zones, departments, users) -> None:
    """Each demo team: a committee lead, a street cadre, a police officer, a volunteer."""
    teams = ServiceTeam.objects.filter(zone__in=zones).select_related("zone__committee")
    staffed = set(TeamMembership.objects.filter(team__in=teams).values_list("team_id", flat=True).distinct())
    kinds = TeamMembership.HomeKind
    rows = []
    for team in teams:
        if team.pk in staffed:
            continue
        rng = random.Random(f"zhitong:team:{team.zone.code}")
        rows += [
            TeamMembership(
                team=team,
                name=person_name(rng),
                role=TeamMembership.TeamRole.LEAD,
                home_kind=kinds.COMMITTEE,
                home_committee=team.zone.committee,
            ),
            TeamMembership(team=team, name=person_name(rng), home_kind=kinds.STREET, home_street=street),
            TeamMembership(
                team=team, name=person_name(rng), home_kind=kinds.DEPARTMENT, home_department=departments["police"]
            ),
            TeamMembership(
                team=team,
                name=person_name(rng),
                home_kind=kinds.COMMUNITY_UNIT,
                home_unit_name=rng.choice(["五里桥社区志愿者服务队", "辖区共建单位", "物业服务中心"]),
            ),
        ]
        # The demo zone member serves the first two zones of the first committee.
        if team.zone.code in (zones[0].code, zones[1].code):
            rows.append(
                TeamMembership(
                    team=team,
                    user=users["zone_member"],
                    name=users["zone_member"].full_name,
                    home_kind=kinds.COMMITTEE,
                    home_committee=team.zone.committee,
                )
            )
    TeamMembership.objects.bulk_create(rows)


def seed_scale(scale: Scale, progress: Callable[[int], None] = lambda n: None) -> SeedResult:
    """Generate districts of streets of committees of zones, each zone 250-350 households."""
    result = SeedResult()
    road = 0
    for d in range(1, scale.districts + 1):
        district, _ = District.objects.get_or_create(code=f"D{d:02d}", defaults={"name": f"第{d}区"})
        for s in range(1, scale.streets_per_district + 1):
            street, _ = StreetOffice.objects.get_or_create(
                code=f"D{d:02d}S{s:02d}", defaults={"name": f"{district.name}第{s}街道", "district": district}
            )
            committees = _get_or_create_units(
                ResidentialCommittee,
                "street",
                street,
                [
                    (f"{street.code}C{c:02d}", f"{street.name}第{c}居民区")
                    for c in range(1, scale.committees_per_street + 1)
                ],
            )
            for committee in committees:
                with transaction.atomic():
                    zones = _get_or_create_units(
                        ResponsibilityZone,
                        "committee",
                        committee,
                        [
                            (f"{committee.code}Z{z}", f"{committee.name}第{z}责任区")
                            for z in range(1, scale.zones_per_committee + 1)
                        ],
                    )
                    ensure_teams(zones)
                    result.households_created += fill_zone_households(zones, road_offset=road)
                road += len(zones)
                result.zones += len(zones)
                progress(len(zones))
    return result

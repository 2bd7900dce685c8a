"""Seed each tier's meeting types (DOMAIN.md; seeds 000 and 002). Editable in the admin.

The sources name the risk screening meeting's "eight haves" (八个有) precondition check but
do not list them; the eight below are our wording of what such a check covers, to be
edited to the street's own list.
"""

from django.db import migrations

CRITERIA = ["服务态度", "办事效率", "办理结果", "廉洁自律"]
CHECKLIST = [
    "有法律政策依据",
    "有规划审批",
    "有民意征询",
    "有公示公开",
    "有资金保障",
    "有实施方案",
    "有应急预案",
    "有责任主体",
]

TYPES = [
    # code, name, English, tier, purpose, cadence, required, optional, extra
    ("opinion_day", "民情议事日", "Public-opinion day", "zone", "opinion_day", "monthly",
     ["服务团队", "居民代表"], [], {}),
    ("alley_council", "弄堂议事会", "Alley council", "zone", "general", "ad_hoc",
     ["服务团队", "相关居民"], [], {}),
    ("hearing", "听证会", "Hearing", "committee", "hearing", "ad_hoc",
     ["居委会", "居民代表", "党员代表"], [], {}),
    ("coordination", "协调会", "Coordination meeting", "committee", "coordination", "ad_hoc",
     ["当事各方", "居委会主任", "人民调解委员会主任"], ["党组织书记", "社区民警", "律师"], {}),
    ("evaluation", "评议会", "Evaluation meeting", "committee", "evaluation", "ad_hoc",
     ["居民代表"], ["驻区单位代表"], {"criteria": CRITERIA}),
    ("joint_meeting", "社区民主自治联席会议", "Monthly joint meeting", "committee", "general", "monthly",
     ["居委会", "业委会", "物业公司"], [], {}),
    ("representatives", "居民代表会议", "Residents' representatives meeting", "committee", "general", "quarterly",
     ["居民代表"], [], {}),
    ("briefing", "社区协商通报会", "Consultation briefing", "committee", "general", "half_yearly",
     ["居民代表"], [], {}),
    ("democratic_evaluation", "民主评议会", "Year-end democratic evaluation", "committee", "evaluation", "yearly",
     ["党员代表", "居民代表", "驻街单位代表"], [], {"criteria": CRITERIA, "day_of_month": 20}),
    ("onsite_office", "现场办公会", "On-site office meeting", "street", "general", "ad_hoc",
     ["包干领导", "居委会"], ["相关职能部门"], {}),
    ("mediation", "社区事务综合调处会", "Community-affairs mediation meeting", "street", "mediation", "monthly",
     ["街道领导", "相关职能部门负责人"], [], {"day_of_month": 10}),
    ("harmony_council", "服务群众促和谐议事会", "Harmony council", "street", "general", "monthly",
     ["人大代表", "政协委员", "社区知名人士"], [], {"day_of_month": 5}),
    ("livelihood", "民生实事提议会", "Livelihood-project proposal meeting", "street", "general", "half_yearly",
     ["街道领导", "居民代表"], [], {}),
    ("risk_screening", "矛盾排查分析会", "Risk screening meeting", "street", "risk_screening", "ad_hoc",
     ["街道领导", "相关职能部门负责人"], [], {"checklist": CHECKLIST}),
]


def seed(apps, schema_editor):
    MeetingType = apps.get_model("meetings", "MeetingType")
    for position, (code, name, name_en, tier, purpose, cadence, required, optional, extra) in enumerate(TYPES):
        MeetingType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "tier": tier,
                "purpose": purpose,
                "cadence": cadence,
                "required_participants": required,
                "optional_participants": optional,
                "position": position,
                **extra,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

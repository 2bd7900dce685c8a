"""Seed the service catalogue with a Shanghai street's items (社区事务受理服务中心), gathered in
12 classes as seed 004 gathers Tianqiao's 50 items. Time limits follow seed 004: ordinary
items within 7-10 working days, urgent ones within 3 (a certificate the committee writes
takes fewer). Editable in the admin; a second run changes nothing."""

from django.db import migrations

CENTRE = "街道社区事务受理服务中心"
ID = "居民身份证、户口簿"

# (class code, name, English name, [(item code, name, English name, ordinary, urgent,
#   documents, completing office, completed at, department kind)])
CATALOGUE = [
    ("residence", "户籍与居住", "Household registration and residence", [
        ("residence_permit", "上海市居住证申领", "Shanghai residence permit", 10, 3,
         ["居民身份证", "居住登记凭证（租赁合同或产权证明）", "近期免冠照片", "就业或就读证明"],
         CENTRE + "·居住证窗口", "street", "police"),
        ("residence_registration", "来沪人员居住登记", "Residence registration of newcomers", 7, 3,
         ["居民身份证", "租赁合同或房屋产权证明"], CENTRE + "·居住证窗口", "street", "police"),
        ("residence_certificate", "居住情况证明", "Certificate of residence", 3, 1,
         [ID, "房屋产权证明或租赁合同"], "居民区居委会", "committee", None),
    ]),
    ("social_assistance", "社会救助", "Social assistance", [
        ("minimum_living", "城乡居民最低生活保障申请", "Minimum living allowance (低保)", 10, 3,
         [ID, "家庭收入与财产申报表", "家庭成员就业或失业证明", "银行账户信息"], CENTRE + "·救助窗口", "street", None),
        ("temporary_assistance", "临时救助申请", "Temporary assistance", 7, 3,
         [ID, "困难情况说明", "相关费用票据"], CENTRE + "·救助窗口", "street", None),
        ("medical_assistance", "医疗救助申请", "Medical assistance", 10, 3,
         [ID, "医疗费用发票及明细", "出院小结"], CENTRE + "·救助窗口", "street", None),
        ("expenditure_poverty", "支出型贫困家庭生活救助", "Assistance for families impoverished by expenses", 10, 3,
         [ID, "家庭收入与财产申报表", "大额支出票据"], CENTRE + "·救助窗口", "street", None),
    ]),
    ("elderly", "养老服务", "Elderly care", [
        ("elderly_allowance", "老年综合津贴申领", "Old-age comprehensive allowance", 7, 3,
         [ID, "本人银行卡"], CENTRE + "·养老窗口", "street", None),
        ("ltc_assessment", "长期护理保险需求评估申请", "Long-term care insurance assessment", 10, 3,
         [ID, "医保卡", "代办人身份证"], CENTRE + "·医保窗口", "street", None),
        ("home_care_subsidy", "居家养老服务补贴申请", "Home care subsidy", 10, 3,
         [ID, "收入证明", "照护需求评估结果"], CENTRE + "·养老窗口", "street", None),
        ("senior_card", "老年人优待卡办理", "Senior citizen preferential card", 7, 3,
         [ID, "近期免冠照片"], CENTRE + "·养老窗口", "street", None),
    ]),
    ("disability", "残疾人服务", "Disability services", [
        ("disability_card", "残疾人证申领", "Disability card", 10, 3,
         [ID, "近期免冠照片", "医疗诊断材料"], CENTRE + "·残联窗口", "street", None),
        ("severe_disability_allowance", "重残无业人员生活补助", "Allowance for the severely disabled without work", 10, 3,
         [ID, "残疾人证", "无业情况说明"], CENTRE + "·残联窗口", "street", None),
        ("assistive_devices", "残疾人辅助器具适配申请", "Assistive devices for the disabled", 10, 3,
         [ID, "残疾人证"], CENTRE + "·残联窗口", "street", None),
    ]),
    ("employment", "就业创业", "Employment and business start-up", [
        ("unemployment_registration", "失业登记", "Unemployment registration", 7, 3,
         [ID, "劳动合同解除证明"], CENTRE + "·就业窗口", "street", None),
        ("hard_to_employ", "就业困难人员认定", "Recognition as hard to employ", 10, 3,
         [ID, "失业登记证明", "相关困难证明"], CENTRE + "·就业窗口", "street", None),
        ("flexible_employment_subsidy", "灵活就业社会保险费补贴", "Social insurance subsidy for flexible employment", 10, 3,
         [ID, "灵活就业登记证明", "社保缴费凭证"], CENTRE + "·就业窗口", "street", None),
        ("startup_support", "创业补贴申请", "Business start-up subsidy", 10, 3,
         [ID, "营业执照", "经营场所证明"], CENTRE + "·就业窗口", "street", None),
    ]),
    ("social_insurance", "医疗与社会保险", "Medical and social insurance", [
        ("resident_medical_insurance", "城乡居民基本医疗保险参保登记", "Residents' basic medical insurance", 7, 3,
         [ID, "近期免冠照片"], CENTRE + "·医保窗口", "street", None),
        ("resident_pension", "城乡居民养老保险参保登记", "Residents' basic pension", 7, 3,
         [ID], CENTRE + "·社保窗口", "street", None),
        ("insurance_card", "社会保障卡补换", "Replacing a social security card", 7, 3,
         [ID, "近期免冠照片"], CENTRE + "·社保窗口", "street", None),
    ]),
    ("housing", "住房保障", "Housing support", [
        ("low_rent_housing", "廉租住房申请", "Low-rent housing", 10, 3,
         [ID, "家庭收入与财产申报表", "现住房证明"], CENTRE + "·住房保障窗口", "street", "housing"),
        ("public_rental", "公共租赁住房申请", "Public rental housing", 10, 3,
         [ID, "劳动合同", "社保缴费证明"], CENTRE + "·住房保障窗口", "street", "housing"),
        ("shared_ownership", "共有产权保障住房资格申请", "Shared-ownership housing eligibility", 10, 3,
         [ID, "婚姻状况证明", "家庭收入与财产申报表"], CENTRE + "·住房保障窗口", "street", "housing"),
    ]),
    ("family", "生育与家庭", "Births and family", [
        ("birth_registration", "生育登记", "Birth registration", 7, 3,
         [ID, "结婚证"], CENTRE + "·计生窗口", "street", None),
        ("only_child_reward", "独生子女父母奖励申领", "Reward for parents of an only child", 7, 3,
         [ID, "独生子女父母光荣证"], CENTRE + "·计生窗口", "street", None),
        ("family_planning_support", "计划生育特别扶助", "Special support for family-planning families", 10, 3,
         [ID, "子女死亡或伤残证明"], CENTRE + "·计生窗口", "street", None),
    ]),
    ("veterans", "退役军人服务", "Veterans' services", [
        ("veteran_registration", "退役军人信息采集", "Veterans' registration", 7, 3,
         [ID, "退伍证"], "街道退役军人服务站", "street", None),
        ("veteran_pension", "优抚对象定期抚恤补助", "Regular pensions of entitled veterans' groups", 10, 3,
         [ID, "优抚证件"], "街道退役军人服务站", "street", None),
    ]),
    ("children", "儿童与困境家庭", "Children and families in difficulty", [
        ("children_in_difficulty", "困境儿童基本生活保障", "Basic living support for children in difficulty", 10, 3,
         [ID, "监护人情况证明"], CENTRE + "·救助窗口", "street", None),
        ("funeral_subsidy", "丧葬补助申领", "Funeral subsidy", 7, 3,
         [ID, "死亡证明", "火化证明"], CENTRE + "·民政窗口", "street", None),
    ]),
    ("health", "医疗卫生", "Health", [
        ("family_doctor", "家庭医生签约", "Signing with a family doctor", 7, 3,
         [ID, "医保卡"], "社区卫生服务中心", "street", "health"),
        ("maternal_handbook", "母子健康手册建册", "Mother and child health handbook", 7, 3,
         [ID, "结婚证"], "社区卫生服务中心", "street", "health"),
    ]),
    ("certificates", "证明与法律服务", "Certificates and legal services", [
        ("committee_certificate", "居民区出具相关证明", "A certificate from the residential committee", 3, 1,
         [ID, "需证明事项的相关材料"], "居民区居委会", "committee", None),
        ("legal_aid", "法律援助申请", "Legal aid", 7, 3,
         [ID, "经济困难证明", "案件相关材料"], "街道司法所", "street", "judicial"),
    ]),
]


def seed(apps, schema_editor):
    ServiceClass = apps.get_model("catalogue", "ServiceClass")
    ServiceItem = apps.get_model("catalogue", "ServiceItem")
    DepartmentKind = apps.get_model("responders", "DepartmentKind")
    kinds = {kind.code: kind for kind in DepartmentKind.objects.all()}
    for class_position, (code, name, name_en, items) in enumerate(CATALOGUE, start=1):
        service_class, _ = ServiceClass.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "position": class_position}
        )
        for position, (item_code, item, item_en, ordinary, urgent, documents, office, tier, kind) in enumerate(
            items, start=1
        ):
            ServiceItem.objects.get_or_create(
                code=item_code,
                defaults={
                    "service_class": service_class,
                    "name": item,
                    "name_en": item_en,
                    "position": position,
                    "limit_ordinary": ordinary,
                    "limit_urgent": urgent,
                    "documents": "\n".join(documents),
                    "completing_office": office,
                    "completing_tier": tier,
                    "department_kind": kinds.get(kind) if kind else None,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial"), ("responders", "0002_seed_department_kinds")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

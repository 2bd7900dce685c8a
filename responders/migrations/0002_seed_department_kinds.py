"""Seed the functional departments stationed in a street (DOMAIN.md). Editable in the admin."""

from django.db import migrations

DEPARTMENT_KINDS = [
    ("police", "派出所", "Police station"),
    ("urban_management", "城管执法", "Urban management"),
    ("greening", "绿化市容", "City appearance and greening"),
    ("market_regulation", "市场监管", "Market regulation"),
    ("tax", "税务", "Tax"),
    ("housing", "房管", "Housing office"),
    ("sanitation", "环卫", "Sanitation"),
    ("health", "卫生", "Health"),
    ("social_security", "社会保障", "Social security"),
    ("judicial", "司法所", "Judicial and legal aid"),
    ("labour_inspection", "劳动监察", "Labour inspection"),
]


def seed(apps, schema_editor):
    DepartmentKind = apps.get_model("responders", "DepartmentKind")
    for code, name, name_en in DEPARTMENT_KINDS:
        DepartmentKind.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})


class Migration(migrations.Migration):
    dependencies = [("responders", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

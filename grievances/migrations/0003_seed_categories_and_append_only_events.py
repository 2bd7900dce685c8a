"""Seed the request categories (DOMAIN.md), and make the ticket event log append-only in
PostgreSQL itself, whatever code path writes to it (DESIGN.md rule 5)."""

from django.db import migrations

CATEGORIES = [
    ("housing", "房屋与物业", "Housing and property"),
    ("environment", "环境与卫生", "Environment and sanitation"),
    ("neighbour_dispute", "邻里纠纷", "Neighbour disputes"),
    ("elderly_disability", "为老助残", "Elderly and disability care"),
    ("social_assistance", "社会救助", "Social assistance"),
    ("employment", "就业与社保", "Employment and social security"),
    ("urban_management", "城市管理（违建、设摊）", "Urban management (illegal building, street vending)"),
    ("public_facilities", "公共设施（电梯、道路、照明）", "Public facilities (lifts, roads, lighting)"),
    ("public_safety", "公共安全", "Public safety"),
    ("health", "医疗卫生", "Health"),
    ("legal_aid", "法律援助", "Legal aid"),
    ("policy", "政策咨询", "Policy questions"),
    ("other", "其他", "Other"),
]

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION grievances_ticketevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ticket events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER grievances_ticketevent_append_only
    BEFORE UPDATE OR DELETE ON grievances_ticketevent
    FOR EACH ROW EXECUTE FUNCTION grievances_ticketevent_append_only();
"""
DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS grievances_ticketevent_append_only ON grievances_ticketevent;
DROP FUNCTION IF EXISTS grievances_ticketevent_append_only();
"""


def seed(apps, schema_editor):
    Category = apps.get_model("grievances", "Category")
    for position, (code, name, name_en) in enumerate(CATEGORIES, start=1):
        Category.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "position": position})


def append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, params=None)


def drop_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_APPEND_ONLY, params=None)


class Migration(migrations.Migration):
    dependencies = [("grievances", "0002_category_ticket_feedback_ticketevent_ticketsequence_and_more")]
    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(append_only, drop_append_only),
    ]

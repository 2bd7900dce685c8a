"""Seed DESIGN.md's default SLA table. Editable in the admin afterwards.

"4 hours" (zone, urgent) counts office hours, so a request at 17:00 is not late by 21:00;
"2 hours" for an emergency counts around the clock.
"""

from django.db import migrations

POLICIES = [
    # tier, urgency, respond within, unit, resolve within, unit
    ("zone", "normal", 1, "working_days", 10, "working_days"),
    ("zone", "urgent", 4, "working_hours", 3, "working_days"),
    ("committee", "normal", 2, "working_days", 15, "working_days"),
    ("committee", "urgent", 1, "working_days", 3, "working_days"),
    ("street", "normal", 2, "working_days", 1, "calendar_months"),
    ("street", "urgent", 1, "working_days", 7, "working_days"),
    ("street", "emergency", 2, "hours", 3, "working_days"),
]


def seed(apps, schema_editor):
    SLAPolicy = apps.get_model("escalation", "SLAPolicy")
    # The tier's own rows; from 0009 on, rows may also name a category or a service item.
    own_rows = {"category": None, "service_item": None} if hasattr(SLAPolicy, "service_item") else {}
    for tier, urgency, respond, respond_unit, resolve, resolve_unit in POLICIES:
        SLAPolicy.objects.get_or_create(
            tier=tier,
            urgency=urgency,
            **own_rows,
            defaults={
                "respond_within": respond,
                "respond_unit": respond_unit,
                "resolve_within": resolve,
                "resolve_unit": resolve_unit,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("escalation", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

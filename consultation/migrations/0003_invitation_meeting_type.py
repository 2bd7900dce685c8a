"""The session of an invitation (约请) is a meeting of its own type, at the committee."""

from django.db import migrations


def seed(apps, schema_editor):
    MeetingType = apps.get_model("meetings", "MeetingType")
    MeetingType.objects.get_or_create(
        code="invitation",
        defaults={
            "name": "约请议事会",
            "name_en": "Invitation session",
            "tier": "committee",
            "purpose": "general",
            "cadence": "ad_hoc",
            "required_participants": ["居委会", "受约请的部门负责人或街道领导"],
            "optional_participants": ["当事居民", "居民代表"],
            "description": "一事一议一决：就一件事约请部门负责人或街道领导当面议定。",
            "position": 20,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("consultation", "0002_livelihood"), ("meetings", "0004_clock_from_services")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

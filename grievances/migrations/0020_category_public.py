"""Issue 17 (residents in the loop): which categories' descriptions and addresses the public
Open311 view shows. Off for disputes, social assistance, elderly and disability care, health
and legal aid (a person's circumstances); on for the others."""

from django.db import migrations, models

PRIVATE = ("neighbour_dispute", "social_assistance", "elderly_disability", "health", "legal_aid")


def seed(apps, schema_editor):
    """Mark the seeded categories public, unless someone already marked any (then the admin's
    choices stand: `ensure_reference_data` runs this again after a flush or on seed_demo)."""
    Category = apps.get_model("grievances", "Category")
    if not Category.objects.filter(public=True).exists():
        Category.objects.exclude(code__in=PRIVATE).update(public=True)


class Migration(migrations.Migration):
    dependencies = [
        ("grievances", "0019_residents_feedback_via"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="public",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Show the description and address of this category's requests to anyone (the "
                    "public Open311 view). Leave off for matters about a person's circumstances."
                ),
                verbose_name="public description",
            ),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]

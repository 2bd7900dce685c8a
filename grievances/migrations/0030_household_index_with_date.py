import django.db.models.deletion
from django.db import migrations, models

from core.indexes import AddIndexWithoutLocking

# The index Django made for the foreign key (its name is a hash of the table and column, the
# same on PostgreSQL and SQLite).
BARE = "grievances_ticket_household_id_1b587c9d"


def drop_bare_index(apps, schema_editor):
    concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX{concurrently} IF EXISTS {BARE}")


def make_bare_index(apps, schema_editor):
    concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"CREATE INDEX{concurrently} IF NOT EXISTS {BARE} ON grievances_ticket (household_id)")


class Migration(migrations.Migration):
    # The new index built CONCURRENTLY first (a city's ticket table keeps taking writes), then
    # the foreign key's bare index dropped: beside it PostgreSQL read a building's every ticket
    # for the duplicate suggestions instead of the open ones' index (ticket_open_household).
    # The field's change is said to Django's state only: altering it on SQLite would rebuild the
    # table with every index, PostgreSQL's trigram ones included.
    atomic = False

    dependencies = [
        ("grievances", "0029_household_phone_tail"),
    ]

    operations = [
        AddIndexWithoutLocking(
            model_name="ticket",
            index=models.Index(fields=["household", "created_at"], name="ticket_household_created"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ticket",
                    name="household",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="grievances.household",
                        verbose_name="household",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_bare_index, make_bare_index)],
        ),
    ]

"""PostgreSQL's planner is told that a ticket's zone (or street) and its category go together.

The likely duplicates' candidates are the newest 200 open tickets of a zone and category
(grievances.duplicates), read along `ticket_open_zone_category`. Taking the zone and the
category as independent, PostgreSQL expected a few dozen open tickets where a zone with a
burst of one trouble (a broken lift's hundred reports) has well over a thousand, and so it read
them all and sorted them (5.3 ms on the partner API benchmark's data, for every ticket filed)
instead of walking the index backwards and stopping at 200 (0.1 ms). Extended statistics on
the pairs (CREATE STATISTICS: functional dependencies and the most common combinations) give
it the real counts; ANALYZE fills them now rather than at the next autovacuum."""

from django.db import migrations

PAIRS = (("grievances_ticket_zone_category", "zone_id"), ("grievances_ticket_street_category", "street_id"))


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in PAIRS:
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {name} (dependencies, mcv) "
            f"ON {column}, category_id FROM grievances_ticket"
        )
    schema_editor.execute("ANALYZE grievances_ticket")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in PAIRS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("grievances", "0031_leaner_ticket_indexes")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]

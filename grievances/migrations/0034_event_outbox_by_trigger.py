"""Each ticket event's outbox row (grievances.EventOutbox) is written by the database, in the
statement that writes the event: a trigger on the event log, so no writer can leave one out and
none spends a statement of its own on it. On PostgreSQL one INSERT per statement, from the rows
it added (a transition table: one row for a change, a whole COPY for a sweep's batch); on SQLite
(the embedded demo) one per row. Before, `append_events` inserted the rows after the events:
one more statement in every change, and in a new ticket's while its street's reference counter
is held (bench/api.py)."""

from django.db import migrations

POSTGRESQL = """
CREATE OR REPLACE FUNCTION grievances_ticketevent_outbox() RETURNS trigger AS $$
BEGIN
    INSERT INTO grievances_eventoutbox (event_id) SELECT id FROM added ORDER BY id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER grievances_ticketevent_outbox
    AFTER INSERT ON grievances_ticketevent
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION grievances_ticketevent_outbox();
"""
POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS grievances_ticketevent_outbox ON grievances_ticketevent;
DROP FUNCTION IF EXISTS grievances_ticketevent_outbox();
"""
SQLITE = """
CREATE TRIGGER grievances_ticketevent_outbox AFTER INSERT ON grievances_ticketevent
BEGIN
    INSERT INTO grievances_eventoutbox (event_id) VALUES (NEW.id);
END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS grievances_ticketevent_outbox;"


SQL = {"postgresql": (POSTGRESQL, POSTGRESQL_DROP), "sqlite": (SQLITE, SQLITE_DROP)}


def _sql(schema_editor) -> tuple[str, str]:
    """(create, drop) for the database's vendor."""
    vendor = schema_editor.connection.vendor
    if vendor not in SQL:
        raise NotImplementedError(f"the event outbox's trigger is written for PostgreSQL and SQLite, not {vendor}")
    return SQL[vendor]


def forward(apps, schema_editor):
    schema_editor.execute(_sql(schema_editor)[0], params=None)


def backward(apps, schema_editor):
    schema_editor.execute(_sql(schema_editor)[1], params=None)


class Migration(migrations.Migration):
    dependencies = [("grievances", "0033_committee_category_status_statistics")]
    operations = [migrations.RunPython(forward, backward)]

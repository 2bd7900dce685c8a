"""The event log refuses TRUNCATE as it refuses UPDATE and DELETE, except by the role that owns
the table (the migration role, which could drop it anyway; the tests' database user). The
application connects as a role that owns no table (README, "Database roles"), so for it the
log is append-only whatever privileges it is granted."""

from django.db import migrations

REFUSE_TRUNCATE = """
CREATE OR REPLACE FUNCTION zhitong_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
        RAISE EXCEPTION '% is kept for good: TRUNCATE refused', TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER grievances_ticketevent_no_truncate
    BEFORE TRUNCATE ON grievances_ticketevent
    FOR EACH STATEMENT EXECUTE FUNCTION zhitong_refuse_truncate();
"""
DROP = """
DROP TRIGGER IF EXISTS grievances_ticketevent_no_truncate ON grievances_ticketevent;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REFUSE_TRUNCATE, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("grievances", "0009_event_outbox")]
    operations = [migrations.RunPython(forward, backward)]

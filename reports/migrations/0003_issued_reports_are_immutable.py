"""An issued monthly report is kept as it was issued: the database refuses to change or
delete it (and, for any role but the table's owner, to truncate the table)."""

from django.db import migrations

IMMUTABLE = """
CREATE OR REPLACE FUNCTION reports_monthlyreport_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'an issued monthly report is kept as it was issued (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reports_monthlyreport_immutable
    BEFORE UPDATE OR DELETE ON reports_monthlyreport
    FOR EACH ROW EXECUTE FUNCTION reports_monthlyreport_immutable();
CREATE TRIGGER reports_monthlyreport_no_truncate
    BEFORE TRUNCATE ON reports_monthlyreport
    FOR EACH STATEMENT EXECUTE FUNCTION zhitong_refuse_truncate();
"""
DROP = """
DROP TRIGGER IF EXISTS reports_monthlyreport_immutable ON reports_monthlyreport;
DROP TRIGGER IF EXISTS reports_monthlyreport_no_truncate ON reports_monthlyreport;
DROP FUNCTION IF EXISTS reports_monthlyreport_immutable();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(IMMUTABLE, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_clock_from_services"),
        # zhitong_refuse_truncate() is defined there.
        ("grievances", "0010_event_log_refuses_truncate"),
    ]
    operations = [migrations.RunPython(forward, backward)]

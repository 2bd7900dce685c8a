from django.db import migrations

CREATE = "CREATE INDEX {how} IF NOT EXISTS retention_sign_in_time ON axes_accesslog (attempt_time)"


def create(apps, schema_editor):
    # axes' access log has no index on its time: retention's oldest-first range needs one.
    how = "CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(CREATE.format(how=how))


def drop(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS retention_sign_in_time")


class Migration(migrations.Migration):
    # CONCURRENTLY, so sign-ins go on while a big log is indexed: outside a transaction.
    atomic = False

    dependencies = [("axes", "0010_accessattemptexpiration")]

    operations = [migrations.RunPython(create, drop)]

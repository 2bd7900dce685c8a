"""Adding an index to a table that may already be big, without stopping its writes."""

from django.contrib.postgres.indexes import PostgresIndex
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations


class AddIndexWithoutLocking(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, so the changes that write the table go on while
    years of its rows are indexed (the migration must say `atomic = False`); a plain index on
    the embedded SQLite of `make run`, which has no such thing and no big tables — and none at
    all there for an index only PostgreSQL has (GIN, trigram: `PostgresIndex`)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            if self._already_built(schema_editor):
                return None
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        if isinstance(self.index, PostgresIndex):
            return None
        return migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def _already_built(self, schema_editor) -> bool:
        """Whether a migration that stopped half-way (a deploy killed, a later step failed)
        already built this index: a valid one is kept, so running the migration again goes
        on; an invalid one (a build that was cancelled) is dropped and built again."""
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = %s AND pg_catalog.pg_table_is_visible(c.oid)",
                [self.index.name],
            )
            found = cursor.fetchone()
        if found is not None and not found[0]:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(self.index.name)}")
        return found is not None and found[0]

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        if isinstance(self.index, PostgresIndex):
            return None
        return migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RemoveIndexWithoutLocking(migrations.RemoveIndex):
    """DROP INDEX CONCURRENTLY on PostgreSQL (the migration must say `atomic = False`), a plain
    drop on SQLite; the counterpart of AddIndexWithoutLocking."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return RemoveIndexConcurrently(self.model_name, self.name).database_forwards(
                app_label, schema_editor, from_state, to_state
            )
        return super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return RemoveIndexConcurrently(self.model_name, self.name).database_backwards(
                app_label, schema_editor, from_state, to_state
            )
        return super().database_backwards(app_label, schema_editor, from_state, to_state)
